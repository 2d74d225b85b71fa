//! The percentiles of a label with more samples than are kept: a DDSketch (`sketches-ddsketch`)
//! with relative accuracy 1 %, read at the rank the tool's rule names.
//!
//! The crate's store holds at most `max_num_bins` bins and, past them, merges its lowest bins
//! into one: a single absurd sample (1e20 ms beside 1 to 100 ms) would widen the span until every
//! real sample shared that bin. Samples are therefore clamped to the range the accuracy is stated
//! for, [`SMALLEST_MS`] to [`LARGEST_MS`], whose bins all fit in [`MAX_BINS`]: no bin is ever
//! merged, and a label's sketch takes at most 16 KiB (4 KiB for samples between 1 ms and 10 s).

use sketches_ddsketch::{Config, DDSketch};

/// Relative accuracy of a sketched percentile.
pub const ACCURACY: f64 = 0.01;
/// Samples below this (in ms) count as 0.
pub const SMALLEST_MS: f64 = 1e-6;
/// Samples above this (10^8 s, three years) count as this in the sketch (their own value still
/// goes to the maximum, the sum and the histogram).
pub const LARGEST_MS: f64 = 1e11;
/// Enough bins of 1 % for every key from [`SMALLEST_MS`] to [`LARGEST_MS`] (1,958), in the
/// store's steps of 128.
const MAX_BINS: u32 = 2048;

#[derive(Clone)]
pub struct Sketch(DDSketch);

impl Sketch {
    pub fn new() -> Sketch {
        Sketch(DDSketch::new(Config::new(ACCURACY, MAX_BINS, SMALLEST_MS)))
    }

    /// A sample of `ms` (finite, at least 0).
    pub fn add(&mut self, ms: f64) {
        self.0.add(ms.min(LARGEST_MS));
    }

    /// Adds `other`'s samples: the bins are the same, so the accuracy stays.
    pub fn merge(&mut self, other: &Sketch) {
        self.0
            .merge(&other.0)
            .expect("every sketch has the same configuration");
    }

    pub fn count(&self) -> u64 {
        self.0.count() as u64
    }

    /// The values at `ranks` (sorted, 0-based), each within 1 % of the sample at that rank.
    pub fn at_ranks(&self, ranks: &[u64]) -> Vec<f64> {
        let last = self.count().saturating_sub(1);
        ranks
            .iter()
            .map(|&rank| {
                // The crate reads rank floor(q * (n - 1)): halfway into the rank names it.
                let q = if last == 0 {
                    0.0
                } else {
                    ((rank as f64 + 0.5) / last as f64).min(1.0)
                };
                self.0.quantile(q).ok().flatten().unwrap_or(0.0)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn within_one_percent(sketched: f64, exact: f64) -> bool {
        (sketched - exact).abs() <= ACCURACY * exact * (1.0 + 1e-9)
    }

    #[test]
    fn every_rank_is_within_one_percent() {
        let mut sketch = Sketch::new();
        let values: Vec<f64> = (1..=1000).map(|i| f64::from(i) * 0.37).collect();
        for v in &values {
            sketch.add(*v);
        }
        let ranks: Vec<u64> = (0..1000).collect();
        for (sketched, exact) in sketch.at_ranks(&ranks).into_iter().zip(values) {
            assert!(within_one_percent(sketched, exact), "{sketched} vs {exact}");
        }
    }

    #[test]
    fn one_absurd_sample_leaves_the_others_accurate() {
        // With the crate's lowest-bin collapsing and no clamp, 1e20 beside 1..100 put every
        // real sample in one bin: the median came out as about 172 instead of 50.
        let mut sketch = Sketch::new();
        for v in (1..=100).map(f64::from) {
            sketch.add(v);
        }
        sketch.add(1e20);
        sketch.add(1e-9);
        let sketched = sketch.at_ranks(&[1, 50, 99]);
        for (sketched, exact) in sketched.into_iter().zip([1.0, 50.0, 99.0]) {
            assert!(within_one_percent(sketched, exact), "{sketched} vs {exact}");
        }
        assert!(sketch.at_ranks(&[101])[0] >= LARGEST_MS * (1.0 - ACCURACY));
    }

    #[test]
    fn the_whole_range_fits_without_merging_bins() {
        let mut sketch = Sketch::new();
        sketch.add(2.0 * SMALLEST_MS);
        sketch.add(LARGEST_MS);
        sketch.add(1.0);
        let [low, one, high] = sketch.at_ranks(&[0, 1, 2])[..] else {
            unreachable!()
        };
        assert!(within_one_percent(low, 2.0 * SMALLEST_MS), "{low}");
        assert!(within_one_percent(one, 1.0), "{one}");
        assert!(within_one_percent(high, LARGEST_MS), "{high}");
    }
}
