//! Hostile and mistaken input: what the environment, the flags and the input files may hold,
//! each case with the answer a user gets (a usage error naming the problem, a refusal with its
//! place, or a warning), and the token never shown.

#[allow(dead_code)]
mod support;

use std::os::unix::ffi::OsStringExt;

use serde_json::json;
use support::{FakeDynatrace, Reply, Workdir, INGEST_PATH};

const SENTINEL: &str = "dt0c01.SENTINEL.HARDENINGSECRET";

/// Asserts that the token shows nowhere, in any case.
fn hidden(out: &support::Output) {
    let all = format!("{}{}", out.stdout, out.stderr).to_lowercase();
    assert!(!all.contains("sentinel"), "the token leaked:\n{all}");
}

#[test]
fn a_variable_that_is_not_utf8_is_named_without_its_value_and_others_are_ignored() {
    let dir = Workdir::new("non-utf8");
    let bad = std::ffi::OsString::from_vec(b"dt0c01.SENTINEL\xff".to_vec());
    let out = dir
        .cli()
        .env_os("DT_API_TOKEN", &bad)
        .args(["--dry-run", "-m", "x_metric=1"])
        .run();
    out.expect_code(2);
    assert!(
        out.stderr.contains("DT_API_TOKEN is not valid UTF-8"),
        "{}",
        out.stderr
    );
    hidden(&out);
    let label = dir
        .cli()
        .env_os("LABELS_OWNER", &bad)
        .args(["--dry-run", "-m", "x_metric=1"])
        .run();
    label.expect_code(2);
    assert!(label.stderr.contains("LABELS_OWNER"), "{}", label.stderr);

    let unrelated = dir
        .cli()
        .env_os("FOO", &bad)
        .args(["--dry-run", "-m", "x_metric=1"])
        .run();
    unrelated.expect_code(0);
    assert_eq!(
        unrelated.stdout,
        "keptn.x_metric,ci_platform=keptn gauge,1\n"
    );
}

#[test]
fn the_token_goes_over_plain_http_to_no_other_host() {
    let dir = Workdir::new("plain-http");
    let out = dir
        .cli()
        .credentials("http://192.0.2.1:9", SENTINEL)
        .args(["-m", "x_metric=1", "--output", "json"])
        .run();
    out.expect_code(2);
    let report = out.json();
    assert_eq!(report["outcome"], "usage_error");
    let failure = report["failure"].as_str().unwrap();
    assert!(
        failure.contains("refusing to send the API token in clear text to http://192.0.2.1:9/"),
        "{failure}"
    );
    hidden(&out);
}

#[test]
fn a_token_given_as_tenant_is_a_usage_error_and_never_shown() {
    let dir = Workdir::new("token-as-tenant");
    let out = dir
        .cli()
        .credentials(SENTINEL, "dt0c01.OTHER.TOKEN")
        .args(["-m", "x_metric=1"])
        .run();
    out.expect_code(2);
    assert!(
        out.stderr.contains("DT_TENANT looks like an API token"),
        "{}",
        out.stderr
    );
    hidden(&out);
}

