//! Locust's JSON (`--json-file NAME` writes `NAME.json`, `--json` prints it): a list of one
//! entry per request name and method, written at shutdown, so complete (the stats CSV is
//! rewritten once a second and misses the end). Each entry holds its counts, total and extreme
//! response times, the content length, when its first and last requests were made, and
//! `response_times`: Locust's rounded times with how often each came. The percentiles are
//! Locust's own rule over those; the aggregate is the entries merged, as Locust's `Aggregated`
//! row is.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value as Json;

use super::emit::{send, RequestStats, Results, Spread, TestTime, PERCENTILES};
use super::extras::More;
use super::labels::Labels;
use super::percentiles::{in_counted, Rule};
use super::Job;
use crate::model::Position;

/// The largest file read: Locust writes a few KiB per entry.
const MAX_BYTES: u64 = 16 * 1024 * 1024;

/// One entry, as `StatsEntry.serialize` writes it.
#[derive(Deserialize, Clone)]
struct Entry {
    name: String,
    method: Option<String>,
    start_time: f64,
    last_request_timestamp: Option<f64>,
    num_requests: u64,
    #[serde(default)]
    num_none_requests: u64,
    num_failures: u64,
    total_response_time: f64,
    max_response_time: f64,
    min_response_time: Option<f64>,
    #[serde(default)]
    total_content_length: f64,
    /// Rounded response time (ms, as text) -> how many requests took it.
    response_times: BTreeMap<String, u64>,
}

/// An entry, or entries merged (Locust's `StatsEntry.extend`).
#[derive(Clone, Default)]
struct Merged {
    requests: u64,
    timed: u64,
    failures: u64,
    total_ms: f64,
    min_ms: Option<f64>,
    max_ms: f64,
    content: f64,
    /// Rounded time -> count, in ascending order of time.
    times: Vec<(f64, u64)>,
}

impl Merged {
    fn of(entry: &Entry) -> Result<Merged, String> {
        let mut times = Vec::with_capacity(entry.response_times.len());
        for (time, &count) in &entry.response_times {
            match time.parse::<f64>() {
                Ok(ms) if ms.is_finite() && ms >= 0.0 => times.push((ms, count)),
                _ => return Err(format!("response_times key `{time}` is not milliseconds")),
            }
        }
        times.sort_by(|a, b| a.0.total_cmp(&b.0));
        if entry.num_failures > entry.num_requests || entry.num_none_requests > entry.num_requests {
            return Err(format!(
                "num_failures {} or num_none_requests {} is more than num_requests {}",
                entry.num_failures, entry.num_none_requests, entry.num_requests
            ));
        }
        Ok(Merged {
            requests: entry.num_requests,
            timed: entry.num_requests - entry.num_none_requests,
            failures: entry.num_failures,
            total_ms: entry.total_response_time,
            min_ms: entry.min_response_time,
            max_ms: entry.max_response_time,
            content: entry.total_content_length,
            times,
        })
    }

    fn extend(&mut self, other: &Merged) {
        self.requests += other.requests;
        self.timed += other.timed;
        self.failures += other.failures;
        self.total_ms += other.total_ms;
        self.min_ms = match (self.min_ms, other.min_ms) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.max_ms = self.max_ms.max(other.max_ms);
        self.content += other.content;
        for &(time, count) in &other.times {
            match self.times.binary_search_by(|(t, _)| t.total_cmp(&time)) {
                Ok(at) => self.times[at].1 += count,
                Err(at) => self.times.insert(at, (time, count)),
            }
        }
    }

    /// The figures Locust shows for it; its rates over `seconds`, the test's requests span.
    fn stats(&self, seconds: Option<f64>) -> RequestStats {
        let qs = PERCENTILES.map(|(_, q)| q);
        let n = self.times.iter().map(|(_, count)| count).sum();
        let percentiles = Rule::Locust.percentiles(qs, n, |r| in_counted(&self.times, r));
        RequestStats {
            requests: Some(self.requests),
            failures: Some(self.failures),
            response_time: self.min_ms.filter(|_| self.timed > 0).map(|min| Spread {
                min,
                max: self.max_ms,
                sum: self.total_ms,
                count: self.timed,
            }),
            percentiles,
            histogram: None,
            more: More {
                requests_per_second: seconds.map(|s| self.requests as f64 / s),
                failures_per_second: seconds.map(|s| self.failures as f64 / s),
                bytes_received: Some(self.content),
                ..More::default()
            },
        }
    }
}

