//! When a failed request is tried again, and after how long: a plain value whose decisions are
//! tested without a socket.

use std::time::Duration;

const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

/// When a failed attempt is tried again, and after how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts after the first.
    pub retries: u32,
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

impl RetryPolicy {
    /// The wait before trying again after `attempt` (0 for the first) ended as `how`, or `None`
    /// to give up: connection failures, 429 and 502/503/504 are retried, honouring
    /// `Retry-After` (at most 60 s), else backing off from 0.5 s doubling.
    pub fn wait_after(&self, attempt: u32, how: Attempt) -> Option<Duration> {
        if attempt >= self.retries {
            return None;
        }
        match how {
            Attempt::Status {
                status: 429 | 502..=504,
                retry_after,
            } => Some(retry_after.map_or_else(|| backoff(attempt), |w| w.min(MAX_RETRY_WAIT))),
            Attempt::ConnectFailed => Some(backoff(attempt)),
            Attempt::Status { .. } | Attempt::Failed => None,
        }
    }
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(500 << attempt.min(6)).min(MAX_RETRY_WAIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy = RetryPolicy { retries: 2 };

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
                POLICY.wait_after(0, status(code, None)),
                Some(Duration::from_millis(500)),
                "{code}"
            );
        }
        assert_eq!(
            POLICY.wait_after(1, status(429, None)),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            POLICY.wait_after(0, status(503, Some(7))),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            POLICY.wait_after(0, status(429, Some(3600))),
            Some(MAX_RETRY_WAIT)
        );
    }

    #[test]
    fn retries_end_after_the_policys_count() {
        assert!(POLICY.wait_after(1, status(503, None)).is_some());
        assert_eq!(POLICY.wait_after(2, status(503, None)), None);
        let never = RetryPolicy { retries: 0 };
        assert_eq!(never.wait_after(0, Attempt::ConnectFailed), None);
    }

    #[test]
    fn what_a_retry_cannot_mend_is_not_retried() {
        for code in [401, 403, 404, 413, 415, 500, 301] {
            assert_eq!(POLICY.wait_after(0, status(code, None)), None, "{code}");
        }
        assert_eq!(POLICY.wait_after(0, Attempt::Failed), None);
        assert_eq!(
            POLICY.wait_after(0, Attempt::ConnectFailed),
            Some(Duration::from_millis(500))
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
}
