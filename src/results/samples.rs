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
}

impl Stats {
    fn new(bounds: Option<Vec<f64>>) -> Result<Stats, String> {
        Ok(Stats {
            requests: 0,
            failures: 0,
            kept: Kept::Exact(Vec::new()),
            buckets: Aggregator::new(bounds)?,
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
        let label = self.labels.get(method, name);
        label.count(elapsed_ms);
        label.failures += u64::from(failed);
        let ran_out = label
            .kept
            .keep(self.rule.kept(elapsed_ms), &mut self.budget);
        self.all.count(elapsed_ms);
        self.all.failures += u64::from(failed);
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
                    (label, stats.finish(percentiles))
                })
                .collect(),
            all: Some(self.all.finish(all_percentiles)),
            time: (self.first_start_ns <= self.last_end_ns).then_some(TestTime {
                start_ns: self.first_start_ns,
                end_ns: self.last_end_ns,
                zoned: self.zoned,
            }),
            folded,
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
mod tests {
    use super::super::percentiles::in_sorted;
    use super::*;

    /// A skewed, lognormal-like spread from 0.5 ms to about 40 s, deterministic.
    fn skewed(n: usize, seed: f64) -> Vec<f64> {
        (0..n)
            .map(|i| {
                let u = ((i as f64 + seed) * 0.618_033_988_75).fract();
                0.5 * (11.0 * u * u).exp()
            })
            .collect()
    }

    /// The rule's percentiles of `values`, from all of them sorted.
    fn exact(rule: Rule, values: &[f64]) -> [Option<f64>; 4] {
        let mut sorted: Vec<f64> = values.iter().map(|&v| rule.kept(v)).collect();
        sorted.sort_by(f64::total_cmp);
        let qs = PERCENTILES.map(|(_, q)| q);
        rule.percentiles(qs, sorted.len() as u64, |r| in_sorted(&sorted, r))
    }

    fn within_one_percent(got: [Option<f64>; 4], want: [Option<f64>; 4]) {
        for (got, want) in got.iter().zip(want) {
            let (got, want) = (got.unwrap(), want.unwrap());
            assert!((got - want).abs() <= 0.01 * want, "{got} vs {want}");
        }
    }

    /// Three labels and some samples of no label, read with `budget`.
    fn three_labels(rule: Rule, budget: Budget, sizes: [usize; 3]) -> (Results, [Vec<f64>; 4]) {
        let mut samples = Samples::new(None, rule).unwrap();
        samples.budget = budget;
        let labels = sizes.map(|n| skewed(n, n as f64));
        let unlabelled = skewed(7, 0.5);
        let longest = sizes.into_iter().max().unwrap();
        for i in 0..longest {
            for (name, values) in [b"a", b"b", b"c"].iter().zip(&labels) {
                if let Some(&value) = values.get(i) {
                    samples.request(None, *name, value, false);
                }
            }
        }
        unlabelled
            .iter()
            .for_each(|&v| samples.unlabelled_request(v));
        let all: Vec<f64> = labels
            .iter()
            .flatten()
            .chain(&unlabelled)
            .copied()
            .collect();
        let [a, b, c] = labels;
        (samples.finish(), [a, b, c, all])
    }

    #[test]
    fn within_the_budget_every_percentile_is_the_tools_own() {
        for rule in [Rule::K6, Rule::JMeter, Rule::Locust] {
            let (finished, values) = three_labels(rule, Budget::default(), [1_000, 1, 26]);
            for (i, (_, stats)) in finished.labels.iter().enumerate() {
                assert_eq!(stats.percentiles, exact(rule, &values[i]), "{rule:?} {i}");
            }
            let all = finished.all.unwrap();
            assert_eq!(all.percentiles, exact(rule, &values[3]), "{rule:?}");
            assert_eq!(all.requests, Some(1_034));
        }
    }

    #[test]
    fn a_label_past_its_budget_is_sketched_within_one_percent() {
        let budget = Budget {
            label: 500,
            ..Budget::default()
        };
        let (finished, values) = three_labels(Rule::JMeter, budget, [2_000, 300, 40]);
        within_one_percent(
            finished.labels[0].1.percentiles,
            exact(Rule::JMeter, &values[0]),
        );
        // The others keep theirs exactly.
        assert_eq!(
            finished.labels[1].1.percentiles,
            exact(Rule::JMeter, &values[1])
        );
        let all = finished.all.unwrap();
        within_one_percent(all.percentiles, exact(Rule::JMeter, &values[3]));
    }

    #[test]
    fn past_the_runs_budget_every_label_is_sketched_within_one_percent() {
        let budget = Budget {
            run: 1_000,
            ..Budget::default()
        };
        let (finished, values) = three_labels(Rule::K6, budget, [900, 600, 300]);
        for (i, (_, stats)) in finished.labels.iter().enumerate() {
            within_one_percent(stats.percentiles, exact(Rule::K6, &values[i]));
        }
        within_one_percent(
            finished.all.unwrap().percentiles,
            exact(Rule::K6, &values[3]),
        );
    }

    #[test]
    fn the_room_kept_never_passes_the_runs_budget() {
        let mut samples = Samples::new(None, Rule::JMeter).unwrap();
        samples.budget.run = 10_000;
        for i in 0..30_000u32 {
            let label = format!("label {}", i % 7);
            samples.request(None, label.as_bytes(), f64::from(i % 997), false);
            assert!(samples.budget.reserved <= 10_000);
        }
        assert!(samples.budget.exhausted);
        assert_eq!(samples.budget.reserved, 0);
    }

    #[test]
    fn failures_and_times_are_counted_per_label_and_over_all() {
        let mut samples = Samples::new(Some(vec![10.0, 100.0]), Rule::JMeter).unwrap();
        samples.request(Some(b"GET"), b"/a", 5.0, false);
        samples.request(Some(b"GET"), b"/a", 50.0, false);
        samples.failure(Some(b"GET"), b"/a");
        samples.request(None, b"/b", 500.0, true);
        samples.unlabelled_request(0.0);
        samples.time(2_000, 3_000, true);
        samples.time(1_000, 1_500, false);
        let finished = samples.finish();
        let a = &finished.labels[0].1;
        assert_eq!((a.requests, a.failures), (Some(2), Some(1)));
        assert_eq!(a.histogram.as_ref().unwrap().counts, vec![1, 1, 0]);
        let all = finished.all.unwrap();
        assert_eq!((all.requests, all.failures), (Some(4), Some(2)));
        assert_eq!(all.histogram.unwrap().counts, vec![2, 1, 1]);
        assert_eq!(
            finished.time,
            Some(TestTime {
                start_ns: 1_000,
                end_ns: 3_000,
                zoned: false
            })
        );
    }

    #[test]
    fn no_samples_no_times() {
        let finished = Samples::new(None, Rule::K6).unwrap().finish();
        let all = finished.all.unwrap();
        assert_eq!(all.requests, Some(0));
        assert_eq!(all.response_time, None);
        assert_eq!(all.percentiles, [None; 4]);
        assert_eq!(all.histogram, None);
        assert_eq!(finished.time, None);
    }
}
