//! HTTP: the client with the destination's TLS and proxy settings, one POST with retries where a
//! retry can help, its answer read up to a cap within the timeout ([`super::answer`]), and the
//! texts that explain a failed answer. When to retry and how long to wait is a
//! [`RetryPolicy`], a plain value whose decisions are tested without a socket.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{bail, Context, Result};
use flate2::write::GzEncoder;
use flate2::Compression;
use reqwest::blocking::{Client, Response};
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{StatusCode, Url};

use super::answer::Answer;
use super::answer::{describe_status, error_chain, read_capped, server_message, Received};
use super::retry::{Attempt, GiveUp, RetryPolicy};
use crate::destination::{Destination, Token};
use crate::secret::{redact, shown};

pub fn client(destination: &Destination) -> Result<Client> {
    // The asynchronous client's timeout covers the whole exchange, the answer's body included,
    // so that a body that trickles in forever ends at the timeout too; the blocking client's
    // own timeout only bounds each wait.
    let whole_exchange = reqwest::Client::builder().timeout(destination.timeout);
    let mut builder = reqwest::blocking::ClientBuilder::from(whole_exchange)
        .timeout(destination.timeout)
        .connect_timeout(destination.timeout)
        .user_agent(concat!("keptn-dt-metrics/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .danger_accept_invalid_certs(destination.insecure_tls);
    // Only the proxies the destination chose, never the variables read again behind its back.
    builder = if destination.proxies.is_empty() {
        builder.no_proxy()
    } else {
        let routes = destination.proxies.clone();
        builder.proxy(reqwest::Proxy::custom(move |url| {
            let origin = url.origin();
            routes
                .iter()
                .find(|route| route.origin == origin)
                .map(|route| route.proxy.clone())
        }))
    };
    if let Some(path) = &destination.ca_bundle {
        let pem = std::fs::read(path).with_context(|| {
            format!(
                "reading the CA bundle {} (DT_CA_BUNDLE, --ca-bundle)",
                path.display()
            )
        })?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem)
            .with_context(|| format!("the CA bundle {} is not valid PEM", path.display()))?;
        if certificates.is_empty() {
            bail!(
                "the CA bundle {} holds no certificate: it must be PEM, one or more \
                 -----BEGIN CERTIFICATE----- blocks",
                path.display()
            );
        }
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
    }
    // With the settings fixed here, only a certificate from the CA bundle can make this fail.
    let context = match &destination.ca_bundle {
        Some(path) => format!(
            "the CA bundle {} holds a certificate that is not valid X.509",
            path.display()
        ),
        None => "setting up the HTTP client".to_owned(),
    };
    builder.build().context(context)
}

/// One request to make.
pub struct Post<'a> {
    pub url: &'a Url,
    pub content_type: &'static str,
    pub body: bytes::Bytes,
    pub gzip: bool,
}

/// Why a request was not answered as Dynatrace answers, with the token redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub text: String,
    pub kind: FailureKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Every later request would fail the same way (401, 403, 404, a redirect, 415): stop.
    Fatal,
    /// 413: the request was too large; a smaller one may pass.
    TooLarge,
    /// This request failed after its retries; later ones may pass.
    GaveUp,
    /// The request went out but no answer came (a timeout, a reset after connecting): the
    /// server may have taken it, so it is unconfirmed, never unsent. Later ones may pass.
    Unanswered,
    /// The run was stopped (SIGTERM, SIGINT) before the request could be made or retried.
    Stopped,
}

/// How a POST went: the answer or the failure, how many attempts it took, and whether
/// Dynatrace throttled (429) on the way.
#[derive(Debug)]
pub struct Posted {
    pub answer: Result<Answer, Failure>,
    pub attempts: usize,
    pub throttled: bool,
    /// From the first attempt to the answer or the failure, retries included.
    pub elapsed: Duration,
}

/// Makes POSTs with retries. Cheap to clone: one per sending thread.
#[derive(Clone)]
pub struct Sender {
    pub client: Client,
    pub token: Option<Token>,
    pub policy: RetryPolicy,
    /// When the run started: the retry budget counts from here.
    pub started: Instant,
    /// Set on SIGTERM or SIGINT: waits end and no new attempt is made.
    pub stop: Arc<AtomicBool>,
    /// The run's deadline: no attempt starts after it, and none is answered later.
    pub deadline: Option<Instant>,
    /// How long one attempt may take, the answer included (the client's own timeout).
    pub timeout: Duration,
}

impl Sender {
    /// Posts with retries; `note` hears one line per retry.
    pub fn post(&self, post: Post, note: &dyn Fn(String)) -> Posted {
        self.post_answered(post, note).0
    }

    /// As [`Sender::post`], with the status of the last answer, if one came.
    pub fn post_answered(&self, post: Post, note: &dyn Fn(String)) -> (Posted, Option<StatusCode>) {
        let started = Instant::now();
        let mut status = None;
        let mut posted = self.post_with_retries(post, note, &mut status);
        posted.elapsed = started.elapsed();
        (posted, status)
    }

