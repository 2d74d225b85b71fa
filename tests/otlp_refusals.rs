//! End to end, OTLP histograms refused: bad samples and inconsistent JSON histograms, each with
//! its place while the rest is sent; plus the DELTA guard through the library, which the CLI
//! cannot bypass.

#[allow(dead_code)]
mod support;

use std::time::Duration;

use opentelemetry_proto::tonic::metrics::v1::{metric, AggregationTemporality};
use support::otlp::{delta_point, metrics, otlp_requests};
use support::{FakeDynatrace, Workdir, OTLP_PATH};

const TOKEN: &str = "dt0c01.OTLPSECRETSECRET";

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
    support::assert_buckets(&report);
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
    support::assert_buckets(&report);
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
fn a_cumulative_histogram_never_leaves_the_library() {
    use keptn_dt_metrics::destination::{self, Destination};
    use keptn_dt_metrics::encode::EncodeSettings;
    use keptn_dt_metrics::model::{Buckets, Histogram, Origin};
    use keptn_dt_metrics::otlp::{OtlpEncoder, Window};
    use keptn_dt_metrics::secret::Secret;
    use keptn_dt_metrics::send::http::{self, Sender};
    use keptn_dt_metrics::send::pool::{Endpoints, Payload, Pool};
    use keptn_dt_metrics::send::retry::RetryPolicy;
    use std::sync::atomic::AtomicBool;
    use std::sync::{mpsc, Arc};

    let settings = EncodeSettings {
        key_prefix: "keptn".into(),
        ..EncodeSettings::default()
    };
    let histogram = Histogram {
        name: "latency".into(),
        unit: None,
        description: None,
        attributes: vec![],
        buckets: Buckets {
            bounds: vec![10.0],
            counts: vec![2, 0],
            count: 2,
            sum: 3.0,
            min: Some(1.0),
            max: Some(2.0),
        },
        window: None,
        origin: Origin::whole("test"),
    };
    let window = Window {
        start_ns: 1_000,
        end_ns: 2_000,
    };
    let encoder = OtlpEncoder::new(&settings);
    let mut requests = encoder.requests(vec![encoder.metric(&histogram, window).unwrap()]);
    assert_eq!(requests.len(), 1);
    let metric = &mut requests[0].resource_metrics[0].scope_metrics[0].metrics[0];
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
    let destination = Destination::resolve(destination::Request {
        otlp_url: Some(url.to_string()),
        token: Some(Secret::new(TOKEN.into())),
        gzip: true,
        timeout: Duration::from_secs(5),
        ..destination::Request::default()
    })
    .unwrap();
    let sender = Sender {
        client: http::client(&destination).unwrap(),
        token: destination.token.clone(),
        policy: RetryPolicy {
            retries: 0,
            budget: Duration::from_secs(10),
        },
        started: std::time::Instant::now(),
        stop: Arc::new(AtomicBool::new(false)),
        deadline: None,
        timeout: Duration::from_secs(5),
    };
    let endpoints = Endpoints {
        metrics: None,
        otlp: Some(url),
        gzip: destination.gzip,
    };
    let (answered, answers) = mpsc::channel();
    let pool = Pool::start(
        1,
        sender,
        endpoints,
        move |delivered| answered.send(delivered).unwrap(),
        |_| {},
    );
    pool.submit(Payload::from(requests.remove(0)));
    let delivered = answers.recv_timeout(Duration::from_secs(10)).unwrap();

    assert!(server.requests().is_empty(), "{:#?}", server.requests());
    assert_eq!(delivered.posted.attempts, 0);
    let failure = delivered.posted.answer.expect_err("a failure").text;
    assert!(failure.contains("DELTA"), "{failure}");
    assert!(failure.contains("keptn.latency"), "{failure}");
}
