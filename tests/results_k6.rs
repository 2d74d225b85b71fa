//! End to end, one real k6 1.1.0 run (`tests/fixtures/results/k6/make.sh`) read by the real
//! binary from each file k6 wrote of it: `--summary-export`, `--out json` (plain and gzip) and
//! `--out csv`. Every figure is compared with k6's own end-of-test summary as it printed it
//! (`stdout.txt`): counts exactly, times and rates to the digits k6 printed. The raw outputs' percentiles
//! (k6's interpolation over the samples) equal the summary's to the last digit.

#[allow(dead_code)]
mod support;

#[allow(dead_code)]
#[path = "results/printed.rs"]
mod printed;

use std::collections::BTreeMap;

use printed::{by_request, fixture, lines_of, number};
use support::Workdir;

/// `--dry-run --results FILE`'s stdout, and its stderr.
fn dry_run(file: &str) -> (String, String) {
    let dir = Workdir::new("results-k6");
    let name = file.rsplit('/').next().unwrap();
    std::fs::copy(fixture(file), dir.path().join(name)).unwrap();
    let out = dir.cli().args(["--dry-run", "--results", name]).run();
    out.expect_code(0);
    (out.stdout, out.stderr)
}

/// k6's printed summary: `metric` (or `metric{tags}` for the indented `{ tags }` lines under
/// it) -> what follows its dots.
fn printed() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(fixture("k6/stdout.txt")).unwrap();
    let mut rows = BTreeMap::new();
    let mut parent = String::new();
    for line in text.lines() {
        let Some((head, rest)) = line.split_once(": ") else {
            continue;
        };
        let head = head.trim().trim_end_matches('.');
        if let Some(tags) = head.strip_prefix('{') {
            let tags = tags.trim_end_matches('}').trim();
            rows.insert(format!("{parent}{{{tags}}}"), rest.trim().to_owned());
        } else if !head.contains(' ') {
            parent = head.to_owned();
            rows.insert(parent.clone(), rest.trim().to_owned());
        }
    }
    rows
}

/// A printed number with the unit k6 gave it, in milliseconds for times, and one unit of its
/// last digit: what k6's printing hides (it cuts times and percentages, `49.4472885` is
/// `49.44ms`, and rounds bytes, `8980` is `9.0 kB`).
fn printed_value(token: &str) -> (f64, f64) {
    let (digits, scale) = [
        ("µs", 1e-3),
        ("ms", 1.0),
        ("s", 1e3),
        ("%", 1e-2),
        ("kB", 1e3),
    ]
    .iter()
    .find_map(|(unit, scale)| Some((token.strip_suffix(unit)?, *scale)))
    .unwrap_or((token, 1.0));
    let decimals = digits.split_once('.').map_or(0, |(_, d)| d.len());
    let value: f64 = digits.parse().unwrap_or_else(|_| panic!("{token}"));
    (value * scale, 10f64.powi(-(decimals as i32)) * scale)
}

/// `stat=value` of a printed trend row (`avg=50.99ms min=2.64ms ...`).
fn stat(row: &str, stat: &str) -> (f64, f64) {
    let token = row
        .split_whitespace()
        .find_map(|t| t.strip_prefix(&format!("{stat}=")))
        .unwrap_or_else(|| panic!("no {stat} in {row}"));
    printed_value(token)
}

fn assert_printed(what: &str, sent: f64, (printed, tolerance): (f64, f64)) {
    assert!(
        (sent - printed).abs() <= tolerance * (1.0 + 1e-9),
        "{what}: sent {sent}, k6 printed {printed} (±{tolerance})"
    );
}

/// The first number of a printed row (`92     28.780631/s`: 92).
fn first(row: &str) -> (f64, f64) {
    printed_value(row.split_whitespace().next().unwrap())
}

/// The payload of the line of `key` whose dimensions include `dimensions`.
fn sent(stdout: &str, key: &str, dimensions: &[(&str, &str)]) -> String {
    let lines = lines_of(stdout, key);
    let line = lines.iter().find(|line| {
        dimensions
            .iter()
            .all(|(k, v)| line.dimensions.get(*k).map(String::as_str) == Some(*v))
    });
    line.unwrap_or_else(|| panic!("no {key} {dimensions:?} in\n{stdout}"))
        .payload
        .clone()
}

/// `min=..,max=..,sum=..,count=..` of a summary payload.
fn spread(payload: &str) -> BTreeMap<String, f64> {
    payload
        .strip_prefix("gauge,")
        .unwrap()
        .split(',')
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap();
            (k.to_owned(), v.parse().unwrap())
        })
        .collect()
}

