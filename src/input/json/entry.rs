//! One entry of a JSON document: a metric or a histogram, read on its own so that a bad entry is
//! refused alone, with its JSON path. Strings are borrowed from the document where they need no
//! unescaping, and a metric is written into a reused [`Metric`], so that reading an entry
//! allocates nothing in the common case.

use std::borrow::Cow;

use serde::Deserialize;

use super::fields::{Pairs, Timestamp};
use crate::histogram::{self, Aggregator};
use crate::model::{Buckets, Code, Histogram, Metadata, Metric, Origin, Problem, Value};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct JsonMetric<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(rename = "type")]
    kind: Option<JsonKind>,
    value: Option<f64>,
    min: Option<f64>,
    max: Option<f64>,
    sum: Option<f64>,
    count: Option<u64>,
    #[serde(borrow, default)]
    dimensions: Pairs<'a>,
    #[serde(borrow)]
    timestamp: Option<Timestamp<'a>>,
    #[serde(borrow)]
    unit: Option<Cow<'a, str>>,
    #[serde(borrow)]
    description: Option<Cow<'a, str>>,
    #[serde(borrow)]
    display_name: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum JsonKind {
    Gauge,
    Count,
    Summary,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonHistogram<'a> {
    name: String,
    unit: Option<String>,
    description: Option<String>,
    #[serde(borrow, default)]
    attributes: Pairs<'a>,
    samples: Option<Vec<f64>>,
    bounds: Option<Vec<f64>>,
    counts: Option<Vec<u64>>,
    sum: Option<f64>,
    min: Option<f64>,
    max: Option<f64>,
}

/// Turns a metric entry into `metric` (its buffers reused) and returns its metadata, if any.
pub(super) fn json_metric(
    entry: &JsonMetric,
    shared_dimensions: &[(String, String)],
    origin: &Origin,
    metric: &mut Metric,
    spare: &mut SparePairs,
) -> Result<Option<Metadata>, Problem> {
    let value = value(entry).map_err(malformed)?;
    let timestamp = entry
        .timestamp
        .as_ref()
        .map(Timestamp::millis)
        .transpose()
        .map_err(malformed)?;
    metric.key.clear();
    metric.key.push_str(&entry.name);
    metric.prefixed = true;
    metric.value = value;
    metric.timestamp = timestamp;
    metric.origin.clone_from(origin);
    set_pairs(
        &mut metric.dimensions,
        shared_dimensions
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain(entry.dimensions.0.iter().map(|(k, v)| (&**k, &**v))),
        spare,
    );
    let has_metadata =
        entry.unit.is_some() || entry.description.is_some() || entry.display_name.is_some();
    Ok(has_metadata.then(|| Metadata {
        key: entry.name.to_string(),
        prefixed: true,
        payload_type: value.payload_type(),
        unit: entry.unit.as_deref().map(str::to_owned),
        description: entry.description.as_deref().map(str::to_owned),
        display_name: entry.display_name.as_deref().map(str::to_owned),
        origin: origin.clone(),
    }))
}

fn value(entry: &JsonMetric) -> Result<Value, String> {
    let has_summary_fields =
        entry.min.is_some() || entry.max.is_some() || entry.sum.is_some() || entry.count.is_some();
    let kind = match entry.kind {
        Some(kind) => kind,
        None if has_summary_fields && entry.value.is_none() => JsonKind::Summary,
        None => JsonKind::Gauge,
    };
    match kind {
        JsonKind::Gauge | JsonKind::Count => {
            if has_summary_fields {
                return Err(
                    "min/max/sum/count belong to a summary: set \"type\": \"summary\" and drop \
                     \"value\""
                        .into(),
                );
            }
            let value = entry
                .value
                .ok_or("`value` is missing: give a number, e.g. \"value\": 42")?;
            Ok(match kind {
                JsonKind::Count => Value::Count(value),
                _ => Value::Gauge(value),
            })
        }
        JsonKind::Summary => {
            if entry.value.is_some() {
                return Err("a summary has min, max, sum and count, not `value`".into());
            }
            match (entry.min, entry.max, entry.sum, entry.count) {
                (Some(min), Some(max), Some(sum), Some(count)) => Ok(Value::Summary {
                    min,
                    max,
                    sum,
                    count,
                }),
                _ => Err("a summary needs all of min, max, sum and count".into()),
            }
        }
    }
}

