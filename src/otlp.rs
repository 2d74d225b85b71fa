//! Encoding histograms as an OTLP `ExportMetricsServiceRequest` (DELTA temporality, explicit
//! buckets), within Dynatrace's limits, plus their optional line-protocol summary twins.

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    metric, AggregationTemporality, Histogram as OtlpHistogram, HistogramDataPoint,
    Metric as OtlpMetric, ResourceMetrics, ScopeMetrics,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;

use crate::config::EncodeSettings;
use crate::encode::metric_key;
use crate::histogram::{aggregate, Buckets};
use crate::model::{set_pair, Histogram, Metric, Refusal, Value};
use crate::normalize;

pub const MAX_POINTS_PER_REQUEST: usize = 15_000;
pub const MAX_BYTES_PER_REQUEST: usize = 4_000_000;
pub const MAX_ATTRIBUTES: usize = 50;
pub const MAX_ATTRIBUTE_VALUE_CHARS: usize = 255;
/// Room for the resource and scope around the metrics of one request.
const REQUEST_OVERHEAD_BYTES: usize = 64 * 1024;

/// The DELTA window the histograms cover, in nanoseconds since 1970; `start < end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start_ns: u64,
    pub end_ns: u64,
}

#[derive(Debug, Default)]
pub struct OtlpEncoded {
    pub requests: Vec<ExportMetricsServiceRequest>,
    pub points: usize,
    pub refusals: Vec<Refusal>,
    /// Each histogram as a line-protocol summary, when asked for.
    pub summaries: Vec<Metric>,
}

pub struct OtlpEncoder<'a> {
    key_prefix: &'a str,
    default_attributes: Vec<(String, String)>,
    static_attributes: Vec<(String, String)>,
    resource: Vec<KeyValue>,
    summaries: bool,
}

impl<'a> OtlpEncoder<'a> {
    pub fn new(settings: &'a EncodeSettings, summaries: bool) -> OtlpEncoder<'a> {
        let resource = settings
            .resource_attributes
            .iter()
            .chain(&settings.static_dimensions)
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| key_value(k, v))
            .collect();
        OtlpEncoder {
            key_prefix: &settings.key_prefix,
            default_attributes: settings.default_dimensions.clone(),
            static_attributes: settings.static_dimensions.clone(),
            resource,
            summaries,
        }
    }

    /// Encodes `histograms`; `refusals` (from reading them) are carried into the result.
    pub fn encode(
        &self,
        histograms: &[Histogram],
        refusals: &[Refusal],
        window: Window,
    ) -> OtlpEncoded {
        let mut encoded = OtlpEncoded {
            refusals: refusals.to_vec(),
            ..OtlpEncoded::default()
        };
        let mut metrics = Vec::with_capacity(histograms.len());
        for histogram in histograms {
            let refuse = |error: String| Refusal {
                origin: histogram.origin.clone(),
                error,
            };
            let buckets = match aggregate(&histogram.data) {
                Ok(buckets) => buckets,
                Err(error) => {
                    encoded.refusals.push(refuse(error));
                    continue;
                }
            };
            match self.metric(histogram, &buckets, window) {
                Ok(metric) => metrics.push(metric),
                Err(error) => {
                    encoded.refusals.push(refuse(error));
                    continue;
                }
            }
            if self.summaries {
                match summary(histogram, &buckets) {
                    Ok(metric) => encoded.summaries.push(metric),
                    Err(error) => encoded.refusals.push(refuse(error)),
                }
            }
        }
        encoded.points = metrics.len();
        encoded.requests = self.requests(metrics);
        encoded
    }

