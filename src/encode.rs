//! Encoding: metrics to Dynatrace line protocol, with every check the server would otherwise
//! make after the fact. A line that would be refused is refused here, with the reason, and is
//! never sent.

use crate::config::EncodeSettings;
use crate::model::{set_pair, Inputs, Line, Metadata, Metric, Origin, Refusal, Value, Warning};
use crate::normalize;

pub const MAX_DIMENSIONS: usize = 50;
pub const MAX_LINE_CHARS: usize = 50_000;
pub const MIN_KEY_CHARS: usize = 3;
pub const MAX_PAST_MS: i64 = 60 * 60 * 1000;
pub const MAX_FUTURE_MS: i64 = 10 * 60 * 1000;
/// Tolerance of the server's `min <= sum/count <= max` check.
const SUMMARY_TOLERANCE: f64 = 1e-6;

#[derive(Debug, Default)]
pub struct Encoded {
    pub lines: Vec<Line>,
    pub refusals: Vec<Refusal>,
    pub warnings: Vec<Warning>,
}

/// Dimensions after normalisation: key, and value escaped for the line.
type Dimensions = Vec<(String, String)>;

pub struct Encoder<'a> {
    key_prefix: &'a str,
    default_dimensions: Dimensions,
    static_dimensions: Dimensions,
    now_ms: i64,
}

