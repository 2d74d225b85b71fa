//! End-to-end tests of the real binary against a fake Dynatrace metrics ingest endpoint: what
//! goes over the wire, what the report says, and the exit code Keptn sees.

#[allow(dead_code)]
mod support;

use serde_json::json;
use support::{refused_url, FakeDynatrace, Reply, Workdir, INGEST_PATH};

const TOKEN: &str = "dt0c01.SECRETSECRETSECRET";

/// The Keptn context dimensions as the tests below set them up (`keptn_env`).
const KEPTN_DIMS: &str = "ci_platform=keptn,keptn_project=sockshop,keptn_stage=hardening,\
                          keptn_service=carts,buildid=2024.11,git_commit=abc123";

/// Environment variables for one run.
type EnvVars<'a> = Vec<(&'a str, &'a str)>;

fn keptn_env(cli: support::Cli) -> support::Cli {
    cli.env("KEPTN_PROJECT", "sockshop")
        .env("KEPTN_STAGE", "hardening")
        .env("KEPTN_SERVICE", "carts")
        .env("LABELS_GIT_COMMIT", "abc123")
        .env("LABELS_BUILDID", "2024.11")
}

fn ingest_url(server: &FakeDynatrace) -> String {
    format!("{}{INGEST_PATH}", server.url())
}

#[test]
fn accepted_run_posts_every_input_with_token_content_type_and_keptn_dimensions() {
    let dir = Workdir::new("accepted");
    dir.write(
        "metrics.json",
        r#"[{"name": "tests_failed", "type": "count", "value": 3}]"#,
    )
    .write("lines.txt", "app.deploys,region=eu-west gauge,1\n");
    let server = FakeDynatrace::accepting();

    let out = keptn_env(dir.cli())
        .credentials(server.url(), TOKEN)
        .args(["--metric", "build_time,step=compile=42.5"])
        .args(["--input", "metrics.json", "--lines", "lines.txt"])
        .run();

    out.expect_code(0);
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, INGEST_PATH);
    assert_eq!(
        request.header("Authorization"),
        Some(format!("Api-Token {TOKEN}").as_str())
    );
    assert_eq!(
        request.header("Content-Type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(
        request.body,
        format!(
            "keptn.build_time,step=compile,{KEPTN_DIMS} gauge,42.5\n\
             keptn.tests_failed,{KEPTN_DIMS} count,delta=3\n\
             app.deploys,region=eu-west,{KEPTN_DIMS} gauge,1\n"
        )
    );
    assert_eq!(
        out.stdout,
        format!(
            "3 of 3 line(s) sent in 1 request(s) to {}: 3 accepted, 0 invalid\n",
            ingest_url(&server)
        )
    );
    assert_eq!(out.stderr, "");
}

#[test]
fn json_report_of_an_accepted_run() {
    let dir = Workdir::new("accepted-json");
    let server = FakeDynatrace::accepting();

    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["--metric", "build_time=42", "--metric", "coverage=87.5"])
        .args(["--output", "json"])
        .run();

    out.expect_code(0);
    let report = out.json();
    assert_eq!(report["outcome"], "accepted");
    assert_eq!(report["exit_code"], 0);
    assert_eq!(report["dry_run"], false);
    assert_eq!(report["failure"], json!(null));
    assert_eq!(report["requests"], 1);
    assert_eq!(report["endpoint"], ingest_url(&server));
    let lines = &report["lines"];
    assert_eq!(lines["sent"], 2);
    assert_eq!(lines["ok"], 2);
    assert_eq!(lines["invalid"], 0);
    assert_eq!(lines["refused_locally"], 0);
    assert_eq!(lines["invalid_lines"], json!([]));
    assert_eq!(lines["warnings"], json!([]));
    assert_eq!(
        server.requests()[0].lines(),
        [
            "keptn.build_time,ci_platform=keptn gauge,42",
            "keptn.coverage,ci_platform=keptn gauge,87.5"
        ]
    );
}

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

const PARTIAL_400: &str = r#"{"linesOk":2,"linesInvalid":1,
    "error":{"code":400,"message":"1 invalid lines",
             "invalidLines":[{"line":2,"error":"dimension value exceeds 250 characters"}]},
    "warnings":{"message":"Some lines were changed",
                "warningLines":[{"line":1,"warning":"metric key 'keptn.cpu' changed to 'keptn.cpu.gauge'"}]}}"#;

