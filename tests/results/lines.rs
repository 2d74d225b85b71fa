//! What `--results` sends, line by line, for the end-to-end tests of each tool.

use super::support::KEPTN_DIMS;

pub fn example(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name);
    std::fs::read_to_string(path).expect("an example file")
}

/// The metadata line for `key` (after `keptn.loadtest.`), as the mapping describes it.
pub fn described(key: &str) -> String {
    let (unit, description) = match key {
        "requests" => (Some("Count"), "Requests the load test sent".to_owned()),
        "failures" => (Some("Count"), "Requests that failed".to_owned()),
        "error_rate" => (None, "Failed requests per request, 0 to 1".to_owned()),
        "response_time" => (Some("MilliSecond"), "Response time".to_owned()),
        "failures_by_reason" => (
            Some("Count"),
            "Failed requests by the tool's reason".to_owned(),
        ),
        p => (
            Some("MilliSecond"),
            format!(
                "Response time, {}th percentile",
                &p["response_time_p".len()..]
            ),
        ),
    };
    let unit = unit.map_or(String::new(), |u| format!("dt.meta.unit={u},"));
    format!(
        "#keptn.loadtest.{key} {} {unit}dt.meta.description=\"{description}\"",
        if key.contains("requests") || key.starts_with("failures") {
            "count"
        } else {
            "gauge"
        }
    )
}

/// The lines one label gives: `request` escaped as the line protocol escapes it, `extra` the
/// dimensions between it and the Keptn ones, values in the order of the mapping.
pub fn label_lines(request: &str, extra: &str, values: [&str; 8], first: bool) -> Vec<String> {
    let keys = [
        "requests",
        "failures",
        "error_rate",
        "response_time",
        "response_time_p50",
        "response_time_p90",
        "response_time_p95",
        "response_time_p99",
    ];
    let mut lines = Vec::new();
    for (key, value) in keys.iter().zip(values) {
        if first {
            lines.push(described(key));
        }
        lines.push(format!(
            "keptn.loadtest.{key},request={request}{extra},{KEPTN_DIMS} {value}"
        ));
    }
    lines
}

/// The lines of `lines` (metadata and data) of the keys [`label_lines`] gives.
#[allow(
    dead_code,
    reason = "not every test crate that includes this module uses it"
)]
pub fn response_time_lines(lines: &[&str]) -> Vec<String> {
    let keys = [
        "requests",
        "failures",
        "error_rate",
        "response_time",
        "response_time_p50",
        "response_time_p90",
        "response_time_p95",
        "response_time_p99",
    ];
    lines
        .iter()
        .filter(|line| {
            let key = line
                .trim_start_matches('#')
                .split([',', ' '])
                .next()
                .unwrap();
            keys.iter().any(|k| key == format!("keptn.loadtest.{k}"))
        })
        .map(|line| line.to_string())
        .collect()
}