impl<'a> Encoder<'a> {
    pub fn new(settings: &'a EncodeSettings, now_ms: i64) -> Encoder<'a> {
        Encoder {
            key_prefix: &settings.key_prefix,
            default_dimensions: normalized_dimensions(&settings.default_dimensions),
            static_dimensions: normalized_dimensions(&settings.static_dimensions),
            now_ms,
        }
    }

    pub fn encode(&self, inputs: &Inputs) -> Encoded {
        let mut encoded = Encoded {
            refusals: inputs.refusals.clone(),
            ..Encoded::default()
        };
        self.encode_metadata(&inputs.metadata, &mut encoded);
        encoded.lines.reserve(inputs.metrics.len());
        for metric in &inputs.metrics {
            match self.metric_line(metric, &mut encoded.warnings) {
                Ok(text) => encoded.lines.push(Line {
                    text,
                    origin: metric.origin.clone(),
                }),
                Err(error) => encoded.refusals.push(Refusal {
                    origin: metric.origin.clone(),
                    error,
                }),
            }
        }
        encoded
    }

    fn encode_metadata(&self, metadata: &[Metadata], encoded: &mut Encoded) {
        let mut sent: Vec<(String, String)> = Vec::new();
        for meta in metadata {
            let key = match self.key(
                &meta.key,
                meta.prefixed,
                &meta.origin,
                &mut encoded.warnings,
            ) {
                Ok(key) => key,
                Err(error) => {
                    encoded.refusals.push(Refusal {
                        origin: meta.origin.clone(),
                        error,
                    });
                    continue;
                }
            };
            let Some(text) = metadata_line(&key, meta) else {
                continue;
            };
            match sent.iter().find(|(k, _)| *k == key) {
                Some((_, first)) if *first == text => {}
                Some(_) => encoded.warnings.push(Warning {
                    origin: meta.origin.clone(),
                    warning: format!(
                        "metadata for `{key}` was already given; only the first is sent"
                    ),
                }),
                None => {
                    sent.push((key, text.clone()));
                    encoded.lines.push(Line {
                        text,
                        origin: meta.origin.clone(),
                    });
                }
            }
        }
    }

    fn key(
        &self,
        raw: &str,
        prefixed: bool,
        origin: &Origin,
        warnings: &mut Vec<Warning>,
    ) -> Result<String, String> {
        let (full, key) = metric_key(self.key_prefix, raw, prefixed)?;
        if key != full {
            warnings.push(Warning {
                origin: origin.clone(),
                warning: format!("metric key `{full}` was normalised to `{key}`"),
            });
        }
        Ok(key)
    }

    fn metric_line(&self, metric: &Metric, warnings: &mut Vec<Warning>) -> Result<String, String> {
        let key = self.key(&metric.key, metric.prefixed, &metric.origin, warnings)?;
        let payload = payload(&metric.value)?;
        if let Some(timestamp) = metric.timestamp {
            self.check_timestamp(timestamp)?;
        }

        let own: Dimensions = metric
            .dimensions
            .iter()
            .filter_map(|(raw_key, raw_value)| {
                let Some(key) = normalize::dimension_key(raw_key) else {
                    warnings.push(Warning {
                        origin: metric.origin.clone(),
                        warning: format!(
                            "dimension key `{raw_key}` has no valid characters; the dimension was dropped"
                        ),
                    });
                    return None;
                };
                let value = normalize::dimension_value(raw_value);
                (!value.is_empty()).then_some((key, value))
            })
            .collect();
        let mut dimensions: Vec<(&str, &str)> = Vec::with_capacity(
            self.default_dimensions.len() + own.len() + self.static_dimensions.len(),
        );
        for (key, value) in self.default_dimensions.iter().chain(&own) {
            set_pair(&mut dimensions, key.as_str(), value.as_str());
        }
        for (key, value) in &self.static_dimensions {
            let replaced_own = own.iter().find(|(k, _)| k == key);
            if let Some((_, own_value)) = replaced_own.filter(|(_, v)| v != value) {
                warnings.push(Warning {
                    origin: metric.origin.clone(),
                    warning: format!(
                        "dimension `{key}` comes from the Keptn context; the metric's value \
                         `{own_value}` was replaced by `{value}`"
                    ),
                });
            }
            set_pair(&mut dimensions, key.as_str(), value.as_str());
        }
        if dimensions.len() > MAX_DIMENSIONS {
            return Err(format!(
                "{} dimensions (with the Keptn and default ones); at most {MAX_DIMENSIONS} are allowed",
                dimensions.len()
            ));
        }

        let mut line = key;
        let dimensions_len: usize = dimensions.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
        line.reserve(dimensions_len + payload.len() + 16);
        for (key, value) in &dimensions {
            line.push(',');
            line.push_str(key);
            line.push('=');
            line.push_str(value);
        }
        line.push(' ');
        line.push_str(&payload);
        if let Some(timestamp) = metric.timestamp {
            line.push(' ');
            line.push_str(&timestamp.to_string());
        }
        if line.len() > MAX_LINE_CHARS && line.chars().count() > MAX_LINE_CHARS {
            return Err(format!(
                "the line is {} characters long; at most {MAX_LINE_CHARS} are allowed",
                line.chars().count()
            ));
        }
        Ok(line)
    }

    fn check_timestamp(&self, timestamp: i64) -> Result<(), String> {
        let earliest = self.now_ms - MAX_PAST_MS;
        let latest = self.now_ms + MAX_FUTURE_MS;
        if (earliest..=latest).contains(&timestamp) {
            return Ok(());
        }
        let hint = if timestamp.abs() < 100_000_000_000 {
            " (it looks like seconds: Dynatrace wants milliseconds)"
        } else if timestamp > 100_000_000_000_000 {
            " (it looks like micro- or nanoseconds: Dynatrace wants milliseconds)"
        } else {
            ""
        };
        Err(format!(
            "timestamp {timestamp} is outside the accepted window of 1 hour in the past to 10 \
             minutes in the future (now is {}){hint}",
            self.now_ms
        ))
    }
}

/// The key as written with the prefix joined on, and normalised; an error if Dynatrace would
/// refuse the normalised key.
pub fn metric_key(key_prefix: &str, raw: &str, prefixed: bool) -> Result<(String, String), String> {
    let full = if prefixed && !key_prefix.is_empty() {
        format!("{key_prefix}.{raw}")
    } else {
        raw.to_owned()
    };
    let key = normalize::metric_key(&full)
        .ok_or_else(|| format!("metric key `{full}` is invalid: its first section is empty"))?;
    if key.len() < MIN_KEY_CHARS {
        return Err(format!(
            "metric key `{key}` is too short: at least {MIN_KEY_CHARS} characters"
        ));
    }
    if key.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("dt.")) {
        return Err(format!(
            "metric key `{key}`: the prefix `dt.` is reserved for Dynatrace's own metrics"
        ));
    }
    Ok((full, key))
}

