//! Encoding metrics to Dynatrace line protocol, with every check the server would otherwise
//! make after the fact. A line that would be refused is refused here, with the reason, and is
//! never sent.

use crate::config::EncodeSettings;
use crate::model::{Capped, Code, Metadata, Metric, Origin, Problem, Value, Warning};
use crate::normalize::{self, merge_dimensions};

pub const MAX_DIMENSIONS: usize = 50;
pub const MAX_LINE_CHARS: usize = 50_000;
pub const MAX_PAST_MS: i64 = 60 * 60 * 1000;
pub const MAX_FUTURE_MS: i64 = 10 * 60 * 1000;

/// Dimensions after normalisation: key, and value escaped for the line.
type Dimensions = Vec<(String, String)>;

pub struct LineEncoder {
    key_prefix: String,
    default_dimensions: Dimensions,
    context_dimensions: Dimensions,
    /// Metadata lines sent so far, by key: only the first for a key counts.
    metadata_sent: Vec<(String, String)>,
}

impl LineEncoder {
    pub fn new(settings: &EncodeSettings) -> LineEncoder {
        LineEncoder {
            key_prefix: settings.key_prefix.clone(),
            default_dimensions: normalized_dimensions(&settings.default_dimensions),
            context_dimensions: normalized_dimensions(&settings.static_dimensions),
            metadata_sent: Vec::new(),
        }
    }

    /// The metadata line for `meta`, or `None` when it says nothing or was already sent.
    pub fn metadata(
        &mut self,
        meta: &Metadata,
        warnings: &mut Capped<Warning>,
    ) -> Result<Option<String>, Problem> {
        let key = self.key(&meta.key, meta.prefixed, &meta.origin, warnings)?;
        let Some(text) = metadata_line(&key, meta) else {
            return Ok(None);
        };
        match self.metadata_sent.iter().find(|(k, _)| *k == key) {
            Some((_, first)) if *first == text => Ok(None),
            Some(_) => {
                warnings.push_with(|| Warning {
                    origin: meta.origin.clone(),
                    code: Code::MetadataDuplicate,
                    text: format!("metadata for `{key}` was already given; only the first is sent"),
                });
                Ok(None)
            }
            None => {
                self.metadata_sent.push((key, text.clone()));
                Ok(Some(text))
            }
        }
    }

