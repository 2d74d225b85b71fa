//! Answers no Dynatrace gives: bodies that never end, trickle in forever or are far longer than
//! any answer of its API, and ValidationResponses with entries that do not parse or name lines
//! that were never sent. The run ends within its timeout and memory, keeps the counts the
//! server gave, and says what it could not take.

#[allow(dead_code)]
mod support;

use std::io::{BufReader, Write};
use std::time::Duration;

use serde_json::Value;
use support::raw::{read_request, wait_or_kill, RawServer};
use support::{FakeDynatrace, Reply, Workdir, INGEST_PATH};

const TOKEN: &str = "dt0c01.HOSTILEANSWERS";

/// Long enough for any run here; a run still going then hangs.
const WATCHDOG: Duration = Duration::from_secs(60);

/// A server that answers every request with `head` (status line and headers) and then writes
/// `chunk` again and again, waiting `pause` between two writes, until the client goes away.
fn endless(head: &'static str, chunk: &'static [u8], pause: Duration) -> RawServer {
    RawServer::start(move |stream| {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut stream = stream;
        if read_request(&mut reader).is_none() || stream.write_all(head.as_bytes()).is_err() {
            return;
        }
        while stream.write_all(chunk).and_then(|_| stream.flush()).is_ok() {
            std::thread::sleep(pause);
        }
    })
}

#[test]
fn an_answer_longer_than_any_of_dynatrace_is_read_no_further() {
    const CHUNK: &[u8] = &[b' '; 16 * 1024];
    const CHUNKED: &[u8] = b"4000\r\n";
    let dir = Workdir::new("endless-answer");
    dir.write("samples.txt", "1\n2\n3\n");
    let chunked = endless(
        "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        // One chunk of 16 KiB, written again and again: the body never ends.
        Box::leak([CHUNKED, CHUNK, b"\r\n"].concat().into_boxed_slice()),
        Duration::ZERO,
    );
    let gigabyte = endless(
        "HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 1073741824\r\n\r\n",
        CHUNK,
        Duration::ZERO,
    );
    for server in [&chunked, &gigabyte] {
        let child = dir
            .cli()
            .credentials(&server.url(), TOKEN)
            .args(["-m", "x_metric=1", "--histogram", "latency=samples.txt"])
            .args(["--output", "json"])
            .spawn();
        let (out, peak_kib) = wait_or_kill(child, WATCHDOG);
        out.expect_code(4);
        assert!(peak_kib < 64 * 1024, "peak memory {peak_kib} KiB");
        let report = out.json();
        support::assert_buckets(&report);
        for failure in [&report["failure"], &report["otlp"]["failure"]] {
            let failure = failure.as_str().unwrap_or_default();
            assert!(
                failure.contains("with more than 64 KiB")
                    && failure.contains("not Dynatrace's answer"),
                "{failure}"
            );
        }
        // What went out was answered by something else than Dynatrace: not known to be taken.
        assert_eq!(report["lines"]["unconfirmed"], 1, "{report:#}");
        assert_eq!(report["lines"]["unsent"], 0);
        assert_eq!(report["otlp"]["unconfirmed"], 1);
    }
}

#[test]
fn an_answer_that_trickles_in_forever_ends_at_the_timeout() {
    let dir = Workdir::new("trickle");
    // One byte every 100 ms of a body of 10,000: 1,000 s to arrive whole.
    let server = endless(
        "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n",
        b" ",
        Duration::from_millis(100),
    );
    let child = dir
        .cli()
        .credentials(&server.url(), TOKEN)
        .args([
            "-m",
            "x_metric=1",
            "--timeout-secs",
            "2",
            "--output",
            "json",
        ])
        .spawn();
    let (out, _) = wait_or_kill(child, WATCHDOG);
    out.expect_code(4);
    let report = out.json();
    support::assert_buckets(&report);
    assert_eq!(report["lines"]["sent"], 1);
    assert_eq!(report["lines"]["unconfirmed"], 1, "{report:#}");
    let warnings = report["lines"]["warnings"].to_string();
    assert!(warnings.contains("did not arrive whole"), "{warnings}");
}

#[test]
fn an_invalid_lines_entry_that_does_not_parse_keeps_the_counts_and_invents_no_line() {
    let dir = Workdir::new("odd-invalid-lines");
    let lines: String = (1..=1000)
        .map(|i| format!("odd.metric,n={i} {i}\n"))
        .collect();
    dir.write("lines.txt", &lines);
    let server = FakeDynatrace::scripted(vec![Reply::json(
        400,
        r#"{"linesOk":990,"linesInvalid":10,"error":{"code":400,"message":"10 invalid lines",
            "invalidLines":[{"line":-1,"error":"minus one"},{"line":"5","error":"a string"},
                            {"error":"no line"},{"line":0,"error":"line zero"},
                            {"line":1001,"error":"past the batch"},{"line":3,"error":"real"}]},
            "warnings":{"warningLines":[{"line":-7,"warning":"odd warning"}]}}"#,
    )]);
    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["--lines", "lines.txt", "--output", "json"])
        .run();
    out.expect_code(3);
    let report = out.json();
    support::assert_buckets(&report);
    let lines = &report["lines"];
    assert_eq!(
        (lines["ok"].as_u64(), lines["invalid"].as_u64()),
        (Some(990), Some(10))
    );
    let listed = lines["invalid_lines"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["line"], 3);
    assert_eq!(
        listed[0]["text"],
        "odd.metric,n=3,ci_platform=keptn gauge,3"
    );
    assert_eq!(listed[0]["input"], "lines.txt:3");
    let warnings: Vec<&str> = lines["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w["warning"].as_str())
        .collect();
    for sent in [
        r#"{"line":-1,"error":"minus one"}"#,
        r#"{"line":"5","error":"a string"}"#,
        r#"{"error":"no line"}"#,
        r#"{"line":0,"error":"line zero"}"#,
        r#"{"line":1001,"error":"past the batch"}"#,
    ] {
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("not one of the 1000 it was sent") && w.contains(sent)),
            "{sent} in {warnings:#?}"
        );
    }
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("for a line it was not sent") && w.contains("odd warning")),
        "{warnings:#?}"
    );
    assert_eq!(server.requests_to(INGEST_PATH).len(), 1);
}

#[test]
fn counts_that_are_not_numbers_are_said_and_leave_the_lines_unconfirmed() {
    let dir = Workdir::new("odd-counts");
    let server = FakeDynatrace::scripted(vec![Reply::json(
        202,
        r#"{"linesOk":"1","linesInvalid":0,"error":null}"#,
    )]);
    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["-m", "x_metric=1", "-m", "y_metric=2", "--output", "json"])
        .run();
    out.expect_code(4);
    let report: Value = out.json();
    support::assert_buckets(&report);
    let warnings = report["lines"]["warnings"].to_string();
    assert!(
        warnings.contains(r#"`linesOk` is \"1\", not a count"#),
        "{warnings}"
    );
    assert_eq!(report["lines"]["unconfirmed"], 2, "{report:#}");
}
