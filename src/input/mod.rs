//! Inputs: every format the tool reads, one file each, behind one [`Source`] enum. A reader
//! hands what it reads to a [`Sink`] item by item, in the order of the input, each with its
//! place ([`Origin`]). A source that cannot be opened or is not its format at all stops the run
//! (an `Err`, nothing is sent); a bad entry inside it is refused with its place and the rest goes
//! on.

mod json;
pub mod lineproto;
mod lines;
mod metric_arg;
pub mod results;
mod samples;

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};

use crate::model::{
    Code, Histogram, Metadata, Metric, Origin, Position, RecordCount, Refusal, Warning,
};

/// One input of a run, in the order the run reads them.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// `--metric`: `NAME=VALUE` or a line-protocol line with a relative key; `index` is 1-based.
    Argument { text: String, index: u32 },
    /// `--input`: a JSON document of metrics and histograms.
    Json(Location),
    /// `--lines`: line protocol as Dynatrace reads it.
    Lines(Location),
    /// `--histogram NAME=FILE`: one sample per line, bucketed with `bounds` (the OpenTelemetry
    /// SDK's defaults when `None`).
    Samples {
        name: String,
        location: Location,
        bounds: Option<Vec<f64>>,
    },
    /// `--results`: a load-testing tool's results, aggregated per request label.
    Results {
        location: Location,
        settings: results::Settings,
    },
}

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

impl Source {
    /// The name reports give the source.
    pub fn name(&self) -> Arc<str> {
        match self {
            Source::Argument { .. } => Arc::from("--metric"),
            Source::Json(location) | Source::Lines(location) => location.name(),
            Source::Samples { location, .. } | Source::Results { location, .. } => location.name(),
        }
    }

    pub fn location(&self) -> Option<&Location> {
        match self {
            Source::Argument { .. } => None,
            Source::Json(location) | Source::Lines(location) => Some(location),
            Source::Samples { location, .. } | Source::Results { location, .. } => Some(location),
        }
    }
}

/// Where readers put what they read.
pub trait Sink {
    fn metric(&mut self, metric: &Metric);
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

/// A source ready to be read: its file opened and its start checked.
pub struct Opened {
    name: Arc<str>,
    kind: Opening,
    /// The run's clock when the sources were opened, UTC milliseconds: for readers that decide
    /// whether a time they read lies inside what Dynatrace accepts.
    now_ms: i64,
}

enum Opening {
    Argument(Metric),
    Json(Box<dyn BufRead + Send>),
    Lines(Box<dyn BufRead + Send>),
    Samples {
        histogram: String,
        bounds: Option<Vec<f64>>,
        reader: Box<dyn BufRead + Send>,
    },
    Results(results::Opened),
}

/// Opens every source, before anything is sent: a file that cannot be opened, a `--metric` that
/// cannot be read or a JSON document that does not start as one is a usage error. `stdin` serves
/// the one source that is `-`; `now_ms` is the run's clock.
pub fn open(sources: &[Source], stdin: Box<dyn Read + Send>, now_ms: i64) -> Result<Vec<Opened>> {
    let mut stdin = Some(stdin);
    let mut open = |location: &Location| -> Result<Box<dyn BufRead + Send>> {
        let reader: Box<dyn Read + Send> = match location {
            Location::Stdin => stdin.take().context("stdin (`-`) can be read only once")?,
            Location::File(path) => Box::new(std::fs::File::open(path).with_context(|| {
                format!("reading {} (it must be a readable file)", path.display())
            })?),
        };
        Ok(Box::new(BufReader::with_capacity(BUFFER, reader)))
    };
    sources
        .iter()
        .map(|source| {
            let name = source.name();
            let kind = match source {
                Source::Argument { text, index } => {
                    Opening::Argument(metric_arg::parse(text, *index)?)
                }
                Source::Json(location) => {
                    let mut reader = open(location)?;
                    json::check_start(&name, &mut reader)?;
                    Opening::Json(reader)
                }
                Source::Lines(location) => Opening::Lines(open(location)?),
                Source::Samples {
                    name: histogram,
                    location,
                    bounds,
                } => Opening::Samples {
                    histogram: histogram.clone(),
                    bounds: bounds.clone(),
                    reader: open(location)?,
                },
                Source::Results { location, settings } => {
                    Opening::Results(results::open(&name, location, open(location)?, settings)?)
                }
            };
            Ok(Opened { name, kind, now_ms })
        })
        .collect()
}

/// Reads an opened source into `sink`. What cannot be read is refused with its place.
pub fn read(opened: Opened, sink: &mut dyn Sink) {
    let name = &opened.name;
    match opened.kind {
        Opening::Argument(metric) => sink.metric(&metric),
        Opening::Json(reader) => json::read(name, reader, sink),
        Opening::Lines(reader) => lines::read(name, reader, sink),
        Opening::Samples {
            histogram,
            bounds,
            reader,
        } => samples::read(&histogram, bounds, name, reader, sink),
        Opening::Results(results) => results::read(name, results, opened.now_ms, sink),
    }
}

/// Opens and reads every source in order, for tests and benchmarks.
pub fn read_all(
    sources: &[Source],
    stdin: Box<dyn Read + Send>,
    sink: &mut dyn Sink,
) -> Result<()> {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    for opened in open(sources, stdin, now_ms)? {
        read(opened, sink);
    }
    Ok(())
}

const BUFFER: usize = 256 * 1024;
/// The longest line a text input may have: the line protocol's limit.
pub const MAX_LINE_CHARS: usize = 50_000;

/// Reads the next line of a text input into `line` (without its line break), at most
/// [`MAX_LINE_CHARS`] characters; `Ok(false)` at the end.
fn next_line(reader: &mut dyn BufRead, line: &mut String) -> Result<bool, String> {
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
fn broken(name: &Arc<str>, number: u64, why: &str) -> Refusal {
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
