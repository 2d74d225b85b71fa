//! The producer: a thread that reads the inputs, encodes each item as it is read, and hands full
//! line batches and OTLP requests on. It holds at most one batch of each; a token channel makes
//! it wait while the deliverer has enough in hand, so memory stays flat whatever the input size.
//! Once the run is stopped it hands nothing more on: what it encoded and holds is counted as
//! unsent by the deliverer's account (encoded lines less lines handed on).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::encode::EncodeSettings;
use crate::encode::LineEncoder;
use crate::histogram::summary_twin;
use crate::model::{Capped, Histogram, Metadata, Metric, Origin, RecordCount, Refusal, Warning};
use crate::otlp::{OtlpEncoder, Packer, Window};
use crate::send::batch::Batcher;
use crate::send::pool::Payload;
use crate::sink::Sink;

use super::deliver::Event;

/// What the producer found on the way, shared with the deliverer, which reports it even when
/// the run is stopped before the producer is done.
#[derive(Debug)]
pub struct Findings {
    /// Lines that passed local validation.
    pub lines: usize,
    /// Of them, metadata lines.
    pub metadata_lines: usize,
    /// OTLP points that passed local validation.
    pub points: usize,
    pub line_refusals: Capped<Refusal>,
    pub warnings: Capped<Warning>,
    pub otlp_refusals: Capped<Refusal>,
    /// What became of the records of inputs that aggregate them, one entry per such input.
    pub records: Vec<RecordCount>,
}

impl Findings {
    pub fn new(limit: usize) -> Findings {
        Findings {
            lines: 0,
            metadata_lines: 0,
            points: 0,
            line_refusals: Capped::new(limit),
            warnings: Capped::new(limit),
            otlp_refusals: Capped::new(limit),
            records: Vec::new(),
        }
    }
}

pub struct Producer {
    encoder: LineEncoder,
    otlp: OtlpEncoder,
    window: Window,
    now_ms: i64,
    summaries: bool,
    batcher: Batcher,
    packer: Packer,
    /// Summary twins of the histograms, sent after everything else, as they always were.
    twins: Vec<Metric>,
    findings: Arc<Mutex<Findings>>,
    out: Sender<Event>,
    /// One token per payload handed on; the deliverer gives them back. `None`: no wait (the
    /// whole input is small, and read before delivery starts).
    tokens: Option<Receiver<()>>,
    stop: Arc<AtomicBool>,
}

pub struct Setup<'a> {
    pub settings: &'a EncodeSettings,
    pub window: Window,
    pub now_ms: i64,
    pub summaries: bool,
    pub findings: Arc<Mutex<Findings>>,
    pub out: Sender<Event>,
    pub tokens: Option<Receiver<()>>,
    pub stop: Arc<AtomicBool>,
}

impl Producer {
    pub fn new(setup: Setup) -> Producer {
        Producer {
            encoder: LineEncoder::new(setup.settings),
            otlp: OtlpEncoder::new(setup.settings),
            window: setup.window,
            now_ms: setup.now_ms,
            summaries: setup.summaries,
            batcher: Batcher::default(),
            packer: Packer::default(),
            twins: Vec::new(),
            findings: setup.findings,
            out: setup.out,
            tokens: setup.tokens,
            stop: setup.stop,
        }
    }

    /// Encodes the summary twins, hands on what is left, and says whether all was read
    /// (`read_whole`: the inputs were read to their end) and handed on.
    pub fn finish(mut self, read_whole: bool) {
        let twins = std::mem::take(&mut self.twins);
        let twins_left = !twins.is_empty() && self.stopped();
        if !self.stopped() {
            for twin in twins {
                self.metric(&twin);
            }
        }
        let batch = std::mem::take(&mut self.batcher).finish();
        if let Some(batch) = batch {
            self.hand_on(Payload::Lines(batch));
        }
        let request = std::mem::take(&mut self.packer).finish(&self.otlp);
        if let Some(request) = request {
            self.hand_on(request.into());
        }
        let read_to_end = read_whole && !twins_left;
        let _ = self.out.send(Event::Done { read_to_end });
    }

    fn line(&mut self, text: &str, origin: &Origin) {
        if let Some(full) = self.batcher.push(text, origin.clone()) {
            self.hand_on(Payload::Lines(full));
        }
    }

    /// Hands `payload` on once the deliverer has room; once the run is stopped, keeps it (it is
    /// then counted as unsent).
    fn hand_on(&mut self, payload: Payload) {
        while let Some(tokens) = &self.tokens {
            if self.stopped() {
                return;
            }
            match tokens.recv_timeout(Duration::from_millis(50)) {
                Ok(()) => break,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        if !self.stopped() {
            let _ = self.out.send(Event::Payload(payload));
        }
    }

    fn findings(&self) -> MutexGuard<'_, Findings> {
        lock(&self.findings)
    }
}

/// The findings, whatever a panic elsewhere left them as: counts and lists stay usable.
pub fn lock(findings: &Mutex<Findings>) -> MutexGuard<'_, Findings> {
    findings.lock().unwrap_or_else(|e| e.into_inner())
}

impl Sink for Producer {
    fn metric(&mut self, metric: &Metric) {
        let full = {
            let mut findings = lock(&self.findings);
            let findings = &mut *findings;
            let (encoder, now_ms) = (&mut self.encoder, self.now_ms);
            let pushed = self.batcher.push_with(&metric.origin, |body| {
                encoder.write_metric(metric, now_ms, &mut findings.warnings, body)
            });
            match pushed {
                Ok(full) => {
                    findings.lines += 1;
                    full
                }
                Err(problem) => {
                    findings.line_refusals.push(problem.at(&metric.origin));
                    None
                }
            }
        };
        if let Some(full) = full {
            self.hand_on(Payload::Lines(full));
        }
    }

    fn metadata(&mut self, metadata: &Metadata) {
        let encoded = {
            let mut findings = lock(&self.findings);
            match self.encoder.metadata(metadata, &mut findings.warnings) {
                Ok(Some(text)) => {
                    findings.lines += 1;
                    findings.metadata_lines += 1;
                    Some(text)
                }
                Ok(None) => None,
                Err(problem) => {
                    findings.line_refusals.push(problem.at(&metadata.origin));
                    None
                }
            }
        };
        if let Some(text) = encoded {
            self.line(&text, &metadata.origin);
        }
    }

    fn histogram(&mut self, histogram: Histogram) {
        let metric = match self.otlp.metric(&histogram, self.window) {
            Ok(metric) => metric,
            Err(problem) => {
                let refusal = problem.at(&histogram.origin);
                return self.findings().otlp_refusals.push(refusal);
            }
        };
        self.findings().points += 1;
        if let Some(request) = self.packer.push(&self.otlp, metric) {
            self.hand_on(request.into());
        }
        if self.summaries {
            match summary_twin(&histogram) {
                Ok(twin) => self.twins.push(twin),
                Err(problem) => {
                    let refusal = problem.at(&histogram.origin);
                    self.findings().otlp_refusals.push(refusal);
                }
            }
        }
    }

    fn refused(&mut self, refusal: Refusal) {
        self.findings().line_refusals.push(refusal);
    }

    fn histogram_refused(&mut self, refusal: Refusal) {
        self.findings().otlp_refusals.push(refusal);
    }

    fn warning(&mut self, warning: Warning) {
        self.findings().warnings.push(warning);
    }

    fn records(&mut self, count: RecordCount) {
        self.findings().records.push(count);
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}
