//! The Events API v2 body (`EventIngest`): `eventType`, `title`, `startTime`/`endTime` in UTC
//! milliseconds, `entitySelector` when given, and `properties`: the context, the run's summary,
//! then the user's (`--event-property`, which win on a key, with a note). The API's limits are
//! kept, each change said in a note: at most [`MAX_PROPERTIES`] properties, keys of at most
//! [`MAX_KEY_CHARS`] characters, values of at most [`MAX_VALUE_CHARS`].

use serde_json::{json, Map, Value as Json};

use super::Facts;
use crate::config::EventSettings;
use crate::context::Context;
use crate::report::Outcome;

pub const MAX_PROPERTIES: usize = 100;
pub const MAX_KEY_CHARS: usize = 100;
pub const MAX_VALUE_CHARS: usize = 4096;

/// The event's properties, within the limits, and what was changed to keep them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Properties {
    pub pairs: Vec<(String, String)>,
    pub notes: Vec<String>,
}

/// The event's body.
pub fn event(
    settings: &EventSettings,
    context: &Context,
    facts: &Facts,
    properties: &[(String, String)],
) -> Json {
    let mut body = Map::new();
    body.insert("eventType".into(), json!(settings.event_type));
    body.insert("title".into(), json!(title(settings, context, facts)));
    body.insert("startTime".into(), json!(facts.window.start_ns / 1_000_000));
    body.insert("endTime".into(), json!(facts.window.end_ns / 1_000_000));
    if let Some(selector) = &settings.entity_selector {
        body.insert("entitySelector".into(), json!(selector));
    }
    let properties: Map<String, Json> = properties
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    body.insert("properties".into(), Json::Object(properties));
    Json::Object(body)
}

/// `--event-title`, else what the run was and how its metrics fared:
/// `keptn-dt-metrics: load test of carts, metrics accepted`.
pub fn title(settings: &EventSettings, context: &Context, facts: &Facts) -> String {
    if let Some(title) = &settings.title {
        return title.clone();
    }
    let what = match facts.tests.is_empty() {
        true => "run",
        false => "load test",
    };
    let named = [
        "keptn_app",
        "keptn_workload",
        "keptn_service",
        "ci_pipeline",
        "ci_repository",
    ];
    let of = named
        .iter()
        .find_map(|key| context.dimensions.iter().find(|d| d.key == *key))
        .map(|d| format!(" of {}", d.value))
        .unwrap_or_default();
    let fared = match facts.outcome {
        Outcome::Accepted => "accepted",
        Outcome::Refused => "partly refused",
        Outcome::DeliveryFailed => "not all delivered",
        Outcome::UsageError => "not sent",
    };
    format!("keptn-dt-metrics: {what}{of}, metrics {fared}")
}

