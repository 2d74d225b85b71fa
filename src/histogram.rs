//! Explicit-bucket histograms: bucketing samples and checking pre-bucketed data the way
//! Dynatrace's OTLP ingest checks it.

use crate::model::Distribution;

/// The OpenTelemetry SDK's default explicit bucket bounds.
pub const DEFAULT_BOUNDS: [f64; 15] = [
    0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 2500.0, 5000.0, 7500.0,
    10000.0,
];

/// A checked histogram data point.
#[derive(Debug, Clone, PartialEq)]
pub struct Buckets {
    pub bounds: Vec<f64>,
    /// One more than `bounds`: bucket `i` holds values in `(bounds[i-1], bounds[i]]`.
    pub counts: Vec<u64>,
    pub count: u64,
    pub sum: f64,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

pub fn aggregate(distribution: &Distribution) -> Result<Buckets, String> {
    match distribution {
        Distribution::Samples { bounds, values } => {
            let bounds = bounds.clone().unwrap_or_else(|| DEFAULT_BOUNDS.to_vec());
            check_bounds(&bounds)?;
            if values.is_empty() {
                return Err("the histogram has no samples".into());
            }
            let mut counts = vec![0u64; bounds.len() + 1];
            let (mut sum, mut min, mut max) = (0.0, f64::INFINITY, f64::NEG_INFINITY);
            for &value in values {
                if !value.is_finite() {
                    return Err(format!("sample {value} is not a finite number"));
                }
                counts[bounds.partition_point(|&bound| bound < value)] += 1;
                sum += value;
                min = min.min(value);
                max = max.max(value);
            }
            if !sum.is_finite() {
                return Err("the sum of the samples overflows".into());
            }
            Ok(Buckets {
                bounds,
                counts,
                count: values.len() as u64,
                sum,
                min: Some(min),
                max: Some(max),
            })
        }
        Distribution::Buckets {
            bounds,
            counts,
            sum,
            min,
            max,
        } => {
            check_bounds(bounds)?;
            if counts.len() != bounds.len() + 1 {
                return Err(format!(
                    "{} counts for {} bounds: there must be one more count than bounds",
                    counts.len(),
                    bounds.len()
                ));
            }
            let count = counts
                .iter()
                .try_fold(0u64, |total, &c| total.checked_add(c))
                .ok_or("the counts overflow")?;
            if count == 0 {
                return Err("the histogram's counts are all 0".into());
            }
            if !sum.is_finite() {
                return Err(format!("sum {sum} is not a finite number"));
            }
            for (name, value) in [("min", min), ("max", max)] {
                if value.is_some_and(|v| !v.is_finite()) {
                    return Err(format!("{name} is not a finite number"));
                }
            }
            if let (Some(min), Some(max)) = (min, max) {
                if min > max {
                    return Err(format!("min {min} is greater than max {max}"));
                }
                let average = sum / count as f64;
                let tolerance = 1e-6 * min.abs().max(max.abs()).max(1.0);
                if average < min - tolerance || average > max + tolerance {
                    return Err(format!(
                        "sum/count = {average} must lie between min {min} and max {max}"
                    ));
                }
            }
            Ok(Buckets {
                bounds: bounds.clone(),
                counts: counts.clone(),
                count,
                sum: *sum,
                min: *min,
                max: *max,
            })
        }
    }
}

pub fn check_bounds(bounds: &[f64]) -> Result<(), String> {
    if let Some(bad) = bounds.iter().find(|b| !b.is_finite()) {
        return Err(format!("bucket bound {bad} is not a finite number"));
    }
    if let Some(pair) = bounds.windows(2).find(|pair| pair[0] >= pair[1]) {
        return Err(format!(
            "bucket bounds must be strictly ascending, but {} is followed by {}",
            pair[0], pair[1]
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_fall_into_upper_inclusive_buckets() {
        let buckets = aggregate(&Distribution::Samples {
            bounds: Some(vec![0.0, 10.0, 100.0]),
            values: vec![-1.0, 0.0, 0.5, 10.0, 10.5, 100.0, 1000.0],
        })
        .unwrap();
        assert_eq!(buckets.counts, vec![2, 2, 2, 1]);
        assert_eq!(buckets.count, 7);
        assert_eq!(buckets.sum, 1120.0);
        assert_eq!((buckets.min, buckets.max), (Some(-1.0), Some(1000.0)));
    }

    #[test]
    fn default_bounds_are_the_sdks() {
        let buckets = aggregate(&Distribution::Samples {
            bounds: None,
            values: vec![3.0, 7500.0, 20000.0],
        })
        .unwrap();
        assert_eq!(buckets.bounds.len(), 15);
        assert_eq!(buckets.counts[1], 1);
        assert_eq!(buckets.counts[13], 1);
        assert_eq!(buckets.counts[15], 1);
    }

    #[test]
    fn refuses_what_dynatrace_would() {
        let buckets = |bounds: Vec<f64>, counts: Vec<u64>, sum: f64| {
            aggregate(&Distribution::Buckets {
                bounds,
                counts,
                sum,
                min: Some(1.0),
                max: Some(2.0),
            })
        };
        assert!(buckets(vec![1.0, 1.0], vec![1, 1, 1], 4.5)
            .unwrap_err()
            .contains("strictly ascending"));
        assert!(buckets(vec![1.0, f64::NAN], vec![1, 1, 1], 4.5)
            .unwrap_err()
            .contains("finite"));
        assert!(buckets(vec![1.0], vec![1, 1, 1], 4.5)
            .unwrap_err()
            .contains("one more count"));
        assert!(buckets(vec![1.0], vec![0, 0], 0.0)
            .unwrap_err()
            .contains("all 0"));
        assert!(buckets(vec![1.0], vec![1, 1], 100.0)
            .unwrap_err()
            .contains("must lie between"));
        assert_eq!(buckets(vec![1.5], vec![1, 1], 3.0).unwrap().count, 2);
        assert!(aggregate(&Distribution::Samples {
            bounds: None,
            values: vec![]
        })
        .is_err());
    }
}
