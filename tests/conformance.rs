//! Table-driven conformance with Dynatrace's classic normalisation rules. The cases live as data
//! in `tests/conformance/*.json`, taken from the official `dynatrace-metric-utils` libraries'
//! published tests (their `source` says which) plus edge cases of our own.

use keptn_dt_metrics::normalize;
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    input: String,
    expected: Option<String>,
    source: String,
}

fn cases(file: &str) -> Vec<Case> {
    let path = format!("{}/tests/conformance/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let cases: Vec<Case> = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(cases.len() >= 25, "{path} has only {} cases", cases.len());
    cases
}

fn check(file: &str, normalise: impl Fn(&str) -> Option<String>) -> usize {
    let cases = cases(file);
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let got = normalise(&case.input);
            (got != case.expected).then(|| {
                format!(
                    "{:?}: expected {:?}, got {:?} ({})",
                    case.input, case.expected, got, case.source
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{file}: {} of {} cases fail:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    cases.len()
}

#[test]
fn metric_keys() {
    check("metric_keys.json", normalize::classic_metric_key);
}

#[test]
fn dimension_keys() {
    // An empty expectation means the dimension is dropped.
    check("dimension_keys.json", |raw| {
        Some(normalize::dimension_key(raw).unwrap_or_default())
    });
}

#[test]
fn dimension_values() {
    check("dimension_values.json", |raw| {
        Some(normalize::dimension_value(raw))
    });
}

#[test]
fn numbers() {
    check("numbers.json", |raw| {
        let value: f64 = raw
            .parse()
            .unwrap_or_else(|_| panic!("numbers.json: `{raw}` is not a number literal"));
        normalize::format_number(value)
    });
}

#[test]
fn at_least_150_published_and_edge_cases() {
    let total: usize = [
        "metric_keys.json",
        "dimension_keys.json",
        "dimension_values.json",
        "numbers.json",
    ]
    .iter()
    .map(|file| cases(file).len())
    .sum();
    assert!(total >= 150, "only {total} conformance cases");
}
