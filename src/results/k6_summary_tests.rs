use crate::results::testing::{read_fixture, read_text, values};
use crate::results::Format;
use crate::sink::Collected;

fn shown(sink: &Collected) -> Vec<String> {
    sink.metrics
        .iter()
        .map(crate::results::testing::shown)
        .collect()
}

/// The real summaries (two runs of `script.js`): the same keys from either shape, each figure
/// what k6 computed (`handle-summary.json`'s own numbers here; `summary-export.json`'s against
/// k6's printed summary in tests/results_k6.rs).
#[test]
fn both_summary_shapes_give_the_same_keys_and_k6s_numbers() {
    let export = read_fixture("k6/summary-export.json").unwrap();
    let handle = read_fixture("k6/handle-summary.json").unwrap();
    let keys = |sink: &Collected| -> Vec<(String, Vec<(String, String)>)> {
        let mut keys: Vec<_> = sink
            .metrics
            .iter()
            .map(|m| (m.key.clone(), m.dimensions.clone()))
            .collect();
        keys.sort();
        keys
    };
    assert_eq!(keys(&export), keys(&handle));
    for sink in [&export, &handle] {
        assert!(sink.refusals.is_empty(), "{:?}", sink.refusals);
        let count = &sink.records[0];
        // 28 metrics: 9 built-in ones skipped (http_req_blocked, ..., the expected_response
        // submetric, group_duration, iteration_duration).
        assert_eq!(
            (count.format, count.read, count.used),
            ("k6-summary", 28, 19)
        );
        // POST /checkout has percentiles but no count; GET /never matched no request.
        assert_eq!(sink.warnings.len(), 1);
        assert!(sink.warnings[0].text.contains("`POST /checkout`"));
        assert!(shown(sink).iter().all(|m| !m.contains("GET /never,")));
        assert!(sink.histograms.is_empty());
        assert!(sink.metrics.iter().all(|m| m.timestamp.is_none()));
    }
    let figure = |key: &str| values(&handle, key);
    assert_eq!(
        figure("requests"),
        vec![
            "loadtest.requests,request=GET /cart,tool=k6 Count(22.0)",
            "loadtest.requests,request=_all,tool=k6 Count(92.0)"
        ]
    );
    assert_eq!(
        figure("failures"),
        vec!["loadtest.failures,request=_all,tool=k6 Count(12.0)"]
    );
    assert_eq!(
        figure("response_time_p95"),
        vec![
            "loadtest.response_time_p95,request=GET /cart,tool=k6 Gauge(81.56494324999998)",
            "loadtest.response_time_p95,request=POST /checkout,tool=k6 Gauge(99.37323430000001)",
            "loadtest.response_time_p95,request=_all,tool=k6 Gauge(85.54653045000002)"
        ]
    );
    assert_eq!(
        figure("response_time"),
        vec![
            format!(
                "loadtest.response_time,request=GET /cart,tool=k6 Summary {{ min: 48.28294, \
                 max: 83.291833, sum: {:?}, count: 22 }}",
                65.05362604545455 * 22.0
            ),
            format!(
                "loadtest.response_time,request=_all,tool=k6 Summary {{ min: 3.372394, \
                 max: 103.734884, sum: {:?}, count: 92 }}",
                49.48274934782608 * 92.0
            )
        ]
    );
    assert_eq!(
        figure("thresholds.passed")[6..8],
        [
            "loadtest.thresholds.passed,metric=http_req_duration{name:POST /checkout},\
             threshold=p(90)<5,tool=k6 Gauge(0.0)",
            "loadtest.thresholds.passed,metric=http_req_failed,threshold=rate<0.05,tool=k6 \
             Gauge(0.0)"
        ]
    );
    assert_eq!(figure("thresholds.passed").len(), 10);
    assert_eq!(
        figure("checks.passed"),
        vec![
            "loadtest.checks.passed,check=_all,tool=k6 Count(58.0)",
            "loadtest.checks.passed,check=cart has items,group=checkout,tool=k6 Count(22.0)",
            "loadtest.checks.passed,check=order accepted,group=checkout,tool=k6 Count(14.0)",
            "loadtest.checks.passed,check=status is 200,tool=k6 Count(22.0)"
        ]
    );
    assert_eq!(
        figure("k6.cart_latency.p50"),
        vec!["loadtest.k6.cart_latency.p50,tool=k6 Gauge(64.2478575)"]
    );
    assert_eq!(
        figure("k6.order_success.rate"),
        vec!["loadtest.k6.order_success.rate,tool=k6 Gauge(0.6363636363636364)"]
    );
    assert_eq!(
        figure("k6.orders_placed.count"),
        vec!["loadtest.k6.orders_placed.count,tool=k6 Count(14.0)"]
    );
    assert_eq!(
        figure("k6.cart_value.value"),
        vec!["loadtest.k6.cart_value.value,tool=k6 Gauge(85.0)"]
    );
    for (key, value) in [
        ("iterations", "Count(22.0)"),
        ("dropped_iterations", "Count(3.0)"),
        ("vus_max", "Gauge(2.0)"),
        ("requests_per_second", "Gauge(28.489265282620753)"),
        ("bytes_sent", "Count(8980.0)"),
        ("bytes_received", "Count(15376.0)"),
        ("users", "Gauge(2.0)"),
    ] {
        let sent = figure(key);
        assert!(
            sent.last().unwrap().ends_with(&format!("tool=k6 {value}")),
            "{sent:?}"
        );
    }
    // The handleSummary form says a metric's unit; the export does not.
    let unit = |sink: &Collected, key: &str| {
        sink.metadata
            .iter()
            .find(|m| m.key == key)
            .and_then(|m| m.unit.clone())
    };
    let latency = "loadtest.k6.cart_latency.avg";
    assert_eq!(unit(&handle, latency).as_deref(), Some("MilliSecond"));
    assert_eq!(unit(&export, latency), None);
}

