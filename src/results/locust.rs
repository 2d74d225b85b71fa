//! Locust's `PREFIX_stats.csv`: one row per request name (and method, in `Type`) with counts,
//! min/average/max and percentiles as Locust computed them, and the `Aggregated` row. Beside
//! it, `PREFIX_failures.csv` gives failure reasons, and `PREFIX_stats_history.csv` the time the
//! test ran (the stats file itself has none).

use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Result};
use csv::ByteRecord;

use super::csv_rows::{field, split, Rows};
use super::emit::{send, RequestStats, Results, Spread, TestTime};
use super::extras::More;
use super::labels::{Labels, OTHER};
use super::Job;
use crate::model::{Code, Origin, Position, Refusal, Warning};

/// Where the columns are; `None` for those this Locust version did not write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    fields: usize,
    method: Option<usize>,
    name: usize,
    requests: usize,
    failures: usize,
    average: Option<usize>,
    min: Option<usize>,
    max: Option<usize>,
    median: Option<usize>,
    /// `50%`, `90%`, `95%`, `99%`.
    percentiles: [Option<usize>; 4],
    requests_per_second: Option<usize>,
    failures_per_second: Option<usize>,
    content_size: Option<usize>,
}

pub fn header(name: &str, head: &[u8]) -> Result<Header> {
    let fields = split(head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head), b',');
    let column = |names: &[&str]| {
        fields
            .iter()
            .position(|f| names.iter().any(|n| f.eq_ignore_ascii_case(n)))
    };
    let required = |names: &[&str]| match column(names) {
        Some(at) => Ok(at),
        None => bail!(
            "{name}: Locust's stats file has no `{}` column (the header of PREFIX_stats.csv is \
             Type,Name,Request Count,Failure Count,...)",
            names[0]
        ),
    };
    Ok(Header {
        fields: fields.len(),
        method: column(&["Type", "Method"]),
        name: required(&["Name"])?,
        requests: required(&["Request Count", "# requests"])?,
        failures: required(&["Failure Count", "# failures"])?,
        average: column(&["Average Response Time"]),
        min: column(&["Min Response Time"]),
        max: column(&["Max Response Time"]),
        median: column(&["Median Response Time"]),
        percentiles: ["50%", "90%", "95%", "99%"].map(|p| column(&[p])),
        requests_per_second: column(&["Requests/s"]),
        failures_per_second: column(&["Failures/s"]),
        content_size: column(&["Average Content Size"]),
    })
}

pub fn read(job: &mut Job, header: Header, reader: impl Read, path: Option<PathBuf>) {
    job.sink.warning(Warning {
        origin: Origin::whole(Arc::clone(job.name)),
        code: Code::ResultsMayLag,
        text: "Locust rewrites PREFIX_stats.csv once a second while it runs and not at its end, \
               so the file may miss up to the last second of the test; Locust's JSON \
               (--json-file NAME writes NAME.json) holds the whole run: give that instead"
            .to_owned(),
    });
    let mut labels = Labels::new(None::<RequestStats>);
    let mut all: Option<RequestStats> = None;
    let mut rows = Rows::new(reader, b',');
    let mut record = ByteRecord::new();
    let mut header_read = false;
    while !job.sink.stopped()
        && rows.next_or(&mut record, |b| job.stop(Position::Line(b.line), &b.why))
    {
        let blank = (0..record.len()).all(|at| field(&record, at).trim_ascii().is_empty());
        if !std::mem::replace(&mut header_read, true) || blank {
            continue;
        }
        job.count.read += 1;
        let stats = match row_stats(&header, &record) {
            Ok(stats) => stats,
            Err(reason) => {
                job.refuse(Position::Line(rows.line()), reason);
                continue;
            }
        };
        job.count.used += 1;
        let method = header
            .method
            .map(|at| field(&record, at))
            .filter(|m| !m.is_empty());
        let name = field(&record, header.name);
        if method.is_none() && name == b"Aggregated" {
            all = Some(stats);
            continue;
        }
        match labels.get(method, name) {
            Some(earlier) => earlier.merge(&stats),
            slot => *slot = Some(stats),
        }
    }
    if job.count.used == 0 {
        return;
    }
    let (labels, folded) = labels.finish();
    let labels = labels
        .into_iter()
        .filter_map(|(label, stats)| {
            let mut stats = stats?;
            if label.name == OTHER {
                stats.percentiles = [None; 4];
            }
            Some((label, stats))
        })
        .collect();
    let prefix = path.as_deref().and_then(prefix_of);
    let history = prefix.as_deref().and_then(|p| history(job, p));
    if let (Some(all), Some(history)) = (&mut all, &history) {
        all.more.users = history.users;
    }
    let results = Results {
        labels,
        all,
        time: history.map(|h| h.time),
        folded,
        thresholds: None,
        figures: Vec::new(),
    };
    let mut emitter = send(job, results);
    if let Some(prefix) = prefix {
        failure_reasons(job, &mut emitter, &prefix);
    }
}

