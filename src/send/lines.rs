//! Line protocol to the metrics ingest endpoint: lines packed into requests within the
//! protocol's limits, and Dynatrace's answer kept line by line, mapped back to the run's line
//! numbers and the inputs the lines came from.

use reqwest::Url;
use serde::Deserialize;

use super::http::{not_dynatrace, server_message, Answer, Post, Sender};
use crate::model::{Capped, Origin};

/// Every official client splits here (the OneAgent endpoint's hard limit).
pub const MAX_LINES_PER_REQUEST: usize = 1_000;
/// The documented payload limit is 1 MB.
pub const MAX_BYTES_PER_REQUEST: usize = 1_000_000;

/// Lines for one request: the body as sent, where each line starts in it, and where each came
/// from.
#[derive(Debug, Default)]
pub struct LineBatch {
    /// 0-based position of the first line among all lines of the run.
    pub first: usize,
    body: String,
    starts: Vec<usize>,
    origins: Vec<Origin>,
}

impl LineBatch {
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The `i`-th line (0-based) without its newline, and its origin.
    pub fn line(&self, i: usize) -> Option<(&str, &Origin)> {
        let start = *self.starts.get(i)?;
        let end = self.starts.get(i + 1).copied().unwrap_or(self.body.len()) - 1;
        Some((&self.body[start..end], &self.origins[i]))
    }

    pub fn body(&self) -> &str {
        &self.body
    }
}

/// Packs lines into batches of at most 1,000 lines and 1 MB, in order.
#[derive(Debug, Default)]
pub struct Batcher {
    current: LineBatch,
    lines: usize,
}

impl Batcher {
    /// Adds a line; returns the full batch it did not fit in, if any.
    pub fn push(&mut self, text: &str, origin: Origin) -> Option<LineBatch> {
        let size = text.len() + 1;
        let full = !self.current.is_empty()
            && (self.current.len() == MAX_LINES_PER_REQUEST
                || self.current.body.len() + size > MAX_BYTES_PER_REQUEST);
        let done = full.then(|| {
            std::mem::replace(
                &mut self.current,
                LineBatch {
                    first: self.lines,
                    ..LineBatch::default()
                },
            )
        });
        self.current.starts.push(self.current.body.len());
        self.current.body.push_str(text);
        self.current.body.push('\n');
        self.current.origins.push(origin);
        self.lines += 1;
        done
    }