/// What every file gives of the requests: over all, and per name k6 printed a submetric of.
fn requests_as_printed(stdout: &str, k6: &BTreeMap<String, String>) {
    let requests = by_request(stdout, "requests");
    assert_eq!(number(&requests["_all"]), first(&k6["http_reqs"]).0);
    assert_eq!(
        number(&requests["GET /cart"]),
        first(&k6["http_reqs{name:GET /cart}"]).0
    );
    // http_req_failed: `11.95% 11 out of 92`.
    let failed: Vec<&str> = k6["http_req_failed"].split_whitespace().collect();
    let failures = by_request(stdout, "failures");
    assert_eq!(number(&failures["_all"]), failed[1].parse::<f64>().unwrap());
    for (label, row) in [
        ("_all", "http_req_duration"),
        ("GET /cart", "http_req_duration{name:GET /cart}"),
        ("POST /checkout", "http_req_duration{name:POST /checkout}"),
    ] {
        for (key, k6_stat) in [
            ("response_time_p50", "med"),
            ("response_time_p90", "p(90)"),
            ("response_time_p95", "p(95)"),
            ("response_time_p99", "p(99)"),
        ] {
            let value = number(&by_request(stdout, key)[label]);
            assert_printed(&format!("{label} {key}"), value, stat(&k6[row], k6_stat));
        }
        if let Some(summary) = by_request(stdout, "response_time").get(label) {
            let summary = spread(summary);
            assert_printed(label, summary["min"], stat(&k6[row], "min"));
            assert_printed(label, summary["max"], stat(&k6[row], "max"));
            let avg = summary["sum"] / summary["count"];
            assert_printed(label, avg, stat(&k6[row], "avg"));
        }
    }
    // A submetric that matched no request (k6 printed zeros) sends nothing.
    assert!(k6.contains_key("http_req_duration{name:GET /never}"));
    assert!(!by_request(stdout, "response_time_p95").contains_key("GET /never"));
}

/// What every file gives beyond requests: checks, iterations, VUs, bytes.
fn run_as_printed(stdout: &str, k6: &BTreeMap<String, String>) {
    let checks = |key: &str, check: &str| number(&sent(stdout, key, &[("check", check)]));
    // checks_succeeded: `89.39% 59 out of 66`; checks_failed: `10.60% 7 out of 66`.
    let succeeded: Vec<&str> = k6["checks_succeeded"].split_whitespace().collect();
    let failed: Vec<&str> = k6["checks_failed"].split_whitespace().collect();
    assert_eq!(
        checks("checks.passed", "_all"),
        succeeded[1].parse::<f64>().unwrap()
    );
    assert_eq!(
        checks("checks.failed", "_all"),
        failed[1].parse::<f64>().unwrap()
    );
    assert_printed(
        "checks",
        checks("checks.pass_rate", "_all"),
        printed_value(succeeded[0]),
    );
    // `✗ order accepted` `↳  68% — ✓ 15 / ✗ 7`; the ✓ checks passed every time.
    let text = std::fs::read_to_string(fixture("k6/stdout.txt")).unwrap();
    let detail = text.lines().find(|l| l.contains('↳')).unwrap();
    let numbers: Vec<f64> = detail
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    assert_eq!(checks("checks.passed", "order accepted"), numbers[1]);
    assert_eq!(checks("checks.failed", "order accepted"), numbers[2]);
    assert_eq!(checks("checks.pass_rate", "status is 200"), 1.0);
    assert_eq!(
        sent(stdout, "checks.pass_rate", &[("check", "cart has items")]),
        "gauge,1"
    );
    let gauge = |key: &str| number(&lines_of(stdout, key)[0].payload);
    assert_eq!(gauge("iterations"), first(&k6["iterations"]).0);
    assert_eq!(
        gauge("dropped_iterations"),
        first(&k6["dropped_iterations"]).0
    );
    assert_eq!(gauge("vus_max"), first(&k6["vus_max"]).0);
    assert_printed("vus", gauge("users"), stat(&k6["vus"], "max"));
    for (key, row) in [
        ("bytes_sent", "data_sent"),
        ("bytes_received", "data_received"),
    ] {
        let (value, unit) = k6[row].split_once(' ').unwrap();
        let printed = printed_value(&format!(
            "{value}{}",
            unit.split_whitespace().next().unwrap()
        ));
        assert_printed(key, gauge(key), printed);
    }
}