pub(super) fn json_histogram(
    raw: &[u8],
    shared_dimensions: &[(String, String)],
    origin: Origin,
) -> Result<Histogram, Problem> {
    let entry: JsonHistogram = parse(raw)?;
    let buckets = histogram_buckets(&entry)
        .map_err(malformed)?
        .map_err(|reason| Problem::new(Code::HistogramInvalid, reason))?;
    let mut attributes = Vec::new();
    set_pairs(
        &mut attributes,
        shared_dimensions
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain(entry.attributes.0.iter().map(|(k, v)| (&**k, &**v))),
        &mut SparePairs::default(),
    );
    Ok(Histogram {
        name: entry.name,
        unit: entry.unit,
        description: entry.description,
        attributes,
        buckets,
        window: None,
        origin,
    })
}

/// The outer error is a histogram that does not say what it is; the inner one data that
/// Dynatrace would refuse.
fn histogram_buckets(entry: &JsonHistogram) -> Result<Result<Buckets, String>, String> {
    match (&entry.samples, &entry.counts) {
        (Some(values), None) => {
            if entry.sum.is_some() || entry.min.is_some() || entry.max.is_some() {
                return Err("with `samples`, sum, min and max are computed; leave them out".into());
            }
            Ok(
                Aggregator::new(entry.bounds.clone()).and_then(|mut aggregator| {
                    for &value in values {
                        aggregator.record(value);
                    }
                    aggregator.finish()
                }),
            )
        }
        (None, Some(counts)) => {
            let bounds = entry
                .bounds
                .clone()
                .ok_or("pre-bucketed `counts` need their `bounds` (one fewer than counts)")?;
            let sum = entry
                .sum
                .ok_or("pre-bucketed `counts` need `sum` (Dynatrace drops a point without one)")?;
            Ok(histogram::from_buckets(
                bounds,
                counts.clone(),
                sum,
                entry.min,
                entry.max,
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

/// Parses an entry; when that fails, says which field is wrong.
fn parse<'a, T: Deserialize<'a>>(raw: &'a [u8]) -> Result<T, Problem> {
    serde_json::from_slice(raw).map_err(|_| why_not::<T>(raw))
}

/// Why `raw` is not a `T`: the entry parsed again, tracking the path to the wrong field.
pub(super) fn why_not<'a, T: Deserialize<'a>>(raw: &'a [u8]) -> Problem {
    let mut deserializer = serde_json::Deserializer::from_slice(raw);
    let reason = match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Ok(_) => "the entry could not be read".to_owned(),
        Err(error) => describe_json_error(&error),
    };
    malformed(reason)
}

fn malformed(reason: String) -> Problem {
    Problem::new(Code::InputMalformed, reason)
}

/// `` `dimensions.team`: invalid type ... `` without serde_json's line and column, which count
/// within the entry rather than the file; the JSON path locates it instead.
fn describe_json_error(e: &serde_path_to_error::Error<serde_json::Error>) -> String {
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

/// The document's `dimensions` (an object of string, number or boolean values) as pairs.
pub(super) fn json_dimensions(raw: &[u8]) -> Result<Vec<(String, String)>, String> {
    let pairs: Pairs = serde_json::from_slice(raw).map_err(|e| {
        let message = e.to_string();
        message
            .rsplit_once(" at line ")
            .map_or(message.clone(), |(m, _)| m.to_owned())
    })?;
    let mut owned = Vec::new();
    set_pairs(
        &mut owned,
        pairs.0.iter().map(|(k, v)| (k.as_ref(), v.as_ref())),
        &mut SparePairs::default(),
    );
    Ok(owned)
}

/// Pairs of strings that an entry with fewer dimensions left over, kept for the next entry
/// with more: their buffers are reused rather than freed and allocated again.
#[derive(Default)]
pub(super) struct SparePairs(Vec<(String, String)>);

/// At most this many spare pairs are kept.
const MAX_SPARE_PAIRS: usize = 64;

/// Sets `pairs` to `items`, a later key taking the value in its first place, reusing the
/// strings already in `pairs` and in `spare`.
fn set_pairs<'a>(
    pairs: &mut Vec<(String, String)>,
    items: impl Iterator<Item = (&'a str, &'a str)>,
    spare: &mut SparePairs,
) {
    let mut len = 0;
    for (key, value) in items {
        // Lengths and first bytes first: most keys differ in one or the other.
        let same_key = |k: &String| {
            k.len() == key.len() && k.as_bytes().first() == key.as_bytes().first() && k == key
        };
        if let Some(existing) = pairs[..len].iter_mut().find(|(k, _)| same_key(k)) {
            existing.1.clear();
            existing.1.push_str(value);
            continue;
        }
        if len == pairs.len() {
            pairs.push(spare.0.pop().unwrap_or_default());
        }
        let (k, v) = &mut pairs[len];
        k.clear();
        k.push_str(key);
        v.clear();
        v.push_str(value);
        len += 1;
    }
    let room = MAX_SPARE_PAIRS.saturating_sub(spare.0.len());
    spare.0.extend(pairs.drain(len..).take(room));
}
