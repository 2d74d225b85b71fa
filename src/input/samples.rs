//! `--histogram NAME=FILE`: one number per line, bucketed as it is read, so that a histogram
//! takes the same memory at ten samples or ten million. A bad line is refused with its place and
//! the other samples are kept.

use std::io::BufRead;
use std::sync::Arc;

use crate::histogram::Aggregator;
use crate::model::{Code, Histogram, Origin, Position, Refusal};
use crate::sink::{broken, next_line, Sink};

pub fn read(
    histogram: &str,
    bounds: Option<Vec<f64>>,
    name: &Arc<str>,
    mut reader: impl BufRead,
    sink: &mut dyn Sink,
) {
    let origin = Origin::whole(format!("--histogram {histogram} ({name})"));
    let mut aggregator = match Aggregator::new(bounds) {
        Ok(aggregator) => aggregator,
        Err(reason) => {
            return sink.histogram_refused(Refusal {
                origin,
                code: Code::HistogramInvalid,
                reason,
            })
        }
    };
    let mut line = String::new();
    let mut number = 0;
    while !sink.stopped() {
        number += 1;
        match next_line(&mut reader, &mut line) {
            Ok(true) => {}
            Ok(false) => break,
            Err(why) => {
                sink.histogram_refused(broken(name, number, &why));
                break;
            }
        }
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        match text.parse::<f64>() {
            Ok(value) if value.is_finite() => aggregator.record(value),
            _ => sink.histogram_refused(Refusal {
                origin: Origin::new(name, Position::Line(number)),
                code: Code::InputMalformed,
                reason: format!(
                    "sample `{text}` of histogram `{histogram}` is not a finite number (one \
                     number per line)"
                ),
            }),
        }
    }
    match aggregator.finish() {
        Ok(buckets) => sink.histogram(Histogram {
            name: histogram.to_owned(),
            unit: None,
            description: None,
            attributes: Vec::new(),
            buckets,
            window: None,
            origin,
        }),
        Err(reason) => sink.histogram_refused(Refusal {
            origin,
            code: Code::HistogramInvalid,
            reason,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::Collected;

    #[test]
    fn sample_files_refuse_bad_lines_and_keep_the_rest() {
        let mut sink = Collected::default();
        let text = "1\n\n2.5\nNaN\nabc\n-inf\n3\n";
        read(
            "latency",
            None,
            &Arc::from("s.txt"),
            text.as_bytes(),
            &mut sink,
        );
        let buckets = &sink.histograms[0].buckets;
        assert_eq!((buckets.count, buckets.sum), (3, 6.5));
        assert_eq!(
            sink.histograms[0].origin.to_string(),
            "--histogram latency (s.txt)"
        );
        let places: Vec<String> = sink
            .histogram_refusals
            .iter()
            .map(|r| r.origin.to_string())
            .collect();
        assert_eq!(places, vec!["s.txt:4", "s.txt:5", "s.txt:6"]);
    }

    #[test]
    fn no_samples_refuse_the_histogram() {
        let mut sink = Collected::default();
        read(
            "latency",
            None,
            &Arc::from("s.txt"),
            "x\n".as_bytes(),
            &mut sink,
        );
        assert!(sink.histograms.is_empty());
        assert!(sink.refusal_texts()[1].ends_with("the histogram has no samples"));
    }
}
