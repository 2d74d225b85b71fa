//! What JMeter's result files (CSV JTL with or without its header row, XML JTL) have in common:
//! one sample, however it was written, and how it is counted.

use super::extras::Sampled;
use super::samples::Samples;

/// One JMeter sample, read.
pub struct Measured<'r> {
    pub label: &'r [u8],
    pub elapsed_ms: f64,
    pub failed: bool,
    /// Start, UTC nanoseconds, and whether the text gave its zone.
    pub start: Option<(i64, bool)>,
    /// Response code, bytes, threads, latency, connect time, where the file has them; the
    /// sample's span is filled in by [`record`].
    pub sampled: Sampled<'r>,
}

/// Counts `sample` in `samples`: its label, its time, and the span of the test.
pub fn record(samples: &mut Samples, sample: &Measured) {
    let mut sampled = sample.sampled;
    if let Some((start_ns, zoned)) = sample.start {
        let end_ns = start_ns.saturating_add((sample.elapsed_ms * 1e6) as i64);
        samples.time(start_ns, end_ns, zoned);
        sampled.span_ns = Some((start_ns, end_ns));
    }
    samples.measured(
        None,
        sample.label,
        sample.elapsed_ms,
        sample.failed,
        &sampled,
    );
}

/// `success`: `true` or `false`; whether the sample failed.
pub fn failed(success: &[u8]) -> Result<bool, String> {
    match success {
        s if s.eq_ignore_ascii_case(b"true") => Ok(false),
        s if s.eq_ignore_ascii_case(b"false") => Ok(true),
        other => Err(format!(
            "success `{}` is neither true nor false",
            String::from_utf8_lossy(other)
        )),
    }
}

/// A field holding a number of milliseconds, bytes or threads: `None` when empty.
pub fn number(name: &str, text: &[u8]) -> Result<Option<f64>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    let unit = match name {
        "elapsed" | "Latency" | "Connect" | "t" | "lt" | "ct" => " of milliseconds",
        _ => "",
    };
    milliseconds(text).map(Some).ok_or_else(|| {
        format!(
            "{name} `{}` is not a number{unit} (0 or more)",
            String::from_utf8_lossy(text)
        )
    })
}

/// A duration in milliseconds (or any count): digits, or a finite decimal number, 0 or more.
pub fn milliseconds(text: &[u8]) -> Option<f64> {
    if let Some(whole) = whole_number(text) {
        return Some(whole as f64);
    }
    let value: f64 = std::str::from_utf8(text).ok()?.trim().parse().ok()?;
    (value.is_finite() && value >= 0.0).then_some(value)
}

/// Up to 18 ASCII digits, the common case, without going through text.
pub fn whole_number(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 18 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(text.iter().fold(0u64, |n, &b| n * 10 + u64::from(b - b'0')))
}
