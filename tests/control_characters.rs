//! Control characters (ESC, CR, LF, ...) in inputs, file names and server messages are printed
//! escaped wherever they are printed as text: no input forges a line of the report or the log,
//! or steers the terminal. The JSON report holds them as JSON escapes, as serde writes them.

#[allow(dead_code)]
mod support;

use support::{FakeDynatrace, Reply, Workdir};

const TOKEN: &str = "dt0c01.CONTROLSECRET";

/// Asserts that `text` holds no control character other than line breaks, and no line that
/// starts as the forged one does.
fn assert_safe(what: &str, text: &str) {
    let raw = text
        .chars()
        .find(|&c| (c.is_control() && c != '\n') || ('\u{202A}'..='\u{202E}').contains(&c));
    assert!(raw.is_none(), "{what}: a raw {raw:?} is printed:\n{text:?}");
    assert!(
        !text
            .lines()
            .any(|line| line.starts_with("keptn-dt-metrics: forged")),
        "{what}: a line was forged:\n{text}"
    );
}

const FORGE: &str = "\u{1b}[2J\r\nkeptn-dt-metrics: forged";

#[test]
fn inputs_and_file_names_are_printed_escaped() {
    let dir = Workdir::new("controls-input");
    let json = serde_json::json!([
        {"name": format!("key{FORGE}"), "value": 1},
        {"name": "stamped", "value": 1, "timestamp": format!("2026{FORGE}")},
    ]);
    dir.write("m.json", &json.to_string());
    dir.write("l.txt", &format!("line.metric,d=1 gauge,x{FORGE}\n"));
    let runs: [Vec<String>; 4] = [
        ["--dry-run", "--input", "m.json", "--lines", "l.txt"]
            .map(String::from)
            .to_vec(),
        vec!["--dry-run".into(), "-m".into(), format!("bad{FORGE}=1")],
        vec!["--dry-run".into(), "-m".into(), format!("x=1{FORGE}")],
        vec![
            "--dry-run".into(),
            "--lines".into(),
            format!("missing{FORGE}.txt"),
        ],
    ];
    for args in runs {
        let out = dir.cli().args(&args).run();
        assert_safe(&format!("{args:?}, stdout"), &out.stdout);
        assert_safe(&format!("{args:?}, stderr"), &out.stderr);
        assert!(
            out.stderr.contains("\\u{1b}[2J\\r\\n"),
            "{args:?}: shown escaped: {}",
            out.stderr
        );
    }
}

#[test]
fn server_messages_are_printed_escaped() {
    let dir = Workdir::new("controls-server");
    let reason = format!("bad value{FORGE}");
    let body = serde_json::json!({
        "linesOk": 0, "linesInvalid": 1,
        "error": {"code": 400, "message": "1 invalid line",
                  "invalidLines": [{"line": 1, "error": reason}]},
        "warnings": {"message": reason, "warningLines": [{"line": 1, "warning": reason}]},
    });
    let refusing = FakeDynatrace::scripted(vec![Reply::json(400, body.to_string())]);
    let failing = FakeDynatrace::scripted(vec![Reply::json(401, reason.clone())]);
    for (server, code) in [(&refusing, 3), (&failing, 4)] {
        let out = dir
            .cli()
            .credentials(server.url(), TOKEN)
            .args(["-m", "x_metric=1", "-v"])
            .run();
        out.expect_code(code);
        assert_safe("stdout", &out.stdout);
        assert_safe("stderr", &out.stderr);
        assert!(out.stdout.contains("bad value\\u{1b}[2J"), "{}", out.stdout);
    }
}

#[test]
fn values_quoted_in_command_line_errors_are_printed_escaped() {
    let dir = Workdir::new("controls-clap");
    for args in [
        vec![
            "--dry-run".to_owned(),
            "--timeout-secs".into(),
            format!("3{FORGE}"),
        ],
        vec!["--dry-run".to_owned(), "-o".into(), format!("text{FORGE}")],
    ] {
        let out = dir.cli().args(&args).run();
        assert_eq!(out.code, 2, "{args:?}");
        assert_safe(&format!("{args:?}, stderr"), &out.stderr);
        assert!(out.stderr.contains("\\r\\n"), "{args:?}: {}", out.stderr);
    }
}
