//! `--event` and `--sdlc-event`: one request each after the metrics, their exact bodies (the
//! window a load test's own), the token; the variables; the dry run's lines.

#[allow(dead_code)]
mod support;

use serde_json::{json, Value as Json};
use support::events::*;
use support::{keptn_env, Reply, Workdir, INGEST_PATH, OTLP_PATH};

#[test]
fn both_events_follow_the_metrics_with_the_load_tests_window_context_and_summary() {
    let dir = Workdir::new("events-sent");
    let (start, end) = jtl(&dir);
    let server = dynatrace(Reply::json(201, CREATED), Reply::json(202, ""));
    let out = keptn_env(dir.cli())
        .credentials(server.url(), TOKEN)
        .args([
            "--results",
            "results.jtl",
            "--event",
            "--sdlc-event",
            "-o",
            "json",
        ])
        .args([
            "--event-entity-selector",
            "type(SERVICE),entityName.equals(carts)",
        ])
        .args(["--event-property", "team=core"])
        .run();
    out.expect_code(0);
    let report = out.json();

    let requests = server.requests();
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        &paths[paths.len() - 2..],
        [EVENTS_PATH, SDLC_PATH],
        "one request each, after the metrics: {paths:?}"
    );
    assert_eq!(server.requests_to(EVENTS_PATH).len(), 1);
    assert!(paths.contains(&INGEST_PATH) && paths.contains(&OTLP_PATH));
    for event in &requests[paths.len() - 2..] {
        assert_eq!(
            event.header("authorization"),
            Some(format!("Api-Token {TOKEN}").as_str())
        );
        assert_eq!(
            event.header("content-type"),
            Some("application/json; charset=utf-8")
        );
    }

    let count = |pointer: &str| report.pointer(pointer).unwrap().to_string();
    let properties = json!({
        "ci_platform": "keptn",
        "keptn_project": "sockshop",
        "keptn_stage": "hardening",
        "keptn_service": "carts",
        "metrics.outcome": "accepted",
        "metrics.lines_sent": count("/lines/sent"),
        "metrics.lines_accepted": count("/lines/ok"),
        "metrics.lines_refused": "0",
        "metrics.histogram_points_sent": count("/otlp/points_sent"),
        "loadtest.results": "results.jtl",
        "loadtest.tool": "jmeter",
        "loadtest.requests": "2",
        "loadtest.failures": "1",
        "loadtest.error_rate": "0.5",
        "loadtest.response_time_p95": "200",
        "team": "core",
    });
    assert_eq!(
        body(&server.requests_to(EVENTS_PATH)[0]),
        json!({
            "eventType": "CUSTOM_INFO",
            "title": "keptn-dt-metrics: load test of carts, metrics accepted",
            "startTime": start,
            "endTime": end,
            "entitySelector": "type(SERVICE),entityName.equals(carts)",
            "properties": properties,
        })
    );
    let mut sdlc = json!({
        "event.provider": "keptn-dt-metrics",
        "event.type": "test",
        "event.category": "task",
        "event.status": "finished",
        "start_time": iso(start),
        "end_time": iso(end),
        "duration": (end - start) * 1_000_000,
        "task.name": "keptn-dt-metrics",
        "service": "carts",
        "ci_platform": "keptn",
    });
    for (key, value) in properties.as_object().unwrap() {
        sdlc.as_object_mut()
            .unwrap()
            .entry(key.clone())
            .or_insert(value.clone());
    }
    assert_eq!(body(&server.requests_to(SDLC_PATH)[0]), sdlc);

    // The histograms went with the same window the event has.
    let histogram = server.requests_to(OTLP_PATH)[0].otlp();
    let point = match &histogram.resource_metrics[0].scope_metrics[0].metrics[0].data {
        Some(opentelemetry_proto::tonic::metrics::v1::metric::Data::Histogram(h)) => {
            h.data_points[0].clone()
        }
        other => panic!("a histogram: {other:?}"),
    };
    assert_eq!(
        (
            point.start_time_unix_nano / 1_000_000,
            point.time_unix_nano / 1_000_000
        ),
        (start, end)
    );

    let events = &report["events"];
    assert_eq!(events[0]["kind"], "event");
    assert_eq!(events[0]["outcome"], "accepted");
    assert_eq!(events[0]["status"], 201);
    assert_eq!(
        events[0]["message"],
        "1 event(s) created, correlation ID c0ffee"
    );
    assert_eq!(
        events[0]["endpoint"],
        format!("{}{EVENTS_PATH}", server.url())
    );
    assert_eq!(
        (
            &events[1]["kind"],
            &events[1]["outcome"],
            &events[1]["status"]
        ),
        (&json!("sdlc_event"), &json!("accepted"), &json!(202))
    );
}

