//! The run: read -> encode -> send -> report, once or every interval (`--loop`). Everything the
//! outside world gives (stdin, stdout, stderr, the clock) is passed in, so that a run can be
//! driven in-process by tests.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use reqwest::blocking::Client;

use crate::cli::{Cli, OutputFormat, Verbosity};
use crate::config::Config;
use crate::model::Code;
use crate::otlp::Window;
use crate::printable::printable;
use crate::report::{github_output, Outcome, Report};
use crate::secret::redact;
use crate::send::http;

mod account;
pub use account::Halt;
/// Public for the hand-off benchmark (`benches/encode.rs`).
pub mod chunk;
mod deliver;
mod events;
mod produce;
mod read;
mod round;

/// The time, as nanoseconds since 1970.
pub trait Clock {
    fn now_ns(&self) -> u64;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ns(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    }
}

/// What a run reads from and writes to.
pub struct Io<'a> {
    pub stdin: Box<dyn Read + Send>,
    pub stdout: &'a mut dyn Write,
    pub stderr: &'a mut dyn Write,
    pub clock: &'a dyn Clock,
    /// Set when the run must stop (SIGTERM, SIGINT): it then reports what it did and ends.
    pub stop: Arc<AtomicBool>,
    /// Set by a second signal: the report is wanted now, not after answers in flight.
    pub hurry: Arc<AtomicBool>,
    /// Set by a signal only (`stop` is also set by the deadline): events are not sent after it.
    pub signalled: Arc<AtomicBool>,
}

/// Runs what `cli` asks for and writes the report; the outcome decides the exit code.
pub fn run(cli: Cli, io: Io) -> Outcome {
    let Io {
        stdin,
        stdout,
        stderr,
        clock,
        stop,
        hurry,
        signalled,
    } = io;
    let (output, dry_run) = (cli.output, cli.dry_run);
    // Any message may echo a value given, which may be the token (in a path, a URL, a label).
    let secret = cli.api_token.clone();
    let redacted = |error: &anyhow::Error| redact(&format!("{error:#}"), secret.as_ref());
    let usage_error = |stdout: &mut dyn Write, stderr: &mut dyn Write, error: anyhow::Error| {
        report_usage_error(output, dry_run, stdout, stderr, &redacted(&error))
    };
    let started_ns = clock.now_ns();
    let config = match Config::from_cli(cli) {
        Ok(config) => config,
        Err(error) => return usage_error(stdout, stderr, error),
    };
    if config.verbosity != Verbosity::Quiet {
        for note in config
            .warnings
            .iter()
            .filter(|w| w.code == Code::TenantUrlChanged)
        {
            let _ = writeln!(stderr, "keptn-dt-metrics: warning: {}", note.text);
        }
    }
    let client = match config.destination.as_ref().map(http::client).transpose() {
        Ok(client) => client,
        Err(error) => return usage_error(stdout, stderr, error),
    };
    let started = Instant::now();
    let pipeline = Pipeline {
        config: &config,
        client,
        stop,
        hurry,
        signalled,
        started,
        deadline: config.deadline.map(|d| (started + d, d)),
        kept_for_events: config.time_kept_for_events(),
    };
    let mut report = match config.loop_interval {
        None => {
            let window = Window {
                start_ns: started_ns,
                end_ns: clock.now_ns().max(started_ns + 1),
            };
            let now_ms = (clock.now_ns() / 1_000_000) as i64;
            match pipeline.round(window, now_ms, stdin, stdout, stderr) {
                Ok(report) => report,
                Err(error) => return usage_error(stdout, stderr, error),
            }
        }
        Some(interval) => match pipeline.run_loop(started_ns, interval, clock, stdout, stderr) {
            Ok((report, None)) => report,
            Ok((mut report, Some(error))) => {
                let message = format!("{}; the report shows the rounds before", redacted(&error));
                let _ = writeln!(stderr, "keptn-dt-metrics: error: {}", printable(&message));
                report.usage_error(message);
                report
            }
            Err(error) => return usage_error(stdout, stderr, error),
        },
    };
    report.add_setup(&config.context, &config.warnings, config.report_limit);
    if let Some(settings) = &config.event {
        let run = Window {
            start_ns: started_ns,
            end_ns: clock.now_ns().max(started_ns + 1),
        };
        let events = pipeline.events(settings, &report, run, stderr);
        report.add_events(events);
    }
    let written =
        write_report(&config, &report, stdout, stderr).and_then(|()| match &config.github_output {
            Some(path) => github_output::write(path, &report),
            None => Ok(()),
        });
    if let Err(error) = written {
        report.usage_error(format!("{error:#}"));
        let _ = writeln!(
            stderr,
            "keptn-dt-metrics: error: {}",
            printable(&format!("{error:#}"))
        );
    }
    report.outcome
}

