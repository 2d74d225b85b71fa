//! Inputs: every format the tool reads, one file each, behind one [`Source`] enum. A reader
//! hands what it reads to a [`Sink`] item by item, in the order of the input, each with its
//! place ([`Origin`]). A source that cannot be opened or is not its format at all stops the run
//! (an `Err`, nothing is sent); a bad entry inside it is refused with its place and the rest goes
//! on.

mod json;
pub mod lineproto;
mod lines;
mod metric_arg;
mod samples;

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};

use crate::model::{Histogram, Metadata, Metric, Refusal};

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
    pub fn location(&self) -> Option<&Location> {
        match self {
            Source::Argument { .. } => None,
            Source::Json(location) | Source::Lines(location) => Some(location),
            Source::Samples { location, .. } => Some(location),
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
}

/// Reads every source into `sink`, in order. `stdin` serves the one source that is `-`.
pub fn read_all(sources: &[Source], stdin: &mut dyn Read, sink: &mut dyn Sink) -> Result<()> {
    for source in sources {
        read(source, stdin, sink)?;
    }
    Ok(())
}

fn read(source: &Source, stdin: &mut dyn Read, sink: &mut dyn Sink) -> Result<()> {
    match source {
        Source::Argument { text, index } => metric_arg::read(text, *index, sink),
        Source::Json(location) => {
            let name = location.name();
            let text = read_text(location, &name, stdin)?;
            json::read(&name, &text, sink)
        }
        Source::Lines(location) => {
            let name = location.name();
            lines::read(&name, open(location, &name, stdin)?, sink)
        }
        Source::Samples {
            name: histogram,
            location,
            bounds,
        } => {
            let name = location.name();
            samples::read(
                histogram,
                bounds.clone(),
                &name,
                open(location, &name, stdin)?,
                sink,
            )
        }
    }
}

fn open<'a>(
    location: &Location,
    name: &str,
    stdin: &'a mut dyn Read,
) -> Result<Box<dyn BufRead + 'a>> {
    Ok(match location {
        Location::Stdin => Box::new(BufReader::with_capacity(64 * 1024, stdin)),
        Location::File(path) => Box::new(BufReader::with_capacity(
            64 * 1024,
            std::fs::File::open(path)
                .with_context(|| format!("reading {name} (it must be a readable file)"))?,
        )),
    })
}

fn read_text(location: &Location, name: &str, stdin: &mut dyn Read) -> Result<String> {
    let mut text = String::new();
    match location {
        Location::Stdin => stdin
            .read_to_string(&mut text)
            .context("reading stdin (it must be UTF-8 text)")?,
        Location::File(path) => {
            text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {name} (it must be a readable UTF-8 file)"))?;
            0
        }
    };
    Ok(text)
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
