use super::body::{properties, MAX_PROPERTIES, MAX_VALUE_CHARS};
use super::*;
use crate::cli::EventType;
use crate::model::RunDimension;

fn settings(user: &[(&str, &str)]) -> EventSettings {
    EventSettings {
        event: true,
        sdlc: false,
        event_type: EventType::CustomInfo,
        title: None,
        properties: user
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        entity_selector: None,
    }
}

fn facts() -> Facts {
    Facts {
        window: Window {
            start_ns: 1_000_000_000,
            end_ns: 3_000_000_000,
        },
        outcome: Outcome::Accepted,
        lines_sent: 3,
        lines_accepted: 3,
        lines_refused: 0,
        points_sent: 0,
        tests: Vec::new(),
        dry_run: false,
    }
}

fn context() -> Context {
    Context {
        platform: "github_actions".into(),
        dimensions: vec![
            RunDimension::new("ci_platform", "github_actions", "x"),
            RunDimension::new("ci_pipeline", "load", "GITHUB_WORKFLOW"),
        ],
        ..Context::default()
    }
}

#[test]
fn the_users_properties_win_and_the_limits_are_kept_with_notes() {
    let long = "v".repeat(MAX_VALUE_CHARS + 5);
    let key = "k".repeat(101);
    let mut user: Vec<(String, String)> = (0..MAX_PROPERTIES - 2)
        .map(|i| (format!("u{i}"), i.to_string()))
        .collect();
    user.push(("ci_pipeline".into(), long.clone()));
    user.push((key.clone(), "x".into()));
    let user: Vec<(&str, &str)> = user.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let made = properties(&settings(&user), &context(), &facts());
    assert_eq!(made.pairs.len(), MAX_PROPERTIES);
    let value = |key: &str| made.pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v);
    assert_eq!(
        value("ci_pipeline").unwrap().chars().count(),
        MAX_VALUE_CHARS
    );
    assert_eq!(
        value("ci_platform").map(String::as_str),
        Some("github_actions")
    );
    assert!(value(&key).is_none());
    assert!(value("u97").is_some(), "the user's stay");
    let notes = made.notes.join("\n");
    assert!(
        notes.contains("the property ci_pipeline is the one --event-property"),
        "{notes}"
    );
    assert!(notes.contains("cut to the 4096 characters"), "{notes}");
    assert!(
        notes.contains("its key is longer than the 100 characters"),
        "{notes}"
    );
    assert!(
        notes.contains(
            "5 propert(ies) left out, Dynatrace takes at most 100: metrics.outcome, \
             metrics.lines_sent, metrics.lines_accepted, metrics.lines_refused, \
             metrics.histogram_points_sent"
        ),
        "{notes}"
    );
}

#[test]
fn the_title_says_what_ran_and_how_its_metrics_fared() {
    let mut facts = facts();
    assert_eq!(
        body::title(&settings(&[]), &context(), &facts),
        "keptn-dt-metrics: run of load, metrics accepted"
    );
    facts.outcome = Outcome::DeliveryFailed;
    facts.tests.push(("r.jtl".into(), Default::default()));
    assert_eq!(
        body::title(&settings(&[]), &Context::default(), &facts),
        "keptn-dt-metrics: load test, metrics not all delivered"
    );
}

#[test]
fn several_results_add_their_counts_and_leave_the_p95_out_with_a_note() {
    let mut facts = facts();
    let test = |requests, failures, failed| crate::model::TestSummary {
        tool: "k6",
        requests: Some(requests),
        failures: Some(failures),
        p95_ms: Some(10.0),
        thresholds: Some(crate::model::Thresholds { total: 2, failed }),
        window: None,
    };
    facts.tests = vec![("a".into(), test(10, 1, 0)), ("b".into(), test(30, 1, 1))];
    let (pairs, notes) = body::summary(&facts);
    let value = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(value("loadtest.requests"), Some("40"));
    assert_eq!(value("loadtest.error_rate"), Some("0.05"));
    assert_eq!(value("loadtest.response_time_p95"), None);
    assert_eq!(value("loadtest.thresholds_passed"), Some("false"));
    assert_eq!(value("loadtest.thresholds_failed"), Some("1 of 4"));
    assert_eq!(value("loadtest.tool"), Some("k6"));
    assert!(notes[0].contains("2 results inputs"), "{notes:?}");
}
