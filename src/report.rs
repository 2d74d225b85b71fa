//! The report: what was sent, accepted, refused and why, as text for people or JSON for
//! machines, and the exit code that tells Keptn whether the task passed.

use std::io::Write;

use serde::Serialize;

use crate::encode::Encoded;
use crate::model::Refusal;
use crate::otlp::OtlpEncoded;
use crate::send::{Delivery, OtlpDelivery};

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
    /// Why delivery of lines stopped, if it did.
    pub failure: Option<String>,
    pub lines: LinesReport,
    pub otlp: OtlpReport,
}

#[derive(Debug, Serialize)]
pub struct OtlpReport {
    pub endpoint: Option<String>,
    pub requests: usize,
    /// Histogram data points that passed local validation.
    pub points: usize,
    pub points_sent: usize,
    /// Points Dynatrace dropped (its partial-success answer).
    pub rejected: u64,
    /// Dynatrace's reasons, as it gave them.
    pub message: Option<String>,
    pub refused_locally: usize,
    pub refused: Vec<RefusedReport>,
    pub unsent: usize,
    pub failure: Option<String>,
    /// The requests a dry run would send, as OTLP JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<Vec<serde_json::Value>>,
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

/// Everything one run produced, for the report.
pub struct Outcome {
    pub dry_run: bool,
    pub lines: Encoded,
    pub lines_delivery: Option<Delivery>,
    pub lines_endpoint: Option<String>,
    pub otlp: OtlpEncoded,
    pub otlp_delivery: Option<OtlpDelivery>,
    pub otlp_endpoint: Option<String>,
}

impl Report {
    pub fn new(outcome: Outcome) -> Report {
        let Outcome {
            dry_run,
            lines: encoded,
            lines_delivery,
            lines_endpoint,
            otlp,
            otlp_delivery,
            otlp_endpoint,
        } = outcome;
        let delivery = lines_delivery.unwrap_or_default();
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
            refused: refused(encoded.refusals),
            warnings,
            payload: dry_run.then(|| encoded.lines.into_iter().map(|l| l.text).collect()),
        };
        let otlp_delivery = otlp_delivery.unwrap_or_default();
        let otlp = OtlpReport {
            endpoint: otlp_endpoint,
            requests: otlp_delivery.requests,
            points: otlp.points,
            points_sent: otlp_delivery.points_sent,
            rejected: otlp_delivery.rejected,
            message: (!otlp_delivery.messages.is_empty())
                .then(|| otlp_delivery.messages.join("; ")),
            refused_locally: otlp.refusals.len(),
            refused: refused(otlp.refusals),
            unsent: otlp_delivery.unsent_points,
            failure: otlp_delivery.failure,
            payload: dry_run.then(|| {
                otlp.requests
                    .iter()
                    .map(|r| serde_json::to_value(r).unwrap_or_default())
                    .collect()
            }),
        };
        let mut report = Report {
            dry_run,
            outcome: "accepted",
            exit_code: EXIT_OK,
            endpoint: lines_endpoint,
            requests: delivery.requests,
            failure: delivery.failure,
            lines,
            otlp,
        };
        report.judge();
        report
    }

    /// Adds a later round of `--loop` to this one: counts add up, lists grow.
    pub fn absorb(&mut self, later: Report) {
        let (l, m) = (&mut self.lines, later.lines);
        l.total += m.total;
        l.sent += m.sent;
        l.ok += m.ok;
        l.invalid += m.invalid;
        l.refused_locally += m.refused_locally;
        l.unsent += m.unsent;
        l.invalid_lines.extend(m.invalid_lines);
        l.unlisted_invalid += m.unlisted_invalid;
        l.refused.extend(m.refused);
        l.warnings.extend(m.warnings);
        let (o, n) = (&mut self.otlp, later.otlp);
        o.requests += n.requests;
        o.points += n.points;
        o.points_sent += n.points_sent;
        o.rejected += n.rejected;
        o.message = match (o.message.take(), n.message) {
            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
            (a, b) => a.or(b),
        };
        o.refused_locally += n.refused_locally;
        o.refused.extend(n.refused);
        o.unsent += n.unsent;
        o.failure = n.failure.or(o.failure.take());
        o.endpoint = n.endpoint.or(o.endpoint.take());
        self.requests += later.requests;
        self.failure = later.failure.or(self.failure.take());
        self.endpoint = later.endpoint.or(self.endpoint.take());
        self.judge();
    }

    fn judge(&mut self) {
        let (l, o) = (&self.lines, &self.otlp);
        (self.outcome, self.exit_code) = if self.failure.is_some() || o.failure.is_some() {
            ("delivery_failed", EXIT_DELIVERY_FAILED)
        } else if l.refused_locally > 0 || l.invalid > 0 || o.refused_locally > 0 || o.rejected > 0
        {
            ("refused", EXIT_REFUSED)
        } else {
            ("accepted", EXIT_OK)
        };
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
            for request in self.otlp.payload.iter().flatten() {
                serde_json::to_writer_pretty(&mut *out, request)?;
                writeln!(out)?;
            }
            self.write_text_summary(notes)?;
            return self.write_otlp_summary(notes);
        }
        self.write_text_summary(out)?;
        self.write_otlp_summary(out)
    }

    fn write_otlp_summary(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let o = &self.otlp;
        if o.points == 0 && o.refused_locally == 0 {
            return Ok(());
        }
        let refused = match o.refused_locally {
            0 => String::new(),
            n => format!(", {n} refused locally"),
        };
        if self.dry_run {
            writeln!(
                out,
                "dry run: {} histogram point(s) would be sent over OTLP{refused}",
                o.points
            )?;
        } else {
            let endpoint = o.endpoint.as_deref().unwrap_or("Dynatrace");
            writeln!(
                out,
                "OTLP: {} of {} histogram point(s) sent in {} request(s) to {endpoint}: {} rejected{refused}",
                o.points_sent, o.points, o.requests, o.rejected
            )?;
        }
        if let Some(message) = &o.message {
            let label = if o.rejected > 0 {
                "rejected"
            } else {
                "warning"
            };
            writeln!(out, "OTLP {label}: {message}")?;
        }
        for refused in o.refused.iter().take(TEXT_LIST_LIMIT) {
            writeln!(out, "refused {}: {}", refused.input, refused.error)?;
        }
        more(out, o.refused.len(), "refusals")?;
        if let Some(failure) = &o.failure {
            writeln!(out, "OTLP delivery failed: {failure}")?;
            if o.unsent > 0 {
                writeln!(out, "not sent: {} histogram point(s)", o.unsent)?;
            }
        }
        Ok(())
    }

    fn write_text_summary(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let l = &self.lines;
        let only_histograms = self.otlp.points > 0 || self.otlp.refused_locally > 0;
        if l.total == 0 && l.refused_locally == 0 && only_histograms {
            return Ok(());
        }
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

fn refused(refusals: Vec<Refusal>) -> Vec<RefusedReport> {
    refusals
        .into_iter()
        .map(|r| RefusedReport {
            input: r.origin.0,
            error: r.error,
        })
        .collect()
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
