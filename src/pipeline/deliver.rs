//! The deliverer: takes what the producer hands on and either prints it (a dry run) or sends it,
//! several requests in flight, and keeps the account of every line and point, whatever order
//! the answers come back in. It never waits long on anything, so that a stop (SIGTERM, SIGINT,
//! the deadline) is heard within a second: what was not sent is then counted as unsent, what was
//! sent but not answered as unconfirmed.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::account::{no_url, record, sizes, unsent, Account, Halt};
use crate::cli::Verbosity;
use crate::secret::{shown, Secret};
use crate::send::http::FailureKind;
use crate::send::pool::{Delivered, Endpoints, Payload, Pool};

/// How long a stopped run waits for the answers of requests in flight.
const STOP_GRACE: Duration = Duration::from_millis(700);
const TICK: Duration = Duration::from_millis(50);

/// Everything the deliverer hears, from the producer and the sending threads.
pub enum Event {
    Payload(Payload),
    /// The producer is done: it read every input to its end and handed on all it encoded,
    /// unless `read_to_end` is false (the run was stopped first).
    Done {
        read_to_end: bool,
    },
    Answered(Delivered),
    /// A line for stderr, e.g. a retry.
    Note(String),
}

/// Where a dry run puts what it would send.
pub enum DryRun<'a> {
    /// Lines as text on stdout, as they come; OTLP requests at the end.
    Print(&'a mut dyn Write),
    /// Kept for the JSON report.
    Keep,
}

/// What a dry run would have sent.
#[derive(Default)]
pub struct Payloads {
    pub lines: Vec<String>,
    pub otlp: Vec<serde_json::Value>,
}

pub struct Deliverer<'a> {
    pub events: Receiver<Event>,
    /// Gives the producer back one token per payload taken off its hands.
    pub tokens: SyncSender<()>,
    pub stop: Arc<AtomicBool>,
    /// A second signal: answers in flight are no longer waited for.
    pub hurry: Arc<AtomicBool>,
    /// When the metrics must be done, and how long after the start that is.
    pub deadline: Option<(Instant, Duration)>,
    /// The time after that deadline, kept for the events.
    pub kept_for_events: Duration,
    /// A payload found too large is halved only until then (the retry budget).
    pub halve_until: Instant,
    pub stderr: &'a mut dyn Write,
    /// Quiet drops the notes (retries); verbose adds a line per request answered.
    pub verbosity: Verbosity,
}

/// How many requests may be in flight: halved when Dynatrace throttles, then one more after
/// each window of answers without throttling, up to the configured ceiling.
struct Window {
    limit: usize,
    ceiling: usize,
    answers: usize,
}

impl Window {
    fn new(ceiling: usize) -> Window {
        Window {
            limit: ceiling.max(1),
            ceiling: ceiling.max(1),
            answers: 0,
        }
    }

    fn answered(&mut self, throttled: bool) {
        if throttled {
            self.limit = (self.limit / 2).max(1);
            self.answers = 0;
        } else if self.limit < self.ceiling {
            self.answers += 1;
            if self.answers >= self.limit {
                self.limit += 1;
                self.answers = 0;
            }
        }
    }
}

/// Requests in flight, and what they hold.
#[derive(Default)]
struct InFlight {
    requests: usize,
    lines: usize,
    points: usize,
}

impl InFlight {
    fn add(&mut self, payload: &Payload, sign: isize) {
        let (lines, points) = sizes(payload);
        let step = |n: &mut usize, by: usize| *n = n.saturating_add_signed(sign * by as isize);
        step(&mut self.requests, 1);
        step(&mut self.lines, lines);
        step(&mut self.points, points);
    }
}

