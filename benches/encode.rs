//! Throughput per stage: `cargo bench --bench encode`. Parsing alone (`parse_only`), the
//! normalisation rules (`metric_key`, `dimension_key`, `dimension_value`, `format_number`),
//! encoding alone (`encode_only`), both as one thread does them (`json_to_lines`), the hand-off
//! of metrics in chunks from the reading to the encoding thread (`handoff`), and the whole
//! streaming pipeline of a dry run (`pipeline_dry_run`: reader and encoder threads, the hand-off
//! of chunks and batches between them and the main thread).

use keptn_dt_metrics::encode::EncodeSettings;
use keptn_dt_metrics::encode::LineEncoder;
use keptn_dt_metrics::input::{read_all, Location, Sink, Source};
use keptn_dt_metrics::model::{Capped, Histogram, Metadata, Metric, Refusal};
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

/// Encodes each metric as it is read, as a run does.
struct Encode {
    encoder: LineEncoder,
    warnings: Capped<keptn_dt_metrics::model::Warning>,
    lines: usize,
}

impl Sink for Encode {
    fn metric(&mut self, metric: &Metric) {
        if let Ok(line) = self.encoder.metric(metric, 0, &mut self.warnings) {
            self.lines += divan::black_box(line).len();
        }
    }
    fn metadata(&mut self, _: &Metadata) {}
    fn histogram(&mut self, _: Histogram) {}
    fn refused(&mut self, _: Refusal) {}
    fn histogram_refused(&mut self, _: Refusal) {}
}

/// Keeps the metrics, to time the encoder alone.
#[derive(Default)]
struct Keep(Vec<Metric>);

impl Sink for Keep {
    fn metric(&mut self, metric: &Metric) {
        self.0.push(metric.clone());
    }
    fn metadata(&mut self, _: &Metadata) {}
    fn histogram(&mut self, _: Histogram) {}
    fn refused(&mut self, _: Refusal) {}
    fn histogram_refused(&mut self, _: Refusal) {}
}

fn read(text: &'static str, sink: &mut dyn Sink) {
    read_all(
        &[Source::Json(Location::Stdin)],
        Box::new(text.as_bytes()),
        sink,
    )
    .unwrap();
}

#[divan::bench(args = SIZES)]
fn json_to_lines(bencher: divan::Bencher, n: usize) {
    let text: &'static str = document(n).leak();
    let settings = settings();
    bencher
        .counter(divan::counter::ItemsCount::new(n))
        .bench(|| {
            let mut sink = Encode {
                encoder: LineEncoder::new(&settings),
                warnings: Capped::default(),
                lines: 0,
            };
            read(text, &mut sink);
            sink.lines
        });
}

/// Counts the metrics, to time the JSON reader alone.
#[derive(Default)]
struct Count(usize);

impl Sink for Count {
    fn metric(&mut self, metric: &Metric) {
        self.0 += divan::black_box(metric).dimensions.len() + 1;
    }
    fn metadata(&mut self, _: &Metadata) {}
    fn histogram(&mut self, _: Histogram) {}
    fn refused(&mut self, _: Refusal) {}
    fn histogram_refused(&mut self, _: Refusal) {}
}

#[divan::bench(args = SIZES)]
fn parse_only(bencher: divan::Bencher, n: usize) {
    let text: &'static str = document(n).leak();
    bencher
        .counter(divan::counter::ItemsCount::new(n))
        .bench(|| {
            let mut sink = Count::default();
            read(text, &mut sink);
            sink.0
        });
}

#[divan::bench(args = SIZES)]
fn pipeline_dry_run(bencher: divan::Bencher, n: usize) {
    use keptn_dt_metrics::cli::Cli;
    use keptn_dt_metrics::pipeline::{self, Io, SystemClock};
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    let text: &'static str = document(n).leak();
    let args = ["keptn-dt-metrics", "--dry-run", "-q", "--input", "-"];
    let args = args.iter().chain(["--no-metadata-enrichment"].iter());
    let args: Vec<std::ffi::OsString> = args.map(Into::into).collect();
    bencher
        .counter(divan::counter::ItemsCount::new(n))
        .bench(|| {
            let cli = Cli::parse_from(args.clone(), Default::default()).unwrap();
            let flag = || Arc::new(AtomicBool::new(false));
            pipeline::run(
                cli,
                Io {
                    stdin: Box::new(text.as_bytes()),
                    stdout: &mut std::io::sink(),
                    stderr: &mut std::io::sink(),
                    clock: &SystemClock,
                    stop: flag(),
                    hurry: flag(),
                    signalled: flag(),
                },
            )
        });
}

