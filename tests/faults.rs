//! Faults on the way: signals, retries and their budget, a server that finds requests too large,
//! fails for good, or answers with counts that do not add up. In each, nothing already accepted
//! is lost, and the report says what was not sent or not confirmed.

#[allow(dead_code)]
mod support;

use std::time::{Duration, Instant, SystemTime};

use serde_json::json;
use support::signals::terminate;
use support::{FakeDynatrace, Reply, Workdir, INGEST_PATH};

const TOKEN: &str = "dt0c01.FAULTSSECRET";

fn lines(n: usize) -> String {
    (1..=n)
        .map(|i| format!("fault.metric,n={i} {i}\n"))
        .collect()
}

#[test]
fn sigterm_during_a_request_prints_the_report_and_exits_4() {
    let dir = Workdir::new("sigterm");
    dir.write("lines.txt", &lines(10));
    let server = FakeDynatrace::start(|request, _| {
        std::thread::sleep(Duration::from_secs(5));
        Reply::accepted(request.lines().len())
    });
    let child = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["--lines", "lines.txt", "--output", "json"])
        .spawn();
    let (out, took) = terminate(child, || !server.requests().is_empty(), 1, Duration::ZERO);

    out.expect_code(4);
    // It did not wait for the answer, which comes after 5 s.
    assert!(took < Duration::from_secs(4), "took {took:?}");
    let report = out.json();
    support::assert_buckets(&report);
    assert_eq!(report["outcome"], "delivery_failed");
    assert_eq!(report["lines"]["unconfirmed"], 10);
    assert!(report["interrupted"]
        .as_str()
        .unwrap()
        .starts_with("stopped by a signal (SIGTERM or SIGINT)"));
}

#[test]
fn sigterm_during_a_long_retry_wait_in_a_loop_ends_the_loop_with_the_totals() {
    let dir = Workdir::new("sigterm-loop");
    let server =
        FakeDynatrace::start(|_, _| Reply::json(429, "{}").with_header("Retry-After", "60"));
    let child = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args([
            "-m",
            "x_metric=1",
            "--loop",
            "--interval",
            "1",
            "--retries",
            "5",
        ])
        .spawn();
    let (out, took) = terminate(child, || !server.requests().is_empty(), 1, Duration::ZERO);

    out.expect_code(4);
    // It did not wait out the 60 s Retry-After.
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert!(out.stderr.contains("retrying"), "{}", out.stderr);
    assert!(out.stdout.contains("not sent: 1 line(s)"), "{}", out.stdout);
}

#[test]
fn each_retry_is_one_line_on_stderr_and_an_http_date_retry_after_is_honoured() {
    let dir = Workdir::new("retry-date");
    let server = FakeDynatrace::start(|request, index| match index {
        0 => {
            let in_a_second = SystemTime::now() + Duration::from_secs(2);
            Reply::json(503, "{}").with_header("Retry-After", &httpdate::fmt_http_date(in_a_second))
        }
        _ => Reply::accepted(request.lines().len()),
    });
    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["-m", "x_metric=1"])
        .run();

    out.expect_code(0);
    let retries: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("retrying"))
        .collect();
    assert_eq!(retries.len(), 1, "{}", out.stderr);
    // The date says 2 s from when it was written, whole seconds: 1 s at least is left.
    assert!(
        retries[0].contains(" in 1.") || retries[0].contains(" in 2."),
        "{}",
        retries[0]
    );
    assert!(
        retries[0].ends_with("after 503 Service Unavailable (attempt 2 of 3)"),
        "{}",
        retries[0]
    );
}