fn partial_refusal_run(output: &str) -> (support::Output, FakeDynatrace) {
    let dir = Workdir::new("partial");
    dir.write(
        "metrics.json",
        r#"[{"name": "cpu", "value": 1},
            {"name": "memory", "value": 2},
            {"name": "disk", "value": 3}]"#,
    );
    let server = FakeDynatrace::scripted(vec![Reply::json(400, PARTIAL_400)]);
    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .env("KEPTN_PROJECT", "shop")
        .args(["--input", "metrics.json", "--output", output])
        .run();
    (out, server)
}

#[test]
fn partial_refusal_json_report_names_the_line_its_input_and_reason() {
    let (out, server) = partial_refusal_run("json");

    out.expect_code(3);
    assert_eq!(server.requests().len(), 1, "a 400 is not retried");
    let report = out.json();
    assert_eq!(report["outcome"], "refused");
    assert_eq!(report["exit_code"], 3);
    assert_eq!(report["failure"], json!(null));
    let lines = &report["lines"];
    assert_eq!(lines["sent"], 3);
    assert_eq!(lines["ok"], 2);
    assert_eq!(lines["invalid"], 1);
    assert_eq!(lines["refused_locally"], 0);
    assert_eq!(lines["unlisted_invalid"], 0);
    assert_eq!(
        lines["invalid_lines"],
        json!([{
            "line": 2,
            "error": "dimension value exceeds 250 characters",
            "input": "metrics.json $[1]",
            "text": "keptn.memory,ci_platform=keptn,keptn_project=shop gauge,2",
        }])
    );
    assert_eq!(
        lines["warnings"],
        json!([{
            "line": 1,
            "input": "metrics.json $[0]",
            "warning": "metric key 'keptn.cpu' changed to 'keptn.cpu.gauge'",
            "source": "dynatrace",
        }])
    );
}

#[test]
fn partial_refusal_text_report_names_the_line_its_input_and_reason() {
    let (out, server) = partial_refusal_run("text");

    out.expect_code(3);
    let expected = format!(
        "3 of 3 line(s) sent in 1 request(s) to {}: 2 accepted, 1 invalid\n\
         invalid line 2 (metrics.json $[1]): dimension value exceeds 250 characters\n    \
         keptn.memory,ci_platform=keptn,keptn_project=shop gauge,2\n\
         warning line 1 (metrics.json $[0]): metric key 'keptn.cpu' changed to 'keptn.cpu.gauge'\n",
        ingest_url(&server)
    );
    assert_eq!(out.stdout, expected);
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
         not sent: 1 line(s)\n",
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

const LOCALLY_REFUSED: &str = "ok.metric gauge,1\n\
                               x.y gauge,NaN\n\
                               sum.metric gauge,min=1,max=2,sum=10,count=2\n";

#[test]
fn locally_refused_lines_are_reported_and_never_sent() {
    let dir = Workdir::new("local-refusals");
    dir.write("lines.txt", LOCALLY_REFUSED);
    let server = FakeDynatrace::accepting();

    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["--lines", "lines.txt", "--output", "json"])
        .run();

    out.expect_code(3);
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].body, "ok.metric,ci_platform=keptn gauge,1\n");
    let report = out.json();
    assert_eq!(report["outcome"], "refused");
    assert_eq!(report["exit_code"], 3);
    let lines = &report["lines"];
    assert_eq!(lines["sent"], 1);
    assert_eq!(lines["ok"], 1);
    assert_eq!(lines["invalid"], 0);
    assert_eq!(lines["refused_locally"], 2);
    let refused = lines["refused"].as_array().unwrap();
    assert_eq!(refused[0]["input"], "lines.txt:2");
    assert!(
        refused[0]["error"].as_str().unwrap().contains("NaN"),
        "{refused:?}"
    );
    assert_eq!(refused[1]["input"], "lines.txt:3");
    assert!(
        refused[1]["error"]
            .as_str()
            .unwrap()
            .contains("summary is inconsistent"),
        "{refused:?}"
    );
}

#[test]
fn nothing_left_after_local_refusals_sends_no_request() {
    let dir = Workdir::new("all-refused");
    dir.write("lines.txt", "x.y gauge,NaN\n");
    let server = FakeDynatrace::accepting();

    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["--lines", "lines.txt"])
        .run();

    out.expect_code(3);
    assert!(server.requests().is_empty());
    assert!(
        out.stdout.contains("refused lines.txt:1: the value is NaN"),
        "{}",
        out.stdout
    );
}

