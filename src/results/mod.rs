//! `--results`: a load-testing tool's own results (JMeter JTL, Locust JSON or CSV, k6 summary,
//! JSON or CSV output), read as they stream and aggregated per request label into the same
//! metrics for every tool (`emit.rs` holds the mapping). The format is found from the content
//! (`detect.rs`) unless `--results-format` names it; a file that is none of them stops the run
//! before anything is sent, a malformed row inside one is refused with its place and the rest
//! is read.

use std::io::{BufRead, BufReader, Cursor, Read};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;

use crate::model::RecordCount;
use crate::sink::{Location, Sink, BUFFER};

mod csv_rows;
mod detect;
mod emit;
mod extras;
mod figures;
mod jmeter;
mod jtl;
mod jtl_xml;
mod k6_csv;
mod k6_json;
mod k6_points;
mod k6_requests;
mod k6_run;
mod k6_summary;
mod keys;
mod labels;
mod locust;
mod locust_json;
mod percentiles;
mod samples;
mod sketch;
mod time;
mod window;

/// The results formats, as `--results-format` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// JMeter JTL: CSV (with its header row, or JMeter's default columns without one) or XML
    Jmeter,
    /// Locust's JSON (--json-file, --json), or its PREFIX_stats.csv (PREFIX_failures.csv beside
    /// it adds failure reasons)
    Locust,
    /// k6's end-of-test summary: --summary-export, or the data handleSummary receives
    #[value(name = "k6-summary")]
    K6Summary,
    /// k6's JSON output (--out json=FILE), one object per line; gzip too
    #[value(name = "k6-json")]
    K6Json,
    /// k6's CSV output (--out csv=FILE); gzip too
    #[value(name = "k6-csv")]
    K6Csv,
}

impl Format {
    /// The name `--results-format` and the report give it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Jmeter => "jmeter",
            Format::Locust => "locust",
            Format::K6Summary => "k6-summary",
            Format::K6Json => "k6-json",
            Format::K6Csv => "k6-csv",
        }
    }

    /// The `tool` dimension.
    fn tool(self) -> &'static str {
        match self {
            Format::Jmeter => "jmeter",
            Format::Locust => "locust",
            Format::K6Summary | Format::K6Json | Format::K6Csv => "k6",
        }
    }
}

/// The key section results' names go under when the run sets no integration:
/// `keptn.loadtest.requests`.
pub const DEFAULT_SECTION: &str = "loadtest";

/// How a results input is read: what the command line says of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `--results-format`; `None`: found from the content.
    pub format: Option<Format>,
    /// `--bounds` for the response-time histograms; `None`: the OpenTelemetry SDK's defaults.
    pub bounds: Option<Vec<f64>>,
    /// The key section put before every name (`loadtest.requests`), or `None` when the
    /// integration name already gives the keys their section.
    pub section: Option<&'static str>,
}

impl Settings {
    /// Results' names go under the run's integration (`keptn.<integration>.requests`), or under
    /// [`DEFAULT_SECTION`] when it sets none, so that `INTEGRATION_NAME=loadtest` and no
    /// integration give the same keys.
    pub fn new(
        format: Option<Format>,
        bounds: Option<Vec<f64>>,
        integration: &Option<String>,
    ) -> Settings {
        let integration = integration.as_deref().unwrap_or("").trim_matches('.');
        Settings {
            format,
            bounds,
            section: integration.is_empty().then_some(DEFAULT_SECTION),
        }
    }
}

/// A results input with its format known and its start checked.
pub struct Opened {
    format: Plan,
    reader: Box<dyn BufRead + Send>,
    settings: Settings,
    /// The file's path, to find the files a tool writes beside it (Locust).
    path: Option<PathBuf>,
}

/// The format, with what its first line said of the columns.
enum Plan {
    Jmeter(jtl::Header),
    JmeterXml,
    Locust(locust::Header),
    LocustJson,
    K6Summary,
    K6Json,
    K6Csv(k6_csv::Header),
}

