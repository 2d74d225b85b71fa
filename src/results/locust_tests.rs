use crate::results::testing::{fixture, read_at, read_fixture, read_text, settings, values};
use crate::results::{Format, Location};

#[test]
fn the_real_stats_file_with_failures_and_history_beside_it() {
    let path = fixture("locust/run_stats.csv");
    // The last Timestamp of run_stats_history.csv.
    let end_ms = 1_795_650_141_000;
    let sink = read_at(Location::File(path), b"", &settings(None), end_ms + 1_000).unwrap();
    assert!(sink.refusals.is_empty(), "{:?}", sink.refusals);
    let count = &sink.records[0];
    assert_eq!((count.format, count.read, count.used), ("locust", 8, 8));
    assert_eq!(
        values(&sink, "requests"),
        vec![
            "loadtest.requests,request=/,method=GET,tool=locust Count(47.0)",
            "loadtest.requests,request=/cart, items,method=GET,tool=locust Count(29.0)",
            "loadtest.requests,request=/checkout,method=POST,tool=locust Count(28.0)",
            "loadtest.requests,request=/health,method=GET,tool=locust Count(11.0)",
            "loadtest.requests,request=/items/[id],method=GET,tool=locust Count(30.0)",
            "loadtest.requests,request=/missing,method=GET,tool=locust Count(7.0)",
            "loadtest.requests,request=/slow,method=GET,tool=locust Count(15.0)",
            "loadtest.requests,request=_all,tool=locust Count(167.0)",
        ]
    );
    assert_eq!(
        values(&sink, "response_time_p90")[0],
        "loadtest.response_time_p90,request=/,method=GET,tool=locust Gauge(17.0)"
    );
    assert_eq!(
        values(&sink, "response_time").last().unwrap(),
        &format!(
            "loadtest.response_time,request=_all,tool=locust Summary {{ min: 2.523721000045498, \
             max: 152.16900000001488, sum: {:?}, count: 167 }}",
            26.513058347307698 * 167.0
        )
    );
    assert_eq!(
        values(&sink, "failures_by_reason"),
        vec![
            "loadtest.failures_by_reason,request=/health,method=GET,reason=CatchResponseError(\
             'body check failed: expected \"ok\", got \"nope\"'),tool=locust Count(5.0)",
            "loadtest.failures_by_reason,request=/missing,method=GET,reason=HTTPError('404 \
             Client Error: Not Found for url: /missing'),tool=locust Count(7.0)",
            "loadtest.failures_by_reason,request=/checkout,method=POST,reason=HTTPError('500 \
             Server Error: Internal Server Error for url: /checkout'),tool=locust Count(4.0)",
        ]
    );
    assert!(sink.metrics.iter().all(|m| m.timestamp == Some(end_ms)));
    assert!(sink.histograms.is_empty());
}

#[test]
fn from_stdin_without_the_files_beside_it() {
    let text = std::fs::read_to_string(fixture("locust/run_stats.csv")).unwrap();
    let sink = read_text(&text, None).unwrap();
    assert_eq!(sink.records[0].used, 8);
    assert!(values(&sink, "failures_by_reason").is_empty());
    assert!(sink.metrics.iter().all(|m| m.timestamp.is_none()));
}

#[test]
fn malformed_rows_are_refused_and_no_requests_send_counts_only() {
    let text = "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,\
                Min Response Time,Max Response Time,50%,90%\r\n\
                GET,/a,x,0,1,1,1,1,1,1\r\n\
                GET,/b,2,3,1,1,1,1,1,1\r\n\
                GET,/c,0,0,0,0,0,0,N/A,N/A\r\n\
                GET,/d,2,1,5,5.5,5,6,5,6,7\r\n\
                GET,/e,2,1,5,five,5,6,5,6\r\n\
                ,Aggregated,2,0,5,5.5,5,6,5,6\r\n";
    let sink = read_text(text, Some(Format::Locust)).unwrap();
    assert_eq!(
        sink.refusal_texts(),
        vec![
            "r:2 Request Count `x` is not a whole number",
            "r:3 Failure Count 3 is more than Request Count 2",
            "r:5 the row has 11 fields where the header names 10",
            "r:6 Average Response Time `five` is not a number of milliseconds",
        ]
    );
    assert_eq!(
        values(&sink, "requests"),
        vec![
            "loadtest.requests,request=/c,method=GET,tool=locust Count(0.0)",
            "loadtest.requests,request=_all,tool=locust Count(2.0)"
        ]
    );
    assert_eq!(values(&sink, "error_rate").len(), 1);
    assert_eq!(values(&sink, "response_time_p50").len(), 1);
}

#[test]
fn other_locust_files_say_which_to_give() {
    let error = read_fixture("locust/run_failures.csv")
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("give PREFIX_stats.csv"), "{error}");
    let error = read_fixture("locust/run_stats_history.csv")
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("give PREFIX_stats.csv"), "{error}");
}
