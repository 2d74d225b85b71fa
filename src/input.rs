//! Inputs: `--metric` arguments, JSON documents and line-protocol files, read into one list of
//! metrics. A malformed argument or a file that cannot be read or parsed at all stops the run
//! (nothing is sent); a bad entry inside a file is refused with its place and the rest goes on.

use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value as Json};

use crate::config::Sources;
use crate::lineproto::{parse_line, ParsedLine};
use crate::model::{
    set_pair, Distribution, Histogram, Inputs, Metadata, Metric, Origin, Refusal, Value,
};

pub fn read_inputs(sources: &Sources, stdin: &mut dyn Read) -> Result<Inputs> {
    let mut inputs = Inputs::default();
    for (index, argument) in sources.metrics.iter().enumerate() {
        let origin = Origin(format!("--metric #{}", index + 1));
        let metric = metric_argument(argument, origin.clone())
            .with_context(|| format!("{origin} `{argument}`"))?;
        inputs.metrics.push(metric);
    }
    for path in &sources.inputs {
        let (name, text) = read_source(path, stdin)?;
        read_json_document(&name, &text, &mut inputs)?;
    }
    for path in &sources.lines {
        let (name, text) = read_source(path, stdin)?;
        read_line_protocol(&name, &text, &mut inputs);
    }
    for (histogram, path) in &sources.histograms {
        let (name, text) = read_source(path, stdin)?;
        read_samples(histogram, sources.bounds.clone(), &name, &text, &mut inputs);
    }
    Ok(inputs)
}

/// `NAME=VALUE` (the last `=` separates the value), or a whole line with a relative key.
fn metric_argument(argument: &str, origin: Origin) -> Result<Metric> {
    let line = if argument.trim().contains(char::is_whitespace) {
        argument.trim().to_owned()
    } else {
        match argument.rsplit_once('=') {
            Some((key, value)) => format!("{key} {value}"),
            None => bail!(
                "expected NAME=VALUE (e.g. `build_time=42`) or a line such as \
                 `build_time,step=compile gauge,42`"
            ),
        }
    };
    match parse_line(&line) {
        Ok(ParsedLine::Metric {
            key,
            dimensions,
            value,
            timestamp,
        }) => Ok(Metric {
            key,
            prefixed: true,
            dimensions,
            value,
            timestamp,
            origin,
        }),
        Ok(ParsedLine::Metadata { .. }) => {
            bail!("metadata lines belong in a --lines file, not in --metric")
        }
        Err(e) => bail!("{e}"),
    }
}

fn read_source(path: &Path, stdin: &mut dyn Read) -> Result<(String, String)> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        stdin
            .read_to_string(&mut text)
            .context("reading stdin (it must be UTF-8 text)")?;
        return Ok(("stdin".to_owned(), text));
    }
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading {name} (it must be a readable UTF-8 file)"))?;
    Ok((name, text))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonDocument<'a> {
    #[serde(borrow, default)]
    metrics: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    histograms: Vec<&'a RawValue>,
    #[serde(default)]
    dimensions: Map<String, Json>,
}

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

pub fn read_json_document(name: &str, text: &str, inputs: &mut Inputs) -> Result<()> {
    let not_json = || {
        format!("{name} is not valid JSON (expected a list of metrics or {{\"metrics\": [...]}})")
    };
    // Entries stay raw until each is read on its own, so that one bad entry is refused alone.
    let (entries, histograms, shared_dimensions, path) = match text.trim_start().chars().next() {
        Some('[') => {
            let entries: Vec<&RawValue> = serde_json::from_str(text).with_context(not_json)?;
            (entries, Vec::new(), Map::new(), "$")
        }
        Some('{') => {
            serde_json::from_str::<&RawValue>(text).with_context(not_json)?;
            let document: JsonDocument =
                serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(text))
                    .map_err(|e| anyhow::anyhow!("{name}: {}", describe_json_error(&e)))?;
            (
                document.metrics,
                document.histograms,
                document.dimensions,
                "$.metrics",
            )
        }
        _ => {
            serde_json::from_str::<&RawValue>(text).with_context(not_json)?;
            bail!("{name}: expected a JSON list of metrics or an object {{\"metrics\": [...]}}")
        }
    };
    let shared = json_dimensions(&shared_dimensions)
        .map_err(|e| anyhow::anyhow!("{name} $.dimensions: {e}"))?;
    inputs.metrics.reserve(entries.len());
    for (index, entry) in entries.into_iter().enumerate() {
        let origin = Origin(format!("{name} {path}[{index}]"));
        match json_metric(entry, &shared, origin.clone()) {
            Ok((metric, metadata)) => {
                inputs.metrics.push(metric);
                inputs.metadata.extend(metadata);
            }
            Err(error) => inputs.refusals.push(Refusal { origin, error }),
        }
    }
    for (index, entry) in histograms.into_iter().enumerate() {
        let origin = Origin(format!("{name} $.histograms[{index}]"));
        match json_histogram(entry, &shared, origin.clone()) {
            Ok(histogram) => inputs.histograms.push(histogram),
            Err(error) => inputs.histogram_refusals.push(Refusal { origin, error }),
        }
    }
    Ok(())
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

