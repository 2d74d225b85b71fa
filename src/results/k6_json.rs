//! k6's JSON output (`k6 run --out json=FILE`, gzip when the name ends in `.gz`): one object
//! per line, `{"type":"Point","metric":..,"data":{"time":..,"value":..,"tags":{..}}}` a sample.
//! Every HTTP request gives one `http_req_duration` point (its time, at its end) and one
//! `http_req_failed` point (1 when it failed), tagged `name` (the URL unless the script names
//! it) and `method`; those are read, the other metrics are skipped.

use std::borrow::Cow;
use std::io::BufRead;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::emit::send;
use super::percentiles::Rule;
use super::samples::Samples;
use super::{time, Job};
use crate::model::Position;
use crate::sink::next_line;

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    metric: Cow<'a, str>,
    #[serde(borrow)]
    data: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Point<'a> {
    #[serde(borrow)]
    time: Cow<'a, str>,
    value: f64,
    #[serde(borrow, default)]
    tags: Option<Tags<'a>>,
}

#[derive(Deserialize, Default)]
struct Tags<'a> {
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    url: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    method: Option<Cow<'a, str>>,
}

/// The metrics read; the others are skipped.
const DURATION: &str = "http_req_duration";
const FAILED: &str = "http_req_failed";

pub fn read(job: &mut Job, mut reader: impl BufRead) {
    let mut samples = match Samples::new(job.settings.bounds.clone(), Rule::K6) {
        Ok(samples) => samples,
        Err(why) => return job.stop(Position::Whole, &why),
    };
    let mut line = String::new();
    let mut number = 0;
    while !job.sink.stopped() {
        number += 1;
        match next_line(&mut reader, &mut line) {
            Ok(true) => {}
            Ok(false) => break,
            Err(why) => {
                job.stop(Position::Line(number), &why);
                break;
            }
        }
        if line.trim().is_empty() {
            continue;
        }
        job.count.read += 1;
        match sample(&line, &mut samples) {
            Ok(true) => job.count.used += 1,
            Ok(false) => {}
            Err(reason) => job.refuse(Position::Line(number), reason),
        }
    }
    if job.count.used > 0 {
        send(job, samples.finish());
    }
}

/// Adds the line's point to `samples` if it is one of the metrics read: whether it was.
fn sample(line: &str, samples: &mut Samples) -> Result<bool, String> {
    let envelope: Envelope = serde_json::from_str(line).map_err(|e| {
        format!("the line is not a k6 JSON output object ({{\"type\":..,\"metric\":..,\"data\":..}}): {e}")
    })?;
    if envelope.kind != "Point" || (envelope.metric != DURATION && envelope.metric != FAILED) {
        return Ok(false);
    }
    let data = envelope
        .data
        .ok_or_else(|| format!("the {} point has no `data`", envelope.metric))?;
    let point: Point = serde_json::from_str(data.get()).map_err(|e| {
        format!(
            "the {} point's data is not {{\"time\": RFC 3339, \"value\": number, \"tags\": \
             {{..}}}}: {e}",
            envelope.metric
        )
    })?;
    let tags = point.tags.unwrap_or_default();
    let method = tags.method.as_deref().map(str::as_bytes);
    let name = tags
        .name
        .as_deref()
        .or(tags.url.as_deref())
        .map(str::as_bytes);
    if envelope.metric == FAILED {
        if point.value != 0.0 {
            match name {
                Some(name) => samples.failure(method, name),
                None => samples.unlabelled_failure(),
            }
        }
        return Ok(true);
    }
    if !point.value.is_finite() || point.value < 0.0 {
        return Err(format!(
            "http_req_duration {} is not a number of milliseconds (0 or more)",
            point.value
        ));
    }
    let end = time::parse(&point.time)
        .ok_or_else(|| format!("data.time `{}` is not an RFC 3339 time", point.time))?;
    match name {
        Some(name) => samples.request(method, name, point.value, false),
        None => samples.unlabelled_request(point.value),
    }
    let start_ns = end.ns.saturating_sub((point.value * 1e6) as i64);
    samples.time(start_ns, end.ns, end.zoned);
    Ok(true)
}

#[cfg(test)]
mod tests {
    use crate::results::testing::{read_fixture, read_text, values};
    use crate::results::Format;

    #[test]
    fn the_json_output_fixture_plain_and_gzipped() {
        for file in ["k6/out.json", "k6/out.json.gz"] {
            let sink = read_fixture(file).unwrap();
            assert!(sink.refusals.is_empty(), "{:?}", sink.refusals);
            let count = &sink.records[0];
            assert_eq!((count.format, count.read, count.used), ("k6-json", 305, 52));
            let requests = values(&sink, "requests");
            assert_eq!(requests.len(), 6, "{requests:#?}");
            assert!(requests.contains(
                &"loadtest.requests,request=GET /cart,method=GET,tool=k6 Count(6.0)".to_owned()
            ));
            assert!(requests.contains(
                &"loadtest.requests,request=http://127.0.0.1:8080/health?probe=a,b,method=GET,\
                  tool=k6 Count(6.0)"
                    .to_owned()
            ));
            assert_eq!(
                values(&sink, "failures").last().unwrap(),
                "loadtest.failures,request=_all,tool=k6 Count(3.0)"
            );
            assert_eq!(sink.histograms.last().unwrap().buckets.count, 26);
        }
    }

    #[test]
    fn bad_lines_are_refused_and_other_metrics_skipped() {
        let text = concat!(
            r#"{"type":"Metric","metric":"http_req_duration","data":{"name":"http_req_duration"}}"#,
            "\n",
            r#"{"type":"Point","metric":"vus","data":{"time":"x","value":1,"tags":{}}}"#,
            "\n",
            r#"{"type":"Point","metric":"http_req_duration","data":{"time":"2026-11-20T14:03:05+01:00","value":12.5,"tags":{"name":"a","method":"GET"}}}"#,
            "\n",
            r#"{"type":"Point","metric":"http_req_duration","data":{"time":"yesterday","value":1,"tags":{}}}"#,
            "\n",
            r#"{"type":"Point","metric":"http_req_failed","data":{"time":"2026-11-20T14:03:05+01:00","value":1,"tags":{"name":"a","method":"GET"}}}"#,
            "\n",
            "not json\n",
            r#"{"type":"Point","metric":"http_req_duration","data":{"time":"2026-11-20T14:03:05Z","value":-1}}"#,
            "\n",
        );
        let sink = read_text(text, Some(Format::K6Json)).unwrap();
        let refused = sink.refusal_texts();
        assert_eq!(refused.len(), 3, "{refused:#?}");
        assert!(refused[0].starts_with("r:4 data.time `yesterday` is not an RFC 3339 time"));
        assert!(refused[1].starts_with("r:6 the line is not a k6 JSON output object"));
        assert!(refused[2].starts_with("r:7 http_req_duration -1 is not"));
        let count = &sink.records[0];
        assert_eq!((count.read, count.used, count.refused), (7, 2, 3));
        assert_eq!(
            values(&sink, "error_rate"),
            vec![
                "loadtest.error_rate,request=a,method=GET,tool=k6 Gauge(1.0)",
                "loadtest.error_rate,request=_all,tool=k6 Gauge(1.0)"
            ]
        );
    }
}
