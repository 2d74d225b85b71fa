//! Tests of pipeline/mod.rs.

use super::*;

/// 2026-11-22T08:00:00Z.
const NOW_NS: u64 = 1_795_334_400_000_000_000;

struct FixedClock;

impl Clock for FixedClock {
    fn now_ns(&self) -> u64 {
        NOW_NS
    }
}

struct Ran {
    outcome: Outcome,
    stdout: String,
    stderr: String,
}

fn run_with(args: &[&str], stdin: &str) -> Ran {
    let cli = Cli::parse_from_env(
        std::iter::once("keptn-dt-metrics")
            .chain(args.iter().copied())
            .chain(["--no-metadata-enrichment"])
            .map(Into::into),
    )
    .unwrap();
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let outcome = run(
        cli,
        Io {
            stdin: Box::new(std::io::Cursor::new(stdin.as_bytes().to_vec())),
            stdout: &mut stdout,
            stderr: &mut stderr,
            clock: &FixedClock,
            stop: Arc::new(AtomicBool::new(false)),
            hurry: Arc::new(AtomicBool::new(false)),
            signalled: Arc::new(AtomicBool::new(false)),
        },
    );
    Ran {
        outcome,
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

#[test]
fn a_dry_run_prints_the_lines_as_they_come_and_the_summary_on_stderr() {
    let stdin = r#"[{"name": "ok", "value": 1, "unit": "Count"},
                    {"name": "stamped", "value": 2, "timestamp": 1795334340000}]"#;
    let ran = run_with(&["--dry-run", "-m", "first=0", "--input", "-"], stdin);
    assert_eq!(ran.outcome, Outcome::Accepted);
    assert_eq!(
        ran.stdout,
        "keptn.first,ci_platform=keptn gauge,0\n\
         #keptn.ok gauge dt.meta.unit=Count\n\
         keptn.ok,ci_platform=keptn gauge,1\n\
         keptn.stamped,ci_platform=keptn gauge,2 1795334340000\n"
    );
    assert_eq!(
        ran.stderr,
        "dry run: 4 line(s) would be sent; nothing was sent\n\
         context: keptn (default: no Keptn context or CI found)\n"
    );
}

#[test]
fn the_clock_decides_the_timestamp_window() {
    let stdin = r#"[{"name": "old", "value": 1, "timestamp": 1795330000000}]"#;
    let ran = run_with(&["--dry-run", "--input", "-", "-o", "json"], stdin);
    assert_eq!(ran.outcome, Outcome::Refused);
    let report: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(
        report["lines"]["refused"][0]["code"],
        "timestamp_out_of_window"
    );
    assert!(report["lines"]["refused"][0]["error"]
        .as_str()
        .unwrap()
        .contains("(now is 1795334400000)"));
}

#[test]
fn histograms_flow_once_to_otlp_and_their_summary_twins_to_lines() {
    let ran = run_with(
        &[
            "--dry-run",
            "--histogram",
            "latency=-",
            "--bounds",
            "10,100",
            "--histogram-summaries",
            "-o",
            "json",
        ],
        "5\n50\n500\n",
    );
    assert_eq!(ran.outcome, Outcome::Accepted, "{}", ran.stderr);
    let report: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(
        report["lines"]["payload"],
        serde_json::json!(["keptn.latency,ci_platform=keptn gauge,min=5,max=500,sum=555,count=3"])
    );
    let point = &report["otlp"]["payload"][0]["resourceMetrics"][0]["scopeMetrics"][0]["metrics"]
        [0]["histogram"]["dataPoints"][0];
    assert_eq!(point["bucketCounts"], serde_json::json!(["1", "1", "1"]));
    // The clock stands still, so the window is the shortest one: one nanosecond.
    assert_eq!(
        point["startTimeUnixNano"],
        serde_json::json!(NOW_NS.to_string())
    );
    assert_eq!(
        point["timeUnixNano"],
        serde_json::json!((NOW_NS + 1).to_string())
    );
}

#[test]
fn input_that_is_not_its_format_is_a_usage_error_and_nothing_is_printed() {
    let ran = run_with(&["--dry-run", "-m", "x_metric=1", "--input", "-"], "hello");
    assert_eq!(ran.outcome, Outcome::UsageError);
    assert_eq!(ran.stdout, "");
    assert!(ran
        .stderr
        .starts_with("keptn-dt-metrics: error: stdin is not valid JSON"));
}

#[test]
fn a_document_that_breaks_off_keeps_what_came_before_and_says_where_it_broke() {
    let stdin = "[{\"name\": \"a_metric\", \"value\": 1},\n {\"name\": ";
    let ran = run_with(&["--dry-run", "--input", "-"], stdin);
    assert_eq!(ran.outcome, Outcome::Refused);
    assert_eq!(ran.stdout, "keptn.a_metric,ci_platform=keptn gauge,1\n");
    assert!(
        ran.stderr
            .contains("refused stdin:2: stdin stops here: it is not valid JSON at line 2"),
        "{}",
        ran.stderr
    );
}
