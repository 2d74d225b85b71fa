//! End to end, line protocol: what the real binary sends to a fake Dynatrace metrics ingest
//! endpoint, batched, with the Keptn dimensions, and what its report says of accepted and refused
//! lines.

#[allow(dead_code)]
mod support;

use serde_json::json;
use support::{
    ingest_url, keptn_env, FakeDynatrace, Reply, Workdir, INGEST_PATH, KEPTN_DIMS, LOCALLY_REFUSED,
};

const TOKEN: &str = "dt0c01.SECRETSECRETSECRET";

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
            "3 of 3 line(s) sent in 1 request(s) to {}: 3 accepted, 0 invalid\n\
             context: keptn (KEPTN_* of the job-executor)\n",
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
            "code": "server_refused",
        }])
    );
    assert_eq!(
        lines["warnings"],
        json!([{
            "line": 1,
            "input": "metrics.json $[0]",
            "warning": "metric key 'keptn.cpu' changed to 'keptn.cpu.gauge'",
            "source": "dynatrace",
            "code": "server_warning",
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
         warning line 1 (metrics.json $[0]): metric key 'keptn.cpu' changed to 'keptn.cpu.gauge'\n\
         context: keptn (KEPTN_* of the job-executor)\n",
        ingest_url(&server)
    );
    assert_eq!(out.stdout, expected);
}

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
    // The third batch (lines 2001 to 2500) names its line 345 as invalid.
    let server = FakeDynatrace::start(|request, _| {
        if !request.body.starts_with("batch.metric,n=2001,") {
            return Reply::accepted(request.lines().len());
        }
        Reply::json(
            400,
            r#"{"linesOk":499,"linesInvalid":1,"error":{"code":400,"message":"1 invalid lines",
                "invalidLines":[{"line":345,"error":"value out of range"}]}}"#,
        )
    });

    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["--lines", "lines.txt", "--retries", "0", "--output", "json"])
        .run();

    out.expect_code(3);
    // Requests in flight together arrive in any order.
    let mut requests = server.requests();
    requests.sort_by_key(|r| {
        r.lines()[0]
            .split([',', '='])
            .nth(2)
            .and_then(|n| n.parse::<u32>().ok())
    });
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
            "code": "server_refused",
        }])
    );
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
            "keptn.x,ci_platform=keptn,keptn_project=sockshop,keptn_context=a1b2c3,\
             keptn_event_type=sh.keptn.event.report-metrics.triggered,k8s.pod.name=jes-job-abc gauge,1"
        ]
    );
    assert!(
        out.stdout.contains(
            "warning dt_metadata.properties: dimension `keptn_project` from \
             dt_metadata.properties (`from-metadata`) was replaced by KEPTN_PROJECT (`sockshop`): \
             the run's context is not overridden by labels or metadata"
        ),
        "{}",
        out.stdout
    );

    let out = dir
        .cli()
        .env("DT_METADATA_ENRICHMENT", "false")
        .args(["--dry-run", "-m", "x=1"])
        .run();
    out.expect_code(0);
    assert_eq!(out.stdout, "keptn.x,ci_platform=keptn gauge,1\n");
}
