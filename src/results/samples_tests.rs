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
