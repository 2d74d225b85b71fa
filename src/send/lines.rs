//! Dynatrace's answers to line protocol, kept line by line and mapped back to the run's line
//! numbers and the inputs the lines came from.

use reqwest::Url;

use super::answer::{not_dynatrace, server_message, shown_text, too_long, Answer, Received};
use super::batch::LineBatch;
use super::http::{Failure, FailureKind, Posted};
use super::validation::{compact, named_line, ValidationResponse};
use crate::model::{Capped, Origin};

#[derive(Debug, Default, Clone, PartialEq)]
pub struct LinesDelivery {
    pub requests: usize,
    pub sent: usize,
    pub ok: u64,
    pub invalid: u64,
    /// The lines Dynatrace named as invalid (it lists at most 10 per request).
    pub invalid_lines: Capped<InvalidLine>,
    pub warnings: Capped<ServerWarning>,
    /// Why the first request that failed did; its lines, and those never tried, are unsent.
    pub failure: Option<String>,
    pub failed_requests: usize,
    pub unsent: usize,
    /// Lines sent that Dynatrace's answer did not account for, or whose answer never came (a
    /// timeout, a connection lost after the request went out, a run stopped while they were in
    /// flight). Never sent again by this tool: Dynatrace may have them.
    pub unconfirmed: usize,
    /// Metadata lines sent that Dynatrace left out of its counts (it may or may not count them).
    pub metadata_uncounted: usize,
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
    /// Counts a batch that was not sent: an earlier failure stopped delivery, or the run.
    pub fn unsent(&mut self, batch: &LineBatch) {
        self.unsent += batch.len();
    }

    /// Records how posting `batch` to `url` went; returns the failure's kind, if it failed.
    /// `redact` takes the token out of a text.
    pub fn record(
        &mut self,
        batch: &LineBatch,
        posted: Posted,
        url: &Url,
        redact: impl Fn(String) -> String,
    ) -> Option<FailureKind> {
        self.requests += posted.attempts;
        let failure = match posted.answer {
            Ok(answer) if answer.is_html() => Failure {
                text: not_dynatrace(url, answer.status, "DT_METRICS_URL"),
                kind: FailureKind::Fatal,
            },
            Ok(answer) if answer.received == Received::TooLong => {
                // The lines went out and something answered: whether Dynatrace took them is
                // not known.
                self.sent += batch.len();
                self.unconfirmed += batch.len();
                self.failed_requests += 1;
                if self.failure.is_none() {
                    self.failure = Some(too_long(url, answer.status));
                }
                return Some(FailureKind::Fatal);
            }
            Ok(answer) => {
                self.sent += batch.len();
                self.answered(&answer, batch, &redact);
                return None;
            }
            Err(failure) if failure.kind == FailureKind::Unanswered => {
                self.sent += batch.len();
                self.unconfirmed += batch.len();
                self.failed_requests += 1;
                if self.failure.is_none() {
                    self.failure = Some(format!(
                        "{}; its {} line(s) are unconfirmed: Dynatrace may have taken them",
                        failure.text,
                        batch.len()
                    ));
                }
                return Some(failure.kind);
            }
            Err(failure) => failure,
        };
        self.unsent += batch.len();
        self.failed_requests += 1;
        if self.failure.is_none() {
            self.failure = Some(failure.text);
        }
        Some(failure.kind)
    }

    fn warn(&mut self, line: Option<(usize, Option<&Origin>)>, warning: impl FnOnce() -> String) {
        self.warnings.push_with(|| ServerWarning {
            line: line.map(|(line, _)| line),
            warning: warning(),
            origin: line.and_then(|(_, origin)| origin.cloned()),
        });
    }

