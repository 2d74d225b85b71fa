//! k6's end-of-test summary: the `--summary-export` file (each metric's numbers directly on it)
//! and the data object `handleSummary(data)` receives (the numbers under `values`). Requests
//! (`k6_requests.rs`): `http_reqs`, `http_req_failed`, `http_req_duration`, over all and per
//! request name for their submetrics (`http_req_duration{name:GET /cart}`). Beyond them
//! (`k6_run.rs`): `checks` and each check of `root_group`, every threshold, the script's own
//! metrics, `iterations`, `dropped_iterations`, `vus`, `vus_max`, `data_sent`, `data_received`.

use std::io::Read;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value as Json};

use super::emit::{send, Results};
use super::extras::More;
use super::figures::Figure;
use super::k6_requests::Requests;
use super::k6_run::{self, Check, Kind, ALL_CHECKS};
use super::Job;
use crate::model::{Position, Thresholds};

/// The largest summary read: k6 writes a few KiB; more is not a summary.
const MAX_SUMMARY_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Deserialize)]
struct Summary {
    metrics: Option<Map<String, Json>>,
    root_group: Option<Json>,
}

/// What the summary says beyond requests.
#[derive(Default)]
struct Run {
    figures: Vec<Figure>,
    more: More,
    checks: Option<Check>,
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
    let mut requests = Requests::default();
    let mut run = Run::default();
    let mut verdicts = None;
    for (key, entry) in &metrics {
        job.count.read += 1;
        count_thresholds(entry, &mut verdicts);
        let (metric, selector) = match key.split_once('{') {
            Some((metric, tags)) => (metric, Some(tags.strip_suffix('}').unwrap_or(tags))),
            None => (key.as_str(), None),
        };
        let used = values_of(entry).and_then(|values| {
            let thresholds = thresholds(key, entry)?;
            let used = match metric {
                "http_reqs" | "http_req_failed" | "http_req_duration" => {
                    requests.take(metric, selector, values)?
                }
                _ => run.take(metric, selector, entry, values)?,
            };
            run.figures.extend(thresholds);
            Ok(used)
        });
        match used {
            Ok(true) => job.count.used += 1,
            Ok(false) => {}
            Err(reason) => {
                let path = Arc::from(format!("$.metrics[\"{key}\"]"));
                job.refuse(Position::Path(path), reason);
            }
        }
    }
    if job.count.used == 0 {
        return;
    }
    if let Some(root) = &summary.root_group {
        let mut checks = Vec::new();
        group_checks(root, &mut checks);
        run.figures
            .extend(k6_run::checks(checks, run.checks.take()));
    } else if let Some(all) = run.checks.take() {
        run.figures.extend(k6_run::checks(Vec::new(), Some(all)));
    }
    let (labels, mut all, folded) = requests.finish(job);
    if let Some(all) = all.as_mut() {
        all.more.bytes_sent = run.more.bytes_sent;
        all.more.bytes_received = run.more.bytes_received;
        all.more.users = run.more.users;
    }
    let results = Results {
        labels,
        all,
        time: None,
        folded,
        thresholds: verdicts,
        figures: run.figures,
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

/// A metric's numbers: under `values` (handleSummary), or on it (`--summary-export`).
fn values_of(entry: &Json) -> Result<&Map<String, Json>, String> {
    match entry.get("values") {
        Some(Json::Object(values)) => Ok(values),
        _ => entry
            .as_object()
            .ok_or_else(|| "the metric is not an object of its numbers".to_owned()),
    }
}

/// The metric's thresholds: `{"p(95)<500": false}` (`--summary-export`: true when crossed) or
/// `{"p(95)<500": {"ok": true}}` (handleSummary).
fn thresholds(key: &str, entry: &Json) -> Result<Vec<Figure>, String> {
    let Some(thresholds) = entry.get("thresholds") else {
        return Ok(Vec::new());
    };
    let thresholds = thresholds
        .as_object()
        .ok_or("`thresholds` is not an object of threshold expressions")?;
    let mut figures = Vec::new();
    for (expression, outcome) in thresholds {
        let passed = match outcome {
            Json::Bool(crossed) => !crossed,
            outcome => outcome.get("ok").and_then(Json::as_bool).ok_or_else(|| {
                format!("threshold `{expression}` is {outcome}, neither true/false nor {{\"ok\": true/false}}")
            })?,
        };
        figures.push(k6_run::threshold(key, expression, passed));
    }
    Ok(figures)
}

/// A number of the metric, if it has it.
fn number(values: &Map<String, Json>, field: &str) -> Result<Option<f64>, String> {
    match values.get(field) {
        None | Some(Json::Null) => Ok(None),
        Some(value) => value
            .as_f64()
            .filter(|v| v.is_finite())
            .map(Some)
            .ok_or_else(|| format!("`{field}` {value} is not a number")),
    }
}

/// A count of the metric, if it has it.
pub fn count(values: &Map<String, Json>, field: &str) -> Result<Option<u64>, String> {
    match number(values, field)? {
        None => Ok(None),
        Some(v) if v >= 0.0 && v.fract() == 0.0 && v < 2f64.powi(53) => Ok(Some(v as u64)),
        Some(v) => Err(format!("`{field}` {v} is not a count")),
    }
}

impl Run {
    /// Takes one metric that is not a request metric: whether it is sent.
    fn take(
        &mut self,
        metric: &str,
        selector: Option<&str>,
        entry: &Json,
        values: &Map<String, Json>,
    ) -> Result<bool, String> {
        let stat = |field: &str| number(values, field);
        if !k6_run::is_builtin(metric) {
            let stats = values
                .iter()
                .filter(|(field, _)| *field != "thresholds")
                .map(|(field, _)| Ok((field.as_str(), stat(field)?.unwrap_or(0.0))))
                .collect::<Result<Vec<_>, String>>()?;
            let kind = entry
                .get("type")
                .and_then(Json::as_str)
                .and_then(Kind::parse);
            let kind = kind.unwrap_or_else(|| kind_of(values));
            let unit = k6_run::unit(entry.get("contains").and_then(Json::as_str));
            let figures = k6_run::custom(metric, selector, kind, unit, &stats);
            self.figures.extend(figures);
            return Ok(true);
        }
        if selector.is_some() {
            return Ok(false);
        }
        match metric {
            "checks" => {
                let passes = count(values, "passes")?.ok_or("`passes` is missing")?;
                let fails = count(values, "fails")?.ok_or("`fails` is missing")?;
                self.checks = Some(Check {
                    name: ALL_CHECKS.to_owned(),
                    group: String::new(),
                    passes,
                    fails,
                });
            }
            "iterations" | "dropped_iterations" => {
                let iterations = stat("count")?.ok_or("`count` is missing")?;
                let figures = k6_run::iterations(metric, iterations, stat("rate")?);
                self.figures.extend(figures);
            }
            "vus" => self.more.users = stat("max")?,
            "vus_max" => {
                let max = stat("max")?.or(stat("value")?).ok_or("`max` is missing")?;
                self.figures.push(k6_run::vus_max(max));
            }
            "data_sent" => self.more.bytes_sent = stat("count")?,
            "data_received" => self.more.bytes_received = stat("count")?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// The kind of a metric of `--summary-export`, which does not say it, from its numbers.
fn kind_of(values: &Map<String, Json>) -> Kind {
    let has = |field: &str| values.contains_key(field);
    if has("passes") && has("fails") {
        Kind::Rate
    } else if has("avg") || has("med") || values.keys().any(|k| k.starts_with("p(")) {
        Kind::Trend
    } else if has("count") {
        Kind::Counter
    } else {
        Kind::Gauge
    }
}

/// The checks of `group` and of the groups in it, each with its group's path: `checks` and
/// `groups` are arrays (handleSummary) or objects keyed by name (`--summary-export`).
fn group_checks(group: &Json, out: &mut Vec<Check>) {
    let entries = |field: &str| -> Vec<&Json> {
        match group.get(field) {
            Some(Json::Array(items)) => items.iter().collect(),
            Some(Json::Object(items)) => items.values().collect(),
            _ => Vec::new(),
        }
    };
    let path = group.get("path").and_then(Json::as_str).unwrap_or("");
    for check in entries("checks") {
        let Some(values) = check.as_object() else {
            continue;
        };
        let (Ok(Some(passes)), Ok(Some(fails))) = (count(values, "passes"), count(values, "fails"))
        else {
            continue;
        };
        let name = check.get("name").and_then(Json::as_str).unwrap_or("");
        out.push(Check {
            name: name.to_owned(),
            group: path.to_owned(),
            passes,
            fails,
        });
    }
    for inner in entries("groups") {
        group_checks(inner, out);
    }
}

#[cfg(test)]
#[path = "k6_summary_tests.rs"]
mod tests;
