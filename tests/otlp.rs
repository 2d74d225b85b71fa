//! End-to-end tests of the OTLP histogram path: the real binary against a fake Dynatrace that
//! decodes what it is sent (gzip, binary protobuf `ExportMetricsServiceRequest`), the report
//! and the exit code; plus the DELTA guard through the library, which the CLI cannot bypass.

#[allow(dead_code)]
mod support;

use std::process::Command;
use std::time::Duration;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    metric, AggregationTemporality, HistogramDataPoint, Metric,
};
use prost::Message;
use serde_json::Value as Json;
use support::{FakeDynatrace, Recorded, Reply, Workdir, INGEST_PATH, OTLP_PATH};

const TOKEN: &str = "dt0c01.OTLPSECRETSECRET";

const DEFAULT_BOUNDS: [f64; 15] = [
    0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 2500.0, 5000.0, 7500.0,
    10000.0,
];

fn keptn_env(cli: support::Cli) -> support::Cli {
    cli.env("KEPTN_PROJECT", "sockshop")
        .env("KEPTN_STAGE", "hardening")
        .env("KEPTN_SERVICE", "carts")
        .env("LABELS_BUILDID", "2024.11")
}

/// Attributes as (key, string value) pairs, in order.
fn pairs(attributes: &[KeyValue]) -> Vec<(String, String)> {
    attributes
        .iter()
        .map(|kv| {
            let value = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(any_value::Value::StringValue(s)) => s.clone(),
                other => panic!("attribute `{}` is not a string: {other:?}", kv.key),
            };
            (kv.key.clone(), value)
        })
        .collect()
}

fn pair(key: &str, value: &str) -> (String, String) {
    (key.to_owned(), value.to_owned())
}

fn metrics(request: &ExportMetricsServiceRequest) -> Vec<&Metric> {
    request
        .resource_metrics
        .iter()
        .flat_map(|r| &r.scope_metrics)
        .flat_map(|s| &s.metrics)
        .collect()
}

/// The one data point of a histogram metric, asserting that it is DELTA.
fn delta_point(metric: &Metric) -> &HistogramDataPoint {
    let Some(metric::Data::Histogram(histogram)) = &metric.data else {
        panic!("`{}` is not a histogram: {:?}", metric.name, metric.data)
    };
    assert_eq!(
        histogram.aggregation_temporality,
        AggregationTemporality::Delta as i32,
        "`{}` must be DELTA",
        metric.name
    );
    assert_eq!(histogram.data_points.len(), 1, "{}", metric.name);
    &histogram.data_points[0]
}

/// The OTLP requests the server saw, decoded.
fn otlp_requests(server: &FakeDynatrace) -> Vec<(Recorded, ExportMetricsServiceRequest)> {
    server
        .requests_to(OTLP_PATH)
        .into_iter()
        .map(|r| {
            let decoded = r.otlp();
            (r, decoded)
        })
        .collect()
}

/// Bucket `i` holds `(bounds[i-1], bounds[i]]`; the first `(-inf, bounds[0]]`, the last
/// `(bounds[last], +inf)`.
fn expected_counts(bounds: &[f64], values: &[f64]) -> Vec<u64> {
    let mut counts = vec![0u64; bounds.len() + 1];
    for &v in values {
        let bucket = bounds.iter().position(|&b| v <= b).unwrap_or(bounds.len());
        counts[bucket] += 1;
    }
    counts
}

fn samples_file(values: &[f64]) -> String {
    values.iter().map(|v| format!("{v}\n")).collect()
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
    assert_eq!(report["otlp"]["points_sent"], 2);
    assert_eq!(report["otlp"]["rejected"], 0);
}

const PARTIAL_MESSAGE: &str = "1 data point of metric keptn.response_time was dropped: too old";

