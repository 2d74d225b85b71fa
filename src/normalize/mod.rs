//! Every rule for keys, dimensions and values: Dynatrace's "classic" normalisation of metric
//! keys, dimension keys and dimension values as the official `dynatrace-metric-utils` libraries
//! (Python/Go/JS/.NET) apply it, the protocol's own limits on the result, the precedence of
//! dimension layers, and the number format of the line protocol. The conformance tables under
//! `tests/conformance/` pin the normalisation down case by case.

use smallvec::SmallVec;

use crate::model::{Code, Problem};

mod classic;
mod key_cache;
mod number;

pub(crate) use classic::truncate_chars;
pub use classic::{
    classic_metric_key, dimension_key, dimension_value, is_plain_metric_key, write_dimension_key,
    write_dimension_value, write_metric_key, write_prefixed_metric_key, DIMENSION_KEY_MAX_CHARS,
    DIMENSION_VALUE_MAX_CHARS, METRIC_KEY_MAX_CHARS,
};
pub use key_cache::DimensionKeyCache;
pub use number::{format_number, write_number};

pub const MIN_KEY_CHARS: usize = 3;
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
    let (mut written, mut key) = (String::new(), String::new());
    write_full_metric_key(prefix, raw, prefixed, &mut written, &mut key)?;
    Ok(MetricKey { written, key })
}

/// [`metric_key`] written onto `out`, with `written` a scratch buffer that is left holding the
/// key as written; returns whether normalising changed it. On a refusal, `out` is unchanged.
pub fn write_full_metric_key(
    prefix: &str,
    raw: &str,
    prefixed: bool,
    written: &mut String,
    out: &mut String,
) -> Result<bool, Problem> {
    if !has_a_name(raw) {
        return Err(Problem::new(
            Code::MetricKeyInvalid,
            format!(
                "metric name `{raw}` has no letter or digit (A-Z, a-z, 0-9) to make a key of: it \
                 would be sent as the bare prefix or `_`, where other such names end up too"
            ),
        ));
    }
    written.clear();
    if prefixed && !prefix.is_empty() {
        written.push_str(prefix);
        written.push('.');
    }
    written.push_str(raw);
    let start = out.len();
    let written_ok = if prefixed && !prefix.is_empty() && is_plain_metric_key(prefix) {
        write_prefixed_metric_key(prefix, raw, out);
        true
    } else {
        write_metric_key(written, out)
    };
    if !written_ok {
        return Err(Problem::new(
            Code::MetricKeyInvalid,
            format!("metric key `{written}` is invalid: its first section is empty"),
        ));
    }
    let key = &out[start..];
    let refusal = if key.len() < MIN_KEY_CHARS {
        Some(Problem::new(
            Code::MetricKeyInvalid,
            format!("metric key `{key}` is too short: at least {MIN_KEY_CHARS} characters"),
        ))
    } else if key.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("dt.")) {
        Some(Problem::new(
            Code::MetricKeyReserved,
            format!("metric key `{key}`: the prefix `dt.` is reserved for Dynatrace's own metrics"),
        ))
    } else {
        None
    };
    if let Some(refusal) = refusal {
        out.truncate(start);
        return Err(refusal);
    }
    Ok(out[start..] != **written)
}

/// Whether a name (the part after the prefix) has something to make a key of: without a letter
/// or digit it normalises to nothing or to `_` sections, and would be sent under the bare
/// prefix, where different names collapse into one key.
fn has_a_name(raw: &str) -> bool {
    raw.bytes().any(|b| b.is_ascii_alphanumeric())
}

/// More distinct keys than the limit: the item is refused whatever follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooMany;

/// Merges dimensions given lowest precedence first (default < the item's own < the run's): a
/// later item's key takes the value in the first place of that key. `replaced(earlier, later)`
/// hears of each item replaced. A key once merged stays, so more than `max` keys refuse the item
/// at once: the merge stops there, at most `max` comparisons per item, linear in the items.
pub fn merge_dimensions<T: Copy, K: PartialEq>(
    items: impl IntoIterator<Item = T>,
    key: impl Fn(T) -> K,
    replaced: impl FnMut(T, T),
    max: usize,
) -> Result<SmallVec<[T; 32]>, TooMany> {
    let mut merged: SmallVec<[T; 32]> = SmallVec::new();
    merge_dimensions_into(items, key, replaced, max, &mut merged)?;
    Ok(merged)
}

/// [`merge_dimensions`] into `merged` (emptied first), where the caller keeps it: a line's
/// dimensions are not moved from frame to frame on their way into the line.
pub fn merge_dimensions_into<T: Copy, K: PartialEq>(
    items: impl IntoIterator<Item = T>,
    key: impl Fn(T) -> K,
    mut replaced: impl FnMut(T, T),
    max: usize,
    merged: &mut SmallVec<[T; 32]>,
) -> Result<(), TooMany> {
    merged.clear();
    for item in items {
        let item_key = key(item);
        match merged.iter().position(|m| key(*m) == item_key) {
            Some(existing) => {
                replaced(merged[existing], item);
                merged[existing] = item;
            }
            None if merged.len() == max => return Err(TooMany),
            None => merged.push(item),
        }
    }
    Ok(())
}

/// The average of a summary when it lies outside `[min, max]` beyond the server's tolerance.
pub fn average_outside_range(min: f64, max: f64, sum: f64, count: u64) -> Option<f64> {
    let average = sum / count as f64;
    let tolerance = SUMMARY_TOLERANCE * min.abs().max(max.abs()).max(1.0);
    (average < min - tolerance || average > max + tolerance).then_some(average)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_name_of_nothing_is_refused_whatever_the_prefix() {
        for prefix in ["keptn", "", "keptn.loadtest"] {
            for name in ["", " ", "!!!", ".", "_", "._.", "€ €", "キュー/延迟"] {
                let refused = metric_key(prefix, name, true).unwrap_err();
                assert_eq!(refused.code, Code::MetricKeyInvalid, "{prefix:?} {name:?}");
                assert!(
                    refused.reason.contains("no letter or digit"),
                    "{}",
                    refused.reason
                );
            }
            for name in ["abc", "!!!.cpu", "é.x", "load test"] {
                assert!(
                    metric_key(prefix, name, true).is_ok(),
                    "{prefix:?} {name:?}"
                );
            }
        }
    }

    #[test]
    fn dimension_layers_merge_by_precedence() {
        let mut heard = Vec::new();
        let layers = [
            ("team", "core"),
            ("a", "1"),
            ("team", "web"),
            ("keptn_project", "fake"),
            ("keptn_project", "shop"),
        ];
        let merged = merge_dimensions(
            layers,
            |(k, _)| k,
            |old, new| heard.push(format!("{}:{}->{}", old.0, old.1, new.1)),
            3,
        )
        .unwrap();
        assert_eq!(
            merged.as_slice(),
            [("team", "web"), ("a", "1"), ("keptn_project", "shop")]
        );
        assert_eq!(heard, vec!["team:core->web", "keptn_project:fake->shop"]);
        let too_many = merge_dimensions(layers, |(k, _)| k, |_, _| {}, 2);
        assert_eq!(too_many, Err(TooMany));
    }

    #[test]
    fn summary_averages_within_tolerance() {
        assert_eq!(average_outside_range(1.0, 3.0, 6.0, 3), None);
        assert_eq!(average_outside_range(1.0, 2.0, 10.0, 2), Some(5.0));
        assert_eq!(average_outside_range(1.0, 1.0, 1.000_000_5, 1), None);
    }
}
