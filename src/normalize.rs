//! Every rule for keys, dimensions and values: Dynatrace's "classic" normalisation of metric
//! keys, dimension keys and dimension values as the official `dynatrace-metric-utils` libraries
//! (Python/Go/JS/.NET) apply it, the protocol's own limits on the result, the precedence of
//! dimension layers, and the number format of the line protocol. The conformance tables under
//! `tests/conformance/` pin the normalisation down case by case.

use unicode_general_category::{get_general_category, GeneralCategory};

use crate::model::{set_pair, Code, Problem};

pub const METRIC_KEY_MAX_CHARS: usize = 250;
pub const MIN_KEY_CHARS: usize = 3;
pub const DIMENSION_KEY_MAX_CHARS: usize = 100;
pub const DIMENSION_VALUE_MAX_CHARS: usize = 250;
/// Tolerance of the server's `min <= sum/count <= max` check, relative to the larger of |min|,
/// |max| and 1.
const SUMMARY_TOLERANCE: f64 = 1e-6;

/// A metric key ready to send: `written` is the key as given with the prefix joined on, `key`
/// the same after normalisation (they differ when a warning is due).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricKey {
    pub written: String,
    pub key: String,
}

/// Joins `prefix` (e.g. `keptn.loadtest`) onto a relative key, normalises the result, and
/// refuses a key that Dynatrace would refuse: empty first section, fewer than 3 characters, or
/// the reserved `dt.` prefix.
pub fn metric_key(prefix: &str, raw: &str, prefixed: bool) -> Result<MetricKey, Problem> {
    let written = if prefixed && !prefix.is_empty() {
        format!("{prefix}.{raw}")
    } else {
        raw.to_owned()
    };
    let Some(key) = classic_metric_key(&written) else {
        return Err(Problem::new(
            Code::MetricKeyInvalid,
            format!("metric key `{written}` is invalid: its first section is empty"),
        ));
    };
    if key.len() < MIN_KEY_CHARS {
        return Err(Problem::new(
            Code::MetricKeyInvalid,
            format!("metric key `{key}` is too short: at least {MIN_KEY_CHARS} characters"),
        ));
    }
    if key.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("dt.")) {
        return Err(Problem::new(
            Code::MetricKeyReserved,
            format!("metric key `{key}`: the prefix `dt.` is reserved for Dynatrace's own metrics"),
        ));
    }
    Ok(MetricKey { written, key })
}

/// Merges three layers of already normalised dimensions by precedence (default < the item's
/// own < the Keptn context): a later layer's key takes the value in its first place.
/// `overridden(key, own, context)` hears of each own value that the context replaced.
pub fn merge_dimensions<'a>(
    default: impl IntoIterator<Item = (&'a str, &'a str)>,
    own: &[(&'a str, &'a str)],
    context: impl IntoIterator<Item = (&'a str, &'a str)>,
    mut overridden: impl FnMut(&str, &str, &str),
) -> Vec<(&'a str, &'a str)> {
    let mut merged: Vec<(&str, &str)> = Vec::with_capacity(own.len() + 8);
    for (key, value) in default.into_iter().chain(own.iter().copied()) {
        set_pair(&mut merged, key, value);
    }
    for (key, value) in context {
        if let Some((_, own_value)) = own.iter().find(|(k, v)| *k == key && *v != value) {
            overridden(key, own_value, value);
        }
        set_pair(&mut merged, key, value);
    }
    merged
}

/// The average of a summary when it lies outside `[min, max]` beyond the server's tolerance.
pub fn average_outside_range(min: f64, max: f64, sum: f64, count: u64) -> Option<f64> {
    let average = sum / count as f64;
    let tolerance = SUMMARY_TOLERANCE * min.abs().max(max.abs()).max(1.0);
    (average < min - tolerance || average > max + tolerance).then_some(average)
}

/// Normalises a metric key by the classic rules. `None` means the key cannot be made valid
/// (empty first section).
pub fn classic_metric_key(raw: &str) -> Option<String> {
    let truncated = truncate_chars(raw, METRIC_KEY_MAX_CHARS);
    let mut sections = truncated.split('.');
    let first = sections.next().unwrap_or_default();
    if first.chars().all(is_python_whitespace) {
        return None;
    }
    let mut key = String::with_capacity(truncated.len());
    normalize_section(
        first,
        |c| c.is_ascii_alphabetic() || c == '_',
        is_metric_key_char,
        &mut key,
    );
    for section in sections.filter(|s| !s.is_empty()) {
        key.push('.');
        normalize_section(
            section,
            |c| c.is_ascii_alphanumeric() || c == '_',
            is_metric_key_char,
            &mut key,
        );
    }
    Some(key)
}