/// Reads the first line (decompressing gzip), finds or checks the format from it, and checks
/// that the columns the mapping needs are there: a file that is not results is a usage error.
pub fn open(
    name: &str,
    location: &Location,
    reader: Box<dyn BufRead + Send>,
    settings: &Settings,
) -> Result<Opened> {
    let (head, reader) = first_line(reader)?;
    let (head, reader) = if head.starts_with(&[0x1f, 0x8b]) {
        let unzipped = flate2::read::MultiGzDecoder::new(Cursor::new(head).chain(reader));
        first_line(Box::new(BufReader::with_capacity(BUFFER, unzipped)))
            .map_err(|e| anyhow::anyhow!("{name}: its gzip data cannot be read: {e}"))?
    } else {
        (head, reader)
    };
    let format = match settings.format {
        Some(format) => format,
        None => detect::format(name, &head)?,
    };
    // A JSON object that is not k6's JSON output is read whole to tell a k6 summary from
    // another document (an --input one given to --results by mistake).
    let (head, reader) = if settings.format.is_none() && format == Format::K6Summary {
        let (document, reader) = whole_document(head, reader)?;
        detect::json_document(name, &document)?;
        (document, reader)
    } else {
        (head, reader)
    };
    let plan = match format {
        Format::Jmeter if detect::is_markup(&head) => Plan::JmeterXml,
        Format::Jmeter => Plan::Jmeter(jtl::header(name, &head)?),
        Format::Locust if detect::starts_with(&head, b'[') => Plan::LocustJson,
        Format::Locust => Plan::Locust(locust::header(name, &head)?),
        Format::K6Summary => Plan::K6Summary,
        Format::K6Json => Plan::K6Json,
        Format::K6Csv => Plan::K6Csv(k6_csv::header(name, &head)?),
    };
    Ok(Opened {
        format: plan,
        reader: Box::new(Cursor::new(head).chain(reader)),
        settings: settings.clone(),
        path: match location {
            Location::File(path) => Some(path.clone()),
            Location::Stdin => None,
        },
    })
}

/// Reads the results into `sink` and says how many records were read, used and refused.
/// `now_ms` is the run's clock, against which the test's end time is checked.
pub fn read(name: &Arc<str>, opened: Opened, now_ms: i64, sink: &mut dyn Sink) {
    let format = match opened.format {
        Plan::Jmeter(_) | Plan::JmeterXml => Format::Jmeter,
        Plan::Locust(_) | Plan::LocustJson => Format::Locust,
        Plan::K6Summary => Format::K6Summary,
        Plan::K6Json => Format::K6Json,
        Plan::K6Csv(_) => Format::K6Csv,
    };
    let mut job = Job {
        name,
        sink,
        now_ms,
        settings: &opened.settings,
        tool: format.tool(),
        count: RecordCount {
            input: Arc::clone(name),
            format: format.name(),
            read: 0,
            used: 0,
            refused: 0,
            test: None,
        },
    };
    match opened.format {
        Plan::Jmeter(header) => jtl::read(&mut job, header, opened.reader),
        Plan::JmeterXml => jtl_xml::read(&mut job, opened.reader),
        Plan::Locust(header) => locust::read(&mut job, header, opened.reader, opened.path),
        Plan::LocustJson => locust_json::read(&mut job, opened.reader),
        Plan::K6Summary => k6_summary::read(&mut job, opened.reader),
        Plan::K6Json => k6_json::read(&mut job, opened.reader),
        Plan::K6Csv(header) => k6_csv::read(&mut job, header, opened.reader),
    }
    let count = job.count.clone();
    job.sink.records(count);
}

/// One results input being read: where it goes, and the count of its records.
struct Job<'a> {
    name: &'a Arc<str>,
    sink: &'a mut dyn Sink,
    now_ms: i64,
    settings: &'a Settings,
    tool: &'static str,
    count: RecordCount,
}

impl Job<'_> {
    /// Refuses a record (a row, a line, a summary entry) at `at`, counting it.
    fn refuse(&mut self, at: crate::model::Position, reason: String) {
        self.count.refused += 1;
        self.sink.refused(crate::model::Refusal {
            origin: crate::model::Origin::new(self.name, at),
            code: crate::model::Code::InputMalformed,
            reason,
        });
    }

    /// Stops reading the input at `at`, for a reason that leaves the rest unreadable.
    fn stop(&mut self, at: crate::model::Position, why: &str) {
        let name = self.name;
        self.sink.refused(crate::model::Refusal {
            origin: crate::model::Origin::new(name, at),
            code: crate::model::Code::InputMalformed,
            reason: format!("{name} stops here: {why}; what came before was read"),
        });
    }
}