#[test]
fn usage_errors_exit_2_name_the_problem_and_send_nothing() {
    let dir = Workdir::new("usage");
    dir.write("bad.json", r#"[{"name": "x", "value": 1},"#);
    let server = FakeDynatrace::accepting();
    let tenant = server.url().to_owned();
    let both = [("DT_TENANT", tenant.as_str()), ("DT_API_TOKEN", TOKEN)];
    let cases: Vec<(&str, EnvVars, Vec<&str>, &str)> = vec![
        ("no input", both.to_vec(), vec![], "nothing to send"),
        (
            "no tenant",
            vec![("DT_API_TOKEN", TOKEN)],
            vec!["-m", "x=1"],
            "DT_TENANT is not set",
        ),
        (
            "empty tenant",
            vec![("DT_TENANT", " "), ("DT_API_TOKEN", TOKEN)],
            vec!["-m", "x=1"],
            "DT_TENANT is not set",
        ),
        (
            "no token",
            vec![("DT_TENANT", &tenant)],
            vec!["-m", "x=1"],
            "DT_API_TOKEN is not set",
        ),
        (
            "missing JSON file",
            both.to_vec(),
            vec!["-m", "ok=1", "--input", "missing.json"],
            "missing.json",
        ),
        (
            "missing lines file",
            both.to_vec(),
            vec!["-m", "ok=1", "--lines", "nope.txt"],
            "nope.txt",
        ),
        (
            "invalid JSON",
            both.to_vec(),
            vec!["-m", "ok=1", "--input", "bad.json"],
            "bad.json is not valid JSON",
        ),
        (
            "DT_RETRIES not a number",
            [&both[..], &[("DT_RETRIES", "often")]].concat(),
            vec!["-m", "ok=1"],
            "DT_RETRIES",
        ),
    ];
    for (name, env, args, expected) in cases {
        let mut cli = dir.cli().args(&args);
        for (key, value) in env {
            cli = cli.env(key, value);
        }
        let out = cli.run();
        assert_eq!(out.code, 2, "{name}: {out:?}");
        assert!(
            out.stderr.contains(expected),
            "{name}: stderr lacks {expected:?}: {}",
            out.stderr
        );
        assert_eq!(out.stdout, "", "{name}");
        assert!(server.requests().is_empty(), "{name}: something was sent");
    }
}

fn batch_line(i: usize) -> String {
    format!("batch.metric,n={i} gauge,{i}")
}

#[test]
fn large_input_goes_in_batches_of_1000_and_a_refusal_maps_back_to_its_input_line() {
    let dir = Workdir::new("batches");
    // A blank first line: the file's line numbers run one ahead of the sent lines.
    let file: String = std::iter::once(String::new())
        .chain((1..=2500).map(batch_line))
        .map(|l| l + "\n")
        .collect();
    dir.write("lines.txt", &file);
    let server = FakeDynatrace::start(|request, index| match index {
        0 | 1 => Reply::accepted(request.lines().len()),
        _ => Reply::json(
            400,
            r#"{"linesOk":499,"linesInvalid":1,"error":{"code":400,"message":"1 invalid lines",
                "invalidLines":[{"line":345,"error":"value out of range"}]}}"#,
        ),
    });

    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["--lines", "lines.txt", "--retries", "0", "--output", "json"])
        .run();

    out.expect_code(3);
    let requests = server.requests();
    let sizes: Vec<usize> = requests.iter().map(|r| r.lines().len()).collect();
    assert_eq!(sizes, [1000, 1000, 500]);
    let sent: Vec<String> = requests
        .iter()
        .flat_map(|r| r.lines())
        .map(str::to_owned)
        .collect();
    let expected: Vec<String> = (1..=2500)
        .map(|i| format!("batch.metric,n={i},ci_platform=keptn gauge,{i}"))
        .collect();
    assert_eq!(sent, expected, "every line once, in order");

    let report = out.json();
    assert_eq!(report["requests"], 3);
    let lines = &report["lines"];
    assert_eq!(lines["sent"], 2500);
    assert_eq!(lines["ok"], 2499);
    assert_eq!(lines["invalid"], 1);
    assert_eq!(
        lines["invalid_lines"],
        json!([{
            "line": 2345,
            "error": "value out of range",
            "input": "lines.txt:2346",
            "text": "batch.metric,n=2345,ci_platform=keptn gauge,2345",
        }])
    );
}

#[test]
fn dry_run_needs_no_credentials_and_prints_exactly_the_lines() {
    let dir = Workdir::new("dry-run");
    dir.write("lines.txt", "app.deploys count,delta=1\n");

    let out = dir
        .cli()
        .env("KEPTN_PROJECT", "shop")
        .args([
            "--dry-run",
            "--metric",
            "build_time=42",
            "--lines",
            "lines.txt",
        ])
        .run();

    out.expect_code(0);
    assert_eq!(
        out.stdout,
        "keptn.build_time,ci_platform=keptn,keptn_project=shop gauge,42\n\
         app.deploys,ci_platform=keptn,keptn_project=shop count,delta=1\n"
    );
    assert_eq!(
        out.stderr,
        "dry run: 2 line(s) would be sent; nothing was sent\n"
    );
}

