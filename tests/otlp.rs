//! End to end, OTLP histograms: the real binary against a fake Dynatrace that decodes what it is
//! sent (gzip, binary protobuf `ExportMetricsServiceRequest`), the line-protocol twin of
//! `--histogram-summaries`, and the request a dry run shows as JSON. What is refused:
//! `otlp_refusals.rs`.

#[allow(dead_code)]
mod support;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::metrics::v1::AggregationTemporality;
use prost::Message;
use serde_json::Value as Json;
use support::otlp::{
    delta_point, expected_counts, metrics, otlp_requests, pair, pairs, samples_file, DEFAULT_BOUNDS,
};
use support::{FakeDynatrace, Workdir, INGEST_PATH, OTLP_PATH};

const TOKEN: &str = "dt0c01.OTLPSECRETSECRET";

fn keptn_env(cli: support::Cli) -> support::Cli {
    cli.env("KEPTN_PROJECT", "sockshop")
        .env("KEPTN_STAGE", "hardening")
        .env("KEPTN_SERVICE", "carts")
        .env("LABELS_BUILDID", "2024.11")
}

#[test]
fn ten_thousand_samples_arrive_as_one_gzipped_delta_histogram_with_keptn_attributes() {
    let values: Vec<f64> = (0..10_000).map(|i| (i as f64 * 1.7) % 12_000.0).collect();
    let dir = Workdir::new("otlp-acceptance");
    dir.write("latencies.txt", &samples_file(&values));
    let server = FakeDynatrace::accepting();

    let out = keptn_env(dir.cli())
        .credentials(server.url(), TOKEN)
        .args(["--histogram", "response_time=latencies.txt"])
        .args(["--output", "json"])
        .run();

    out.expect_code(0);
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "one request in all: {requests:#?}");
    let request = &requests[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", OTLP_PATH)
    );
    assert_eq!(
        request.header("Content-Type"),
        Some("application/x-protobuf")
    );
    assert_eq!(request.header("Content-Encoding"), Some("gzip"));
    assert_eq!(
        request.header("Authorization"),
        Some(format!("Api-Token {TOKEN}").as_str())
    );

    let otlp = request.otlp();
    assert_eq!(otlp.resource_metrics.len(), 1);
    let resource = pairs(
        &otlp.resource_metrics[0]
            .resource
            .as_ref()
            .expect("a resource")
            .attributes,
    );
    assert!(
        resource.contains(&pair("service.name", "carts")),
        "{resource:?}"
    );
    assert!(
        resource.contains(&pair("deployment.environment", "hardening")),
        "{resource:?}"
    );
    let scope_metrics = &otlp.resource_metrics[0].scope_metrics;
    assert_eq!(scope_metrics.len(), 1);
    let scope = scope_metrics[0].scope.as_ref().expect("a scope");
    assert_eq!(scope.name, "keptn-dt-metrics");
    assert_eq!(scope.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(scope_metrics[0].metrics.len(), 1);
    let metric = &scope_metrics[0].metrics[0];
    assert_eq!(metric.name, "keptn.response_time");

    let point = delta_point(metric);
    assert_eq!(point.explicit_bounds, DEFAULT_BOUNDS.to_vec());
    assert_eq!(
        point.bucket_counts,
        expected_counts(&DEFAULT_BOUNDS, &values)
    );
    assert_eq!(point.count, 10_000);
    // The same additions in the same order as the binary: exactly the same f64.
    let sum = values.iter().fold(0.0, |total, v| total + v);
    assert_eq!(point.sum, Some(sum));
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert_eq!((point.min, point.max), (Some(min), Some(max)));
    assert!(
        point.start_time_unix_nano < point.time_unix_nano,
        "{} < {}",
        point.start_time_unix_nano,
        point.time_unix_nano
    );
    let attributes = pairs(&point.attributes);
    for expected in [
        pair("ci_platform", "keptn"),
        pair("keptn_project", "sockshop"),
        pair("keptn_stage", "hardening"),
        pair("keptn_service", "carts"),
        pair("buildid", "2024.11"),
    ] {
        assert!(
            attributes.contains(&expected),
            "{expected:?} in {attributes:?}"
        );
    }

    let report = out.json();

    support::assert_buckets(&report);
    assert_eq!(report["exit_code"], 0);
    assert_eq!(report["outcome"], "accepted");
    assert_eq!(report["otlp"]["points"], 1);
    assert_eq!(report["otlp"]["points_sent"], 1);
    assert_eq!(report["otlp"]["rejected"], 0);
    assert_eq!(report["otlp"]["requests"], 1);
    assert_eq!(report["otlp"]["refused_locally"], 0);
    assert_eq!(
        report["otlp"]["endpoint"],
        format!("{}{OTLP_PATH}", server.url())
    );
    assert_eq!(report["lines"]["total"], 0);
}