    fn metric(
        &self,
        histogram: &Histogram,
        buckets: &Buckets,
        window: Window,
    ) -> Result<OtlpMetric, String> {
        let (_, name) = metric_key(self.key_prefix, &histogram.name, true)?;
        let point = HistogramDataPoint {
            attributes: self.attributes(&histogram.attributes)?,
            start_time_unix_nano: window.start_ns,
            time_unix_nano: window.end_ns,
            count: buckets.count,
            sum: Some(buckets.sum),
            bucket_counts: buckets.counts.clone(),
            explicit_bounds: buckets.bounds.clone(),
            min: buckets.min,
            max: buckets.max,
            ..HistogramDataPoint::default()
        };
        let metric = OtlpMetric {
            name,
            description: histogram.description.clone().unwrap_or_default(),
            unit: histogram.unit.clone().unwrap_or_default(),
            data: Some(metric::Data::Histogram(OtlpHistogram {
                data_points: vec![point],
                aggregation_temporality: AggregationTemporality::Delta as i32,
            })),
            ..OtlpMetric::default()
        };
        if metric.encoded_len() + REQUEST_OVERHEAD_BYTES > MAX_BYTES_PER_REQUEST {
            return Err(format!(
                "the histogram takes {} bytes; a request may take at most {MAX_BYTES_PER_REQUEST}",
                metric.encoded_len()
            ));
        }
        Ok(metric)
    }

    /// Default < the histogram's own < the Keptn context: the same keys and precedence as the
    /// line protocol's dimensions, so that one filter finds both.
    fn attributes(&self, own: &[(String, String)]) -> Result<Vec<KeyValue>, String> {
        let mut merged: Vec<(String, &str)> = Vec::new();
        for (raw_key, value) in self
            .default_attributes
            .iter()
            .chain(own)
            .chain(&self.static_attributes)
        {
            let Some(key) = normalize::dimension_key(raw_key) else {
                continue;
            };
            if value.is_empty() {
                continue;
            }
            if value.chars().count() > MAX_ATTRIBUTE_VALUE_CHARS {
                return Err(format!(
                    "attribute `{key}` has a value of {} characters; at most \
                     {MAX_ATTRIBUTE_VALUE_CHARS} are allowed",
                    value.chars().count()
                ));
            }
            set_pair(&mut merged, key, value.as_str());
        }
        if merged.len() > MAX_ATTRIBUTES {
            return Err(format!(
                "{} attributes (with the Keptn and default ones); at most {MAX_ATTRIBUTES} are allowed",
                merged.len()
            ));
        }
        Ok(merged.iter().map(|(k, v)| key_value(k, v)).collect())
    }

    /// Packs the metrics into as few requests as Dynatrace's per-request limits allow.
    fn requests(&self, metrics: Vec<OtlpMetric>) -> Vec<ExportMetricsServiceRequest> {
        let mut requests = Vec::new();
        let mut batch: Vec<OtlpMetric> = Vec::new();
        let mut bytes = REQUEST_OVERHEAD_BYTES;
        for metric in metrics {
            let size = metric.encoded_len() + 8;
            if !batch.is_empty()
                && (batch.len() == MAX_POINTS_PER_REQUEST || bytes + size > MAX_BYTES_PER_REQUEST)
            {
                requests.push(self.request(std::mem::take(&mut batch)));
                bytes = REQUEST_OVERHEAD_BYTES;
            }
            bytes += size;
            batch.push(metric);
        }
        if !batch.is_empty() {
            requests.push(self.request(batch));
        }
        requests
    }

    fn request(&self, metrics: Vec<OtlpMetric>) -> ExportMetricsServiceRequest {
        ExportMetricsServiceRequest {
            resource_metrics: vec![ResourceMetrics {
                resource: Some(Resource {
                    attributes: self.resource.clone(),
                    ..Resource::default()
                }),
                scope_metrics: vec![ScopeMetrics {
                    scope: Some(InstrumentationScope {
                        name: env!("CARGO_PKG_NAME").to_owned(),
                        version: env!("CARGO_PKG_VERSION").to_owned(),
                        ..InstrumentationScope::default()
                    }),
                    metrics,
                    ..ScopeMetrics::default()
                }],
                ..ResourceMetrics::default()
            }],
        }
    }
}

fn summary(histogram: &Histogram, buckets: &Buckets) -> Result<Metric, String> {
    let (Some(min), Some(max)) = (buckets.min, buckets.max) else {
        return Err(
            "a summary twin needs min and max, which this pre-bucketed histogram lacks".into(),
        );
    };
    Ok(Metric {
        key: histogram.name.clone(),
        prefixed: true,
        dimensions: histogram.attributes.clone(),
        value: Value::Summary {
            min,
            max,
            sum: buckets.sum,
            count: buckets.count,
        },
        timestamp: None,
        origin: histogram.origin.clone(),
    })
}

