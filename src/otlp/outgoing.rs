//! Built requests on their way out: how many data points one holds, the DELTA guard before it
//! leaves the binary, and its two halves for a server that found it too large.

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::metrics::v1::{metric, AggregationTemporality};

/// The two halves of a request of at least two metrics, for a server that found it too large.
pub fn split_request(
    mut request: ExportMetricsServiceRequest,
) -> (ExportMetricsServiceRequest, ExportMetricsServiceRequest) {
    let scope = &mut request.resource_metrics[0].scope_metrics[0];
    let mut metrics = std::mem::take(&mut scope.metrics);
    let rest = metrics.split_off(metrics.len() / 2);
    scope.metrics = rest;
    let mut first = request.clone();
    first.resource_metrics[0].scope_metrics[0].metrics = metrics;
    (first, request)
}

/// The number of data points in a request.
pub fn data_points(request: &ExportMetricsServiceRequest) -> usize {
    request
        .resource_metrics
        .iter()
        .flat_map(|r| &r.scope_metrics)
        .flat_map(|s| &s.metrics)
        .map(|m| match &m.data {
            Some(metric::Data::Histogram(h)) => h.data_points.len(),
            Some(metric::Data::Gauge(g)) => g.data_points.len(),
            Some(metric::Data::Sum(s)) => s.data_points.len(),
            Some(metric::Data::ExponentialHistogram(h)) => h.data_points.len(),
            Some(metric::Data::Summary(s)) => s.data_points.len(),
            None => 0,
        })
        .sum()
}

/// The guard before anything leaves the binary: Dynatrace accepts only DELTA temporality, and
/// a cumulative histogram or sum would be dropped or misread.
pub fn ensure_delta(request: &ExportMetricsServiceRequest) -> Result<(), String> {
    let delta = AggregationTemporality::Delta as i32;
    for metric in request
        .resource_metrics
        .iter()
        .flat_map(|r| &r.scope_metrics)
        .flat_map(|s| &s.metrics)
    {
        let temporality = match &metric.data {
            Some(metric::Data::Histogram(h)) => h.aggregation_temporality,
            Some(metric::Data::Sum(s)) => s.aggregation_temporality,
            Some(metric::Data::ExponentialHistogram(h)) => h.aggregation_temporality,
            _ => continue,
        };
        if temporality != delta {
            return Err(format!(
                "metric `{}` has aggregation temporality {temporality}, not DELTA ({delta}); \
                 Dynatrace accepts only DELTA, so nothing was sent",
                metric.name
            ));
        }
    }
    Ok(())
}
