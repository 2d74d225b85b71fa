//! Load-test results throughput, in process: `cargo bench --bench results`. The whole-process
//! figures, next to a Python baseline, come from `bench/results.sh`.

use keptn_dt_metrics::input::{read_all, Location, Sink, Source};
use keptn_dt_metrics::model::{Histogram, Metadata, Metric, Refusal};
use keptn_dt_metrics::results::Settings;

fn main() {
    divan::main();
}

const ROWS: &[usize] = &[10_000, 100_000];
const LABELS: [&str; 10] = [
    "GET /",
    "GET /cart",
    "POST /cart",
    "GET /catalogue",
    "GET /catalogue/{id}",
    "POST /orders",
    "GET /orders",
    "\"GET /search, all\"",
    "PUT /cart/{id}",
    "DELETE /cart/{id}",
];

/// A JMeter 5 JTL (CSV, default columns) of `rows` samples over ten labels, 2 % failures.
fn jtl(rows: usize) -> String {
    let mut text = String::from(
        "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,\
         failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n",
    );
    for i in 0..rows {
        let (code, ok) = if i % 50 == 0 {
            (500, "false")
        } else {
            (200, "true")
        };
        text.push_str(&format!(
            "{},{},{},{code},OK,Shoppers 1-{},text,{ok},,1840,118,10,10,http://shop/,{},0,1\n",
            1_795_650_383_000u64 + i as u64 * 7,
            5 + (i * 7919) % 400,
            LABELS[i % LABELS.len()],
            i % 10,
            3 + i % 40,
        ));
    }
    text
}

/// k6 `--out json` lines: a duration point and a failed point per request.
fn k6_json(requests: usize) -> String {
    let mut text = String::new();
    for i in 0..requests {
        let time = format!(
            "2026-11-26T08:{:02}:{:02}.{:06}Z",
            (i / 60_000) % 60,
            (i / 1000) % 60,
            i % 1_000_000
        );
        let tags = format!(
            r#""tags":{{"method":"GET","name":"{}","status":"200"}}"#,
            LABELS[i % 7]
        );
        text.push_str(&format!(
            r#"{{"metric":"http_req_duration","type":"Point","data":{{"time":"{time}","value":{}.25,{tags}}}}}"#,
            5 + (i * 7919) % 400
        ));
        text.push('\n');
        text.push_str(&format!(
            r#"{{"metric":"http_req_failed","type":"Point","data":{{"time":"{time}","value":{},{tags}}}}}"#,
            u8::from(i % 50 == 0)
        ));
        text.push('\n');
    }
    text
}

#[derive(Default)]
struct Count(usize);

impl Sink for Count {
    fn metric(&mut self, metric: &Metric) {
        self.0 += divan::black_box(metric).dimensions.len();
    }
    fn metadata(&mut self, _: &Metadata) {}
    fn histogram(&mut self, histogram: Histogram) {
        self.0 += divan::black_box(histogram).attributes.len();
    }
    fn refused(&mut self, _: Refusal) {}
    fn histogram_refused(&mut self, _: Refusal) {}
}

fn read(text: &'static str) -> usize {
    let source = Source::Results {
        location: Location::Stdin,
        settings: Settings::new(None, None, &None),
    };
    let mut sink = Count::default();
    read_all(&[source], Box::new(text.as_bytes()), &mut sink).unwrap();
    sink.0
}

#[divan::bench(args = ROWS)]
fn jmeter_jtl(bencher: divan::Bencher, rows: usize) {
    let text: &'static str = jtl(rows).leak();
    bencher
        .counter(divan::counter::ItemsCount::new(rows))
        .bench(|| read(text));
}

#[divan::bench(args = ROWS)]
fn k6_json_output(bencher: divan::Bencher, requests: usize) {
    let text: &'static str = k6_json(requests).leak();
    bencher
        .counter(divan::counter::ItemsCount::new(requests))
        .bench(|| read(text));
}
