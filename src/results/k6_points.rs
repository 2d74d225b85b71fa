//! k6's raw output, one point at a time, whether JSON (`--out json`) or CSV (`--out csv`) wrote
//! it: each HTTP request gives one `http_req_duration` point (at its end) and one
//! `http_req_failed` point (1 when it failed), labelled by their `name` tag (k6 sets it to the
//! URL unless the script names the request); `checks` points (1 passed, 0 failed) by their
//! `check` and `group` tags; `iterations`, `dropped_iterations`, `data_sent`, `data_received`
//! (summed), `vus` and `vus_max` (their most). Other metrics are skipped.

use super::emit::Results;
use super::k6_run::{self, Check, ALL_CHECKS};
use super::labels::Labels;
use super::percentiles::Rule;
use super::samples::Samples;
use super::time::{self, Instant};

/// The tags of a point that are read.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tags<'a> {
    pub name: Option<&'a str>,
    pub url: Option<&'a str>,
    pub check: Option<&'a str>,
    pub group: Option<&'a str>,
}

/// The points of one input so far.
pub struct Points {
    samples: Samples,
    /// Per check (its group in the method's place): passes and fails.
    checks: Labels<(u64, u64)>,
    all_checks: (u64, u64),
    iterations: Option<f64>,
    dropped: Option<f64>,
    sent: Option<f64>,
    received: Option<f64>,
    vus: Option<f64>,
    vus_max: Option<f64>,
}

fn sum(total: &mut Option<f64>, value: f64) {
    *total = Some(total.unwrap_or(0.0) + value);
}

fn most(peak: &mut Option<f64>, value: f64) {
    *peak = Some(peak.map_or(value, |p| p.max(value)));
}

impl Points {
    pub fn new(bounds: Option<Vec<f64>>) -> Result<Points, String> {
        Ok(Points {
            samples: Samples::new(bounds, Rule::K6)?,
            checks: Labels::new((0, 0)),
            all_checks: (0, 0),
            iterations: None,
            dropped: None,
            sent: None,
            received: None,
            vus: None,
            vus_max: None,
        })
    }

    /// Whether points of `metric` are read (the others need not be parsed).
    pub fn reads(metric: &str) -> bool {
        matches!(
            metric,
            "http_req_duration"
                | "http_req_failed"
                | "checks"
                | "iterations"
                | "dropped_iterations"
                | "data_sent"
                | "data_received"
                | "vus"
                | "vus_max"
        )
    }

    /// Adds one point of `metric` (one [`Points::reads`]); `time` is its time as written.
    pub fn add(&mut self, metric: &str, time: &str, value: f64, tags: Tags) -> Result<(), String> {
        if !value.is_finite() {
            return Err(format!("{metric} {value} is not a number"));
        }
        let label = tags.name.or(tags.url).map(str::as_bytes);
        match metric {
            "http_req_duration" => {
                if value < 0.0 {
                    return Err(format!(
                        "http_req_duration {value} is not a number of milliseconds (0 or more)"
                    ));
                }
                let end = parse_time(time).ok_or_else(|| {
                    format!("the time `{time}` is not an RFC 3339 time or a Unix time")
                })?;
                match label {
                    Some(name) => self.samples.request(None, name, value, false),
                    None => self.samples.unlabelled_request(value),
                }
                let start_ns = end.ns.saturating_sub((value * 1e6) as i64);
                self.samples.time(start_ns, end.ns, end.zoned);
            }
            "http_req_failed" if value != 0.0 => match label {
                Some(name) => self.samples.failure(None, name),
                None => self.samples.unlabelled_failure(),
            },
            "checks" => {
                let group = tags.group.unwrap_or("").as_bytes();
                let name = tags.check.unwrap_or("").as_bytes();
                let (passes, fails) = self.checks.get(Some(group), name);
                let (all_passes, all_fails) = &mut self.all_checks;
                if value != 0.0 {
                    (*passes, *all_passes) = (*passes + 1, *all_passes + 1);
                } else {
                    (*fails, *all_fails) = (*fails + 1, *all_fails + 1);
                }
            }
            "iterations" => sum(&mut self.iterations, value),
            "dropped_iterations" => sum(&mut self.dropped, value),
            "data_sent" => sum(&mut self.sent, value),
            "data_received" => sum(&mut self.received, value),
            "vus" => most(&mut self.vus, value),
            "vus_max" => most(&mut self.vus_max, value),
            _ => {}
        }
        Ok(())
    }

    /// The requests per label and over all, with what the run measured beyond them.
    pub fn finish(self) -> Results {
        let mut results = self.samples.finish();
        // k6's labels are its `name` tags, as its submetrics select them: in name order, as
        // from a summary.
        results.labels.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        if let Some(all) = results.all.as_mut() {
            all.more.bytes_sent = self.sent;
            all.more.bytes_received = self.received;
            all.more.users = self.vus;
        }
        let (checks, _) = self.checks.finish();
        if !checks.is_empty() {
            let checks = checks
                .into_iter()
                .map(|(label, (passes, fails))| Check {
                    name: label.name,
                    group: label.method.unwrap_or_default(),
                    passes,
                    fails,
                })
                .collect();
            let (passes, fails) = self.all_checks;
            let all = Check {
                name: ALL_CHECKS.to_owned(),
                group: String::new(),
                passes,
                fails,
            };
            results.figures.extend(k6_run::checks(checks, Some(all)));
        }
        for (metric, count) in [
            ("iterations", self.iterations),
            ("dropped_iterations", self.dropped),
        ] {
            if let Some(count) = count {
                results
                    .figures
                    .extend(k6_run::iterations(metric, count, None));
            }
        }
        results.figures.extend(self.vus_max.map(k6_run::vus_max));
        results
    }
}

/// A point's time: RFC 3339 (JSON output, and CSV with `timeFormat` `rfc3339`), or a Unix time
/// in seconds, milli-, micro- or nanoseconds (CSV's `unix`, the default, and `unix_milli`, ...),
/// told apart by the number of digits.
fn parse_time(text: &str) -> Option<Instant> {
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return time::parse(text);
    }
    let number: i64 = text.parse().ok()?;
    let scale = match text.len() {
        ..=11 => 1_000_000_000,
        12..=14 => 1_000_000,
        15..=17 => 1_000,
        _ => 1,
    };
    Some(Instant {
        ns: number.checked_mul(scale)?,
        zoned: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_times_by_their_digits_and_rfc_3339() {
        let ns = 1_796_480_329_000_000_000;
        for text in [
            "1796480329",
            "1796480329000",
            "1796480329000000",
            "1796480329000000000",
        ] {
            assert_eq!(
                parse_time(text),
                Some(Instant { ns, zoned: true }),
                "{text}"
            );
        }
        assert_eq!(parse_time("2026-12-05T14:18:49Z").unwrap().ns, ns);
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(parse_time(""), None);
    }
}