fn payload(value: &Value) -> Result<String, String> {
    let number = |v: f64, what: &str| {
        normalize::format_number(v)
            .ok_or_else(|| format!("{what} is {v}; Dynatrace accepts only finite numbers"))
    };
    match *value {
        Value::Gauge(v) => Ok(format!("gauge,{}", number(v, "the value")?)),
        Value::Count(v) => Ok(format!("count,delta={}", number(v, "the delta")?)),
        Value::Summary {
            min,
            max,
            sum,
            count,
        } => {
            let (min_s, max_s, sum_s) = (
                number(min, "min")?,
                number(max, "max")?,
                number(sum, "sum")?,
            );
            if count == 0 {
                return Err("a summary needs count of at least 1".into());
            }
            if min > max {
                return Err(format!("summary min {min_s} is greater than max {max_s}"));
            }
            let average = sum / count as f64;
            let tolerance = SUMMARY_TOLERANCE * min.abs().max(max.abs()).max(1.0);
            if average < min - tolerance || average > max + tolerance {
                return Err(format!(
                    "summary is inconsistent: sum/count = {} must lie between min {min_s} and max {max_s}",
                    normalize::format_number(average).unwrap_or_else(|| average.to_string())
                ));
            }
            Ok(format!(
                "gauge,min={min_s},max={max_s},sum={sum_s},count={count}"
            ))
        }
    }
}

fn metadata_line(key: &str, meta: &Metadata) -> Option<String> {
    let mut fields = Vec::new();
    if let Some(unit) = &meta.unit {
        fields.push(format!("dt.meta.unit={}", normalize::dimension_value(unit)));
    }
    if let Some(description) = &meta.description {
        fields.push(format!("dt.meta.description={}", quoted(description)));
    }
    if let Some(name) = &meta.display_name {
        fields.push(format!("dt.meta.displayName={}", quoted(name)));
    }
    if fields.is_empty() {
        return None;
    }
    Some(format!("#{key} {} {}", meta.payload_type, fields.join(",")))
}

