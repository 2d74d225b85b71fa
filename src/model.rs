//! The plain data that flows between the rooms: what the inputs said, and what was refused or
//! changed on the way, each with the place in the input it came from.

use std::sync::Arc;

use serde::Serialize;

#[path = "model_origin.rs"]
mod origin;
pub use origin::{Origin, Position};

/// The timestamps Dynatrace accepts: from an hour in the past to ten minutes in the future.
pub const MAX_PAST_MS: i64 = 60 * 60 * 1000;
pub const MAX_FUTURE_MS: i64 = 10 * 60 * 1000;

/// One data point as an input gave it, before normalisation.
#[derive(Debug, PartialEq)]
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

impl Clone for Metric {
    fn clone(&self) -> Metric {
        Metric {
            key: self.key.clone(),
            prefixed: self.prefixed,
            dimensions: self.dimensions.clone(),
            value: self.value,
            timestamp: self.timestamp,
            origin: self.origin.clone(),
        }
    }

    /// Reuses this metric's strings: readers and chunks refill the same metrics over and over.
    fn clone_from(&mut self, source: &Metric) {
        self.key.clone_from(&source.key);
        self.prefixed = source.prefixed;
        // Pairs one by one: a tuple's own `clone_from` would allocate anew.
        let (dimensions, from) = (&mut self.dimensions, &source.dimensions);
        dimensions.truncate(from.len());
        for (i, (key, value)) in from.iter().enumerate() {
            match dimensions.get_mut(i) {
                Some((k, v)) => {
                    k.clone_from(key);
                    v.clone_from(value);
                }
                None => dimensions.push((key.clone(), value.clone())),
            }
        }
        self.value = source.value;
        self.timestamp = source.timestamp;
        self.origin.clone_from(&source.origin);
    }
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
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    pub key: String,
    pub prefixed: bool,
    pub payload_type: &'static str,
    pub unit: Option<String>,
    pub description: Option<String>,
    pub display_name: Option<String>,
    pub origin: Origin,
}

/// A distribution to send as an OTLP histogram, already bucketed.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// The key after the prefix, as for metrics.
    pub name: String,
    pub unit: Option<String>,
    pub description: Option<String>,
    pub attributes: Vec<(String, String)>,
    pub buckets: Buckets,
    /// The DELTA window the samples fall in, when the input knows it (a load test's own time
    /// span); `None`: the run's window.
    pub window: Option<Window>,
    pub origin: Origin,
}

/// A DELTA window, in nanoseconds since 1970; `start < end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start_ns: u64,
    pub end_ns: u64,
}

/// How many records an input that aggregates them (load-test results) held, and what became of
/// them: where a line count says nothing, this does.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordCount {
    pub input: Arc<str>,
    /// The format, as `--results-format` names it.
    pub format: &'static str,
    pub read: u64,
    pub used: u64,
    pub refused: u64,
    /// What the results say of the whole test, when they were read far enough to say it.
    pub test: Option<TestSummary>,
}

/// What a load test's results say of the whole test: for the run's event.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TestSummary {
    /// `jmeter`, `locust`, `k6`.
    pub tool: &'static str,
    /// The window its histograms were sent with (the test's own, or its duration ending now).
    pub window: Option<Window>,
    pub requests: Option<u64>,
    pub failures: Option<u64>,
    /// Response time, 95th percentile of every request, in milliseconds.
    pub p95_ms: Option<f64>,
    pub thresholds: Option<Thresholds>,
}

/// The pass/fail criteria a tool evaluated (k6's thresholds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Thresholds {
    pub total: u64,
    pub failed: u64,
}

