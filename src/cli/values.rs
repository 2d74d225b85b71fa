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

/// The whole numbers an option takes, for its flag and its variable alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub min: u64,
    pub max: u64,
}

pub const TIMEOUT_SECS: Range = Range { min: 1, max: 600 };
pub const RETRIES: Range = Range { min: 0, max: 10 };
pub const RETRY_BUDGET_SECS: Range = Range { min: 0, max: 3600 };
pub const DEADLINE_SECS: Range = Range {
    min: 1,
    max: 86_400,
};
pub const CONCURRENCY: Range = Range { min: 1, max: 64 };
pub const REPORT_LIMIT: Range = Range {
    min: 1,
    max: 1_000_000,
};
pub const INTERVAL_SECS: Range = Range {
    min: 1,
    max: 86_400,
};

impl Range {
    fn contains(self, n: u64) -> bool {
        (self.min..=self.max).contains(&n)
    }

    /// What a value outside the range is told.
    fn expected(self) -> String {
        format!("must be a whole number from {} to {}", self.min, self.max)
    }

    /// A variable's number, checked; the message names the variable, never the value.
    pub fn check(self, variable: &str, n: u64) -> anyhow::Result<u64> {
        if !self.contains(n) {
            bail!(
                "the environment variable {variable} {} (the value is not shown)",
                self.expected()
            );
        }
        Ok(n)
    }
}

/// A flag's whole number within `range`.
pub(super) fn ranged(range: Range) -> impl Fn(&str) -> Result<u64, String> + Clone {
    move |raw| {
        raw.trim()
            .parse()
            .ok()
            .filter(|n| range.contains(*n))
            .ok_or_else(|| range.expected())
    }
}

pub(super) fn secret_arg(raw: &str) -> Result<Secret, String> {
    Ok(Secret::new(raw.to_owned()))
}

/// `k=v` pairs from `items`, in order, each with `source` and its place (`--label #2`); a
/// key given twice keeps both, the later winning where they are merged.
pub fn parse_pairs<'a>(
    items: impl Iterator<Item = &'a str>,
    source: &str,
    numbered: bool,
) -> Result<Vec<crate::model::RunDimension>> {
    let mut pairs = Vec::new();
    let items = items.map(str::trim).filter(|i| !i.is_empty());
    for (i, item) in items.enumerate() {
        let Some((key, value)) = item.split_once('=').filter(|(k, _)| !k.trim().is_empty()) else {
            bail!("{source}: `{item}` is not KEY=VALUE");
        };
        let source = match numbered {
            true => format!("{source} #{}", i + 1),
            false => source.to_owned(),
        };
        pairs.push(crate::model::RunDimension::new(key.trim(), value, source));
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
        let pairs = parse_pairs(
            ["team=a", " owner=b ", "team=c", ""].into_iter(),
            "--x",
            true,
        );
        let pairs: Vec<(String, String, String)> = pairs
            .unwrap()
            .into_iter()
            .map(|d| (d.key, d.value, d.source))
            .collect();
        let triple = |k: &str, v: &str, s: &str| (k.to_owned(), v.to_owned(), s.to_owned());
        assert_eq!(
            pairs,
            vec![
                triple("team", "a", "--x #1"),
                triple("owner", "b", "--x #2"),
                triple("team", "c", "--x #3")
            ]
        );
        assert!(parse_pairs(["=v"].into_iter(), "--dimension", true)
            .unwrap_err()
            .to_string()
            .starts_with("--dimension: `=v` is not KEY=VALUE"));
    }

    #[test]
    fn ranged_numbers_name_their_range_and_a_variable_never_its_value() {
        let timeout = ranged(TIMEOUT_SECS);
        assert_eq!(timeout(" 30 "), Ok(30));
        for bad in ["0", "601", "18446744073709551615", "-1", "ten", ""] {
            assert_eq!(
                timeout(bad),
                Err("must be a whole number from 1 to 600".into()),
                "{bad}"
            );
        }
        assert_eq!(TIMEOUT_SECS.check("DT_TIMEOUT_SECS", 30).unwrap(), 30);
        assert_eq!(
            TIMEOUT_SECS
                .check("DT_TIMEOUT_SECS", 601)
                .unwrap_err()
                .to_string(),
            "the environment variable DT_TIMEOUT_SECS must be a whole number from 1 to 600 \
             (the value is not shown)"
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
