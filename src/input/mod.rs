//! Inputs: every format the tool reads, one file each, behind one [`Source`] enum. A reader
//! hands what it reads to a [`Sink`] item by item, in the order of the input, each with its
//! place ([`Origin`]). A source that cannot be opened, is a directory, or is not its format at
//! all (a JSON file: not well-formed anywhere in it) stops the run (an `Err`, nothing is sent);
//! a bad entry inside it is refused with its place and the rest goes on.

mod json;
pub mod lineproto;
mod lines;
mod metric_arg;
mod samples;

use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;

use anyhow::{Context, Result};

use crate::model::Metric;
use crate::results;
use crate::sink::BUFFER;
pub use crate::sink::{Location, Sink};

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

/// The whole-file checks of JSON documents (see [`json::check_file`]), their files opened: a
/// syntax error anywhere is a usage error, and nothing may be printed or sent before they pass.
/// They can run while the same files are read and encoded.
#[derive(Default)]
pub struct WholeChecks(Vec<(Arc<str>, std::fs::File)>);

impl WholeChecks {
    pub fn run(self) -> Result<()> {
        for (name, file) in self.0 {
            json::check_file(&name, file)?;
        }
        Ok(())
    }
}

/// Opens every source, before anything is sent: a file that cannot be opened, a `--metric` that
/// cannot be read or a JSON document that does not start as one is a usage error. `stdin` serves
/// the one source that is `-`; `now_ms` is the run's clock. The JSON files' whole-file checks
/// are returned to run.
pub fn open(
    sources: &[Source],
    stdin: Box<dyn Read + Send>,
    now_ms: i64,
) -> Result<(Vec<Opened>, WholeChecks)> {
    let mut checks = WholeChecks::default();
    let mut stdin = Some(stdin);
    let mut open = |location: &Location, expected: &str| -> Result<Box<dyn BufRead + Send>> {
        let reader: Box<dyn Read + Send> = match location {
            Location::Stdin => stdin.take().context("stdin (`-`) can be read only once")?,
            Location::File(path) => Box::new(open_file(path, expected)?),
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
                    let mut reader = open(location, TAKES_JSON)?;
                    json::check_start(&name, &mut reader)?;
                    if let Location::File(path) = location {
                        let file = open_file(path, TAKES_JSON)?;
                        checks.0.push((Arc::clone(&name), file));
                    }
                    Opening::Json(reader)
                }
                Source::Lines(location) => Opening::Lines(open(location, TAKES_LINES)?),
                Source::Samples {
                    name: histogram,
                    location,
                    bounds,
                } => Opening::Samples {
                    histogram: histogram.clone(),
                    bounds: bounds.clone(),
                    reader: open(location, TAKES_SAMPLES)?,
                },
                Source::Results { location, settings } => {
                    let reader = open(location, TAKES_RESULTS)?;
                    Opening::Results(results::open(&name, location, reader, settings)?)
                }
            };
            Ok(Opened { name, kind, now_ms })
        })
        .collect::<Result<_>>()
        .map(|opened| (opened, checks))
}

/// What each flag takes, said when it is given a directory.
const TAKES_JSON: &str = "--input takes a JSON file (or `-` for stdin)";
const TAKES_LINES: &str = "--lines takes a text file of line protocol (or `-` for stdin)";
const TAKES_SAMPLES: &str =
    "--histogram NAME=FILE takes a text file of samples, one number per line (or `-` for stdin)";
const TAKES_RESULTS: &str =
    "--results takes a results file as JMeter, Locust or k6 wrote it (or `-` for stdin)";

/// Opens a file to read, which must be one: a directory is a usage error naming it and saying
/// what `expected` (what the flag takes).
fn open_file(path: &std::path::Path, expected: &str) -> Result<std::fs::File> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("reading {} (it must be a readable file)", path.display()))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        anyhow::bail!("{} is a directory: {expected}", path.display());
    }
    Ok(file)
}

/// True when every source is a `--metric` value or a regular file and the files hold at most
/// `limit` bytes in all: such inputs are read whole before delivery starts. Stdin, a pipe or a
/// device may be endless: never small.
pub fn small(sources: &[Source], limit: u64) -> bool {
    let mut bytes = 0u64;
    sources.iter().all(|source| match source.location() {
        None => true,
        Some(Location::Stdin) => false,
        Some(Location::File(path)) => std::fs::metadata(path).is_ok_and(|meta| {
            bytes = bytes.saturating_add(meta.len());
            meta.is_file() && bytes <= limit
        }),
    })
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
    let (opened, checks) = open(sources, stdin, now_ms)?;
    checks.run()?;
    for opened in opened {
        read(opened, sink);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_inputs_are_values_and_regular_files_within_the_limit() {
        let dir = std::env::temp_dir().join(format!("kdm-small-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("lines.txt");
        std::fs::write(&file, "a 1\nb 2\n").unwrap();
        let argument = Source::Argument {
            text: "x=1".into(),
            index: 1,
        };
        let lines = Source::Lines(Location::File(file.clone()));
        assert!(small(
            &[argument, Source::Lines(Location::File(file.clone()))],
            8
        ));
        assert!(!small(std::slice::from_ref(&lines), 7), "over the limit");
        assert!(
            !small(&[lines, Source::Lines(Location::File(file))], 15),
            "in all"
        );
        assert!(!small(&[Source::Lines(Location::Stdin)], 1 << 20), "stdin");
        let directory = Source::Lines(Location::File(dir.clone()));
        assert!(!small(&[directory], 1 << 20), "not a regular file");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
