//! What a load test measures beyond counts and response times, where the tool's file has it:
//! requests and failures per second, bytes received and sent, latency and connect time, the
//! peak of concurrent users, and the requests per response code. [`Extras`] gathers them from
//! raw samples (JMeter); [`More`] is what a label ends with, however the tool gave it; the keys
//! they are sent under are in `keys.rs`.

use super::emit::Spread;
use super::labels::OTHER;

/// The response codes one label keeps apart; the others are counted under `_other`.
const MAX_CODES: usize = 100;

/// What one sample says beyond its response time, where the file has it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sampled<'a> {
    pub code: Option<&'a [u8]>,
    pub received: Option<f64>,
    pub sent: Option<f64>,
    pub latency: Option<f64>,
    pub connect: Option<f64>,
    pub users: Option<f64>,
    /// Start and end, UTC nanoseconds.
    pub span_ns: Option<(i64, i64)>,
}

/// One label's [`Sampled`] so far.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    received: Option<f64>,
    sent: Option<f64>,
    latency: Option<Spread>,
    connect: Option<Spread>,
    users: Option<f64>,
    codes: Vec<(Box<[u8]>, u64)>,
    other_codes: u64,
    span_ns: Option<(i64, i64)>,
}

fn add(sum: &mut Option<f64>, value: Option<f64>) {
    if let Some(value) = value {
        *sum = Some(sum.unwrap_or(0.0) + value);
    }
}

fn spread(spread: &mut Option<Spread>, value: Option<f64>) {
    let Some(value) = value else { return };
    let next = match *spread {
        None => Spread {
            min: value,
            max: value,
            sum: value,
            count: 1,
        },
        Some(s) => Spread {
            min: s.min.min(value),
            max: s.max.max(value),
            sum: s.sum + value,
            count: s.count + 1,
        },
    };
    *spread = Some(next);
}

impl Extras {
    pub fn add(&mut self, sampled: &Sampled) {
        add(&mut self.received, sampled.received);
        add(&mut self.sent, sampled.sent);
        spread(&mut self.latency, sampled.latency);
        spread(&mut self.connect, sampled.connect);
        if let Some(users) = sampled.users {
            self.users = Some(self.users.map_or(users, |u| u.max(users)));
        }
        if let Some((start, end)) = sampled.span_ns {
            let (first, last) = self.span_ns.unwrap_or((start, end));
            self.span_ns = Some((first.min(start), last.max(end)));
        }
        if let Some(code) = sampled.code {
            match self.codes.iter().position(|(c, _)| **c == *code) {
                Some(at) => self.codes[at].1 += 1,
                None if self.codes.len() < MAX_CODES => self.codes.push((code.into(), 1)),
                None => self.other_codes += 1,
            }
        }
    }

    /// What the label ends with, for `requests` and `failures` counted apart. The rates are
    /// JMeter's `SamplingStatCalculator.getRate`: requests over the time from the label's first
    /// start to its last end.
    pub fn finish(self, requests: u64, failures: u64) -> More {
        let seconds = self
            .span_ns
            .map(|(first, last)| (last - first) as f64 / 1e9)
            .filter(|s| *s > 0.0);
        let mut codes: Vec<(String, u64)> = self
            .codes
            .into_iter()
            .map(|(code, count)| (String::from_utf8_lossy(&code).into_owned(), count))
            .collect();
        if self.other_codes > 0 {
            codes.push((OTHER.to_owned(), self.other_codes));
        }
        More {
            requests_per_second: seconds.map(|s| requests as f64 / s),
            failures_per_second: seconds.map(|s| failures as f64 / s),
            bytes_received: self.received,
            bytes_sent: self.sent,
            latency: self.latency,
            connect_time: self.connect,
            users: self.users,
            codes,
        }
    }
}

/// What one label's results say beyond counts and response times; `None` (empty) where the
/// tool's data does not say it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct More {
    pub requests_per_second: Option<f64>,
    pub failures_per_second: Option<f64>,
    pub bytes_received: Option<f64>,
    pub bytes_sent: Option<f64>,
    pub latency: Option<Spread>,
    pub connect_time: Option<Spread>,
    /// The most concurrent users (threads, virtual users) seen.
    pub users: Option<f64>,
    /// Requests per response code, in the order first seen.
    pub codes: Vec<(String, u64)>,
}

impl More {
    /// Adds `other`'s totals to these (labels folded into one); rates and peaks go.
    pub fn merge(&mut self, other: &More) {
        add(&mut self.bytes_received, other.bytes_received);
        add(&mut self.bytes_sent, other.bytes_sent);
        self.requests_per_second = None;
        self.failures_per_second = None;
        self.latency = None;
        self.connect_time = None;
        self.users = None;
        self.codes.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_spreads_peaks_codes_and_rates() {
        let mut extras = Extras::default();
        for (i, code) in [b"200", b"500", b"200"].iter().enumerate() {
            let i = i as f64;
            extras.add(&Sampled {
                code: Some(*code),
                received: Some(100.0 + i),
                sent: None,
                latency: Some(10.0 * (i + 1.0)),
                connect: Some(i),
                users: Some(3.0 - i),
                span_ns: Some((i as i64 * 1_000_000_000, 2_000_000_000)),
            });
        }
        let more = extras.finish(3, 1);
        assert_eq!(more.requests_per_second, Some(1.5));
        assert_eq!(more.failures_per_second, Some(0.5));
        assert_eq!(more.bytes_received, Some(303.0));
        assert_eq!(more.bytes_sent, None);
        assert_eq!(
            more.latency,
            Some(Spread {
                min: 10.0,
                max: 30.0,
                sum: 60.0,
                count: 3
            })
        );
        assert_eq!(more.users, Some(3.0));
        assert_eq!(more.codes, vec![("200".into(), 2), ("500".into(), 1)]);
    }

    #[test]
    fn codes_past_the_cap_count_under_other() {
        let mut extras = Extras::default();
        for code in 0..MAX_CODES + 3 {
            let code = code.to_string();
            extras.add(&Sampled {
                code: Some(code.as_bytes()),
                ..Sampled::default()
            });
        }
        let more = extras.finish(0, 0);
        assert_eq!(more.codes.len(), MAX_CODES + 1);
        assert_eq!(more.codes.last().unwrap(), &(OTHER.to_owned(), 3));
        assert_eq!(more.requests_per_second, None);
    }
}