#[test]
fn retries_stop_at_the_budget() {
    let dir = Workdir::new("retry-budget");
    let server =
        FakeDynatrace::start(|_, _| Reply::json(503, "{}").with_header("Retry-After", "5"));
    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .env("DT_RETRY_BUDGET_SECS", "3")
        .args(["-m", "x_metric=1", "--retries", "10"])
        .run();

    out.expect_code(4);
    assert_eq!(server.requests().len(), 1);
    assert!(
        out.stdout.contains("the retry budget of 3 s is spent"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_request_too_large_is_split_in_halves_down_to_one_line() {
    let dir = Workdir::new("413");
    dir.write("lines.txt", &lines(8));
    let server = FakeDynatrace::start(|request, _| match request.lines().len() {
        n if n > 2 => Reply::json(
            413,
            r#"{"error":{"code":413,"message":"Payload Too Large"}}"#,
        ),
        n => Reply::accepted(n),
    });
    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["--lines", "lines.txt", "--output", "json"])
        .run();

    out.expect_code(0);
    let report = out.json();
    support::assert_buckets(&report);
    assert_eq!(
        (
            report["lines"]["sent"].as_u64(),
            report["lines"]["ok"].as_u64()
        ),
        (Some(8), Some(8))
    );
    let mut accepted: Vec<String> = server
        .requests_to(INGEST_PATH)
        .iter()
        .filter(|r| r.lines().len() <= 2)
        .flat_map(|r| r.lines().iter().map(|l| l.to_string()).collect::<Vec<_>>())
        .collect();
    accepted.sort_by_key(|l| {
        l.split([',', '='])
            .nth(2)
            .and_then(|n| n.parse::<u32>().ok())
    });
    assert_eq!(accepted.len(), 8, "every line once");
    assert_eq!(server.requests_to(INGEST_PATH).len(), 1 + 2 + 4);
}

#[test]
fn after_a_batch_fails_for_good_the_others_are_still_sent() {
    let dir = Workdir::new("one-fails");
    dir.write("lines.txt", &lines(3_000));
    let server = FakeDynatrace::start(|request, _| {
        if request.body.starts_with("fault.metric,n=1001,") {
            return Reply::json(503, "{}").with_header("Retry-After", "0");
        }
        Reply::accepted(request.lines().len())
    });
    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["--lines", "lines.txt", "--output", "json"])
        .run();

    out.expect_code(4);
    let report = out.json();
    support::assert_buckets(&report);
    let lines = &report["lines"];
    assert_eq!(lines["sent"], 2_000);
    assert_eq!(lines["ok"], 2_000);
    assert_eq!(lines["unsent"], 1_000);
    assert!(report["failure"].as_str().unwrap().contains("503"));
}

#[test]
fn unauthorized_stops_every_later_request() {
    let dir = Workdir::new("401-stops");
    dir.write("lines.txt", &lines(3_000));
    let server = FakeDynatrace::start(|_, _| Reply::json(401, r#"{"error":{"message":"no"}}"#));
    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["--lines", "lines.txt", "--concurrency", "1", "-o", "json"])
        .run();

    out.expect_code(4);
    assert_eq!(server.requests().len(), 1);
    assert_eq!(out.json()["lines"]["unsent"], 3_000);
    support::assert_buckets(&out.json());
}

#[test]
fn counts_that_do_not_add_up_leave_lines_unconfirmed() {
    let dir = Workdir::new("counts");
    dir.write("lines.txt", &lines(30));
    for (status, body, unconfirmed) in [
        (202, r#"{"linesOk":10,"linesInvalid":0}"#, 20),
        (200, "OK", 30),
    ] {
        let server = FakeDynatrace::scripted(vec![Reply {
            status,
            body: body.as_bytes().to_vec(),
            headers: vec![],
        }]);
        let out = dir
            .cli()
            .credentials(server.url(), TOKEN)
            .args(["--lines", "lines.txt", "-o", "json"])
            .run();
        out.expect_code(4);
        support::assert_buckets(&out.json());
        let lines = &out.json()["lines"];
        assert_eq!(lines["unconfirmed"], unconfirmed, "{body}");
        assert!(
            lines["warnings"][0]["warning"]
                .as_str()
                .unwrap()
                .contains("unconfirmed"),
            "{lines}"
        );
    }
    let too_many = FakeDynatrace::scripted(vec![Reply::json(
        400,
        r#"{"linesOk":0,"linesInvalid":500}"#,
    )]);
    let out = dir
        .cli()
        .credentials(too_many.url(), TOKEN)
        .args(["--lines", "lines.txt", "-o", "json"])
        .run();
    out.expect_code(3);
    assert_eq!(out.json()["lines"]["invalid"], 30);
    support::assert_buckets(&out.json());
}

#[test]
fn metadata_lines_counted_or_not_add_up() {
    let dir = Workdir::new("metadata-count");
    dir.write(
        "lines.txt",
        "#app.deploys gauge dt.meta.unit=Count\napp.deploys 1\napp.other 2\n",
    );
    for ok in [3, 2] {
        let server = FakeDynatrace::scripted(vec![Reply::json(
            202,
            format!(r#"{{"linesOk":{ok},"linesInvalid":0}}"#),
        )]);
        let out = dir
            .cli()
            .credentials(server.url(), TOKEN)
            .args(["--lines", "lines.txt", "-o", "json"])
            .run();
        out.expect_code(0);
        support::assert_buckets(&out.json());
        let lines = &out.json()["lines"];
        assert_eq!(
            (lines["metadata"].clone(), lines["unconfirmed"].clone()),
            (json!(1), json!(0))
        );
    }
}

#[test]
fn a_loop_ended_by_a_bad_input_says_so_in_the_report_and_the_exit_code() {
    let dir = Workdir::new("loop-usage");
    dir.write("s.json", r#"[{"name": "x_metric", "value": 1}]"#);
    let server = FakeDynatrace::accepting();
    let child = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args([
            "--input",
            "s.json",
            "--loop",
            "--interval",
            "1",
            "-o",
            "json",
        ])
        .spawn();
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.requests().is_empty() {
        assert!(Instant::now() < deadline, "the first round never came");
        std::thread::sleep(Duration::from_millis(20));
    }
    dir.write("s.json", "not json any more");
    let out = support::Output::from(child.wait_with_output().unwrap());

    out.expect_code(2);
    let report = out.json();
    support::assert_buckets(&report);
    assert_eq!(report["outcome"], "usage_error");
    assert_eq!(report["exit_code"], 2);
    assert!(report["failure"]
        .as_str()
        .unwrap()
        .contains("s.json is not valid JSON"));
    assert_eq!(
        report["lines"]["ok"], 1,
        "the rounds before are in the report"
    );
}
