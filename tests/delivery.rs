//! Delivery: tenant URL forms, the token header, retries, and every way delivery can fail, each
//! with the exit code Keptn sees and what the report says was not sent.

#[allow(dead_code)]
mod support;

use serde_json::json;
use support::{ingest_url, refused_url, FakeDynatrace, Reply, Workdir, INGEST_PATH};

const TOKEN: &str = "dt0c01.SECRETSECRETSECRET";

#[test]
fn managed_tenant_with_or_without_trailing_slash_posts_below_the_environment() {
    for suffix in ["/e/abc12345", "/e/abc12345/"] {
        let dir = Workdir::new("managed");
        let server = FakeDynatrace::accepting();
        let tenant = format!("{}{suffix}", server.url());

        let out = dir
            .cli()
            .credentials(&tenant, TOKEN)
            .args(["--metric", "build_time=42"])
            .run();

        out.expect_code(0);
        let requests = server.requests();
        assert_eq!(requests.len(), 1, "{tenant}");
        assert_eq!(
            requests[0].path, "/e/abc12345/api/v2/metrics/ingest",
            "{tenant}"
        );
    }
}

#[test]
fn token_from_a_secret_file_with_trailing_newline_is_sent_trimmed() {
    let dir = Workdir::new("token-newline");
    let server = FakeDynatrace::accepting();

    let out = dir
        .cli()
        .credentials(&format!("{}\n", server.url()), "dt0c01.FROMAFILE\n")
        .args(["--metric", "build_time=42"])
        .run();

    out.expect_code(0);
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some("Api-Token dt0c01.FROMAFILE")
    );
}

#[test]
fn auth_and_address_errors_fail_delivery_with_a_hint_and_are_not_retried() {
    let cases = [
        (
            401,
            r#"{"error":{"code":401,"message":"Token Authentication failed"}}"#,
            &["401", "DT_API_TOKEN", "Token Authentication failed"][..],
        ),
        (
            403,
            r#"{"error":{"code":403,"message":"Token is missing required scope"}}"#,
            &["403", "metrics.ingest", "Token is missing required scope"][..],
        ),
        (404, "Not Found", &["404", "DT_TENANT"][..]),
    ];
    for (status, body, hints) in cases {
        let dir = Workdir::new("auth");
        let server = FakeDynatrace::scripted(vec![Reply::json(status, body)]);

        let out = dir
            .cli()
            .credentials(server.url(), TOKEN)
            .args(["--metric", "build_time=42", "--metric", "coverage=80"])
            .args(["--retries", "3", "--output", "json"])
            .run();

        out.expect_code(4);
        assert_eq!(server.requests().len(), 1, "{status} is not worth a retry");
        let report = out.json();
        support::assert_buckets(&report);
        assert_eq!(report["outcome"], "delivery_failed", "{status}");
        assert_eq!(report["exit_code"], 4, "{status}");
        assert_eq!(report["lines"]["sent"], 0, "{status}");
        assert_eq!(report["lines"]["ok"], 0, "{status}");
        assert_eq!(report["lines"]["unsent"], 2, "{status}");
        let failure = report["failure"].as_str().expect("a failure message");
        for hint in hints {
            assert!(
                failure.contains(hint),
                "{status}: {failure:?} lacks {hint:?}"
            );
        }
    }
}

#[test]
fn unauthorized_text_report_says_delivery_failed_and_what_was_not_sent() {
    let dir = Workdir::new("auth-text");
    let server = FakeDynatrace::scripted(vec![Reply::json(
        401,
        r#"{"error":{"code":401,"message":"Token Authentication failed"}}"#,
    )]);

    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["--metric", "build_time=42"])
        .run();

    out.expect_code(4);
    let expected = format!(
        "0 of 1 line(s) sent in 1 request(s) to {}: 0 accepted, 0 invalid\n\
         delivery failed: Dynatrace answered 401 Unauthorized: the API token is missing, invalid \
         or expired: check DT_API_TOKEN; it said: Token Authentication failed\n\
         not sent: 1 line(s)\n\
         context: keptn (default: no Keptn context or CI found)\n",
        ingest_url(&server)
    );
    assert_eq!(out.stdout, expected);
}

