use super::*;
use crate::results::testing::{fixture, read_at, read_fixture, read_text, settings, values};
use crate::results::{Format, Location};

/// Per label of `results-2.13.jtl` (and of `results-5.x.jtl`, built from its samples): requests
/// and failures, as `bench/jtl_baseline.py` counts them.
const COUNTS_2_13: [(&str, u64, u64); 10] = [
    ("GET /", 15, 0),
    ("GET /cart, items", 29, 0),
    ("GET /items/[id]", 14, 0),
    ("POST /checkout", 13, 4),
    ("TX checkout flow", 13, 4),
    ("GET /missing", 12, 12),
    ("GET /health", 12, 4),
    ("GET /health (equals)", 12, 3),
    ("GET /slow", 12, 0),
    ("GET /down (refused)", 3, 3),
];

fn count_of(sink: &crate::sink::Collected, key: &str, request: &str) -> f64 {
    let wanted = format!(",request={request},tool=jmeter ");
    let line = values(sink, key)
        .into_iter()
        .find(|l| l.contains(&wanted))
        .unwrap_or_else(|| panic!("no {key} for {request}"));
    let number = line.rsplit_once('(').unwrap().1.trim_end_matches(')');
    number.parse().unwrap()
}

#[test]
fn real_jmeter_2_13_rows_with_quoted_commas_and_newlines() {
    for file in ["jmeter/results-2.13.jtl", "jmeter/results-5.x.jtl"] {
        let sink = read_fixture(file).unwrap();
        assert_eq!(sink.refusal_texts(), Vec::<String>::new(), "{file}");
        let count = &sink.records[0];
        assert_eq!(
            (count.format, count.read, count.used, count.refused),
            ("jmeter", 135, 135, 0)
        );
        for (label, requests, failures) in COUNTS_2_13 {
            assert_eq!(
                count_of(&sink, "requests", label),
                requests as f64,
                "{file} {label}"
            );
            assert_eq!(
                count_of(&sink, "failures", label),
                failures as f64,
                "{file} {label}"
            );
        }
        assert_eq!(count_of(&sink, "requests", "_all"), 135.0);
        assert_eq!(count_of(&sink, "failures", "_all"), 30.0);
        let all = values(&sink, "response_time");
        assert_eq!(
            all.last().unwrap(),
            "loadtest.response_time,request=_all,tool=jmeter \
             Summary { min: 1.0, max: 182.0, sum: 5209.0, count: 135 }"
        );
        assert_eq!(sink.histograms.len(), 11);
        assert_eq!(sink.histograms[10].buckets.count, 135);
    }
}

#[test]
fn tab_delimiter_and_extra_columns() {
    let tab = read_fixture("jmeter/results-2.13-tab.jtl").unwrap();
    assert!(tab.refusal_texts().is_empty(), "{:?}", tab.refusal_texts());
    assert_eq!((tab.records[0].read, tab.records[0].used), (126, 126));
    assert_eq!(count_of(&tab, "failures", "_all"), 33.0);
    // Unquoted with tabs: the label holds a comma.
    assert!(values(&tab, "requests")
        .iter()
        .any(|l| l.contains("request=GET /cart, items,")));
    let more = read_fixture("jmeter/results-2.13-more.jtl").unwrap();
    assert_eq!((more.records[0].used, more.refusals.len()), (129, 0));
    assert_eq!(count_of(&more, "failures", "TX checkout flow"), 5.0);
}