/// A quoted metadata value: only `"` and `\` are escaped inside quotes.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in normalize::truncate_chars(text, normalize::DIMENSION_VALUE_MAX_CHARS).chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn normalized_dimensions(raw: &[(String, String)]) -> Dimensions {
    let mut dimensions = Dimensions::new();
    for (key, value) in raw {
        let value = normalize::dimension_value(value);
        if let (Some(key), false) = (normalize::dimension_key(key), value.is_empty()) {
            set_pair(&mut dimensions, key, value);
        }
    }
    dimensions
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_334_400_000;

    fn settings() -> EncodeSettings {
        EncodeSettings {
            key_prefix: "keptn".into(),
            default_dimensions: vec![("team".into(), "core".into())],
            static_dimensions: vec![
                ("ci_platform".into(), "keptn".into()),
                ("keptn_project".into(), "shop".into()),
            ],
            resource_attributes: vec![],
        }
    }

    fn metric(key: &str, value: Value) -> Metric {
        Metric {
            key: key.into(),
            prefixed: true,
            dimensions: vec![],
            value,
            timestamp: None,
            origin: Origin("test".into()),
        }
    }

    fn encode_one(metric: Metric) -> Result<String, String> {
        let settings = settings();
        let encoded = Encoder::new(&settings, NOW).encode(&Inputs {
            metrics: vec![metric],
            ..Inputs::default()
        });
        match (encoded.lines.first(), encoded.refusals.first()) {
            (Some(line), None) => Ok(line.text.clone()),
            (None, Some(refusal)) => Err(refusal.error.clone()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn dimension_precedence_default_then_own_then_keptn() {
        let mut m = metric("latency", Value::Gauge(1.5));
        m.dimensions = vec![
            ("team".into(), "web".into()),
            ("keptn_project".into(), "fake".into()),
            ("Region".into(), "eu west".into()),
        ];
        assert_eq!(
            encode_one(m).unwrap(),
            "keptn.latency,team=web,keptn_project=shop,region=eu\\ west,ci_platform=keptn gauge,1.5"
        );
    }

    #[test]
    fn payloads() {
        assert!(encode_one(metric("c", Value::Count(3.0)))
            .unwrap()
            .ends_with(" count,delta=3"));
        let summary = Value::Summary {
            min: 1.0,
            max: 3.0,
            sum: 6.0,
            count: 3,
        };
        assert!(encode_one(metric("s", summary))
            .unwrap()
            .ends_with(" gauge,min=1,max=3,sum=6,count=3"));
    }

    #[test]
    fn refusals_say_why() {
        let err = |m| encode_one(m).unwrap_err();
        assert!(err(metric("x", Value::Gauge(f64::NAN))).contains("only finite numbers"));
        let bad_summary = Value::Summary {
            min: 1.0,
            max: 2.0,
            sum: 10.0,
            count: 2,
        };
        assert!(err(metric("s", bad_summary)).contains("inconsistent"));
        let mut unprefixed = metric("ab", Value::Gauge(1.0));
        unprefixed.prefixed = false;
        assert!(err(unprefixed).contains("too short"));
        let mut reserved = metric("dt.cpu", Value::Gauge(1.0));
        reserved.prefixed = false;
        assert!(err(reserved).contains("reserved"));
        let mut seconds = metric("x", Value::Gauge(1.0));
        seconds.timestamp = Some(NOW / 1000);
        assert!(err(seconds).contains("looks like seconds"));
        let mut many = metric("x", Value::Gauge(1.0));
        many.dimensions = (0..49).map(|i| (format!("d{i}"), "v".into())).collect();
        assert!(err(many).contains("at most 50"));
    }

    #[test]
    fn refusals_from_the_inputs_are_carried_into_the_result() {
        let settings = settings();
        let refusal = Refusal {
            origin: Origin("m.json $[1]".into()),
            error: "`value` is missing".into(),
        };
        let encoded = Encoder::new(&settings, NOW).encode(&Inputs {
            metrics: vec![metric("ok", Value::Gauge(1.0))],
            refusals: vec![refusal.clone()],
            ..Inputs::default()
        });
        assert_eq!(encoded.refusals, vec![refusal]);
        assert_eq!(encoded.lines.len(), 1);
    }

    #[test]
    fn metadata_lines_once_per_key() {
        let meta = |unit: &str| Metadata {
            key: "latency".into(),
            prefixed: true,
            payload_type: "gauge",
            unit: Some(unit.into()),
            description: Some("p95 \"server\" time".into()),
            display_name: None,
            origin: Origin("m".into()),
        };
        let settings = settings();
        let encoded = Encoder::new(&settings, NOW).encode(&Inputs {
            metadata: vec![meta("MilliSecond"), meta("MilliSecond"), meta("Second")],
            ..Inputs::default()
        });
        assert_eq!(
            encoded
                .lines
                .iter()
                .map(|l| l.text.as_str())
                .collect::<Vec<_>>(),
            vec![
                r#"#keptn.latency gauge dt.meta.unit=MilliSecond,dt.meta.description="p95 \"server\" time""#
            ]
        );
        assert_eq!(encoded.warnings.len(), 1);
    }
}
