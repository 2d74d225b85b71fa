//! When a failed request is tried again, and after how long: a plain value whose decisions are
//! tested without a socket.

use std::time::{Duration, SystemTime};

const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

/// When a failed attempt is tried again, and after how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts after the first.
    pub retries: u32,
    /// No retry may start later than this after the run started.
    pub budget: Duration,
}

/// How one attempt ended, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// The server answered with a status that is not a success or a 400.
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// No connection could be made.
    ConnectFailed,
    /// Anything else (a timeout, a reset mid-request): the server may have taken the data.
    Failed,
}

/// Why a failed attempt is not tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiveUp {
    /// A retry cannot mend it (401, 404, a timeout, ...).
    NotRetryable,
    /// Every retry has been made.
    RetriesSpent,
    /// The wait would end after the run's retry budget.
    BudgetSpent,
}

impl RetryPolicy {
    /// The wait before trying again after `attempt` (0 for the first) ended as `how`, `elapsed`
    /// into the run: connection failures, 429 and 502/503/504 are retried, honouring
    /// `Retry-After` (at most 60 s), else backing off from 0.5 s doubling; never past the
    /// budget.
    pub fn wait_after(
        &self,
        attempt: u32,
        how: Attempt,
        elapsed: Duration,
    ) -> Result<Duration, GiveUp> {
        let wait = match how {
            Attempt::Status {
                status: 429 | 502..=504,
                retry_after,
            } => retry_after.map_or_else(|| backoff(attempt), |w| w.min(MAX_RETRY_WAIT)),
            Attempt::ConnectFailed => backoff(attempt),
            Attempt::Status { .. } | Attempt::Failed => return Err(GiveUp::NotRetryable),
        };
        if attempt >= self.retries {
            return Err(GiveUp::RetriesSpent);
        }
        if elapsed + wait > self.budget {
            return Err(GiveUp::BudgetSpent);
        }
        Ok(wait)
    }
}

/// A `Retry-After` header's wait: seconds, or an HTTP date (as of `now`).
pub fn retry_after(header: &str, now: SystemTime) -> Option<Duration> {
    let header = header.trim();
    if let Ok(seconds) = header.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(header).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(500 << attempt.min(6)).min(MAX_RETRY_WAIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy = RetryPolicy {
        retries: 2,
        budget: Duration::from_secs(120),
    };
    const START: Duration = Duration::ZERO;

    fn status(status: u16, retry_after: Option<u64>) -> Attempt {
        Attempt::Status {
            status,
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    #[test]
    fn throttling_and_gateway_errors_are_retried_honouring_retry_after() {
        for code in [429, 502, 503, 504] {
            assert_eq!(
                POLICY.wait_after(0, status(code, None), START),
                Ok(Duration::from_millis(500)),
                "{code}"
            );
        }
        assert_eq!(
            POLICY.wait_after(1, status(429, None), START),
            Ok(Duration::from_secs(1))
        );
        assert_eq!(
            POLICY.wait_after(0, status(503, Some(7)), START),
            Ok(Duration::from_secs(7))
        );
        assert_eq!(
            POLICY.wait_after(0, status(429, Some(3600)), START),
            Ok(MAX_RETRY_WAIT)
        );
    }

    #[test]
    fn retries_end_after_the_policys_count_and_within_the_budget() {
        assert!(POLICY.wait_after(1, status(503, None), START).is_ok());
        assert_eq!(
            POLICY.wait_after(2, status(503, None), START),
            Err(GiveUp::RetriesSpent)
        );
        let never = RetryPolicy {
            retries: 0,
            ..POLICY
        };
        assert_eq!(
            never.wait_after(0, Attempt::ConnectFailed, START),
            Err(GiveUp::RetriesSpent)
        );
        assert_eq!(
            POLICY.wait_after(0, status(429, Some(30)), Duration::from_secs(100)),
            Err(GiveUp::BudgetSpent)
        );
        assert!(POLICY
            .wait_after(0, status(429, Some(20)), Duration::from_secs(100))
            .is_ok());
    }

    #[test]
    fn what_a_retry_cannot_mend_is_not_retried() {
        for code in [401, 403, 404, 413, 415, 500, 301] {
            assert_eq!(
                POLICY.wait_after(0, status(code, None), START),
                Err(GiveUp::NotRetryable),
                "{code}"
            );
        }
        assert_eq!(
            POLICY.wait_after(0, Attempt::Failed, START),
            Err(GiveUp::NotRetryable)
        );
        assert_eq!(
            POLICY.wait_after(0, Attempt::ConnectFailed, START),
            Ok(Duration::from_millis(500))
        );
    }

    #[test]
    fn backoff_doubles_up_to_a_minute() {
        let waits: Vec<u64> = (0..9).map(|a| backoff(a).as_millis() as u64).collect();
        assert_eq!(
            waits,
            vec![500, 1000, 2000, 4000, 8000, 16000, 32000, 32000, 32000]
        );
    }

    #[test]
    fn retry_after_in_seconds_or_as_an_http_date() {
        let now = httpdate::parse_http_date("Wed, 25 Nov 2026 12:00:00 GMT").unwrap();
        assert_eq!(retry_after(" 5 ", now), Some(Duration::from_secs(5)));
        assert_eq!(
            retry_after("Wed, 25 Nov 2026 12:00:42 GMT", now),
            Some(Duration::from_secs(42))
        );
        assert_eq!(
            retry_after("Wed, 25 Nov 2026 11:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
    }
}