fn row_stats(header: &Header, record: &ByteRecord) -> Result<RequestStats, String> {
    if record.len() != header.fields {
        return Err(format!(
            "the row has {} fields where the header names {}",
            record.len(),
            header.fields
        ));
    }
    let text = |at: usize| String::from_utf8_lossy(field(record, at)).trim().to_owned();
    let count = |at: usize, what: &str| {
        text(at)
            .parse::<u64>()
            .map_err(|_| format!("{what} `{}` is not a whole number", text(at)))
    };
    // Locust writes `N/A` where it has no number yet.
    let number = |at: Option<usize>, what: &str| -> Result<Option<f64>, String> {
        let Some(at) = at else { return Ok(None) };
        match text(at).as_str() {
            "" | "N/A" => Ok(None),
            value => match value.parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
                _ => Err(format!("{what} `{value}` is not a number of milliseconds")),
            },
        }
    };
    let requests = count(header.requests, "Request Count")?;
    let failures = count(header.failures, "Failure Count")?;
    if failures > requests {
        return Err(format!(
            "Failure Count {failures} is more than Request Count {requests}"
        ));
    }
    let average = number(header.average, "Average Response Time")?;
    let more = More {
        requests_per_second: number(header.requests_per_second, "Requests/s")?,
        failures_per_second: number(header.failures_per_second, "Failures/s")?,
        bytes_received: number(header.content_size, "Average Content Size")?
            // Locust's total is a whole number of bytes; the average times the count, rounded,
            // gives it back.
            .map(|size| (size * requests as f64).round()),
        ..More::default()
    };
    let min = number(header.min, "Min Response Time")?;
    let max = number(header.max, "Max Response Time")?;
    let mut percentiles = [None; 4];
    for (slot, (at, name)) in percentiles
        .iter_mut()
        .zip(header.percentiles.iter().zip(["50%", "90%", "95%", "99%"]))
    {
        *slot = number(*at, name)?;
    }
    if percentiles[0].is_none() {
        percentiles[0] = number(header.median, "Median Response Time")?;
    }
    let response_time = match (min, average, max) {
        (Some(min), Some(average), Some(max)) if requests > 0 => Some(Spread {
            min,
            max,
            sum: average * requests as f64,
            count: requests,
        }),
        _ => None,
    };
    Ok(RequestStats {
        requests: Some(requests),
        failures: Some(failures),
        response_time,
        percentiles: if requests > 0 { percentiles } else { [None; 4] },
        histogram: None,
        more,
    })
}

/// `run` of `run_stats.csv`, where Locust's other files are `run_failures.csv`, ...
fn prefix_of(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_str()?;
    let prefix = name.strip_suffix("_stats.csv")?;
    Some(path.with_file_name(prefix))
}

fn beside(prefix: &Path, suffix: &str) -> PathBuf {
    let mut name = prefix.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    prefix.with_file_name(name)
}

/// What `PREFIX_stats_history.csv` says of the test.
struct History {
    time: TestTime,
    /// The most `User Count` seen.
    users: Option<f64>,
}