#[test]
fn without_results_the_window_is_the_runs_and_the_text_report_says_so() {
    let dir = Workdir::new("events-run-window");
    let server = dynatrace(Reply::json(201, CREATED), Reply::json(202, ""));
    let before = now_ms();
    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["-m", "build_time=42", "--event", "--event-title", "Build 7"])
        .run();
    let after = now_ms();
    out.expect_code(0);
    let event = body(&server.requests_to(EVENTS_PATH)[0]);
    let (start, end) = (
        event["startTime"].as_u64().unwrap(),
        event["endTime"].as_u64().unwrap(),
    );
    assert!(before <= start && start <= end && end <= after, "{event}");
    assert_eq!(event["title"], "Build 7");
    assert!(event.get("entitySelector").is_none());
    assert!(
        out.stdout.contains(&format!(
            "event: accepted (201) at {}{EVENTS_PATH}\nevent: 1 event(s) created, correlation ID c0ffee\n",
            server.url()
        )),
        "{}",
        out.stdout
    );
}

#[test]
fn the_variables_ask_for_the_events_as_the_flags_do() {
    let dir = Workdir::new("events-env");
    let server = dynatrace(Reply::json(201, CREATED), Reply::json(202, ""));
    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .env("DT_EVENT", "true")
        .env("DT_SDLC_EVENT", "yes")
        .env("DT_EVENT_TYPE", "custom_deployment")
        .env("DT_EVENT_TITLE", "Deploy carts 1.2")
        .env("DT_EVENT_PROPERTIES", "team=core, owner=qa")
        .env("DT_EVENT_ENTITY_SELECTOR", "type(SERVICE)")
        .args(["-m", "build_time=42", "--event-property", "owner=ops"])
        .run();
    out.expect_code(0);
    let event = body(&server.requests_to(EVENTS_PATH)[0]);
    assert_eq!(event["eventType"], "CUSTOM_DEPLOYMENT");
    assert_eq!(event["title"], "Deploy carts 1.2");
    assert_eq!(event["entitySelector"], "type(SERVICE)");
    assert_eq!(
        (&event["properties"]["team"], &event["properties"]["owner"]),
        (&json!("core"), &json!("ops")),
        "the flag wins over the variable on a key"
    );
    let sdlc = body(&server.requests_to(SDLC_PATH)[0]);
    assert_eq!(sdlc["event.type"], "deployment");
}

#[test]
fn a_dry_run_prints_each_event_body_after_the_metrics_and_sends_nothing() {
    let dir = Workdir::new("events-dry");
    let (start, end) = jtl(&dir);
    let out = dir
        .cli()
        .args([
            "--dry-run",
            "--results",
            "results.jtl",
            "--event",
            "--sdlc-event",
        ])
        .args(["--event-property", "ci_platform=mine"])
        .run();
    out.expect_code(0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    let n = lines.len();
    let event: Json = serde_json::from_str(lines[n - 2]).unwrap();
    let sdlc: Json = serde_json::from_str(lines[n - 1]).unwrap();
    let otlp: Json = serde_json::from_str(lines[n - 3]).unwrap();
    assert!(
        otlp.get("resourceMetrics").is_some(),
        "OTLP comes before the events"
    );
    assert!(lines[0].starts_with("#keptn.loadtest."), "{}", lines[0]);
    assert_eq!(
        (&event["startTime"], &event["endTime"]),
        (&json!(start), &json!(end))
    );
    assert_eq!(sdlc["event.provider"], "keptn-dt-metrics");
    assert_eq!(event["properties"]["ci_platform"], "mine");
    assert_eq!(
        sdlc["ci_platform"], "keptn",
        "the dictionary's keys are the run's"
    );
    assert!(out.stderr.contains("dry run: the event would be sent\n"));
    assert!(out
        .stderr
        .contains("dry run: the SDLC event would be sent\n"));
    assert!(
        out.stderr.contains(
            "event note: the property ci_platform is the one --event-property or \
             DT_EVENT_PROPERTIES gave, not the run's `keptn`"
        ),
        "{}",
        out.stderr
    );
}
