//! One round: read every input, encode, send, and make the report of it.

use std::io::Read;

use anyhow::{bail, Result};

use super::Pipeline;
use crate::encode::LineEncoder;
use crate::histogram::summary_twin;
use crate::input::{self, Sink};
use crate::model::{Capped, Histogram, Metadata, Metric, Origin, Refusal};
use crate::otlp::{OtlpEncoder, Window};
use crate::report::{LinesResult, OtlpResult, Report};
use crate::send::http::{RetryPolicy, Sender};
use crate::send::lines::{Batcher, LinesDelivery};
use crate::send::otlp::OtlpDelivery;

impl Pipeline<'_> {
    /// Reads, encodes and sends once. An `Err` happened before anything was sent.
    pub(super) fn once(&self, window: Window, now_ms: i64, stdin: &mut dyn Read) -> Result<Report> {
        let config = self.config;
        let mut read = Collected::default();
        input::read_all(&config.sources, stdin, &mut read)?;

        let otlp_encoder = OtlpEncoder::new(&config.encoding);
        let mut otlp_refusals = read.histogram_refusals;
        let mut otlp_metrics = Vec::with_capacity(read.histograms.len());
        let mut twins = Vec::new();
        for histogram in &read.histograms {
            match otlp_encoder.metric(histogram, window) {
                Ok(metric) => otlp_metrics.push(metric),
                Err(problem) => {
                    otlp_refusals.push(problem.at(&histogram.origin));
                    continue;
                }
            }
            if config.histogram_summaries {
                match summary_twin(histogram) {
                    Ok(twin) => twins.push(twin),
                    Err(problem) => otlp_refusals.push(problem.at(&histogram.origin)),
                }
            }
        }
        let points = otlp_metrics.len();
        let requests = otlp_encoder.requests(otlp_metrics);

        let mut encoder = LineEncoder::new(&config.encoding);
        let mut lines = LinesResult {
            refusals: read.refusals,
            ..LinesResult::default()
        };
        let mut encoded: Vec<(String, Origin)> = Vec::new();
        for meta in &read.metadata {
            match encoder.metadata(meta, &mut lines.warnings) {
                Ok(Some(text)) => encoded.push((text, meta.origin.clone())),
                Ok(None) => {}
                Err(problem) => lines.refusals.push(problem.at(&meta.origin)),
            }
        }
        for metric in read.metrics.iter().chain(&twins) {
            match encoder.metric(metric, now_ms, &mut lines.warnings) {
                Ok(text) => encoded.push((text, metric.origin.clone())),
                Err(problem) => lines.refusals.push(problem.at(&metric.origin)),
            }
        }
        lines.total = encoded.len();
        let mut otlp = OtlpResult {
            points,
            refusals: otlp_refusals,
            ..OtlpResult::default()
        };

        let Some((destination, client)) = config.destination.as_ref().zip(self.client.as_ref())
        else {
            otlp.payload = Some(
                requests
                    .iter()
                    .map(|r| serde_json::to_value(r).unwrap_or_default())
                    .collect(),
            );
            lines.payload = Some(encoded.into_iter().map(|(text, _)| text).collect());
            return Ok(Report::new(true, lines, otlp));
        };
        let metrics_url = match &destination.metrics_url {
            None if !encoded.is_empty() => {
                bail!(
                    "there are lines to send but no URL for them: set DT_TENANT or DT_METRICS_URL"
                )
            }
            url => url.as_ref(),
        };
        let otlp_url = match &destination.otlp_url {
            None if !requests.is_empty() => {
                bail!("there are histograms to send but no URL for them: set DT_TENANT or DT_OTLP_URL")
            }
            url => url.as_ref(),
        };
        let sender = Sender {
            client,
            token: destination.token.as_ref(),
            policy: RetryPolicy {
                retries: destination.retries,
            },
        };
        if let Some(url) = metrics_url {
            let mut delivery = LinesDelivery::default();
            let mut batcher = Batcher::default();
            for (text, origin) in encoded {
                if let Some(batch) = batcher.push(&text, origin) {
                    delivery.send(&sender, url, &batch);
                }
            }
            if let Some(batch) = batcher.finish() {
                delivery.send(&sender, url, &batch);
            }
            lines.delivery = Some(delivery);
            lines.endpoint = Some(url.to_string());
        }
        if let Some(url) = otlp_url {
            let mut delivery = OtlpDelivery::default();
            for request in &requests {
                delivery.send(&sender, url, destination.gzip, request);
            }
            otlp.delivery = Some(delivery);
            otlp.endpoint = Some(url.to_string());
        }
        Ok(Report::new(false, lines, otlp))
    }
}

/// Everything the inputs yielded, kept until all inputs are read.
#[derive(Default)]
struct Collected {
    metrics: Vec<Metric>,
    metadata: Vec<Metadata>,
    histograms: Vec<Histogram>,
    refusals: Capped<Refusal>,
    histogram_refusals: Capped<Refusal>,
}

impl Sink for Collected {
    fn metric(&mut self, metric: &Metric) {
        self.metrics.push(metric.clone());
    }
    fn metadata(&mut self, metadata: &Metadata) {
        self.metadata.push(metadata.clone());
    }
    fn histogram(&mut self, histogram: Histogram) {
        self.histograms.push(histogram);
    }
    fn refused(&mut self, refusal: Refusal) {
        self.refusals.push(refusal);
    }
    fn histogram_refused(&mut self, refusal: Refusal) {
        self.histogram_refusals.push(refusal);
    }
}
