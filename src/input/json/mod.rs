//! `--input`: a JSON document, either the guide's list `[{"name": .., "value": ..}]` or the
//! object form `{"dimensions": .., "metrics": [..], "histograms": [..]}`. A document that is not
//! JSON stops the run; a bad entry is refused with its JSON path and the others are read.

use std::sync::Arc;

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value as Json};

use super::Sink;
use entry::{describe_json_error, json_dimensions, json_histogram, json_metric};

mod entry;
use crate::model::{Origin, Position};

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

pub fn read(name: &Arc<str>, text: &str, sink: &mut dyn Sink) -> Result<()> {
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
    for (index, entry) in entries.into_iter().enumerate() {
        let at = Position::Entry {
            path,
            index: index as u64,
        };
        let origin = Origin::new(name, at);
        match json_metric(entry, &shared, origin.clone()) {
            Ok((metric, metadata)) => {
                if let Some(metadata) = metadata {
                    sink.metadata(&metadata);
                }
                sink.metric(&metric);
            }
            Err(problem) => sink.refused(problem.at(&origin)),
        }
    }
    for (index, entry) in histograms.into_iter().enumerate() {
        let at = Position::Entry {
            path: "$.histograms",
            index: index as u64,
        };
        let origin = Origin::new(name, at);
        match json_histogram(entry, &shared, origin.clone()) {
            Ok(histogram) => sink.histogram(histogram),
            Err(problem) => sink.histogram_refused(problem.at(&origin)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::histogram;
    use crate::input::Collected;
    use crate::model::{Code, Value};

    fn json(text: &str) -> Collected {
        let mut sink = Collected::default();
        read(&Arc::from("m.json"), text, &mut sink).unwrap();
        sink
    }

    #[test]
    fn the_guides_list_is_valid_as_it_stands() {
        let inputs = json(r#"[{"name": "metric1", "value": 42}]"#);
        assert_eq!(inputs.metrics.len(), 1);
        assert_eq!(inputs.metrics[0].key, "metric1");
        assert_eq!(inputs.metrics[0].value, Value::Gauge(42.0));
        assert_eq!(inputs.metrics[0].origin.to_string(), "m.json $[0]");
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
        let errors = inputs.refusal_texts();
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
        assert!(inputs
            .refusals
            .iter()
            .all(|r| r.code == Code::InputMalformed));
    }

    #[test]
    fn histograms_from_samples_or_buckets() {
        let inputs = json(
            r#"{"dimensions": {"team": "a"},
                "histograms": [
                  {"name": "latency", "unit": "ms", "samples": [1, 2.5], "attributes": {"m": "GET"}},
                  {"name": "pre", "bounds": [10], "counts": [1, 2], "sum": 25, "min": 1, "max": 12},
                  {"name": "nosum", "bounds": [10], "counts": [1, 2]},
                  {"name": "text", "samples": [1, "x"]},
                  {"name": "empty", "samples": []}
                ]}"#,
        );
        assert_eq!(inputs.histograms.len(), 2);
        assert_eq!(
            inputs.histograms[0].attributes,
            vec![("team".into(), "a".into()), ("m".into(), "GET".into())]
        );
        let buckets = &inputs.histograms[0].buckets;
        assert_eq!((buckets.count, buckets.sum), (2, 3.5));
        assert_eq!(buckets.bounds, histogram::DEFAULT_BOUNDS.to_vec());
        let errors = inputs.refusal_texts();
        assert!(
            errors[0].starts_with("m.json $.histograms[2] pre-bucketed `counts` need `sum`"),
            "{errors:?}"
        );
        assert!(
            errors[1].starts_with("m.json $.histograms[3] `samples[1]`: invalid type"),
            "{errors:?}"
        );
        assert_eq!(inputs.histogram_refusals[2].code, Code::HistogramInvalid);
    }

    #[test]
    fn unparseable_json_stops_the_run() {
        let mut sink = Collected::default();
        let err = read(&Arc::from("m.json"), "[{", &mut sink).unwrap_err();
        assert!(format!("{err:#}").starts_with("m.json is not valid JSON"));
    }
}
