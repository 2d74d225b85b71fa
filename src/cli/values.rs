//! The parsers of option values: each says what is wrong in words clap prints after the option.

use std::path::PathBuf;

use anyhow::{bail, Result};

use super::Bounds;
use crate::secret::Secret;

pub(super) fn histogram_arg(arg: &str) -> Result<(String, PathBuf), String> {
    match arg.split_once('=') {
        Some((name, file)) if !name.is_empty() && !file.is_empty() => {
            Ok((name.to_owned(), PathBuf::from(file)))
        }
        _ => Err("not NAME=FILE (e.g. response_time=latencies.txt)".into()),
    }
}

pub(super) fn bounds_arg(list: &str) -> Result<Bounds, String> {
    let bounds = list
        .split(',')
        .map(|b| {
            b.trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("`{}` is not a finite number", b.trim()))
        })
        .collect::<Result<Vec<f64>, String>>()?;
    crate::histogram::check_bounds(&bounds)?;
    Ok(Bounds(bounds))
}

/// The boolean words the variables have always accepted, in any case.
pub(super) fn bool_arg(raw: &str) -> Result<bool, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err("not a boolean: use true or false".into()),
    }
}

/// A whole number from `min` to `max`; the message names the variable the value may come from.
pub(super) fn ranged(
    variable: Option<&'static str>,
    min: u64,
    max: u64,
) -> impl Fn(&str) -> Result<u64, String> + Clone {
    move |raw| {
        raw.trim()
            .parse()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| {
                let from = variable
                    .map(|v| format!(" (also from {v})"))
                    .unwrap_or_default();
                format!("must be a whole number from {min} to {max}{from}")
            })
    }
}

pub(super) fn secret_arg(raw: &str) -> Result<Secret, String> {
    Ok(Secret::new(raw.to_owned()))
}

/// `k=v` pairs from `items`; a key given twice keeps the later value in its first place.
pub fn parse_pairs<'a>(
    items: impl Iterator<Item = &'a str>,
    source: &str,
) -> Result<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    for item in items.map(str::trim).filter(|i| !i.is_empty()) {
        let Some((key, value)) = item.split_once('=').filter(|(k, _)| !k.trim().is_empty()) else {
            bail!("{source}: `{item}` is not KEY=VALUE");
        };
        crate::model::set_pair(&mut pairs, key.trim().to_owned(), value.to_owned());
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boolean_words() {
        for yes in ["true", "1", "YES", " on "] {
            assert_eq!(bool_arg(yes), Ok(true), "{yes}");
        }
        for no in ["false", "0", "No", "off"] {
            assert_eq!(bool_arg(no), Ok(false), "{no}");
        }
        assert!(bool_arg("maybe").is_err());
    }

    #[test]
    fn key_value_pairs() {
        assert_eq!(
            parse_pairs(["team=a", " owner=b ", "team=c", ""].into_iter(), "x").unwrap(),
            vec![("team".into(), "c".into()), ("owner".into(), "b".into())]
        );
        assert!(parse_pairs(["=v"].into_iter(), "--dimension")
            .unwrap_err()
            .to_string()
            .starts_with("--dimension: `=v` is not KEY=VALUE"));
    }

    #[test]
    fn ranged_numbers_name_their_range_and_variable() {
        let timeout = ranged(Some("DT_TIMEOUT_SECS"), 1, 600);
        assert_eq!(timeout(" 30 "), Ok(30));
        for bad in ["0", "601", "18446744073709551615", "-1", "ten", ""] {
            assert_eq!(
                timeout(bad),
                Err("must be a whole number from 1 to 600 (also from DT_TIMEOUT_SECS)".into()),
                "{bad}"
            );
        }
        assert_eq!(
            ranged(None, 1, 9)("0"),
            Err("must be a whole number from 1 to 9".into())
        );
    }

    #[test]
    fn bounds_and_histograms() {
        assert_eq!(bounds_arg("1, 2.5,10"), Ok(Bounds(vec![1.0, 2.5, 10.0])));
        assert!(bounds_arg("2,1")
            .unwrap_err()
            .contains("strictly ascending"));
        assert!(bounds_arg("1,x")
            .unwrap_err()
            .contains("`x` is not a finite number"));
        assert_eq!(
            histogram_arg("latency=s.txt"),
            Ok(("latency".into(), PathBuf::from("s.txt")))
        );
        assert!(histogram_arg("latency").is_err());
    }
}
