//! Metadata lines: `#key gauge dt.meta.unit=..,dt.meta.description="..",
//! dt.meta.displayName=".."`, sent once per key (Dynatrace uses only the first).

use super::LineEncoder;
use crate::model::{Capped, Code, Metadata, Problem, Warning};
use crate::normalize;

impl LineEncoder {
    /// The metadata line for `meta`, or `None` when it says nothing or was already sent.
    pub fn metadata(
        &mut self,
        meta: &Metadata,
        warnings: &mut Capped<Warning>,
    ) -> Result<Option<String>, Problem> {
        let mut key = String::new();
        self.key(&meta.key, meta.prefixed, &meta.origin, warnings, &mut key)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::EncodeSettings;
    use crate::model::Origin;

    fn settings() -> EncodeSettings {
        EncodeSettings {
            key_prefix: "keptn".into(),
            ..EncodeSettings::default()
        }
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