/// A checked explicit-bucket histogram data point.
#[derive(Debug, Clone, PartialEq)]
pub struct Buckets {
    pub bounds: Vec<f64>,
    /// One more than `bounds`: bucket `i` holds values in `(bounds[i-1], bounds[i]]`.
    pub counts: Vec<u64>,
    pub count: u64,
    pub sum: f64,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// A stable, machine-readable name for each kind of refusal and warning, beside its text.
/// The README lists them; a code is never renamed once released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    // Refusals before anything is sent.
    /// An entry, line or sample that could not be read as the input's format says.
    InputMalformed,
    MetricKeyInvalid,
    MetricKeyReserved,
    ValueNotFinite,
    SummaryInvalid,
    TooManyDimensions,
    LineTooLong,
    TimestampOutOfWindow,
    HistogramInvalid,
    AttributeInvalid,
    // Refusals by Dynatrace.
    ServerRefused,
    // Warnings.
    MetricKeyNormalized,
    DimensionDropped,
    DimensionKeyCollision,
    DimensionValueTruncated,
    DimensionOverridden,
    MetadataDuplicate,
    ServerWarning,
    /// Load-test results with more request labels than are kept apart: the others are counted
    /// under one label.
    LabelsFolded,
    /// A tenant URL in a form that does not serve the token APIs (the new UI's `apps` host, a
    /// browser path) was turned into the environment's API URL.
    TenantUrlChanged,
    /// Load-test results from a file the tool rewrites while it runs (Locust's stats CSV), which
    /// may miss the end of the test.
    ResultsMayLag,
    /// A k6 summary's request submetric whose request count it does not give: its percentiles
    /// are sent without a count.
    SubmetricWithoutCount,
}

/// Something from the inputs that will not be sent, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub origin: Origin,
    pub code: Code,
    pub reason: String,
}

/// A note about something that is sent, but not exactly as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub origin: Origin,
    pub code: Code,
    pub text: String,
}

/// What a rule said of one item: the code and the reason, without the place (the caller knows
/// it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub code: Code,
    pub reason: String,
}

impl Problem {
    pub fn new(code: Code, reason: impl Into<String>) -> Problem {
        Problem {
            code,
            reason: reason.into(),
        }
    }

    pub fn at(self, origin: &Origin) -> Refusal {
        Refusal {
            origin: origin.clone(),
            code: self.code,
            reason: self.reason,
        }
    }
}

/// A list that keeps its first `cap` entries and only counts the others, so that a report stays
/// small whatever the input size; entries are made only when kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capped<T> {
    pub items: Vec<T>,
    /// Entries beyond the cap: counted, not kept.
    pub more: u64,
    cap: usize,
}

impl<T> Capped<T> {
    pub fn new(cap: usize) -> Capped<T> {
        Capped {
            items: Vec::new(),
            more: 0,
            cap,
        }
    }

    /// Keeps `make()` if there is room, else counts it.
    pub fn push_with(&mut self, make: impl FnOnce() -> T) {
        if self.items.len() < self.cap {
            self.items.push(make());
        } else {
            self.more += 1;
        }
    }

    pub fn push(&mut self, item: T) {
        self.push_with(|| item);
    }

    /// Kept and counted together.
    pub fn total(&self) -> u64 {
        self.items.len() as u64 + self.more
    }

    /// Adds `other`'s entries after this one's, within this one's cap.
    pub fn extend(&mut self, other: Capped<T>) {
        for item in other.items {
            self.push(item);
        }
        self.more += other.more;
    }
}

impl<T> Default for Capped<T> {
    fn default() -> Capped<T> {
        Capped::new(usize::MAX)
    }
}

/// A dimension given once for the whole run (a label, a context's field, a metadata entry), as
/// given, with where it came from: `LABELS_BUILDID`, `KEPTN_CONTEXT metadata.stage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunDimension {
    pub key: String,
    pub value: String,
    pub source: String,
}

impl RunDimension {
    pub fn new(
        key: impl Into<String>,
        value: impl Into<String>,
        source: impl Into<String>,
    ) -> Self {
        RunDimension {
            key: key.into(),
            value: value.into(),
            source: source.into(),
        }
    }
}

/// Ordered pairs (dimensions, attributes) where a later key takes the value in the first place
/// of that key, so that later sources take precedence: merged in linear time, whatever the
/// number of keys.
pub fn merge_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Vec<(K, V)>
where
    K: std::hash::Hash + Eq,
{
    let merged: indexmap::IndexMap<K, V> = pairs.into_iter().collect();
    merged.into_iter().collect()
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