fn json_histogram(
    entry: &RawValue,
    shared_dimensions: &[(String, String)],
    origin: Origin,
) -> Result<Histogram, String> {
    let raw: JsonHistogram =
        serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(entry.get()))
            .map_err(|e| describe_json_error(&e))?;
    let data = match (raw.samples, raw.counts) {
        (Some(values), None) => {
            if raw.sum.is_some() || raw.min.is_some() || raw.max.is_some() {
                return Err("with `samples`, sum, min and max are computed; leave them out".into());
            }
            Distribution::Samples {
                bounds: raw.bounds,
                values,
            }
        }
        (None, Some(counts)) => Distribution::Buckets {
            bounds: raw
                .bounds
                .ok_or("pre-bucketed `counts` need their `bounds` (one fewer than counts)")?,
            counts,
            sum: raw
                .sum
                .ok_or("pre-bucketed `counts` need `sum` (Dynatrace drops a point without one)")?,
            min: raw.min,
            max: raw.max,
        },
        (Some(_), Some(_)) => {
            return Err("give either `samples` or pre-bucketed `counts`, not both".into())
        }
        (None, None) => {
            return Err(
                "a histogram needs `samples` or pre-bucketed `bounds`, `counts` and `sum`".into(),
            )
        }
    };
    let mut attributes = shared_dimensions.to_vec();
    for (key, value) in json_dimensions(&raw.attributes)? {
        set_pair(&mut attributes, key, value);
    }
    Ok(Histogram {
        name: raw.name,
        unit: raw.unit,
        description: raw.description,
        attributes,
        data,
        origin,
    })
}

/// `--histogram NAME=FILE`: one number per line; a bad line is refused with its place and the
/// other samples are kept.
pub fn read_samples(
    histogram: &str,
    bounds: Option<Vec<f64>>,
    name: &str,
    text: &str,
    inputs: &mut Inputs,
) {
    let mut values = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match line.parse::<f64>() {
            Ok(value) if value.is_finite() => values.push(value),
            _ => inputs.histogram_refusals.push(Refusal {
                origin: Origin(format!("{name}:{}", index + 1)),
                error: format!(
                    "sample `{line}` of histogram `{histogram}` is not a finite number (one \
                     number per line)"
                ),
            }),
        }
    }
    inputs.histograms.push(Histogram {
        name: histogram.to_owned(),
        unit: None,
        description: None,
        attributes: Vec::new(),
        data: Distribution::Samples { bounds, values },
        origin: Origin(format!("--histogram {histogram} ({name})")),
    });
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

