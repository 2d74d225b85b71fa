//! Sending: line protocol to the metrics ingest endpoint in batches, with retries where a retry
//! can help, and the server's answer kept line by line.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use flate2::write::GzEncoder;
use flate2::Compression;
use reqwest::blocking::{Client, Response};
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use serde::Deserialize;

use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::metrics::v1::metric;
use prost::Message;

use crate::config::Destination;
use crate::model::{Line, Origin};
use crate::otlp;
use crate::secret::{redact, Secret};

/// Every official client splits here (the OneAgent endpoint's hard limit).
pub const MAX_LINES_PER_REQUEST: usize = 1_000;
/// The documented payload limit is 1 MB.
pub const MAX_BYTES_PER_REQUEST: usize = 1_000_000;
const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);
const MAX_MESSAGE_CHARS: usize = 500;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Delivery {
    pub requests: usize,
    pub sent: usize,
    pub ok: u64,
    pub invalid: u64,
    /// The lines Dynatrace named as invalid (it lists at most 10 per request).
    pub invalid_lines: Vec<InvalidLine>,
    pub warnings: Vec<ServerWarning>,
    /// Why delivery stopped, if it did; the lines from there on were not sent.
    pub failure: Option<String>,
    pub unsent: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InvalidLine {
    /// 1-based position among all lines of this run, as `--dry-run` prints them.
    pub line: usize,
    pub error: String,
    pub origin: Origin,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServerWarning {
    pub line: Option<usize>,
    pub warning: String,
    pub origin: Option<Origin>,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct OtlpDelivery {
    pub requests: usize,
    pub points_sent: usize,
    /// Data points Dynatrace dropped: `partial_success.rejected_data_points`, or all of a 400.
    pub rejected: u64,
    /// `partial_success.error_message` and the reasons of 400 answers.
    pub messages: Vec<String>,
    pub failure: Option<String>,
    pub unsent_points: usize,
}

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

/// Splits `lines` into requests within the protocol's limits: index ranges into `lines`.
pub fn batches(lines: &[Line]) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (index, line) in lines.iter().enumerate() {
        let size = line.text.len() + 1;
        if index > start
            && (index - start == MAX_LINES_PER_REQUEST || bytes + size > MAX_BYTES_PER_REQUEST)
        {
            ranges.push(start..index);
            (start, bytes) = (index, 0);
        }
        bytes += size;
    }
    if start < lines.len() {
        ranges.push(start..lines.len());
    }
    ranges
}

pub fn send_lines(
    client: &Client,
    destination: &Destination,
    url: &Url,
    lines: &[Line],
) -> Delivery {
    let mut delivery = Delivery::default();
    for range in batches(lines) {
        let batch = &lines[range.clone()];
        let mut body = String::with_capacity(batch.iter().map(|l| l.text.len() + 1).sum());
        for line in batch {
            body.push_str(&line.text);
            body.push('\n');
        }
        let post = Post {
            url,
            content_type: "text/plain; charset=utf-8",
            body: body.into_bytes(),
            gzip: false,
        };
        match post_with_retries(client, destination, post, &mut delivery.requests) {
            Ok(answer) if answer.is_html() => {
                delivery.failure = Some(not_dynatrace(url, answer.status, "DT_METRICS_URL"));
                delivery.unsent = lines.len() - range.start;
                break;
            }
            Ok(answer) => {
                delivery.sent += batch.len();
                record_answer(
                    &mut delivery,
                    answer,
                    batch.len(),
                    range.start,
                    lines,
                    destination.token.as_ref(),
                );
            }
            Err(failure) => {
                delivery.failure = Some(redact(&failure, destination.token.as_ref()));
                delivery.unsent = lines.len() - range.start;
                break;
            }
        }
    }
    delivery
}

pub fn send_otlp(
    client: &Client,
    destination: &Destination,
    url: &Url,
    requests: &[ExportMetricsServiceRequest],
) -> OtlpDelivery {
    let mut delivery = OtlpDelivery::default();
    let token = destination.token.as_ref();
    for (index, request) in requests.iter().enumerate() {
        let points = data_points(request);
        let post = match otlp::ensure_delta(request) {
            Ok(()) => Post {
                url,
                content_type: "application/x-protobuf",
                body: request.encode_to_vec(),
                gzip: destination.gzip,
            },
            Err(failure) => {
                delivery.failure = Some(failure);
                delivery.unsent_points = requests[index..].iter().map(data_points).sum();
                break;
            }
        };
        match post_with_retries(client, destination, post, &mut delivery.requests) {
            Ok(answer) if answer.status == StatusCode::BAD_REQUEST => {
                delivery.points_sent += points;
                delivery.rejected += points as u64;
                let message = otlp_error_text(&answer.body);
                delivery.messages.push(redact(
                    &format!("Dynatrace refused all {points} data point(s) of a request (400 Bad Request): {message}"),
                    token,
                ));
            }
            Ok(answer) => {
                let decoded = ExportMetricsServiceResponse::decode(answer.body.as_slice());
                let Some(response) = decoded.ok().filter(|_| !answer.is_html()) else {
                    delivery.failure = Some(not_dynatrace(url, answer.status, "DT_OTLP_URL"));
                    delivery.unsent_points = requests[index..].iter().map(data_points).sum();
                    break;
                };
                delivery.points_sent += points;
                if let Some(partial) = response.partial_success {
                    delivery.rejected += partial.rejected_data_points.max(0) as u64;
                    if !partial.error_message.is_empty() {
                        delivery
                            .messages
                            .push(redact(&partial.error_message, token));
                    }
                }
            }
            Err(failure) => {
                delivery.failure = Some(redact(&failure, token));
                delivery.unsent_points = requests[index..].iter().map(data_points).sum();
                break;
            }
        }
    }
    delivery
}

pub fn data_points(request: &ExportMetricsServiceRequest) -> usize {
    request
        .resource_metrics
        .iter()
        .flat_map(|r| &r.scope_metrics)
        .flat_map(|s| &s.metrics)
        .map(|m| match &m.data {
            Some(metric::Data::Histogram(h)) => h.data_points.len(),
            Some(metric::Data::Gauge(g)) => g.data_points.len(),
            Some(metric::Data::Sum(s)) => s.data_points.len(),
            Some(metric::Data::ExponentialHistogram(h)) => h.data_points.len(),
            Some(metric::Data::Summary(s)) => s.data_points.len(),
            None => 0,
        })
        .sum()
}

/// `google.rpc.Status`, which OTLP/HTTP servers answer failures with in protobuf.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

/// The reason in a failed OTLP answer: JSON, a protobuf `Status`, or plain text.
fn otlp_error_text(body: &[u8]) -> String {
    if let Some(message) = std::str::from_utf8(body).ok().and_then(server_message) {
        if !message.chars().any(char::is_control) {
            return message;
        }
    }
    match RpcStatus::decode(body) {
        Ok(status) if !status.message.is_empty() => status.message,
        _ => "no reason given".to_owned(),
    }
}

struct Post<'a> {
    url: &'a Url,
    content_type: &'static str,
    body: Vec<u8>,
    gzip: bool,
}

/// What a request that reached Dynatrace and was not a delivery failure came back with: a
/// success or a 400 (some or all data invalid).
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl Answer {
    /// A login page or proxy error rather than Dynatrace's answer.
    fn is_html(&self) -> bool {
        self.content_type
            .as_deref()
            .is_some_and(|t| t.to_ascii_lowercase().contains("html"))
    }
}

fn not_dynatrace(url: &Url, status: StatusCode, variable: &str) -> String {
    format!(
        "{url} answered {status} with a web page, not as Dynatrace's API (a proxy or login \
         page?): check DT_TENANT or {variable}"
    )
}

fn post_with_retries(
    client: &Client,
    destination: &Destination,
    post: Post,
    requests: &mut usize,
) -> Result<Answer, String> {
    let body = if post.gzip {
        gzip(&post.body).map_err(|e| format!("compressing the request: {e}"))?
    } else {
        post.body
    };
    let mut attempt = 0;
    loop {
        *requests += 1;
        let mut request = client
            .post(post.url.clone())
            .header(CONTENT_TYPE, post.content_type)
            .body(body.clone());
        if post.gzip {
            request = request.header(CONTENT_ENCODING, "gzip");
        }
        if let Some(token) = &destination.token {
            request = request.header(AUTHORIZATION, authorization(token));
        }
        let retries_left = attempt < destination.retries;
        match request.send() {
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
                let retryable =
                    status == StatusCode::TOO_MANY_REQUESTS || matches!(status.as_u16(), 502..=504);
                if retryable && retries_left {
                    std::thread::sleep(retry_after.unwrap_or_else(|| backoff(attempt)));
                } else {
                    let text = String::from_utf8_lossy(&body);
                    return Err(describe_status(status, &text, post.url, attempt + 1));
                }
            }
            Err(error) if error.is_connect() && retries_left => {
                std::thread::sleep(backoff(attempt));
            }
            Err(error) => {
                return Err(format!(
                    "could not reach {} after {} attempt(s): {}",
                    post.url,
                    attempt + 1,
                    error_chain(&error)
                ))
            }
        }
        attempt += 1;
    }
}

