//! End to end, `--results` from raw samples (JMeter JTL, k6 JSON output): each tool's example
//! file in `examples/`, read by the real binary and sent to a fake Dynatrace, to the exact lines
//! and the decoded OTLP histograms it receives. Tools that give their own percentiles:
//! `results_passthrough.rs`.

#[allow(dead_code)]
mod support;

#[path = "results/lines.rs"]
mod lines;

#[path = "results/more.rs"]
mod more;

#[path = "results/refusals.rs"]
mod refusals;

use lines::{example, label_lines, response_time_lines};
use support::otlp::{delta_point, expected_counts, metrics, otlp_requests, pair, pairs};
use support::{keptn_env, FakeDynatrace, Workdir, INGEST_PATH};

const TOKEN: &str = "dt0c01.RESULTSSECRETSECRET";

#[test]
fn a_jmeter_jtl_arrives_as_lines_per_label_and_delta_histograms() {
    let dir = Workdir::new("results-jmeter");
    dir.write("results.jtl", &example("jmeter-results.jtl"));
    let server = FakeDynatrace::accepting();

    let out = keptn_env(dir.cli())
        .credentials(server.url(), TOKEN)
        .args(["--results", "results.jtl", "--output", "json"])
        .run();

    out.expect_code(0);
    let t = ",tool=jmeter";
    let mut expected = label_lines(
        "GET\\ /",
        t,
        [
            "count,delta=6",
            "count,delta=0",
            "gauge,0",
            "gauge,min=8,max=30,sum=85,count=6",
            // JMeter's Aggregate Report: ranks round(q * n) of 8 9 11 12 15 30 (with q a Java
            // float: 0.9f * 6 = 5.3999998), 3, 5, 6, 6.
            "gauge,11",
            "gauge,15",
            "gauge,30",
            "gauge,30",
        ],
        true,
    );
    expected.extend(label_lines(
        "GET\\ /cart\\,\\ items",
        t,
        [
            "count,delta=5",
            "count,delta=0",
            "gauge,0",
            "gauge,min=22,max=140,sum=245,count=5",
            // 22 25 27 31 140: ranks 3, 4 (0.9f * 5 = 4.4999998), 5, 5.
            "gauge,27",
            "gauge,31",
            "gauge,140",
            "gauge,140",
        ],
        false,
    ));
    expected.extend(label_lines(
        "POST\\ /checkout",
        t,
        [
            "count,delta=6",
            "count,delta=2",
            "gauge,0.3333333333333333",
            "gauge,min=45,max=230,sum=491,count=6",
            // 45 48 52 55 61 230.
            "gauge,52",
            "gauge,61",
            "gauge,230",
            "gauge,230",
        ],
        false,
    ));
    expected.extend(label_lines(
        "_all",
        t,
        [
            "count,delta=17",
            "count,delta=2",
            "gauge,0.11764705882352941",
            "gauge,min=8,max=230,sum=821,count=17",
            // 17 samples: ranks 9, 15, 16, 17.
            "gauge,30",
            "gauge,61",
            "gauge,140",
            "gauge,230",
        ],
        false,
    ));
    let lines = server.requests_to(INGEST_PATH);
    assert_eq!(lines.len(), 1);
    // The response-time keys here; what JMeter measures beyond them: `results/more.rs`.
    assert_eq!(response_time_lines(&lines[0].lines()), expected);

    let otlp = otlp_requests(&server);
    assert_eq!(otlp.len(), 1);
    let histograms = metrics(&otlp[0].1);
    let samples: [(&str, &[f64]); 4] = [
        ("GET /", &[12., 9., 15., 11., 30., 8.]),
        ("GET /cart, items", &[25., 31., 22., 140., 27.]),
        ("POST /checkout", &[48., 52., 61., 45., 230., 55.]),
        (
            "_all",
            &[
                12., 9., 15., 11., 30., 8., 25., 31., 22., 140., 27., 48., 52., 61., 45., 230., 55.,
            ],
        ),
    ];
    assert_eq!(histograms.len(), samples.len());
    for (metric, (request, values)) in histograms.iter().zip(samples) {
        assert_eq!(metric.name, "keptn.loadtest.response_time_histogram");
        assert_eq!(metric.unit, "ms");
        let point = delta_point(metric);
        let attributes = pairs(&point.attributes);
        assert_eq!(
            attributes[..2],
            [pair("request", request), pair("tool", "jmeter")]
        );
        assert!(attributes.contains(&pair("keptn_project", "sockshop")));
        assert_eq!(point.explicit_bounds, support::otlp::DEFAULT_BOUNDS);
        assert_eq!(
            point.bucket_counts,
            expected_counts(&point.explicit_bounds, values)
        );
        assert_eq!(point.count, values.len() as u64);
        assert_eq!(point.sum, Some(values.iter().sum()));
        // The test ended long before this run: the histograms keep its 2.285 s, ending now.
        let window = point.time_unix_nano - point.start_time_unix_nano;
        assert_eq!(window, 2_285_000_000);
    }

    let report = out.json();
    assert_eq!(
        report["records"],
        serde_json::json!([{"input": "results.jtl", "format": "jmeter", "read": 17, "used": 17,
                            "refused": 0}])
    );
    let warning = &report["lines"]["warnings"][0];
    assert_eq!(warning["code"], "timestamp_out_of_window");
    assert!(warning["warning"]
        .as_str()
        .unwrap()
        .contains("the test ended at 2026-11-25T23:46:25.285Z, outside"));
}

