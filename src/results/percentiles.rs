//! How each load-testing tool turns its samples into a percentile. From the same samples the
//! tools disagree (on 26 samples: JMeter 58 ms, k6 44 ms, the nearest lower rank 3 ms), so the
//! figures sent are computed by the rule of the tool that wrote the samples: what a user sees in
//! Dynatrace then equals the report they already trust.
//!
//! A rule says which 0-based ranks of the sorted samples a quantile reads and how it combines
//! them; where the values at those ranks come from (the samples kept, merged runs, a sketch) is
//! the caller's matter.

/// A tool's percentile rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// k6 (`TrendSink.P`): i = q(n-1), the values at floor(i) and ceil(i) interpolated
    /// linearly (numpy's default), `j + (k - j) * f`.
    K6,
    /// JMeter's Aggregate Report (`StatCalculator.getPercentPoint`): the sample at 1-based rank
    /// `Math.round(q * n)` (at least 1), the maximum for q >= 1. The report passes 90, 95 and 99
    /// % as Java `float`s (`Float.parseFloat("90") / 100`), so q is the `float` nearest to it.
    JMeter,
    /// Locust (`calculate_response_time_percentile`): each time rounded as
    /// `bucket_response_time` does, then the value at 0-based rank floor(q * n), found counting
    /// from the top (nearest rank).
    Locust,
}

/// Where a quantile falls: the value at rank `low`, moved `weight` of the way to the value at
/// rank `high`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    pub low: u64,
    pub high: u64,
    pub weight: f64,
}

impl Rule {
    /// A sample as the tool keeps it: Locust rounds each time before it counts it.
    pub fn kept(self, value: f64) -> f64 {
        match self {
            Rule::Locust => locust_bucket(value),
            Rule::K6 | Rule::JMeter => value,
        }
    }

    /// Where quantile `q` (0 to 1) of `n` (at least 1) sorted samples falls.
    pub fn position(self, q: f64, n: u64) -> Position {
        debug_assert!(n > 0);
        let last = n - 1;
        let at = |rank: u64| Position {
            low: rank.min(last),
            high: rank.min(last),
            weight: 0.0,
        };
        match self {
            Rule::K6 => {
                let i = q * last as f64;
                Position {
                    low: (i.floor() as u64).min(last),
                    high: (i.ceil() as u64).min(last),
                    weight: i - i.floor(),
                }
            }
            Rule::JMeter => {
                let q = f64::from(q as f32);
                if q >= 1.0 {
                    return at(last);
                }
                // Java's Math.round: floor(x + 0.5).
                let target = (n as f64 * q + 0.5).floor() as u64;
                at(target.max(1) - 1)
            }
            Rule::Locust => at((n as f64 * q) as u64),
        }
    }

    /// The percentile from the values at the position's two ranks, as the tool combines them.
    pub fn combine(self, position: Position, low: f64, high: f64) -> f64 {
        if position.weight == 0.0 {
            return low;
        }
        low + (high - low) * position.weight
    }

    /// Quantiles `qs` of `n` samples, reading the values at the ranks it needs with `values_at`
    /// (given the ranks sorted and without repeats, it returns their values in that order).
    pub fn percentiles<const N: usize>(
        self,
        qs: [f64; N],
        n: u64,
        values_at: impl FnOnce(&[u64]) -> Vec<f64>,
    ) -> [Option<f64>; N] {
        if n == 0 {
            return [None; N];
        }
        let positions = qs.map(|q| self.position(q, n));
        let mut ranks: Vec<u64> = positions.iter().flat_map(|p| [p.low, p.high]).collect();
        ranks.sort_unstable();
        ranks.dedup();
        let values = values_at(&ranks);
        let value = |rank: u64| values[ranks.binary_search(&rank).expect("asked for")];
        positions.map(|p| Some(self.combine(p, value(p.low), value(p.high))))
    }
}

/// The values at `ranks` (sorted, 0-based) of the sorted `values`.
pub fn in_sorted(values: &[f64], ranks: &[u64]) -> Vec<f64> {
    ranks.iter().map(|&rank| values[rank as usize]).collect()
}

