//! The report: what was sent, accepted, refused and why, as text for people ([`text`]) or JSON
//! for machines, and the [`Outcome`] whose exit code tells Keptn whether the task passed. Exit
//! codes are decided here and nowhere else.

mod assemble;
mod events;
pub mod github_output;
mod rounds;
mod setup;
mod text;

use std::io::Write;

use serde::Serialize;

use crate::model::{Code, RecordCount, TestSummary};
pub use crate::pipeline::Halt;
pub use assemble::{LinesResult, OtlpResult};
pub use events::{EventOutcome, EventReport};
pub use setup::ContextReport;

/// How a run ended, from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Everything was accepted (or, in a dry run, nothing was refused).
    Accepted,
    /// Some data was refused, locally or by Dynatrace; the rest was sent and accepted.
    Refused,
    /// Delivery failed: auth, network, server; the report says what was not sent.
    DeliveryFailed,
    /// A usage or configuration error: nothing was sent.
    UsageError,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Accepted => 0,
            Outcome::UsageError => 2,
            Outcome::Refused => 3,
            Outcome::DeliveryFailed => 4,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub dry_run: bool,
    pub outcome: Outcome,
    pub exit_code: u8,
    pub endpoint: Option<String>,
    pub requests: usize,
    /// Why delivery of lines stopped, if it did.
    pub failure: Option<String>,
    /// Set when a signal (SIGTERM, SIGINT) stopped the run before it was done.
    pub interrupted: Option<String>,
    /// The pipeline the run belongs to, and where that was read from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<ContextReport>,
    pub lines: LinesReport,
    pub otlp: OtlpReport,
    /// What became of the records of inputs that aggregate them (load-test results).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<RecordsReport>,
    /// `--loop`: the rounds this report adds up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rounds: Option<u64>,
    /// The events sent after the metrics (`--event`, `--sdlc-event`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventReport>,
    /// A usage or configuration error ended the run (its message is in `failure`).
    #[serde(skip)]
    usage: bool,
}

#[derive(Debug, Serialize)]
pub struct RecordsReport {
    pub input: String,
    pub format: &'static str,
    pub read: u64,
    pub used: u64,
    pub refused: u64,
    /// What the results say of the whole test, for the event.
    #[serde(skip)]
    pub test: Option<TestSummary>,
}

