//! `--loop`: a round every interval until SIGTERM, contiguous DELTA windows, and the totals at the
//! end.

#[allow(dead_code)]
mod support;

use std::process::Command;
use std::time::Duration;

use opentelemetry_proto::tonic::metrics::v1::HistogramDataPoint;
use support::otlp::{delta_point, metrics, otlp_requests};
use support::{FakeDynatrace, Workdir, OTLP_PATH};

const TOKEN: &str = "dt0c01.OTLPSECRETSECRET";

#[test]
fn loop_sends_contiguous_windows_until_sigterm_and_reports_the_totals() {
    let dir = Workdir::new("otlp-loop");
    dir.write("s.txt", "1\n2\n3\n");
    let server = FakeDynatrace::accepting();

    let child = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["--histogram", "latency=s.txt", "--output", "json"])
        .args(["--loop", "--interval", "1"])
        .spawn();
    let seen_two = server.wait_for(OTLP_PATH, 2, Duration::from_secs(10));
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    let out = support::Output::from(child.wait_with_output().expect("wait for the binary"));
    assert!(seen_two, "fewer than 2 OTLP requests in 10 s: {out:?}");
    assert!(killed.success());

    out.expect_code(0);
    let requests = otlp_requests(&server);
    assert!(requests.len() >= 2);
    let report = out.json();
    assert_eq!(report["outcome"], "accepted");
    assert_eq!(report["otlp"]["points_sent"], requests.len());
    assert_eq!(report["otlp"]["requests"], requests.len());
    let points: Vec<&HistogramDataPoint> = requests
        .iter()
        .map(|(_, request)| delta_point(metrics(request)[0]))
        .collect();
    for pair in points.windows(2) {
        assert_eq!(
            pair[1].start_time_unix_nano, pair[0].time_unix_nano,
            "each window starts where the previous one ended"
        );
    }
    for point in &points {
        assert!(point.start_time_unix_nano < point.time_unix_nano);
        assert_eq!((point.count, point.sum), (3, Some(6.0)));
    }
}

#[test]
fn a_loop_whose_input_disappears_stops_with_the_totals_so_far() {
    let dir = Workdir::new("otlp-loop-gone");
    dir.write("s.txt", "1\n2\n3\n");
    let server = FakeDynatrace::accepting();
    let child = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["--histogram", "latency=s.txt", "--output", "json"])
        .args(["--loop", "--interval", "1"])
        .spawn();
    assert!(server.wait_for(OTLP_PATH, 1, Duration::from_secs(10)));
    std::fs::remove_file(dir.path().join("s.txt")).unwrap();
    let out = support::Output::from(child.wait_with_output().expect("wait for the binary"));

    out.expect_code(2);
    assert_eq!(out.json()["otlp"]["points_sent"], 1, "round 1 is reported");
    assert!(out.stderr.contains("reading s.txt"), "{}", out.stderr);
    assert!(
        out.stderr.contains("the report shows the rounds before"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_loop_cannot_read_stdin_again() {
    let out = Workdir::new("otlp-loop-stdin")
        .cli()
        .args(["--dry-run", "--histogram", "latency=-", "--loop"])
        .run();
    out.expect_code(2);
    assert!(out.stderr.contains("stdin"), "{}", out.stderr);
}

#[test]
fn a_dry_run_loop_says_what_would_be_sent_each_round_and_lists_a_refusal_once() {
    let dir = Workdir::new("loop-dry-run");
    dir.write(
        "m.json",
        r#"[{"name": "ok", "value": 1}, {"name": "bad", "value": "x"}]"#,
    );
    let child = dir
        .cli()
        .args(["--dry-run", "--input", "m.json", "--output", "json"])
        .args(["--loop", "--interval", "1"])
        .spawn();
    // Long enough for at least two rounds a second apart; the count is checked below.
    std::thread::sleep(Duration::from_millis(3500));
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    let out = support::Output::from(child.wait_with_output().expect("wait for the binary"));

    let report = out.json();
    let rounds = report["rounds"].as_u64().expect("rounds in the report");
    assert!(rounds >= 2, "at least two rounds in 3.5 s: {out:?}");
    assert_eq!(
        out.stderr
            .matches("1 line(s) and 0 histogram point(s) would be sent, 1 refused")
            .count() as u64,
        rounds,
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("outcome accepted"), "{}", out.stderr);
    assert_eq!(report["lines"]["refused_locally"], rounds);
    assert_eq!(report["lines"]["refused"].as_array().unwrap().len(), 1);
    assert_eq!(report["lines"]["total"], rounds);
    out.expect_code(3);
}

#[test]
fn quiet_leaves_out_the_round_lines() {
    let dir = Workdir::new("loop-quiet");
    dir.write("s.txt", "1\n");
    let child = dir
        .cli()
        .args(["--dry-run", "--quiet", "--histogram", "latency=s.txt"])
        .args(["--loop", "--interval", "1"])
        .spawn();
    std::thread::sleep(Duration::from_millis(1500));
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    let out = support::Output::from(child.wait_with_output().expect("wait for the binary"));
    out.expect_code(0);
    assert!(!out.stderr.contains("round 1"), "{}", out.stderr);
    assert!(out.stderr.contains("round(s) added up"), "{}", out.stderr);
}
