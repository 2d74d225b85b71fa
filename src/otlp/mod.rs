//! Encoding histograms as an OTLP `ExportMetricsServiceRequest`: DELTA temporality, explicit
//! buckets, the Keptn dimensions on every data point, within Dynatrace's per-request limits.

mod json;
mod outgoing;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
pub use opentelemetry_proto::tonic::metrics::v1::Metric as OtlpMetric;
use opentelemetry_proto::tonic::metrics::v1::{
    metric, AggregationTemporality, Histogram as OtlpHistogram, HistogramDataPoint,
    ResourceMetrics, ScopeMetrics,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;

use crate::encode::EncodeSettings;
use crate::model::{Code, Histogram, Problem};
use crate::normalize::{self, merge_dimensions};

pub const MAX_POINTS_PER_REQUEST: usize = 15_000;
pub const MAX_BYTES_PER_REQUEST: usize = 4_000_000;
pub const MAX_ATTRIBUTES: usize = 50;
pub const MAX_ATTRIBUTE_VALUE_CHARS: usize = 255;
/// Room for the resource and scope around the metrics of one request.
const REQUEST_OVERHEAD_BYTES: usize = 64 * 1024;

pub use crate::model::Window;
pub use json::request_json;
pub use outgoing::{data_points, ensure_delta, split_request};

/// Attributes with normalised keys and raw values, checked against the OTLP limits.
type Attributes = Vec<(String, String)>;

pub struct OtlpEncoder {
    key_prefix: String,
    default_attributes: Result<Attributes, Problem>,
    context_attributes: Result<Attributes, Problem>,
    resource: Vec<KeyValue>,
}

impl OtlpEncoder {
    pub fn new(settings: &EncodeSettings) -> OtlpEncoder {
        let resource = settings
            .resource_attributes
            .iter()
            .chain(&settings.static_dimensions)
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| key_value(k, v))
            .collect();
        OtlpEncoder {
            key_prefix: settings.key_prefix.clone(),
            default_attributes: normalized_attributes(&settings.default_dimensions),
            context_attributes: normalized_attributes(&settings.static_dimensions),
            resource,
        }
    }

    /// The histogram as an OTLP metric with one DELTA data point over its own window, or else
    /// `window`, the run's.
    pub fn metric(&self, histogram: &Histogram, window: Window) -> Result<OtlpMetric, Problem> {
        let window = histogram.window.unwrap_or(window);
        let name = normalize::metric_key(&self.key_prefix, &histogram.name, true)?.key;
        let buckets = &histogram.buckets;
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
            return Err(Problem::new(
                Code::HistogramInvalid,
                format!(
                    "the histogram takes {} bytes; a request may take at most {MAX_BYTES_PER_REQUEST}",
                    metric.encoded_len()
                ),
            ));
        }
        Ok(metric)
    }

    /// Default < the histogram's own < the Keptn context: the same keys and precedence as the
    /// line protocol's dimensions, so that one filter finds both.
    fn attributes(&self, own: &[(String, String)]) -> Result<Vec<KeyValue>, Problem> {
        let default = self.default_attributes.as_ref().map_err(Clone::clone)?;
        let context = self.context_attributes.as_ref().map_err(Clone::clone)?;
        let own = normalized_attributes(own)?;
        let own: Vec<(&str, &str)> = own.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let layers = pairs(default)
            .chain(own.iter().copied())
            .chain(pairs(context));
        let merged =
            merge_dimensions(layers, |(key, _)| key, |_, _| {}, MAX_ATTRIBUTES).map_err(|_| {
                Problem::new(
                    Code::AttributeInvalid,
                    format!(
                        "more than {MAX_ATTRIBUTES} attributes (with the run's and the default \
                         ones); at most {MAX_ATTRIBUTES} are allowed"
                    ),
                )
            })?;
        Ok(merged.iter().map(|(k, v)| key_value(k, v)).collect())
    }

    /// Packs metrics into as few requests as Dynatrace's per-request limits allow.
    pub fn requests(&self, metrics: Vec<OtlpMetric>) -> Vec<ExportMetricsServiceRequest> {
        let mut packer = Packer::default();
        let mut requests: Vec<_> = metrics
            .into_iter()
            .filter_map(|metric| packer.push(self, metric))
            .collect();
        requests.extend(packer.finish(self));
        requests
    }

    pub fn request(&self, metrics: Vec<OtlpMetric>) -> ExportMetricsServiceRequest {
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

/// Packs metrics into requests as they come, within the per-request limits.
#[derive(Debug, Default)]
pub struct Packer {
    metrics: Vec<OtlpMetric>,
    bytes: usize,
}

impl Packer {
    /// Adds `metric`; returns the full request it did not fit in, if any.
    pub fn push(
        &mut self,
        encoder: &OtlpEncoder,
        metric: OtlpMetric,
    ) -> Option<ExportMetricsServiceRequest> {
        let size = metric.encoded_len() + 8;
        let full = !self.metrics.is_empty()
            && (self.metrics.len() == MAX_POINTS_PER_REQUEST
                || REQUEST_OVERHEAD_BYTES + self.bytes + size > MAX_BYTES_PER_REQUEST);
        let done = full.then(|| {
            self.bytes = 0;
            encoder.request(std::mem::take(&mut self.metrics))
        });
        self.bytes += size;
        self.metrics.push(metric);
        done
    }

    /// The last request, unless empty.
    pub fn finish(self, encoder: &OtlpEncoder) -> Option<ExportMetricsServiceRequest> {
        (!self.metrics.is_empty()).then(|| encoder.request(self.metrics))
    }
}

fn pairs(attributes: &Attributes) -> impl Iterator<Item = (&str, &str)> {
    attributes.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

/// Keys normalised as dimension keys (a key with nothing left is dropped), empty values dropped,
/// values over the OTLP limit refused.
fn normalized_attributes(raw: &[(String, String)]) -> Result<Attributes, Problem> {
    let mut attributes = indexmap::IndexMap::new();
    for (raw_key, value) in raw {
        let Some(key) = normalize::dimension_key(raw_key) else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        if value.chars().count() > MAX_ATTRIBUTE_VALUE_CHARS {
            return Err(Problem::new(
                Code::AttributeInvalid,
                format!(
                    "attribute `{key}` has a value of {} characters; at most \
                     {MAX_ATTRIBUTE_VALUE_CHARS} are allowed",
                    value.chars().count()
                ),
            ));
        }
        attributes.insert(key, value.clone());
    }
    Ok(attributes.into_iter().collect())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Buckets, Origin};

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

    fn histogram() -> Histogram {
        Histogram {
            name: "response_time".into(),
            unit: Some("ms".into()),
            description: Some("d".into()),
            attributes: vec![("http.method".into(), "GET".into())],
            buckets: Buckets {
                bounds: vec![10.0, 100.0],
                counts: vec![1, 1, 1],
                count: 3,
                sum: 555.0,
                min: Some(5.0),
                max: Some(500.0),
            },
            window: None,
            origin: Origin::whole("h"),
        }
    }

    const WINDOW: Window = Window {
        start_ns: 1_000,
        end_ns: 2_000,
    };

    #[test]
    fn a_delta_histogram_with_every_field() {
        let encoder = OtlpEncoder::new(&settings());
        let metric = encoder.metric(&histogram(), WINDOW).unwrap();
        let requests = encoder.requests(vec![metric]);
        assert_eq!(requests.len(), 1);
        let request = &requests[0];
        ensure_delta(request).unwrap();
        assert_eq!(data_points(request), 1);
        let resource = request.resource_metrics[0].resource.as_ref().unwrap();
        assert_eq!(resource.attributes[0].key, "service.name");
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
    }

    #[test]
    fn dry_run_json_leaves_out_default_fields_but_keeps_sums() {
        let encoder = OtlpEncoder::new(&settings());
        let mut zero = histogram();
        zero.buckets.sum = 0.0;
        zero.description = None;
        let request = encoder.requests(vec![encoder.metric(&zero, WINDOW).unwrap()]);
        let json = request_json(&request[0]);
        let text = json.to_string();
        for absent in [
            "droppedAttributesCount",
            "schemaUrl",
            "exemplars",
            "description",
            "flags",
        ] {
            assert!(!text.contains(absent), "{absent} in {text}");
        }
        let point = &json["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]["histogram"]
            ["dataPoints"][0];
        assert_eq!(point["sum"], 0.0);
        assert_eq!(point["bucketCounts"], serde_json::json!(["1", "1", "1"]));
        assert!(!text.contains('\n'));
    }

    #[test]
    fn requests_split_at_15000_points() {
        let encoder = OtlpEncoder::new(&settings());
        let many: Vec<OtlpMetric> = (0..15_001)
            .map(|_| encoder.metric(&histogram(), WINDOW).unwrap())
            .collect();
        let sizes: Vec<usize> = encoder.requests(many).iter().map(data_points).collect();
        assert_eq!(sizes, vec![15_000, 1]);
    }

    #[test]
    fn refuses_bad_histograms_and_cumulative_requests() {
        let encoder = OtlpEncoder::new(&settings());
        let mut long = histogram();
        long.attributes = vec![("note".into(), "x".repeat(256))];
        let refused = encoder.metric(&long, WINDOW).unwrap_err();
        assert_eq!(refused.code, Code::AttributeInvalid);
        assert!(refused.reason.contains("at most 255"));

        let metric = encoder.metric(&histogram(), WINDOW).unwrap();
        let mut request = encoder.requests(vec![metric]).remove(0);
        let metric = &mut request.resource_metrics[0].scope_metrics[0].metrics[0];
        if let Some(metric::Data::Histogram(h)) = &mut metric.data {
            h.aggregation_temporality = AggregationTemporality::Cumulative as i32;
        }
        assert!(ensure_delta(&request).unwrap_err().contains("not DELTA"));
    }
}
