//! `--quiet` and `--verbose`: how much a run says beyond its report.

#[allow(dead_code)]
mod support;

use support::{FakeDynatrace, Reply, Workdir};

const TOKEN: &str = "dt0c01.VERBOSITYSECRETSECRET";

fn input_with_a_warning(dir: &Workdir) {
    let long = "v".repeat(300);
    dir.write(
        "m.json",
        &format!(r#"[{{"name":"latency","value":1,"dimensions":{{"note":"{long}"}}}}]"#),
    );
}

#[test]
fn verbose_says_how_each_request_went_and_quiet_says_only_the_summary() {
    let dir = Workdir::new("verbosity");
    input_with_a_warning(&dir);
    let run = |flag: &str| {
        let server = FakeDynatrace::scripted(vec![Reply::json(503, "{}"), Reply::accepted(1)]);
        let out = dir
            .cli()
            .credentials(server.url(), TOKEN)
            .env("DT_RETRY_BUDGET_SECS", "30")
            .args(["--input", "m.json", flag])
            .run();
        out.expect_code(0);
        out
    };

    let verbose = run("--verbose");
    let posts: Vec<&str> = verbose
        .stderr
        .lines()
        .filter(|l| l.contains("POST "))
        .collect();
    assert_eq!(posts.len(), 1, "{}", verbose.stderr);
    assert!(
        posts[0].contains("/api/v2/metrics/ingest: 202 Accepted, 1 line(s), 2 attempt(s)"),
        "{}",
        posts[0]
    );
    assert!(verbose.stderr.contains("retrying"), "{}", verbose.stderr);
    assert!(verbose.stdout.contains("warning"), "{}", verbose.stdout);

    let quiet = run("-q");
    assert_eq!(quiet.stderr, "", "nothing on stderr when quiet");
    assert!(
        quiet.stdout.contains("1 of 1 line(s) sent"),
        "{}",
        quiet.stdout
    );
    assert!(
        quiet
            .stdout
            .contains("1 warning(s), listed without --quiet"),
        "{}",
        quiet.stdout
    );
    assert!(!quiet.stdout.contains("was cut to 250"), "{}", quiet.stdout);

    let normal = run("--output=text");
    assert!(!normal.stderr.contains("POST "), "{}", normal.stderr);
    assert!(normal.stderr.contains("retrying"), "{}", normal.stderr);
    assert!(
        normal.stdout.contains("was cut to 250"),
        "{}",
        normal.stdout
    );
}

#[test]
fn quiet_and_verbose_together_is_a_usage_error() {
    let out = Workdir::new("verbosity-both")
        .cli()
        .args(["--dry-run", "-m", "x=1", "-q", "-v"])
        .run();
    out.expect_code(2);
    assert!(out.stderr.contains("cannot be used with"), "{}", out.stderr);
}
