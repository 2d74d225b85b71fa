//! End to end, `--results` from tools that give their own percentiles (Locust's stats, k6's
//! summary): the example files in `examples/`, read by the real binary and sent to a fake
//! Dynatrace, to the exact lines it receives.

#[allow(dead_code)]
mod support;

#[path = "results/lines.rs"]
mod lines;

use lines::{described, example, label_lines};
use support::{keptn_env, FakeDynatrace, Workdir, INGEST_PATH, KEPTN_DIMS};

const TOKEN: &str = "dt0c01.RESULTSSECRETSECRET";

#[test]
fn locust_stats_with_failures_beside_under_the_integration_name() {
    let dir = Workdir::new("results-locust");
    dir.write("locust_stats.csv", &example("locust_stats.csv"))
        .write("locust_failures.csv", &example("locust_failures.csv"));
    let server = FakeDynatrace::accepting();

    let out = keptn_env(dir.cli())
        .credentials(server.url(), TOKEN)
        .env("INTEGRATION_NAME", "loadtest")
        .args(["--results", "locust_stats.csv", "--output", "json"])
        .run();

    out.expect_code(0);
    // The stats file lags the run: said once.
    let warnings = out.json()["lines"]["warnings"].clone();
    assert_eq!(warnings[0]["code"], "results_may_lag", "{warnings}");
    let warning = warnings[0]["warning"].as_str().unwrap();
    assert!(warning.contains("--json-file NAME"), "{warning}");
    let requests = server.requests_to(INGEST_PATH);
    let all_lines = requests[0].lines();
    // Locust's own rates and content size pass through.
    let aggregate = |key: &str| {
        all_lines
            .iter()
            .find(|l| l.starts_with(&format!("keptn.loadtest.{key},request=_all,")))
            .map(|l| l.rsplit_once(' ').unwrap().1.to_owned())
    };
    assert_eq!(
        aggregate("requests_per_second").as_deref(),
        Some("gauge,33.406491253464594")
    );
    assert_eq!(
        aggregate("failures_per_second").as_deref(),
        Some("gauge,3.200621916499602")
    );
    // Average Content Size x Request Count.
    assert_eq!(
        aggregate("bytes_received").as_deref(),
        Some("count,delta=7229")
    );
    let extra = [
        "requests_per_second",
        "failures_per_second",
        "bytes_received",
    ];
    let lines = all_lines
        .iter()
        .filter(|line| {
            let key = line
                .trim_start_matches('#')
                .split([',', ' '])
                .next()
                .unwrap();
            !extra.iter().any(|k| key == format!("keptn.loadtest.{k}"))
        })
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    let m = ",method=GET,tool=locust";
    let mut expected = label_lines(
        "/",
        m,
        [
            "count,delta=47",
            "count,delta=0",
            "gauge,0",
            "gauge,min=4.441349999979138,max=17.548789000045417,sum=530.1390879997143,count=47",
            "gauge,12",
            "gauge,17",
            "gauge,17",
            "gauge,18",
        ],
        true,
    );
    expected.extend(label_lines(
        "/cart\\,\\ items",
        m,
        [
            "count,delta=29",
            "count,delta=0",
            "gauge,0",
            "gauge,min=9.02361999999357,max=40.84788400001571,sum=681.2118620001684,count=29",
            "gauge,24",
            "gauge,37",
            "gauge,38",
            "gauge,41",
        ],
        false,
    ));
    assert!(lines.starts_with(&expected.join("\n")), "{lines}");
    let all = label_lines(
        "_all",
        ",tool=locust",
        [
            "count,delta=167",
            "count,delta=16",
            "gauge,0.09580838323353294",
            "gauge,min=2.523721000045498,max=152.16900000001488,sum=4427.680744000386,count=167",
            "gauge,16",
            "gauge,58",
            "gauge,82",
            "gauge,150",
        ],
        false,
    );
    let reasons = [
        described("failures_by_reason"),
        format!(
            "keptn.loadtest.failures_by_reason,request=/health,method=GET,reason=\
             CatchResponseError('body\\ check\\ failed:\\ expected\\ \\\"ok\\\"\\,\\ got\\ \
             \\\"nope\\\"'),tool=locust,{KEPTN_DIMS} count,delta=5"
        ),
        format!(
            "keptn.loadtest.failures_by_reason,request=/missing,method=GET,reason=\
             HTTPError('404\\ Client\\ Error:\\ Not\\ Found\\ for\\ url:\\ /missing'),\
             tool=locust,{KEPTN_DIMS} count,delta=7"
        ),
        format!(
            "keptn.loadtest.failures_by_reason,request=/checkout,method=POST,reason=\
             HTTPError('500\\ Server\\ Error:\\ Internal\\ Server\\ Error\\ for\\ url:\\ \
             /checkout'),tool=locust,{KEPTN_DIMS} count,delta=4"
        ),
    ];
    let tail = all
        .into_iter()
        .chain(reasons)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(lines.ends_with(&tail), "{lines}");
    assert_eq!(lines.lines().count(), 8 + 8 * 8 + 1 + 3);
    assert!(server.requests_to(support::OTLP_PATH).is_empty());
}

