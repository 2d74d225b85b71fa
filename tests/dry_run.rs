//! `--dry-run`: the exact payload on stdout, the rest on stderr, nothing sent, no credentials
//! needed.

#[allow(dead_code)]
mod support;

use serde_json::json;
use support::{keptn_env, FakeDynatrace, Workdir, KEPTN_DIMS, LOCALLY_REFUSED};

const TOKEN: &str = "dt0c01.SECRETSECRETSECRET";

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
        "dry run: 2 line(s) would be sent; nothing was sent\n\
         context: keptn (KEPTN_* of the job-executor)\n"
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
