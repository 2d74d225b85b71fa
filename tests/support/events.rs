//! The fake Dynatrace's answers to events, and the inputs the event tests share.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value as Json;

use super::{FakeDynatrace, Recorded, Reply, Workdir, OTLP_PATH};

pub const TOKEN: &str = "dt0c01.SECRETSECRETSECRET";
pub const EVENTS_PATH: &str = "/api/v2/events/ingest";
pub const SDLC_PATH: &str = "/platform/ingest/v1/events.sdlc";
pub const CREATED: &str =
    r#"{"reportCount":1,"eventIngestResults":[{"correlationId":"c0ffee","status":"OK"}]}"#;

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Answers metrics and OTLP as accepted, the events as `event` and `sdlc` say.
pub fn dynatrace(event: Reply, sdlc: Reply) -> FakeDynatrace {
    FakeDynatrace::start(move |request, _| {
        let path = request.path.as_str();
        if path.ends_with(EVENTS_PATH) {
            event.clone()
        } else if path.ends_with(SDLC_PATH) {
            sdlc.clone()
        } else if path.ends_with(OTLP_PATH) {
            Reply::otlp_ok()
        } else {
            Reply::accepted(request.lines().len())
        }
    })
}

pub fn body(request: &Recorded) -> Json {
    serde_json::from_str(&request.body).expect("a JSON body")
}

/// A JTL of a test that started two minutes ago: two samples, one failed; its window is the
/// first sample's start to the last one's end, in ms.
pub fn jtl(dir: &Workdir) -> (u64, u64) {
    let start = now_ms() - 120_000;
    dir.write(
        "results.jtl",
        &format!(
            "timeStamp,elapsed,label,success\n{start},100,a,true\n{},200,b,false\n",
            start + 30_000
        ),
    );
    (start, start + 30_200)
}

pub fn iso(ms: u64) -> String {
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(ms)).to_string()
}