#[test]
fn a_jtl_of_a_test_that_just_ended_keeps_its_time() {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let (start, end) = (now_ms - 60_000, now_ms - 30_000);
    let jtl = format!(
        "timeStamp,elapsed,label,success\n{start},100,a,true\n{},29900,b,false\n",
        end - 29_900
    );
    let dir = Workdir::new("results-now");
    dir.write("now.jtl", &jtl);
    let server = FakeDynatrace::accepting();

    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["--results", "now.jtl", "--bounds", "1000,10000"])
        .env("INTEGRATION_NAME", "loadtest")
        .run();

    out.expect_code(0);
    let body = server.requests_to(INGEST_PATH)[0].body.clone();
    let data: Vec<&str> = body.lines().filter(|l| !l.starts_with('#')).collect();
    // 8 keys per label and over all, and the rates of each (the test's times are known).
    assert_eq!(data.len(), 3 * 10, "{body}");
    assert!(
        data.iter().all(|l| l.ends_with(&format!(" {end}"))),
        "{body}"
    );
    assert!(data[0].starts_with("keptn.loadtest.requests,request=a,tool=jmeter,ci_platform=keptn "));
    let otlp = otlp_requests(&server);
    for metric in metrics(&otlp[0].1) {
        let point = delta_point(metric);
        assert_eq!(point.start_time_unix_nano, start * 1_000_000);
        assert_eq!(point.time_unix_nano, end * 1_000_000);
    }
    assert_eq!(
        delta_point(metrics(&otlp[0].1)[2]).bucket_counts,
        vec![1, 0, 1]
    );
}

#[test]
fn k6_json_output_from_stdin_gives_exact_histograms_per_request() {
    let text = example("k6-out.json");
    // Durations per `name` tag, read here straight from the file.
    let mut expected: Vec<(String, Vec<f64>)> = Vec::new();
    for line in text.lines() {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        if row["type"] == "Point" && row["metric"] == "http_req_duration" {
            let name = row["data"]["tags"]["name"].as_str().unwrap().to_owned();
            let value = row["data"]["value"].as_f64().unwrap();
            match expected.iter_mut().find(|(n, _)| *n == name) {
                Some((_, values)) => values.push(value),
                None => expected.push((name, vec![value])),
            }
        }
    }
    let all: Vec<f64> = expected.iter().flat_map(|(_, v)| v.clone()).collect();
    // k6's labels are its `name` tags, sent in name order.
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    expected.push(("_all".into(), all));
    let dir = Workdir::new("results-k6-json");
    dir.write("out.json", &text);
    let server = FakeDynatrace::accepting();

    // As `Workdir::cli` runs it, with the file as stdin.
    let out = support::Output::from(
        std::process::Command::new(env!("CARGO_BIN_EXE_keptn-dt-metrics"))
            .env_clear()
            .env("DT_METADATA_DIR", dir.path())
            .env("DT_TENANT", server.url())
            .env("DT_API_TOKEN", TOKEN)
            .current_dir(dir.path())
            .args(["--results", "-", "--output", "json"])
            .stdin(std::fs::File::open(dir.path().join("out.json")).unwrap())
            .output()
            .expect("run keptn-dt-metrics"),
    );

    out.expect_code(0);
    let otlp = otlp_requests(&server);
    let histograms = metrics(&otlp[0].1);
    assert_eq!(histograms.len(), expected.len());
    for (metric, (name, values)) in histograms.iter().zip(&expected) {
        let point = delta_point(metric);
        assert_eq!(pairs(&point.attributes)[0], pair("request", name));
        assert_eq!(
            point.bucket_counts,
            expected_counts(&point.explicit_bounds, values)
        );
        assert_eq!(point.min, values.iter().copied().reduce(f64::min));
        assert_eq!(point.max, values.iter().copied().reduce(f64::max));
    }
    assert_eq!(out.json()["records"][0]["input"], "stdin");
    let body = &server.requests_to(INGEST_PATH)[0].body;
    assert!(body.contains(
        "keptn.loadtest.failures,request=POST\\ /checkout,tool=k6,ci_platform=keptn count,delta=1"
    ));
}

#[test]
fn what_is_not_results_is_a_usage_error_and_nothing_is_sent() {
    let dir = Workdir::new("results-usage");
    dir.write("notes.txt", "hello\n")
        .write("locust_stats.csv", &example("locust_stats.csv"));
    let server = FakeDynatrace::accepting();
    for args in [
        vec!["--results", "notes.txt"],
        vec![
            "--results",
            "locust_stats.csv",
            "--results-format",
            "jmeter",
        ],
        vec!["--results", "missing.jtl"],
    ] {
        let out = dir.cli().credentials(server.url(), TOKEN).args(&args).run();
        out.expect_code(2);
        assert!(out.stderr.contains("error:"), "{}", out.stderr);
    }
    assert!(server.requests().is_empty());
}

#[test]
fn results_combine_with_the_other_inputs_and_follow_the_prefix() {
    let dir = Workdir::new("results-combined");
    dir.write("results.jtl", "elapsed,label,success\n5,a,true\n");
    let out = dir
        .cli()
        .env("INTEGRATION_NAME", "perf")
        .args([
            "--dry-run",
            "-m",
            "deploy_time=42",
            "--results",
            "results.jtl",
        ])
        .run();
    out.expect_code(0);
    let lines: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("keptn."))
        .collect();
    assert_eq!(
        lines[0],
        "keptn.perf.deploy_time,ci_platform=keptn gauge,42"
    );
    assert_eq!(
        lines[1],
        "keptn.perf.requests,request=a,tool=jmeter,ci_platform=keptn count,delta=1"
    );
    let bare = dir
        .cli()
        .args(["--dry-run", "--prefix", "", "--results", "results.jtl"])
        .run();
    assert!(
        bare.stdout
            .contains("\nloadtest.requests,request=a,tool=jmeter"),
        "{}",
        bare.stdout
    );
}
