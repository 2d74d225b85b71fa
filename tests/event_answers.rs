//! What Dynatrace answers to an event, judged into the report's `events` section and the exit
//! code; events that cannot be sent, usage errors before anything is sent.

#[allow(dead_code)]
mod support;

use std::time::Duration;

use serde_json::Value as Json;
use support::events::*;
use support::{FakeDynatrace, Reply, Workdir, INGEST_PATH};

#[test]
fn an_event_refused_or_unanswered_fails_an_accepted_run_with_what_dynatrace_said() {
    let cases = [
        (
            "--event",
            Reply::json(
                400,
                r#"{"error":{"code":400,"message":"Constraints violated: title"}}"#,
            ),
            400,
            "Constraints violated: title",
        ),
        (
            "--event",
            Reply::json(
                403,
                r#"{"error":{"code":403,"message":"Token is missing required scope"}}"#,
            ),
            403,
            "lacks the scope events.ingest",
        ),
        (
            "--event",
            Reply::json(201, r#"{"reportCount":0,"eventIngestResults":[]}"#),
            201,
            "created no event (reportCount 0)",
        ),
        (
            "--event",
            Reply::json(
                201,
                r#"{"reportCount":1,"eventIngestResults":[{"status":"INVALID_ENTITY_TYPE"}]}"#,
            ),
            201,
            "its results say INVALID_ENTITY_TYPE",
        ),
        (
            "--sdlc-event",
            Reply::json(403, "{}"),
            403,
            "lacks the scope openpipeline.events_sdlc",
        ),
        (
            "--sdlc-event",
            Reply::json(200, "{}"),
            200,
            "Dynatrace answered 200 OK, not 202 Accepted",
        ),
    ];
    for (flag, reply, status, said) in cases {
        let dir = Workdir::new("events-refused");
        let server = dynatrace(reply.clone(), reply);
        let out = dir
            .cli()
            .credentials(server.url(), TOKEN)
            .args(["-m", "build_time=42", flag, "-o", "json", "--retries", "0"])
            .run();
        out.expect_code(4);
        let report = out.json();
        let event = &report["events"][0];
        assert_eq!(event["outcome"], "refused", "{flag} {status}");
        assert_eq!(event["status"], status);
        let message = event["message"].as_str().unwrap();
        assert!(message.contains(said), "{message}");
        assert_eq!(report["lines"]["ok"], 1, "the metrics were accepted");
        assert_eq!(report["outcome"], "delivery_failed");
    }
}

#[test]
fn an_event_with_no_answer_is_unanswered_and_a_worse_metrics_code_stands() {
    let dir = Workdir::new("events-timeout");
    let server = FakeDynatrace::start(|request, _| {
        if request.path == EVENTS_PATH {
            std::thread::sleep(Duration::from_millis(2500));
        }
        Reply::accepted(request.lines().len())
    });
    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["-m", "build_time=42", "--event", "-o", "json"])
        .args(["--timeout-secs", "1", "--retries", "0"])
        .run();
    out.expect_code(4);
    let event = &out.json()["events"][0];
    assert_eq!(event["outcome"], "unanswered");
    assert_eq!(event["status"], Json::Null);

    // Metrics refused (3) stay 3 whatever the event did.
    let dir = Workdir::new("events-metrics-refused");
    let server = dynatrace(Reply::json(400, "{}"), Reply::json(202, ""));
    dir.write("lines.txt", "ok.metric gauge,1\nx.y gauge,NaN\n");
    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["--lines", "lines.txt", "--event", "-o", "json"])
        .run();
    out.expect_code(3);
    let report = out.json();
    assert_eq!(report["events"][0]["outcome"], "refused");
    let event = body(&server.requests_to(EVENTS_PATH)[0]);
    assert_eq!(
        event["title"],
        "keptn-dt-metrics: run, metrics partly refused"
    );
    assert_eq!(event["properties"]["metrics.lines_refused"], "1");
}

#[test]
fn events_that_cannot_be_sent_are_usage_errors_before_anything_is_sent() {
    let server = FakeDynatrace::accepting();
    let managed = format!("{}/e/abc12345", server.url());
    let metrics_url = format!("{}{INGEST_PATH}", server.url());
    type Case<'a> = (Vec<(&'a str, &'a str)>, Vec<&'a str>, &'a str);
    let cases: [Case; 5] = [
        (
            vec![("DT_TENANT", &managed), ("DT_API_TOKEN", TOKEN)],
            vec!["--sdlc-event"],
            "--sdlc-event (DT_SDLC_EVENT) needs a SaaS environment's DT_TENANT",
        ),
        (
            vec![],
            vec!["--sdlc-event", "--oneagent"],
            "the OneAgent's local endpoint",
        ),
        (
            vec![("DT_METRICS_URL", &metrics_url), ("DT_API_TOKEN", TOKEN)],
            vec!["--sdlc-event"],
            "only DT_METRICS_URL or DT_OTLP_URL is set",
        ),
        (
            vec![("DT_METRICS_URL", &metrics_url), ("DT_API_TOKEN", TOKEN)],
            vec!["--event"],
            "--event (DT_EVENT) needs DT_TENANT",
        ),
        (
            vec![("DT_TENANT", server.url()), ("DT_API_TOKEN", TOKEN)],
            vec!["--event-property", "team=core"],
            "--event-property shapes an event, and none is sent",
        ),
    ];
    for (env, args, said) in cases {
        let dir = Workdir::new("events-usage");
        let mut cli = dir.cli().args(["-m", "build_time=42"]).args(&args);
        for (name, value) in &env {
            cli = cli.env(name, value);
        }
        let out = cli.run();
        out.expect_code(2);
        assert!(out.stderr.contains(said), "{args:?}: {}", out.stderr);
    }
    assert!(server.requests().is_empty());
    // A managed tenant takes the Events API v2 event, below its environment.
    let server = dynatrace(Reply::json(201, CREATED), Reply::json(202, ""));
    let dir = Workdir::new("events-managed");
    let out = dir
        .cli()
        .credentials(&format!("{}/e/abc12345", server.url()), TOKEN)
        .args(["-m", "build_time=42", "--event"])
        .run();
    out.expect_code(0);
    assert_eq!(
        server
            .requests_to(&format!("/e/abc12345{EVENTS_PATH}"))
            .len(),
        1
    );
}