/// The values at `ranks` (sorted, 0-based) of the union of `runs`, each sorted: one merging
/// pass, without copying the runs together.
pub fn in_sorted_runs(runs: &[&[f64]], ranks: &[u64]) -> Vec<f64> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    /// A run's next value, ordered by value (then run) for the heap.
    #[derive(PartialEq)]
    struct Next(f64, usize);
    impl Eq for Next {}
    impl PartialOrd for Next {
        fn partial_cmp(&self, other: &Next) -> Option<std::cmp::Ordering> {
            Some(self.cmp(other))
        }
    }
    impl Ord for Next {
        fn cmp(&self, other: &Next) -> std::cmp::Ordering {
            self.0.total_cmp(&other.0).then(self.1.cmp(&other.1))
        }
    }

    let mut at = vec![0usize; runs.len()];
    let mut heap: BinaryHeap<Reverse<Next>> = runs
        .iter()
        .enumerate()
        .filter_map(|(i, run)| Some(Reverse(Next(*run.first()?, i))))
        .collect();
    let mut values = Vec::with_capacity(ranks.len());
    let mut rank = 0u64;
    for &wanted in ranks {
        loop {
            let Some(Reverse(Next(value, run))) = heap.pop() else {
                return values;
            };
            at[run] += 1;
            if let Some(&next) = runs[run].get(at[run]) {
                heap.push(Reverse(Next(next, run)));
            }
            rank += 1;
            if rank > wanted {
                values.push(value);
                break;
            }
        }
    }
    values
}

/// The values at `ranks` (sorted, 0-based) of samples given as `(value, count)` in ascending
/// order of value (Locust's response-time dictionary).
pub fn in_counted(counted: &[(f64, u64)], ranks: &[u64]) -> Vec<f64> {
    let mut values = Vec::with_capacity(ranks.len());
    let mut below = 0u64;
    let mut entries = counted.iter();
    let mut entry = entries.next();
    for &rank in ranks {
        while let Some(&(value, count)) = entry {
            if rank < below + count {
                values.push(value);
                break;
            }
            below += count;
            entry = entries.next();
        }
    }
    values
}

/// Locust's `bucket_response_time`: whole milliseconds below 100, tens below 1,000, hundreds
/// below 10,000, thousands above; Python's `round`, halves to even.
pub fn locust_bucket(ms: f64) -> f64 {
    let step = match ms {
        ms if ms < 100.0 => 1.0,
        ms if ms < 1_000.0 => 10.0,
        ms if ms < 10_000.0 => 100.0,
        _ => 1_000.0,
    };
    (ms / step).round_ties_even() * step
}

#[cfg(test)]
mod tests {
    use super::*;

    const QS: [f64; 4] = [0.5, 0.9, 0.95, 0.99];

    fn of(rule: Rule, values: &[f64]) -> [Option<f64>; 4] {
        let mut sorted: Vec<f64> = values.iter().map(|&v| rule.kept(v)).collect();
        sorted.sort_by(f64::total_cmp);
        rule.percentiles(QS, sorted.len() as u64, |ranks| in_sorted(&sorted, ranks))
    }

    /// 1, 2, ..., n.
    fn one_to(n: u32) -> Vec<f64> {
        (1..=n).map(f64::from).collect()
    }

    #[test]
    fn k6_interpolates_between_the_ranks_around_q_times_n_minus_1() {
        // numpy.percentile([1..10], [50, 90, 95, 99]) = 5.5, 9.1, 9.55, 9.91.
        let [p50, p90, p95, p99] = of(Rule::K6, &one_to(10)).map(Option::unwrap);
        assert_eq!(p50, 5.5);
        assert!(
            (p90 - 9.1).abs() < 1e-12 && (p95 - 9.55).abs() < 1e-12,
            "{p90} {p95}"
        );
        assert!((p99 - 9.91).abs() < 1e-12, "{p99}");
        assert_eq!(of(Rule::K6, &[7.0]), [Some(7.0); 4]);
        // k6's own arithmetic, j + (k - j) * f, to the last digit.
        let values = [1.992873, 10.326813, 44.939673, 53.657395];
        let i = 0.9 * 3.0;
        let expected = values[2] + (values[3] - values[2]) * (i - f64::floor(i));
        assert_eq!(of(Rule::K6, &values)[1], Some(expected));
    }

