//! The mapping, the same for every tool: a label's numbers (however the tool gave them) become
//! the metrics `requests`, `failures`, `error_rate`, `response_time` and its percentiles, and,
//! from raw samples, the histogram `response_time_histogram`; all with the dimensions `request`
//! (the label, or `_all`), `method` when the tool gives one, and `tool`.

use std::sync::Arc;

use super::extras::More;
use super::figures::Figure;
use super::keys::{self, Key, KEYS};
use super::labels::{Label, ALL};
use super::{window, Job};
use crate::model::{
    Buckets, Code, Histogram, Metadata, Metric, Origin, Position, TestSummary, Thresholds, Value,
    Warning, Window,
};

/// Response times in milliseconds, as every tool writes them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub min: f64,
    pub max: f64,
    pub sum: f64,
    pub count: u64,
}

impl Spread {
    /// As a summary line's value.
    pub fn value(self) -> Value {
        Value::Summary {
            min: self.min,
            max: self.max,
            sum: self.sum,
            count: self.count,
        }
    }
}

/// The percentiles sent, and the quantile each stands for.
pub const PERCENTILES: [(&str, f64); 4] =
    [("p50", 0.5), ("p90", 0.9), ("p95", 0.95), ("p99", 0.99)];

/// What one label's results say; `None` where the tool's data does not say it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestStats {
    pub requests: Option<u64>,
    pub failures: Option<u64>,
    pub response_time: Option<Spread>,
    /// In the order of [`PERCENTILES`].
    pub percentiles: [Option<f64>; 4],
    pub histogram: Option<Buckets>,
    /// Rates, bytes, latency, users, response codes: where the tool's data has them.
    pub more: More,
}

impl RequestStats {
    /// Adds `other`'s counts and spread to these; percentiles cannot be added, so they go.
    pub fn merge(&mut self, other: &RequestStats) {
        let add = |a: Option<u64>, b: Option<u64>| Some(a.unwrap_or(0) + b?);
        self.requests = add(self.requests, other.requests);
        self.failures = add(self.failures, other.failures);
        self.response_time = match (self.response_time, other.response_time) {
            (Some(a), Some(b)) => Some(Spread {
                min: a.min.min(b.min),
                max: a.max.max(b.max),
                sum: a.sum + b.sum,
                count: a.count + b.count,
            }),
            (a, b) => a.or(b),
        };
        self.percentiles = [None; 4];
        self.histogram = None;
        self.more.merge(&other.more);
    }
}

/// When the test ran, as far as its data says: first sample start to last sample end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestTime {
    pub start_ns: i64,
    pub end_ns: i64,
    /// False when the file's times had no zone and were read as UTC.
    pub zoned: bool,
}

/// One input's results: its labels in the order first seen, the aggregate over all of them,
/// the time the test ran, what to warn of labels folded into `_other`, and the figures of the
/// run beyond requests (k6's checks, thresholds, own metrics).
#[derive(Debug, Default)]
pub struct Results {
    pub labels: Vec<(Label, RequestStats)>,
    pub all: Option<RequestStats>,
    pub time: Option<TestTime>,
    pub folded: Option<String>,
    /// The pass/fail criteria the tool evaluated, where its results say (k6's thresholds).
    pub thresholds: Option<Thresholds>,
    pub figures: Vec<Figure>,
}

/// Sends `results`: each label, then the aggregate; the emitter can send more of the input.
pub fn send(job: &mut Job, results: Results) -> Emitter {
    if let Some(text) = results.folded {
        job.sink.warning(Warning {
            origin: Origin::whole(Arc::clone(job.name)),
            code: Code::LabelsFolded,
            text,
        });
    }
    let mut emitter = Emitter::new(job, results.time);
    let whole = results.all.as_ref().or(match results.labels.as_slice() {
        [(_, only)] => Some(only),
        _ => None,
    });
    job.count.test = Some(TestSummary {
        tool: job.tool,
        window: emitter.window,
        requests: whole.and_then(|w| w.requests),
        failures: whole.and_then(|w| w.failures),
        p95_ms: whole.and_then(|w| w.percentiles[2]),
        thresholds: results.thresholds,
    });
    for (label, stats) in results.labels {
        emitter.label(job, Some(&label), stats);
    }
    if let Some(all) = results.all {
        emitter.label(job, None, all);
    }
    let mut figures = results.figures;
    // The same order whatever order the file gave them in.
    figures.sort_by(|a, b| (&a.name, &a.dimensions).cmp(&(&b.name, &b.dimensions)));
    for figure in figures {
        emitter.figure(job, figure);
    }
    emitter
}

