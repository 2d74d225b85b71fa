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
