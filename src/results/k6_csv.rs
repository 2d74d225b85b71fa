//! k6's CSV output (`k6 run --out csv=FILE`, gzip when the name ends in `.gz`): a header row
//! `metric_name,timestamp,metric_value,check,error,error_code,expected_response,group,method,
//! name,...` and one row per point, its time in Unix seconds by default (`timeFormat`
//! `unix_milli`, ..., `rfc3339` too). The same points as the JSON output, read the same way
//! (`k6_points.rs`).

use std::io::Read;

use anyhow::{bail, Result};
use csv::ByteRecord;

use super::csv_rows::{field, split, Rows};
use super::emit::send;
use super::k6_points::{Points, Tags};
use super::Job;
use crate::model::Position;

/// Where the columns read are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    metric: usize,
    time: usize,
    value: usize,
    name: Option<usize>,
    url: Option<usize>,
    check: Option<usize>,
    group: Option<usize>,
}

/// Whether `line` is the header row k6's CSV output starts with.
pub fn is_header(line: &[u8]) -> bool {
    let fields = split(line, b',');
    fields.first().is_some_and(|f| f == "metric_name") && fields.iter().any(|f| f == "metric_value")
}

/// The columns of the header row `line`.
pub fn header(name: &str, line: &[u8]) -> Result<Header> {
    let fields = split(line, b',');
    let column = |column: &str| fields.iter().position(|f| f == column);
    let (Some(metric), Some(time), Some(value)) = (
        column("metric_name"),
        column("timestamp"),
        column("metric_value"),
    ) else {
        bail!(
            "{name} is not k6's CSV output: its header row needs `metric_name`, `timestamp` \
             and `metric_value` (k6 run --out csv=FILE writes them)"
        );
    };
    Ok(Header {
        metric,
        time,
        value,
        name: column("name"),
        url: column("url"),
        check: column("check"),
        group: column("group"),
    })
}

pub fn read(job: &mut Job, header: Header, reader: impl Read) {
    let mut points = match Points::new(job.settings.bounds.clone()) {
        Ok(points) => points,
        Err(why) => return job.stop(Position::Whole, &why),
    };
    let mut rows = Rows::new(reader, b',');
    let mut record = ByteRecord::new();
    let mut header_read = false;
    while !job.sink.stopped()
        && rows.next_or(&mut record, |b| job.stop(Position::Line(b.line), &b.why))
    {
        let blank = record.len() == 1 && field(&record, 0).iter().all(u8::is_ascii_whitespace);
        if !std::mem::replace(&mut header_read, true) || blank {
            continue;
        }
        job.count.read += 1;
        match row(&header, &record, &mut points) {
            Ok(true) => job.count.used += 1,
            Ok(false) => {}
            Err(reason) => job.refuse(Position::Line(rows.line()), reason),
        }
    }
    if job.count.used > 0 {
        send(job, points.finish());
    }
}

/// Adds the row's point to `points` if it is one of the metrics read: whether it was.
fn row(header: &Header, record: &ByteRecord, points: &mut Points) -> Result<bool, String> {
    let text = |at: usize| {
        std::str::from_utf8(field(record, at))
            .map_err(|_| format!("column {} is not UTF-8 text", at + 1))
    };
    let optional = |at: Option<usize>| -> Result<Option<&str>, String> {
        match at.map(text).transpose()? {
            Some("") | None => Ok(None),
            Some(text) => Ok(Some(text)),
        }
    };
    let metric = text(header.metric)?;
    if !Points::reads(metric) {
        return Ok(false);
    }
    let value = text(header.value)?;
    let value: f64 = value
        .parse()
        .map_err(|_| format!("metric_value `{value}` of {metric} is not a number"))?;
    let tags = Tags {
        name: optional(header.name)?,
        url: optional(header.url)?,
        check: optional(header.check)?,
        group: optional(header.group)?,
    };
    points.add(metric, text(header.time)?, value, tags)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use crate::results::testing::{read_text, values};
    use crate::results::Format;

    const HEADER: &str = "metric_name,timestamp,metric_value,check,error,error_code,\
                          expected_response,group,method,name,proto,scenario,service,status,\
                          subproto,tls_version,url,extra_tags,metadata\n";

    #[test]
    fn rows_of_the_metrics_read_the_others_skipped_bad_ones_refused() {
        let text = format!(
            "{HEADER}\
             http_reqs,1796480329,1.000000,,,,true,,GET,a,HTTP/1.1,default,,200,,,a,,\n\
             http_req_duration,1796480329,12.500000,,,,true,,GET,a,HTTP/1.1,default,,200,,,a,,\n\
             http_req_failed,1796480329,1.000000,,,,true,,GET,a,HTTP/1.1,default,,200,,,a,,\n\
             http_req_duration,1796480329,fast,,,,true,,GET,a,HTTP/1.1,default,,200,,,a,,\n\
             http_req_duration,soon,1,,,,true,,GET,a,HTTP/1.1,default,,200,,,a,,\n\
             checks,1796480329,0.000000,ok?,,,,::g,,,,default,,,,,,,\n"
        );
        let sink = read_text(&text, None).unwrap();
        let refused = sink.refusal_texts();
        assert_eq!(refused.len(), 2, "{refused:#?}");
        assert!(refused[0].starts_with("r:5 metric_value `fast` of http_req_duration"));
        assert!(refused[1].starts_with("r:6 the time `soon` is not"));
        let count = &sink.records[0];
        assert_eq!(count.format, "k6-csv");
        assert_eq!((count.read, count.used, count.refused), (6, 3, 2));
        assert_eq!(
            values(&sink, "error_rate"),
            vec![
                "loadtest.error_rate,request=a,tool=k6 Gauge(1.0)",
                "loadtest.error_rate,request=_all,tool=k6 Gauge(1.0)"
            ]
        );
        assert_eq!(
            values(&sink, "checks.pass_rate"),
            vec![
                "loadtest.checks.pass_rate,check=_all,tool=k6 Gauge(0.0)",
                "loadtest.checks.pass_rate,check=ok?,group=g,tool=k6 Gauge(0.0)"
            ]
        );
        assert!(read_text("metric_name,value\n", Some(Format::K6Csv)).is_err());
    }
}
