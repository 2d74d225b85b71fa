//! Encoder throughput: `cargo bench --bench encode`.

use keptn_dt_metrics::config::EncodeSettings;
use keptn_dt_metrics::encode::Encoder;
use keptn_dt_metrics::input::read_json_document;
use keptn_dt_metrics::model::Inputs;
use keptn_dt_metrics::normalize;

fn main() {
    divan::main();
}

fn settings() -> EncodeSettings {
    EncodeSettings {
        key_prefix: "keptn.loadtest".into(),
        default_dimensions: vec![("team".into(), "checkout".into())],
        static_dimensions: vec![
            ("ci_platform".into(), "keptn".into()),
            ("keptn_project".into(), "sockshop".into()),
            ("keptn_stage".into(), "staging".into()),
            ("keptn_service".into(), "carts".into()),
        ],
        resource_attributes: vec![],
    }
}

/// The guide's list shape, `n` entries with two dimensions each.
fn document(n: usize) -> String {
    let entries: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"name": "response_time_{}", "value": {}.5, "dimensions": {{"endpoint": "/api/item/{i}", "method": "GET"}}}}"#,
                i % 50,
                i
            )
        })
        .collect();
    format!("[{}]", entries.join(","))
}

const SIZES: &[usize] = &[1, 1_000, 10_000];

#[divan::bench(args = SIZES)]
fn json_to_lines(bencher: divan::Bencher, n: usize) {
    let text = document(n);
    let settings = settings();
    bencher
        .counter(divan::counter::ItemsCount::new(n))
        .bench(|| {
            let mut inputs = Inputs::default();
            read_json_document("bench.json", &text, &mut inputs).unwrap();
            Encoder::new(&settings, 0).encode(&inputs)
        });
}

#[divan::bench(args = SIZES)]
fn encode_only(bencher: divan::Bencher, n: usize) {
    let mut inputs = Inputs::default();
    read_json_document("bench.json", &document(n), &mut inputs).unwrap();
    let settings = settings();
    bencher
        .counter(divan::counter::ItemsCount::new(n))
        .bench(|| Encoder::new(&settings, 0).encode(&inputs));
}

#[divan::bench]
fn metric_key() -> Option<String> {
    normalize::metric_key(divan::black_box("keptn.load test.Response-Time (p95)"))
}

#[divan::bench]
fn dimension_value() -> String {
    normalize::dimension_value(divan::black_box("GET /api/cart, \"v2\" = new"))
}

#[divan::bench]
fn format_number() -> Option<String> {
    normalize::format_number(divan::black_box(1234.5678))
}

/// 10,000 samples into one DELTA histogram request, protobuf-encoded and gzip-ready.
#[divan::bench]
fn otlp_histogram_10k_samples(bencher: divan::Bencher) {
    use keptn_dt_metrics::model::{Distribution, Histogram, Origin};
    use keptn_dt_metrics::otlp::{OtlpEncoder, Window};
    use prost::Message;

    let values: Vec<f64> = (0..10_000).map(|i| (i as f64 * 1.7) % 12_000.0).collect();
    let histograms = vec![Histogram {
        name: "response_time".into(),
        unit: Some("ms".into()),
        description: None,
        attributes: vec![("endpoint".into(), "/api/cart".into())],
        data: Distribution::Samples {
            bounds: None,
            values,
        },
        origin: Origin("bench".into()),
    }];
    let settings = settings();
    let window = Window {
        start_ns: 1,
        end_ns: 2,
    };
    bencher
        .counter(divan::counter::ItemsCount::new(10_000usize))
        .bench(|| {
            let encoded = OtlpEncoder::new(&settings, false).encode(&histograms, &[], window);
            encoded.requests[0].encode_to_vec()
        });
}
