//! What is checked of an input before anything is sent, and what is refused alone: a JSON file
//! that is not well-formed anywhere stops the run before the first request (stdin still
//! streams); a number out of range refuses its entry only; a load test's results given to
//! `--input`, or a directory given to any flag, is a usage error that says what to give.

#[allow(dead_code)]
mod support;

use support::{FakeDynatrace, Workdir, INGEST_PATH};

const TOKEN: &str = "dt0c01.INPUTCHECKS";
const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/results");

#[test]
fn an_out_of_range_number_refuses_its_entry_only() {
    let dir = Workdir::new("out-of-range");
    dir.write(
        "m.json",
        r#"{"metrics": [{"name": "a", "value": 1e309}, {"name": "b", "value": 2},
                        {"name": "c", "min": 1, "max": -1e400, "sum": 2, "count": 1},
                        {"name": "d", "value": 3}],
            "histograms": [{"name": "h", "samples": [1, 1e999]}]}"#,
    );
    let out = dir
        .cli()
        .args(["--dry-run", "--input", "m.json", "-o", "json"])
        .run();
    out.expect_code(3);
    let report = out.json();
    assert_eq!(
        report["lines"]["payload"],
        serde_json::json!([
            "keptn.b,ci_platform=keptn gauge,2",
            "keptn.d,ci_platform=keptn gauge,3"
        ])
    );
    let refused: Vec<String> = report["lines"]["refused"]
        .as_array()
        .unwrap()
        .iter()
        .chain(report["otlp"]["refused"].as_array().unwrap())
        .map(|r| {
            format!(
                "{} {}",
                r["input"].as_str().unwrap(),
                r["error"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        refused,
        [
            "m.json $.metrics[0] `value`: number out of range",
            "m.json $.metrics[2] `max`: number out of range",
            "m.json $.histograms[0] `samples[1]`: number out of range",
        ]
    );
}

#[test]
fn a_file_that_is_not_well_formed_json_sends_nothing_and_stdin_still_streams() {
    let dir = Workdir::new("not-well-formed");
    let broken = "[{\"name\": \"first\", \"value\": 1},\n {\"name\": \"second\" \"value\": 2}]";
    dir.write("m.json", broken);
    let server = FakeDynatrace::accepting();
    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["--input", "m.json", "-o", "json"])
        .run();
    out.expect_code(2);
    let failure = out.json()["failure"].as_str().unwrap().to_owned();
    assert!(
        failure
            .starts_with("m.json is not well-formed JSON at line 2 column 20: expected `,` or `}`"),
        "{failure}"
    );
    assert!(server.requests().is_empty(), "nothing was sent");

    dir.write("not-utf8.json", "[{\"name\": \"caf\u{e9}\", \"value\": 1}]");
    let mut latin1 = std::fs::read(dir.path().join("not-utf8.json")).unwrap();
    latin1.splice(14..16, [0xE9]);
    std::fs::write(dir.path().join("not-utf8.json"), latin1).unwrap();
    let out = dir
        .cli()
        .args(["--dry-run", "--input", "not-utf8.json"])
        .run();
    out.expect_code(2);
    assert!(
        out.stderr.contains(
            "not-utf8.json is not well-formed JSON at line 1 column 15: invalid unicode code \
             point (the text is not UTF-8, which JSON must be)"
        ),
        "{}",
        out.stderr
    );

    // Stdin cannot be read twice: it streams, and what came before a break is sent.
    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["--input", "-", "-o", "json"])
        .stdin_file(&dir.path().join("m.json"))
        .run();
    out.expect_code(3);
    assert_eq!(server.requests_to(INGEST_PATH).len(), 1);
}

/// A file over the size read before delivery starts is read and encoded while it is checked:
/// broken at its very end, it still sends and prints nothing, however far reading got.
#[test]
fn a_large_file_broken_at_its_end_sends_and_prints_nothing() {
    let dir = Workdir::new("large-broken");
    let entries: Vec<String> = (0..40_000)
        .map(|i| format!("{{\"name\": \"m{}\", \"value\": {i}}}", i % 7))
        .collect();
    let text = format!("[{}\n", entries.join(",\n"));
    assert!(text.len() > 256 << 10, "over the inline size");
    dir.write("big.json", &text);
    let stderr = refused_before_sending(&dir, "big.json");
    assert!(
        stderr.contains("big.json is not well-formed JSON at line 40001 column 1: expected `,` or the end of the list"),
        "{stderr}"
    );
    let out = dir.cli().args(["--dry-run", "--input", "big.json"]).run();
    out.expect_code(2);
    assert_eq!(out.stdout, "", "no line printed");
}