fn json_metric(
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

fn json_dimensions(map: &Map<String, Json>) -> Result<Vec<(String, String)>, String> {
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

pub fn read_line_protocol(name: &str, text: &str, inputs: &mut Inputs) {
    for (index, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let origin = Origin(format!("{name}:{}", index + 1));
        match parse_line(line) {
            Ok(ParsedLine::Metric {
                key,
                dimensions,
                value,
                timestamp,
            }) => inputs.metrics.push(Metric {
                key,
                prefixed: false,
                dimensions,
                value,
                timestamp,
                origin,
            }),
            Ok(ParsedLine::Metadata {
                key,
                payload_type,
                unit,
                description,
                display_name,
            }) => inputs.metadata.push(Metadata {
                key,
                prefixed: false,
                payload_type,
                unit,
                description,
                display_name,
                origin,
            }),
            Err(error) => inputs.refusals.push(Refusal { origin, error }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Inputs {
        let mut inputs = Inputs::default();
        read_json_document("m.json", text, &mut inputs).unwrap();
        inputs
    }

    #[test]
    fn the_guides_list_is_valid_as_it_stands() {
        let inputs = json(r#"[{"name": "metric1", "value": 42}]"#);
        assert_eq!(inputs.metrics.len(), 1);
        assert_eq!(inputs.metrics[0].key, "metric1");
        assert_eq!(inputs.metrics[0].value, Value::Gauge(42.0));
        assert_eq!(inputs.metrics[0].origin.0, "m.json $[0]");
    }

    #[test]
    fn object_form_with_all_fields() {
        let inputs = json(
            r#"{"dimensions": {"team": "a", "run": 7},
                "metrics": [
                  {"name": "latency", "type": "summary", "min": 1, "max": 9, "sum": 30, "count": 5,
                   "dimensions": {"team": "b"}, "unit": "MilliSecond", "description": "p"},
                  {"name": "errors", "type": "count", "value": 3, "timestamp": "2026-11-22T08:00:00Z"}
                ]}"#,
        );
        assert!(inputs.refusals.is_empty(), "{:?}", inputs.refusals);
        assert_eq!(
            inputs.metrics[0].dimensions,
            vec![("team".into(), "b".into()), ("run".into(), "7".into())]
        );
        assert_eq!(inputs.metrics[1].value, Value::Count(3.0));
        assert_eq!(inputs.metrics[1].timestamp, Some(1_795_334_400_000));
        assert_eq!(inputs.metadata.len(), 1);
        assert_eq!(inputs.metadata[0].unit.as_deref(), Some("MilliSecond"));
    }

    #[test]
    fn bad_entries_are_refused_with_their_path_and_the_rest_kept() {
        let inputs = json(
            r#"[{"name": "ok", "value": 1},
                {"name": "text", "value": "42"},
                {"name": "typo", "value": 1, "dimension": {}},
                {"name": "half", "type": "summary", "min": 1}]"#,
        );
        assert_eq!(inputs.metrics.len(), 1);
        let errors: Vec<String> = inputs
            .refusals
            .iter()
            .map(|r| format!("{} {}", r.origin, r.error))
            .collect();
        assert!(
            errors[0].starts_with("m.json $[1] `value`: invalid type: string \"42\""),
            "{errors:?}"
        );
        assert!(
            errors[1].contains("unknown field `dimension`"),
            "{errors:?}"
        );
        assert!(
            errors[2].contains("needs all of min, max, sum and count"),
            "{errors:?}"
        );
    }

    #[test]
    fn histograms_from_samples_or_buckets() {
        let inputs = json(
            r#"{"dimensions": {"team": "a"},
                "histograms": [
                  {"name": "latency", "unit": "ms", "samples": [1, 2.5], "attributes": {"m": "GET"}},
                  {"name": "pre", "bounds": [10], "counts": [1, 2], "sum": 25, "min": 1, "max": 12},
                  {"name": "nosum", "bounds": [10], "counts": [1, 2]},
                  {"name": "text", "samples": [1, "x"]}
                ]}"#,
        );
        assert_eq!(inputs.histograms.len(), 2);
        assert_eq!(
            inputs.histograms[0].attributes,
            vec![("team".into(), "a".into()), ("m".into(), "GET".into())]
        );
        assert_eq!(
            inputs.histograms[0].data,
            Distribution::Samples {
                bounds: None,
                values: vec![1.0, 2.5]
            }
        );
        let errors: Vec<String> = inputs
            .histogram_refusals
            .iter()
            .map(|r| format!("{} {}", r.origin, r.error))
            .collect();
        assert!(
            errors[0].starts_with("m.json $.histograms[2] pre-bucketed `counts` need `sum`"),
            "{errors:?}"
        );
        assert!(
            errors[1].starts_with("m.json $.histograms[3] `samples[1]`: invalid type"),
            "{errors:?}"
        );
    }

    #[test]
    fn sample_files_refuse_bad_lines_and_keep_the_rest() {
        let mut inputs = Inputs::default();
        read_samples(
            "latency",
            None,
            "s.txt",
            "1\n\n2.5\nNaN\nabc\n-inf\n3\n",
            &mut inputs,
        );
        assert_eq!(
            inputs.histograms[0].data,
            Distribution::Samples {
                bounds: None,
                values: vec![1.0, 2.5, 3.0]
            }
        );
        let places: Vec<&str> = inputs
            .histogram_refusals
            .iter()
            .map(|r| r.origin.0.as_str())
            .collect();
        assert_eq!(places, vec!["s.txt:4", "s.txt:5", "s.txt:6"]);
    }

    #[test]
    fn unparseable_json_stops_the_run() {
        let mut inputs = Inputs::default();
        let err = read_json_document("m.json", "[{", &mut inputs).unwrap_err();
        assert!(format!("{err:#}").starts_with("m.json is not valid JSON"));
    }

    #[test]
    fn line_protocol_keeps_line_numbers() {
        let mut inputs = Inputs::default();
        read_line_protocol(
            "l.txt",
            "a.b 1\n\nbad line here\n#a.b gauge dt.meta.unit=Byte\n",
            &mut inputs,
        );
        assert_eq!(inputs.metrics[0].origin.0, "l.txt:1");
        assert_eq!(inputs.refusals[0].origin.0, "l.txt:3");
        assert_eq!(inputs.metadata[0].origin.0, "l.txt:4");
    }

    #[test]
    fn metric_arguments() {
        let m = metric_argument("build_time,step=compile=42.5", Origin::default()).unwrap();
        assert_eq!(m.key, "build_time");
        assert_eq!(m.dimensions, vec![("step".into(), "compile".into())]);
        assert_eq!(m.value, Value::Gauge(42.5));
        let m = metric_argument("deploys count,delta=1", Origin::default()).unwrap();
        assert_eq!(m.value, Value::Count(1.0));
        assert!(metric_argument("novalue", Origin::default()).is_err());
    }
}
