//! The report's `events` section: each event sent after the metrics (`--event`,
//! `--sdlc-event`), with its own outcome, which can turn an accepted run into a failed one (the
//! quality gate it starts would not start).

use std::io::Write;

use serde::Serialize;

use super::{Outcome, Report};
use crate::printable::printable;

/// What became of one event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventReport {
    /// `event` (Events API v2) or `sdlc_event` (OpenPipeline).
    pub kind: &'static str,
    pub outcome: EventOutcome,
    /// The HTTP status of Dynatrace's answer, if one came.
    pub status: Option<u16>,
    /// What Dynatrace said, or why there was no answer; made safe to show.
    pub message: Option<String>,
    pub endpoint: Option<String>,
    /// What was changed to fit the API's limits, or overridden.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// In a dry run: the body that would be sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventOutcome {
    /// Dynatrace created the event.
    Accepted,
    /// Dynatrace answered, and created no event.
    Refused,
    /// No answer came (network, timeout, a stop).
    Unanswered,
    /// A dry run: nothing was sent.
    DryRun,
}

impl EventReport {
    /// `event` or `SDLC event`, as the text report names it.
    fn name(&self) -> &'static str {
        match self.kind {
            "sdlc_event" => "SDLC event",
            _ => "event",
        }
    }

    pub fn failed(&self) -> bool {
        matches!(
            self.outcome,
            EventOutcome::Refused | EventOutcome::Unanswered
        )
    }
}

impl Report {
    /// Adds the events' outcomes and judges the run again: accepted metrics with an event
    /// refused or unanswered are a delivery failure (exit code 4).
    pub fn add_events(&mut self, events: Vec<EventReport>) {
        self.events = events;
        self.judge();
    }

    /// The outcome with the events': the metrics' own outcome stands unless it was accepted.
    pub(super) fn with_events(&self, outcome: Outcome) -> Outcome {
        match outcome {
            Outcome::Accepted if self.events.iter().any(EventReport::failed) => {
                Outcome::DeliveryFailed
            }
            outcome => outcome,
        }
    }

    /// A dry run's event bodies, one compact JSON line each.
    pub(super) fn write_event_payloads(&self, out: &mut dyn Write) -> std::io::Result<()> {
        for payload in self.events.iter().filter_map(|e| e.payload.as_ref()) {
            serde_json::to_writer(&mut *out, payload)?;
            writeln!(out)?;
        }
        Ok(())
    }

    pub(super) fn write_events(&self, out: &mut dyn Write) -> std::io::Result<()> {
        for event in &self.events {
            let name = event.name();
            let status = event.status.map(|s| format!(" ({s})")).unwrap_or_default();
            let endpoint = event
                .endpoint
                .as_deref()
                .map(|e| format!(" at {}", printable(e)))
                .unwrap_or_default();
            match event.outcome {
                EventOutcome::DryRun => writeln!(out, "dry run: the {name} would be sent")?,
                EventOutcome::Accepted => writeln!(out, "{name}: accepted{status}{endpoint}")?,
                EventOutcome::Refused => writeln!(out, "{name} refused{status}{endpoint}")?,
                EventOutcome::Unanswered => writeln!(out, "{name} unanswered{endpoint}")?,
            }
            if let Some(message) = &event.message {
                writeln!(out, "{name}: {}", printable(message))?;
            }
            for note in &event.notes {
                writeln!(out, "{name} note: {}", printable(note))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{LinesResult, OtlpResult};

    fn event(outcome: EventOutcome) -> EventReport {
        EventReport {
            kind: "event",
            outcome,
            status: None,
            message: None,
            endpoint: None,
            notes: Vec::new(),
            payload: None,
        }
    }

    #[test]
    fn an_event_that_failed_fails_an_accepted_run_and_leaves_a_worse_outcome_as_it_was() {
        let mut report = Report::new(false, LinesResult::default(), OtlpResult::default());
        report.add_events(vec![event(EventOutcome::Accepted)]);
        assert_eq!((report.outcome, report.exit_code), (Outcome::Accepted, 0));
        for failed in [EventOutcome::Refused, EventOutcome::Unanswered] {
            report.add_events(vec![event(EventOutcome::Accepted), event(failed)]);
            assert_eq!(
                (report.outcome, report.exit_code),
                (Outcome::DeliveryFailed, 4)
            );
        }
        report.usage_error("bad".into());
        assert_eq!(report.exit_code, 2);
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["events"][1]["outcome"], "unanswered");
    }
}
