//! Properties of the encoder that must hold for every input: each string is either refused with a
//! reason or becomes something a strict reading of the protocol accepts, and normalising twice
//! changes nothing.

use keptn_dt_metrics::encode::EncodeSettings;
use keptn_dt_metrics::encode::LineEncoder;
use keptn_dt_metrics::input::lineproto::{parse_line, ParsedLine};
use keptn_dt_metrics::model::{Capped, Metric, Origin, Value};
use keptn_dt_metrics::normalize;
use proptest::prelude::*;

/// Arbitrary Unicode, and strings dense in the characters the rules care about.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9_.:\\- ,=\"\\\\\t\u{0}\u{7f}\u{200b}\u{130}\u{212a}é€😀]{0,300}",
        "[\u{130}.a]{90,300}",
    ]
}

fn strict_metric_key(key: &str) -> bool {
    let mut sections = key.split('.');
    let first_ok = sections.next().is_some_and(|first| {
        first.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && first
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    });
    first_ok
        && sections.all(|s| {
            s.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
        && key.len() <= 255
}

fn strict_dimension_key(key: &str) -> bool {
    key.len() <= 100
        && key.split('.').all(|s| {
            s.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-:".contains(c))
        })
}

/// An escaped value: no unescaped separator, no control character, no dangling backslash.
fn strict_dimension_value(value: &str) -> bool {
    let mut chars = value.chars();
    let mut count = 0;
    while let Some(c) = chars.next() {
        count += 1;
        match c {
            '\\' => match chars.next() {
                Some(_) => count += 1,
                None => return false,
            },
            ',' | ' ' | '=' | '"' => return false,
            c if c.is_control() => return false,
            _ => {}
        }
    }
    count <= 250
}

fn strict_number(text: &str) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (mantissa, exponent) = match unsigned.split_once('e') {
        Some((m, e)) => (m, Some(e)),
        None => (unsigned, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => digits(int) && digits(frac),
        None => digits(mantissa) && exponent.is_none(),
    };
    let exponent_ok = exponent.is_none_or(|e| e.strip_prefix(['+', '-']).is_some_and(digits));
    mantissa_ok && exponent_ok
}

fn unescape(value: &str) -> String {
    let mut out = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        out.push(if c == '\\' {
            chars.next().unwrap_or('\\')
        } else {
            c
        });
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn metric_keys_are_refused_or_strictly_valid_and_stable(raw in text()) {
        if let Some(key) = normalize::classic_metric_key(&raw) {
            prop_assert!(strict_metric_key(&key), "{raw:?} -> {key:?}");
            prop_assert_eq!(normalize::classic_metric_key(&key), Some(key));
        }
    }

    #[test]
    fn dimension_keys_are_dropped_or_strictly_valid_and_stable(raw in text()) {
        if let Some(key) = normalize::dimension_key(&raw) {
            prop_assert!(strict_dimension_key(&key), "{raw:?} -> {key:?}");
            prop_assert_eq!(normalize::dimension_key(&key), Some(key));
        }
    }

    #[test]
    fn dimension_values_are_strictly_escaped_and_stable(raw in text()) {
        let value = normalize::dimension_value(&raw);
        prop_assert!(strict_dimension_value(&value), "{raw:?} -> {value:?}");
        prop_assert_eq!(normalize::dimension_value(&unescape(&value)), value);
    }

    #[test]
    fn numbers_round_trip_in_the_protocols_format(bits in any::<u64>()) {
        let value = f64::from_bits(bits);
        match normalize::format_number(value) {
            None => prop_assert!(!value.is_finite()),
            Some(text) => {
                prop_assert!(strict_number(&text), "{value:?} -> {text}");
                let back: f64 = text.parse().unwrap();
                prop_assert!(back == value, "{value:?} -> {text} -> {back:?}");
            }
        }
    }

    #[test]
    fn whole_lines_are_refused_with_a_reason_or_read_back_unchanged(
        key in text(),
        dimensions in proptest::collection::vec((text(), text()), 0..8),
        value in any::<f64>(),
        kind in 0..3u8,
    ) {
        let settings = EncodeSettings {
            key_prefix: "keptn".into(),
            default_dimensions: vec![],
            static_dimensions: vec![("ci_platform".into(), "keptn".into())],
            resource_attributes: vec![],
        };
        let value = match kind {
            0 => Value::Gauge(value),
            1 => Value::Count(value),
            _ => Value::Summary { min: value, max: value, sum: value * 2.0, count: 2 },
        };
        let metric = Metric { key, prefixed: true, dimensions, value, timestamp: None, origin: Origin::whole("p") };
        let line = match LineEncoder::new(&settings).metric(&metric, 0, &mut Capped::default()) {
            Err(refusal) => {
                prop_assert!(!refusal.reason.is_empty());
                return Ok(());
            }
            Ok(line) => line,
        };
        let line = &line;
        let Ok(ParsedLine::Metric { key, dimensions, value: read_value, .. }) = parse_line(line) else {
            return Err(TestCaseError::fail(format!("unreadable line {line:?}")));
        };
        prop_assert!(strict_metric_key(&key), "{line:?}");
        prop_assert!(dimensions.len() <= 50);
        for (k, _) in &dimensions {
            prop_assert!(strict_dimension_key(k), "{line:?}");
        }
        prop_assert_eq!(read_value, value);
        // Encoding what was read again, without the prefix, gives the same line.
        let again = Metric { key, prefixed: false, dimensions, value: read_value, timestamp: None, origin: Origin::whole("p") };
        let again = LineEncoder::new(&EncodeSettings::default()).metric(&again, 0, &mut Capped::default());
        prop_assert_eq!(&again.unwrap(), line);
    }
}
