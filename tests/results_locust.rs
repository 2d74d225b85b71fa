//! End to end, a real Locust 2.47 run's JSON (`tests/fixtures/results/locust/run.json`, made by
//! `make-json.sh`) read by the real binary, to Locust's own figures: `run.json.stats.csv`, what
//! Locust's StatsCSV writer makes of those entries (`expected.py`), and the final stats Locust
//! printed in that run (`run.console.txt`).

#[allow(dead_code)]
mod support;

#[path = "results/printed.rs"]
mod printed;

use printed::{by_request, fixture, number, report};
use support::Workdir;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs()
}

fn dry_run(file: &str) -> String {
    let dir = Workdir::new("results-locust-json");
    let name = file.rsplit('/').next().unwrap();
    std::fs::copy(fixture(file), dir.path().join(name)).unwrap();
    let out = dir.cli().args(["--dry-run", "--results", name]).run();
    out.expect_code(0);
    assert!(
        out.stderr.contains("(locust): 7 record(s) read, 7 used"),
        "{}",
        out.stderr
    );
    out.stdout
}

#[test]
fn locusts_json_gives_locusts_own_figures() {
    let stdout = dry_run("locust/run.json");
    let rows = report(&fixture("locust/run.json.stats.csv"));
    assert_eq!(rows.len(), 8);
    let key = |key: &str| by_request(&stdout, key);
    for row in &rows {
        let label = match row["Name"].as_str() {
            "Aggregated" => "_all",
            name => name,
        };
        let count: f64 = row["Request Count"].parse().unwrap();
        let cell = |column: &str| row[column].parse::<f64>().unwrap();
        assert_eq!(number(&key("requests")[label]), count, "{label}");
        assert_eq!(
            number(&key("failures")[label]),
            cell("Failure Count"),
            "{label}"
        );
        for (name, column) in [
            ("response_time_p50", "50%"),
            ("response_time_p90", "90%"),
            ("response_time_p95", "95%"),
            ("response_time_p99", "99%"),
        ] {
            let sent = number(&key(name)[label]);
            assert_eq!(
                sent,
                cell(column),
                "{label} {name}: Locust says {}",
                cell(column)
            );
        }
        let spread = &key("response_time")[label];
        let summary = format!(
            "min={},max={}",
            row["Min Response Time"], row["Max Response Time"]
        );
        assert!(spread.contains(&summary), "{label}: {spread} vs {summary}");
        for (name, column) in [
            ("requests_per_second", "Requests/s"),
            ("failures_per_second", "Failures/s"),
        ] {
            let sent = number(&key(name)[label]);
            assert!(
                close(sent, cell(column)),
                "{label} {name}: {sent} vs {}",
                cell(column)
            );
        }
        let content = number(&key("bytes_received")[label]);
        assert!(
            close(content / count, cell("Average Content Size")),
            "{label}"
        );
    }
}

#[test]
fn the_aggregate_equals_what_locust_printed_at_the_end_of_the_run() {
    let stdout = dry_run("locust/run.json");
    let console = std::fs::read_to_string(fixture("locust/run.console.txt")).unwrap();
    let printed: Vec<Vec<&str>> = console
        .lines()
        .filter(|l| l.trim_start().starts_with("Aggregated"))
        .map(|l| l.split_whitespace().collect())
        .collect();
    // Aggregated 191 18(9.42%) | 23 3 151 15 | 32.72 3.08
    let (stats, percentiles) = (&printed[0], &printed[1]);
    let all = |key: &str| number(&by_request(&stdout, key)["_all"]);
    assert_eq!(all("requests"), stats[1].parse::<f64>().unwrap());
    assert_eq!(
        all("failures"),
        stats[2].split('(').next().unwrap().parse::<f64>().unwrap()
    );
    // Aggregated 15 23 27 30 44 62 130 150 150 150 150 191: 50 %, 90 %, 95 %, 99 %.
    for (key, at) in [
        ("response_time_p50", 1),
        ("response_time_p90", 5),
        ("response_time_p95", 6),
        ("response_time_p99", 8),
    ] {
        assert_eq!(all(key), percentiles[at].parse::<f64>().unwrap(), "{key}");
    }
    // Locust's own rate runs from when its stats started, a little before the first request:
    // the rate from the file is within 1 % of the one it printed.
    let printed_rate: f64 = stats[9].parse().unwrap();
    let rate = all("requests_per_second");
    assert!(
        (rate - printed_rate).abs() <= 0.01 * printed_rate,
        "{rate} vs {printed_rate}"
    );
}
