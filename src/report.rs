//! The report: what was sent, accepted, refused and why, as text for people or JSON for
//! machines, and the exit code that tells Keptn whether the task passed.

use std::io::Write;

use serde::Serialize;

use crate::encode::Encoded;
use crate::send::Delivery;

pub const EXIT_OK: u8 = 0;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_REFUSED: u8 = 3;
pub const EXIT_DELIVERY_FAILED: u8 = 4;

/// Text reports list at most this many entries of each kind; the JSON report lists all.
const TEXT_LIST_LIMIT: usize = 100;
const TEXT_LINE_CHARS: usize = 200;

#[derive(Debug, Serialize)]
pub struct Report {
    pub dry_run: bool,
    pub outcome: &'static str,
    pub exit_code: u8,
    pub endpoint: Option<String>,
    pub requests: usize,
    pub failure: Option<String>,
    pub lines: LinesReport,
}

#[derive(Debug, Serialize)]
pub struct LinesReport {
    /// Lines that passed local validation (metric and metadata lines).
    pub total: usize,
    pub sent: usize,
    pub ok: u64,
    pub invalid: u64,
    pub refused_locally: usize,
    pub unsent: usize,
    pub invalid_lines: Vec<InvalidLineReport>,
    /// Invalid lines Dynatrace counted but did not name (it names at most 10 per request).
    pub unlisted_invalid: u64,
    pub refused: Vec<RefusedReport>,
    pub warnings: Vec<WarningReport>,
    /// The exact lines a dry run would send.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<Vec<String>>,
}

#[derive(Debug, Serialize)]
pub struct InvalidLineReport {
    pub line: usize,
    pub error: String,
    pub input: String,
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct RefusedReport {
    pub input: String,
    pub error: String,
}

#[derive(Debug, Serialize)]
pub struct WarningReport {
    pub line: Option<usize>,
    pub input: Option<String>,
    pub warning: String,
    /// `local` (this tool changed something) or `dynatrace` (the server said so).
    pub source: &'static str,
}

impl Report {
    pub fn new(encoded: Encoded, delivery: Option<Delivery>, endpoint: Option<String>) -> Report {
        let dry_run = delivery.is_none();
        let delivery = delivery.unwrap_or_default();
        let mut warnings: Vec<WarningReport> = encoded
            .warnings
            .into_iter()
            .map(|w| WarningReport {
                line: None,
                input: Some(w.origin.0),
                warning: w.warning,
                source: "local",
            })
            .collect();
        warnings.extend(delivery.warnings.into_iter().map(|w| WarningReport {
            line: w.line,
            input: w.origin.map(|o| o.0),
            warning: w.warning,
            source: "dynatrace",
        }));
        let listed = delivery.invalid_lines.len() as u64;
        let lines = LinesReport {
            total: encoded.lines.len(),
            sent: delivery.sent,
            ok: delivery.ok,
            invalid: delivery.invalid,
            refused_locally: encoded.refusals.len(),
            unsent: delivery.unsent,
            invalid_lines: delivery
                .invalid_lines
                .into_iter()
                .map(|l| InvalidLineReport {
                    line: l.line,
                    error: l.error,
                    input: l.origin.0,
                    text: l.text,
                })
                .collect(),
            unlisted_invalid: delivery.invalid.saturating_sub(listed),
            refused: encoded
                .refusals
                .into_iter()
                .map(|r| RefusedReport {
                    input: r.origin.0,
                    error: r.error,
                })
                .collect(),
            warnings,
            payload: dry_run.then(|| encoded.lines.into_iter().map(|l| l.text).collect()),
        };
        let (outcome, exit_code) = if delivery.failure.is_some() {
            ("delivery_failed", EXIT_DELIVERY_FAILED)
        } else if lines.refused_locally > 0 || lines.invalid > 0 {
            ("refused", EXIT_REFUSED)
        } else {
            ("accepted", EXIT_OK)
        };
        Report {
            dry_run,
            outcome,
            exit_code,
            endpoint,
            requests: delivery.requests,
            failure: delivery.failure,
            lines,
        }
    }

    pub fn write_json(&self, out: &mut dyn Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self)?;
        writeln!(out)
    }

    /// A dry run prints the payload exactly as it would be sent on `out` and the rest on `notes`,
    /// so that `--dry-run > payload.txt` captures just the payload.
    pub fn write_text(&self, out: &mut dyn Write, notes: &mut dyn Write) -> std::io::Result<()> {
        if let Some(payload) = &self.lines.payload {
            for line in payload {
                writeln!(out, "{line}")?;
            }
            return self.write_text_summary(notes);
        }
        self.write_text_summary(out)
    }

    fn write_text_summary(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let l = &self.lines;
        let refused = match l.refused_locally {
            0 => String::new(),
            n => format!(", {n} refused locally"),
        };
        if self.dry_run {
            writeln!(
                out,
                "dry run: {} line(s) would be sent{refused}; nothing was sent",
                l.total
            )?;
        } else {
            let endpoint = self.endpoint.as_deref().unwrap_or("Dynatrace");
            writeln!(
                out,
                "{} of {} line(s) sent in {} request(s) to {endpoint}: {} accepted, {} invalid{refused}",
                l.sent, l.total, self.requests, l.ok, l.invalid
            )?;
        }
        for invalid in l.invalid_lines.iter().take(TEXT_LIST_LIMIT) {
            writeln!(
                out,
                "invalid line {} ({}): {}\n    {}",
                invalid.line,
                invalid.input,
                invalid.error,
                shorten(&invalid.text)
            )?;
        }
        more(out, l.invalid_lines.len(), "invalid lines")?;
        if l.unlisted_invalid > 0 && !l.invalid_lines.is_empty() {
            writeln!(
                out,
                "invalid: {} more line(s) that Dynatrace did not name (it names at most 10 per request)",
                l.unlisted_invalid
            )?;
        }
        for refused in l.refused.iter().take(TEXT_LIST_LIMIT) {
            writeln!(out, "refused {}: {}", refused.input, refused.error)?;
        }
        more(out, l.refused.len(), "refusals")?;
        for warning in l.warnings.iter().take(TEXT_LIST_LIMIT) {
            let place = match (warning.line, &warning.input) {
                (Some(line), Some(input)) => format!(" line {line} ({input})"),
                (Some(line), None) => format!(" line {line}"),
                (None, Some(input)) => format!(" {input}"),
                (None, None) => String::new(),
            };
            writeln!(out, "warning{place}: {}", warning.warning)?;
        }
        more(out, l.warnings.len(), "warnings")?;
        if let Some(failure) = &self.failure {
            writeln!(out, "delivery failed: {failure}")?;
            if l.unsent > 0 {
                writeln!(out, "not sent: {} line(s)", l.unsent)?;
            }
        }
        Ok(())
    }
}

fn more(out: &mut dyn Write, count: usize, what: &str) -> std::io::Result<()> {
    if count > TEXT_LIST_LIMIT {
        writeln!(
            out,
            "... {} more {what} (--output json lists them all)",
            count - TEXT_LIST_LIMIT
        )?;
    }
    Ok(())
}

fn shorten(text: &str) -> String {
    match text.char_indices().nth(TEXT_LINE_CHARS) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_owned(),
    }
}
