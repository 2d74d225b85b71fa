//! Raw samples (JMeter rows, k6 points) aggregated as they are read, per label and over all:
//! counts, a histogram with exact bucket counts, and the samples themselves for the percentiles,
//! computed at the end by the rule of the tool that wrote them (`percentiles.rs`), so that they
//! equal the tool's own report.
//!
//! The samples are kept while a label has at most [`LABEL_SAMPLES`] and the run at most
//! [`RUN_SAMPLES`] in all (8 bytes each: 16 MB); past either, a label's samples go into a sketch
//! (`sketch.rs`, within 1 %, 16 KiB at most), and past the run's budget every label's do. The
//! aggregate over all labels reads the labels' sorted samples in one merging pass, or merges
//! their sketches.

use super::emit::{RequestStats, Results, Spread, TestTime, PERCENTILES};
use super::extras::{Extras, Sampled};
use super::labels::Labels;
use super::percentiles::{in_sorted, in_sorted_runs, Rule};
use super::sketch::Sketch;
use crate::histogram::Aggregator;

/// The most samples one label keeps.
pub const LABEL_SAMPLES: usize = 100_000;
/// The most samples one input keeps over all its labels (room reserved counts too).
pub const RUN_SAMPLES: usize = 2_000_000;

/// A label's samples for its percentiles: as they are, or past the budget in a sketch.
#[derive(Clone)]
enum Kept {
    Exact(Vec<f64>),
    Sketched(Sketch),
}

/// The room the kept samples take, against the limits.
struct Budget {
    label: usize,
    run: usize,
    reserved: usize,
    exhausted: bool,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            label: LABEL_SAMPLES,
            run: RUN_SAMPLES,
            reserved: 0,
            exhausted: false,
        }
    }
}

impl Kept {
    /// Keeps `value`; true when the run's budget ran out with it (the caller sketches the
    /// others).
    fn keep(&mut self, value: f64, budget: &mut Budget) -> bool {
        let Kept::Exact(values) = self else {
            if let Kept::Sketched(sketch) = self {
                sketch.add(value);
            }
            return false;
        };
        let mut ran_out = false;
        if values.len() == values.capacity() && !budget.exhausted {
            let before = values.capacity();
            let more = (2 * before).clamp(16, budget.label).saturating_sub(before);
            if budget.reserved + more > budget.run {
                budget.exhausted = true;
                ran_out = true;
            } else if more > 0 {
                values.reserve_exact(more);
                budget.reserved += values.capacity() - before;
            }
        }
        if values.len() < values.capacity() && !ran_out {
            values.push(value);
            return false;
        }
        self.sketch(budget);
        self.keep(value, budget);
        ran_out
    }

    /// Moves the samples into a sketch, giving their room back.
    fn sketch(&mut self, budget: &mut Budget) {
        if let Kept::Exact(values) = self {
            let mut sketch = Sketch::new();
            values.iter().for_each(|&v| sketch.add(v));
            budget.reserved -= values.capacity();
            *self = Kept::Sketched(sketch);
        }
    }

    fn sort(&mut self) {
        if let Kept::Exact(values) = self {
            values.sort_unstable_by(f64::total_cmp);
        }
    }

    fn len(&self) -> u64 {
        match self {
            Kept::Exact(values) => values.len() as u64,
            Kept::Sketched(sketch) => sketch.count(),
        }
    }

    /// The percentiles by `rule` (sorted samples, or the sketch within `[min, max]`).
    fn percentiles(&self, rule: Rule, min: f64, max: f64) -> [Option<f64>; 4] {
        let qs = PERCENTILES.map(|(_, q)| q);
        match self {
            Kept::Exact(values) => rule.percentiles(qs, self.len(), |r| in_sorted(values, r)),
            Kept::Sketched(sketch) => rule
                .percentiles(qs, self.len(), |r| sketch.at_ranks(r))
                .map(|p| p.map(|v| v.clamp(rule.kept(min), rule.kept(max)))),
        }
    }
}

/// One label's samples, or all of them.
#[derive(Clone)]
pub struct Stats {
    requests: u64,
    failures: u64,
    kept: Kept,
    buckets: Aggregator,
    extras: Extras,
}

impl Stats {
    fn new(bounds: Option<Vec<f64>>) -> Result<Stats, String> {
        Ok(Stats {
            requests: 0,
            failures: 0,
            kept: Kept::Exact(Vec::new()),
            buckets: Aggregator::new(bounds)?,
            extras: Extras::default(),
        })
    }

    /// A request that took `elapsed_ms` (finite, at least 0): counted, not kept.
    fn count(&mut self, elapsed_ms: f64) {
        self.requests += 1;
        self.buckets.record(elapsed_ms);
    }

    /// Counts and spread; the percentiles are the caller's.
    fn finish(self, percentiles: [Option<f64>; 4]) -> RequestStats {
        let mut stats = RequestStats {
            requests: Some(self.requests),
            failures: Some(self.failures),
            more: self.extras.finish(self.requests, self.failures),
            ..RequestStats::default()
        };
        if let Ok(buckets) = self.buckets.finish() {
            if let (Some(min), Some(max)) = (buckets.min, buckets.max) {
                stats.response_time = Some(Spread {
                    min,
                    max,
                    sum: buckets.sum,
                    count: buckets.count,
                });
            }
            stats.percentiles = percentiles;
            stats.histogram = Some(buckets);
        }
        stats
    }

    fn range(&self) -> (f64, f64) {
        self.buckets.range().unwrap_or((0.0, 0.0))
    }
}

