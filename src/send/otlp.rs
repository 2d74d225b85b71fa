//! What the OTLP metrics endpoint answered: Dynatrace's partial-success answer kept, a 400 as
//! every point rejected, anything else that is not an OTLP answer a delivery failure.

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceResponse;
use prost::Message;
use reqwest::{StatusCode, Url};

use super::answer::{not_dynatrace, server_message, shown_text, too_long, Answer, Received};
use super::http::{Failure, FailureKind, Posted};

#[derive(Debug, Default, Clone, PartialEq)]
pub struct OtlpDelivery {
    pub requests: usize,
    pub points_sent: usize,
    /// Data points Dynatrace dropped: `partial_success.rejected_data_points`, or all of a 400.
    pub rejected: u64,
    /// `partial_success.error_message` and the reasons of 400 answers.
    pub messages: Vec<String>,
    pub failure: Option<String>,
    pub failed_requests: usize,
    pub unsent_points: usize,
    /// Points sent whose answer never came (the run was stopped while they were in flight).
    pub unconfirmed_points: usize,
}

impl OtlpDelivery {
    /// Counts a request that was not sent: an earlier failure stopped delivery, or the run.
    pub fn unsent(&mut self, points: usize) {
        self.unsent_points += points;
    }

    /// Records how posting a request of `points` data points to `url` went; returns the
    /// failure's kind, if it failed. `redact` takes the token out of a text; every text of the
    /// server's is shown redacted, escaped and cut.
    pub fn record(
        &mut self,
        points: usize,
        posted: Posted,
        url: &Url,
        redact: impl Fn(String) -> String,
    ) -> Option<FailureKind> {
        self.requests += posted.attempts;
        let redact: &dyn Fn(String) -> String = &redact;
        let failure = match posted.answer {
            Ok(answer) if answer.received == Received::TooLong && !answer.is_html() => {
                // The points went out and something answered: whether Dynatrace took them is
                // not known.
                self.points_sent += points;
                self.unconfirmed_points += points;
                self.failed_requests += 1;
                if self.failure.is_none() {
                    self.failure = Some(too_long(url, answer.status));
                }
                return Some(FailureKind::Fatal);
            }
            Ok(Answer {
                status,
                received: Received::BrokeOff(why),
                ..
            }) => {
                self.points_sent += points;
                self.unconfirmed_points += points;
                let why = shown_text(&why, redact);
                self.messages.push(format!(
                    "Dynatrace's answer ({status}) to a request of {points} data point(s) did not \
                     arrive whole ({why}): they are unconfirmed"
                ));
                return None;
            }
            Ok(answer) if answer.status == StatusCode::BAD_REQUEST => {
                self.points_sent += points;
                self.rejected += points as u64;
                let message = otlp_error_text(&answer.body, redact);
                self.messages.push(format!(
                    "Dynatrace refused all {points} data point(s) of a request (400 Bad Request): \
                     {message}"
                ));
                return None;
            }
            Ok(answer) => {
                let decoded = ExportMetricsServiceResponse::decode(answer.body.as_slice());
                match decoded.ok().filter(|_| !answer.is_html()) {
                    Some(response) => {
                        self.points_sent += points;
                        if let Some(partial) = response.partial_success {
                            let mut rejected = partial.rejected_data_points.max(0) as u64;
                            if rejected > points as u64 {
                                self.messages.push(format!(
                                    "Dynatrace says it rejected {rejected} point(s) of a request \
                                     of {points}; taken as {points}"
                                ));
                                rejected = points as u64;
                            }
                            self.rejected += rejected;
                            if !partial.error_message.is_empty() {
                                self.messages
                                    .push(shown_text(&partial.error_message, redact));
                            }
                        }
                        return None;
                    }
                    None => Failure {
                        text: not_dynatrace(url, answer.status, "DT_OTLP_URL"),
                        kind: FailureKind::Fatal,
                    },
                }
            }
            Err(failure) if failure.kind == FailureKind::Unanswered => {
                self.points_sent += points;
                self.unconfirmed_points += points;
                self.failed_requests += 1;
                if self.failure.is_none() {
                    self.failure = Some(format!(
                        "{}; its {points} data point(s) are unconfirmed: Dynatrace may have \
                         taken them",
                        failure.text
                    ));
                }
                return Some(failure.kind);
            }
            Err(failure) => failure,
        };
        self.unsent_points += points;
        self.failed_requests += 1;
        if self.failure.is_none() {
            self.failure = Some(failure.text);
        }
        Some(failure.kind)
    }
}

/// `google.rpc.Status`, which OTLP/HTTP servers answer failures with in protobuf.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

/// The reason in a failed OTLP answer: JSON, a protobuf `Status`, or plain text; shown
/// redacted, escaped and cut.
fn otlp_error_text(body: &[u8], redact: &dyn Fn(String) -> String) -> String {
    // Protobuf is binary: text that is not UTF-8 or holds control characters is not a message.
    let text = std::str::from_utf8(body)
        .ok()
        .filter(|text| !text.chars().any(|c| c.is_control() && !c.is_whitespace()));
    if let Some(message) = text.and_then(|text| server_message(text.as_bytes(), redact)) {
        return message;
    }
    match RpcStatus::decode(body) {
        Ok(status) if !status.message.is_empty() => shown_text(&status.message, redact),
        _ => "no reason given".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_reasons_in_any_of_the_three_forms() {
        let plain = |text: String| text;
        assert_eq!(
            otlp_error_text(br#"{"error":{"message":"bad point"}}"#, &plain),
            "bad point"
        );
        let status = RpcStatus {
            code: 3,
            message: "invalid histogram".into(),
        };
        assert_eq!(
            otlp_error_text(&status.encode_to_vec(), &plain),
            "invalid histogram"
        );
        assert_eq!(otlp_error_text(b"", &plain), "no reason given");
    }
}
