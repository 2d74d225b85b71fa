//! The payload of a line (`gauge,..`, `count,delta=..`, `gauge,min=..,max=..,sum=..,count=..`)
//! and the timestamp window, each refused with its reason when Dynatrace would refuse it.

use std::fmt::Write;

use crate::model::{Code, Problem, Value};
use crate::model::{MAX_FUTURE_MS, MAX_PAST_MS};
use crate::normalize;

pub(super) fn check_timestamp(timestamp: i64, now_ms: i64) -> Result<(), Problem> {
    let earliest = now_ms - MAX_PAST_MS;
    let latest = now_ms + MAX_FUTURE_MS;
    if (earliest..=latest).contains(&timestamp) {
        return Ok(());
    }
    let hint = if timestamp.abs() < 100_000_000_000 {
        " (it looks like seconds: Dynatrace wants milliseconds)"
    } else if timestamp > 100_000_000_000_000 {
        " (it looks like micro- or nanoseconds: Dynatrace wants milliseconds)"
    } else {
        ""
    };
    Err(Problem::new(
        Code::TimestampOutOfWindow,
        format!(
            "timestamp {timestamp} is outside the accepted window of 1 hour in the past to 10 \
             minutes in the future (now is {now_ms}){hint}"
        ),
    ))
}

pub(super) fn write_payload(value: &Value, out: &mut String) -> Result<(), Problem> {
    let number = |v: f64, what: &str, out: &mut String| {
        if normalize::write_number(v, out) {
            Ok(())
        } else {
            Err(Problem::new(
                Code::ValueNotFinite,
                format!("{what} is {v}; Dynatrace accepts only finite numbers"),
            ))
        }
    };
    match *value {
        Value::Gauge(v) => {
            out.push_str("gauge,");
            number(v, "the value", out)
        }
        Value::Count(v) => {
            out.push_str("count,delta=");
            number(v, "the delta", out)
        }
        Value::Summary {
            min,
            max,
            sum,
            count,
        } => {
            let start = out.len();
            out.push_str("gauge,min=");
            number(min, "min", out)?;
            out.push_str(",max=");
            number(max, "max", out)?;
            out.push_str(",sum=");
            number(sum, "sum", out)?;
            let _ = write!(out, ",count={count}");
            let text = |v: f64| normalize::format_number(v).unwrap_or_else(|| v.to_string());
            let invalid = |reason: String| Err(Problem::new(Code::SummaryInvalid, reason));
            if count == 0 {
                out.truncate(start);
                return invalid("a summary needs count of at least 1".into());
            }
            if min > max {
                out.truncate(start);
                return invalid(format!(
                    "summary min {} is greater than max {}",
                    text(min),
                    text(max)
                ));
            }
            if let Some(average) = normalize::average_outside_range(min, max, sum, count) {
                out.truncate(start);
                return invalid(format!(
                    "summary is inconsistent: sum/count = {} must lie between min {} and max {}",
                    text(average),
                    text(min),
                    text(max)
                ));
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(value: Value) -> Result<String, Problem> {
        let mut out = String::new();
        write_payload(&value, &mut out).map(|()| out)
    }

    #[test]
    fn payload_forms() {
        assert_eq!(payload(Value::Gauge(1.5)).unwrap(), "gauge,1.5");
        assert_eq!(payload(Value::Count(3.0)).unwrap(), "count,delta=3");
        let summary = Value::Summary {
            min: 1.0,
            max: 3.0,
            sum: 6.0,
            count: 3,
        };
        assert_eq!(payload(summary).unwrap(), "gauge,min=1,max=3,sum=6,count=3");
        let empty = Value::Summary {
            min: 1.0,
            max: 3.0,
            sum: 6.0,
            count: 0,
        };
        assert_eq!(payload(empty).unwrap_err().code, Code::SummaryInvalid);
    }

    #[test]
    fn the_window_is_an_hour_back_and_ten_minutes_ahead() {
        let now = 1_795_334_400_000;
        assert!(check_timestamp(now - MAX_PAST_MS, now).is_ok());
        assert!(check_timestamp(now + MAX_FUTURE_MS, now).is_ok());
        assert!(check_timestamp(now + MAX_FUTURE_MS + 1, now).is_err());
        assert!(check_timestamp(now * 1000, now)
            .unwrap_err()
            .reason
            .contains("micro- or nanoseconds"));
    }
}
