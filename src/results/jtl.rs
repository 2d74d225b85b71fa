//! JMeter's JTL in CSV: one row per sample, columns found by the header's names (which columns
//! there are depends on `jmeter.save.saveservice.*`), any of the delimiters `,` tab `;` `|`.
//! `timeStamp` is epoch milliseconds or, with a custom `timestamp_format`, a year-first date.
//! A file without its header row is refused: which column is which cannot be known for sure.

use std::io::Read;

use anyhow::{bail, Result};
use csv::ByteRecord;

use super::csv_rows::{field, split, Rows};
use super::emit::send;
use super::percentiles::Rule;
use super::samples::Samples;
use super::{time, Job};
use crate::model::{Code, Origin, Position, Warning};

/// Where the columns the mapping reads are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    delimiter: u8,
    fields: usize,
    timestamp: Option<usize>,
    elapsed: usize,
    label: usize,
    success: usize,
}

/// The header row's columns, or why `head` is not one.
pub fn header(name: &str, head: &[u8]) -> Result<Header> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    for delimiter in [b',', b'\t', b';', b'|'] {
        let fields = split(head, delimiter);
        let column = |name: &str| fields.iter().position(|f| f.eq_ignore_ascii_case(name));
        let (Some(elapsed), Some(label)) = (column("elapsed"), column("label")) else {
            continue;
        };
        let Some(success) = column("success") else {
            bail!(
                "{name}: the JTL has no `success` column, so failures cannot be counted: run \
                 JMeter with jmeter.save.saveservice.success=true (the default)"
            );
        };
        return Ok(Header {
            delimiter,
            fields: fields.len(),
            timestamp: column("timeStamp"),
            elapsed,
            label,
            success,
        });
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

pub fn headless_message(name: &str) -> String {
    format!(
        "{name} is a JTL without its header row (as JMeter 2.x writes by default): which column \
         is which cannot be known for sure, so it is not read; run JMeter with \
         -Jjmeter.save.saveservice.print_field_names=true, or put the header line that the \
         run's save settings give (timeStamp,elapsed,label,...) on top of the file"
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

/// One row, read.
struct Sample<'r> {
    label: &'r [u8],
    elapsed_ms: f64,
    failed: bool,
    /// Start, UTC nanoseconds, and whether the text gave its zone.
    start: Option<(i64, bool)>,
}

pub fn read(job: &mut Job, header: Header, reader: impl Read) {
    let mut samples = match Samples::new(job.settings.bounds.clone(), Rule::JMeter) {
        Ok(samples) => samples,
        Err(why) => return job.stop(Position::Whole, &why),
    };
    let mut rows = Rows::new(reader, header.delimiter);
    let mut record = ByteRecord::new();
    let mut clock = Clock::Unknown;
    let mut header_read = false;
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
                samples.request(None, sample.label, sample.elapsed_ms, sample.failed);
                if let Some((start_ns, zoned)) = sample.start {
                    let end_ns = start_ns.saturating_add((sample.elapsed_ms * 1e6) as i64);
                    samples.time(start_ns, end_ns, zoned);
                }
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

fn sample<'r>(header: &Header, record: &'r ByteRecord, clock: Clock) -> Result<Sample<'r>, String> {
    if record.len() != header.fields {
        return Err(format!(
            "the row has {} fields where the header names {}: every row must have the header's \
             columns",
            record.len(),
            header.fields
        ));
    }
    let field = |at: usize| field(record, at);
    let elapsed_ms = milliseconds(field(header.elapsed)).ok_or_else(|| {
        format!(
            "elapsed `{}` is not a number of milliseconds (0 or more)",
            String::from_utf8_lossy(field(header.elapsed))
        )
    })?;
    let failed = match field(header.success) {
        s if s.eq_ignore_ascii_case(b"true") => false,
        s if s.eq_ignore_ascii_case(b"false") => true,
        other => {
            return Err(format!(
                "success `{}` is neither true nor false",
                String::from_utf8_lossy(other)
            ))
        }
    };
    let start = match (clock, header.timestamp) {
        (Clock::EpochMs | Clock::Date, Some(at)) => Some(start(field(at), clock)?),
        _ => None,
    };
    Ok(Sample {
        label: field(header.label),
        elapsed_ms,
        failed,
        start,
    })
}

/// Epoch milliseconds or a year-first date, as the first row's was.
fn start(text: &[u8], clock: Clock) -> Result<(i64, bool), String> {
    let shown = || String::from_utf8_lossy(text);
    if clock == Clock::EpochMs {
        return whole_number(text)
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

/// A duration in milliseconds: digits, or a finite decimal number, 0 or more.
fn milliseconds(text: &[u8]) -> Option<f64> {
    if let Some(whole) = whole_number(text) {
        return Some(whole as f64);
    }
    let value: f64 = std::str::from_utf8(text).ok()?.trim().parse().ok()?;
    (value.is_finite() && value >= 0.0).then_some(value)
}

/// Up to 18 ASCII digits, the common case, without going through text.
fn whole_number(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 18 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(text.iter().fold(0u64, |n, &b| n * 10 + u64::from(b - b'0')))
}

#[cfg(test)]
#[path = "jtl_tests.rs"]
mod tests;