/// The run's summary as properties: the metrics' outcome and counts, and the load test's.
pub fn summary(facts: &Facts) -> (Vec<(String, String)>, Vec<String>) {
    let outcome = serde_json::to_value(facts.outcome)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let mut pairs = vec![
        ("metrics.outcome".to_owned(), outcome),
        (
            "metrics.lines_sent".to_owned(),
            facts.lines_sent.to_string(),
        ),
        (
            "metrics.lines_accepted".to_owned(),
            facts.lines_accepted.to_string(),
        ),
        (
            "metrics.lines_refused".to_owned(),
            facts.lines_refused.to_string(),
        ),
        (
            "metrics.histogram_points_sent".to_owned(),
            facts.points_sent.to_string(),
        ),
    ];
    let mut notes = Vec::new();
    let tests = &facts.tests;
    if tests.is_empty() {
        return (pairs, notes);
    }
    let mut add = |key: &str, value: String| pairs.push((format!("loadtest.{key}"), value));
    let inputs: Vec<&str> = tests.iter().map(|(input, _)| input.as_str()).collect();
    add("results", inputs.join(", "));
    let mut tools: Vec<&str> = tests.iter().map(|(_, t)| t.tool).collect();
    tools.dedup();
    add("tool", tools.join(", "));
    let sum = |field: fn(&crate::model::TestSummary) -> Option<u64>| {
        tests.iter().map(|(_, t)| field(t)).sum::<Option<u64>>()
    };
    let (requests, failures) = (sum(|t| t.requests), sum(|t| t.failures));
    if let Some(requests) = requests {
        add("requests", requests.to_string());
    }
    if let Some(failures) = failures {
        add("failures", failures.to_string());
    }
    if let (Some(requests @ 1..), Some(failures)) = (requests, failures) {
        add(
            "error_rate",
            (failures as f64 / requests as f64).to_string(),
        );
    }
    match tests.as_slice() {
        [(_, only)] => {
            if let Some(p95) = only.p95_ms {
                add("response_time_p95", p95.to_string());
            }
        }
        _ => notes.push(format!(
            "loadtest.response_time_p95 is left out: {} results inputs, whose percentiles \
             cannot be combined into the whole test's",
            tests.len()
        )),
    }
    let thresholds = tests.iter().filter_map(|(_, t)| t.thresholds);
    if let Some((total, failed)) = thresholds
        .map(|t| (t.total, t.failed))
        .reduce(|a, b| (a.0 + b.0, a.1 + b.1))
    {
        add("thresholds_passed", (failed == 0).to_string());
        add("thresholds_failed", format!("{failed} of {total}"));
    }
    (pairs, notes)
}

/// The context's properties, the summary, then the user's (which win on a key), within the
/// API's limits.
pub fn properties(settings: &EventSettings, context: &Context, facts: &Facts) -> Properties {
    let (summary, mut notes) = summary(facts);
    let mut pairs: Vec<(String, String, bool)> = context
        .event_properties()
        .into_iter()
        .chain(summary)
        .map(|(k, v)| (k, v, false))
        .collect();
    for (key, value) in &settings.properties {
        match pairs.iter_mut().find(|(k, ..)| k == key) {
            Some(pair) => {
                notes.push(format!(
                    "the property {key} is the one --event-property or DT_EVENT_PROPERTIES gave, \
                     not the run's `{}`",
                    cut(&pair.1, 80)
                ));
                *pair = (key.clone(), value.clone(), true);
            }
            None => pairs.push((key.clone(), value.clone(), true)),
        }
    }
    let mut kept = Vec::new();
    let mut dropped_keys = Vec::new();
    for (key, value, users) in pairs {
        if key.chars().count() > MAX_KEY_CHARS {
            notes.push(format!(
                "the property `{}...` is left out: its key is longer than the {MAX_KEY_CHARS} \
                 characters Dynatrace takes",
                cut(&key, 40)
            ));
            continue;
        }
        let value = match value.chars().count() > MAX_VALUE_CHARS {
            true => {
                notes.push(format!(
                    "the property {key} is cut to the {MAX_VALUE_CHARS} characters Dynatrace \
                     takes ({} given)",
                    value.chars().count()
                ));
                cut(&value, MAX_VALUE_CHARS)
            }
            false => value,
        };
        kept.push((key, value, users));
    }
    // Over the limit, the run's own properties go from the last; the user's stay.
    while kept.len() > MAX_PROPERTIES {
        let last = kept.iter().rposition(|(.., users)| !users);
        let at = last.unwrap_or(kept.len() - 1);
        dropped_keys.push(kept.remove(at).0);
    }
    if !dropped_keys.is_empty() {
        dropped_keys.reverse();
        notes.push(format!(
            "{} propert(ies) left out, Dynatrace takes at most {MAX_PROPERTIES}: {}",
            dropped_keys.len(),
            dropped_keys.join(", ")
        ));
    }
    Properties {
        pairs: kept.into_iter().map(|(k, v, _)| (k, v)).collect(),
        notes,
    }
}

/// The first `chars` characters of `text`.
fn cut(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}
