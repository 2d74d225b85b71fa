//! When the metrics of a test say they happened: the test's end, when Dynatrace accepts it (one
//! hour in the past to ten minutes in the future of the run's clock), with histograms over the
//! test's own window; otherwise no timestamp (Dynatrace uses the time it receives them) and
//! histograms over the test's own duration ending now, with a warning that says so in ISO 8601.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use super::emit::TestTime;
use super::Job;
use crate::model::{Code, Origin, Warning, Window, MAX_FUTURE_MS, MAX_PAST_MS};

/// The metrics' timestamp (UTC ms) and the histograms' window for a test that ran at `time`.
pub fn decide(job: &mut Job, time: Option<TestTime>) -> (Option<i64>, Option<Window>) {
    let Some(time) = time else {
        return (None, None);
    };
    let end_ms = time.end_ns.div_euclid(1_000_000);
    if (job.now_ms - MAX_PAST_MS..=job.now_ms + MAX_FUTURE_MS).contains(&end_ms) {
        let start_ns = time.start_ns.min(time.end_ns).max(0) as u64;
        let window = Window {
            start_ns,
            end_ns: (time.end_ns as u64).max(start_ns + 1),
        };
        return (Some(end_ms), Some(window));
    }
    let zone = if time.zoned {
        ""
    } else {
        " (the file's times have no zone and were read as UTC)"
    };
    let duration_ns = time.end_ns.saturating_sub(time.start_ns).max(1) as u64;
    let now_ns = (job.now_ms.max(0) as u64).saturating_mul(1_000_000);
    let window = Window {
        start_ns: now_ns.saturating_sub(duration_ns),
        end_ns: now_ns,
    };
    job.sink.warning(Warning {
        origin: Origin::whole(Arc::clone(job.name)),
        code: Code::TimestampOutOfWindow,
        text: format!(
            "the test ended at {}{zone}, outside the 1 hour in the past to 10 minutes in the \
             future that Dynatrace accepts (now is {}): its metrics are sent without a \
             timestamp (Dynatrace uses the time it receives them), and its histograms over the \
             test's own duration ({}) ending now",
            iso_8601(end_ms),
            iso_8601(job.now_ms),
            humantime::format_duration(Duration::from_millis(duration_ns / 1_000_000)),
        ),
    });
    (None, Some(window))
}

/// UTC milliseconds as ISO 8601 (`2026-11-25T23:46:42.416Z`), or as milliseconds outside the
/// years 1970 to 9999 that it writes.
pub fn iso_8601(ms: i64) -> String {
    use std::fmt::Write;
    let mut text = String::new();
    let written = u64::try_from(ms).ok().is_some_and(|ms| {
        let time = UNIX_EPOCH + Duration::from_millis(ms);
        write!(text, "{}", humantime::format_rfc3339_millis(time)).is_ok()
    });
    if written {
        text
    } else {
        format!("{ms} ms after 1970-01-01T00:00:00Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_iso_8601() {
        assert_eq!(iso_8601(1_795_650_402_416), "2026-11-25T23:46:42.416Z");
        assert_eq!(iso_8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_8601(-5), "-5 ms after 1970-01-01T00:00:00Z");
        let far = i64::MAX / 4;
        assert_eq!(
            iso_8601(far),
            format!("{far} ms after 1970-01-01T00:00:00Z")
        );
    }
}