impl From<RecordCount> for RecordsReport {
    fn from(count: RecordCount) -> RecordsReport {
        RecordsReport {
            input: count.input.to_string(),
            format: count.format,
            read: count.read,
            used: count.used,
            refused: count.refused,
            test: count.test,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct LinesReport {
    /// Lines that passed local validation (metric and metadata lines).
    pub total: usize,
    /// Of them, metadata lines (Dynatrace may leave them out of its count of accepted lines).
    pub metadata: usize,
    pub sent: usize,
    pub ok: u64,
    pub invalid: u64,
    pub refused_locally: usize,
    /// Never reached Dynatrace: safe to send again.
    pub unsent: usize,
    /// Sent, without an answer that accounts for them (a timeout, a lost connection, a run
    /// stopped while they were in flight): Dynatrace may have them.
    pub unconfirmed: usize,
    /// Metadata lines sent that Dynatrace's answer left out of its counts.
    pub metadata_uncounted: usize,
    pub invalid_lines: Vec<InvalidLineReport>,
    /// Invalid lines Dynatrace named beyond `--report-limit`.
    pub invalid_lines_unlisted: u64,
    /// Invalid lines Dynatrace counted but did not name (it names at most 10 per request).
    pub unlisted_invalid: u64,
    pub refused: Vec<RefusedReport>,
    /// Refusals beyond `--report-limit`: counted, not listed.
    pub refused_unlisted: u64,
    pub warnings: Vec<WarningReport>,
    /// Warnings beyond `--report-limit`: counted, not listed.
    pub warnings_unlisted: u64,
    /// The exact lines a dry run would send.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<Vec<String>>,
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
    /// Refusals beyond `--report-limit`: counted, not listed.
    pub refused_unlisted: u64,
    pub unsent: usize,
    /// Sent, but the answer never came (the run was stopped while they were in flight).
    pub unconfirmed: usize,
    pub failure: Option<String>,
    /// The requests a dry run would send, as OTLP JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<Vec<serde_json::Value>>,
}

#[derive(Debug, PartialEq, Eq, Hash, Serialize)]
pub struct InvalidLineReport {
    pub line: usize,
    pub error: String,
    pub input: String,
    pub text: String,
    pub code: Code,
}

#[derive(Debug, PartialEq, Eq, Hash, Serialize)]
pub struct RefusedReport {
    pub input: String,
    pub error: String,
    pub code: Code,
}

#[derive(Debug, PartialEq, Eq, Hash, Serialize)]
pub struct WarningReport {
    pub line: Option<usize>,
    pub input: Option<String>,
    pub warning: String,
    /// `local` (this tool changed something) or `dynatrace` (the server said so).
    pub source: &'static str,
    pub code: Code,
}

impl Report {
    /// A usage or configuration error ended the run, after what this report shows.
    pub fn usage_error(&mut self, message: String) {
        self.usage = true;
        self.failure = Some(match self.failure.take() {
            Some(earlier) => format!("{message}; before that: {earlier}"),
            None => message,
        });
        self.judge();
    }

    /// A signal or the deadline stopped the run: it is a delivery failure when anything was
    /// left unsent, unconfirmed, or unread (`read_to_end` false); otherwise it earned its
    /// outcome.
    pub fn stopped(&mut self, halt: Halt, read_to_end: bool) {
        let (l, o) = (&self.lines, &self.otlp);
        let mut left = Vec::new();
        if l.unsent + l.unconfirmed + o.unsent + o.unconfirmed > 0 {
            left.push(format!(
                "{} line(s) and {} point(s) not sent, {} line(s) and {} point(s) sent without an \
                 answer",
                l.unsent, o.unsent, l.unconfirmed, o.unconfirmed
            ));
        }
        if !read_to_end {
            left.push("the inputs were not read to their end".to_owned());
        }
        if !left.is_empty() {
            let why = match halt {
                Halt::Signal => "stopped by a signal (SIGTERM or SIGINT)".to_owned(),
                Halt::Deadline { after, kept } if kept.is_zero() => format!(
                    "stopped at the deadline, {} s after the start (--deadline-secs, \
                     DT_DEADLINE_SECS)",
                    after.as_secs()
                ),
                Halt::Deadline { after, kept } => format!(
                    "stopped at the deadline, {} s after the start (--deadline-secs, \
                     DT_DEADLINE_SECS, less {} s kept for the events)",
                    (after + kept).as_secs(),
                    kept.as_secs()
                ),
            };
            self.interrupted = Some(format!("{why}: {}", left.join("; ")));
        }
        self.judge();
    }

    fn judge(&mut self) {
        let (l, o) = (&self.lines, &self.otlp);
        let failed = self.failure.is_some()
            || o.failure.is_some()
            || self.interrupted.is_some()
            || l.unconfirmed > 0
            || o.unconfirmed > 0;
        self.outcome = if self.usage {
            Outcome::UsageError
        } else if failed {
            Outcome::DeliveryFailed
        } else if l.refused_locally > 0 || l.invalid > 0 || o.refused_locally > 0 || o.rejected > 0
        {
            Outcome::Refused
        } else {
            Outcome::Accepted
        };
        self.outcome = self.with_events(self.outcome);
        self.exit_code = self.outcome.exit_code();
    }

    pub fn write_json(&self, out: &mut dyn Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self)?;
        writeln!(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Origin, Refusal};
    use crate::send::otlp::OtlpDelivery;

    #[test]
    fn exit_codes_are_decided_by_the_outcome() {
        let codes: Vec<u8> = [
            Outcome::Accepted,
            Outcome::UsageError,
            Outcome::Refused,
            Outcome::DeliveryFailed,
        ]
        .iter()
        .map(|o| o.exit_code())
        .collect();
        assert_eq!(codes, vec![0, 2, 3, 4]);
    }

    #[test]
    fn a_refusal_makes_a_refused_outcome_and_a_failure_a_failed_one() {
        let mut lines = LinesResult::default();
        lines.refusals.push(Refusal {
            origin: Origin::whole("x"),
            code: Code::ValueNotFinite,
            reason: "NaN".into(),
        });
        let report = Report::new(false, lines, OtlpResult::default());
        assert_eq!((report.outcome, report.exit_code), (Outcome::Refused, 3));
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["outcome"], "refused");
        assert_eq!(json["lines"]["refused"][0]["code"], "value_not_finite");

        let failed = OtlpResult {
            delivery: Some(OtlpDelivery {
                failure: Some("network".into()),
                ..OtlpDelivery::default()
            }),
            ..OtlpResult::default()
        };
        let report = Report::new(false, LinesResult::default(), failed);
        assert_eq!(report.outcome, Outcome::DeliveryFailed);
        assert_eq!(
            Report::new(true, LinesResult::default(), OtlpResult::default()).exit_code,
            0
        );
    }
}