fn partial_success_run(output: &str) -> (support::Output, FakeDynatrace) {
    let dir = Workdir::new("otlp-partial");
    dir.write("a.txt", "1\n2\n").write("b.txt", "3\n");
    let server = FakeDynatrace::scripted(vec![Reply::otlp_partial(1, PARTIAL_MESSAGE)]);
    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args([
            "--histogram",
            "response_time=a.txt",
            "--histogram",
            "other=b.txt",
        ])
        .args(["--output", output])
        .run();
    (out, server)
}

#[test]
fn partial_success_is_reported_with_the_servers_message_and_exit_3() {
    let (out, server) = partial_success_run("json");
    out.expect_code(3);
    assert_eq!(
        server.requests().len(),
        1,
        "a partial success is not retried"
    );
    let report = out.json();
    assert_eq!(report["outcome"], "refused");
    assert_eq!(report["exit_code"], 3);
    assert_eq!(report["otlp"]["points_sent"], 2);
    assert_eq!(report["otlp"]["rejected"], 1);
    assert_eq!(report["otlp"]["message"], PARTIAL_MESSAGE);
    assert_eq!(report["otlp"]["failure"], Json::Null);
}

#[test]
fn partial_success_text_report_says_what_was_rejected_and_why() {
    let (out, server) = partial_success_run("text");
    out.expect_code(3);
    assert!(
        out.stdout.contains(&format!(
            "OTLP: 2 of 2 histogram point(s) sent in 1 request(s) to {}{OTLP_PATH}: 1 rejected",
            server.url()
        )),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains(&format!("OTLP rejected: {PARTIAL_MESSAGE}")),
        "{}",
        out.stdout
    );
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

/// `google.rpc.Status`, the body OTLP/HTTP servers answer failures with.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

fn one_histogram_against(server: &FakeDynatrace, name: &str) -> support::Output {
    let dir = Workdir::new(name);
    dir.write("s.txt", "1\n2\n3\n");
    dir.cli()
        .credentials(server.url(), TOKEN)
        .args(["--histogram", "latency=s.txt", "--output", "json"])
        .run()
}

#[test]
fn a_400_rejects_every_point_of_the_request_with_the_servers_reason() {
    let status = RpcStatus {
        code: 3,
        message: "histogram bucket counts do not add up".into(),
    };
    let server = FakeDynatrace::scripted(vec![Reply::protobuf(400, &status)]);
    let out = one_histogram_against(&server, "otlp-400");
    out.expect_code(3);
    assert_eq!(server.requests().len(), 1, "a 400 is not retried");
    let report = out.json();
    assert_eq!(report["otlp"]["points_sent"], 1);
    assert_eq!(report["otlp"]["rejected"], 1);
    let message = report["otlp"]["message"].as_str().expect("a message");
    assert!(message.contains("400"), "{message}");
    assert!(
        message.contains("histogram bucket counts do not add up"),
        "{message}"
    );
    assert_eq!(report["otlp"]["failure"], Json::Null);
}

#[test]
fn auth_and_content_type_errors_fail_delivery_with_a_hint_and_are_not_retried() {
    for (status, hint) in [
        (401, "DT_API_TOKEN"),
        (403, "metrics.ingest"),
        (415, "binary protobuf"),
    ] {
        let server = FakeDynatrace::scripted(vec![Reply::json(
            status,
            r#"{"error":{"code":0,"message":"no"}}"#,
        )]);
        let out = one_histogram_against(&server, "otlp-auth");
        out.expect_code(4);
        assert_eq!(server.requests().len(), 1, "{status} is not retried");
        let report = out.json();
        assert_eq!(report["outcome"], "delivery_failed", "{status}");
        let failure = report["otlp"]["failure"].as_str().expect("a failure");
        assert!(failure.contains(&status.to_string()), "{status}: {failure}");
        assert!(failure.contains(hint), "{status}: {failure}");
        assert!(!failure.contains(TOKEN), "{failure}");
        assert_eq!(report["otlp"]["points_sent"], 0, "{status}");
        assert_eq!(report["otlp"]["unsent"], 1, "{status}");
    }
}

#[test]
fn unavailable_server_is_retried_after_retry_after_and_then_accepts() {
    let server = FakeDynatrace::scripted(vec![
        Reply::json(503, r#"{"error":{"code":503,"message":"ingest paused"}}"#)
            .with_header("Retry-After", "0"),
        Reply::otlp_ok(),
    ]);
    let out = one_histogram_against(&server, "otlp-503");
    out.expect_code(0);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0].body_bytes, requests[1].body_bytes,
        "the retry resends"
    );
    assert_eq!(requests[1].otlp(), requests[0].otlp());
    let report = out.json();
    assert_eq!(report["otlp"]["requests"], 2);
    assert_eq!(report["otlp"]["points_sent"], 1);
    assert_eq!(report["otlp"]["failure"], Json::Null);
}