/// The first and last `Timestamp` (epoch seconds) of `PREFIX_stats_history.csv`, and its most
/// users, if it is there.
fn history(job: &mut Job, prefix: &Path) -> Option<History> {
    let (name, mut rows, columns) = beside_file(job, prefix, "_stats_history.csv")?;
    let at = columns.iter().position(|c| c == "Timestamp")?;
    let users_at = columns.iter().position(|c| c == "User Count");
    let mut users: Option<f64> = None;
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    let mut record = ByteRecord::new();
    while rows.next_or(&mut record, |b| refuse_beside(job, &name, b.line, b.why)) {
        let count = users_at
            .and_then(|at| std::str::from_utf8(field(&record, at)).ok())
            .and_then(|text| text.trim().parse::<f64>().ok());
        if let Some(count) = count {
            users = Some(users.map_or(count, |u| u.max(count)));
        }
        let seconds = std::str::from_utf8(field(&record, at))
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok());
        match seconds.and_then(|s| s.checked_mul(1_000_000_000)) {
            Some(ns) => (first, last) = (first.min(ns), last.max(ns)),
            None => refuse_beside(
                job,
                &name,
                rows.line(),
                "Timestamp is not epoch seconds".into(),
            ),
        }
    }
    (first <= last).then_some(History {
        time: TestTime {
            start_ns: first,
            end_ns: last,
            zoned: true,
        },
        users,
    })
}

/// `PREFIX_failures.csv`: occurrences per request, method and error, as `failures_by_reason`.
fn failure_reasons(job: &mut Job, emitter: &mut super::emit::Emitter, prefix: &Path) {
    let Some((name, mut rows, columns)) = beside_file(job, prefix, "_failures.csv") else {
        return;
    };
    let column = |c: &str| columns.iter().position(|f| f == c);
    let (Some(error), Some(count), Some(request)) =
        (column("Error"), column("Occurrences"), column("Name"))
    else {
        return refuse_beside(
            job,
            &name,
            1,
            "no Name, Error and Occurrences columns".into(),
        );
    };
    let method = column("Method");
    let mut record = ByteRecord::new();
    let mut kept = 0;
    let mut folded = 0;
    while rows.next_or(&mut record, |b| refuse_beside(job, &name, b.line, b.why)) {
        let text = |at: usize| String::from_utf8_lossy(field(&record, at));
        let Ok(occurrences) = text(count).trim().parse::<u64>() else {
            let why = format!("Occurrences `{}` is not a whole number", text(count));
            refuse_beside(job, &name, rows.line(), why);
            continue;
        };
        if kept == super::labels::MAX_LABELS {
            folded += occurrences;
            continue;
        }
        kept += 1;
        let method = method.map(text).filter(|m| !m.is_empty());
        emitter.reason(
            job,
            &text(request),
            method.as_deref(),
            &text(error),
            occurrences,
        );
    }
    if folded > 0 {
        emitter.reason(job, OTHER, None, OTHER, folded);
    }
}

/// A file beside the stats file: its name, its rows after the header, and the header's columns.
type Beside = (Arc<str>, Rows<BufReader<std::fs::File>>, Vec<String>);

/// A file beside the stats file, opened, with its header read; `None` when it is not there.
fn beside_file(job: &mut Job, prefix: &Path, suffix: &str) -> Option<Beside> {
    let path = beside(prefix, suffix);
    let file = std::fs::File::open(&path).ok()?;
    let name: Arc<str> = Arc::from(path.display().to_string());
    let mut rows = Rows::new(BufReader::new(file), b',');
    let mut record = ByteRecord::new();
    if !rows.next_or(&mut record, |b| refuse_beside(job, &name, b.line, b.why)) {
        return None;
    }
    let columns = record
        .iter()
        .map(|c| String::from_utf8_lossy(c).trim().to_owned())
        .collect();
    Some((name, rows, columns))
}

fn refuse_beside(job: &mut Job, name: &Arc<str>, line: u64, why: String) {
    job.sink.refused(Refusal {
        origin: Origin::new(name, Position::Line(line)),
        code: Code::InputMalformed,
        reason: why,
    });
}

#[cfg(test)]
#[path = "locust_tests.rs"]
mod tests;
