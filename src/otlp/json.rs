//! The dry run's view of a request: OTLP's JSON mapping, compact, with the fields that hold
//! their default left out.

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;

/// A request in OTLP's JSON mapping, as a dry run shows it: fields that hold their default
/// (empty strings and lists, zero counts) left out, as the mapping itself does, except `sum`,
/// `min` and `max`, which are there whenever they are set, zero or not.
pub fn request_json(request: &ExportMetricsServiceRequest) -> serde_json::Value {
    fn prune(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(fields) => {
                fields.retain(|key, field| {
                    prune(field);
                    let kept_when_zero = matches!(key.as_str(), "sum" | "min" | "max");
                    match field {
                        serde_json::Value::Null => false,
                        serde_json::Value::Bool(b) => *b,
                        serde_json::Value::String(s) => !s.is_empty(),
                        serde_json::Value::Array(a) => !a.is_empty(),
                        serde_json::Value::Object(o) => !o.is_empty(),
                        serde_json::Value::Number(n) => kept_when_zero || n.as_f64() != Some(0.0),
                    }
                });
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(prune),
            _ => {}
        }
    }
    let mut json = serde_json::to_value(request).unwrap_or_default();
    prune(&mut json);
    json
}