/// Normalises a dimension key. `None` means nothing is left and the dimension is dropped.
pub fn dimension_key(raw: &str) -> Option<String> {
    let truncated = truncate_chars(raw, DIMENSION_KEY_MAX_CHARS);
    let mut key = String::with_capacity(truncated.len());
    for section in truncated.split('.').filter(|s| !s.is_empty()) {
        if !key.is_empty() {
            key.push('.');
        }
        let lowered = section.to_lowercase();
        normalize_section(
            &lowered,
            |c| c.is_ascii_lowercase() || c == '_',
            is_dimension_key_char,
            &mut key,
        );
    }
    // Lowercasing can lengthen a key (`İ` becomes `i̇`, normalised to `i_`); the limit holds
    // for the result, so cut again (the reference libraries do not, and send over-long keys).
    if key.len() > DIMENSION_KEY_MAX_CHARS {
        key.truncate(DIMENSION_KEY_MAX_CHARS);
        key.truncate(key.trim_end_matches('.').len());
    }
    (!key.is_empty()).then_some(key)
}

/// Normalises and escapes a dimension value, ready to stand after `key=` in a line.
pub fn dimension_value(raw: &str) -> String {
    let mut escaped = String::with_capacity(raw.len() + 8);
    let mut in_control_run = false;
    for c in raw.chars().take(DIMENSION_VALUE_MAX_CHARS) {
        if is_unicode_other(c) {
            if !in_control_run {
                escaped.push('_');
            }
            in_control_run = true;
            continue;
        }
        in_control_run = false;
        if matches!(c, '\\' | '"' | ',' | '=' | ' ') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    let mut escaped = truncate_chars(&escaped, DIMENSION_VALUE_MAX_CHARS).to_owned();
    let trailing_backslashes = escaped.chars().rev().take_while(|&c| c == '\\').count();
    if trailing_backslashes % 2 == 1 && trailing_backslashes < escaped.chars().count() {
        escaped.pop();
    }
    escaped
}

/// Formats a number as the line protocol wants it: integral values without `.0`, scientific
/// notation always with a decimal point (`1.0e+16`), NaN and infinities refused (`None`).
pub fn format_number(value: f64) -> Option<String> {
    if !value.is_finite() {
        return None;
    }
    if value == 0.0 {
        return Some("0".to_owned());
    }
    let magnitude = value.abs();
    if !(1e-4..=1e15).contains(&magnitude) {
        let scientific = format!("{value:e}");
        let (mantissa, exponent) = scientific.split_once('e').expect("{:e} always has an e");
        let (sign, digits) = match exponent.strip_prefix('-') {
            Some(digits) => ('-', digits),
            None => ('+', exponent),
        };
        let point = if mantissa.contains('.') { "" } else { ".0" };
        return Some(format!("{mantissa}{point}e{sign}{digits:0>2}"));
    }
    // Display is the shortest representation that round-trips, and never uses an exponent.
    Some(format!("{value}"))
}

fn normalize_section(
    section: &str,
    valid_start: impl Fn(char) -> bool,
    valid_char: impl Fn(char) -> bool,
    out: &mut String,
) {
    let rest = section.trim_start_matches(|c| !valid_start(c));
    if rest.len() != section.len() {
        out.push('_');
    }
    let mut in_invalid_run = false;
    for c in rest.chars() {
        if valid_char(c) {
            out.push(c);
            in_invalid_run = false;
        } else if !in_invalid_run {
            out.push('_');
            in_invalid_run = true;
        }
    }
}

fn is_metric_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn is_dimension_key_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | ':')
}

/// Unicode general category C (control, format, surrogate, private use, unassigned).
fn is_unicode_other(c: char) -> bool {
    matches!(
        get_general_category(c),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::Surrogate
            | GeneralCategory::PrivateUse
            | GeneralCategory::Unassigned
    )
}