#[test]
fn a_custom_year_first_timestamp_format_gives_the_tests_time() {
    let path = fixture("jmeter/results-2.13-timestamp.jtl");
    // 2026/11/25 23:46:39.016 (first start) to 23:46:42.416 (last end), read as UTC.
    let (start_ms, end_ms): (u64, i64) = (1_795_650_399_016, 1_795_650_402_416);
    let sink = read_at(
        Location::File(path.clone()),
        b"",
        &settings(None),
        end_ms + 60_000,
    )
    .unwrap();
    assert_eq!(sink.records[0].used, 122);
    assert!(sink.warnings.is_empty(), "{:?}", sink.warnings);
    assert!(sink.metrics.iter().all(|m| m.timestamp == Some(end_ms)));
    let window = sink.histograms[0].window.unwrap();
    assert_eq!(window.start_ns, start_ms * 1_000_000);
    assert_eq!(window.end_ns, end_ms as u64 * 1_000_000);

    let late = read_at(
        Location::File(path),
        b"",
        &settings(None),
        end_ms + 2 * 3_600_000,
    )
    .unwrap();
    assert!(late.metrics.iter().all(|m| m.timestamp.is_none()));
    // The histograms keep the test's own 3.4 s, ending now.
    let now_ns = (end_ms as u64 + 2 * 3_600_000) * 1_000_000;
    for histogram in &late.histograms {
        let window = histogram.window.unwrap();
        assert_eq!(
            (window.start_ns, window.end_ns),
            (now_ns - 3_400_000_000, now_ns)
        );
    }
    let warning = &late.warnings[0];
    assert_eq!(warning.code, Code::TimestampOutOfWindow);
    assert!(
        warning.text.contains(
            "the test ended at 2026-11-25T23:46:42.416Z (the file's times have no zone and were \
             read as UTC)"
        ),
        "{}",
        warning.text
    );
    assert!(
        warning.text.contains("(now is 2026-11-26T01:46:42.416Z)"),
        "{}",
        warning.text
    );
    assert!(
        warning
            .text
            .contains("test's own duration (3s 400ms) ending now"),
        "{}",
        warning.text
    );
}

#[test]
fn epoch_milliseconds_end_at_the_last_samples_end() {
    let path = fixture("jmeter/results-2.13.jtl");
    let end_ms = 1_795_650_387_003;
    let sink = read_at(Location::File(path), b"", &settings(None), end_ms + 1).unwrap();
    assert!(sink.metrics.iter().all(|m| m.timestamp == Some(end_ms)));
    assert_eq!(
        sink.histograms[0].window.unwrap().start_ns,
        1_795_650_383_437 * 1_000_000
    );
}

#[test]
fn a_headless_jtl_with_a_default_column_set_is_read() {
    // JMeter 2.13's own defaults: no header row; the figures of its Aggregate Report.
    let sink = read_fixture("jmeter/results-2.13-defaults.jtl").unwrap();
    assert_eq!(sink.refusal_texts(), Vec::<String>::new());
    assert_eq!((sink.records[0].read, sink.records[0].used), (136, 136));
    assert_eq!(count_of(&sink, "requests", "_all"), 136.0);
    assert_eq!(count_of(&sink, "failures", "_all"), 24.0);
    // The 3.1+ default set, header row turned off: its first line is a sample too.
    let text = "1795650383438,85,GET /,200,OK,T 1-2,text,true,,167,113,2,2,http://h/,85,0,3\n\
                1795650383437,91,GET /,500,Err,T 1-1,text,false,\"x, y\",167,113,2,2,http://h/,80,0,4\n";
    let sink = read_text(text, None).unwrap();
    assert_eq!((sink.records[0].read, sink.refusals.len()), (2, 0));
    assert_eq!(count_of(&sink, "failures", "GET /"), 1.0);
    assert_eq!(count_of(&sink, "bytes_sent", "_all"), 226.0);
}

#[test]
fn headless_jtls_of_other_columns_are_refused_with_what_to_do() {
    let forced = read_text("1795650413678,36,GET /,200,true,7\n", Some(Format::Jmeter));
    let error = forced.err().unwrap().to_string();
    assert!(error.contains("print_field_names=true"), "{error}");
    assert!(error.contains("2.x: timeStamp,elapsed,label"), "{error}");
    let no_success = read_text("timeStamp,elapsed,label\n1,2,x\n", None);
    assert!(no_success
        .err()
        .unwrap()
        .to_string()
        .contains("success=true"));
}

