//! The API token is a secret: it appears in no output, log or error, whatever fails.

#[allow(dead_code)]
mod support;

use support::{refused_url, EnvVars, FakeDynatrace, Reply, Workdir};

const TOKEN: &str = "dt0c01.SECRETSECRETSECRET";

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
fn the_token_appears_nowhere_on_the_paths_added_for_hostile_input_and_faults() {
    let lower_token = TOKEN.to_lowercase();
    let hidden = |what: &str, out: &support::Output| {
        let all = format!("{}\n{}", out.stdout, out.stderr).to_lowercase();
        assert!(
            !all.contains(&lower_token),
            "{what}: the token leaked\n{all}"
        );
    };
    let dir = Workdir::new("secret-new-paths");
    let echo = |status: u16| {
        FakeDynatrace::start(move |_, _| {
            Reply::json(
                status,
                format!(r#"{{"error":{{"message":"header was Api-Token {TOKEN}"}}}}"#),
            )
            .with_header("Retry-After", "5")
        })
    };
    for output in ["text", "json"] {
        let mut bad = TOKEN.as_bytes().to_vec();
        bad.push(0xff);
        use std::os::unix::ffi::OsStringExt;
        let out = dir
            .cli()
            .env_os("DT_API_TOKEN", std::ffi::OsString::from_vec(bad))
            .env("DT_TENANT", "http://127.0.0.1:9")
            .args(["-m", "x_metric=1", "-o", output])
            .run();
        out.expect_code(2);
        hidden(&format!("non-UTF-8 token, {output}"), &out);

        let out = dir
            .cli()
            .credentials("http://192.0.2.1:9", TOKEN)
            .args(["-m", "x_metric=1", "-o", output])
            .run();
        out.expect_code(2);
        hidden(&format!("plain http, {output}"), &out);

        let out = dir
            .cli()
            .credentials(&TOKEN.to_uppercase(), TOKEN)
            .args(["-m", "x_metric=1", "-o", output])
            .run();
        out.expect_code(2);
        hidden(&format!("token as tenant, {output}"), &out);

        let server = echo(401);
        let url = format!("{}/api/v2/metrics/ingest?api-token={TOKEN}", server.url());
        let out = dir
            .cli()
            .env("DT_API_TOKEN", TOKEN)
            .args(["--metrics-url", &url, "-m", "x_metric=1", "-o", output])
            .run();
        out.expect_code(4);
        hidden(&format!("token in the URL's query, {output}"), &out);

        for (status, args) in [
            (413, vec!["-m", "x_metric=1"]),
            (503, vec!["-m", "x_metric=1", "--retry-budget-secs", "1"]),
            (202, vec!["-m", "x_metric=1"]),
        ] {
            let server = echo(status);
            let out = dir
                .cli()
                .credentials(server.url(), TOKEN)
                .args(&args)
                .args(["-o", output])
                .run();
            out.expect_code(4);
            hidden(&format!("{status} echoing the token, {output}"), &out);
        }

        let out = dir
            .cli()
            .args(["--api-token", TOKEN, "--bad-flag", "-o", output])
            .run();
        out.expect_code(2);
        hidden(
            &format!("a usage error with the token as a flag, {output}"),
            &out,
        );
    }
}
