//! OTLP requests to the OTLP metrics endpoint: checked to be DELTA before they leave, gzipped
//! unless asked not to, and Dynatrace's partial-success answer kept.

use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use prost::Message;
use reqwest::{StatusCode, Url};

use super::http::{not_dynatrace, server_message, Post, Sender};
use crate::otlp::{data_points, ensure_delta};

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

impl OtlpDelivery {
    /// Sends `request`, unless an earlier one failed for good: then its points are unsent.
    pub fn send(
        &mut self,
        sender: &Sender,
        url: &Url,
        gzip: bool,
        request: &ExportMetricsServiceRequest,
    ) {
        let points = data_points(request);
        if self.failure.is_some() {
            self.unsent_points += points;
            return;
        }
        if let Err(failure) = ensure_delta(request) {
            self.failure = Some(failure);
            self.unsent_points += points;
            return;
        }
        let post = Post {
            url,
            content_type: "application/x-protobuf",
            body: request.encode_to_vec(),
            gzip,
        };
        match sender.post(post, &mut self.requests) {
            Ok(answer) if answer.status == StatusCode::BAD_REQUEST => {
                self.points_sent += points;
                self.rejected += points as u64;
                let message = otlp_error_text(&answer.body);
                self.messages.push(sender.redact(format!(
                    "Dynatrace refused all {points} data point(s) of a request (400 Bad Request): \
                     {message}"
                )));
            }
            Ok(answer) => {
                let decoded = ExportMetricsServiceResponse::decode(answer.body.as_slice());
                let Some(response) = decoded.ok().filter(|_| !answer.is_html()) else {
                    self.failure = Some(not_dynatrace(url, answer.status, "DT_OTLP_URL"));
                    self.unsent_points += points;
                    return;
                };
                self.points_sent += points;
                if let Some(partial) = response.partial_success {
                    self.rejected += partial.rejected_data_points.max(0) as u64;
                    if !partial.error_message.is_empty() {
                        self.messages.push(sender.redact(partial.error_message));
                    }
                }
            }
            Err(failure) => {
                self.failure = Some(failure);
                self.unsent_points += points;
            }
        }
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
