//! The account of a delivery: every line and point the producer handed on ends in exactly one
//! bucket (accepted, invalid or rejected, unsent, unconfirmed), whatever the answers, and
//! whether the run ended by itself, by a signal or at its deadline.

use std::collections::VecDeque;
use std::time::Duration;

use crate::otlp::{data_points, split_request};
use crate::secret::{redact, Secret};
use crate::send::http::FailureKind;
use crate::send::lines::LinesDelivery;
use crate::send::otlp::OtlpDelivery;
use crate::send::pool::{Delivered, Endpoints, OtlpRequest, Payload};

/// A payload Dynatrace finds too large (413) is halved at most this often (down to 1/16): it is
/// already within the documented size, so a 413 that outlives that is not about size.
pub const MAX_HALVINGS: u8 = 4;

/// Why a run ended before it was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Halt {
    /// SIGTERM or SIGINT.
    Signal,
    /// `--deadline-secs` passed: `after` the start, the metrics' share of it, `kept` for the
    /// events after them.
    Deadline { after: Duration, kept: Duration },
}

/// The account of a delivery, for the report.
#[derive(Default)]
pub struct Account {
    pub lines: LinesDelivery,
    pub otlp: OtlpDelivery,
    /// Set when the run was stopped before it was done, and why.
    pub halted: Option<Halt>,
    /// The producer is done and said so.
    pub producer_done: bool,
    /// The producer read every input to its end (and encoded all it read).
    pub read_to_end: bool,
    /// Lines and points the producer handed on. Those it encoded beyond them never left it:
    /// they are unsent (see [`Account::settle`]).
    pub received_lines: usize,
    pub received_points: usize,
}

impl Account {
    /// Counts a payload taken off the producer's hands.
    pub fn take(&mut self, payload: &Payload) {
        let (lines, points) = sizes(payload);
        self.received_lines += lines;
        self.received_points += points;
    }

    /// Closes the account against what the producer encoded (`lines`, `points`): what it never
    /// handed on (the run stopped while it held them) is unsent.
    pub fn settle(&mut self, lines: usize, points: usize) {
        self.lines.unsent += lines.saturating_sub(self.received_lines);
        self.otlp.unsent_points += points.saturating_sub(self.received_points);
    }
}

/// Records an answer; a payload Dynatrace found too large goes back, halved, to the front,
/// while `may_halve` (the retry budget is not spent) and it was halved less than
/// [`MAX_HALVINGS`] times.
pub fn record(
    account: &mut Account,
    delivered: Delivered,
    endpoints: &Endpoints,
    secret: Option<&Secret>,
    pending: &mut VecDeque<Payload>,
    may_halve: bool,
) -> Option<FailureKind> {
    let Delivered {
        payload,
        mut posted,
    } = delivered;
    let too_large = matches!(&posted.answer, Err(f) if f.kind == FailureKind::TooLarge);
    let halvings = match &payload {
        Payload::Lines(batch) => batch.halvings,
        Payload::Otlp(otlp) => otlp.halvings,
    };
    let (lines, points) = sizes(&payload);
    let halve = too_large && may_halve && halvings < MAX_HALVINGS && lines + points > 1;
    if too_large && !halve {
        if let Err(failure) = &mut posted.answer {
            failure.text.push_str(&match halvings {
                0 => " (not halved: the retry budget is spent)".to_owned(),
                n => format!(" (still, after halving the request {n} time(s))"),
            });
        }
    }
    let redact = |text: String| redact(&text, secret);
    let url = endpoints
        .url(&payload)
        .expect("only payloads with a URL are sent");
    match payload {
        Payload::Lines(batch) if halve => {
            account.lines.requests += posted.attempts;
            let (first, second) = batch.split();
            pending.push_front(Payload::Lines(second));
            pending.push_front(Payload::Lines(first));
            None
        }
        Payload::Lines(batch) => account.lines.record(&batch, posted, url, redact),
        Payload::Otlp(otlp) if halve => {
            account.otlp.requests += posted.attempts;
            let halvings = otlp.halvings + 1;
            let (first, second) = split_request(otlp.request);
            for request in [second, first] {
                pending.push_front(Payload::Otlp(OtlpRequest { request, halvings }));
            }
            None
        }
        Payload::Otlp(otlp) => {
            let points = data_points(&otlp.request);
            account.otlp.record(points, posted, url, redact)
        }
    }
}

/// A payload of a kind with no URL to go to.
pub fn no_url(account: &mut Account, payload: &Payload) {
    unsent(account, payload);
    let (failure, requests, what, variable) = match payload {
        Payload::Lines(_) => (
            &mut account.lines.failure,
            &mut account.lines.failed_requests,
            "lines",
            "DT_METRICS_URL",
        ),
        Payload::Otlp(_) => (
            &mut account.otlp.failure,
            &mut account.otlp.failed_requests,
            "histograms",
            "DT_OTLP_URL",
        ),
    };
    *requests += 1;
    failure.get_or_insert_with(|| {
        format!("there are {what} to send but no URL for them: set DT_TENANT or {variable}")
    });
}

pub fn unsent(account: &mut Account, payload: &Payload) {
    match payload {
        Payload::Lines(batch) => account.lines.unsent(batch),
        Payload::Otlp(otlp) => account.otlp.unsent(data_points(&otlp.request)),
    }
}

/// Lines and points a payload holds.
pub fn sizes(payload: &Payload) -> (usize, usize) {
    match payload {
        Payload::Lines(batch) => (batch.len(), 0),
        Payload::Otlp(otlp) => (0, data_points(&otlp.request)),
    }
}