#[divan::bench(args = SIZES)]
fn encode_only(bencher: divan::Bencher, n: usize) {
    let mut kept = Keep::default();
    read(document(n).leak(), &mut kept);
    let settings = settings();
    bencher
        .counter(divan::counter::ItemsCount::new(n))
        .bench(|| {
            let mut encoder = LineEncoder::new(&settings);
            let mut warnings = Capped::default();
            kept.0
                .iter()
                .filter_map(|m| encoder.metric(m, 0, &mut warnings).ok())
                .count()
        });
}

#[divan::bench]
fn metric_key() -> Option<String> {
    normalize::classic_metric_key(divan::black_box("keptn.load test.Response-Time (p95)"))
}

#[divan::bench]
fn dimension_key() -> Option<String> {
    normalize::dimension_key(divan::black_box("Keptn.Project-Name"))
}

/// The hand-off between the reading and the encoding thread: each metric written into the
/// reader's reused one (as the JSON reader does), moved into a chunk, the chunk sent to a
/// thread that replays it into a sink and sends it back.
#[divan::bench(args = SIZES)]
fn handoff(bencher: divan::Bencher, n: usize) {
    use keptn_dt_metrics::pipeline::chunk::{Filler, CHUNKS};
    use std::sync::atomic::AtomicBool;
    use std::sync::{mpsc, Arc};

    let mut kept = Keep::default();
    read(document(n).leak(), &mut kept);
    bencher
        .counter(divan::counter::ItemsCount::new(n))
        .bench(|| {
            let (full, filled) = mpsc::sync_channel(CHUNKS);
            let (give_back, empty) = mpsc::channel();
            let stop = Arc::new(AtomicBool::new(false));
            let mut filler = Filler::new(full, empty, &give_back, stop);
            let encoder = std::thread::spawn(move || {
                let mut count = Count::default();
                while let Ok(mut chunk) = filled.recv() {
                    chunk.replay(&mut count);
                    let _ = give_back.send(chunk);
                }
                count.0
            });
            let mut metric = kept.0[0].clone();
            for read in &kept.0 {
                metric.clone_from(read);
                filler.metric_moved(&mut metric);
            }
            filler.finish();
            encoder.join().unwrap()
        });
}

#[divan::bench]
fn dimension_value() -> String {
    normalize::dimension_value(divan::black_box("GET /api/cart, \"v2\" = new"))
}

#[divan::bench]
fn format_number() -> Option<String> {
    normalize::format_number(divan::black_box(1234.5678))
}

/// 10,000 samples bucketed into one DELTA histogram request, protobuf-encoded.
#[divan::bench]
fn otlp_histogram_10k_samples(bencher: divan::Bencher) {
    use keptn_dt_metrics::histogram::Aggregator;
    use keptn_dt_metrics::model::Origin;
    use keptn_dt_metrics::otlp::{OtlpEncoder, Window};
    use prost::Message;

    let values: Vec<f64> = (0..10_000).map(|i| (i as f64 * 1.7) % 12_000.0).collect();
    let settings = settings();
    let window = Window {
        start_ns: 1,
        end_ns: 2,
    };
    bencher
        .counter(divan::counter::ItemsCount::new(10_000usize))
        .bench(|| {
            let mut aggregator = Aggregator::new(None).unwrap();
            for &value in &values {
                aggregator.record(value);
            }
            let histogram = Histogram {
                name: "response_time".into(),
                unit: Some("ms".into()),
                description: None,
                attributes: vec![("endpoint".into(), "/api/cart".into())],
                buckets: aggregator.finish().unwrap(),
                window: None,
                origin: Origin::whole("bench"),
            };
            let encoder = OtlpEncoder::new(&settings);
            let metric = encoder.metric(&histogram, window).unwrap();
            encoder.requests(vec![metric])[0].encode_to_vec()
        });
}