/// Sends one input's labels as metrics, all with the same timestamp and histogram window.
pub struct Emitter {
    keys: Vec<String>,
    section: Option<&'static str>,
    /// The keys beyond [`KEYS`] whose metadata line was sent.
    described_more: Vec<String>,
    timestamp: Option<i64>,
    window: Option<Window>,
    described: [bool; 10],
}

impl Emitter {
    /// Decides the timestamp: the test's end when Dynatrace accepts it, else none (the send
    /// time), with a warning; histograms get the test's window in the first case.
    pub fn new(job: &mut Job, time: Option<TestTime>) -> Emitter {
        let keys = KEYS
            .iter()
            .map(|(name, ..)| match job.settings.section {
                Some(section) => format!("{section}.{name}"),
                None => (*name).to_owned(),
            })
            .collect();
        let mut emitter = Emitter {
            keys,
            section: job.settings.section,
            described_more: Vec::new(),
            timestamp: None,
            window: None,
            described: [false; 10],
        };
        (emitter.timestamp, emitter.window) = window::decide(job, time);
        emitter
    }

    /// Sends the metrics of `label` (`None`: the aggregate, `_all`).
    pub fn label(&mut self, job: &mut Job, label: Option<&Label>, stats: RequestStats) {
        let name = label.map_or(ALL, |l| l.name.as_str());
        let method = label.and_then(|l| l.method.as_deref());
        let mut dimensions = vec![("request".to_owned(), name.to_owned())];
        if let Some(method) = method {
            dimensions.push(("method".to_owned(), method.to_owned()));
        }
        dimensions.push(("tool".to_owned(), job.tool.to_owned()));
        let place = match method {
            Some(method) => format!("request={name} method={method}"),
            None => format!("request={name}"),
        };
        let origin = Origin::new(job.name, Position::Path(Arc::from(place)));
        let mut send = |key: usize, value: Value| {
            self.metric(job, key, &dimensions, value, &origin);
        };
        if let Some(requests) = stats.requests {
            send(keys::REQUESTS, Value::Count(requests as f64));
        }
        if let Some(failures) = stats.failures {
            send(keys::FAILURES, Value::Count(failures as f64));
        }
        if let (Some(requests @ 1..), Some(failures)) = (stats.requests, stats.failures) {
            send(
                keys::ERROR_RATE,
                Value::Gauge(failures as f64 / requests as f64),
            );
        }
        if let Some(spread) = stats.response_time.filter(|s| s.count > 0) {
            let Spread {
                min,
                max,
                sum,
                count,
            } = spread;
            send(
                keys::RESPONSE_TIME,
                Value::Summary {
                    min,
                    max,
                    sum,
                    count,
                },
            );
        }
        for (i, percentile) in stats.percentiles.iter().enumerate() {
            if let Some(value) = percentile {
                send(keys::FIRST_PERCENTILE + i, Value::Gauge(*value));
            }
        }
        self.more(job, &dimensions, &origin, &stats.more);
        if let Some(buckets) = stats.histogram {
            job.sink.histogram(Histogram {
                name: self.keys[keys::HISTOGRAM].clone(),
                unit: Some("ms".to_owned()),
                description: Some(KEYS[keys::HISTOGRAM].3.to_owned()),
                attributes: dimensions,
                buckets,
                window: self.window,
                origin,
            });
        }
    }

