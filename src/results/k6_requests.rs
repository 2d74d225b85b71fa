//! The requests of a k6 summary: `http_reqs` (`count`, `rate`), `http_req_failed` (`passes`
//! are the failed requests) and `http_req_duration` (`min`, `avg`, `max`, `med`, `p(90)`, ...
//! as far as `summaryTrendStats` asked for them), over all and per request name for the
//! submetrics a threshold made (`http_req_duration{name:GET /cart}`).
//!
//! A label is the `name` tag (or `url`), as k6's submetrics select requests: `{name:X}` and
//! `{method:GET,name:X}` are one label, as from k6's JSON output. Its request count is
//! `http_reqs{name:X}`'s, else the trend's `count`, else `http_req_failed{name:X}`'s passes and
//! fails; a label known to have no requests (a count of 0, or k6's all-zero trend of a
//! submetric that matched nothing) sends nothing; one whose count cannot be known sends its
//! percentiles only, with a warning.

use std::sync::Arc;

use serde_json::{Map, Value as Json};

use super::emit::{RequestStats, Spread};
use super::k6_summary::count;
use super::labels::{Label, Labels, OTHER};
use super::Job;
use crate::model::{Code, Origin, Warning};

/// What the summary says of one label (or of all requests).
#[derive(Debug, Clone, Default)]
struct Parts {
    requests: Option<u64>,
    failures: Option<u64>,
    /// `passes + fails` of `http_req_failed`: the requests, when `http_reqs` is missing.
    checked: Option<u64>,
    rate: Option<f64>,
    trend: Option<Map<String, Json>>,
}

/// The request metrics of a summary, over all and per label.
pub struct Requests {
    all: Parts,
    labels: Labels<Parts>,
}

impl Default for Requests {
    fn default() -> Requests {
        Requests {
            all: Parts::default(),
            labels: Labels::new(Parts::default()),
        }
    }
}

/// The request label of a submetric's tags (`name:GET /cart`, `method:GET,name:/`): `None`
/// when they select something else than requests by name (`expected_response:true`).
fn label_of(selector: &str) -> Option<&str> {
    let (mut name, mut url) = (None, None);
    for tag in selector.split(',') {
        match tag.split_once(':')? {
            ("name", value) => name = Some(value),
            ("url", value) => url = Some(value),
            ("method", _) => {}
            _ => return None,
        }
    }
    name.or(url)
}

impl Requests {
    /// Takes `metric` (of all requests, or of the submetric `selector`): whether it is used.
    pub fn take(
        &mut self,
        metric: &str,
        selector: Option<&str>,
        values: &Map<String, Json>,
    ) -> Result<bool, String> {
        let parts = match selector {
            None => &mut self.all,
            Some(selector) => match label_of(selector) {
                Some(name) => self.labels.get(None, name.as_bytes()),
                None => return Ok(false),
            },
        };
        parts.take(metric, values)?;
        Ok(true)
    }

    /// The labels (in name order, `_other` last) and the aggregate, with what to warn of
    /// folding; warns of labels whose count is not known.
    pub fn finish(
        self,
        job: &mut Job,
    ) -> (
        Vec<(Label, RequestStats)>,
        Option<RequestStats>,
        Option<String>,
    ) {
        let (labels, folded) = self.labels.finish();
        let mut uncounted = Vec::new();
        let mut labels: Vec<(Label, RequestStats)> = labels
            .into_iter()
            .filter_map(|(label, parts)| {
                let counted = parts.count().is_some();
                let mut stats = parts.stats()?;
                if label.name == OTHER {
                    stats.percentiles = [None; 4];
                    stats.response_time = None;
                } else if !counted {
                    uncounted.push(format!("`{}`", label.name));
                }
                Some((label, stats))
            })
            .collect();
        labels.sort_by(|a, b| (a.0.name == OTHER, &a.0.name).cmp(&(b.0.name == OTHER, &b.0.name)));
        let all = self.all;
        let any = all.requests.is_some() || all.checked.is_some() || all.trend.is_some();
        let all = if any { all.stats() } else { None };
        if !uncounted.is_empty() {
            job.sink.warning(Warning {
                origin: Origin::whole(Arc::clone(job.name)),
                code: Code::SubmetricWithoutCount,
                text: format!(
                    "the summary does not say how many requests {} had (no http_reqs \
                     submetric, no `count` in summaryTrendStats): only their percentiles are \
                     sent; add a threshold on http_reqs{{name:...}} or `count` to \
                     summaryTrendStats for their counts",
                    uncounted.join(", ")
                ),
            });
        }
        (labels, all, folded)
    }
}

impl Parts {
    /// Adds one metric's numbers.
    fn take(&mut self, metric: &str, values: &Map<String, Json>) -> Result<(), String> {
        let add = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
        match metric {
            "http_reqs" => {
                let requests = count(values, "count")?.ok_or("`count` is missing")?;
                self.requests = add(self.requests, Some(requests));
                self.rate = values.get("rate").and_then(Json::as_f64).or(self.rate);
            }
            "http_req_failed" => {
                let failed =
                    count(values, "passes")?.ok_or("`passes` (the failed requests) is missing")?;
                let succeeded = count(values, "fails")?;
                self.failures = add(self.failures, Some(failed));
                self.checked = add(self.checked, succeeded.map(|s| s + failed));
            }
            _ => {
                for (field, value) in values {
                    let number = value.is_null() || value.as_f64().is_some_and(f64::is_finite);
                    if field != "thresholds" && !number {
                        return Err(format!("`{field}` {value} is not a number of milliseconds"));
                    }
                }
                count(values, "count")?;
                self.trend = Some(values.clone());
            }
        }
        Ok(())
    }

    fn stat(&self, name: &str) -> Option<f64> {
        self.trend.as_ref()?.get(name)?.as_f64()
    }

    /// How many requests, as far as the summary says.
    fn count(&self) -> Option<u64> {
        let trend_count = self.stat("count").map(|c| c as u64);
        self.requests.or(trend_count).or(self.checked)
    }

    /// `None` when the label is known to have had no requests.
    fn stats(self) -> Option<RequestStats> {
        let requests = self.count();
        let trend = self.trend.as_ref();
        let all_zero =
            trend.is_some_and(|t| t.values().all(|v| v.as_f64().is_none_or(|v| v == 0.0)));
        if requests == Some(0) || (requests.is_none() && all_zero) {
            return None;
        }
        let stat = |name: &str| self.stat(name);
        let response_time = match (stat("min"), stat("avg"), stat("max"), requests) {
            (Some(min), Some(avg), Some(max), Some(count @ 1..)) => Some(Spread {
                min,
                max,
                sum: avg * count as f64,
                count,
            }),
            _ => None,
        };
        let mut stats = RequestStats {
            requests,
            failures: self.failures,
            response_time,
            percentiles: [
                stat("med").or_else(|| stat("p(50)")),
                stat("p(90)"),
                stat("p(95)"),
                stat("p(99)"),
            ],
            ..RequestStats::default()
        };
        stats.more.requests_per_second = self.rate;
        Some(stats)
    }
}
