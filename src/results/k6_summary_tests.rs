use crate::results::testing::{read_fixture, read_text, values};
use crate::results::Format;

#[test]
fn both_summary_shapes_give_the_same_metrics() {
    let export = read_fixture("k6/summary-export.json").unwrap();
    let handle = read_fixture("k6/handle-summary.json").unwrap();
    for sink in [&export, &handle] {
        assert!(sink.refusals.is_empty(), "{:?}", sink.refusals);
        let count = &sink.records[0];
        assert_eq!(
            (count.format, count.read, count.used),
            ("k6-summary", 19, 4)
        );
        assert_eq!(
            values(sink, "requests"),
            vec!["loadtest.requests,request=_all,tool=k6 Count(26.0)"]
        );
        assert_eq!(
            values(sink, "failures"),
            vec!["loadtest.failures,request=_all,tool=k6 Count(3.0)"]
        );
        assert_eq!(
            values(sink, "error_rate"),
            vec![format!(
                "loadtest.error_rate,request=_all,tool=k6 Gauge({:?})",
                3.0 / 26.0
            )]
        );
        assert_eq!(
            values(sink, "response_time"),
            vec![format!(
                "loadtest.response_time,request=_all,tool=k6 Summary {{ min: 1.992873, max: \
                 53.657395, sum: {:?}, count: 26 }}",
                17.22171523076923 * 26.0
            )]
        );
        assert_eq!(
            values(sink, "response_time_p95"),
            vec![
                "loadtest.response_time_p95,request=GET /cart,tool=k6 Gauge(31.90061175)",
                "loadtest.response_time_p95,request=_all,tool=k6 Gauge(48.26421775)"
            ]
        );
        // JSON's 10.326813000000001: serde_json reads it exactly with its `float_roundtrip`
        // feature (which a dev-dependency may turn on), else within a unit in the last place.
        let p50 = values(sink, "response_time_p50")[1].clone();
        let p50: f64 = p50
            .strip_prefix("loadtest.response_time_p50,request=_all,tool=k6 Gauge(")
            .and_then(|v| v.strip_suffix(')'))
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            (p50 - 10.326813000000001).abs() <= 2.0 * f64::EPSILON * p50,
            "{p50}"
        );
        // k6 did not ask for p(99): not sent. A summary has no histogram and no time.
        assert!(values(sink, "response_time_p99").is_empty());
        assert!(sink.histograms.is_empty() && sink.warnings.is_empty());
        assert!(sink.metrics.iter().all(|m| m.timestamp.is_none()));
    }
    let shown = |sink: &crate::sink::Collected| -> Vec<String> {
        sink.metrics
            .iter()
            .map(crate::results::testing::shown)
            .collect()
    };
    assert_eq!(shown(&export), shown(&handle));
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
            "r $.metrics[\"http_reqs\"] `count` \"many\" is not a count",
            "r $.metrics[\"http_req_duration\"] `avg` \"fast\" is not a number of milliseconds",
        ]
    );
    let count = &sink.records[0];
    assert_eq!((count.read, count.used, count.refused), (7, 4, 2));
    assert_eq!(
        values(&sink, "requests"),
        vec![
            "loadtest.requests,request=/a,method=GET,tool=k6 Count(4.0)",
            // From http_req_failed's passes and fails, as http_reqs was refused.
            "loadtest.requests,request=_all,tool=k6 Count(4.0)"
        ]
    );
    assert_eq!(
        values(&sink, "response_time"),
        vec![
            "loadtest.response_time,request=/a,method=GET,tool=k6 \
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
    for fixture in ["k6/summary-export.json", "k6/handle-summary.json"] {
        let sink = read_fixture(fixture).unwrap();
        let test = sink.records[0].test.clone().unwrap();
        assert_eq!(test.tool, "k6");
        assert_eq!((test.requests, test.failures), (Some(26), Some(3)));
        assert_eq!(test.p95_ms, Some(48.26421775));
        // script.js has four thresholds; http_req_failed's rate<0.05 fails.
        assert_eq!(
            test.thresholds,
            Some(crate::model::Thresholds {
                total: 4,
                failed: 1
            }),
            "{fixture}"
        );
        assert_eq!(test.window, None, "a summary has no time");
    }
}
