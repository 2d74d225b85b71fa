//! One entry of a JSON document: a metric or a histogram, read on its own so that a bad entry is
//! refused alone, with its JSON path.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value as Json};

use crate::histogram::{self, Aggregator};
use crate::model::{set_pair, Buckets, Code, Histogram, Metadata, Metric, Origin, Problem, Value};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonMetric {
    name: String,
    #[serde(rename = "type")]
    kind: Option<JsonKind>,
    value: Option<f64>,
    min: Option<f64>,
    max: Option<f64>,
    sum: Option<f64>,
    count: Option<u64>,
    #[serde(default)]
    dimensions: Map<String, Json>,
    timestamp: Option<JsonTimestamp>,
    unit: Option<String>,
    description: Option<String>,
    display_name: Option<String>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum JsonKind {
    Gauge,
    Count,
    Summary,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum JsonTimestamp {
    Millis(i64),
    Text(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonHistogram {
    name: String,
    unit: Option<String>,
    description: Option<String>,
    #[serde(default)]
    attributes: Map<String, Json>,
    samples: Option<Vec<f64>>,
    bounds: Option<Vec<f64>>,
    counts: Option<Vec<u64>>,
    sum: Option<f64>,
    min: Option<f64>,
    max: Option<f64>,
}

pub(super) fn json_histogram(
    entry: &RawValue,
    shared_dimensions: &[(String, String)],
    origin: Origin,
) -> Result<Histogram, Problem> {
    let raw: JsonHistogram =
        serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(entry.get()))
            .map_err(|e| malformed(describe_json_error(&e)))?;
    let buckets = histogram_buckets(&raw)
        .map_err(|reason| Problem::new(Code::InputMalformed, reason))?
        .map_err(|reason| Problem::new(Code::HistogramInvalid, reason))?;
    let mut attributes = shared_dimensions.to_vec();
    for (key, value) in json_dimensions(&raw.attributes).map_err(malformed)? {
        set_pair(&mut attributes, key, value);
    }
    Ok(Histogram {
        name: raw.name,
        unit: raw.unit,
        description: raw.description,
        attributes,
        buckets,
        origin,
    })
}

/// The outer error is a histogram that does not say what it is; the inner one data that
/// Dynatrace would refuse.
fn histogram_buckets(raw: &JsonHistogram) -> Result<Result<Buckets, String>, String> {
    match (&raw.samples, &raw.counts) {
        (Some(values), None) => {
            if raw.sum.is_some() || raw.min.is_some() || raw.max.is_some() {
                return Err("with `samples`, sum, min and max are computed; leave them out".into());
            }
            Ok(
                Aggregator::new(raw.bounds.clone()).and_then(|mut aggregator| {
                    for &value in values {
                        aggregator.record(value);
                    }
                    aggregator.finish()
                }),
            )
        }
        (None, Some(counts)) => {
            let bounds = raw
                .bounds
                .clone()
                .ok_or("pre-bucketed `counts` need their `bounds` (one fewer than counts)")?;
            let sum = raw
                .sum
                .ok_or("pre-bucketed `counts` need `sum` (Dynatrace drops a point without one)")?;
            Ok(histogram::from_buckets(
                bounds,
                counts.clone(),
                sum,
                raw.min,
                raw.max,
            ))
        }
        (Some(_), Some(_)) => {
            Err("give either `samples` or pre-bucketed `counts`, not both".into())
        }
        (None, None) => {
            Err("a histogram needs `samples` or pre-bucketed `bounds`, `counts` and `sum`".into())
        }
    }
}

fn malformed(reason: String) -> Problem {
    Problem::new(Code::InputMalformed, reason)
}

/// `` `dimensions.team`: invalid type ... `` without serde_json's line and column, which count
/// within the entry rather than the file; the JSON path locates it instead.
pub(super) fn describe_json_error(e: &serde_path_to_error::Error<serde_json::Error>) -> String {
    let message = e.inner().to_string();
    let message = match e.inner().line() {
        0 => message.as_str(),
        _ => message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(m, _)| m),
    };
    match e.path().to_string().as_str() {
        "." => message.to_owned(),
        path => format!("`{path}`: {message}"),
    }
}

pub(super) fn json_metric(
    entry: &RawValue,
    shared_dimensions: &[(String, String)],
    origin: Origin,
) -> Result<(Metric, Option<Metadata>), Problem> {
    metric_fields(entry, shared_dimensions, origin).map_err(malformed)
}

fn metric_fields(
    entry: &RawValue,
    shared_dimensions: &[(String, String)],
    origin: Origin,
) -> Result<(Metric, Option<Metadata>), String> {
    let raw: JsonMetric =
        serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(entry.get()))
            .map_err(|e| describe_json_error(&e))?;
    let has_summary_fields =
        raw.min.is_some() || raw.max.is_some() || raw.sum.is_some() || raw.count.is_some();
    let kind = match raw.kind {
        Some(kind) => kind,
        None if has_summary_fields && raw.value.is_none() => JsonKind::Summary,
        None => JsonKind::Gauge,
    };
    let value = match kind {
        JsonKind::Gauge | JsonKind::Count => {
            if has_summary_fields {
                return Err(
                    "min/max/sum/count belong to a summary: set \"type\": \"summary\" and drop \
                     \"value\""
                        .into(),
                );
            }
            let value = raw
                .value
                .ok_or("`value` is missing: give a number, e.g. \"value\": 42")?;
            match kind {
                JsonKind::Count => Value::Count(value),
                _ => Value::Gauge(value),
            }
        }
        JsonKind::Summary => {
            if raw.value.is_some() {
                return Err("a summary has min, max, sum and count, not `value`".into());
            }
            match (raw.min, raw.max, raw.sum, raw.count) {
                (Some(min), Some(max), Some(sum), Some(count)) => Value::Summary {
                    min,
                    max,
                    sum,
                    count,
                },
                _ => return Err("a summary needs all of min, max, sum and count".into()),
            }
        }
    };
    let timestamp = raw.timestamp.map(parse_timestamp).transpose()?;
    let mut dimensions = shared_dimensions.to_vec();
    for (key, value) in json_dimensions(&raw.dimensions)? {
        set_pair(&mut dimensions, key, value);
    }
    let metadata = (raw.unit.is_some() || raw.description.is_some() || raw.display_name.is_some())
        .then(|| Metadata {
            key: raw.name.clone(),
            prefixed: true,
            payload_type: value.payload_type(),
            unit: raw.unit,
            description: raw.description,
            display_name: raw.display_name,
            origin: origin.clone(),
        });
    let metric = Metric {
        key: raw.name,
        prefixed: true,
        dimensions,
        value,
        timestamp,
        origin,
    };
    Ok((metric, metadata))
}

pub(super) fn json_dimensions(map: &Map<String, Json>) -> Result<Vec<(String, String)>, String> {
    map.iter()
        .map(|(key, value)| {
            let text = match value {
                Json::String(s) => s.clone(),
                Json::Number(n) => n.to_string(),
                Json::Bool(b) => b.to_string(),
                _ => {
                    return Err(format!(
                        "dimension `{key}` must be a string, number or boolean, not {value}"
                    ))
                }
            };
            Ok((key.clone(), text))
        })
        .collect()
}

fn parse_timestamp(timestamp: JsonTimestamp) -> Result<i64, String> {
    match timestamp {
        JsonTimestamp::Millis(ms) => Ok(ms),
        JsonTimestamp::Text(text) => {
            let time = humantime::parse_rfc3339(&text).map_err(|_| {
                format!(
                    "timestamp `{text}` is neither UTC milliseconds since 1970 nor an RFC 3339 \
                     UTC time such as 2026-11-22T08:00:00Z"
                )
            })?;
            let since_epoch = time
                .duration_since(std::time::UNIX_EPOCH)
                .map_err(|_| format!("timestamp `{text}` is before 1970"))?;
            i64::try_from(since_epoch.as_millis())
                .map_err(|_| format!("timestamp `{text}` is too far in the future"))
        }
    }
}