#[test]
fn malformed_rows_are_refused_with_their_line_and_the_rest_is_read() {
    let text = "timeStamp;elapsed;label;success\n\
                1795650383438;85;GET /;true\n\
                1795650383500;abc;GET /;true\n\
                1795650383600;10;GET /;maybe\n\
                \n\
                1795650383700;10;GET /\n\
                later;10;GET /;true\n\
                \"1795650383800\";\"7\";\"GET /\";\"false\"\n";
    let sink = read_text(text, None).unwrap();
    assert_eq!(
        sink.refusal_texts(),
        vec![
            "r:3 elapsed `abc` is not a number of milliseconds (0 or more)",
            "r:4 success `maybe` is neither true nor false",
            "r:6 the row has 3 fields where the header names 4: every row must have the \
             header's columns",
            "r:7 timeStamp `later` is not epoch milliseconds, as the first row's is",
        ]
    );
    let count = &sink.records[0];
    assert_eq!((count.read, count.used, count.refused), (6, 2, 4));
    assert_eq!(
        values(&sink, "failures"),
        vec![
            "loadtest.failures,request=GET /,tool=jmeter Count(1.0)",
            "loadtest.failures,request=_all,tool=jmeter Count(1.0)"
        ]
    );
}

#[test]
fn unreadable_timestamps_leave_the_time_unknown_with_a_warning() {
    let text = "timeStamp,elapsed,label,success\n25.11.2026 23:46,5,a,true\n";
    let sink = read_text(text, None).unwrap();
    assert_eq!(sink.records[0].used, 1);
    assert!(sink.warnings[0].text.contains("neither epoch milliseconds"));
    assert!(sink.histograms.iter().all(|h| h.window.is_none()));
}

#[test]
fn a_header_only_file_sends_nothing() {
    let sink = read_text("timeStamp,elapsed,label,success\n", None).unwrap();
    assert!(sink.metrics.is_empty() && sink.histograms.is_empty());
    assert_eq!(sink.records[0].read, 0);
}

#[test]
fn the_mapping_for_one_label() {
    let text = "elapsed,label,success\n10,GET /,true\n30,GET /,false\n";
    let sink = read_text(text, None).unwrap();
    let lines: Vec<String> = sink
        .metrics
        .iter()
        .take(8)
        .map(crate::results::testing::shown)
        .collect();
    assert_eq!(
        lines,
        vec![
            "loadtest.requests,request=GET /,tool=jmeter Count(2.0)",
            "loadtest.failures,request=GET /,tool=jmeter Count(1.0)",
            "loadtest.error_rate,request=GET /,tool=jmeter Gauge(0.5)",
            "loadtest.response_time,request=GET /,tool=jmeter \
             Summary { min: 10.0, max: 30.0, sum: 40.0, count: 2 }",
            // The Aggregate Report's: ranks round(0.5 * 2) = 1 and round(0.9 * 2) = 2.
            "loadtest.response_time_p50,request=GET /,tool=jmeter Gauge(10.0)",
            "loadtest.response_time_p90,request=GET /,tool=jmeter Gauge(30.0)",
            "loadtest.response_time_p95,request=GET /,tool=jmeter Gauge(30.0)",
            "loadtest.response_time_p99,request=GET /,tool=jmeter Gauge(30.0)",
        ]
    );
    assert_eq!(sink.metadata.len(), 8);
    assert_eq!(sink.metadata[0].unit.as_deref(), Some("Count"));
    let histogram = &sink.histograms[0];
    assert_eq!(histogram.name, "loadtest.response_time_histogram");
    assert_eq!(histogram.buckets.counts[2..5], [1, 0, 1]);
    assert_eq!(histogram.unit.as_deref(), Some("ms"));
}