    #[test]
    fn jmeter_takes_the_sample_at_java_rounded_rank_with_float_quantiles() {
        // n = 10: ranks round(5) = 5, round(8.9999998) = 9, round(9.4999998) = 9 (0.95 as a
        // float is a little under), round(9.9000001) = 10.
        assert_eq!(
            of(Rule::JMeter, &one_to(10)),
            [Some(5.0), Some(9.0), Some(9.0), Some(10.0)]
        );
        // n = 5: 0.9f * 5 = 4.4999998..., so rank 4, where 0.9 (a double) would give 5.
        assert_eq!(of(Rule::JMeter, &one_to(5))[1], Some(4.0));
        // n = 135: 0.9f * 135 = 121.4999968 gives rank 121; 0.95f * 135 = 128.25 gives 128;
        // 0.99f * 135 = 133.65 gives 134.
        let ranks = of(Rule::JMeter, &one_to(135));
        assert_eq!(ranks, [Some(68.0), Some(121.0), Some(128.0), Some(134.0)]);
        // A rank that rounds to 0 reads the first sample; q = 1 the maximum.
        assert_eq!(of(Rule::JMeter, &[3.0, 4.0])[0], Some(3.0));
        assert_eq!(Rule::JMeter.position(1.0, 7).low, 6);
        assert_eq!(of(Rule::JMeter, &[9.0]), [Some(9.0); 4]);
    }

    #[test]
    fn locust_rounds_then_takes_the_nearest_rank_from_the_top() {
        // 10 samples: floor(0.5 * 10) = 5, 9, 9, 9 (0-based).
        assert_eq!(
            of(Rule::Locust, &one_to(10)),
            [Some(6.0), Some(10.0), Some(10.0), Some(10.0)]
        );
        // 147 -> 150, 3432 -> 3400, 58760 -> 59000, 12.5 -> 12 (halves to even), 145 -> 140.
        for (raw, kept) in [
            (147.0, 150.0),
            (3_432.0, 3_400.0),
            (58_760.0, 59_000.0),
            (12.5, 12.0),
            (13.5, 14.0),
            (145.0, 140.0),
            (99.6, 100.0),
            (4.441, 4.0),
        ] {
            assert_eq!(locust_bucket(raw), kept, "{raw}");
        }
        // Locust's own: calculate_response_time_percentile({10: 3, 20: 1}, 4, 0.5) = 10 and
        // ({10: 3, 20: 1}, 4, 0.9) = 20.
        let counted = [(10.0, 3), (20.0, 1)];
        let figures = Rule::Locust.percentiles([0.5, 0.75, 0.9], 4, |r| in_counted(&counted, r));
        assert_eq!(figures, [Some(10.0), Some(20.0), Some(20.0)]);
    }

    #[test]
    fn ranks_over_sorted_runs_equal_ranks_over_their_union() {
        let runs: [&[f64]; 4] = [&[1.0, 4.0, 9.0], &[], &[2.0, 2.0, 10.0, 11.0], &[0.5]];
        let mut union: Vec<f64> = runs.concat();
        union.sort_by(f64::total_cmp);
        let ranks: Vec<u64> = (0..union.len() as u64).collect();
        assert_eq!(in_sorted_runs(&runs, &ranks), union);
        assert_eq!(in_sorted_runs(&runs, &[3, 7]), vec![2.0, 11.0]);
    }

    #[test]
    fn counted_values_read_like_the_samples_they_stand_for() {
        let counted = [(1.0, 2), (5.0, 1), (7.0, 3)];
        let flat = [1.0, 1.0, 5.0, 7.0, 7.0, 7.0];
        let ranks: Vec<u64> = (0..6).collect();
        assert_eq!(in_counted(&counted, &ranks), flat);
    }
}
