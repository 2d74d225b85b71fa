//! Raw samples (JMeter rows, k6 points) aggregated as they are read, per label and over all:
//! counts, a histogram with exact bucket counts, and a DDSketch for the percentiles, so that a
//! label takes the same memory at ten samples or ten million.
//!
//! The sketch (`sketches-ddsketch`, relative accuracy 1 %) returns for a quantile q a value
//! within 1 % of the sample at rank floor(q * (n - 1)) in sorted order, for samples from 1 ns to
//! 10^8 s (below 1e-6 ms a sample counts as 0); it grows in steps of 128 bins of 8 bytes over
//! the range the samples span: 4 KiB for 1 ms to 10 s, 16 KiB at most.

use sketches_ddsketch::{Config, DDSketch};

use super::emit::{RequestStats, Results, Spread, TestTime, PERCENTILES};
use super::labels::Labels;
use crate::histogram::Aggregator;

/// Relative accuracy of the percentiles.
const ACCURACY: f64 = 0.01;
const MAX_BINS: u32 = 2048;
/// Samples below this (in ms) count as 0.
const SMALLEST_MS: f64 = 1e-6;

/// One label's samples, or all of them.
#[derive(Clone)]
pub struct Stats {
    requests: u64,
    failures: u64,
    sketch: DDSketch,
    buckets: Aggregator,
}

impl Stats {
    fn new(bounds: Option<Vec<f64>>) -> Result<Stats, String> {
        Ok(Stats {
            requests: 0,
            failures: 0,
            sketch: DDSketch::new(Config::new(ACCURACY, MAX_BINS, SMALLEST_MS)),
            buckets: Aggregator::new(bounds)?,
        })
    }

    /// A request that took `elapsed_ms` (finite, at least 0).
    fn request(&mut self, elapsed_ms: f64) {
        self.requests += 1;
        self.sketch.add(elapsed_ms);
        self.buckets.record(elapsed_ms);
    }

    fn finish(self) -> RequestStats {
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
            // A bucket's value may lie just beyond the samples; the samples' own range is closer.
            let (min, max) = (buckets.min.unwrap_or(0.0), buckets.max.unwrap_or(0.0));
            for (slot, (_, quantile)) in stats.percentiles.iter_mut().zip(PERCENTILES) {
                *slot = self.sketch.quantile(quantile).ok().flatten();
                *slot = slot.map(|value| value.clamp(min, max));
            }
            stats.histogram = Some(buckets);
        }
        stats
    }
}

/// The samples of one input: per label, over all, and the time they span.
pub struct Samples {
    labels: Labels<Stats>,
    all: Stats,
    first_start_ns: i64,
    last_end_ns: i64,
    zoned: bool,
}

impl Samples {
    /// Histograms get `bounds`, or the OpenTelemetry SDK's defaults.
    pub fn new(bounds: Option<Vec<f64>>) -> Result<Samples, String> {
        let all = Stats::new(bounds)?;
        Ok(Samples {
            labels: Labels::new(all.clone()),
            all,
            first_start_ns: i64::MAX,
            last_end_ns: i64::MIN,
            zoned: true,
        })
    }

    /// A request of the label `method name` that took `elapsed_ms`, and whether it failed.
    pub fn request(&mut self, method: Option<&[u8]>, name: &[u8], elapsed_ms: f64, failed: bool) {
        let label = self.labels.get(method, name);
        label.request(elapsed_ms);
        label.failures += u64::from(failed);
        self.all.request(elapsed_ms);
        self.all.failures += u64::from(failed);
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
        self.all.request(elapsed_ms);
    }

    /// A sample ran from `start_ns` to `end_ns`; `zoned` is false when its time had no zone.
    pub fn time(&mut self, start_ns: i64, end_ns: i64, zoned: bool) {
        self.first_start_ns = self.first_start_ns.min(start_ns);
        self.last_end_ns = self.last_end_ns.max(end_ns);
        self.zoned &= zoned;
    }

    /// The labels in the order first seen with their stats, then the aggregate; the time the
    /// samples span, if they said; and what to warn of labels folded into `_other`.
    pub fn finish(self) -> Results {
        let (labels, folded) = self.labels.finish();
        Results {
            labels: labels
                .into_iter()
                .map(|(label, stats)| (label, stats.finish()))
                .collect(),
            all: Some(self.all.finish()),
            time: (self.first_start_ns <= self.last_end_ns).then_some(TestTime {
                start_ns: self.first_start_ns,
                end_ns: self.last_end_ns,
                zoned: self.zoned,
            }),
            folded,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_stay_within_one_percent_of_the_exact_rank() {
        let mut samples = Samples::new(None).unwrap();
        // A skewed, lognormal-like spread from 0.5 ms to about 40 s, deterministic.
        let mut values: Vec<f64> = (0..100_000)
            .map(|i| {
                let u = (i as f64 * 0.618_033_988_75).fract();
                0.5 * (11.0 * u * u).exp()
            })
            .collect();
        for value in &values {
            samples.request(None, b"GET /", *value, false);
        }
        let finished = samples.finish();
        values.sort_by(f64::total_cmp);
        for (i, (name, quantile)) in PERCENTILES.iter().enumerate() {
            let exact = values[(quantile * (values.len() - 1) as f64) as usize];
            let sketched = finished.all.as_ref().unwrap().percentiles[i].unwrap();
            let error = (sketched - exact).abs() / exact;
            assert!(error <= ACCURACY, "{name}: {sketched} vs {exact}: {error}");
            assert_eq!(finished.labels[0].1.percentiles[i], Some(sketched));
        }
        let spread = finished.all.unwrap().response_time.unwrap();
        assert_eq!((spread.min, spread.count), (0.5, 100_000));
    }

    #[test]
    fn failures_and_times_are_counted_per_label_and_over_all() {
        let mut samples = Samples::new(Some(vec![10.0, 100.0])).unwrap();
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
        let finished = Samples::new(None).unwrap().finish();
        let all = finished.all.unwrap();
        assert_eq!(all.requests, Some(0));
        assert_eq!(all.response_time, None);
        assert_eq!(all.histogram, None);
        assert_eq!(finished.time, None);
    }
}
