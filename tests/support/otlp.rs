//! Decoding what the fake Dynatrace received over OTLP, and what a test expects of it.

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    metric, AggregationTemporality, HistogramDataPoint, Metric,
};

use super::{FakeDynatrace, Recorded, OTLP_PATH};

pub const DEFAULT_BOUNDS: [f64; 15] = [
    0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 2500.0, 5000.0, 7500.0,
    10000.0,
];

/// Attributes as (key, string value) pairs, in order.
pub fn pairs(attributes: &[KeyValue]) -> Vec<(String, String)> {
    attributes
        .iter()
        .map(|kv| {
            let value = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(any_value::Value::StringValue(s)) => s.clone(),
                other => panic!("attribute `{}` is not a string: {other:?}", kv.key),
            };
            (kv.key.clone(), value)
        })
        .collect()
}

pub fn pair(key: &str, value: &str) -> (String, String) {
    (key.to_owned(), value.to_owned())
}

pub fn metrics(request: &ExportMetricsServiceRequest) -> Vec<&Metric> {
    request
        .resource_metrics
        .iter()
        .flat_map(|r| &r.scope_metrics)
        .flat_map(|s| &s.metrics)
        .collect()
}

/// The one data point of a histogram metric, asserting that it is DELTA.
pub fn delta_point(metric: &Metric) -> &HistogramDataPoint {
    let Some(metric::Data::Histogram(histogram)) = &metric.data else {
        panic!("`{}` is not a histogram: {:?}", metric.name, metric.data)
    };
    assert_eq!(
        histogram.aggregation_temporality,
        AggregationTemporality::Delta as i32,
        "`{}` must be DELTA",
        metric.name
    );
    assert_eq!(histogram.data_points.len(), 1, "{}", metric.name);
    &histogram.data_points[0]
}

/// The OTLP requests the server saw, decoded.
pub fn otlp_requests(server: &FakeDynatrace) -> Vec<(Recorded, ExportMetricsServiceRequest)> {
    server
        .requests_to(OTLP_PATH)
        .into_iter()
        .map(|r| {
            let decoded = r.otlp();
            (r, decoded)
        })
        .collect()
}

/// Bucket `i` holds `(bounds[i-1], bounds[i]]`; the first `(-inf, bounds[0]]`, the last
/// `(bounds[last], +inf)`.
pub fn expected_counts(bounds: &[f64], values: &[f64]) -> Vec<u64> {
    let mut counts = vec![0u64; bounds.len() + 1];
    for &v in values {
        let bucket = bounds.iter().position(|&b| v <= b).unwrap_or(bounds.len());
        counts[bucket] += 1;
    }
    counts
}

pub fn samples_file(values: &[f64]) -> String {
    values.iter().map(|v| format!("{v}\n")).collect()
}
