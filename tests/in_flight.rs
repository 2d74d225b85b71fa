//! Requests in flight: several batches wait on the network at once, answers come back in any
//! order, and the report still maps every refused line to its place; lists stay capped.

#[allow(dead_code)]
mod support;

use std::time::Duration;

use serde_json::json;
use support::{FakeDynatrace, Reply, Workdir, INGEST_PATH};

const TOKEN: &str = "dt0c01.INFLIGHTSECRET";

fn lines(n: usize) -> String {
    (1..=n)
        .map(|i| format!("batch.metric,n={i} {i}\n"))
        .collect()
}

#[test]
fn batches_go_out_together_and_answers_out_of_order_keep_their_places() {
    let dir = Workdir::new("in-flight");
    dir.write("lines.txt", &lines(3_500));
    // The first batch is answered last, naming its 7th line as invalid.
    let server = FakeDynatrace::start(|request, _| {
        let n = request.lines().len();
        if request.body.starts_with("batch.metric,n=1,") {
            std::thread::sleep(Duration::from_millis(600));
            let body = json!({"linesOk": n - 1, "linesInvalid": 1,
                "error": {"code": 400, "message": "1 invalid lines",
                          "invalidLines": [{"line": 7, "error": "too old"}]}});
            return Reply::json(400, body.to_string());
        }
        std::thread::sleep(Duration::from_millis(100));
        Reply::accepted(n)
    });

    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["--lines", "lines.txt", "--output", "json"])
        .run();

    out.expect_code(3);
    assert!(server.max_in_flight() >= 2, "requests went one at a time");
    assert_eq!(server.requests_to(INGEST_PATH).len(), 4);
    let report = out.json();
    support::assert_buckets(&report);
    let lines = &report["lines"];
    assert_eq!(lines["sent"], 3_500);
    assert_eq!(
        (lines["ok"].as_u64(), lines["invalid"].as_u64()),
        (Some(3_499), Some(1))
    );
    assert_eq!(lines["unsent"], 0);
    assert_eq!(
        lines["invalid_lines"],
        json!([{"line": 7, "error": "too old", "input": "lines.txt:7",
                "text": "batch.metric,n=7,ci_platform=keptn gauge,7", "code": "server_refused"}])
    );
}

#[test]
fn concurrency_one_sends_one_request_after_the_other() {
    let dir = Workdir::new("in-flight-one");
    dir.write("lines.txt", &lines(3_500));
    let server = FakeDynatrace::start(|request, _| {
        std::thread::sleep(Duration::from_millis(50));
        Reply::accepted(request.lines().len())
    });

    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["--lines", "lines.txt", "--concurrency", "1"])
        .run();

    out.expect_code(0);
    assert_eq!(server.max_in_flight(), 1);
    let bodies: Vec<String> = server
        .requests_to(INGEST_PATH)
        .iter()
        .map(|r| r.body.clone())
        .collect();
    assert_eq!(bodies.concat().lines().count(), 3_500);
    assert!(bodies[0].starts_with("batch.metric,n=1,"), "in order");
}

#[test]
fn lists_are_capped_at_the_report_limit_and_the_rest_counted() {
    let dir = Workdir::new("report-limit");
    dir.write("bad.txt", "a.b gauge,x\nc.d gauge,y\ne.f gauge,z\ng.h 1\n");

    let out = dir
        .cli()
        .args([
            "--dry-run",
            "--lines",
            "bad.txt",
            "--report-limit",
            "1",
            "-o",
            "json",
        ])
        .run();

    out.expect_code(3);
    let report = out.json();
    support::assert_buckets(&report);
    let lines = &report["lines"];
    assert_eq!(lines["refused_locally"], 3);
    assert_eq!(lines["refused"].as_array().map(Vec::len), Some(1));
    assert_eq!(lines["refused"][0]["input"], "bad.txt:1");
    assert_eq!(lines["refused_unlisted"], 2);
    assert_eq!(lines["payload"], json!(["g.h,ci_platform=keptn gauge,1"]));
}
