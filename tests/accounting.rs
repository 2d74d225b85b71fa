//! Nothing lost, nothing claimed: a signal while reading, a second signal, the deadline, a body
//! that went out without an answer, a server that finds everything too large. Every line ends
//! in exactly one bucket of the report ([`support::assert_buckets`]), and a run that did not
//! finish never exits 0.

#[allow(dead_code)]
mod support;

use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use support::raw::{read_request, RawServer};
use support::signals::terminate;
use support::{assert_buckets, FakeDynatrace, Reply, Workdir};

const TOKEN: &str = "dt0c01.ACCOUNTINGSECRET";

fn lines(n: usize) -> String {
    (1..=n).map(|i| format!("acc.metric,n={i} {i}\n")).collect()
}

fn interrupted(report: &serde_json::Value) -> &str {
    report["interrupted"]
        .as_str()
        .unwrap_or_else(|| panic!("not interrupted: {report}"))
}

#[test]
fn a_signal_while_lines_are_read_counts_what_was_encoded_and_never_ends_as_success() {
    let dir = Workdir::new("signal-reading");
    let server = FakeDynatrace::start(|request, _| Reply::accepted(request.lines().len()));
    let mut child = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["--lines", "-", "--output", "json"])
        .spawn_piped();
    // 2,500 lines and the pipe kept open: two batches go out, the rest is held when the signal
    // comes, the input never ends.
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(lines(2_500).as_bytes()).unwrap();
    stdin.flush().unwrap();
    let (out, _) = terminate(child, || server.requests().len() >= 2, 1, Duration::ZERO);
    drop(stdin);

    out.expect_code(4);
    let report = out.json();
    assert_buckets(&report);
    assert_eq!(report["outcome"], "delivery_failed");
    let lines = &report["lines"];
    assert_eq!(lines["ok"], 2_000, "{lines}");
    assert!(lines["unsent"].as_u64().unwrap() > 0, "{lines}");
    assert!(
        interrupted(&report).contains("the inputs were not read to their end"),
        "{report}"
    );
}

#[test]
fn a_signal_while_a_dry_run_reads_results_ends_with_exit_4_and_every_line_placed() {
    let dir = Workdir::new("signal-results");
    let mut child = dir
        .cli()
        .args(["--dry-run", "--results", "-", "--output", "json"])
        .spawn_piped();
    let mut stdin = child.stdin.take().unwrap();
    let mut jtl = String::from("timeStamp,elapsed,label,responseCode,success\n");
    for i in 0..5_000 {
        jtl.push_str(&format!(
            "{},{},GET /,200,true\n",
            1_795_334_400_000u64 + i,
            i % 97
        ));
    }
    stdin.write_all(jtl.as_bytes()).unwrap();
    stdin.flush().unwrap();
    let (out, _) = terminate(
        child,
        || {
            std::thread::sleep(Duration::from_millis(200));
            true
        },
        1,
        Duration::ZERO,
    );
    drop(stdin);

    out.expect_code(4);
    let report = out.json();
    assert_buckets(&report);
    assert!(
        interrupted(&report).contains("the inputs were not read to their end"),
        "{report}"
    );
}

#[test]
fn a_second_signal_gives_the_report_at_once_with_exit_4() {
    let dir = Workdir::new("second-signal");
    dir.write("lines.txt", &lines(10));
    let (server, asked) = never_answering();
    let child = dir
        .cli()
        .credentials(&server.url(), TOKEN)
        .env("DT_ALLOW_PLAIN_HTTP", "true")
        .args(["--lines", "lines.txt", "--output", "json"])
        .spawn();
    let (out, took) = terminate(
        child,
        || asked.load(Ordering::SeqCst) > 0,
        2,
        Duration::from_millis(100),
    );

    out.expect_code(4);
    let report = out.json();
    assert_buckets(&report);
    assert_eq!(report["lines"]["unconfirmed"], 10);
    // The first signal alone waits 0.7 s for answers in flight; the second cuts that short.
    assert!(took < Duration::from_millis(650), "took {took:?}");
}

/// A server that reads each request whole and never answers (its threads are not waited for);
/// counts the requests read.
fn never_answering() -> (RawServer, Arc<AtomicUsize>) {
    let asked = Arc::new(AtomicUsize::new(0));
    let count = asked.clone();
    let server = RawServer::start(move |stream: TcpStream| {
        let mut reader = BufReader::new(stream);
        while read_request(&mut reader).is_some() {
            count.fetch_add(1, Ordering::SeqCst);
        }
    });
    (server, asked)
}

/// A server that reads each request whole, then closes the connection without a word.
fn silent_after_the_body() -> RawServer {
    RawServer::start(|stream: TcpStream| {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let _ = read_request(&mut reader);
        let _ = stream.shutdown(std::net::Shutdown::Both);
    })
}

#[test]
fn a_body_that_went_out_without_an_answer_is_unconfirmed_and_never_sent_again() {
    let dir = Workdir::new("unanswered");
    dir.write("lines.txt", &lines(30));
    let server = silent_after_the_body();
    let out = dir
        .cli()
        .credentials(&server.url(), TOKEN)
        .args(["--lines", "lines.txt", "--output", "json", "--retries", "3"])
        .env("DT_ALLOW_PLAIN_HTTP", "true")
        .run();

    out.expect_code(4);
    let report = out.json();
    assert_buckets(&report);
    let lines = &report["lines"];
    assert_eq!(
        (lines["unconfirmed"].as_u64(), lines["unsent"].as_u64()),
        (Some(30), Some(0))
    );
    assert_eq!(
        report["requests"], 1,
        "no retry of what the server may have taken"
    );
    assert!(report["failure"]
        .as_str()
        .unwrap()
        .contains("Dynatrace may have taken them"));
}

