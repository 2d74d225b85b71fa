//! Tenant URLs as people paste them: the new UI's `apps` host does not serve the token APIs,
//! so the run goes to the same environment's `live` host, and says so.

#[allow(dead_code)]
mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::mpsc;

use support::Workdir;

/// An HTTPS proxy on this machine that records where each CONNECT goes and refuses it, so
/// that the run reaches for the tenant's host without any network.
fn recording_proxy() -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (seen, targets) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_ok() {
                let _ = seen.send(request_line.trim().to_owned());
            }
            let _ = reader
                .get_mut()
                .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        }
    });
    (url, targets)
}

#[test]
fn an_apps_tenant_reaches_the_live_ingest_host_with_a_warning() {
    let (proxy, targets) = recording_proxy();
    let out = Workdir::new("tenant-apps")
        .cli()
        .credentials(
            "https://abc12345.apps.dynatrace.com/ui/apps/dynatrace.dashboards",
            "dt0c01.TENANTSECRET",
        )
        .env("HTTPS_PROXY", &proxy)
        .args(["-m", "x_metric=1", "--retries", "0", "-o", "json"])
        .run();
    out.expect_code(4);
    let report = out.json();
    assert_eq!(
        report["endpoint"],
        "https://abc12345.live.dynatrace.com/api/v2/metrics/ingest"
    );
    assert_eq!(
        targets.recv().unwrap(),
        "CONNECT abc12345.live.dynatrace.com:443 HTTP/1.1"
    );
    let codes: Vec<&str> = report["lines"]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["tenant_url_changed", "tenant_url_changed"]);
    assert!(
        out.stderr.contains(
            "keptn-dt-metrics: warning: DT_TENANT names abc12345.apps.dynatrace.com, the new \
             Dynatrace UI's host, which does not serve the token APIs: \
             abc12345.live.dynatrace.com is used instead"
        ),
        "{}",
        out.stderr
    );
}
