//! What the OTLP metrics endpoint answered: Dynatrace's partial-success answer kept, a 400 as
//! every point rejected, anything else that is not an OTLP answer a delivery failure.

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceResponse;
use prost::Message;
use reqwest::{StatusCode, Url};

use super::http::{not_dynatrace, server_message, Failure, FailureKind, Posted};

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
    /// failure's kind, if it failed.
    pub fn record(
        &mut self,
        points: usize,
        posted: Posted,
        url: &Url,
        redact: impl Fn(String) -> String,
    ) -> Option<FailureKind> {
        self.requests += posted.attempts;
        let failure = match posted.answer {
            Ok(answer) if answer.status == StatusCode::BAD_REQUEST => {
                self.points_sent += points;
                self.rejected += points as u64;
                let message = otlp_error_text(&answer.body);
                self.messages.push(redact(format!(
                    "Dynatrace refused all {points} data point(s) of a request (400 Bad Request): \
                     {message}"
                )));
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
                                self.messages.push(redact(partial.error_message));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_reasons_in_any_of_the_three_forms() {
        assert_eq!(
            otlp_error_text(br#"{"error":{"message":"bad point"}}"#),
            "bad point"
        );
        let status = RpcStatus {
            code: 3,
            message: "invalid histogram".into(),
        };
        assert_eq!(
            otlp_error_text(&status.encode_to_vec()),
            "invalid histogram"
        );
        assert_eq!(otlp_error_text(b""), "no reason given");
    }
}