pub fn read(job: &mut Job, reader: impl Read) {
    let mut limited = reader.take(MAX_BYTES + 1);
    let entries: Vec<Json> = match serde_json::from_reader(&mut limited) {
        Ok(entries) => entries,
        Err(_) if limited.limit() == 0 => {
            let why = format!("it is larger than {} MiB", MAX_BYTES >> 20);
            return job.stop(Position::Whole, &why);
        }
        Err(error) => {
            let why = format!("it is not Locust's JSON (a list of stats entries): {error}");
            return job.stop(Position::Line(error.line() as u64), &why);
        }
    };
    let mut labels = Labels::new(None::<Merged>);
    let mut all = Merged::default();
    let (mut first, mut last) = (f64::INFINITY, f64::NEG_INFINITY);
    for (at, entry) in entries.into_iter().enumerate() {
        job.count.read += 1;
        let read = serde_json::from_value::<Entry>(entry)
            .map_err(|e| format!("the entry is not a Locust stats entry: {e}"))
            .and_then(|entry| Ok((Merged::of(&entry)?, entry)));
        let (merged, entry) = match read {
            Ok(read) => read,
            Err(reason) => {
                job.refuse(Position::Path(Arc::from(format!("$[{at}]"))), reason);
                continue;
            }
        };
        job.count.used += 1;
        first = first.min(entry.start_time);
        last = last.max(entry.last_request_timestamp.unwrap_or(f64::NEG_INFINITY));
        all.extend(&merged);
        let method = entry.method.as_deref().filter(|m| !m.is_empty());
        match labels.get(method.map(str::as_bytes), entry.name.as_bytes()) {
            Some(earlier) => earlier.extend(&merged),
            slot => *slot = Some(merged),
        }
    }
    if job.count.used == 0 {
        return;
    }
    // Locust's rates: requests over the time from the first to the last request of the test.
    let seconds = Some(last - first).filter(|s| s.is_finite() && *s > 0.0);
    let (labels, folded) = labels.finish();
    let results = Results {
        labels: labels
            .into_iter()
            .filter_map(|(label, merged)| Some((label, merged?.stats(seconds))))
            .collect(),
        all: Some(all.stats(seconds)),
        time: (first <= last).then_some(TestTime {
            start_ns: (first * 1e9) as i64,
            end_ns: (last * 1e9) as i64,
            zoned: true,
        }),
        folded,
        thresholds: None,
        figures: Vec::new(),
    };
    send(job, results);
}

#[cfg(test)]
mod tests {
    use crate::results::testing::{read_text, values};
    use crate::results::Format;

    #[test]
    fn entries_merge_into_the_aggregate_and_bad_ones_are_refused() {
        let entry = |name: &str, method: &str, times: &str, start: f64, last: f64| {
            format!(
                r#"{{"name": "{name}", "method": "{method}", "start_time": {start},
                "last_request_timestamp": {last}, "num_requests": 4, "num_none_requests": 0,
                "num_failures": 1, "total_response_time": 50.0, "max_response_time": 20.4,
                "min_response_time": 9.6, "total_content_length": 400,
                "response_times": {times}, "num_reqs_per_sec": {{}}, "num_fail_per_sec": {{}}}}"#
            )
        };
        let text = format!(
            "[{}, {}, {{\"name\": 3}}]",
            entry("/a", "GET", r#"{"10": 3, "20": 1}"#, 100.0, 101.0),
            entry("/b", "POST", r#"{"12": 2, "140": 2}"#, 100.5, 102.0),
        );
        let sink = read_text(&text, Some(Format::Locust)).unwrap();
        let refused = sink.refusal_texts();
        assert_eq!(refused.len(), 1);
        assert!(refused[0].starts_with("r $[2] the entry is not a Locust stats entry"));
        assert_eq!(
            values(&sink, "response_time_p50"),
            vec![
                "loadtest.response_time_p50,request=/a,method=GET,tool=locust Gauge(10.0)",
                "loadtest.response_time_p50,request=/b,method=POST,tool=locust Gauge(140.0)",
                "loadtest.response_time_p50,request=_all,tool=locust Gauge(12.0)",
            ]
        );
        // 8 requests from the first start to the last request, 2 s.
        assert_eq!(
            values(&sink, "requests_per_second").last().unwrap(),
            "loadtest.requests_per_second,request=_all,tool=locust Gauge(4.0)"
        );
        assert_eq!(
            values(&sink, "bytes_received").last().unwrap(),
            "loadtest.bytes_received,request=_all,tool=locust Count(800.0)"
        );
        let count = &sink.records[0];
        assert_eq!((count.read, count.used, count.refused), (3, 2, 1));
    }
}
