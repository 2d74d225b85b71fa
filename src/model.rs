//! The plain data that flows between the stages: what the inputs said, what the encoder made of
//! it, and what was refused on the way.

/// One data point as an input gave it, before normalisation.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// The key as written; the prefix is joined on when `prefixed` is true.
    pub key: String,
    pub prefixed: bool,
    pub dimensions: Vec<(String, String)>,
    pub value: Value,
    /// UTC milliseconds; `None` lets the server use its receive time.
    pub timestamp: Option<i64>,
    pub origin: Origin,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    Gauge(f64),
    /// A delta counter: the increase since the last report.
    Count(f64),
    Summary {
        min: f64,
        max: f64,
        sum: f64,
        count: u64,
    },
}

impl Value {
    /// The payload type a metadata line for this metric must name.
    pub fn payload_type(&self) -> &'static str {
        match self {
            Value::Count(_) => "count",
            Value::Gauge(_) | Value::Summary { .. } => "gauge",
        }
    }
}

/// Unit, description and display name of a metric key, sent as a metadata line (`#key ...`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Metadata {
    pub key: String,
    pub prefixed: bool,
    pub payload_type: &'static str,
    pub unit: Option<String>,
    pub description: Option<String>,
    pub display_name: Option<String>,
    pub origin: Origin,
}

/// Where a metric came from, as the user would look for it: `metrics.json $[2]`,
/// `lines.txt:7`, `--metric #1`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin(pub String);

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Something from the inputs that will not be sent, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub origin: Origin,
    pub error: String,
}

/// A note about something that is sent, but not exactly as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub origin: Origin,
    pub warning: String,
}

/// A distribution to send as an OTLP histogram.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// The key after the prefix, as for metrics.
    pub name: String,
    pub unit: Option<String>,
    pub description: Option<String>,
    pub attributes: Vec<(String, String)>,
    pub data: Distribution,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Distribution {
    /// Raw values, bucketed with `bounds` (the OpenTelemetry SDK's defaults when `None`).
    Samples {
        bounds: Option<Vec<f64>>,
        values: Vec<f64>,
    },
    /// Already bucketed: `counts` has one more entry than `bounds`.
    Buckets {
        bounds: Vec<f64>,
        counts: Vec<u64>,
        sum: f64,
        min: Option<f64>,
        max: Option<f64>,
    },
}

/// Everything the inputs yielded.
#[derive(Debug, Default)]
pub struct Inputs {
    pub metrics: Vec<Metric>,
    pub metadata: Vec<Metadata>,
    pub histograms: Vec<Histogram>,
    pub refusals: Vec<Refusal>,
    /// Refused histograms and samples, reported with the OTLP results.
    pub histogram_refusals: Vec<Refusal>,
}

/// One encoded line of line protocol and the input it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub text: String,
    pub origin: Origin,
}

/// Sets `key` to `value` in ordered pairs (dimensions, attributes): a key already present keeps
/// its place and takes the new value, so later sources take precedence.
pub fn set_pair<K: PartialEq, V>(pairs: &mut Vec<(K, V)>, key: K, value: V) {
    match pairs.iter_mut().find(|(k, _)| *k == key) {
        Some(existing) => existing.1 = value,
        None => pairs.push((key, value)),
    }
}
