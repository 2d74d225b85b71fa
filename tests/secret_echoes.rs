//! Servers that echo the token back, whole, cut short by the message's length limit, or written
//! with JSON escapes, on every path an answer's text takes into the report (line-protocol
//! answers, OTLP answers and partial successes, failures), and a token in an endpoint's path:
//! no piece of it is ever shown.

#[allow(dead_code)]
mod support;

use support::{FakeDynatrace, Reply, Workdir, OTLP_PATH};

/// A token as Dynatrace makes them: `dt0c01.`, a 24-character public ID, a 64-character secret.
const TOKEN: &str =
    "dt0c01.ECHOPUBLICID7H3K9Q2W5R8T.ECHOSECRET0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF01";

/// The first 8 characters in a row of the token found in the run's output, if any.
fn leaked(out: &support::Output) -> Option<String> {
    let all = format!("{}\n{}", out.stdout, out.stderr).to_ascii_lowercase();
    TOKEN
        .to_ascii_lowercase()
        .as_bytes()
        .windows(8)
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .find(|piece| all.contains(piece.as_str()))
}

fn assert_hidden(what: &str, out: &support::Output) {
    if let Some(piece) = leaked(out) {
        panic!(
            "{what}: `{piece}` of the token is shown\n--- stdout:\n{}\n--- stderr:\n{}",
            out.stdout, out.stderr
        );
    }
}

/// The token written with JSON escapes: every `.` as `\u002e`, every `E` as `\u0045`.
fn escaped() -> String {
    TOKEN.replace('.', "\\u002e").replace('E', "\\u0045")
}

#[test]
fn an_echo_cut_at_the_message_limit_shows_no_piece_of_the_token() {
    let dir = Workdir::new("echo-cut");
    // The message is shown up to 500 characters: cut it inside the token, at its public ID and
    // at its secret.
    for pad in [470, 480, 490, 495, 520] {
        let echo = format!(
            "{} Authorization: Api-Token {TOKEN} end",
            "x".repeat(pad - 26)
        );
        for (status, body) in [
            (401, echo.clone()),
            (
                500,
                format!(r#"{{"error":{{"code":500,"message":"{echo}"}}}}"#),
            ),
        ] {
            let server = FakeDynatrace::scripted(vec![Reply::json(status, body)]);
            for output in ["text", "json"] {
                let out = dir
                    .cli()
                    .credentials(server.url(), TOKEN)
                    .args(["-m", "x_metric=1", "--retries", "0", "-v", "-o", output])
                    .run();
                out.expect_code(4);
                assert!(
                    out.stdout.contains("xxxxxxxxxx"),
                    "the message is shown: {}{}",
                    out.stdout,
                    out.stderr
                );
                assert_hidden(&format!("{status}, cut after {pad}, {output}"), &out);
            }
        }
    }
}

#[test]
fn echoes_written_with_json_escapes_are_redacted_on_every_path() {
    let dir = Workdir::new("echo-escaped");
    dir.write("samples.txt", "1\n2\n3\n");
    let token = escaped();
    let lines_400 = format!(
        r#"{{"linesOk":0,"linesInvalid":1,"error":{{"code":400,"message":"token {token}",
            "invalidLines":[{{"line":1,"error":"bad, token {token}"}}]}},
            "warnings":{{"message":"w {token}","warningLines":[{{"line":1,"warning":"w {token}"}}]}}}}"#
    );
    let unnamed_400 = format!(r#"{{"error":{{"code":400,"message":"token {token}"}}}}"#);
    let refused_401 = format!(r#"{{"error":{{"code":401,"message":"Api-Token {token}"}}}}"#);
    let cases = [
        ("lines: 400 naming the line", Reply::json(400, lines_400), 3),
        (
            "lines: 400 naming no line",
            Reply::json(400, unnamed_400.clone()),
            3,
        ),
        ("a 401", Reply::json(401, refused_401), 4),
    ];
    for (what, reply, code) in cases {
        let server = FakeDynatrace::scripted(vec![reply]);
        for output in ["text", "json"] {
            let out = dir
                .cli()
                .credentials(server.url(), TOKEN)
                .args(["-m", "x_metric=1", "-o", output])
                .run();
            out.expect_code(code);
            assert!(
                out.stdout.contains("***"),
                "{what}: shown redacted: {}",
                out.stdout
            );
            assert_hidden(&format!("{what}, {output}"), &out);
        }
    }
    let otlp_cases = [
        (
            "OTLP: 400 with a JSON reason",
            Reply::json(400, unnamed_400),
        ),
        (
            "OTLP: partial success",
            Reply::otlp_partial(1, &format!("rejected for Api-Token {TOKEN}")),
        ),
    ];
    for (what, reply) in otlp_cases {
        let server = FakeDynatrace::start(move |request, _| match request.path.as_str() {
            OTLP_PATH => reply.clone(),
            _ => Reply::accepted(request.lines().len()),
        });
        for output in ["text", "json"] {
            let out = dir
                .cli()
                .credentials(server.url(), TOKEN)
                .args(["--histogram", "latency=samples.txt", "-o", output])
                .run();
            out.expect_code(3);
            assert!(
                out.stdout.contains("***"),
                "{what}: shown redacted: {}",
                out.stdout
            );
            assert_hidden(&format!("{what}, {output}"), &out);
        }
    }
}

#[test]
fn a_token_in_an_endpoints_path_is_shown_as_stars_in_every_url() {
    let dir = Workdir::new("token-in-path");
    let server = FakeDynatrace::accepting();
    let url = format!("{}/relay/{TOKEN}/api/v2/metrics/ingest", server.url());
    for output in ["text", "json"] {
        let out = dir
            .cli()
            .env("DT_API_TOKEN", TOKEN)
            .env("DT_METRICS_URL", &url)
            .args(["-m", "x_metric=1", "-v", "-o", output])
            .run();
        out.expect_code(0);
        assert!(
            out.stderr.contains("/relay/***/api/v2/metrics/ingest: 202"),
            "the -v line shows the URL, redacted: {}",
            out.stderr
        );
        assert_hidden(&format!("token in the URL's path, {output}"), &out);
    }
    let requests = server.requests();
    assert!(
        requests[0].path.contains(TOKEN),
        "the URL itself is used as given"
    );
}