    /// Sends how often requests of `request` failed for `reason` (Locust's failures file).
    pub fn reason(
        &mut self,
        job: &mut Job,
        request: &str,
        method: Option<&str>,
        reason: &str,
        occurrences: u64,
    ) {
        let mut dimensions = vec![("request".to_owned(), request.to_owned())];
        if let Some(method) = method {
            dimensions.push(("method".to_owned(), method.to_owned()));
        }
        dimensions.push(("reason".to_owned(), reason.to_owned()));
        dimensions.push(("tool".to_owned(), job.tool.to_owned()));
        let place = format!("request={request} reason={reason}");
        let origin = Origin::new(job.name, Position::Path(Arc::from(place)));
        let value = Value::Count(occurrences as f64);
        self.metric(job, keys::FAILURE_REASONS, &dimensions, value, &origin);
    }

    /// Sends what the label's results say beyond counts and response times.
    fn more(
        &mut self,
        job: &mut Job,
        dimensions: &[(String, String)],
        origin: &Origin,
        more: &More,
    ) {
        let gauges = [
            (
                &keys::REQUESTS_PER_SECOND,
                more.requests_per_second.map(Value::Gauge),
            ),
            (
                &keys::FAILURES_PER_SECOND,
                more.failures_per_second.map(Value::Gauge),
            ),
            (&keys::BYTES_RECEIVED, more.bytes_received.map(Value::Count)),
            (&keys::BYTES_SENT, more.bytes_sent.map(Value::Count)),
            (&keys::LATENCY, more.latency.map(Spread::value)),
            (&keys::CONNECT_TIME, more.connect_time.map(Spread::value)),
            (&keys::USERS, more.users.map(Value::Gauge)),
        ];
        for (key, value) in gauges {
            if let Some(value) = value {
                self.more_metric(job, key, dimensions.to_vec(), value, origin);
            }
        }
        for (code, count) in &more.codes {
            let mut dimensions = dimensions.to_vec();
            dimensions.insert(dimensions.len() - 1, ("code".to_owned(), code.clone()));
            let value = Value::Count(*count as f64);
            self.more_metric(job, &keys::REQUESTS_BY_CODE, dimensions, value, origin);
        }
    }

    fn more_metric(
        &mut self,
        job: &mut Job,
        key: &Key,
        dimensions: Vec<(String, String)>,
        value: Value,
        origin: &Origin,
    ) {
        let meta = (key.payload_type, key.unit, key.description);
        self.keyed(job, key.name, meta, dimensions, value, origin);
    }

    /// Sends `value` under `name` (after the section), with its metadata line (payload type,
    /// unit, description) before the key's first value.
    pub fn keyed(
        &mut self,
        job: &mut Job,
        name: &str,
        (payload_type, unit, description): (&'static str, Option<&str>, &str),
        dimensions: Vec<(String, String)>,
        value: Value,
        origin: &Origin,
    ) {
        let key = match self.section {
            Some(section) => format!("{section}.{name}"),
            None => name.to_owned(),
        };
        if !self.described_more.iter().any(|d| d == name) {
            self.described_more.push(name.to_owned());
            job.sink.metadata(&Metadata {
                key: key.clone(),
                prefixed: true,
                payload_type,
                unit: unit.map(str::to_owned),
                description: Some(description.to_owned()),
                display_name: None,
                origin: origin.clone(),
            });
        }
        job.sink.metric(&Metric {
            key,
            prefixed: true,
            dimensions,
            value,
            timestamp: self.timestamp,
            origin: origin.clone(),
        });
    }

    fn metric(
        &mut self,
        job: &mut Job,
        key: usize,
        dimensions: &[(String, String)],
        value: Value,
        origin: &Origin,
    ) {
        if !self.described[key] {
            self.described[key] = true;
            let (_, payload_type, unit, description) = KEYS[key];
            job.sink.metadata(&Metadata {
                key: self.keys[key].clone(),
                prefixed: true,
                payload_type,
                unit: unit.map(str::to_owned),
                description: Some(description.to_owned()),
                display_name: None,
                origin: origin.clone(),
            });
        }
        job.sink.metric(&Metric {
            key: self.keys[key].clone(),
            prefixed: true,
            dimensions: dimensions.to_vec(),
            value,
            timestamp: self.timestamp,
            origin: origin.clone(),
        });
    }
}