#[test]
fn dry_run_sends_nothing_even_with_credentials() {
    let dir = Workdir::new("dry-run-creds");
    let server = FakeDynatrace::accepting();

    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["--dry-run", "--metric", "build_time=42"])
        .run();

    out.expect_code(0);
    assert_eq!(out.stdout, "keptn.build_time,ci_platform=keptn gauge,42\n");
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[test]
fn dry_run_refusals_go_to_stderr_and_exit_3() {
    let dir = Workdir::new("dry-run-refusals");
    dir.write("lines.txt", LOCALLY_REFUSED);

    let out = dir.cli().args(["--dry-run", "--lines", "lines.txt"]).run();

    out.expect_code(3);
    assert_eq!(out.stdout, "ok.metric,ci_platform=keptn gauge,1\n");
    assert!(
        out.stderr
            .starts_with("dry run: 1 line(s) would be sent, 2 refused locally; nothing was sent\n"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(
            "refused lines.txt:2: the value is NaN; Dynatrace accepts only finite numbers\n"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("refused lines.txt:3: summary is inconsistent"),
        "{}",
        out.stderr
    );

    let report = dir
        .cli()
        .args(["--dry-run", "--lines", "lines.txt", "--output", "json"])
        .run()
        .expect_code(3)
        .json();
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["outcome"], "refused");
    assert_eq!(report["requests"], 0);
    assert_eq!(
        report["lines"]["payload"],
        json!(["ok.metric,ci_platform=keptn gauge,1"])
    );
    assert_eq!(report["lines"]["refused_locally"], 2);
}

#[test]
fn dry_run_of_the_shipped_loadtest_example() {
    let dir = Workdir::new("example");
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/loadtest.json");

    let out = keptn_env(dir.cli())
        .args(["--dry-run", "--input", example])
        .run();

    out.expect_code(0);
    let context = KEPTN_DIMS;
    let expected = format!(
        "#keptn.response_time_p95 gauge dt.meta.unit=MilliSecond,\
         dt.meta.description=\"95th percentile response time of the load test\"\n\
         keptn.response_time_p95,test_strategy=performance,{context} gauge,412.5\n\
         keptn.requests,test_strategy=performance,{context} count,delta=12000\n\
         keptn.response_time,test_strategy=performance,endpoint=/api/cart,{context} \
         gauge,min=12,max=980,sum=2460000,count=12000\n\
         keptn.error_rate,test_strategy=performance,endpoint=/api/cart,{context} gauge,0.0042\n"
    );
    assert_eq!(out.stdout, expected);
}

#[test]
fn the_token_appears_in_no_output() {
    let assert_hidden = |what: &str, out: &support::Output| {
        assert!(
            !out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN),
            "{what}: the token leaked\n--- stdout:\n{}\n--- stderr:\n{}",
            out.stdout,
            out.stderr
        );
    };
    let dir = Workdir::new("secret");
    dir.write("bad.json", "{not json");

    for output in ["text", "json"] {
        let server = FakeDynatrace::accepting();
        let out = dir
            .cli()
            .credentials(server.url(), TOKEN)
            .args(["-m", "x=1", "--output", output])
            .run();
        out.expect_code(0);
        assert_eq!(
            server.requests()[0].header("authorization"),
            Some(format!("Api-Token {TOKEN}").as_str()),
            "the token is used"
        );
        assert_hidden(&format!("success, {output}"), &out);

        let echo = FakeDynatrace::scripted(vec![Reply::json(
            401,
            format!(
                r#"{{"error":{{"code":401,"message":"Token Authentication failed for Api-Token {TOKEN}"}}}}"#
            ),
        )]);
        let out = dir
            .cli()
            .credentials(echo.url(), TOKEN)
            .args(["-m", "x=1", "--output", output])
            .run();
        out.expect_code(4);
        assert!(
            out.stdout
                .contains("Token Authentication failed for Api-Token ***"),
            "the server's message is shown, redacted: {}",
            out.stdout
        );
        assert_hidden(&format!("401 echoing the token, {output}"), &out);

        let out = dir
            .cli()
            .credentials(&refused_url(), TOKEN)
            .args(["-m", "x=1", "--retries", "0", "--output", output])
            .run();
        out.expect_code(4);
        assert_hidden(&format!("connection refused, {output}"), &out);
    }

    let usage_errors: [(&str, EnvVars, Vec<&str>); 5] = [
        (
            "no tenant",
            vec![("DT_API_TOKEN", TOKEN)],
            vec!["-m", "x=1"],
        ),
        (
            "no input",
            vec![("DT_API_TOKEN", TOKEN), ("DT_TENANT", "http://127.0.0.1:9")],
            vec![],
        ),
        (
            "invalid JSON",
            vec![("DT_API_TOKEN", TOKEN), ("DT_TENANT", "http://127.0.0.1:9")],
            vec!["--input", "bad.json"],
        ),
        (
            "--api-token without tenant",
            vec![],
            vec!["--api-token", TOKEN, "-m", "x=1"],
        ),
        (
            "--api-token with a bad flag value",
            vec![("DT_TENANT", "http://127.0.0.1:9")],
            vec!["--api-token", TOKEN, "-m", "x=1", "--retries", "many"],
        ),
    ];
    for (name, env, args) in usage_errors {
        let mut cli = dir.cli().args(&args);
        for (key, value) in env {
            cli = cli.env(key, value);
        }
        let out = cli.run();
        out.expect_code(2);
        assert_hidden(name, &out);
    }
}