#[test]
fn json_histograms_keep_names_units_descriptions_attributes_and_buckets() {
    let dir = Workdir::new("otlp-json");
    dir.write(
        "histograms.json",
        r#"{"dimensions": {"team": "payments"},
            "histograms": [
              {"name": "response_time", "unit": "ms", "description": "Time to first byte",
               "attributes": {"http.method": "GET", "retries": 2},
               "bounds": [10, 100], "samples": [5, 50, 500, 10, 100.5]},
              {"name": "payload_size", "unit": "By", "description": "Request sizes",
               "attributes": {"team": "checkout"},
               "bounds": [1024, 4096], "counts": [3, 2, 1], "sum": 12000, "min": 10, "max": 6000}
            ]}"#,
    );
    let server = FakeDynatrace::accepting();

    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["--input", "histograms.json", "--output", "json"])
        .run();

    out.expect_code(0);
    let requests = otlp_requests(&server);
    assert_eq!(requests.len(), 1);
    let metrics = metrics(&requests[0].1);
    let names: Vec<&str> = metrics.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["keptn.response_time", "keptn.payload_size"]);

    let (samples, buckets) = (metrics[0], metrics[1]);
    assert_eq!(
        (samples.unit.as_str(), samples.description.as_str()),
        ("ms", "Time to first byte")
    );
    let point = delta_point(samples);
    assert_eq!(point.explicit_bounds, vec![10.0, 100.0]);
    assert_eq!(point.bucket_counts, vec![2, 1, 2]);
    assert_eq!(
        (point.count, point.sum, point.min, point.max),
        (5, Some(665.5), Some(5.0), Some(500.0))
    );
    assert_eq!(
        pairs(&point.attributes),
        vec![
            pair("team", "payments"),
            pair("http.method", "GET"),
            pair("retries", "2"),
            pair("ci_platform", "keptn"),
        ]
    );

    assert_eq!(
        (buckets.unit.as_str(), buckets.description.as_str()),
        ("By", "Request sizes")
    );
    let point = delta_point(buckets);
    assert_eq!(point.explicit_bounds, vec![1024.0, 4096.0]);
    assert_eq!(point.bucket_counts, vec![3, 2, 1]);
    assert_eq!(
        (point.count, point.sum, point.min, point.max),
        (6, Some(12000.0), Some(10.0), Some(6000.0))
    );
    assert_eq!(
        pairs(&point.attributes),
        vec![pair("team", "checkout"), pair("ci_platform", "keptn")]
    );

    let report = out.json();

    support::assert_buckets(&report);
    assert_eq!(report["otlp"]["points_sent"], 2);
    assert_eq!(report["otlp"]["rejected"], 0);
}