#[test]
fn bad_sample_lines_are_refused_with_their_place_and_the_rest_sent() {
    let dir = Workdir::new("otlp-bad-samples");
    dir.write("samples.txt", "1\nabc\n2.5\nNaN\n\ninf\n3\n");
    let server = FakeDynatrace::accepting();

    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["--histogram", "latency=samples.txt", "--output", "json"])
        .run();

    out.expect_code(3);
    let requests = otlp_requests(&server);
    assert_eq!(requests.len(), 1);
    let point = delta_point(metrics(&requests[0].1)[0]);
    assert_eq!(
        (point.count, point.sum, point.min, point.max),
        (3, Some(6.5), Some(1.0), Some(3.0))
    );
    let report = out.json();
    assert_eq!(report["outcome"], "refused");
    assert_eq!(report["otlp"]["points_sent"], 1);
    assert_eq!(report["otlp"]["refused_locally"], 3);
    let refused: Vec<(&str, &str)> = report["otlp"]["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["input"].as_str().unwrap(), r["error"].as_str().unwrap()))
        .collect();
    let places: Vec<&str> = refused.iter().map(|(input, _)| *input).collect();
    assert_eq!(places, ["samples.txt:2", "samples.txt:4", "samples.txt:6"]);
    for ((_, error), sample) in refused.iter().zip(["abc", "NaN", "inf"]) {
        assert!(error.contains(&format!("`{sample}`")), "{error}");
        assert!(error.contains("not a finite number"), "{error}");
    }
}

#[test]
fn inconsistent_json_histograms_are_refused_and_not_sent() {
    let dir = Workdir::new("otlp-bad-json");
    dir.write(
        "h.json",
        r#"{"histograms": [
              {"name": "descending", "bounds": [10, 5], "counts": [1, 1, 1], "sum": 20},
              {"name": "short", "bounds": [10, 100], "counts": [1, 1], "sum": 20},
              {"name": "good", "bounds": [10], "counts": [1, 1], "sum": 20}
            ]}"#,
    );
    let server = FakeDynatrace::accepting();

    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["--input", "h.json", "--output", "json"])
        .run();

    out.expect_code(3);
    let requests = otlp_requests(&server);
    assert_eq!(requests.len(), 1);
    let names: Vec<&str> = metrics(&requests[0].1)
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(names, ["keptn.good"]);
    let report = out.json();
    assert_eq!(report["otlp"]["points"], 1);
    assert_eq!(report["otlp"]["refused_locally"], 2);
    let refused = report["otlp"]["refused"].as_array().unwrap();
    assert_eq!(refused[0]["input"], "h.json $.histograms[0]");
    let error = refused[0]["error"].as_str().unwrap();
    assert!(error.contains("strictly ascending"), "{error}");
    assert_eq!(refused[1]["input"], "h.json $.histograms[1]");
    let error = refused[1]["error"].as_str().unwrap();
    assert!(error.contains("one more count than bounds"), "{error}");
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
    let start = out
        .stdout
        .lines()
        .position(|l| l.starts_with('{'))
        .expect("a JSON request after the lines");
    let json_text: String = out
        .stdout
        .lines()
        .skip(start)
        .collect::<Vec<_>>()
        .join("\n");
    let request: Json = serde_json::Deserializer::from_str(&json_text)
        .into_iter::<Json>()
        .next()
        .expect("one JSON value")
        .expect("valid JSON");
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