#[test]
fn unavailable_server_is_retried_after_retry_after_and_then_accepts() {
    let dir = Workdir::new("retry-503");
    let server = FakeDynatrace::scripted(vec![
        Reply::json(503, r#"{"error":{"code":503,"message":"ingest paused"}}"#)
            .with_header("Retry-After", "0"),
        Reply::accepted(2),
    ]);

    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["--metric", "build_time=42", "--metric", "coverage=80"])
        .args(["--retries", "1", "--output", "json"])
        .run();

    out.expect_code(0);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].body, requests[1].body, "the retry resends");
    assert_eq!(requests[1].lines().len(), 2);
    let report = out.json();
    support::assert_buckets(&report);
    assert_eq!(report["outcome"], "accepted");
    assert_eq!(report["requests"], 2);
    assert_eq!(report["lines"]["sent"], 2);
    assert_eq!(report["lines"]["ok"], 2);
    assert_eq!(report["failure"], json!(null));
}

#[test]
fn persistent_throttling_gives_up_after_the_retries_from_dt_retries() {
    let throttled = || {
        FakeDynatrace::scripted(vec![Reply::json(
            429,
            r#"{"error":{"code":429,"message":"Too many requests"}}"#,
        )
        .with_header("Retry-After", "0")])
    };
    let dir = Workdir::new("throttled");

    let server = throttled();
    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .env("DT_RETRIES", "1")
        .args(["--metric", "build_time=42", "--output", "json"])
        .run();
    out.expect_code(4);
    assert_eq!(server.requests().len(), 2, "one try and DT_RETRIES=1 retry");
    let report = out.json();
    support::assert_buckets(&report);
    assert_eq!(report["outcome"], "delivery_failed");
    assert_eq!(report["requests"], 2);
    assert_eq!(report["lines"]["unsent"], 1);
    let failure = report["failure"].as_str().unwrap();
    assert!(failure.contains("429"), "{failure}");
    assert!(failure.contains("throttling"), "{failure}");

    // The flag wins over the environment.
    let server = throttled();
    dir.cli()
        .credentials(server.url(), TOKEN)
        .env("DT_RETRIES", "5")
        .args(["--metric", "build_time=42", "--retries", "0"])
        .run()
        .expect_code(4);
    assert_eq!(server.requests().len(), 1, "--retries 0 beats DT_RETRIES=5");
}

#[test]
fn connection_refused_fails_delivery() {
    let dir = Workdir::new("refused");
    let tenant = refused_url();

    let out = dir
        .cli()
        .credentials(&tenant, TOKEN)
        .args([
            "--metric",
            "build_time=42",
            "--retries",
            "0",
            "--output",
            "json",
        ])
        .run();

    out.expect_code(4);
    let report = out.json();
    support::assert_buckets(&report);
    assert_eq!(report["outcome"], "delivery_failed");
    assert_eq!(report["exit_code"], 4);
    assert_eq!(report["lines"]["sent"], 0);
    assert_eq!(report["lines"]["unsent"], 1);
    let failure = report["failure"].as_str().unwrap();
    assert!(
        failure.starts_with(&format!(
            "could not reach {tenant}{INGEST_PATH} after 1 attempt(s)"
        )),
        "{failure}"
    );
}

#[test]
fn a_web_page_instead_of_dynatraces_answer_is_a_delivery_failure() {
    let server = FakeDynatrace::scripted(vec![Reply::json(200, "<html>Sign in</html>")
        .with_header("Content-Type", "text/html; charset=utf-8")]);
    let out = Workdir::new("html")
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["-m", "x=1", "--output", "json"])
        .run();
    out.expect_code(4);
    let report = out.json();
    support::assert_buckets(&report);
    assert_eq!(report["lines"]["ok"], 0);
    assert_eq!(report["lines"]["unsent"], 1);
    assert!(report["failure"]
        .as_str()
        .unwrap()
        .contains("with a web page, not as Dynatrace's API"));
}