/// A large list is checked in two halves at once: a break in the first half is found as
/// exactly as one at the end, and a well-formed file whose `},{` near the middle stand inside
/// strings is read whole.
#[test]
fn large_files_are_checked_in_halves_as_exactly_as_whole() {
    let dir = Workdir::new("large-halves");
    let entry = |i: usize| {
        format!(
            "{{\"name\": \"m{}\", \"value\": {i}, \"dimensions\": {{\"k\": \"a}},{{b\"}}}}",
            i % 7
        )
    };
    let mut entries: Vec<String> = (0..40_000).map(entry).collect();
    let whole = format!("[{}]\n", entries.join(",\n"));
    assert!(whole.len() > 2 << 20, "large enough to be split");
    dir.write("whole.json", &whole);
    let out = dir.cli().args(["--dry-run", "--input", "whole.json"]).run();
    out.expect_code(0);
    assert_eq!(out.stdout.lines().count(), 40_000, "every entry was read");
    entries[5_000].push_str(" x");
    dir.write("broken.json", &format!("[{}]\n", entries.join(",\n")));
    let stderr = refused_before_sending(&dir, "broken.json");
    assert!(
        stderr.contains(
            "broken.json is not well-formed JSON at line 5001 column 61: expected `,` or the end"
        ),
        "{stderr}"
    );
}

/// Sends `file` to a Dynatrace that accepts everything: a usage error (exit 2) before any
/// request. Returns what was printed to stderr.
fn refused_before_sending(dir: &Workdir, file: &str) -> String {
    let server = FakeDynatrace::accepting();
    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["--input", file])
        .run();
    out.expect_code(2);
    assert!(server.requests().is_empty(), "nothing was sent");
    out.stderr
}

#[test]
fn a_load_tests_results_given_to_input_are_sent_to_results() {
    let dir = Workdir::new("results-to-input");
    for (file, what) in [
        (
            format!("{EXAMPLES}/k6-summary.json"),
            "k6's end-of-test summary",
        ),
        (
            format!("{FIXTURES}/k6/summary-export.json"),
            "k6's end-of-test summary",
        ),
        (
            format!("{EXAMPLES}/k6-out.json"),
            "k6's JSON output (--out json)",
        ),
        (
            format!("{FIXTURES}/k6/out.csv"),
            "k6's CSV output (--out csv)",
        ),
        (format!("{EXAMPLES}/jmeter-results.jtl"), "a JMeter JTL"),
        (format!("{EXAMPLES}/locust_stats.csv"), "Locust's stats CSV"),
    ] {
        let out = dir.cli().args(["--dry-run", "--input", &file]).run();
        out.expect_code(2);
        assert!(
            out.stderr.contains(&format!(
                "is {what}, a load test's results: give it to --results"
            )),
            "{file}: {}",
            out.stderr
        );
        assert!(out.stdout.is_empty(), "{file}: {}", out.stdout);
    }
}

#[test]
fn a_directory_is_named_with_what_the_flag_takes() {
    let dir = Workdir::new("directory");
    std::fs::create_dir(dir.path().join("inputs")).unwrap();
    for (flag, value, takes) in [
        ("--input", "inputs", "--input takes a JSON file"),
        (
            "--lines",
            "inputs",
            "--lines takes a text file of line protocol",
        ),
        (
            "--histogram",
            "h=inputs",
            "--histogram NAME=FILE takes a text file of samples",
        ),
        (
            "--results",
            "inputs",
            "--results takes a results file as JMeter, Locust or k6",
        ),
    ] {
        let out = dir.cli().args(["--dry-run", flag, value]).run();
        out.expect_code(2);
        assert!(
            out.stderr
                .contains(&format!("inputs is a directory: {takes}")),
            "{flag}: {}",
            out.stderr
        );
    }
}
