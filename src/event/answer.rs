//! Dynatrace's answers to an event, judged. Events API v2: `201` with `reportCount` above 0 and
//! every `eventIngestResults[].status` `OK` created the event; a 201 with `reportCount` 0 (no
//! entity matched) or a result not `OK` created none. OpenPipeline SDLC: `202`. Anything else
//! is refused, with its status and the server's text (redacted, escaped, cut, as every server
//! text); no answer at all is unanswered.

use reqwest::{StatusCode, Url};
use serde::Deserialize;

use crate::report::EventOutcome;
use crate::send::answer::{not_dynatrace, server_message, shown_text, too_long, Received};
use crate::send::http::Posted as SenderPosted;

/// A POST as the sender made it, with what is needed to judge its answer.
pub struct Posted<'a> {
    pub posted: SenderPosted,
    /// The status of the last answer, if one came.
    pub status: Option<StatusCode>,
    pub url: &'a Url,
    pub redact: &'a dyn Fn(String) -> String,
}

/// An event's outcome, with the status and what to say of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judged {
    pub outcome: EventOutcome,
    pub status: Option<u16>,
    pub message: Option<String>,
}

impl Judged {
    fn refused(status: StatusCode, message: String) -> Judged {
        Judged {
            outcome: EventOutcome::Refused,
            status: Some(status.as_u16()),
            message: Some(message),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IngestResults {
    report_count: Option<u64>,
    #[serde(default)]
    event_ingest_results: Vec<IngestResult>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IngestResult {
    correlation_id: Option<String>,
    status: Option<String>,
}

/// The Events API v2's answer.
pub fn v2(posted: Posted) -> Judged {
    judge(posted, StatusCode::CREATED, |body, redact| {
        let Ok(results) = serde_json::from_slice::<IngestResults>(body) else {
            let said = server_message(body, redact).unwrap_or_else(|| "nothing".to_owned());
            return Err(format!(
                "the answer is not the Events API's (reportCount, eventIngestResults): it \
                 said: {said}"
            ));
        };
        let count = results.report_count.unwrap_or(0);
        if count == 0 {
            return Err(
                "Dynatrace created no event (reportCount 0): no entity matched the entity \
                 selector (only entities seen in the last 24 hours match)"
                    .to_owned(),
            );
        }
        let not_ok: Vec<String> = results
            .event_ingest_results
            .iter()
            .filter(|r| r.status.as_deref() != Some("OK"))
            .map(|r| shown_text(r.status.as_deref().unwrap_or("no status"), redact))
            .collect();
        if !not_ok.is_empty() {
            return Err(format!(
                "Dynatrace created no event: its results say {}",
                not_ok.join(", ")
            ));
        }
        let ids: Vec<String> = results
            .event_ingest_results
            .iter()
            .filter_map(|r| r.correlation_id.as_deref())
            .map(|id| shown_text(id, redact))
            .collect();
        Ok(match ids.as_slice() {
            [] => format!("{count} event(s) created"),
            ids => format!(
                "{count} event(s) created, correlation ID {}",
                ids.join(", ")
            ),
        })
    })
}

/// OpenPipeline's answer to an SDLC event: 202, no body.
pub fn sdlc(posted: Posted) -> Judged {
    judge(posted, StatusCode::ACCEPTED, |_, _| {
        Ok("accepted by OpenPipeline".to_owned())
    })
}

type Redact<'a> = &'a dyn Fn(String) -> String;

/// Judges an answer: `expected` with a body `read` accepts is accepted.
fn judge(
    posted: Posted,
    expected: StatusCode,
    read: impl Fn(&[u8], Redact) -> Result<String, String>,
) -> Judged {
    let Posted {
        posted,
        status,
        url,
        redact,
    } = posted;
    let answer = match posted.answer {
        Ok(answer) => answer,
        Err(failure) => {
            return Judged {
                outcome: match status {
                    Some(_) => EventOutcome::Refused,
                    None => EventOutcome::Unanswered,
                },
                status: status.map(|s| s.as_u16()),
                message: Some(failure.text),
            }
        }
    };
    let status = answer.status;
    match &answer.received {
        Received::Whole => {}
        Received::TooLong => return Judged::refused(status, too_long(url, status)),
        Received::BrokeOff(why) => {
            return Judged {
                outcome: EventOutcome::Unanswered,
                status: Some(status.as_u16()),
                message: Some(format!(
                    "Dynatrace answered {status}, and its answer broke off: {}",
                    shown_text(why, redact)
                )),
            }
        }
    }
    if answer.is_html() {
        return Judged::refused(status, not_dynatrace(url, status, "--tenant"));
    }
    if status != expected {
        let said = server_message(&answer.body, redact)
            .map(|m| format!("; it said: {m}"))
            .unwrap_or_default();
        return Judged::refused(
            status,
            format!("Dynatrace answered {status}, not {expected}{said}"),
        );
    }
    match read(&answer.body, redact) {
        Ok(message) => Judged {
            outcome: EventOutcome::Accepted,
            status: Some(status.as_u16()),
            message: Some(message),
        },
        Err(message) => Judged::refused(status, message),
    }
}
