//! The events sent after the metrics: the Events API v2 event (`--event`, [`body`]) and the
//! OpenPipeline SDLC event (`--sdlc-event`, [`sdlc`]), which start a Workflow (the Site
//! Reliability Guardian) on the run's window. What they say is gathered here as plain data
//! ([`Facts`]) from the run's report and context; each is posted once with the run's [`Sender`]
//! (auth, proxies, retries, redaction), and its answer judged ([`answer`]) into an
//! [`EventReport`].

use serde_json::Value as Json;

use crate::config::EventSettings;
use crate::context::Context;
use crate::model::{TestSummary, Window};
use crate::report::{EventOutcome, EventReport, Outcome, Report};
use crate::secret::shown;
use crate::send::http::{Post, Sender};

pub mod answer;
pub mod body;
pub mod sdlc;

/// What an event says of the run: plain data, taken from the report once the metrics are sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    /// The load test's own window where results give one, else the run's.
    pub window: Window,
    /// The metrics' outcome.
    pub outcome: Outcome,
    pub lines_sent: usize,
    pub lines_accepted: u64,
    /// Refused locally or invalid by Dynatrace's count.
    pub lines_refused: u64,
    pub points_sent: usize,
    /// One per results input, with the input's name.
    pub tests: Vec<(String, TestSummary)>,
    pub dry_run: bool,
}

impl Facts {
    /// The facts of `report`; `run` is the run's own window, used when no results give one.
    pub fn of(report: &Report, run: Window) -> Facts {
        let tests: Vec<(String, TestSummary)> = report
            .records
            .iter()
            .filter_map(|r| Some((r.input.clone(), r.test.clone()?)))
            .collect();
        let windows = tests.iter().filter_map(|(_, t)| t.window);
        let window = windows.reduce(|a, b| Window {
            start_ns: a.start_ns.min(b.start_ns),
            end_ns: a.end_ns.max(b.end_ns),
        });
        let (lines, otlp) = (&report.lines, &report.otlp);
        Facts {
            window: window.unwrap_or(run),
            outcome: report.outcome,
            lines_sent: if report.dry_run {
                lines.total
            } else {
                lines.sent
            },
            lines_accepted: lines.ok,
            lines_refused: lines.invalid + lines.refused_locally as u64,
            points_sent: if report.dry_run {
                otlp.points
            } else {
                otlp.points_sent
            },
            tests,
            dry_run: report.dry_run,
        }
    }
}

/// Where the events go and how: `None` in a dry run.
pub struct Route<'a> {
    pub sender: &'a Sender,
    pub events_url: Option<&'a reqwest::Url>,
    pub sdlc_url: Option<&'a reqwest::Url>,
}

/// Builds the events `settings` ask for and sends each (or, without a route, keeps its body
/// for the dry run's output); `note` hears one line per retry.
pub fn send(
    settings: &EventSettings,
    context: &Context,
    facts: &Facts,
    route: Option<Route>,
    note: &dyn Fn(String),
) -> Vec<EventReport> {
    let properties = body::properties(settings, context, facts);
    let mut events = Vec::new();
    if settings.event {
        let event = body::event(settings, context, facts, &properties.pairs);
        let url = route.as_ref().and_then(|r| r.events_url);
        let sender = route.as_ref().map(|r| r.sender);
        let mut report = post("event", event, sender, url, note, answer::v2);
        report.notes = properties.notes.clone();
        events.push(report);
    }
    if settings.sdlc {
        let event = sdlc::event(settings, context, facts, &properties.pairs);
        let url = route.as_ref().and_then(|r| r.sdlc_url);
        let sender = route.as_ref().map(|r| r.sender);
        let mut report = post("sdlc_event", event, sender, url, note, answer::sdlc);
        if !settings.event {
            report.notes = properties.notes.clone();
        }
        events.push(report);
    }
    events
}

/// Posts `body` to `url` once (with the sender's retries) and judges the answer with `judge`;
/// without a sender, keeps the body for a dry run.
fn post(
    kind: &'static str,
    body: Json,
    sender: Option<&Sender>,
    url: Option<&reqwest::Url>,
    note: &dyn Fn(String),
    judge: fn(answer::Posted) -> answer::Judged,
) -> EventReport {
    let mut report = EventReport {
        kind,
        outcome: EventOutcome::DryRun,
        status: None,
        message: None,
        endpoint: url.map(shown),
        notes: Vec::new(),
        payload: None,
    };
    let (Some(sender), Some(url)) = (sender, url) else {
        report.payload = Some(body);
        return report;
    };
    let post = Post {
        url,
        content_type: "application/json; charset=utf-8",
        body: serde_json::to_vec(&body)
            .expect("a JSON value serialises")
            .into(),
        gzip: false,
    };
    let (posted, status) = sender.post_answered(post, note);
    let judged = judge(answer::Posted {
        posted,
        status,
        url,
        redact: &|text| sender.redact(text),
    });
    report.outcome = judged.outcome;
    report.status = judged.status;
    report.message = judged.message;
    report
}

#[cfg(test)]
mod tests;