impl Deliverer<'_> {
    /// Prints (or keeps) what a dry run would send, until the producer is done.
    pub fn dry_run(mut self, mut mode: DryRun) -> std::io::Result<(Payloads, Account)> {
        let mut payloads = Payloads::default();
        let mut account = Account::default();
        while !account.producer_done {
            let Some(event) = self.next(&mut account) else {
                break;
            };
            let Event::Payload(payload) = event else {
                continue;
            };
            account.take(&payload);
            let _ = self.tokens.send(());
            match (payload, &mut mode) {
                (Payload::Lines(batch), DryRun::Print(out)) => out.write_all(batch.body())?,
                (Payload::Lines(batch), DryRun::Keep) => {
                    payloads.lines.extend(batch.lines().map(str::to_owned))
                }
                (Payload::Otlp(otlp), _) => {
                    payloads.otlp.push(crate::otlp::request_json(&otlp.request))
                }
            }
        }
        if let DryRun::Print(out) = mode {
            // Printed, so not kept for the report as well.
            for request in std::mem::take(&mut payloads.otlp) {
                serde_json::to_writer(&mut *out, &request)?;
                writeln!(out)?;
            }
        }
        Ok((payloads, account))
    }

    /// Sends everything through `pool` to `endpoints` (a kind of payload without a URL is
    /// unsent, with a failure that says so), until the producer is done and every answer is in.
    /// At most `concurrency` requests are in flight: halved on every answer that met throttling
    /// (429), it grows back by one for every window of answers without. A failure that every
    /// later request would meet too (401, 403, 404, ...) halts sending; any other failed request
    /// leaves the others to be tried.
    pub fn send(
        mut self,
        pool: &Pool,
        endpoints: &Endpoints,
        secret: Option<&Secret>,
        concurrency: usize,
    ) -> Account {
        let mut account = Account::default();
        let mut pending: VecDeque<Payload> = VecDeque::new();
        let mut in_flight = InFlight::default();
        let mut window = Window::new(concurrency);
        let mut halted = false;
        // Payloads taken from the producer whose token has not gone back yet.
        let mut owed = 0;
        loop {
            while in_flight.requests < window.limit {
                let Some(payload) = pending.pop_front() else {
                    break;
                };
                if owed > 0 {
                    owed -= 1;
                    let _ = self.tokens.try_send(());
                }
                if halted {
                    unsent(&mut account, &payload);
                } else if endpoints.url(&payload).is_none() {
                    no_url(&mut account, &payload);
                } else {
                    in_flight.add(&payload, 1);
                    pool.submit(payload);
                }
            }
            if account.producer_done && pending.is_empty() && in_flight.requests == 0 {
                return account;
            }
            let Some(event) = self.next(&mut account) else {
                break;
            };
            match event {
                Event::Payload(payload) => {
                    account.take(&payload);
                    owed += 1;
                    pending.push_back(payload);
                }
                Event::Answered(delivered) => {
                    self.tell(&delivered, endpoints);
                    in_flight.add(&delivered.payload, -1);
                    window.answered(delivered.posted.throttled);
                    let may_halve = Instant::now() < self.halve_until;
                    let failed = record(
                        &mut account,
                        delivered,
                        endpoints,
                        secret,
                        &mut pending,
                        may_halve,
                    );
                    halted |= failed == Some(FailureKind::Fatal);
                }
                Event::Done { .. } | Event::Note(_) => {}
            }
        }
        // Stopped: nothing more is sent; answers already on their way are still counted, unless
        // a second signal asks for the report at once.
        let grace = Instant::now() + STOP_GRACE;
        while in_flight.requests > 0
            && Instant::now() < grace
            && !self.hurry.load(Ordering::Relaxed)
        {
            match self.events.recv_timeout(TICK) {
                Ok(Event::Answered(delivered)) => {
                    self.tell(&delivered, endpoints);
                    in_flight.add(&delivered.payload, -1);
                    record(
                        &mut account,
                        delivered,
                        endpoints,
                        secret,
                        &mut pending,
                        false,
                    );
                }
                Ok(Event::Payload(payload)) => {
                    account.take(&payload);
                    pending.push_back(payload);
                }
                _ => {}
            }
        }
        for payload in pending.drain(..) {
            unsent(&mut account, &payload);
        }
        // Requests still in flight went out: whether Dynatrace took them is not known.
        account.lines.sent += in_flight.lines;
        account.lines.unconfirmed += in_flight.lines;
        account.otlp.points_sent += in_flight.points;
        account.otlp.unconfirmed_points += in_flight.points;
        account
    }

    /// The next event, or `None` when the run is stopped or nothing more can come. Notes go to
    /// stderr on the way.
    fn next(&mut self, account: &mut Account) -> Option<Event> {
        loop {
            if let Some((at, setting)) = self.deadline {
                if Instant::now() >= at && !self.stop.load(Ordering::Relaxed) {
                    account.halted.get_or_insert(Halt::Deadline {
                        after: setting,
                        kept: self.kept_for_events,
                    });
                    self.stop.store(true, Ordering::Relaxed);
                }
            }
            if self.stop.load(Ordering::Relaxed) {
                account.halted.get_or_insert(Halt::Signal);
                return None;
            }
            match self.events.recv_timeout(TICK) {
                Ok(Event::Note(text)) => {
                    if self.verbosity != Verbosity::Quiet {
                        let _ = writeln!(self.stderr, "keptn-dt-metrics: {text}");
                    }
                }
                Ok(Event::Done { read_to_end }) => {
                    account.producer_done = true;
                    account.read_to_end = read_to_end;
                    return Some(Event::Done { read_to_end });
                }
                Ok(event) => return Some(event),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return None,
            }
        }
    }
}

impl Deliverer<'_> {
    /// `--verbose`: one stderr line per request answered, e.g.
    /// `POST https://.../api/v2/metrics/ingest: 202 Accepted, 1000 line(s), 1 attempt(s), 12 ms`.
    fn tell(&mut self, delivered: &Delivered, endpoints: &Endpoints) {
        if self.verbosity != Verbosity::Verbose {
            return;
        }
        let posted = &delivered.posted;
        let answer = match &posted.answer {
            Ok(answer) => answer.status.to_string(),
            Err(failure) => format!("failed: {}", failure.text),
        };
        let (lines, points) = sizes(&delivered.payload);
        let what = match delivered.payload {
            Payload::Lines(_) => format!("{lines} line(s)"),
            Payload::Otlp(_) => format!("{points} histogram point(s)"),
        };
        let url = endpoints
            .url(&delivered.payload)
            .map(shown)
            .unwrap_or_default();
        let _ = writeln!(
            self.stderr,
            "keptn-dt-metrics: POST {url}: {answer}, {what}, {} attempt(s), {} ms",
            posted.attempts,
            posted.elapsed.as_millis()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_halves_the_window_which_grows_back_one_at_a_time() {
        let mut window = Window::new(16);
        window.answered(true);
        assert_eq!(window.limit, 8);
        window.answered(true);
        window.answered(true);
        window.answered(true);
        window.answered(true);
        assert_eq!(window.limit, 1, "never below one");
        window.answered(false);
        assert_eq!(window.limit, 2);
        for _ in 0..2 {
            window.answered(false);
        }
        assert_eq!(window.limit, 3);
        for _ in 0..1000 {
            window.answered(false);
        }
        assert_eq!(window.limit, 16, "never above the ceiling");
    }
}
