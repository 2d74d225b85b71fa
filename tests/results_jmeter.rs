//! End to end, real JMeter 2.13 result files (`tests/fixtures/results/jmeter/`, with the scripts
//! that made them) read by the real binary, to the figures of JMeter's own Aggregate Report run
//! over the same file (`FILE.aggregate.csv`, written by `AggregateReport.java` with JMeter's
//! classes): counts, errors, min, max and the percentiles, label by label and in total.

#[allow(dead_code)]
mod support;

#[path = "results/printed.rs"]
mod printed;

use printed::{by_request, fixture, number, report};
use support::Workdir;

/// Each key sent and the Aggregate Report column it must equal.
const PERCENTILES: [(&str, &str); 4] = [
    ("response_time_p50", "Median"),
    ("response_time_p90", "90% Line"),
    ("response_time_p95", "95% Line"),
    ("response_time_p99", "99% Line"),
];

/// Reads `file` with `--dry-run` and checks every label and the total against JMeter's report.
fn equals_the_aggregate_report(file: &str, args: &[&str]) {
    let dir = Workdir::new("results-jmeter-real");
    let name = file.rsplit('/').next().unwrap();
    std::fs::copy(fixture(file), dir.path().join(name)).unwrap();
    let out = dir
        .cli()
        .args(["--dry-run", "--results", name])
        .args(args)
        .run();
    out.expect_code(0);
    let rows = report(&fixture(&format!("{file}.aggregate.csv")));
    assert!(rows.len() > 5, "{file}: {rows:?}");
    let requests = by_request(&out.stdout, "requests");
    let failures = by_request(&out.stdout, "failures");
    let spread = by_request(&out.stdout, "response_time");
    for row in &rows {
        let label = match row["Label"].as_str() {
            "TOTAL" => "_all",
            label => label,
        };
        let count: f64 = row["# Samples"].parse().unwrap();
        assert_eq!(number(&requests[label]), count, "{file} {label}");
        let errors = (row["Error %"].parse::<f64>().unwrap() * count).round();
        assert_eq!(number(&failures[label]), errors, "{file} {label}");
        let summary = &spread[label];
        for column in ["Min", "Max"] {
            let want = format!("{}={}", column.to_lowercase(), row[column]);
            assert!(
                summary.contains(&want),
                "{file} {label}: {summary} has no {want}"
            );
        }
        // Throughput: requests over the label's first start to last end; KB/sec the bytes
        // received over the same time.
        let throughput: f64 = row["Throughput"].parse().unwrap();
        let rate = number(&by_request(&out.stdout, "requests_per_second")[label]);
        assert!(
            close(rate, throughput),
            "{file} {label}: {rate} vs {throughput}"
        );
        let kilobytes: f64 = row["KB/sec"].parse().unwrap();
        let received = number(&by_request(&out.stdout, "bytes_received")[label]);
        let seconds = count / throughput;
        assert!(
            close(received / seconds / 1024.0, kilobytes),
            "{file} {label}: {received}"
        );
        for (key, column) in PERCENTILES {
            let sent = number(&by_request(&out.stdout, key)[label]);
            let want: f64 = row[column].parse().unwrap();
            assert_eq!(sent, want, "{file} {label} {key}: JMeter says {want}");
        }
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs()
}

#[test]
fn a_jtl_with_its_header_row_gives_the_aggregate_reports_figures() {
    equals_the_aggregate_report("jmeter/results-2.13.jtl", &[]);
}

#[test]
fn tab_delimited_dated_and_wider_jtls_give_the_aggregate_reports_figures() {
    for file in [
        "jmeter/results-2.13-tab.jtl",
        "jmeter/results-2.13-timestamp.jtl",
        "jmeter/results-2.13-more.jtl",
    ] {
        equals_the_aggregate_report(file, &[]);
    }
}

#[test]
fn jmeter_2_x_default_jtl_without_a_header_row_gives_the_aggregate_reports_figures() {
    equals_the_aggregate_report("jmeter/results-2.13-defaults.jtl", &[]);
    equals_the_aggregate_report(
        "jmeter/results-2.13-defaults.jtl",
        &["--results-format", "jmeter"],
    );
}

#[test]
fn xml_jtls_give_the_aggregate_reports_figures() {
    // Transaction controller rows after their samplers, as in the CSV files.
    equals_the_aggregate_report("jmeter/results-2.13.xml", &[]);
    // The transaction controller's parent sample holds its samplers' samples: the report, and
    // so this, counts the parent only.
    equals_the_aggregate_report("jmeter/results-2.13-nested.xml", &[]);
}

/// The Aggregate Report's rule, written out here: the sample at 1-based rank round(q * n) with q
/// a Java `float`.
fn aggregate_report_percentile(sorted: &[f64], q: f32) -> f64 {
    let rank = (sorted.len() as f64 * f64::from(q) + 0.5).floor() as usize;
    sorted[rank.max(1) - 1]
}

#[test]
fn past_the_budget_one_absurd_sample_leaves_the_percentiles_within_one_percent() {
    // 150,000 samples of one label (more than the 100,000 kept), 1 to 100 ms, and one of 1e20 ms.
    let mut values: Vec<f64> = (0..150_000).map(|i| f64::from(i % 100 + 1)).collect();
    values.push(1e20);
    let mut jtl = String::from("elapsed,label,success\n");
    for value in &values {
        jtl.push_str(&format!("{value},GET /,true\n"));
    }
    let dir = Workdir::new("results-absurd");
    dir.write("big.jtl", &jtl);
    let out = dir.cli().args(["--dry-run", "--results", "big.jtl"]).run();
    out.expect_code(0);
    values.sort_by(f64::total_cmp);
    for ((key, _), q) in PERCENTILES.iter().zip([0.5f32, 0.9, 0.95, 0.99]) {
        let exact = aggregate_report_percentile(&values, q);
        for request in ["GET /", "_all"] {
            let sent = number(&by_request(&out.stdout, key)[request]);
            let error = (sent - exact).abs() / exact;
            assert!(error <= 0.01, "{key} {request}: {sent} vs {exact}");
        }
    }
}