#[test]
fn a_400_that_names_no_lines_counts_the_whole_request_as_invalid() {
    let server = FakeDynatrace::scripted(vec![Reply::json(
        400,
        r#"{"error":{"code":400,"message":"Request body too large"}}"#,
    )]);
    let out = Workdir::new("whole400")
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["-m", "x=1", "-m", "y=2"])
        .run();

    out.expect_code(3);
    assert!(
        out.stdout.contains(": 0 accepted, 2 invalid"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("Dynatrace refused 2 line(s) without naming them (400 Bad Request): Request body too large"),
        "{}",
        out.stdout
    );
}

#[test]
fn server_texts_echoing_the_token_are_redacted_everywhere() {
    let dir = Workdir::new("echo400");
    for body in [
        format!("Bad request: header Authorization: Api-Token {TOKEN}"),
        format!(
            r#"{{"linesOk":0,"linesInvalid":1,"error":{{"code":400,"message":"1 invalid lines",
                 "invalidLines":[{{"line":1,"error":"token {TOKEN} is odd"}}]}},
                 "warnings":{{"message":"w {TOKEN}","warningLines":[{{"line":1,"warning":"w {TOKEN}"}}]}}}}"#
        ),
    ] {
        for output in ["text", "json"] {
            let server = FakeDynatrace::scripted(vec![Reply::json(400, body.clone())]);
            let out = dir
                .cli()
                .credentials(server.url(), TOKEN)
                .args(["-m", "x=1", "--output", output])
                .run();
            out.expect_code(3);
            assert!(
                out.stdout.contains("***"),
                "the message is shown: {}",
                out.stdout
            );
            assert!(
                !out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN),
                "the token leaked: {}{}",
                out.stdout,
                out.stderr
            );
        }
    }
}

#[test]
fn keptn_context_event_type_and_dynatrace_metadata_become_dimensions() {
    let dir = Workdir::new("enrichment");
    dir.write(
        "dt_metadata.properties",
        "k8s.pod.name=jes-job-abc\nkeptn_project=from-metadata\n",
    );
    let server = FakeDynatrace::accepting();
    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .env("KEPTN_PROJECT", "sockshop")
        .env("KEPTN_CONTEXT", "a1b2c3")
        .env(
            "KEPTN_EVENT_TYPE",
            "sh.keptn.event.report-metrics.triggered",
        )
        .args(["-m", "x=1"])
        .run();
    out.expect_code(0);
    assert_eq!(
        server.requests()[0].lines(),
        vec![
            "keptn.x,ci_platform=keptn,keptn_project=from-metadata,keptn_context=a1b2c3,\
             keptn_event_type=sh.keptn.event.report-metrics.triggered,k8s.pod.name=jes-job-abc gauge,1"
        ]
    );

    let out = dir
        .cli()
        .env("DT_METADATA_ENRICHMENT", "false")
        .args(["--dry-run", "-m", "x=1"])
        .run();
    out.expect_code(0);
    assert_eq!(out.stdout, "keptn.x,ci_platform=keptn gauge,1\n");
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
    assert_eq!(report["lines"]["ok"], 0);
    assert_eq!(report["lines"]["unsent"], 1);
    assert!(report["failure"]
        .as_str()
        .unwrap()
        .contains("with a web page, not as Dynatrace's API"));
}
