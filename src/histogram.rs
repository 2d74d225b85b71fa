//! Explicit-bucket histograms: bucketing samples and checking pre-bucketed data the way
//! Dynatrace's OTLP ingest checks it.

use crate::model::{Buckets, Code, Histogram, Metric, Problem, Value};
use crate::normalize::average_outside_range;

/// The OpenTelemetry SDK's default explicit bucket bounds.
pub const DEFAULT_BOUNDS: [f64; 15] = [
    0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 2500.0, 5000.0, 7500.0,
    10000.0,
];

/// Buckets samples as they are read, as the OpenTelemetry SDK aggregates as it records: the
/// memory it takes does not depend on the number of samples.
#[derive(Debug, Clone)]
pub struct Aggregator {
    bounds: Vec<f64>,
    counts: Vec<u64>,
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
}

impl Aggregator {
    /// With `bounds`, or the OpenTelemetry SDK's defaults.
    pub fn new(bounds: Option<Vec<f64>>) -> Result<Aggregator, String> {
        let bounds = bounds.unwrap_or_else(|| DEFAULT_BOUNDS.to_vec());
        check_bounds(&bounds)?;
        Ok(Aggregator {
            counts: vec![0; bounds.len() + 1],
            bounds,
            count: 0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        })
    }

    /// Records one finite sample (callers refuse the others, with their place).
    pub fn record(&mut self, value: f64) {
        debug_assert!(value.is_finite());
        self.counts[self.bounds.partition_point(|&bound| bound < value)] += 1;
        self.count += 1;
        self.sum += value;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }

    /// The smallest and largest sample, once there is one.
    pub fn range(&self) -> Option<(f64, f64)> {
        (self.count > 0).then_some((self.min, self.max))
    }

    pub fn finish(self) -> Result<Buckets, String> {
        if self.count == 0 {
            return Err("the histogram has no samples".into());
        }
        if !self.sum.is_finite() {
            return Err("the sum of the samples overflows".into());
        }
        Ok(Buckets {
            bounds: self.bounds,
            counts: self.counts,
            count: self.count,
            sum: self.sum,
            min: Some(self.min),
            max: Some(self.max),
        })
    }
}

/// Checks pre-bucketed data the way Dynatrace's OTLP ingest checks it.
pub fn from_buckets(
    bounds: Vec<f64>,
    counts: Vec<u64>,
    sum: f64,
    min: Option<f64>,
    max: Option<f64>,
) -> Result<Buckets, String> {
    check_bounds(&bounds)?;
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
        if let Some(average) = average_outside_range(min, max, sum, count) {
            return Err(format!(
                "sum/count = {average} must lie between min {min} and max {max}"
            ));
        }
    }
    Ok(Buckets {
        bounds,
        counts,
        count,
        sum,
        min,
        max,
    })
}

/// The histogram as a line-protocol summary (`gauge,min=..,max=..,sum=..,count=..`), for
/// environments that do not ingest OTLP histograms; it needs min and max.
pub fn summary_twin(histogram: &Histogram) -> Result<Metric, Problem> {
    let buckets = &histogram.buckets;
    let (Some(min), Some(max)) = (buckets.min, buckets.max) else {
        return Err(Problem::new(
            Code::HistogramInvalid,
            "a summary twin needs min and max, which this pre-bucketed histogram lacks",
        ));
    };
    Ok(Metric {
        key: histogram.name.clone(),
        prefixed: true,
        dimensions: histogram.attributes.clone(),
        value: Value::Summary {
            min,
            max,
            sum: buckets.sum,
            count: buckets.count,
        },
        timestamp: None,
        origin: histogram.origin.clone(),
    })
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

    fn samples(bounds: Option<Vec<f64>>, values: &[f64]) -> Result<Buckets, String> {
        let mut aggregator = Aggregator::new(bounds)?;
        for &value in values {
            aggregator.record(value);
        }
        aggregator.finish()
    }

    #[test]
    fn samples_fall_into_upper_inclusive_buckets() {
        let buckets = samples(
            Some(vec![0.0, 10.0, 100.0]),
            &[-1.0, 0.0, 0.5, 10.0, 10.5, 100.0, 1000.0],
        )
        .unwrap();
        assert_eq!(buckets.counts, vec![2, 2, 2, 1]);
        assert_eq!(buckets.count, 7);
        assert_eq!(buckets.sum, 1120.0);
        assert_eq!((buckets.min, buckets.max), (Some(-1.0), Some(1000.0)));
    }

    #[test]
    fn default_bounds_are_the_sdks() {
        let buckets = samples(None, &[3.0, 7500.0, 20000.0]).unwrap();
        assert_eq!(buckets.bounds.len(), 15);
        assert_eq!(buckets.counts[1], 1);
        assert_eq!(buckets.counts[13], 1);
        assert_eq!(buckets.counts[15], 1);
    }

    #[test]
    fn refuses_what_dynatrace_would() {
        let buckets = |bounds: Vec<f64>, counts: Vec<u64>, sum: f64| {
            from_buckets(bounds, counts, sum, Some(1.0), Some(2.0))
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
        assert!(samples(None, &[]).unwrap_err().contains("no samples"));
        assert!(samples(None, &[f64::MAX, f64::MAX])
            .unwrap_err()
            .contains("overflows"));
        assert!(Aggregator::new(Some(vec![2.0, 1.0])).is_err());
    }

    #[test]
    fn a_summary_twin_has_the_histograms_numbers() {
        let histogram = Histogram {
            name: "latency".into(),
            unit: None,
            description: None,
            attributes: vec![("m".into(), "GET".into())],
            buckets: samples(Some(vec![10.0]), &[5.0, 50.0, 500.0]).unwrap(),
            window: None,
            origin: crate::model::Origin::whole("h"),
        };
        let twin = summary_twin(&histogram).unwrap();
        assert_eq!(
            twin.value,
            Value::Summary {
                min: 5.0,
                max: 500.0,
                sum: 555.0,
                count: 3
            }
        );
        assert_eq!(twin.dimensions, histogram.attributes);
        let mut no_min = histogram;
        no_min.buckets.min = None;
        assert_eq!(
            summary_twin(&no_min).unwrap_err().code,
            Code::HistogramInvalid
        );
    }
}
