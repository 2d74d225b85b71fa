//! HTTP: the client with the destination's TLS settings, one POST with retries where a retry
//! can help, and the texts that explain a failed answer. When to retry and how long to wait is
//! a [`RetryPolicy`], a plain value whose decisions are tested without a socket.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use flate2::write::GzEncoder;
use flate2::Compression;
use reqwest::blocking::{Client, Response};
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{StatusCode, Url};

use crate::destination::{Destination, Token};
use crate::secret::redact;

const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);
const MAX_MESSAGE_CHARS: usize = 500;

pub fn client(destination: &Destination) -> Result<Client> {
    let mut builder = Client::builder()
        .timeout(destination.timeout)
        .connect_timeout(destination.timeout)
        .user_agent(concat!("keptn-dt-metrics/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .danger_accept_invalid_certs(destination.insecure_tls);
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

/// One request to make.
pub struct Post<'a> {
    pub url: &'a Url,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub gzip: bool,
}

/// What a request that reached Dynatrace and was not a delivery failure came back with: a
/// success or a 400 (some or all data invalid).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl Answer {
    /// A login page or proxy error rather than Dynatrace's answer.
    pub fn is_html(&self) -> bool {
        self.content_type
            .as_deref()
            .is_some_and(|t| t.to_ascii_lowercase().contains("html"))
    }
}

pub struct Sender<'a> {
    pub client: &'a Client,
    pub token: Option<&'a Token>,
    pub policy: RetryPolicy,
}

impl Sender<'_> {
    /// Posts with retries; `requests` counts every attempt. `Err` is why delivery failed, with
    /// the token redacted.
    pub fn post(&self, post: Post, requests: &mut usize) -> Result<Answer, String> {
        let body = if post.gzip {
            gzip(&post.body).map_err(|e| format!("compressing the request: {e}"))?
        } else {
            post.body
        };
        let body = bytes::Bytes::from(body);
        let mut attempt = 0;
        loop {
            *requests += 1;
            let mut request = self
                .client
                .post(post.url.clone())
                .header(CONTENT_TYPE, post.content_type)
                .body(body.clone());
            if post.gzip {
                request = request.header(CONTENT_ENCODING, "gzip");
            }
            if let Some(token) = self.token {
                request = request.header(AUTHORIZATION, token.authorization().clone());
            }
            let (how, failure) = match request.send() {
                Ok(response) => {
                    let status = response.status();
                    let retry_after = retry_after(&response);
                    let content_type = response
                        .headers()
                        .get(CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    let body = response.bytes().map(|b| b.to_vec()).unwrap_or_default();
                    if status.is_success() || status == StatusCode::BAD_REQUEST {
                        return Ok(Answer {
                            status,
                            content_type,
                            body,
                        });
                    }
                    let how = Attempt::Status {
                        status: status.as_u16(),
                        retry_after,
                    };
                    let text = String::from_utf8_lossy(&body);
                    (how, describe_status(status, &text, post.url, attempt + 1))
                }
                Err(error) => {
                    let how = if error.is_connect() {
                        Attempt::ConnectFailed
                    } else {
                        Attempt::Failed
                    };
                    let failure = format!(
                        "could not reach {} after {} attempt(s): {}",
                        post.url,
                        attempt + 1,
                        error_chain(&error)
                    );
                    (how, failure)
                }
            };
            match self.policy.wait_after(attempt, how) {
                Some(wait) => std::thread::sleep(wait),
                None => return Err(self.redact(failure)),
            }
            attempt += 1;
        }
    }

    pub fn redact(&self, text: String) -> String {
        redact(&text, self.token.map(Token::secret))
    }
}

fn gzip(data: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder = GzEncoder::new(Vec::with_capacity(data.len() / 4), Compression::fast());
    encoder.write_all(data)?;
    encoder.finish()
}

fn retry_after(response: &Response) -> Option<Duration> {
    let seconds: u64 = response
        .headers()
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn describe_status(status: StatusCode, body: &str, url: &Url, attempts: u32) -> String {
    let hint = match status.as_u16() {
        401 => "the API token is missing, invalid or expired: check DT_API_TOKEN".to_owned(),
        403 => {
            "the API token lacks the scope metrics.ingest: create one with that scope".to_owned()
        }
        404 => format!(
            "nothing answers at {url}: check DT_TENANT (https://{{env-id}}.live.dynatrace.com, or \
             https://{{domain}}/e/{{env-id}} for Managed)"
        ),
        413 => "the request was too large for Dynatrace".to_owned(),
        415 => {
            "Dynatrace does not take this content type here (OTLP needs binary protobuf)".to_owned()
        }
        429 => {
            format!("Dynatrace is throttling this environment (still after {attempts} attempts)")
        }
        300..=399 => format!("{url} redirects elsewhere; set DT_TENANT to the URL it redirects to"),
        500..=599 => format!(
            "Dynatrace had a server-side problem after {attempts} attempt(s) (503 can mean ingest \
             is paused)"
        ),
        _ => format!("unexpected answer from {url}"),
    };
    match server_message(body) {
        Some(message) => format!("Dynatrace answered {status}: {hint}; it said: {message}"),
        None => format!("Dynatrace answered {status}: {hint}"),
    }
}

/// The `error.message` of a Dynatrace error body, or the body itself, shortened; `None` when
/// empty.
pub fn server_message(body: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct ErrorEnvelope {
        error: Option<ErrorMessage>,
    }
    #[derive(serde::Deserialize)]
    struct ErrorMessage {
        message: Option<String>,
    }
    let message = match serde_json::from_str::<ErrorEnvelope>(body) {
        Ok(envelope) => envelope.error.and_then(|e| e.message).unwrap_or_default(),
        Err(_) => body.trim().to_owned(),
    };
    if message.trim().is_empty() {
        return None;
    }
    Some(message.chars().take(MAX_MESSAGE_CHARS).collect())
}

/// The failure text for an answer that is a web page rather than Dynatrace's API.
pub fn not_dynatrace(url: &Url, status: StatusCode, variable: &str) -> String {
    format!(
        "{url} answered {status} with a web page, not as Dynatrace's API (a proxy or login \
         page?): check DT_TENANT or {variable}"
    )
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

    #[test]
    fn server_messages() {
        assert_eq!(
            server_message(r#"{"error":{"code":401,"message":"Token is missing"}}"#).as_deref(),
            Some("Token is missing")
        );
        assert_eq!(
            server_message("  plain text ").as_deref(),
            Some("plain text")
        );
        assert_eq!(server_message(""), None);
        assert_eq!(server_message(&"x".repeat(900)).unwrap().len(), 500);
    }
}