/// The longest first line looked at to find the format.
const HEAD_BYTES: u64 = 256 * 1024;

/// The first line of `reader` that is not blank, with the blank lines before it (at most
/// [`HEAD_BYTES`] in all), and the reader after it.
fn first_line(
    mut reader: Box<dyn BufRead + Send>,
) -> std::io::Result<(Vec<u8>, Box<dyn BufRead + Send>)> {
    let mut head = Vec::new();
    loop {
        let room = HEAD_BYTES.saturating_sub(head.len() as u64);
        let read = reader.by_ref().take(room).read_until(b'\n', &mut head)?;
        if read == 0 || room == 0 || !head.iter().all(u8::is_ascii_whitespace) {
            return Ok((head, reader));
        }
    }
}

/// The whole of a JSON document whose first line is `head` (at most as much as a k6 summary
/// may have, and one byte more), and the reader after it.
fn whole_document(
    head: Vec<u8>,
    reader: Box<dyn BufRead + Send>,
) -> std::io::Result<(Vec<u8>, Box<dyn BufRead + Send>)> {
    let mut document = head;
    let mut reader = reader;
    let room = detect::MAX_DOCUMENT_BYTES + 1
        - document.len().min(detect::MAX_DOCUMENT_BYTES as usize) as u64;
    reader.by_ref().take(room).read_to_end(&mut document)?;
    Ok((document, reader))
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;

/// Reading results in tests: from bytes or a fixture, into a sink that keeps everything.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::PathBuf;

    use super::*;
    use crate::model::Metric;
    use crate::sink::Collected;

    pub fn settings(format: Option<Format>) -> Settings {
        Settings {
            format,
            bounds: None,
            section: Some(DEFAULT_SECTION),
        }
    }

    pub fn fixture(path: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/results")
            .join(path)
    }

    /// Opens and reads `location` (bytes from `stdin` when it is stdin) at the clock `now_ms`.
    pub fn read_at(
        location: Location,
        stdin: &[u8],
        settings: &Settings,
        now_ms: i64,
    ) -> Result<Collected> {
        let name: Arc<str> = match &location {
            Location::Stdin => Arc::from("r"),
            Location::File(path) => Arc::from(path.file_name().unwrap().to_string_lossy()),
        };
        let reader: Box<dyn BufRead + Send> = match &location {
            Location::Stdin => Box::new(Cursor::new(stdin.to_vec())),
            Location::File(path) => Box::new(BufReader::new(std::fs::File::open(path)?)),
        };
        let opened = open(&name, &location, reader, settings)?;
        let mut sink = Collected::default();
        read(&name, opened, now_ms, &mut sink);
        Ok(sink)
    }

    /// `text` read as results of `format` (or detected), long after the test ended.
    pub fn read_text(text: &str, format: Option<Format>) -> Result<Collected> {
        read_at(
            Location::Stdin,
            text.as_bytes(),
            &settings(format),
            i64::MAX / 4,
        )
    }

    /// A fixture read long after the test ended.
    pub fn read_fixture(path: &str) -> Result<Collected> {
        read_at(
            Location::File(fixture(path)),
            b"",
            &settings(None),
            i64::MAX / 4,
        )
    }

    /// `key,dim=value,... value` of a metric, to compare in one line.
    pub fn shown(metric: &Metric) -> String {
        let dimensions: String = metric
            .dimensions
            .iter()
            .map(|(k, v)| format!(",{k}={v}"))
            .collect();
        format!("{}{dimensions} {:?}", metric.key, metric.value)
    }

    /// The metrics with key `key` (after the section), shown.
    pub fn values(sink: &Collected, key: &str) -> Vec<String> {
        let key = format!("{DEFAULT_SECTION}.{key}");
        sink.metrics
            .iter()
            .filter(|m| m.key == key)
            .map(shown)
            .collect()
    }
}