fn key_value(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.to_owned())),
        }),
        ..KeyValue::default()
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Distribution, Origin};

    fn settings() -> EncodeSettings {
        EncodeSettings {
            key_prefix: "keptn".into(),
            default_dimensions: vec![],
            static_dimensions: vec![
                ("ci_platform".into(), "keptn".into()),
                ("keptn_service".into(), "carts".into()),
            ],
            resource_attributes: vec![("service.name".into(), "carts".into())],
        }
    }

    fn histogram(values: Vec<f64>) -> Histogram {
        Histogram {
            name: "response_time".into(),
            unit: Some("ms".into()),
            description: Some("d".into()),
            attributes: vec![("http.method".into(), "GET".into())],
            data: Distribution::Samples {
                bounds: Some(vec![10.0, 100.0]),
                values,
            },
            origin: Origin("h".into()),
        }
    }

    const WINDOW: Window = Window {
        start_ns: 1_000,
        end_ns: 2_000,
    };

    #[test]
    fn a_delta_histogram_with_every_field() {
        let settings = settings();
        let encoded = OtlpEncoder::new(&settings, true).encode(
            &[histogram(vec![5.0, 50.0, 500.0])],
            &[],
            WINDOW,
        );
        assert!(encoded.refusals.is_empty());
        assert_eq!(encoded.requests.len(), 1);
        let request = &encoded.requests[0];
        ensure_delta(request).unwrap();
        let scope = &request.resource_metrics[0].scope_metrics[0];
        assert_eq!(scope.scope.as_ref().unwrap().name, "keptn-dt-metrics");
        let metric = &scope.metrics[0];
        assert_eq!(
            (metric.name.as_str(), metric.unit.as_str()),
            ("keptn.response_time", "ms")
        );
        let Some(metric::Data::Histogram(h)) = &metric.data else {
            panic!("not a histogram")
        };
        let point = &h.data_points[0];
        assert_eq!(point.bucket_counts, vec![1, 1, 1]);
        assert_eq!(point.explicit_bounds, vec![10.0, 100.0]);
        assert_eq!(
            (point.count, point.sum, point.min, point.max),
            (3, Some(555.0), Some(5.0), Some(500.0))
        );
        assert_eq!(
            (point.start_time_unix_nano, point.time_unix_nano),
            (1_000, 2_000)
        );
        let keys: Vec<&str> = point.attributes.iter().map(|kv| kv.key.as_str()).collect();
        assert_eq!(keys, vec!["http.method", "ci_platform", "keptn_service"]);
        assert_eq!(
            encoded.summaries[0].value,
            Value::Summary {
                min: 5.0,
                max: 500.0,
                sum: 555.0,
                count: 3
            }
        );
    }

    #[test]
    fn requests_split_at_15000_points() {
        let settings = settings();
        let many: Vec<Histogram> = (0..15_001).map(|_| histogram(vec![1.0])).collect();
        let encoded = OtlpEncoder::new(&settings, false).encode(&many, &[], WINDOW);
        let sizes: Vec<usize> = encoded
            .requests
            .iter()
            .map(|r| r.resource_metrics[0].scope_metrics[0].metrics.len())
            .collect();
        assert_eq!(sizes, vec![15_000, 1]);
    }

    #[test]
    fn refuses_bad_histograms_and_cumulative_requests() {
        let settings = settings();
        let mut long = histogram(vec![1.0]);
        long.attributes = vec![("note".into(), "x".repeat(256))];
        let encoded =
            OtlpEncoder::new(&settings, false).encode(&[histogram(vec![]), long], &[], WINDOW);
        assert_eq!(encoded.points, 0);
        assert!(encoded.requests.is_empty());
        assert!(encoded.refusals[0].error.contains("no samples"));
        assert!(encoded.refusals[1].error.contains("at most 255"));

        let mut request = OtlpEncoder::new(&settings, false)
            .encode(&[histogram(vec![1.0])], &[], WINDOW)
            .requests
            .remove(0);
        let metric = &mut request.resource_metrics[0].scope_metrics[0].metrics[0];
        if let Some(metric::Data::Histogram(h)) = &mut metric.data {
            h.aggregation_temporality = AggregationTemporality::Cumulative as i32;
        }
        assert!(ensure_delta(&request).unwrap_err().contains("not DELTA"));
    }
}