#[test]
fn a_cumulative_histogram_never_leaves_the_library() {
    use keptn_dt_metrics::config::{Destination, EncodeSettings};
    use keptn_dt_metrics::model::{Distribution, Histogram, Origin};
    use keptn_dt_metrics::otlp::{OtlpEncoder, Window};
    use keptn_dt_metrics::secret::Secret;
    use keptn_dt_metrics::send;

    let settings = EncodeSettings {
        key_prefix: "keptn".into(),
        ..EncodeSettings::default()
    };
    let histogram = Histogram {
        name: "latency".into(),
        unit: None,
        description: None,
        attributes: vec![],
        data: Distribution::Samples {
            bounds: None,
            values: vec![1.0, 2.0],
        },
        origin: Origin("test".into()),
    };
    let window = Window {
        start_ns: 1_000,
        end_ns: 2_000,
    };
    let mut encoded = OtlpEncoder::new(&settings, false).encode(&[histogram], &[], window);
    assert_eq!(encoded.requests.len(), 1);
    let metric = &mut encoded.requests[0].resource_metrics[0].scope_metrics[0].metrics[0];
    let Some(metric::Data::Histogram(h)) = &mut metric.data else {
        panic!("not a histogram")
    };
    assert_eq!(
        h.aggregation_temporality,
        AggregationTemporality::Delta as i32
    );
    h.aggregation_temporality = AggregationTemporality::Cumulative as i32;

    let server = FakeDynatrace::accepting();
    let url: reqwest::Url = format!("{}{OTLP_PATH}", server.url()).parse().unwrap();
    let destination = Destination {
        metrics_url: None,
        otlp_url: Some(url.clone()),
        gzip: true,
        token: Some(Secret::new(TOKEN.into())),
        timeout: Duration::from_secs(5),
        retries: 0,
        insecure_tls: false,
        ca_bundle: None,
    };
    let client = send::client(&destination).unwrap();
    let delivery = send::send_otlp(&client, &destination, &url, &encoded.requests);

    assert!(server.requests().is_empty(), "{:#?}", server.requests());
    assert_eq!((delivery.requests, delivery.points_sent), (0, 0));
    assert_eq!(delivery.unsent_points, 1);
    let failure = delivery.failure.expect("a failure");
    assert!(failure.contains("DELTA"), "{failure}");
    assert!(failure.contains("keptn.latency"), "{failure}");
}

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
fn a_200_that_is_not_an_otlp_answer_is_a_delivery_failure() {
    let server = FakeDynatrace::scripted(vec![Reply {
        status: 200,
        body: b"<html><body>Please log in</body></html>".to_vec(),
        headers: vec![("Content-Type".into(), "text/html".into())],
    }]);
    let out = one_histogram_against(&server, "otlp-html");
    out.expect_code(4);
    let report = out.json();
    assert_eq!(report["otlp"]["points_sent"], 0);
    assert_eq!(report["otlp"]["unsent"], 1);
    assert!(report["otlp"]["failure"]
        .as_str()
        .unwrap()
        .contains("not as Dynatrace's API"));
}

#[test]
fn a_partial_success_without_rejections_is_a_warning() {
    let server = FakeDynatrace::scripted(vec![Reply::otlp_partial(0, "attribute x was truncated")]);
    let dir = Workdir::new("otlp-warning");
    dir.write("s.txt", "1\n");
    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .args(["--histogram", "latency=s.txt"])
        .run();
    out.expect_code(0);
    assert!(
        out.stdout
            .contains("OTLP warning: attribute x was truncated"),
        "{}",
        out.stdout
    );
}