#[test]
fn query_values_and_user_info_of_urls_are_not_shown() {
    let dir = Workdir::new("url-query");
    let server = FakeDynatrace::start(|_, _| Reply::json(401, r#"{"error":{"message":"no"}}"#));
    let url = format!(
        "http://user:pw@127.0.0.1:{}{INGEST_PATH}?Api-Token={SENTINEL}",
        server.url().rsplit(':').next().unwrap()
    );
    for output in ["text", "json"] {
        let out = dir
            .cli()
            .args([
                "--metrics-url",
                &url,
                "-m",
                "x_metric=1",
                "--output",
                output,
            ])
            .run();
        out.expect_code(4);
        hidden(&out);
        assert!(out.stdout.contains("?Api-Token=***"), "{}", out.stdout);
        assert!(out.stdout.contains("//***:***@127.0.0.1"), "{}", out.stdout);
    }
    assert_eq!(server.requests().len(), 2, "the URL is still used as given");
}

#[test]
fn numbers_out_of_range_name_the_option_and_the_range() {
    let dir = Workdir::new("ranges");
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 5] = [
        (
            &["--timeout-secs", "18446744073709551615"],
            &[],
            "--timeout-secs",
        ),
        (&["--timeout-secs", "0"], &[], "from 1 to 600"),
        (&[], &[("DT_RETRIES", "often")], "DT_RETRIES"),
        (&["--interval", "0"], &[], "from 1 to 86400"),
        (&["--concurrency", "0"], &[], "from 1 to 64"),
    ];
    for (args, env, expected) in cases {
        let mut cli = dir.cli().args(["--dry-run", "-m", "x_metric=1"]).args(args);
        for (name, value) in env {
            cli = cli.env(name, value);
        }
        let out = cli.run();
        out.expect_code(2);
        assert!(out.stderr.contains(expected), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn json_output_reports_usage_errors_too() {
    let dir = Workdir::new("json-usage");
    let cases: [&[&str]; 4] = [
        &["--output", "json", "--no-such-flag"],
        &["-o", "json", "--dry-run"],
        &["--output=json", "--dry-run", "--input", "missing.json"],
        &["-ojson", "-m", "x_metric=1"],
    ];
    for args in cases {
        let out = dir.cli().args(args).run();
        out.expect_code(2);
        let report = out.json();
        assert_eq!(report["outcome"], "usage_error", "{args:?}");
        assert_eq!(report["exit_code"], 2, "{args:?}");
        assert!(report["failure"].as_str().is_some_and(|f| !f.is_empty()));
        assert!(!out.stderr.is_empty(), "the error is on stderr too");
    }
}

#[test]
fn names_with_nothing_to_make_a_key_of_are_refused_whatever_the_prefix() {
    let dir = Workdir::new("empty-names");
    dir.write(
        "names.json",
        r#"[{"name":"","value":1},{"name":" ","value":2},{"name":"!!!","value":3},{"name":".","value":4}]"#,
    );
    for prefix in ["keptn", ""] {
        let out = dir
            .cli()
            .args([
                "--dry-run",
                "--input",
                "names.json",
                "--prefix",
                prefix,
                "-o",
                "json",
            ])
            .run();
        out.expect_code(3);
        let report = out.json();
        assert_eq!(report["lines"]["payload"], json!([]), "prefix {prefix:?}");
        assert_eq!(report["lines"]["refused_locally"], 4);
        assert_eq!(report["lines"]["refused"][2]["input"], "names.json $[2]");
        assert_eq!(report["lines"]["refused"][2]["code"], "metric_key_invalid");
    }
}

#[test]
fn an_input_without_line_breaks_ends_at_its_first_line_with_its_name() {
    let dir = Workdir::new("dev-zero");
    let out = dir
        .cli()
        .args([
            "--dry-run",
            "-m",
            "x_metric=1",
            "--lines",
            "/dev/zero",
            "-o",
            "json",
        ])
        .run();
    out.expect_code(3);
    let refused = &out.json()["lines"]["refused"][0];
    assert_eq!(refused["input"], "/dev/zero:1");
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("longer than 50000 characters"),
        "{refused}"
    );
    let json = dir.cli().args(["--dry-run", "--input", "/dev/zero"]).run();
    json.expect_code(2);
    assert!(
        json.stderr.contains("/dev/zero is not valid JSON"),
        "{}",
        json.stderr
    );
}

#[test]
fn silent_changes_are_warnings_with_their_place() {
    let dir = Workdir::new("silent");
    let long = "v".repeat(10_000);
    dir.write(
        "m.json",
        &format!(
            r#"[{{"name":"latency","value":1,"dimensions":{{"Region":"eu","region":"us","REGION":"ap","note":"{long}"}}}}]"#
        ),
    );
    let out = dir
        .cli()
        .args(["--dry-run", "--input", "m.json", "-o", "json"])
        .run();
    out.expect_code(0);
    let report = out.json();
    let codes: Vec<&str> = report["lines"]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "dimension_key_collision",
            "dimension_key_collision",
            "dimension_value_truncated"
        ]
    );
    assert_eq!(report["lines"]["warnings"][0]["input"], "m.json $[0]");
    assert!(report["lines"]["payload"][0]
        .as_str()
        .unwrap()
        .contains(",region=ap,"));
}

#[test]
fn small_mistakes_get_messages_that_say_what_is_allowed() {
    let dir = Workdir::new("messages");
    dir.write(
        "m.json",
        "\u{feff}[{\"name\": \"stamped\", \"value\": 1, \"timestamp\": 1795334400000.5}]",
    );
    let out = dir
        .cli()
        .args(["--dry-run", "--input", "m.json", "-o", "json"])
        .run();
    out.expect_code(3);
    let error = out.json()["lines"]["refused"][0]["error"].clone();
    assert!(
        error
            .as_str()
            .unwrap()
            .contains("is not whole: give UTC milliseconds"),
        "a byte order mark is read past, and the float timestamp explained: {error}"
    );
    let fields = dir.cli().args(["--dry-run", "-m", "a b c d"]).run();
    fields.expect_code(2);
    assert!(
        fields
            .stderr
            .contains("the line has 4 fields where at most 3 are allowed"),
        "{}",
        fields.stderr
    );
}