#[test]
fn the_summary_export_gives_k6s_printed_figures() {
    let k6 = printed();
    let (stdout, stderr) = dry_run("k6/summary-export.json");
    assert!(
        stderr.contains("(k6-summary): 28 record(s) read, 19 used, 0 refused"),
        "{stderr}"
    );
    // POST /checkout: percentiles only, its count not in the summary.
    assert!(stderr.contains("`POST /checkout` had"), "{stderr}");
    requests_as_printed(&stdout, &k6);
    run_as_printed(&stdout, &k6);
    // Only a summary has the request rate, the thresholds and the script's own metrics.
    let gauge = |key: &str, dimensions: &[(&str, &str)]| number(&sent(&stdout, key, dimensions));
    let rate = k6["http_reqs"].split_whitespace().nth(1).unwrap();
    assert_printed(
        "requests_per_second",
        gauge("requests_per_second", &[("request", "_all")]),
        printed_value(rate.trim_end_matches("/s")),
    );
    let text = std::fs::read_to_string(fixture("k6/stdout.txt")).unwrap();
    let thresholds = lines_of(&stdout, "thresholds.passed");
    assert_eq!(thresholds.len(), text.matches(" '").count());
    for line in &thresholds {
        let expression = &line.dimensions["threshold"];
        let mark = if line.payload == "gauge,1" {
            '✓'
        } else {
            '✗'
        };
        assert!(
            text.contains(&format!("{mark} '{expression}'")),
            "{expression} {mark}"
        );
    }
    let threshold = |metric: &str| sent(&stdout, "thresholds.passed", &[("metric", metric)]);
    assert_eq!(threshold("http_req_failed"), "gauge,0");
    assert_eq!(
        threshold("http_req_duration{name:POST /checkout}"),
        "gauge,0"
    );
    for stat_name in ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)"] {
        let key = match stat_name {
            "med" => "p50".to_owned(),
            s => s.replace(['(', ')'], ""),
        };
        for metric in ["cart_latency", "cart_items"] {
            let value = gauge(&format!("k6.{metric}.{key}"), &[]);
            assert_printed(metric, value, stat(&k6[metric], stat_name));
        }
    }
    // orders_placed `15     4.692494/s`, order_success `68.18% 15 out of 22`,
    // cart_value `85     min=42.5     max=127.5`.
    assert_eq!(
        gauge("k6.orders_placed.count", &[]),
        first(&k6["orders_placed"]).0
    );
    assert_printed(
        "order_success",
        gauge("k6.order_success.rate", &[]),
        first(&k6["order_success"]),
    );
    assert_eq!(
        gauge("k6.cart_value.value", &[]),
        first(&k6["cart_value"]).0
    );
    assert_printed(
        "cart_value",
        gauge("k6.cart_value.max", &[]),
        stat(&k6["cart_value"], "max"),
    );
}

#[test]
fn the_json_and_csv_outputs_give_k6s_printed_figures_and_the_summarys_percentiles() {
    let k6 = printed();
    let (summary, _) = dry_run("k6/summary-export.json");
    for (file, format, read) in [
        ("k6/out.json", "k6-json", 1139),
        ("k6/out.json.gz", "k6-json", 1139),
        ("k6/out.csv", "k6-csv", 1116),
    ] {
        let (stdout, stderr) = dry_run(file);
        let count = format!("({format}): {read} record(s) read, 325 used, 0 refused");
        assert!(stderr.contains(&count), "{file}: {stderr}");
        requests_as_printed(&stdout, &k6);
        run_as_printed(&stdout, &k6);
        // k6's interpolation over the samples: the summary's figures, every digit.
        for key in [
            "response_time_p50",
            "response_time_p90",
            "response_time_p95",
            "response_time_p99",
        ] {
            let from_summary = by_request(&summary, key);
            let from_samples = by_request(&stdout, key);
            for label in ["_all", "GET /cart", "POST /checkout"] {
                assert_eq!(
                    from_samples[label], from_summary[label],
                    "{file} {label} {key}"
                );
            }
        }
        // The requests GET /cart had, and their failures: the same from either output.
        assert_eq!(
            by_request(&stdout, "response_time")["GET /cart"],
            by_request(&summary, "response_time")["GET /cart"]
        );
    }
    let (json, _) = dry_run("k6/out.json");
    let (csv, _) = dry_run("k6/out.csv");
    // The same lines but their timestamps (CSV's are whole seconds).
    let values = |stdout: &str| -> Vec<String> {
        stdout
            .lines()
            .filter(|l| l.starts_with("keptn."))
            .map(|l| l.rsplit_once(' ').unwrap().0.to_owned())
            .collect()
    };
    assert_eq!(values(&json), values(&csv));
}
