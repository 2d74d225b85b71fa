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
