//! JMeter's JTL in CSV: one row per sample, columns found by the header's names (which columns
//! there are depends on `jmeter.save.saveservice.*`), any of the delimiters `,` tab `;` `|`.
//! `timeStamp` is epoch milliseconds or, with a custom `timestamp_format`, a year-first date.
//! A file without its header row (JMeter 2.x's default) is read when its rows have one of the
//! default column sets JMeter writes ([`DEFAULT_COLUMNS`]), and refused otherwise: which column
//! is which cannot be known for sure.

use std::io::Read;

use anyhow::{bail, Result};
use csv::ByteRecord;

use super::csv_rows::{field, split, Rows};
use super::emit::send;
use super::jmeter::{self, Measured};
use super::percentiles::Rule;
use super::samples::Samples;
use super::{time, Job};
use crate::model::{Code, Origin, Position, Warning};

/// Where the columns the mapping reads are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    delimiter: u8,
    fields: usize,
    /// False when the file has no header row: its first line is a sample.
    named: bool,
    timestamp: Option<usize>,
    elapsed: usize,
    label: usize,
    success: usize,
    code: Option<usize>,
    received: Option<usize>,
    sent: Option<usize>,
    users: Option<usize>,
    latency: Option<usize>,
    connect: Option<usize>,
}

/// The columns JMeter writes by default, which a file without a header row is read with when
/// its rows have as many fields and look like samples: 2.x (2.13's `jmeter.properties`, no
/// `failureMessage`), and 3.1 and later (`sentBytes`, `URL`, `IdleTime`, `Connect`), for those
/// who turn the header row off.
pub const DEFAULT_COLUMNS: [&str; 2] = [
    "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,bytes,\
     grpThreads,allThreads,Latency",
    "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,\
     failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect",
];

impl Header {
    /// The columns of `names`, split at `delimiter`; `None` without `elapsed` and `label`.
    fn of(names: &[String], delimiter: u8, named: bool) -> Option<Result<Header>> {
        let column = |name: &str| names.iter().position(|f| f.eq_ignore_ascii_case(name));
        let (elapsed, label) = (column("elapsed")?, column("label")?);
        let Some(success) = column("success") else {
            return Some(Err(anyhow::anyhow!(
                "the JTL has no `success` column, so failures cannot be counted: run JMeter with \
                 jmeter.save.saveservice.success=true (the default)"
            )));
        };
        Some(Ok(Header {
            delimiter,
            fields: names.len(),
            named,
            timestamp: column("timeStamp"),
            elapsed,
            label,
            success,
            code: column("responseCode"),
            received: column("bytes"),
            sent: column("sentBytes"),
            users: column("allThreads"),
            latency: column("Latency"),
            connect: column("Connect"),
        }))
    }
}

/// The header row's columns, or why `head` is not one.
pub fn header(name: &str, head: &[u8]) -> Result<Header> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    for delimiter in [b',', b'\t', b';', b'|'] {
        if let Some(header) = Header::of(&split(head, delimiter), delimiter, true) {
            return header.map_err(|e| anyhow::anyhow!("{name}: {e}"));
        }
    }
    if let Some(header) = headless(head) {
        return Ok(header);
    }
    if looks_headless(head) {
        bail!("{}", headless_message(name));
    }
    bail!(
        "{name}: the first line is not a JTL header row: it must name the columns `elapsed`, \
         `label` and `success` (timeStamp,elapsed,label,responseCode,...)"
    )
}

/// True when `line` looks like a JTL sample row rather than a header: a time, then a number,
/// and a `true` or `false` field.
pub fn looks_headless(line: &[u8]) -> bool {
    [b',', b'\t', b';', b'|'].iter().any(|&delimiter| {
        let fields = split(line, delimiter);
        let time = fields.first().is_some_and(|f| {
            (f.len() >= 10 && f.bytes().all(|b| b.is_ascii_digit())) || time::parse(f).is_some()
        });
        let elapsed = fields
            .get(1)
            .is_some_and(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
        time && elapsed && fields.iter().any(|f| f == "true" || f == "false")
    })
}

/// The columns of a file without a header row whose first row has one of JMeter's default
/// column sets: as many fields, a time, an elapsed number, `true` or `false` in `success`, and
/// numbers in the numeric columns.
pub fn headless(line: &[u8]) -> Option<Header> {
    DEFAULT_COLUMNS.iter().find_map(|columns| {
        let names: Vec<String> = columns.split(',').map(str::to_owned).collect();
        let header = Header::of(&names, b',', false)?.ok()?;
        let fields = split(line, b',');
        let number = |at: Option<usize>| {
            at.is_none_or(|at| fields.get(at).is_some_and(|f| f.parse::<f64>().is_ok()))
        };
        let time = fields.first().is_some_and(|f| {
            (!f.is_empty() && f.bytes().all(|b| b.is_ascii_digit())) || time::parse(f).is_some()
        });
        let looks = fields.len() == header.fields
            && time
            && number(Some(header.elapsed))
            && matches!(fields[header.success].as_str(), "true" | "false")
            && [
                header.received,
                header.users,
                header.latency,
                header.connect,
            ]
            .into_iter()
            .all(number);
        looks.then_some(header)
    })
}

pub fn headless_message(name: &str) -> String {
    format!(
        "{name} is a JTL without its header row whose columns are not one of JMeter's default \
         sets (2.x: {}; 3.1 and later: {}): which column is which cannot be known for sure, so \
         it is not read; run JMeter with -Jjmeter.save.saveservice.print_field_names=true, or \
         put the header line that the run's save settings give on top of the file",
        DEFAULT_COLUMNS[0], DEFAULT_COLUMNS[1]
    )
}

/// How the file writes `timeStamp`, as its first row shows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Clock {
    Unknown,
    EpochMs,
    Date,
    /// Neither: the test's time is not known.
    Unreadable,
}

