use super::*;

#[test]
fn names_go_under_the_integration_or_else_under_loadtest() {
    let section = |integration: Option<&str>| {
        Settings::new(None, None, &integration.map(str::to_owned)).section
    };
    assert_eq!(section(None), Some("loadtest"));
    assert_eq!(section(Some("")), Some("loadtest"));
    assert_eq!(section(Some(".")), Some("loadtest"));
    assert_eq!(section(Some("loadtest")), None);
    assert_eq!(section(Some("perf")), None);
}

#[test]
fn no_input_makes_a_reader_panic() {
    let garbage = [
        "",
        "\n\n\n",
        "\u{feff}",
        "\"",
        "timeStamp,elapsed,label,success\n\"unterminated",
        "timeStamp,elapsed,label,success\n99999999999999999999,1e308,x,true\n-1,-1,,false\n",
        "elapsed,label,success\n1e309,x,true\nNaN,x,true\n",
        "Type,Name,Request Count,Failure Count\n,,,\nGET\n",
        "{\"metrics\": {\"http_reqs\": 5, \"http_req_duration\": []}}",
        "{\"metrics\": {\"http_reqs{\": {}, \"http_reqs{:}\": {\"count\": -1}}}",
        "{\"type\":\"Point\",\"metric\":\"http_req_duration\",\"data\":{\"time\":\"9999-12-31T23:59:59.999999999-23:59\",\"value\":1e308}}\n",
        "{\"type\":\"Point\",\"metric\":\"http_req_failed\",\"data\":null}\n{]\n",
    ];
    let gzip = std::fs::read(testing::fixture("k6/out.json.gz")).unwrap();
    let broken: [&[u8]; 3] = [
        b"\x1f\x8b\x08\x00garbage",
        &gzip[..200],
        b"a\xff,\xfe\n\xff",
    ];
    let formats = [None, Some(Format::Jmeter), Some(Format::Locust)]
        .into_iter()
        .chain([Some(Format::K6Summary), Some(Format::K6Json)]);
    for format in formats {
        let texts = garbage.iter().map(|t| t.as_bytes()).chain(broken);
        for text in texts {
            for now_ms in [0, i64::MAX / 4, 1_795_650_400_000] {
                let settings = testing::settings(format);
                let _ = testing::read_at(Location::Stdin, text, &settings, now_ms);
            }
        }
    }
}
