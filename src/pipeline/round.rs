//! One round: open the inputs, then read, encode and print or send them, streaming, and make
//! the report of it.

use std::io::{Read, Write};
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc, Mutex};

use anyhow::{Context, Result};

use super::account::{Account, Halt};
use super::deliver::{Deliverer, DryRun, Event, Payloads};
use super::produce::{self, Findings, Producer};
use super::read;
use super::Pipeline;
use crate::cli::OutputFormat;
use crate::input;
use crate::otlp::Window;
use crate::report::{LinesResult, OtlpResult, Report};
use crate::secret::shown;
use crate::send::pool::{Endpoints, Pool};

/// Inputs up to this size (files and `--metric` values, no stdin) are read and encoded before
/// delivery starts, without threads: a one-shot run starts none it does not need.
const SMALL_INPUT: u64 = 256 << 10;
/// Payloads the producer may hold before the whole-file check has passed. Past them reading
/// and encoding wait for it, so a large file's check is on the run's critical path (hence its
/// two halves at once); more would cost memory (a 1M send peaks at 35 MiB against 30 with 8,
/// 45 with 66) for little (66: 2-4 % on 200,000 metrics, within the noise).
const EARLY_PAYLOADS: usize = 32;

impl Pipeline<'_> {
    /// Reads, encodes and sends once, streaming: a producer thread reads and encodes while this
    /// one prints or sends (a small input is read and encoded first, on this thread). An `Err`
    /// happened before anything was sent.
    pub(super) fn round(
        &self,
        window: Window,
        now_ms: i64,
        stdin: Box<dyn Read + Send>,
        stdout: &mut dyn Write,
        stderr: &mut dyn Write,
    ) -> Result<Report> {
        let config = self.config;
        let (opened, mut checks) = input::open(&config.sources, stdin, now_ms)?;
        let small = input::small(&config.sources, SMALL_INPUT);
        if small {
            std::mem::take(&mut checks).run()?;
        }
        let findings = Arc::new(Mutex::new(Findings::new(config.report_limit)));
        let (events, events_in) = mpsc::channel::<Event>();
        // Payloads the producer may hand on before the deliverer has taken them off its hands.
        let held = config.concurrency + 2;
        let (tokens, tokens_in) = mpsc::sync_channel::<()>(held);
        // While the whole-file check runs nothing goes out: the producer may run only a little
        // ahead of it, so that memory stays as it is when sending.
        let early = held.min(EARLY_PAYLOADS);
        for _ in 0..early {
            let _ = tokens.send(());
        }
        let producer = Producer::new(produce::Setup {
            settings: &config.encoding,
            window,
            now_ms,
            summaries: config.histogram_summaries,
            findings: Arc::clone(&findings),
            out: events.clone(),
            // A small input is read whole before delivery starts: nothing to wait for.
            tokens: (!small).then_some(tokens_in),
            stop: Arc::clone(&self.stop),
        });
        if small {
            read::inline(opened, producer, &self.stop);
        } else {
            read::streaming(opened, producer, &self.stop);
            // Meanwhile, on this thread: the reader and encoder run ahead only as far as the
            // payloads they may hold, and nothing is printed or sent before the check passes.
            if let Err(error) = checks.run() {
                self.stop.store(true, Ordering::SeqCst);
                return Err(error);
            }
            for _ in early..held {
                let _ = tokens.send(());
            }
        }
        let deliverer = Deliverer {
            events: events_in,
            tokens,
            stop: Arc::clone(&self.stop),
            hurry: Arc::clone(&self.hurry),
            deadline: self.metrics_deadline(),
            kept_for_events: self.kept_for_events,
            halve_until: self.started + config.retry_budget(),
            stderr,
            verbosity: config.verbosity,
        };
        let dry_run = config.destination.is_none();
        let (payloads, account, endpoints) = match (&config.destination, &self.client) {
            (Some(destination), Some(client)) => {
                let endpoints = Endpoints {
                    metrics: destination.metrics_url.clone(),
                    otlp: destination.otlp_url.clone(),
                    gzip: destination.gzip,
                };
                let deadline = self.metrics_deadline().map(|(at, _)| at);
                let sender = self.sender(destination, client, &self.stop, deadline);
                let answers = events.clone();
                let notes = events.clone();
                let pool = Pool::start(
                    config.concurrency,
                    sender,
                    endpoints.clone(),
                    move |delivered| {
                        let _ = answers.send(Event::Answered(delivered));
                    },
                    move |note| {
                        let _ = notes.send(Event::Note(note));
                    },
                );
                drop(events);
                let account =
                    deliverer.send(&pool, &endpoints, destination.secret(), config.concurrency);
                (Payloads::default(), account, Some(endpoints))
            }
            _ => {
                drop(events);
                let mode = match config.output {
                    OutputFormat::Text => DryRun::Print(stdout),
                    OutputFormat::Json => DryRun::Keep,
                };
                let (payloads, account) = deliverer.dry_run(mode).context("writing the payload")?;
                (payloads, account, None)
            }
        };
        let mut account = account;
        let findings = std::mem::replace(&mut *produce::lock(&findings), Findings::new(0));
        account.settle(findings.lines, findings.points);
        if self.signalled.load(Ordering::Relaxed) {
            account.halted.get_or_insert(Halt::Signal);
        }
        Ok(report(dry_run, findings, account, payloads, endpoints))
    }
}

/// The report of one round.
fn report(
    dry_run: bool,
    findings: Findings,
    account: Account,
    payloads: Payloads,
    endpoints: Option<Endpoints>,
) -> Report {
    let lines = LinesResult {
        total: findings.lines,
        metadata: findings.metadata_lines,
        refusals: findings.line_refusals,
        warnings: findings.warnings,
        payload: dry_run.then_some(payloads.lines),
        endpoint: endpoints
            .as_ref()
            .and_then(|e| e.metrics.as_ref().map(shown)),
        delivery: Some(account.lines),
    };
    let otlp = OtlpResult {
        points: findings.points,
        refusals: findings.otlp_refusals,
        payload: dry_run.then_some(payloads.otlp),
        endpoint: endpoints.as_ref().and_then(|e| e.otlp.as_ref().map(shown)),
        delivery: Some(account.otlp),
    };
    let mut report = Report::new(dry_run, lines, otlp);
    report.records = findings.records.into_iter().map(Into::into).collect();
    if let Some(halt) = account.halted {
        report.stopped(halt, account.read_to_end);
    }
    report
}