    fn post_with_retries(
        &self,
        post: Post,
        note: &dyn Fn(String),
        last_status: &mut Option<StatusCode>,
    ) -> Posted {
        let mut posted = Posted {
            answer: Err(self.stopped()),
            attempts: 0,
            throttled: false,
            elapsed: Duration::ZERO,
        };
        let body = if post.gzip {
            match gzip(&post.body) {
                Ok(body) => bytes::Bytes::from(body),
                Err(e) => {
                    posted.answer = Err(Failure {
                        text: format!("compressing the request: {e}"),
                        kind: FailureKind::GaveUp,
                    });
                    return posted;
                }
            }
        } else {
            post.body
        };
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return posted;
            }
            let left = self
                .deadline
                .map(|d| d.saturating_duration_since(Instant::now()));
            if left.is_some_and(|left| left.is_zero()) {
                posted.answer = Err(self.past_deadline());
                return posted;
            }
            let attempt = posted.attempts as u32;
            posted.attempts += 1;
            let mut request = self
                .client
                .post(post.url.clone())
                .header(CONTENT_TYPE, post.content_type)
                .body(body.clone());
            let cut_by_deadline = left.is_some_and(|left| left < self.timeout);
            if let Some(left) = left.filter(|_| cut_by_deadline) {
                request = request.timeout(left);
            }
            if post.gzip {
                request = request.header(CONTENT_ENCODING, "gzip");
            }
            if let Some(token) = &self.token {
                request = request.header(AUTHORIZATION, token.authorization().clone());
            }
            let (how, failure) = match request.send() {
                Ok(response) => {
                    let status = response.status();
                    *last_status = Some(status);
                    let retry_after = retry_after(&response);
                    let content_type = response
                        .headers()
                        .get(CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    let (body, received) = read_capped(response);
                    if status.is_success() || status == StatusCode::BAD_REQUEST {
                        let received = match received {
                            Received::BrokeOff(why) => Received::BrokeOff(self.redact(why)),
                            received => received,
                        };
                        posted.answer = Ok(Answer {
                            status,
                            content_type,
                            body,
                            received,
                        });
                        return posted;
                    }
                    posted.throttled |= status == StatusCode::TOO_MANY_REQUESTS;
                    let how = Attempt::Status {
                        status: status.as_u16(),
                        retry_after,
                    };
                    let kind = match status.as_u16() {
                        401 | 403 | 404 | 415 | 300..=399 => FailureKind::Fatal,
                        413 => FailureKind::TooLarge,
                        _ => FailureKind::GaveUp,
                    };
                    let message = server_message(&body, &|text| self.redact(text));
                    let text = describe_status(status, message, post.url, attempt + 1);
                    (how, Failure { text, kind })
                }
                Err(error) => {
                    *last_status = None;
                    let (how, kind) = if error.is_connect() {
                        (Attempt::ConnectFailed, FailureKind::GaveUp)
                    } else {
                        (Attempt::Failed, FailureKind::Unanswered)
                    };
                    let what = match kind {
                        FailureKind::Unanswered => "no answer from",
                        _ => "could not reach",
                    };
                    let timed_out = error.is_timeout();
                    let mut text = format!(
                        "{what} {} after {} attempt(s): {}",
                        shown(post.url),
                        attempt + 1,
                        error_chain(&error.without_url())
                    );
                    if timed_out && cut_by_deadline {
                        text.push_str(" (cut off at the run's deadline: --deadline-secs)");
                    }
                    (how, Failure { text, kind })
                }
            };
            let failure = Failure {
                text: self.redact(failure.text),
                kind: failure.kind,
            };
            let wait = match self.policy.wait_after(attempt, how, self.started.elapsed()) {
                Ok(wait) => wait,
                Err(why) => {
                    let mut failure = failure;
                    if why == GiveUp::BudgetSpent {
                        failure.text.push_str(&format!(
                            " (no more retries: the retry budget of {} s is spent)",
                            self.policy.budget.as_secs()
                        ));
                    }
                    posted.answer = Err(failure);
                    return posted;
                }
            };
            note(format!(
                "retrying {} in {:.1} s after {} (attempt {} of {})",
                shown(post.url),
                wait.as_secs_f64(),
                match how {
                    Attempt::Status { status, .. } => StatusCode::from_u16(status)
                        .map_or_else(|_| status.to_string(), |s| s.to_string()),
                    _ => "a connection failure".to_owned(),
                },
                attempt + 2,
                self.policy.retries + 1
            ));
            if !self.sleep(wait) {
                posted.answer = Err(self.stopped());
                return posted;
            }
        }
    }

    /// Sleeps for `wait` unless the run is stopped first; false when stopped.
    fn sleep(&self, wait: Duration) -> bool {
        let until = Instant::now() + wait;
        while !self.stop.load(Ordering::Relaxed) {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return true;
            }
            std::thread::sleep(left.min(Duration::from_millis(50)));
        }
        false
    }

    fn past_deadline(&self) -> Failure {
        Failure {
            text: "the run's deadline (--deadline-secs, DT_DEADLINE_SECS) passed before this \
                   request could be made"
                .into(),
            kind: FailureKind::Stopped,
        }
    }

    fn stopped(&self) -> Failure {
        Failure {
            text: "the run was stopped (SIGTERM or SIGINT) before this request was answered".into(),
            kind: FailureKind::Stopped,
        }
    }

    pub fn redact(&self, text: String) -> String {
        redact(&text, self.token.as_ref().map(Token::secret))
    }
}

fn gzip(data: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder = GzEncoder::new(Vec::with_capacity(data.len() / 4), Compression::fast());
    encoder.write_all(data)?;
    encoder.finish()
}

fn retry_after(response: &Response) -> Option<Duration> {
    let header = response.headers().get(RETRY_AFTER)?.to_str().ok()?;
    super::retry::retry_after(header, SystemTime::now())
}