    /// Takes in an answer: its counts, checked against the lines sent, and the lines it names,
    /// each entry on its own. Every text in it is shown redacted, escaped and cut.
    fn answered(&mut self, answer: &Answer, batch: &LineBatch, redact: &dyn Fn(String) -> String) {
        let status = answer.status;
        let shown = |text: &str| shown_text(text, redact);
        if let Received::BrokeOff(why) = &answer.received {
            self.warn(None, || {
                format!(
                    "Dynatrace's answer ({status}) did not arrive whole: {}",
                    shown(why)
                )
            });
        }
        let response = ValidationResponse::parse(&answer.body);
        for oddity in &response.oddities {
            self.warn(None, || {
                format!(
                    "Dynatrace's answer ({status}) is not as Dynatrace writes it: {}",
                    shown(oddity)
                )
            });
        }
        let (ok, invalid) = self.count(answer, &response, batch);
        self.ok += ok;
        self.invalid += invalid;
        if invalid > 0 && response.invalid_lines.is_empty() {
            let message =
                server_message(&answer.body, redact).unwrap_or_else(|| "no reason given".into());
            self.warn(None, || {
                format!(
                    "Dynatrace refused {invalid} line(s) without naming them ({status}): {message}"
                )
            });
        }
        // Dynatrace numbers the lines of a request from 1.
        let sent = |line: usize| batch.line(line - 1);
        for entry in &response.invalid_lines {
            let named = named_line(entry, batch.len(), &["error"]);
            let located = named
                .line
                .and_then(|line| sent(line).map(|(text, origin)| (line, text, origin)));
            let Some((line, text, origin)) = located else {
                self.warn(None, || {
                    format!(
                        "Dynatrace named an invalid line that is not one of the {} it was sent; \
                         its entry was not listed: {}",
                        batch.len(),
                        shown(&compact(entry))
                    )
                });
                continue;
            };
            self.invalid_lines.push_with(|| InvalidLine {
                line: batch.first + line,
                error: shown(named.text.as_deref().unwrap_or("no reason given")),
                origin: Some(origin),
                text: text.to_owned(),
            });
        }
        let message = response.warnings_message.as_deref();
        if response.warning_lines.is_empty() {
            if let Some(message) = message {
                self.warn(None, || shown(message));
            }
        }
        for entry in &response.warning_lines {
            let named = named_line(entry, batch.len(), &["warning", "message"]);
            let odd_line = entry.get("line").is_some_and(|l| !l.is_null()) && named.line.is_none();
            let text = match (odd_line, named.text.as_deref().or(message)) {
                (false, Some(text)) => shown(text),
                (true, _) => format!(
                    "Dynatrace sent a warning for a line it was not sent: {}",
                    shown(&compact(entry))
                ),
                (false, None) => format!(
                    "Dynatrace sent a warning without a text: {}",
                    shown(&compact(entry))
                ),
            };
            let located = named.line.map(|line| {
                let origin = sent(line).map(|(_, origin)| origin);
                (batch.first + line, origin)
            });
            let located = located
                .as_ref()
                .map(|(line, origin)| (*line, origin.as_ref()));
            self.warn(located, || text);
        }
    }
}

