//! Keptn v1's wiring around job/config.yaml: the shipyard task that sends its event, and the
//! job-executor's subscription to it (without which, on a default install, the task never runs).

use std::collections::BTreeSet;

use serde_yaml_ng::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The job-executor-service 0.3.0 chart's default `subscription.pubsubTopic`.
const DEFAULT_SUBSCRIPTION: [&str; 6] = [
    "sh.keptn.event.test.triggered",
    "sh.keptn.event.deployment.triggered",
    "sh.keptn.event.evaluation.triggered",
    "sh.keptn.event.release.triggered",
    "sh.keptn.event.approval.triggered",
    "sh.keptn.event.action.triggered",
];

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(format!("{ROOT}/{path}")).expect(path);
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn list(value: &Value) -> &[Value] {
    value.as_sequence().map(Vec::as_slice).unwrap_or_default()
}

fn str_at<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("no string `{key}` in {value:?}"))
}

/// The event types a job configuration's actions listen for.
fn events(config: &str) -> Vec<String> {
    let config = yaml(config);
    list(&config["actions"])
        .iter()
        .flat_map(|action| list(&action["events"]))
        .map(|event| str_at(event, "name").to_owned())
        .collect()
}

fn subscription() -> BTreeSet<String> {
    let values = yaml("job/jes-values.yaml");
    let mapping = values.as_mapping().expect("a mapping");
    assert_eq!(mapping.len(), 1, "only `subscription`: {values:?}");
    let subscription = values["subscription"].as_mapping().expect("`subscription`");
    assert_eq!(
        subscription.len(),
        1,
        "only `pubsubTopic`: {subscription:?}"
    );
    str_at(&values["subscription"], "pubsubTopic")
        .split(',')
        .map(|topic| {
            assert_eq!(topic, topic.trim(), "no spaces around the commas");
            topic.to_owned()
        })
        .collect()
}

#[test]
fn the_shipyard_runs_report_metrics_after_the_test_and_that_is_the_configs_event() {
    let shipyard = yaml("job/shipyard.yaml");
    assert!(str_at(&shipyard, "apiVersion").starts_with("spec.keptn.sh/0.2."));
    assert_eq!(str_at(&shipyard, "kind"), "Shipyard");
    let sequences: Vec<Vec<&str>> = list(&shipyard["spec"]["stages"])
        .iter()
        .flat_map(|stage| list(&stage["sequences"]))
        .map(|sequence| {
            list(&sequence["tasks"])
                .iter()
                .map(|t| str_at(t, "name"))
                .collect()
        })
        .collect();
    let tasks = sequences
        .iter()
        .find(|tasks| tasks.contains(&"report-metrics"))
        .expect("a sequence with the task report-metrics");
    let position = |name: &str| tasks.iter().position(|t| *t == name);
    assert!(
        position("test") < position("report-metrics"),
        "after the test: {tasks:?}"
    );
    // A shipyard task `report-metrics` sends sh.keptn.event.report-metrics.triggered.
    assert_eq!(
        events("job/config.yaml"),
        ["sh.keptn.event.report-metrics.triggered"]
    );
}

#[test]
fn the_subscription_keeps_the_defaults_and_adds_the_configs_event() {
    let topics = subscription();
    for default in DEFAULT_SUBSCRIPTION {
        assert!(topics.contains(default), "{default} dropped: {topics:?}");
    }
    for event in events("job/config.yaml") {
        assert!(
            topics.contains(&event),
            "{event} is not subscribed: {topics:?}"
        );
    }
    assert_eq!(topics.len(), DEFAULT_SUBSCRIPTION.len() + 1, "{topics:?}");
}

#[test]
fn the_load_test_job_runs_on_an_event_of_the_default_subscription() {
    for event in events("examples/loadtest-image/job-config.yaml") {
        assert!(DEFAULT_SUBSCRIPTION.contains(&event.as_str()), "{event}");
    }
}