/// The samples of one input: per label, over all, and the time they span.
pub struct Samples {
    rule: Rule,
    labels: Labels<Stats>,
    /// Counts and histogram over all; its `kept` holds the samples of no label.
    all: Stats,
    budget: Budget,
    first_start_ns: i64,
    last_end_ns: i64,
    zoned: bool,
}

impl Samples {
    /// Percentiles by `rule`; histograms get `bounds`, or the OpenTelemetry SDK's defaults.
    pub fn new(bounds: Option<Vec<f64>>, rule: Rule) -> Result<Samples, String> {
        let all = Stats::new(bounds)?;
        Ok(Samples {
            rule,
            labels: Labels::new(all.clone()),
            all,
            budget: Budget::default(),
            first_start_ns: i64::MAX,
            last_end_ns: i64::MIN,
            zoned: true,
        })
    }

    /// A request of the label `method name` that took `elapsed_ms`, and whether it failed.
    pub fn request(&mut self, method: Option<&[u8]>, name: &[u8], elapsed_ms: f64, failed: bool) {
        self.measured(method, name, elapsed_ms, failed, &Sampled::default());
    }

    /// [`Samples::request`], with what else the sample measured.
    pub fn measured(
        &mut self,
        method: Option<&[u8]>,
        name: &[u8],
        elapsed_ms: f64,
        failed: bool,
        sampled: &Sampled,
    ) {
        let label = self.labels.get(method, name);
        label.count(elapsed_ms);
        label.extras.add(sampled);
        label.failures += u64::from(failed);
        let ran_out = label
            .kept
            .keep(self.rule.kept(elapsed_ms), &mut self.budget);
        self.all.count(elapsed_ms);
        self.all.failures += u64::from(failed);
        self.all.extras.add(sampled);
        if ran_out {
            self.sketch_all();
        }
    }

    /// A failed request of the label (counted apart from its time: k6 reports them apart).
    pub fn failure(&mut self, method: Option<&[u8]>, name: &[u8]) {
        self.labels.get(method, name).failures += 1;
        self.all.failures += 1;
    }

    /// A failure that names no label: it counts in the aggregate only.
    pub fn unlabelled_failure(&mut self) {
        self.all.failures += 1;
    }

    /// A request that names no label: it counts in the aggregate only.
    pub fn unlabelled_request(&mut self, elapsed_ms: f64) {
        self.all.count(elapsed_ms);
        if self
            .all
            .kept
            .keep(self.rule.kept(elapsed_ms), &mut self.budget)
        {
            self.sketch_all();
        }
    }

    /// Past the run's budget, every label's samples go into its sketch.
    fn sketch_all(&mut self) {
        let budget = &mut self.budget;
        self.labels
            .values_mut()
            .chain([&mut self.all])
            .for_each(|stats| stats.kept.sketch(budget));
    }

    /// A sample ran from `start_ns` to `end_ns`; `zoned` is false when its time had no zone.
    pub fn time(&mut self, start_ns: i64, end_ns: i64, zoned: bool) {
        self.first_start_ns = self.first_start_ns.min(start_ns);
        self.last_end_ns = self.last_end_ns.max(end_ns);
        self.zoned &= zoned;
    }

    /// The labels in the order first seen with their stats, then the aggregate; the time the
    /// samples span, if they said; and what to warn of labels folded into `_other`.
    pub fn finish(mut self) -> Results {
        let rule = self.rule;
        self.labels
            .values_mut()
            .chain([&mut self.all])
            .for_each(|stats| stats.kept.sort());
        let all_percentiles = self.all_percentiles();
        let (labels, folded) = self.labels.finish();
        Results {
            labels: labels
                .into_iter()
                .map(|(label, stats)| {
                    let (min, max) = stats.range();
                    let percentiles = stats.kept.percentiles(rule, min, max);
                    let mut stats = stats.finish(percentiles);
                    // How many users there were is said of the test, not of one label.
                    stats.more.users = None;
                    (label, stats)
                })
                .collect(),
            all: Some(self.all.finish(all_percentiles)),
            time: (self.first_start_ns <= self.last_end_ns).then_some(TestTime {
                start_ns: self.first_start_ns,
                end_ns: self.last_end_ns,
                zoned: self.zoned,
            }),
            folded,
            thresholds: None,
            figures: Vec::new(),
        }
    }

    /// The aggregate's percentiles: from every label's sorted samples in one merging pass while
    /// all are kept, else from their sketches merged (and the kept samples added).
    fn all_percentiles(&mut self) -> [Option<f64>; 4] {
        let (min, max) = self.all.range();
        let kept: Vec<&Kept> = self
            .labels
            .values_mut()
            .map(|stats| &stats.kept)
            .chain([&self.all.kept])
            .collect();
        let runs: Option<Vec<&[f64]>> = kept
            .iter()
            .map(|kept| match kept {
                Kept::Exact(values) => Some(&values[..]),
                Kept::Sketched(_) => None,
            })
            .collect();
        let n = kept.iter().map(|kept| kept.len()).sum();
        let qs = PERCENTILES.map(|(_, q)| q);
        if let Some(runs) = runs {
            return self.rule.percentiles(qs, n, |r| in_sorted_runs(&runs, r));
        }
        let mut merged = Sketch::new();
        for kept in kept {
            match kept {
                Kept::Exact(values) => values.iter().for_each(|&v| merged.add(v)),
                Kept::Sketched(sketch) => merged.merge(sketch),
            }
        }
        Kept::Sketched(merged).percentiles(self.rule, min, max)
    }
}

#[cfg(test)]
#[path = "samples_tests.rs"]
mod tests;