pub fn read(job: &mut Job, header: Header, reader: impl Read) {
    let mut samples = match Samples::new(job.settings.bounds.clone(), Rule::JMeter) {
        Ok(samples) => samples,
        Err(why) => return job.stop(Position::Whole, &why),
    };
    let mut rows = Rows::new(reader, header.delimiter);
    let mut record = ByteRecord::new();
    let mut clock = Clock::Unknown;
    let mut header_read = !header.named;
    while !job.sink.stopped()
        && rows.next_or(&mut record, |b| job.stop(Position::Line(b.line), &b.why))
    {
        if !std::mem::replace(&mut header_read, true) || is_blank(&record) {
            continue;
        }
        job.count.read += 1;
        if clock == Clock::Unknown {
            clock = first_clock(job, &header, &record, rows.line());
        }
        match sample(&header, &record, clock) {
            Ok(sample) => {
                job.count.used += 1;
                jmeter::record(&mut samples, &sample);
            }
            Err(reason) => job.refuse(Position::Line(rows.line()), reason),
        }
    }
    if job.count.used > 0 {
        send(job, samples.finish());
    }
}

fn is_blank(record: &ByteRecord) -> bool {
    record.len() == 1 && field(record, 0).iter().all(u8::is_ascii_whitespace)
}

/// The clock the first row's `timeStamp` shows; a warning when it is neither kind.
fn first_clock(job: &mut Job, header: &Header, record: &ByteRecord, line: u64) -> Clock {
    let Some(text) = header.timestamp.map(|at| field(record, at)) else {
        return Clock::Unreadable;
    };
    if !text.is_empty() && text.iter().all(u8::is_ascii_digit) {
        return Clock::EpochMs;
    }
    if std::str::from_utf8(text).is_ok_and(|t| time::parse(t).is_some()) {
        return Clock::Date;
    }
    job.sink.warning(Warning {
        origin: Origin::new(job.name, Position::Line(line)),
        code: Code::InputMalformed,
        text: format!(
            "timeStamp `{}` is neither epoch milliseconds nor a year-first date \
             (yyyy/MM/dd HH:mm:ss.SSS): the test's time is not known, so its metrics are sent \
             without a timestamp and its histograms over this run's window; \
             jmeter.save.saveservice.timestamp_format=ms (the default) writes what is read",
            String::from_utf8_lossy(text)
        ),
    });
    Clock::Unreadable
}

fn sample<'r>(
    header: &Header,
    record: &'r ByteRecord,
    clock: Clock,
) -> Result<Measured<'r>, String> {
    if record.len() != header.fields {
        return Err(format!(
            "the row has {} fields where the header names {}: every row must have the header's \
             columns",
            record.len(),
            header.fields
        ));
    }
    let field = |at: usize| field(record, at);
    let number = |at: Option<usize>, name: &str| -> Result<Option<f64>, String> {
        match at.map(field) {
            None => Ok(None),
            Some(text) => jmeter::number(name, text),
        }
    };
    let elapsed_ms = jmeter::number("elapsed", field(header.elapsed))?
        .ok_or("elapsed is empty: it must be a number of milliseconds")?;
    let start = match (clock, header.timestamp) {
        (Clock::EpochMs | Clock::Date, Some(at)) => Some(start(field(at), clock)?),
        _ => None,
    };
    let mut measured = Measured {
        label: field(header.label),
        elapsed_ms,
        failed: jmeter::failed(field(header.success))?,
        start,
        sampled: Default::default(),
    };
    let sampled = &mut measured.sampled;
    sampled.code = header.code.map(field);
    sampled.received = number(header.received, "bytes")?;
    sampled.sent = number(header.sent, "sentBytes")?;
    sampled.users = number(header.users, "allThreads")?;
    sampled.latency = number(header.latency, "Latency")?;
    sampled.connect = number(header.connect, "Connect")?;
    Ok(measured)
}

/// Epoch milliseconds or a year-first date, as the first row's was.
fn start(text: &[u8], clock: Clock) -> Result<(i64, bool), String> {
    let shown = || String::from_utf8_lossy(text);
    if clock == Clock::EpochMs {
        return jmeter::whole_number(text)
            .and_then(|ms| i64::try_from(ms).ok()?.checked_mul(1_000_000))
            .map(|ns| (ns, true))
            .ok_or_else(|| {
                format!(
                    "timeStamp `{}` is not epoch milliseconds, as the first row's is",
                    shown()
                )
            });
    }
    std::str::from_utf8(text)
        .ok()
        .and_then(time::parse)
        .map(|instant| (instant.ns, instant.zoned))
        .ok_or_else(|| {
            format!(
                "timeStamp `{}` is not a year-first date, as the first row's is",
                shown()
            )
        })
}

#[cfg(test)]
#[path = "jtl_tests.rs"]
mod tests;