#[test]
fn a_k6_summary_passes_its_own_percentiles_through() {
    let dir = Workdir::new("results-k6-summary");
    dir.write("summary.json", &example("k6-summary.json"));
    let server = FakeDynatrace::accepting();

    let out = keptn_env(dir.cli())
        .credentials(server.url(), TOKEN)
        .args([
            "--results",
            "summary.json",
            "--results-format",
            "k6-summary",
        ])
        .run();

    out.expect_code(0);
    // serde_json reads 10.326813000000001 exactly with its `float_roundtrip` feature (which a
    // dev-dependency may turn on for test builds), else a unit in the last place lower.
    let p50 = |line: String| {
        line.replace("gauge,10.326813000000001", "gauge,P50")
            .replace("gauge,10.326813", "gauge,P50")
    };
    let data: Vec<String> = server.requests_to(INGEST_PATH)[0]
        .lines()
        .into_iter()
        .filter(|l| !l.starts_with('#'))
        .map(|l| p50(l.replace(&format!(",{KEPTN_DIMS}"), "")))
        .collect();
    assert_eq!(
        data[..10],
        vec![
            "keptn.loadtest.response_time_p50,request=GET\\ /cart,tool=k6 gauge,18.4570195",
            "keptn.loadtest.response_time_p90,request=GET\\ /cart,tool=k6 gauge,31.8816405",
            "keptn.loadtest.response_time_p95,request=GET\\ /cart,tool=k6 gauge,31.90061175",
            "keptn.loadtest.requests,request=_all,tool=k6 count,delta=26",
            "keptn.loadtest.failures,request=_all,tool=k6 count,delta=3",
            "keptn.loadtest.error_rate,request=_all,tool=k6 gauge,0.11538461538461539",
            "keptn.loadtest.response_time,request=_all,tool=k6 \
             gauge,min=1.992873,max=53.657395,sum=447.764596,count=26",
            // 10.326813000000001 in the file: see `p50` above.
            "keptn.loadtest.response_time_p50,request=_all,tool=k6 gauge,P50",
            "keptn.loadtest.response_time_p90,request=_all,tool=k6 gauge,44.939673",
            "keptn.loadtest.response_time_p95,request=_all,tool=k6 gauge,48.26421775",
        ]
    );
    // Then what k6 measured beyond requests: rates, bytes, checks, iterations, thresholds.
    assert_eq!(data.len(), 33, "{data:#?}");
    for line in [
        "keptn.loadtest.requests_per_second,request=_all,tool=k6 gauge,8.02475299753946",
        "keptn.loadtest.checks.pass_rate,check=_all,tool=k6 gauge,0.9444444444444444",
        "keptn.loadtest.thresholds.passed,metric=http_req_failed,threshold=rate<0.05,tool=k6 \
         gauge,0",
        "keptn.loadtest.iterations,tool=k6 count,delta=6",
    ] {
        assert!(data.contains(&line.to_owned()), "{line}");
    }
    assert!(server.requests_to(support::OTLP_PATH).is_empty());
}
