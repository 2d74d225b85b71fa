//! OTLP answers: partial success, 400, auth and content-type errors, retries, and answers that are
//! not Dynatrace's, each with the report and exit code they give.

#[allow(dead_code)]
mod support;

use serde_json::Value as Json;
use support::{FakeDynatrace, Reply, Workdir, OTLP_PATH};

const TOKEN: &str = "dt0c01.OTLPSECRETSECRET";

const PARTIAL_MESSAGE: &str = "1 data point of metric keptn.response_time was dropped: too old";

/// `google.rpc.Status`, the body OTLP/HTTP servers answer failures with.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

fn partial_success_run(output: &str) -> (support::Output, FakeDynatrace) {
    let dir = Workdir::new("otlp-partial");
    dir.write("a.txt", "1\n2\n").write("b.txt", "3\n");
    let server = FakeDynatrace::scripted(vec![Reply::otlp_partial(1, PARTIAL_MESSAGE)]);
    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args([
            "--histogram",
            "response_time=a.txt",
            "--histogram",
            "other=b.txt",
        ])
        .args(["--output", output])
        .run();
    (out, server)
}

#[test]
fn partial_success_is_reported_with_the_servers_message_and_exit_3() {
    let (out, server) = partial_success_run("json");
    out.expect_code(3);
    assert_eq!(
        server.requests().len(),
        1,
        "a partial success is not retried"
    );
    let report = out.json();
    support::assert_buckets(&report);
    assert_eq!(report["outcome"], "refused");
    assert_eq!(report["exit_code"], 3);
    assert_eq!(report["otlp"]["points_sent"], 2);
    assert_eq!(report["otlp"]["rejected"], 1);
    assert_eq!(report["otlp"]["message"], PARTIAL_MESSAGE);
    assert_eq!(report["otlp"]["failure"], Json::Null);
}

#[test]
fn partial_success_text_report_says_what_was_rejected_and_why() {
    let (out, server) = partial_success_run("text");
    out.expect_code(3);
    assert!(
        out.stdout.contains(&format!(
            "OTLP: 2 of 2 histogram point(s) sent in 1 request(s) to {}{OTLP_PATH}: 1 rejected",
            server.url()
        )),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains(&format!("OTLP rejected: {PARTIAL_MESSAGE}")),
        "{}",
        out.stdout
    );
}

fn one_histogram_against(server: &FakeDynatrace, name: &str) -> support::Output {
    let dir = Workdir::new(name);
    dir.write("s.txt", "1\n2\n3\n");
    dir.cli()
        .credentials(server.url(), TOKEN)
        .args(["--histogram", "latency=s.txt", "--output", "json"])
        .run()
}

#[test]
fn a_400_rejects_every_point_of_the_request_with_the_servers_reason() {
    let status = RpcStatus {
        code: 3,
        message: "histogram bucket counts do not add up".into(),
    };
    let server = FakeDynatrace::scripted(vec![Reply::protobuf(400, &status)]);
    let out = one_histogram_against(&server, "otlp-400");
    out.expect_code(3);
    assert_eq!(server.requests().len(), 1, "a 400 is not retried");
    let report = out.json();
    support::assert_buckets(&report);
    assert_eq!(report["otlp"]["points_sent"], 1);
    assert_eq!(report["otlp"]["rejected"], 1);
    let message = report["otlp"]["message"].as_str().expect("a message");
    assert!(message.contains("400"), "{message}");
    assert!(
        message.contains("histogram bucket counts do not add up"),
        "{message}"
    );
    assert_eq!(report["otlp"]["failure"], Json::Null);
}

#[test]
fn auth_and_content_type_errors_fail_delivery_with_a_hint_and_are_not_retried() {
    for (status, hint) in [
        (401, "DT_API_TOKEN"),
        (403, "metrics.ingest"),
        (415, "binary protobuf"),
    ] {
        let server = FakeDynatrace::scripted(vec![Reply::json(
            status,
            r#"{"error":{"code":0,"message":"no"}}"#,
        )]);
        let out = one_histogram_against(&server, "otlp-auth");
        out.expect_code(4);
        assert_eq!(server.requests().len(), 1, "{status} is not retried");
        let report = out.json();
        support::assert_buckets(&report);
        assert_eq!(report["outcome"], "delivery_failed", "{status}");
        let failure = report["otlp"]["failure"].as_str().expect("a failure");
        assert!(failure.contains(&status.to_string()), "{status}: {failure}");
        assert!(failure.contains(hint), "{status}: {failure}");
        assert!(!failure.contains(TOKEN), "{failure}");
        assert_eq!(report["otlp"]["points_sent"], 0, "{status}");
        assert_eq!(report["otlp"]["unsent"], 1, "{status}");
    }
}

#[test]
fn unavailable_server_is_retried_after_retry_after_and_then_accepts() {
    let server = FakeDynatrace::scripted(vec![
        Reply::json(503, r#"{"error":{"code":503,"message":"ingest paused"}}"#)
            .with_header("Retry-After", "0"),
        Reply::otlp_ok(),
    ]);
    let out = one_histogram_against(&server, "otlp-503");
    out.expect_code(0);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0].body_bytes, requests[1].body_bytes,
        "the retry resends"
    );
    assert_eq!(requests[1].otlp(), requests[0].otlp());
    let report = out.json();
    support::assert_buckets(&report);
    assert_eq!(report["otlp"]["requests"], 2);
    assert_eq!(report["otlp"]["points_sent"], 1);
    assert_eq!(report["otlp"]["failure"], Json::Null);
}

#[test]
fn a_200_that_is_not_an_otlp_answer_is_a_delivery_failure() {
    let server = FakeDynatrace::scripted(vec![Reply {
        status: 200,
        body: b"<html><body>Please log in</body></html>".to_vec(),
        headers: vec![("Content-Type".into(), "text/html".into())],
    }]);
    let out = one_histogram_against(&server, "otlp-html");
    out.expect_code(4);
    let report = out.json();
    support::assert_buckets(&report);
    assert_eq!(report["otlp"]["points_sent"], 0);
    assert_eq!(report["otlp"]["unsent"], 1);
    assert!(report["otlp"]["failure"]
        .as_str()
        .unwrap()
        .contains("not as Dynatrace's API"));
}

#[test]
fn a_partial_success_without_rejections_is_a_warning() {
    let server = FakeDynatrace::scripted(vec![Reply::otlp_partial(0, "attribute x was truncated")]);
    let dir = Workdir::new("otlp-warning");
    dir.write("s.txt", "1\n");
    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["--histogram", "latency=s.txt"])
        .run();
    out.expect_code(0);
    assert!(
        out.stdout
            .contains("OTLP warning: attribute x was truncated"),
        "{}",
        out.stdout
    );
}
