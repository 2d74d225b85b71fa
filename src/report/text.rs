//! The report as text for people: one summary line per path, then what was refused and why,
//! the warnings, and what was not sent. Every text that came from an input or a server is
//! printed with its control characters escaped ([`printable`]), so that none can forge a line.

use std::io::Write;

use super::Report;
use crate::printable::printable;

/// Text reports list at most this many entries of each kind; the JSON report lists all.
const TEXT_LIST_LIMIT: usize = 100;
const TEXT_LINE_CHARS: usize = 200;

impl Report {
    /// A dry run prints the payload exactly as it would be sent on `out` and the rest on `notes`,
    /// so that `--dry-run > payload.txt` captures just the payload. `quiet` counts the warnings
    /// instead of listing them.
    pub fn write_text(
        &self,
        out: &mut dyn Write,
        notes: &mut dyn Write,
        quiet: bool,
    ) -> std::io::Result<()> {
        if let Some(payload) = &self.lines.payload {
            for line in payload {
                writeln!(out, "{line}")?;
            }
            for request in self.otlp.payload.iter().flatten() {
                serde_json::to_writer(&mut *out, request)?;
                writeln!(out)?;
            }
            self.write_event_payloads(out)?;
            self.write_records(notes)?;
            self.write_text_summary(notes, quiet)?;
            self.write_otlp_summary(notes)?;
            self.write_context(notes, quiet)?;
            self.write_events(notes)?;
            self.write_rounds(notes)?;
            return self.write_interruption(notes);
        }
        self.write_records(out)?;
        self.write_text_summary(out, quiet)?;
        self.write_otlp_summary(out)?;
        self.write_context(out, quiet)?;
        self.write_events(out)?;
        self.write_rounds(out)?;
        self.write_interruption(out)
    }

    fn write_rounds(&self, out: &mut dyn Write) -> std::io::Result<()> {
        match self.rounds {
            Some(rounds) => writeln!(out, "{rounds} round(s) added up"),
            None => Ok(()),
        }
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
            let endpoint = printable(o.endpoint.as_deref().unwrap_or("Dynatrace"));
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
            writeln!(out, "OTLP {label}: {}", printable(message))?;
        }
        for refused in o.refused.iter().take(TEXT_LIST_LIMIT) {
            let (input, error) = (printable(&refused.input), printable(&refused.error));
            writeln!(out, "refused {input}: {error}")?;
        }
        more(out, o.refused.len() as u64 + o.refused_unlisted, "refusals")?;
        if let Some(failure) = &o.failure {
            writeln!(out, "OTLP delivery failed: {}", printable(failure))?;
            if o.unsent > 0 {
                writeln!(out, "not sent: {} histogram point(s)", o.unsent)?;
            }
        }
        Ok(())
    }

    fn write_interruption(&self, out: &mut dyn Write) -> std::io::Result<()> {
        match &self.interrupted {
            Some(interrupted) => writeln!(out, "{}", printable(interrupted)),
            None => Ok(()),
        }
    }

    fn write_records(&self, out: &mut dyn Write) -> std::io::Result<()> {
        for records in &self.records {
            writeln!(
                out,
                "{} ({}): {} record(s) read, {} used, {} refused",
                printable(&records.input),
                records.format,
                records.read,
                records.used,
                records.refused
            )?;
        }
        Ok(())
    }

    fn write_text_summary(&self, out: &mut dyn Write, quiet: bool) -> std::io::Result<()> {
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
            let endpoint = printable(self.endpoint.as_deref().unwrap_or("Dynatrace"));
            let metadata = match l.metadata {
                0 => String::new(),
                n => format!(" ({n} metadata, which Dynatrace may leave uncounted)"),
            };
            writeln!(
                out,
                "{} of {} line(s){metadata} sent in {} request(s) to {endpoint}: {} accepted, {} invalid{refused}",
                l.sent, l.total, self.requests, l.ok, l.invalid
            )?;
            if l.unconfirmed > 0 {
                writeln!(
                    out,
                    "unconfirmed: {} line(s) sent without an answer that accounts for them \
                     (Dynatrace may have them: not safe to send again)",
                    l.unconfirmed
                )?;
            }
        }
        for invalid in l.invalid_lines.iter().take(TEXT_LIST_LIMIT) {
            writeln!(
                out,
                "invalid line {} ({}): {}\n    {}",
                invalid.line,
                printable(&invalid.input),
                printable(&invalid.error),
                printable(&shorten(&invalid.text))
            )?;
        }
        more(
            out,
            l.invalid_lines.len() as u64 + l.invalid_lines_unlisted,
            "invalid lines",
        )?;
        if l.unlisted_invalid > 0 && !l.invalid_lines.is_empty() {
            writeln!(
                out,
                "invalid: {} more line(s) that Dynatrace did not name (it names at most 10 per request)",
                l.unlisted_invalid
            )?;
        }
        for refused in l.refused.iter().take(TEXT_LIST_LIMIT) {
            let (input, error) = (printable(&refused.input), printable(&refused.error));
            writeln!(out, "refused {input}: {error}")?;
        }
        more(out, l.refused.len() as u64 + l.refused_unlisted, "refusals")?;
        let warnings = l.warnings.len() as u64 + l.warnings_unlisted;
        if quiet && warnings > 0 {
            writeln!(out, "{warnings} warning(s), listed without --quiet")?;
        }
        for warning in l.warnings.iter().take(TEXT_LIST_LIMIT).filter(|_| !quiet) {
            let place = match (warning.line, warning.input.as_deref().map(printable)) {
                (Some(line), Some(input)) => format!(" line {line} ({input})"),
                (Some(line), None) => format!(" line {line}"),
                (None, Some(input)) => format!(" {input}"),
                (None, None) => String::new(),
            };
            writeln!(out, "warning{place}: {}", printable(&warning.warning))?;
        }
        if !quiet {
            more(out, warnings, "warnings")?;
        }
        if let Some(failure) = &self.failure {
            writeln!(out, "delivery failed: {}", printable(failure))?;
            if l.unsent > 0 {
                writeln!(out, "not sent: {} line(s)", l.unsent)?;
            }
        }
        Ok(())
    }
}

fn more(out: &mut dyn Write, count: u64, what: &str) -> std::io::Result<()> {
    if count > TEXT_LIST_LIMIT as u64 {
        writeln!(
            out,
            "... {} more {what} (--output json lists up to --report-limit of them)",
            count - TEXT_LIST_LIMIT as u64
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