fn gzip(data: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder = GzEncoder::new(Vec::with_capacity(data.len() / 4), Compression::fast());
    encoder.write_all(data)?;
    encoder.finish()
}

fn authorization(token: &Secret) -> HeaderValue {
    let mut value = HeaderValue::from_str(&format!("Api-Token {}", token.expose()))
        .expect("the token was checked when the configuration was read");
    value.set_sensitive(true);
    value
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
    Some(Duration::from_secs(seconds).min(MAX_RETRY_WAIT))
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(500 << attempt.min(6)).min(MAX_RETRY_WAIT)
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

fn server_message(body: &str) -> Option<String> {
    let message = match serde_json::from_str::<ValidationResponse>(body) {
        Ok(response) => response.error.and_then(|e| e.message).unwrap_or_default(),
        Err(_) => body.trim().to_owned(),
    };
    if message.trim().is_empty() {
        return None;
    }
    let shortened: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
    Some(shortened)
}

/// Dynatrace's ValidationResponse in all the spellings its endpoints and docs use.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ValidationResponse {
    #[serde(alias = "linesValid")]
    lines_ok: Option<u64>,
    lines_invalid: Option<u64>,
    error: Option<ErrorBody>,
    warnings: Option<WarningsBody>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody {
    message: Option<String>,
    #[serde(default)]
    invalid_lines: Vec<InvalidLineBody>,
}

#[derive(Debug, Deserialize)]
struct InvalidLineBody {
    line: usize,
    #[serde(default)]
    error: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WarningsBody {
    message: Option<String>,
    #[serde(default, alias = "changedMetricKeys")]
    warning_lines: Vec<WarningLineBody>,
}

#[derive(Debug, Deserialize)]
struct WarningLineBody {
    line: Option<usize>,
    #[serde(alias = "message")]
    warning: Option<String>,
}

fn record_answer(
    delivery: &mut Delivery,
    answer: Answer,
    sent: usize,
    first_index: usize,
    lines: &[Line],
    token: Option<&Secret>,
) {
    // A server message may echo the request's headers.
    let body = redact(&String::from_utf8_lossy(&answer.body), token);
    let parsed = serde_json::from_str::<ValidationResponse>(&body).ok();
    let response = parsed.unwrap_or_default();
    let sent = sent as u64;
    let invalid = match (response.lines_invalid, response.lines_ok) {
        (Some(invalid), _) => invalid,
        (None, Some(ok)) => sent.saturating_sub(ok),
        // A 400 that counts nothing refused the whole request.
        (None, None) if !answer.status.is_success() => sent,
        (None, None) => 0,
    };
    delivery.invalid += invalid;
    delivery.ok += response.lines_ok.unwrap_or(sent.saturating_sub(invalid));
    let listed = response.error.as_ref().map_or(0, |e| e.invalid_lines.len());
    if invalid > 0 && listed == 0 {
        let message = server_message(&body).unwrap_or_else(|| "no reason given".into());
        delivery.warnings.push(ServerWarning {
            line: None,
            warning: format!(
                "Dynatrace refused {invalid} line(s) without naming them ({}): {message}",
                answer.status
            ),
            origin: None,
        });
    }
    let locate = |line: usize| -> (usize, Option<&Line>) {
        let global = first_index + line;
        (
            global,
            line.checked_sub(1).and_then(|i| lines.get(first_index + i)),
        )
    };
    if let Some(error) = response.error {
        for invalid in error.invalid_lines {
            let (line, sent) = locate(invalid.line);
            delivery.invalid_lines.push(InvalidLine {
                line,
                error: invalid.error,
                origin: sent.map(|l| l.origin.clone()).unwrap_or_default(),
                text: sent.map(|l| l.text.clone()).unwrap_or_default(),
            });
        }
    }
    if let Some(warnings) = response.warnings {
        if warnings.warning_lines.is_empty() {
            if let Some(message) = warnings.message.clone() {
                delivery.warnings.push(ServerWarning {
                    line: None,
                    warning: message,
                    origin: None,
                });
            }
        }
        for warning in warnings.warning_lines {
            let located = warning.line.map(locate);
            delivery.warnings.push(ServerWarning {
                line: located.map(|(line, _)| line),
                warning: warning
                    .warning
                    .or(warnings.message.clone())
                    .unwrap_or_default(),
                origin: located.and_then(|(_, sent)| sent.map(|l| l.origin.clone())),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(texts: &[&str]) -> Vec<Line> {
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| Line {
                text: (*t).to_owned(),
                origin: Origin(format!("in:{}", i + 1)),
            })
            .collect()
    }

    #[test]
    fn batches_split_at_1000_lines_and_1_mb() {
        let many = lines(&["a.b 1"; 2500]);
        assert_eq!(batches(&many), vec![0..1000, 1000..2000, 2000..2500]);
        let big_line = "x".repeat(400_000);
        let big = lines(&[&big_line, &big_line, &big_line]);
        assert_eq!(batches(&big), vec![0..2, 2..3]);
        assert!(batches(&[]).is_empty());
    }

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            content_type: None,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn partial_answer_maps_lines_back_to_inputs() {
        let sent = lines(&["a 1", "b 2", "c 3", "d 4"]);
        let mut delivery = Delivery::default();
        // The second request of a run, holding lines 3 and 4.
        record_answer(
            &mut delivery,
            answer(
                400,
                r#"{"linesOk":1,"linesInvalid":1,"error":{"code":400,"message":"1 invalid lines",
                   "invalidLines":[{"line":2,"error":"bad value"}]},
                   "warnings":{"message":"w","warningLines":[{"line":1,"warning":"key changed"}]}}"#,
            ),
            2,
            2,
            &sent,
            None,
        );
        assert_eq!((delivery.ok, delivery.invalid), (1, 1));
        assert_eq!(
            delivery.invalid_lines,
            vec![InvalidLine {
                line: 4,
                error: "bad value".into(),
                origin: Origin("in:4".into()),
                text: "d 4".into()
            }]
        );
        assert_eq!(delivery.warnings[0].line, Some(3));
        assert_eq!(delivery.warnings[0].origin, Some(Origin("in:3".into())));
    }

    #[test]
    fn other_spellings() {
        let sent = lines(&["a 1", "b 2"]);
        let mut delivery = Delivery::default();
        record_answer(
            &mut delivery,
            answer(
                202,
                r#"{"linesValid":2,"linesInvalid":0,"error":null,
                   "warnings":{"changedMetricKeys":[{"line":2,"message":"b changed to b.gauge"}]}}"#,
            ),
            2,
            0,
            &sent,
            None,
        );
        assert_eq!((delivery.ok, delivery.invalid), (2, 0));
        assert_eq!(delivery.warnings[0].warning, "b changed to b.gauge");
        let mut empty_body = Delivery::default();
        record_answer(&mut empty_body, answer(202, ""), 2, 0, &sent, None);
        assert_eq!(empty_body.ok, 2);
    }
}