    /// The line for `metric`; `now_ms` is the clock the timestamp window is checked against.
    pub fn metric(
        &self,
        metric: &Metric,
        now_ms: i64,
        warnings: &mut Capped<Warning>,
    ) -> Result<String, Problem> {
        let key = self.key(&metric.key, metric.prefixed, &metric.origin, warnings)?;
        let payload = payload(&metric.value)?;
        if let Some(timestamp) = metric.timestamp {
            check_timestamp(timestamp, now_ms)?;
        }

        let own: Dimensions = metric
            .dimensions
            .iter()
            .filter_map(|(raw_key, raw_value)| {
                let Some(key) = normalize::dimension_key(raw_key) else {
                    warnings.push_with(|| Warning {
                        origin: metric.origin.clone(),
                        code: Code::DimensionDropped,
                        text: format!(
                            "dimension key `{raw_key}` has no valid characters; the dimension was dropped"
                        ),
                    });
                    return None;
                };
                let value = normalize::dimension_value(raw_value);
                (!value.is_empty()).then_some((key, value))
            })
            .collect();
        let own: Vec<(&str, &str)> = own.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let dimensions = merge_dimensions(
            pairs(&self.default_dimensions),
            &own,
            pairs(&self.context_dimensions),
            |key, own_value, value| {
                warnings.push_with(|| Warning {
                    origin: metric.origin.clone(),
                    code: Code::DimensionOverridden,
                    text: format!(
                        "dimension `{key}` comes from the Keptn context; the metric's value \
                         `{own_value}` was replaced by `{value}`"
                    ),
                })
            },
        );
        if dimensions.len() > MAX_DIMENSIONS {
            return Err(Problem::new(
                Code::TooManyDimensions,
                format!(
                    "{} dimensions (with the Keptn and default ones); at most {MAX_DIMENSIONS} are allowed",
                    dimensions.len()
                ),
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
            return Err(Problem::new(
                Code::LineTooLong,
                format!(
                    "the line is {} characters long; at most {MAX_LINE_CHARS} are allowed",
                    line.chars().count()
                ),
            ));
        }
        Ok(line)
    }

    fn key(
        &self,
        raw: &str,
        prefixed: bool,
        origin: &Origin,
        warnings: &mut Capped<Warning>,
    ) -> Result<String, Problem> {
        let key = normalize::metric_key(&self.key_prefix, raw, prefixed)?;
        if key.key != key.written {
            warnings.push_with(|| Warning {
                origin: origin.clone(),
                code: Code::MetricKeyNormalized,
                text: format!(
                    "metric key `{}` was normalised to `{}`",
                    key.written, key.key
                ),
            });
        }
        Ok(key.key)
    }
}

fn pairs(dimensions: &Dimensions) -> impl Iterator<Item = (&str, &str)> {
    dimensions.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

fn check_timestamp(timestamp: i64, now_ms: i64) -> Result<(), Problem> {
    let earliest = now_ms - MAX_PAST_MS;
    let latest = now_ms + MAX_FUTURE_MS;
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
    Err(Problem::new(
        Code::TimestampOutOfWindow,
        format!(
            "timestamp {timestamp} is outside the accepted window of 1 hour in the past to 10 \
             minutes in the future (now is {now_ms}){hint}"
        ),
    ))
}

fn payload(value: &Value) -> Result<String, Problem> {
    let number = |v: f64, what: &str| {
        normalize::format_number(v).ok_or_else(|| {
            Problem::new(
                Code::ValueNotFinite,
                format!("{what} is {v}; Dynatrace accepts only finite numbers"),
            )
        })
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
            let invalid = |reason: String| Err(Problem::new(Code::SummaryInvalid, reason));
            if count == 0 {
                return invalid("a summary needs count of at least 1".into());
            }
            if min > max {
                return invalid(format!("summary min {min_s} is greater than max {max_s}"));
            }
            if let Some(average) = normalize::average_outside_range(min, max, sum, count) {
                return invalid(format!(
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
            crate::model::set_pair(&mut dimensions, key, value);
        }
    }
    dimensions
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Origin;

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
            origin: Origin::whole("test"),
        }
    }

    fn encode_one(metric: Metric) -> Result<String, Problem> {
        LineEncoder::new(&settings()).metric(&metric, NOW, &mut Capped::default())
    }

    #[test]
    fn dimension_precedence_default_then_own_then_keptn() {
        let mut m = metric("latency", Value::Gauge(1.5));
        m.dimensions = vec![
            ("team".into(), "web".into()),
            ("keptn_project".into(), "fake".into()),
            ("Region".into(), "eu west".into()),
        ];
        let mut warnings = Capped::default();
        let line = LineEncoder::new(&settings()).metric(&m, NOW, &mut warnings);
        assert_eq!(
            line.unwrap(),
            "keptn.latency,team=web,keptn_project=shop,region=eu\\ west,ci_platform=keptn gauge,1.5"
        );
        assert_eq!(warnings.items[0].code, Code::DimensionOverridden);
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
    fn refusals_say_why_with_a_code() {
        let err = |m| encode_one(m).unwrap_err();
        let nan = err(metric("x", Value::Gauge(f64::NAN)));
        assert_eq!(nan.code, Code::ValueNotFinite);
        assert!(nan.reason.contains("only finite numbers"));
        let bad_summary = Value::Summary {
            min: 1.0,
            max: 2.0,
            sum: 10.0,
            count: 2,
        };
        let inconsistent = err(metric("s", bad_summary));
        assert_eq!(inconsistent.code, Code::SummaryInvalid);
        assert!(inconsistent.reason.contains("inconsistent"));
        let mut unprefixed = metric("ab", Value::Gauge(1.0));
        unprefixed.prefixed = false;
        assert!(err(unprefixed).reason.contains("too short"));
        let mut reserved = metric("dt.cpu", Value::Gauge(1.0));
        reserved.prefixed = false;
        assert_eq!(err(reserved).code, Code::MetricKeyReserved);
        let mut seconds = metric("x", Value::Gauge(1.0));
        seconds.timestamp = Some(NOW / 1000);
        let seconds = err(seconds);
        assert_eq!(seconds.code, Code::TimestampOutOfWindow);
        assert!(seconds.reason.contains("looks like seconds"));
        let mut many = metric("x", Value::Gauge(1.0));
        many.dimensions = (0..49).map(|i| (format!("d{i}"), "v".into())).collect();
        let many = err(many);
        assert_eq!(many.code, Code::TooManyDimensions);
        assert!(many.reason.contains("at most 50"));
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
            origin: Origin::whole("m"),
        };
        let mut encoder = LineEncoder::new(&settings());
        let mut warnings = Capped::default();
        let lines: Vec<Option<String>> = ["MilliSecond", "MilliSecond", "Second"]
            .iter()
            .map(|unit| encoder.metadata(&meta(unit), &mut warnings).unwrap())
            .collect();
        assert_eq!(
            lines,
            vec![
                Some(
                    r#"#keptn.latency gauge dt.meta.unit=MilliSecond,dt.meta.description="p95 \"server\" time""#
                        .to_owned()
                ),
                None,
                None
            ]
        );
        assert_eq!(warnings.items.len(), 1);
        assert_eq!(warnings.items[0].code, Code::MetadataDuplicate);
    }
}
