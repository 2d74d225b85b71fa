//! Usage and configuration errors: exit 2, a message naming the problem, nothing sent.

#[allow(dead_code)]
mod support;

use support::{EnvVars, FakeDynatrace, Workdir};

const TOKEN: &str = "dt0c01.SECRETSECRETSECRET";

#[test]
fn usage_errors_exit_2_name_the_problem_and_send_nothing() {
    let dir = Workdir::new("usage");
    dir.write("bad.json", "name,value\nx,1\n");
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

/// A token pasted into another variable, a flag or a path is echoed by the message that
/// refuses it: once the token is known, no usage message shows it, clap's own included.
#[test]
fn usage_errors_never_show_the_token_whatever_value_holds_it() {
    let dir = Workdir::new("usage-token");
    let server = FakeDynatrace::accepting();
    let tenant = server.url().to_owned();
    let cases: Vec<(&str, EnvVars, Vec<&str>)> = vec![
        (
            "DT_METRICS_URL",
            vec![("DT_METRICS_URL", TOKEN)],
            vec!["-m", "x=1"],
        ),
        (
            "DT_OTLP_URL",
            vec![("DT_OTLP_URL", TOKEN)],
            vec!["-m", "x=1"],
        ),
        (
            "DT_TIMEOUT_SECS",
            vec![("DT_TIMEOUT_SECS", TOKEN)],
            vec!["-m", "x=1"],
        ),
        ("DT_RETRIES", vec![("DT_RETRIES", TOKEN)], vec!["-m", "x=1"]),
        (
            "DEFAULT_DIMENSIONS",
            vec![("DEFAULT_DIMENSIONS", TOKEN)],
            vec!["-m", "x=1"],
        ),
        ("--metric", vec![], vec!["-m", TOKEN]),
        ("--input path", vec![], vec!["--input", TOKEN]),
        ("--lines path", vec![], vec!["--lines", TOKEN]),
        (
            "--retries (clap)",
            vec![],
            vec!["-m", "x=1", "--retries", TOKEN],
        ),
        (
            "--bounds (clap)",
            vec![],
            vec!["--bounds", TOKEN, "-m", "x=1"],
        ),
        (
            "--dimension",
            vec![],
            vec!["-m", "x=1", "--dimension", TOKEN],
        ),
    ];
    for (name, env, args) in cases {
        for output in ["text", "json"] {
            for by_flag in [false, true] {
                let mut cli = dir.cli().env("DT_TENANT", &tenant);
                cli = match by_flag {
                    true => cli.args(["--api-token", TOKEN]),
                    false => cli.env("DT_API_TOKEN", TOKEN),
                };
                for (key, value) in &env {
                    cli = cli.env(key, value);
                }
                let out = cli.args(&args).args(["--output", output]).run();
                let what = format!("{name}, {output}, token by flag {by_flag}");
                assert_eq!(out.code, 2, "{what}: {out:?}");
                assert!(
                    !out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN),
                    "{what}: the token shows\n--- stdout:\n{}\n--- stderr:\n{}",
                    out.stdout,
                    out.stderr
                );
            }
        }
    }
    assert!(server.requests().is_empty(), "something was sent");
}

/// A label, a context field or a metadata entry that is the token (or holds it) would be sent
/// to Dynatrace as a dimension and printed with every line: refused, saying which and why.
#[test]
fn a_dimension_that_is_or_holds_the_token_is_refused_without_showing_it() {
    let dir = Workdir::new("usage-token-label");
    let server = FakeDynatrace::accepting();
    let metadata = format!(r#"{{"appName":"shop","metadata":{{"note":"x {TOKEN} y"}}}}"#);
    let cases: Vec<(&str, EnvVars, Vec<String>)> = vec![
        ("LABELS_BUILDID", vec![("LABELS_BUILDID", TOKEN)], vec![]),
        (
            "--label #1",
            vec![],
            vec!["--label".into(), format!("note=prefix-{TOKEN}")],
        ),
        (
            "KEPTN_CONTEXT metadata.note",
            vec![("KEPTN_CONTEXT", metadata.as_str())],
            vec![],
        ),
        ("KEPTN_STAGE", vec![("KEPTN_STAGE", TOKEN)], vec![]),
    ];
    for (source, env, args) in cases {
        for dry_run in [false, true] {
            let mut cli = dir.cli().credentials(server.url(), TOKEN);
            for (key, value) in &env {
                cli = cli.env(key, value);
            }
            if dry_run {
                cli = cli.args(["--dry-run"]);
            }
            let out = cli.args(["-m", "x=1"]).args(&args).run();
            assert_eq!(out.code, 2, "{source}: {out:?}");
            assert!(
                out.stderr
                    .starts_with(&format!("keptn-dt-metrics: error: {source}: ")),
                "{source}: {}",
                out.stderr
            );
            assert!(out.stderr.contains("API token"), "{}", out.stderr);
            assert!(!out.stderr.contains(TOKEN) && !out.stdout.contains(TOKEN));
            assert_eq!(
                out.stdout, "",
                "{source}: nothing printed, not even in a dry run"
            );
        }
    }
    assert!(server.requests().is_empty(), "nothing was sent");
}