#[test]
fn a_server_that_cannot_be_reached_leaves_the_lines_unsent() {
    let dir = Workdir::new("unreachable");
    dir.write("lines.txt", &lines(30));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = dir
        .cli()
        .credentials(&format!("http://127.0.0.1:{port}"), TOKEN)
        .args(["--lines", "lines.txt", "--output", "json", "--retries", "0"])
        .run();

    out.expect_code(4);
    let report = out.json();
    assert_buckets(&report);
    assert_eq!(report["lines"]["unsent"], 30);
    assert_eq!(report["lines"]["unconfirmed"], 0);
}

#[test]
fn the_deadline_ends_a_run_against_a_server_that_never_answers() {
    let dir = Workdir::new("deadline");
    dir.write("lines.txt", &lines(5_000));
    let (server, _) = never_answering();
    let started = std::time::Instant::now();
    let out = dir
        .cli()
        .credentials(&server.url(), TOKEN)
        .env("DT_ALLOW_PLAIN_HTTP", "true")
        .args([
            "--lines",
            "lines.txt",
            "--output",
            "json",
            "--concurrency",
            "2",
        ])
        .args(["--timeout-secs", "60"])
        .env("DT_DEADLINE_SECS", "2")
        .run();
    let took = started.elapsed();

    out.expect_code(4);
    let report = out.json();
    assert_buckets(&report);
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(
        interrupted(&report).starts_with("stopped at the deadline, 2 s after the start"),
        "{report}"
    );
    let lines = &report["lines"];
    assert_eq!(
        lines["unconfirmed"], 2_000,
        "the two requests in flight: {lines}"
    );
    assert_eq!(lines["unsent"], 3_000, "{lines}");
}

#[test]
fn no_retry_waits_past_the_deadline() {
    let dir = Workdir::new("deadline-retry");
    let server =
        FakeDynatrace::start(|_, _| Reply::json(503, "{}").with_header("Retry-After", "5"));
    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["-m", "x_metric=1", "--output", "json", "--retries", "5"])
        .args(["--deadline-secs", "3"])
        .run();

    out.expect_code(4);
    let report = out.json();
    assert_buckets(&report);
    assert_eq!(server.requests().len(), 1);
    assert!(
        report["failure"]
            .as_str()
            .unwrap()
            .contains("the retry budget of 3 s is spent"),
        "{report}"
    );
}

#[test]
fn a_413_to_everything_is_halved_four_times_then_left_unsent_with_the_reason() {
    let dir = Workdir::new("413-always");
    dir.write("lines.txt", &lines(1_000));
    let asked = Arc::new(AtomicUsize::new(0));
    let count = asked.clone();
    let server = RawServer::start(move |stream: TcpStream| {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut stream = stream;
        while read_request(&mut reader).is_some() {
            count.fetch_add(1, Ordering::SeqCst);
            let body = r#"{"error":{"code":413,"message":"Payload Too Large"}}"#;
            let reply = format!(
                "HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\n\r\n{body}",
                body.len()
            );
            if stream.write_all(reply.as_bytes()).is_err() {
                return;
            }
        }
    });
    let out = dir
        .cli()
        .credentials(&server.url(), TOKEN)
        .args(["--lines", "lines.txt", "--output", "json"])
        .run();

    out.expect_code(4);
    let report = out.json();
    assert_buckets(&report);
    // The batch, its halves, quarters, eighths and sixteenths: 1 + 2 + 4 + 8 + 16.
    assert_eq!(asked.load(Ordering::SeqCst), 31);
    assert_eq!(report["lines"]["unsent"], 1_000);
    let failure = report["failure"].as_str().unwrap();
    assert!(
        failure.contains("Payload Too Large") && failure.contains("after halving the request 4"),
        "{failure}"
    );
}

#[test]
fn the_event_still_goes_inside_the_deadline_after_the_metrics_were_cut_off() {
    let dir = Workdir::new("deadline-event");
    let server = RawServer::start(|stream: TcpStream| {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut stream = stream;
        while let Some(request) = read_request(&mut reader) {
            if !request.line.contains("/api/v2/events/ingest") {
                continue; // the metrics: never answered
            }
            let body = r#"{"reportCount":1,"eventIngestResults":[{"status":"OK"}]}"#;
            let reply = format!(
                "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    let started = std::time::Instant::now();
    let out = dir
        .cli()
        .credentials(&server.url(), TOKEN)
        .args(["-m", "build_time=42", "--event", "--output", "json"])
        .args([
            "--deadline-secs",
            "4",
            "--timeout-secs",
            "10",
            "--retries",
            "0",
        ])
        .run();
    let took = started.elapsed();

    out.expect_code(4);
    let report = out.json();
    assert_buckets(&report);
    assert_eq!(report["lines"]["unconfirmed"], 1);
    assert_eq!(report["events"][0]["outcome"], "accepted", "{report}");
    let failure = report["failure"].as_str().unwrap();
    assert!(
        failure.contains("cut off at the run's deadline"),
        "{failure}"
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
}
