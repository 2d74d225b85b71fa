//! k6's JSON output (`k6 run --out json=FILE`, gzip when the name ends in `.gz`): one object
//! per line, `{"type":"Point","metric":..,"data":{"time":..,"value":..,"tags":{..}}}` a sample;
//! what is read of the points is `k6_points.rs`'s matter, the other lines are skipped.

use std::borrow::Cow;
use std::io::BufRead;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::emit::send;
use super::k6_points::{Points, Tags};
use super::Job;
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
    tags: Option<PointTags<'a>>,
}

#[derive(Deserialize, Default)]
struct PointTags<'a> {
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    url: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    check: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    group: Option<Cow<'a, str>>,
}

pub fn read(job: &mut Job, mut reader: impl BufRead) {
    let mut points = match Points::new(job.settings.bounds.clone()) {
        Ok(points) => points,
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
        match sample(&line, &mut points) {
            Ok(true) => job.count.used += 1,
            Ok(false) => {}
            Err(reason) => job.refuse(Position::Line(number), reason),
        }
    }
    if job.count.used > 0 {
        send(job, points.finish());
    }
}

/// Adds the line's point to `points` if it is one of the metrics read: whether it was.
fn sample(line: &str, points: &mut Points) -> Result<bool, String> {
    let envelope: Envelope = serde_json::from_str(line).map_err(|e| {
        format!("the line is not a k6 JSON output object ({{\"type\":..,\"metric\":..,\"data\":..}}): {e}")
    })?;
    if envelope.kind != "Point" || !Points::reads(&envelope.metric) {
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
    let tags = Tags {
        name: tags.name.as_deref(),
        url: tags.url.as_deref(),
        check: tags.check.as_deref(),
        group: tags.group.as_deref(),
    };
    points.add(&envelope.metric, &point.time, point.value, tags)?;
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
            // 92 requests (a duration and a failed point each), 66 checks, 22 iterations and
            // 22 of each data point, 3 dropped iterations, 3 of each vus point.
            assert_eq!(
                (count.format, count.read, count.used),
                ("k6-json", 1139, 325)
            );
            let requests = values(&sink, "requests");
            assert_eq!(requests.len(), 6, "{requests:#?}");
            assert_eq!(
                requests[1],
                "loadtest.requests,request=GET /cart,tool=k6 Count(22.0)"
            );
            assert!(requests[4].starts_with("loadtest.requests,request=http://127.0.0.1:"));
            assert!(requests[4].ends_with("/health?probe=a,b,tool=k6 Count(22.0)"));
            assert_eq!(
                values(&sink, "failures").last().unwrap(),
                "loadtest.failures,request=_all,tool=k6 Count(11.0)"
            );
            assert_eq!(
                values(&sink, "checks.pass_rate")[0],
                format!(
                    "loadtest.checks.pass_rate,check=_all,tool=k6 Gauge({:?})",
                    59.0 / 66.0
                )
            );
            assert_eq!(sink.histograms.last().unwrap().buckets.count, 92);
        }
    }

    #[test]
    fn bad_lines_are_refused_and_other_metrics_skipped() {
        let text = concat!(
            r#"{"type":"Metric","metric":"http_req_duration","data":{"name":"http_req_duration"}}"#,
            "\n",
            r#"{"type":"Point","metric":"http_req_blocked","data":{"time":"x","value":1,"tags":{}}}"#,
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
        assert!(refused[0].starts_with("r:4 the time `yesterday` is not an RFC 3339 time"));
        assert!(refused[1].starts_with("r:6 the line is not a k6 JSON output object"));
        assert!(refused[2].starts_with("r:7 http_req_duration -1 is not"));
        let count = &sink.records[0];
        assert_eq!((count.read, count.used, count.refused), (7, 2, 3));
        // A label is the `name` tag, as k6's submetrics select requests: no `method`.
        assert_eq!(
            values(&sink, "error_rate"),
            vec![
                "loadtest.error_rate,request=a,tool=k6 Gauge(1.0)",
                "loadtest.error_rate,request=_all,tool=k6 Gauge(1.0)"
            ]
        );
    }
}