    /// The last batch, unless empty.
    pub fn finish(self) -> Option<LineBatch> {
        (!self.current.is_empty()).then_some(self.current)
    }
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct LinesDelivery {
    pub requests: usize,
    pub sent: usize,
    pub ok: u64,
    pub invalid: u64,
    /// The lines Dynatrace named as invalid (it lists at most 10 per request).
    pub invalid_lines: Capped<InvalidLine>,
    pub warnings: Capped<ServerWarning>,
    /// Why delivery stopped, if it did; the lines from there on were not sent.
    pub failure: Option<String>,
    pub unsent: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InvalidLine {
    /// 1-based position among all lines of this run, as `--dry-run` prints them.
    pub line: usize,
    pub error: String,
    pub origin: Option<Origin>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServerWarning {
    pub line: Option<usize>,
    pub warning: String,
    pub origin: Option<Origin>,
}

impl LinesDelivery {
    /// Sends `batch`, unless an earlier batch failed for good: then it is counted as unsent.
    pub fn send(&mut self, sender: &Sender, url: &Url, batch: &LineBatch) {
        if self.failure.is_some() {
            self.unsent += batch.len();
            return;
        }
        let post = Post {
            url,
            content_type: "text/plain; charset=utf-8",
            body: batch.body().as_bytes().to_vec(),
            gzip: false,
        };
        match sender.post(post, &mut self.requests) {
            Ok(answer) if answer.is_html() => {
                self.failure = Some(not_dynatrace(url, answer.status, "DT_METRICS_URL"));
                self.unsent += batch.len();
            }
            Ok(answer) => {
                self.sent += batch.len();
                // A server message may echo the request's headers.
                let body = sender.redact(String::from_utf8_lossy(&answer.body).into_owned());
                self.record(&answer, &body, batch);
            }
            Err(failure) => {
                self.failure = Some(failure);
                self.unsent += batch.len();
            }
        }
    }

    fn record(&mut self, answer: &Answer, body: &str, batch: &LineBatch) {
        let response = serde_json::from_str::<ValidationResponse>(body).unwrap_or_default();
        let sent = batch.len() as u64;
        let invalid = match (response.lines_invalid, response.lines_ok) {
            (Some(invalid), _) => invalid,
            (None, Some(ok)) => sent.saturating_sub(ok),
            // A 400 that counts nothing refused the whole request.
            (None, None) if !answer.status.is_success() => sent,
            (None, None) => 0,
        };
        self.invalid += invalid;
        self.ok += response.lines_ok.unwrap_or(sent.saturating_sub(invalid));
        let listed = response.error.as_ref().map_or(0, |e| e.invalid_lines.len());
        if invalid > 0 && listed == 0 {
            let message = server_message(body).unwrap_or_else(|| "no reason given".into());
            self.warnings.push_with(|| ServerWarning {
                line: None,
                warning: format!(
                    "Dynatrace refused {invalid} line(s) without naming them ({}): {message}",
                    answer.status
                ),
                origin: None,
            });
        }
        // Dynatrace numbers the lines of a request from 1.
        let locate = |line: usize| {
            let sent = line.checked_sub(1).and_then(|i| batch.line(i));
            (batch.first + line, sent)
        };
        if let Some(error) = response.error {
            for invalid in error.invalid_lines {
                let (line, sent) = locate(invalid.line);
                self.invalid_lines.push_with(|| InvalidLine {
                    line,
                    error: invalid.error,
                    origin: sent.map(|(_, origin)| origin.clone()),
                    text: sent.map(|(text, _)| text.to_owned()).unwrap_or_default(),
                });
            }
        }
        if let Some(warnings) = response.warnings {
            if warnings.warning_lines.is_empty() {
                if let Some(message) = warnings.message.clone() {
                    self.warnings.push(ServerWarning {
                        line: None,
                        warning: message,
                        origin: None,
                    });
                }
            }
            for warning in warnings.warning_lines {
                let located = warning.line.map(locate);
                self.warnings.push_with(|| ServerWarning {
                    line: located.map(|(line, _)| line),
                    warning: warning
                        .warning
                        .or(warnings.message.clone())
                        .unwrap_or_default(),
                    origin: located.and_then(|(_, sent)| sent.map(|(_, o)| o.clone())),
                });
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Position;
    use reqwest::StatusCode;

    fn batches(texts: &[&str]) -> Vec<LineBatch> {
        let mut batcher = Batcher::default();
        let input = std::sync::Arc::from("in");
        let mut batches: Vec<LineBatch> = texts
            .iter()
            .enumerate()
            .filter_map(|(i, text)| {
                batcher.push(text, Origin::new(&input, Position::Line(i as u64 + 1)))
            })
            .collect();
        batches.extend(batcher.finish());
        batches
    }

    #[test]
    fn batches_split_at_1000_lines_and_1_mb() {
        let sizes = |b: &[LineBatch]| b.iter().map(|b| (b.first, b.len())).collect::<Vec<_>>();
        let many = batches(&["a.b 1"; 2500]);
        assert_eq!(sizes(&many), vec![(0, 1000), (1000, 1000), (2000, 500)]);
        let big_line = "x".repeat(400_000);
        let big = batches(&[&big_line, &big_line, &big_line]);
        assert_eq!(sizes(&big), vec![(0, 2), (2, 1)]);
        assert!(batches(&[]).is_empty());
        let small = batches(&["a 1", "b 2"]);
        assert_eq!(small[0].body(), "a 1\nb 2\n");
        assert_eq!(small[0].line(1).unwrap().0, "b 2");
        assert!(small[0].line(2).is_none());
    }

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            content_type: None,
            body: body.as_bytes().to_vec(),
        }
    }

    fn record(delivery: &mut LinesDelivery, status: u16, body: &str, batch: &LineBatch) {
        delivery.record(&answer(status, body), body, batch);
    }

    #[test]
    fn partial_answer_maps_lines_back_to_inputs() {
        let mut batcher = Batcher::default();
        let input = std::sync::Arc::from("in");
        for i in 0..1002u64 {
            batcher.push(
                &format!("m{i} 1"),
                Origin::new(&input, Position::Line(i + 1)),
            );
        }
        // The second request of a run, holding lines 1001 and 1002.
        let second = batcher.finish().unwrap();
        let mut delivery = LinesDelivery::default();
        record(
            &mut delivery,
            400,
            r#"{"linesOk":1,"linesInvalid":1,"error":{"code":400,"message":"1 invalid lines",
               "invalidLines":[{"line":2,"error":"bad value"}]},
               "warnings":{"message":"w","warningLines":[{"line":1,"warning":"key changed"}]}}"#,
            &second,
        );
        assert_eq!((delivery.ok, delivery.invalid), (1, 1));
        let invalid = &delivery.invalid_lines.items[0];
        assert_eq!(
            (invalid.line, invalid.error.as_str(), invalid.text.as_str()),
            (1002, "bad value", "m1001 1")
        );
        assert_eq!(invalid.origin.as_ref().unwrap().to_string(), "in:1002");
        assert_eq!(delivery.warnings.items[0].line, Some(1001));
        assert_eq!(
            delivery.warnings.items[0]
                .origin
                .as_ref()
                .unwrap()
                .to_string(),
            "in:1001"
        );
    }

    #[test]
    fn other_spellings() {
        let sent = batches(&["a 1", "b 2"]).remove(0);
        let mut delivery = LinesDelivery::default();
        record(
            &mut delivery,
            202,
            r#"{"linesValid":2,"linesInvalid":0,"error":null,
               "warnings":{"changedMetricKeys":[{"line":2,"message":"b changed to b.gauge"}]}}"#,
            &sent,
        );
        assert_eq!((delivery.ok, delivery.invalid), (2, 0));
        assert_eq!(delivery.warnings.items[0].warning, "b changed to b.gauge");
        let mut empty_body = LinesDelivery::default();
        record(&mut empty_body, 202, "", &sent);
        assert_eq!(empty_body.ok, 2);
        let mut unnamed = LinesDelivery::default();
        record(&mut unnamed, 400, r#"{"error":{"message":"bad"}}"#, &sent);
        assert_eq!(unnamed.invalid, 2);
        assert!(unnamed.warnings.items[0]
            .warning
            .contains("without naming them"));
    }
}