#[test]
fn one_label_per_name_counted_from_the_trend_or_http_reqs_or_not_at_all() {
    let text = r#"{"metrics": {
        "http_req_duration{name:/b}": {"count": 3, "min": 1, "avg": 2, "max": 3, "med": 2},
        "http_reqs{method:GET,name:/a}": {"count": 4, "rate": 2},
        "http_req_duration{name:/a}": {"min": 1, "avg": 2, "max": 4, "med": 2},
        "http_req_duration{name:/empty}": {"count": 0, "min": 0, "avg": 0, "max": 0, "med": 0},
        "http_reqs{name:/none}": {"count": 0, "rate": 0},
        "http_req_duration{name:/none}": {"min": 0, "avg": 0, "max": 0, "med": 0},
        "http_req_duration{name:/guess}": {"min": 5, "avg": 5, "max": 5, "med": 5}
    }}"#;
    let sink = read_text(text, None).unwrap();
    assert_eq!(
        values(&sink, "requests"),
        vec![
            "loadtest.requests,request=/a,tool=k6 Count(4.0)",
            "loadtest.requests,request=/b,tool=k6 Count(3.0)"
        ]
    );
    assert_eq!(
        values(&sink, "response_time_p50"),
        vec![
            "loadtest.response_time_p50,request=/a,tool=k6 Gauge(2.0)",
            "loadtest.response_time_p50,request=/b,tool=k6 Gauge(2.0)",
            "loadtest.response_time_p50,request=/guess,tool=k6 Gauge(5.0)"
        ]
    );
    assert_eq!(values(&sink, "requests_per_second").len(), 1);
    assert_eq!(values(&sink, "response_time").len(), 2);
    let warnings: Vec<&str> = sink.warnings.iter().map(|w| w.text.as_str()).collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("requests `/guess` had"),
        "{warnings:?}"
    );
}

#[test]
fn per_label_submetrics_with_counts_and_what_is_refused() {
    let text = r#"{"metrics": {
        "http_reqs{name:/a,method:GET}": {"count": 4},
        "http_req_failed{method:GET,name:/a}": {"passes": 1, "fails": 3, "value": 0.25},
        "http_req_duration{method:GET,name:/a}": {"min": 1, "avg": 2, "max": 4, "p(99)": 3.9},
        "http_req_duration{status:200}": {"min": 1},
        "http_reqs": {"count": "many"},
        "http_req_failed": {"type": "rate", "values": {"rate": 0.25, "passes": 1, "fails": 3}},
        "http_req_duration": {"values": {"min": 1, "avg": "fast"}}
    }}"#;
    let sink = read_text(text, None).unwrap();
    assert_eq!(
        sink.refusal_texts(),
        vec![
            "r $.metrics[\"http_reqs\"] `count` \"many\" is not a number",
            "r $.metrics[\"http_req_duration\"] `avg` \"fast\" is not a number of milliseconds",
        ]
    );
    let count = &sink.records[0];
    assert_eq!((count.read, count.used, count.refused), (7, 4, 2));
    assert_eq!(
        values(&sink, "requests"),
        vec![
            "loadtest.requests,request=/a,tool=k6 Count(4.0)",
            // From http_req_failed's passes and fails, as http_reqs was refused.
            "loadtest.requests,request=_all,tool=k6 Count(4.0)"
        ]
    );
    assert_eq!(
        values(&sink, "response_time"),
        vec![
            "loadtest.response_time,request=/a,tool=k6 \
             Summary { min: 1.0, max: 4.0, sum: 8.0, count: 4 }"
        ]
    );
    assert_eq!(values(&sink, "response_time_p99").len(), 1);
}

#[test]
fn what_is_not_a_summary_stops_with_its_place() {
    let sink = read_text("{\"metrics\": {\"http_reqs\": {\"count\": 1}", None).unwrap();
    assert!(
        sink.refusal_texts()[0].starts_with("r:1 r stops here: it is not a k6 summary"),
        "{:?}",
        sink.refusal_texts()
    );
    assert!(sink.metrics.is_empty());
    let no_metrics = read_text("{\"root_group\": {}}", Some(Format::K6Summary)).unwrap();
    assert!(no_metrics.refusal_texts()[0].contains("no `metrics` object"));
}

#[test]
fn both_summary_shapes_say_which_thresholds_failed_for_the_event() {
    // Two runs of script.js (see make.sh): figures from each file, as k6 printed them for the
    // first (stdout.txt: p(95)=95.77ms); ten thresholds, two of them crossed.
    let runs = [
        ("k6/summary-export.json", 11, 95.77844189999999),
        ("k6/handle-summary.json", 12, 85.54653045000002),
    ];
    for (fixture, failures, p95) in runs {
        let sink = read_fixture(fixture).unwrap();
        let test = sink.records[0].test.clone().unwrap();
        assert_eq!(test.tool, "k6");
        assert_eq!((test.requests, test.failures), (Some(92), Some(failures)));
        assert_eq!(test.p95_ms, Some(p95));
        assert_eq!(
            test.thresholds,
            Some(crate::model::Thresholds {
                total: 10,
                failed: 2
            }),
            "{fixture}"
        );
        assert_eq!(test.window, None, "a summary has no time");
    }
}