#[test]
fn no_gzip_flag_or_environment_sends_plain_protobuf() {
    for (flag, env) in [(Some("--no-gzip"), None), (None, Some("false"))] {
        let dir = Workdir::new("otlp-nogzip");
        dir.write("s.txt", "1\n2\n3\n");
        let server = FakeDynatrace::accepting();
        let mut cli = dir
            .cli()
            .credentials(server.url(), TOKEN)
            .args(["--histogram", "latency=s.txt"]);
        if let Some(flag) = flag {
            cli = cli.args([flag]);
        }
        if let Some(value) = env {
            cli = cli.env("DT_OTLP_GZIP", value);
        }
        cli.run().expect_code(0);

        let requests = server.requests_to(OTLP_PATH);
        assert_eq!(requests.len(), 1, "{flag:?} {env:?}");
        assert_eq!(
            requests[0].header("Content-Encoding"),
            None,
            "{flag:?} {env:?}"
        );
        let request = ExportMetricsServiceRequest::decode(requests[0].body_bytes.as_slice())
            .expect("an uncompressed ExportMetricsServiceRequest");
        let point = delta_point(metrics(&request)[0]);
        assert_eq!((point.count, point.sum), (3, Some(6.0)), "{flag:?} {env:?}");
    }
}

#[test]
fn histogram_summaries_send_a_line_protocol_twin_matching_the_histogram() {
    for (flag, env) in [(Some("--histogram-summaries"), None), (None, Some("true"))] {
        let dir = Workdir::new("otlp-summaries");
        dir.write("s.txt", "1\n7\n300\n0.5\n");
        let server = FakeDynatrace::accepting();
        let mut cli = keptn_env(dir.cli()).credentials(server.url(), TOKEN).args([
            "--histogram",
            "latency=s.txt",
            "--output",
            "json",
        ]);
        if let Some(flag) = flag {
            cli = cli.args([flag]);
        }
        if let Some(value) = env {
            cli = cli.env("DT_HISTOGRAM_SUMMARIES", value);
        }
        let out = cli.run();
        out.expect_code(0);

        let lines = server.requests_to(INGEST_PATH);
        assert_eq!(lines.len(), 1, "{flag:?} {env:?}");
        assert_eq!(
            lines[0].body,
            "keptn.latency,ci_platform=keptn,keptn_project=sockshop,keptn_stage=hardening,\
             keptn_service=carts,buildid=2024.11 gauge,min=0.5,max=300,sum=308.5,count=4\n"
        );
        let requests = otlp_requests(&server);
        assert_eq!(requests.len(), 1);
        let point = delta_point(metrics(&requests[0].1)[0]);
        assert_eq!(
            (point.count, point.sum, point.min, point.max),
            (4, Some(308.5), Some(0.5), Some(300.0))
        );
        let report = out.json();
        support::assert_buckets(&report);
        assert_eq!(report["lines"]["sent"], 1);
        assert_eq!(report["otlp"]["points_sent"], 1);
    }
}

#[test]
fn dry_run_prints_the_otlp_request_as_json_needs_no_credentials_and_sends_nothing() {
    let dir = Workdir::new("otlp-dry-run");
    dir.write("s.txt", "1\n7\n300\n");
    let server = FakeDynatrace::accepting();

    let out = dir
        .cli()
        .env("DT_TENANT", server.url())
        .env("DT_OTLP_URL", &format!("{}{OTLP_PATH}", server.url()))
        .args(["--dry-run", "--metric", "build_time=42"])
        .args(["--histogram", "latency=s.txt"])
        .run();

    out.expect_code(0);
    assert!(server.requests().is_empty());
    assert!(out
        .stdout
        .starts_with("keptn.build_time,ci_platform=keptn gauge,42\n"));
    // The lines, then each request as compact JSON on a line of its own.
    let printed: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(printed.len(), 2, "{}", out.stdout);
    let json_text = printed[1];
    let request: Json = serde_json::from_str(json_text).expect("one request, valid JSON");
    assert!(
        !json_text.contains("\"description\":\"\""),
        "no default fields"
    );
    assert!(json_text.contains("\"resourceMetrics\""));
    let metric = &request["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0];
    assert_eq!(metric["name"], "keptn.latency");
    // The crate's serde renders the enum as its number: DELTA is 1.
    assert_eq!(
        metric["histogram"]["aggregationTemporality"],
        AggregationTemporality::Delta as i32
    );
    assert_eq!(metric["histogram"]["dataPoints"][0]["sum"], 308.0);
    assert!(
        out.stderr
            .contains("dry run: 1 histogram point(s) would be sent over OTLP"),
        "{}",
        out.stderr
    );
}
