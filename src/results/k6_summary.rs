//! k6's end-of-test summary: the `--summary-export` file (each metric's numbers directly on it)
//! and the data object `handleSummary(data)` receives (the numbers under `values`). Read:
//! `http_reqs` (`count`), `http_req_failed` (`passes` are the failed requests) and
//! `http_req_duration` (`min`, `avg`, `max`, `med`, `p(90)`, `p(95)`, `p(99)` as far as
//! `summaryTrendStats` asked for them), over all requests, and per request label for the
//! submetrics a threshold made (`http_req_duration{name:GET /cart}`).

use std::io::Read;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value as Json};

use super::emit::{send, RequestStats, Results, Spread};
use super::labels::{Labels, OTHER};
use super::Job;
use crate::model::{Position, Thresholds};

/// The largest summary read: k6 writes a few KiB; more is not a summary.
const MAX_SUMMARY_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Deserialize)]
struct Summary {
    metrics: Option<Map<String, Json>>,
}

/// What the summary says of one label (or of all requests).
#[derive(Debug, Clone, Default)]
struct Parts {
    requests: Option<u64>,
    failures: Option<u64>,
    /// `passes + fails` of `http_req_failed`: the requests, when `http_reqs` is missing.
    checked: Option<u64>,
    trend: Option<Map<String, Json>>,
}

pub fn read(job: &mut Job, reader: impl Read) {
    let mut limited = reader.take(MAX_SUMMARY_BYTES + 1);
    let summary: Summary = match serde_json::from_reader(&mut limited) {
        Ok(summary) => summary,
        Err(_) if limited.limit() == 0 => {
            let why = format!("the summary is larger than {} MiB", MAX_SUMMARY_BYTES >> 20);
            return job.stop(Position::Whole, &why);
        }
        Err(error) => {
            let why = format!("it is not a k6 summary (JSON): {error}");
            return job.stop(Position::Line(error.line() as u64), &why);
        }
    };
    let Some(metrics) = summary.metrics else {
        let why = "it has no `metrics` object, as a k6 summary has";
        return job.stop(Position::Whole, why);
    };
    let mut all = Parts::default();
    let mut labels = Labels::new(Parts::default());
    let mut thresholds = None;
    for (key, entry) in &metrics {
        job.count.read += 1;
        count_thresholds(entry, &mut thresholds);
        let (metric, selector) = match key.split_once('{') {
            Some((metric, tags)) => (metric, Some(tags.strip_suffix('}').unwrap_or(tags))),
            None => (key.as_str(), None),
        };
        if !matches!(
            metric,
            "http_reqs" | "http_req_failed" | "http_req_duration"
        ) {
            continue;
        }
        let parts = match selector {
            None => &mut all,
            Some(selector) => match label_of(selector) {
                Some((method, name)) => labels.get(method.map(str::as_bytes), name.as_bytes()),
                None => continue,
            },
        };
        match take(metric, entry, parts) {
            Ok(()) => job.count.used += 1,
            Err(reason) => {
                let path = Arc::from(format!("$.metrics[\"{key}\"]"));
                job.refuse(Position::Path(path), reason);
            }
        }
    }
    if job.count.used == 0 {
        return;
    }
    let (labels, folded) = labels.finish();
    let labels = labels
        .into_iter()
        .map(|(label, parts)| {
            let mut stats = parts.stats();
            if label.name == OTHER {
                stats.percentiles = [None; 4];
                stats.response_time = None;
            }
            (label, stats)
        })
        .collect();
    let all = (all.requests.is_some() || all.checked.is_some() || all.trend.is_some())
        .then(|| all.stats());
    let results = Results {
        labels,
        all,
        time: None,
        folded,
        thresholds,
    };
    send(job, results);
}

/// Counts a metric's thresholds and the failed ones: `--summary-export` writes each as
/// `true` when it failed, `handleSummary`'s data as `{"ok": false}`.
fn count_thresholds(entry: &Json, thresholds: &mut Option<Thresholds>) {
    let Some(Json::Object(each)) = entry.get("thresholds") else {
        return;
    };
    for verdict in each.values() {
        let failed = match verdict {
            Json::Bool(failed) => *failed,
            Json::Object(result) => match result.get("ok") {
                Some(Json::Bool(ok)) => !ok,
                _ => continue,
            },
            _ => continue,
        };
        let counted = thresholds.get_or_insert_with(Thresholds::default);
        counted.total += 1;
        counted.failed += u64::from(failed);
    }
}

/// The request label of a submetric's tags (`name:GET /cart`, `method:GET,name:/`): `None`
/// when they select something else than requests by name (`expected_response:true`).
fn label_of(selector: &str) -> Option<(Option<&str>, &str)> {
    let (mut name, mut url, mut method) = (None, None, None);
    for tag in selector.split(',') {
        match tag.split_once(':')? {
            ("name", value) => name = Some(value),
            ("url", value) => url = Some(value),
            ("method", value) => method = Some(value),
            _ => return None,
        }
    }
    Some((method, name.or(url)?))
}

/// Adds one metric's numbers to `parts`.
fn take(metric: &str, entry: &Json, parts: &mut Parts) -> Result<(), String> {
    let values = match entry.get("values") {
        Some(Json::Object(values)) => values,
        _ => entry
            .as_object()
            .ok_or("the metric is not an object of its numbers")?,
    };
    let count = |field: &str| -> Result<Option<u64>, String> {
        match values.get(field) {
            None | Some(Json::Null) => Ok(None),
            Some(value) => value
                .as_f64()
                .filter(|v| *v >= 0.0 && v.fract() == 0.0 && *v < 2f64.powi(53))
                .map(|v| Some(v as u64))
                .ok_or_else(|| format!("`{field}` {value} is not a count")),
        }
    };
    let add = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) => Some(a + b),
        (a, b) => a.or(b),
    };
    match metric {
        "http_reqs" => {
            let requests = count("count")?.ok_or("`count` is missing")?;
            parts.requests = add(parts.requests, Some(requests));
        }
        "http_req_failed" => {
            let failed = count("passes")?.ok_or("`passes` (the failed requests) is missing")?;
            let succeeded = count("fails")?;
            parts.failures = add(parts.failures, Some(failed));
            parts.checked = add(parts.checked, succeeded.map(|s| s + failed));
        }
        _ => {
            for (field, value) in values {
                let number = value.is_null() || value.as_f64().is_some_and(f64::is_finite);
                if field != "thresholds" && !number {
                    return Err(format!("`{field}` {value} is not a number of milliseconds"));
                }
            }
            parts.trend = Some(values.clone());
        }
    }
    Ok(())
}

impl Parts {
    fn stats(self) -> RequestStats {
        let requests = self.requests.or(self.checked);
        let stat = |name: &str| self.trend.as_ref()?.get(name)?.as_f64();
        let response_time = match (stat("min"), stat("avg"), stat("max"), requests) {
            (Some(min), Some(avg), Some(max), Some(count @ 1..)) => Some(Spread {
                min,
                max,
                sum: avg * count as f64,
                count,
            }),
            _ => None,
        };
        RequestStats {
            requests,
            failures: self.failures,
            response_time,
            percentiles: [
                stat("med").or_else(|| stat("p(50)")),
                stat("p(90)"),
                stat("p(95)"),
                stat("p(99)"),
            ],
            histogram: None,
            ..RequestStats::default()
        }
    }
}

#[cfg(test)]
#[path = "k6_summary_tests.rs"]
mod tests;
