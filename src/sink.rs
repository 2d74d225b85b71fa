//! What every reader writes to and shares: the [`Sink`] trait, where an input's bytes come from
//! ([`Location`]), and reading a text input line by line within the protocol's limits. The metric
//! parsers in `input/` and the load-test aggregators in `results/` both use it; neither uses the
//! other's insides.

use std::io::{BufRead, Read};
use std::path::PathBuf;
use std::sync::Arc;

use crate::model::{
    Code, Histogram, Metadata, Metric, Origin, Position, RecordCount, Refusal, Warning,
};

/// Where a source's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Stdin,
    File(PathBuf),
}

impl Location {
    /// `-` means stdin, anything else a file.
    pub fn from_arg(path: PathBuf) -> Location {
        if path.as_os_str() == "-" {
            Location::Stdin
        } else {
            Location::File(path)
        }
    }

    /// The name reports give the input: the path as the user wrote it, or `stdin`.
    pub fn name(&self) -> Arc<str> {
        match self {
            Location::Stdin => Arc::from("stdin"),
            Location::File(path) => Arc::from(path.display().to_string()),
        }
    }
}

/// Where readers put what they read.
pub trait Sink {
    fn metric(&mut self, metric: &Metric);
    /// A metric its reader is done with: a sink that keeps metrics may take what it holds and
    /// leave other buffers in its place (every field is set again before the next use).
    fn metric_moved(&mut self, metric: &mut Metric) {
        self.metric(metric);
    }
    fn metadata(&mut self, metadata: &Metadata);
    fn histogram(&mut self, histogram: Histogram);
    /// A metric, metadata or line that will not be sent (reported with the lines).
    fn refused(&mut self, refusal: Refusal);
    /// A histogram or sample that will not be sent (reported with OTLP).
    fn histogram_refused(&mut self, refusal: Refusal);
    /// A note about something read that is sent, but not exactly as given.
    fn warning(&mut self, _warning: Warning) {}
    /// What became of the records of an input that aggregates them (load-test results).
    fn records(&mut self, _count: RecordCount) {}
    /// True once the run is stopped: readers then read no further.
    fn stopped(&self) -> bool {
        false
    }
}

pub const BUFFER: usize = 256 * 1024;
/// The longest line a text input may have: the line protocol's limit.
pub const MAX_LINE_CHARS: usize = 50_000;

/// Reads the next line of a text input into `line` (without its line break), at most
/// [`MAX_LINE_CHARS`] characters; `Ok(false)` at the end.
pub fn next_line(reader: &mut dyn BufRead, line: &mut String) -> Result<bool, String> {
    let mut bytes = std::mem::take(line).into_bytes();
    bytes.clear();
    // Four bytes per character at most, so this bound lets every allowed line through.
    let limit = 4 * MAX_LINE_CHARS as u64 + 2;
    let read = reader
        .take(limit)
        .read_until(b'\n', &mut bytes)
        .map_err(|e| format!("it could not be read: {e}"))?;
    if read == 0 {
        return Ok(false);
    }
    let complete = bytes.ends_with(b"\n") || (read as u64) < limit;
    *line = String::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_owned())?;
    line.truncate(line.trim_end_matches(['\n', '\r']).len());
    if !complete || line.chars().count() > MAX_LINE_CHARS {
        return Err(format!(
            "the line is longer than {MAX_LINE_CHARS} characters, the most a line may have"
        ));
    }
    Ok(true)
}

/// The refusal for a text input that cannot be read on from line `number`.
pub fn broken(name: &Arc<str>, number: u64, why: &str) -> Refusal {
    Refusal {
        origin: Origin::new(name, Position::Line(number)),
        code: Code::InputMalformed,
        reason: format!("{name} stops here: {why}; the rest of it was not read"),
    }
}

/// A sink that keeps everything, for tests of the readers.
#[cfg(test)]
#[derive(Debug, Default)]
pub(crate) struct Collected {
    pub metrics: Vec<Metric>,
    pub metadata: Vec<Metadata>,
    pub histograms: Vec<Histogram>,
    pub refusals: Vec<Refusal>,
    pub histogram_refusals: Vec<Refusal>,
    pub warnings: Vec<Warning>,
    pub records: Vec<RecordCount>,
}

#[cfg(test)]
impl Sink for Collected {
    fn metric(&mut self, metric: &Metric) {
        self.metrics.push(metric.clone());
    }
    fn metadata(&mut self, metadata: &Metadata) {
        self.metadata.push(metadata.clone());
    }
    fn histogram(&mut self, histogram: Histogram) {
        self.histograms.push(histogram);
    }
    fn refused(&mut self, refusal: Refusal) {
        self.refusals.push(refusal);
    }
    fn histogram_refused(&mut self, refusal: Refusal) {
        self.histogram_refusals.push(refusal);
    }
    fn warning(&mut self, warning: Warning) {
        self.warnings.push(warning);
    }
    fn records(&mut self, count: RecordCount) {
        self.records.push(count);
    }
}

#[cfg(test)]
impl Collected {
    /// `origin reason` of each refusal, lines' and histograms' together.
    pub fn refusal_texts(&self) -> Vec<String> {
        self.refusals
            .iter()
            .chain(&self.histogram_refusals)
            .map(|r| format!("{} {}", r.origin, r.reason))
            .collect()
    }
}
