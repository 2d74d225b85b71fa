//! Encoding metrics to Dynatrace line protocol, with every check the server would otherwise
//! make after the fact. A line that would be refused is refused here, with the reason, and is
//! never sent.

use std::fmt::Write;

use crate::model::{Capped, Code, Metric, Origin, Problem, Warning};
use crate::normalize;
use dimensions::normalized_dimensions;
use payload::{check_timestamp, write_payload};

mod dimensions;
mod metadata;
mod payload;

pub const MAX_DIMENSIONS: usize = 50;
pub const MAX_LINE_CHARS: usize = 50_000;

#[derive(Debug, Clone, Default)]
pub struct EncodeSettings {
    /// Joined onto relative keys: prefix and integration, e.g. `keptn.loadtest`.
    pub key_prefix: String,
    /// Lowest precedence.
    pub default_dimensions: Vec<(String, String)>,
    /// Highest precedence, set for the whole run: labels and metadata, Dynatrace's metadata
    /// files, the run's context; keys normalised, values as given.
    pub static_dimensions: Vec<(String, String)>,
    /// OTLP resource attributes besides the static dimensions: service.name and
    /// deployment.environment.
    pub resource_attributes: Vec<(String, String)>,
}

/// Dimensions after normalisation: key, and value escaped for the line.
type Dimensions = Vec<(String, String)>;

pub struct LineEncoder {
    key_prefix: String,
    default_dimensions: Dimensions,
    context_dimensions: Dimensions,
    /// Metadata lines sent so far, by key: only the first for a key counts.
    metadata_sent: Vec<(String, String)>,
    /// Reused for every line: the key as written, and the metric's own dimensions normalised
    /// as `,key=value` each (`own` holds the ranges of key and value in `own_text`, and the
    /// index of the raw dimension).
    written: String,
    own_text: String,
    /// `own_text` is the own dimensions as they are written: no key was given twice.
    own_text_whole: bool,
    own: Vec<(std::ops::Range<usize>, std::ops::Range<usize>, usize)>,
    dimension_keys: crate::normalize::DimensionKeyCache,
    /// The default and the run's dimensions merged and written out once, for the lines whose
    /// own keys are none of theirs (most): see [`dimensions::Layers`].
    layers: dimensions::Layers,
}

impl LineEncoder {
    pub fn new(settings: &EncodeSettings) -> LineEncoder {
        let default_dimensions = normalized_dimensions(&settings.default_dimensions);
        let context_dimensions = normalized_dimensions(&settings.static_dimensions);
        LineEncoder {
            key_prefix: settings.key_prefix.clone(),
            layers: dimensions::Layers::new(&default_dimensions, &context_dimensions),
            default_dimensions,
            context_dimensions,
            metadata_sent: Vec::new(),
            written: String::new(),
            own_text: String::new(),
            own_text_whole: true,
            own: Vec::new(),
            dimension_keys: Default::default(),
        }
    }

    /// The line for `metric`; `now_ms` is the clock the timestamp window is checked against.
    pub fn metric(
        &mut self,
        metric: &Metric,
        now_ms: i64,
        warnings: &mut Capped<Warning>,
    ) -> Result<String, Problem> {
        let mut line = String::new();
        self.write_metric(metric, now_ms, warnings, &mut line)?;
        Ok(line)
    }

    /// Writes the line for `metric` onto `out`, without its line break; on a refusal `out` is
    /// as it was.
    pub fn write_metric(
        &mut self,
        metric: &Metric,
        now_ms: i64,
        warnings: &mut Capped<Warning>,
        out: &mut String,
    ) -> Result<(), Problem> {
        let start = out.len();
        let written = self.write(metric, now_ms, warnings, out);
        if written.is_err() {
            out.truncate(start);
        }
        written
    }