/// Python's `str.isspace`, which the reference implementation uses: Rust's whitespace plus the
/// ASCII information separators.
fn is_python_whitespace(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

pub(crate) fn truncate_chars(s: &str, max_chars: usize) -> &str {
    match s.char_indices().nth(max_chars) {
        Some((end, _)) => &s[..end],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_key_sections() {
        assert_eq!(
            classic_metric_key("keptn.load test.p95").as_deref(),
            Some("keptn.load_test.p95")
        );
        assert_eq!(classic_metric_key("1st.2nd").as_deref(), Some("_st.2nd"));
        assert_eq!(classic_metric_key("a..b.").as_deref(), Some("a.b"));
        assert_eq!(classic_metric_key(".a"), None);
        assert_eq!(classic_metric_key("  .a"), None);
        assert_eq!(classic_metric_key(""), None);
    }

    #[test]
    fn full_keys_join_the_prefix_and_refuse_what_dynatrace_refuses() {
        let ok = metric_key("keptn.loadtest", "p95 ms", true).unwrap();
        assert_eq!(ok.written, "keptn.loadtest.p95 ms");
        assert_eq!(ok.key, "keptn.loadtest.p95_ms");
        assert_eq!(metric_key("keptn", "x.y", false).unwrap().key, "x.y");
        assert_eq!(metric_key("", "abc", true).unwrap().key, "abc");
        let code = |p: &str, k: &str, prefixed| metric_key(p, k, prefixed).unwrap_err().code;
        assert_eq!(code("keptn", "ab", false), Code::MetricKeyInvalid);
        assert_eq!(code("keptn", ".x", false), Code::MetricKeyInvalid);
        assert_eq!(code("", "dt.cpu", true), Code::MetricKeyReserved);
        assert_eq!(code("DT", "cpu", true), Code::MetricKeyReserved);
    }

    #[test]
    fn dimension_layers_merge_by_precedence() {
        let mut heard = Vec::new();
        let merged = merge_dimensions(
            [("team", "core"), ("a", "1")],
            &[
                ("team", "web"),
                ("keptn_project", "fake"),
                ("ci_platform", "keptn"),
            ],
            [("keptn_project", "shop"), ("ci_platform", "keptn")],
            |k, own, ctx| heard.push(format!("{k}:{own}->{ctx}")),
        );
        assert_eq!(
            merged,
            vec![
                ("team", "web"),
                ("a", "1"),
                ("keptn_project", "shop"),
                ("ci_platform", "keptn")
            ]
        );
        assert_eq!(heard, vec!["keptn_project:fake->shop"]);
    }

    #[test]
    fn summary_averages_within_tolerance() {
        assert_eq!(average_outside_range(1.0, 3.0, 6.0, 3), None);
        assert_eq!(average_outside_range(1.0, 2.0, 10.0, 2), Some(5.0));
        assert_eq!(average_outside_range(1.0, 1.0, 1.000_000_5, 1), None);
    }

    #[test]
    fn dimension_keys_lowercase_and_drop_empty() {
        assert_eq!(
            dimension_key("Keptn Project").as_deref(),
            Some("keptn_project")
        );
        assert_eq!(dimension_key("..."), None);
        assert_eq!(dimension_key("0a.b").as_deref(), Some("_a.b"));
        let lengthened = dimension_key(&"\u{130}".repeat(100)).unwrap();
        assert_eq!(lengthened.len(), DIMENSION_KEY_MAX_CHARS);
        assert!(lengthened.starts_with("i_i_"));
    }

    #[test]
    fn dimension_values_escape_and_never_end_in_a_lone_backslash() {
        assert_eq!(dimension_value("a b,c=d\"e\\"), "a\\ b\\,c\\=d\\\"e\\\\");
        assert_eq!(dimension_value("tab\there\u{0}\u{1}"), "tab_here_");
        let long = format!("{}\\", "a".repeat(249));
        assert_eq!(dimension_value(&long), "a".repeat(249));
    }

    #[test]
    fn numbers() {
        assert_eq!(format_number(42.0).as_deref(), Some("42"));
        assert_eq!(format_number(-0.0).as_deref(), Some("0"));
        assert_eq!(format_number(0.5).as_deref(), Some("0.5"));
        assert_eq!(format_number(1e16).as_deref(), Some("1.0e+16"));
        assert_eq!(format_number(1.5e-7).as_deref(), Some("1.5e-07"));
        assert_eq!(format_number(1e15).as_deref(), Some("1000000000000000"));
        assert_eq!(format_number(f64::NAN), None);
        assert_eq!(format_number(f64::NEG_INFINITY), None);
    }
}