impl LinesDelivery {
    /// The lines Dynatrace accepted and refused, as its answer counts them, checked against the
    /// lines sent: what the answer does not account for is unconfirmed, with a warning. Metadata
    /// lines may or may not be counted (either adds up).
    fn count(
        &mut self,
        answer: &Answer,
        response: &ValidationResponse,
        batch: &LineBatch,
    ) -> (u64, u64) {
        let sent = batch.len() as u64;
        let data_lines = sent - batch.metadata_lines() as u64;
        let (lines_ok, lines_invalid) = match response.counts_readable {
            true => (response.lines_ok, response.lines_invalid),
            false => (None, None),
        };
        let counted = lines_ok.is_some() || lines_invalid.is_some();
        let (ok, invalid) = match (lines_ok, lines_invalid) {
            (ok, Some(invalid)) => (ok.unwrap_or(sent.saturating_sub(invalid)), invalid),
            (Some(ok), None) if !answer.status.is_success() => (ok, sent.saturating_sub(ok)),
            (Some(ok), None) => (ok, 0),
            // A 400 that counts nothing refused the whole request.
            (None, None) if !answer.status.is_success() && answer.received == Received::Whole => {
                return (0, sent)
            }
            (None, None) => (0, 0),
        };
        let accounted = ok.saturating_add(invalid);
        if accounted == sent {
            return (ok, invalid);
        }
        if accounted == data_lines {
            self.metadata_uncounted += batch.metadata_lines();
            return (ok, invalid);
        }
        let status = answer.status;
        if accounted > sent {
            let invalid = invalid.min(sent);
            let ok = ok.min(sent - invalid);
            self.warn(None, || {
                format!(
                    "Dynatrace's answer ({status}) counts {accounted} line(s) for a request of \
                     {sent}; taken as {ok} accepted and {invalid} invalid"
                )
            });
            return (ok, invalid);
        }
        let unconfirmed = sent - accounted;
        self.unconfirmed += unconfirmed as usize;
        self.warn(None, || {
            if counted {
                format!(
                    "Dynatrace's answer ({status}) accounts for {accounted} of the {sent} \
                     line(s) sent ({ok} accepted, {invalid} invalid): {unconfirmed} line(s) are \
                     unconfirmed"
                )
            } else {
                format!(
                    "Dynatrace answered {status} without counting the lines (not its \
                     ValidationResponse): {unconfirmed} line(s) are unconfirmed"
                )
            }
        });
        (ok, invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Position;
    use crate::send::batch::{batches, Batcher};
    use reqwest::StatusCode;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            content_type: None,
            body: body.as_bytes().to_vec(),
            received: Received::Whole,
        }
    }

    fn record(delivery: &mut LinesDelivery, status: u16, body: &str, batch: &LineBatch) {
        delivery.answered(&answer(status, body), batch, &|text| text);
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
    fn answers_that_do_not_add_up_leave_lines_unconfirmed() {
        let thirty: Vec<String> = (0..30).map(|i| format!("m{i} 1")).collect();
        let thirty: Vec<&str> = thirty.iter().map(String::as_str).collect();
        let sent = batches(&thirty).remove(0);
        let mut short = LinesDelivery::default();
        record(&mut short, 202, r#"{"linesOk":10,"linesInvalid":0}"#, &sent);
        assert_eq!((short.ok, short.invalid, short.unconfirmed), (10, 0, 20));
        assert!(short.warnings.items[0]
            .warning
            .contains("20 line(s) are unconfirmed"));
        let mut over = LinesDelivery::default();
        record(&mut over, 400, r#"{"linesOk":0,"linesInvalid":500}"#, &sent);
        assert_eq!((over.ok, over.invalid, over.unconfirmed), (0, 30, 0));
        assert!(over.warnings.items[0]
            .warning
            .contains("counts 500 line(s)"));
        let mut text = LinesDelivery::default();
        record(&mut text, 200, "OK", &sent);
        assert_eq!((text.ok, text.unconfirmed), (0, 30));
    }

    #[test]
    fn metadata_lines_may_or_may_not_be_counted() {
        let sent = batches(&["#a.b gauge dt.meta.unit=Byte", "a.b 1", "c.d 2"]).remove(0);
        for body in [
            r#"{"linesOk":3,"linesInvalid":0}"#,
            r#"{"linesOk":2,"linesInvalid":0}"#,
        ] {
            let mut delivery = LinesDelivery::default();
            record(&mut delivery, 202, body, &sent);
            assert_eq!(delivery.unconfirmed, 0, "{body}");
            assert!(delivery.warnings.items.is_empty(), "{body}");
        }
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
        assert_eq!((empty_body.ok, empty_body.unconfirmed), (0, 2));
        let mut unnamed = LinesDelivery::default();
        record(&mut unnamed, 400, r#"{"error":{"message":"bad"}}"#, &sent);
        assert_eq!(unnamed.invalid, 2);
        assert!(unnamed.warnings.items[0]
            .warning
            .contains("without naming them"));
    }
}