    fn write(
        &mut self,
        metric: &Metric,
        now_ms: i64,
        warnings: &mut Capped<Warning>,
        out: &mut String,
    ) -> Result<(), Problem> {
        let start = out.len();
        self.key(&metric.key, metric.prefixed, &metric.origin, warnings, out)?;
        if let Some(timestamp) = metric.timestamp {
            check_timestamp(timestamp, now_ms)?;
        }
        let too_many = || {
            Problem::new(
                Code::TooManyDimensions,
                format!(
                    "more than {MAX_DIMENSIONS} dimensions (with the run's and the default ones); \
                     at most {MAX_DIMENSIONS} are allowed"
                ),
            )
        };
        self.own_dimensions(metric, warnings)
            .map_err(|_| too_many())?;
        if !self.write_apart_from_layers(out) {
            let mut merged = dimensions::Merged::new();
            self.merge(metric, warnings, &mut merged)
                .map_err(|_| too_many())?;
            for &(key, value, _) in &merged {
                out.push(',');
                out.push_str(key);
                out.push('=');
                out.push_str(value);
            }
        }
        out.push(' ');
        write_payload(&metric.value, out)?;
        if let Some(timestamp) = metric.timestamp {
            let _ = write!(out, " {timestamp}");
        }
        let length = out.len() - start;
        if length > MAX_LINE_CHARS && out[start..].chars().count() > MAX_LINE_CHARS {
            return Err(Problem::new(
                Code::LineTooLong,
                format!(
                    "the line is {} characters long; at most {MAX_LINE_CHARS} are allowed",
                    out[start..].chars().count()
                ),
            ));
        }
        Ok(())
    }

    fn key(
        &mut self,
        raw: &str,
        prefixed: bool,
        origin: &Origin,
        warnings: &mut Capped<Warning>,
        out: &mut String,
    ) -> Result<(), Problem> {
        let start = out.len();
        let written = &mut self.written;
        let changed =
            normalize::write_full_metric_key(&self.key_prefix, raw, prefixed, written, out)?;
        if changed {
            warnings.push_with(|| Warning {
                origin: origin.clone(),
                code: Code::MetricKeyNormalized,
                text: format!(
                    "metric key `{}` was normalised to `{}`",
                    self.written,
                    &out[start..]
                ),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Origin;
    use crate::model::Value;

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
        let mut out = String::from("before\n");
        let line = LineEncoder::new(&settings()).write_metric(
            &metric,
            NOW,
            &mut Capped::default(),
            &mut out,
        );
        match line {
            Ok(()) => Ok(out["before\n".len()..].to_owned()),
            Err(problem) => {
                assert_eq!(out, "before\n", "a refusal leaves the buffer as it was");
                Err(problem)
            }
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
        let mut warnings = Capped::default();
        let line = LineEncoder::new(&settings()).metric(&m, NOW, &mut warnings);
        assert_eq!(
            line.unwrap(),
            "keptn.latency,team=web,keptn_project=shop,region=eu\\ west,ci_platform=keptn gauge,1.5"
        );
        assert_eq!(warnings.items[0].code, Code::DimensionOverridden);
    }

    #[test]
    fn silent_changes_are_warnings_with_their_place() {
        let mut m = metric("latency", Value::Gauge(1.0));
        m.dimensions = vec![
            ("Region".into(), "eu".into()),
            ("region".into(), "us".into()),
            ("note".into(), "x".repeat(10_000)),
        ];
        let mut warnings = Capped::default();
        let line = LineEncoder::new(&settings())
            .metric(&m, NOW, &mut warnings)
            .unwrap();
        assert!(line.contains(",region=us,"), "{line}");
        let codes: Vec<Code> = warnings.items.iter().map(|w| w.code).collect();
        assert_eq!(
            codes,
            vec![Code::DimensionKeyCollision, Code::DimensionValueTruncated]
        );
        assert!(warnings.items[0]
            .text
            .contains("`Region` and `region` both become `region`"));
        assert!(warnings.items[1]
            .text
            .contains("(10000 characters) was cut to 250"));
        assert_eq!(warnings.items[1].origin.to_string(), "test");
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
}