/// Says what was wrong on stderr and, with `--output json`, as a report on stdout too, so that a
/// machine reading stdout always finds one.
pub fn report_usage_error(
    output: OutputFormat,
    dry_run: bool,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
    message: &str,
) -> Outcome {
    let _ = writeln!(stderr, "keptn-dt-metrics: error: {}", printable(message));
    if output == OutputFormat::Json {
        let mut report = Report::new(dry_run, Default::default(), Default::default());
        report.usage_error(message.to_owned());
        let _ = report.write_json(stdout);
        let _ = stdout.flush();
    }
    Outcome::UsageError
}

struct Pipeline<'a> {
    config: &'a Config,
    client: Option<Client>,
    stop: Arc<AtomicBool>,
    hurry: Arc<AtomicBool>,
    signalled: Arc<AtomicBool>,
    /// The retry budget counts from here.
    started: Instant,
    /// When the run must end (not in `--loop`), and the setting that said so.
    deadline: Option<(Instant, Duration)>,
    /// Of the time before the deadline, what the metrics leave to the events after them.
    kept_for_events: Duration,
}

impl Pipeline<'_> {
    /// A sender with the destination's client, token and retry settings, stopped by `stop` and
    /// ending by `deadline`.
    fn sender(
        &self,
        destination: &crate::destination::Destination,
        client: &Client,
        stop: &Arc<AtomicBool>,
        deadline: Option<Instant>,
    ) -> http::Sender {
        http::Sender {
            client: client.clone(),
            token: destination.token.clone(),
            policy: crate::send::retry::RetryPolicy {
                retries: destination.retries,
                budget: destination.retry_budget,
            },
            started: self.started,
            stop: Arc::clone(stop),
            deadline,
            timeout: destination.timeout,
        }
    }

    /// When the metrics must be done, and how long after the start that is.
    fn metrics_deadline(&self) -> Option<(Instant, Duration)> {
        self.deadline.map(|(at, after)| {
            let kept = self.kept_for_events;
            (at - kept, after.saturating_sub(kept))
        })
    }
}

impl Pipeline<'_> {
    /// `--loop`: a round every `interval` until SIGTERM or SIGINT; each round's DELTA window
    /// starts where the previous one ended. Returns the totals of all rounds, and the error that
    /// ended the loop early, if one did after the first round (an error in the first is returned
    /// as such).
    fn run_loop(
        &self,
        started_ns: u64,
        interval: Duration,
        clock: &dyn Clock,
        stdout: &mut dyn Write,
        stderr: &mut dyn Write,
    ) -> Result<(Report, Option<anyhow::Error>)> {
        let mut totals: Option<Report> = None;
        let mut window_start = started_ns;
        for round in 1.. {
            let round_started = Instant::now();
            let window_end = clock.now_ns().max(window_start + 1);
            let window = Window {
                start_ns: window_start,
                end_ns: window_end,
            };
            let now_ms = (clock.now_ns() / 1_000_000) as i64;
            let stdin = Box::new(std::io::empty());
            let report = match self.round(window, now_ms, stdin, stdout, stderr) {
                Ok(report) => report,
                Err(error) => {
                    return match totals {
                        None => Err(error),
                        Some(totals) => Ok((totals, Some(error))),
                    }
                }
            };
            window_start = window_end;
            if self.config.verbosity != Verbosity::Quiet {
                let _ = writeln!(stderr, "{}", round_line(round, &report));
            }
            match &mut totals {
                Some(totals) => totals.absorb(report, self.config.report_limit),
                None => {
                    let mut first = report;
                    first.rounds = Some(1);
                    totals = Some(first);
                }
            }
            while !self.stop.load(Ordering::Relaxed) && round_started.elapsed() < interval {
                std::thread::sleep(Duration::from_millis(50));
            }
            if self.stop.load(Ordering::Relaxed) {
                break;
            }
        }
        Ok((totals.expect("at least one round ran"), None))
    }
}

/// What one round of `--loop` did, for stderr.
fn round_line(round: u64, report: &Report) -> String {
    let (lines, points) = (&report.lines, &report.otlp);
    let refused = lines.refused_locally + points.refused_locally;
    if report.dry_run {
        return format!(
            "round {round}: {} line(s) and {} histogram point(s) would be sent, {refused} refused; \
             nothing was sent",
            lines.total, points.points
        );
    }
    let outcome = serde_json::to_value(report.outcome)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    format!(
        "round {round}: {} line(s) and {} histogram point(s) sent, {refused} refused locally, \
         outcome {outcome}",
        lines.sent, points.points_sent
    )
}

fn write_report(
    config: &Config,
    report: &Report,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<()> {
    let quiet = config.verbosity == Verbosity::Quiet;
    let written = match config.output {
        OutputFormat::Json => report.write_json(stdout),
        OutputFormat::Text => report.write_text(stdout, stderr, quiet),
    };
    match written.and_then(|()| stdout.flush()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(error).context("writing the report")
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
#[path = "mod_tests.rs"]
mod tests;
