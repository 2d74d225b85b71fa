//! An answer as it is read and shown: its body read up to a cap (Dynatrace's answers are a few
//! KB), and the texts a server wrote made safe to show: the token redacted from the whole text
//! (decoded, and before anything is cut), control characters escaped, then cut to a length a
//! report can hold.

use std::io::Read;

use reqwest::{StatusCode, Url};

use crate::printable::printable;
use crate::secret::shown;

/// The most of an answer's body that is read. Dynatrace answers a request of at most 1,000
/// lines with its counts, at most 10 invalid lines and the warnings for lines whose key it
/// changed (which the keys' normalisation here leaves none to do): a few KB. 64 KiB holds that
/// many times over and, with 64 requests in flight, bounds answers to 4 MiB in all.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The most of one server text (a message, a reason) that is shown.
pub const MAX_MESSAGE_CHARS: usize = 500;

/// What a request that reached its server and was not a delivery failure came back with: a
/// success or a 400 (some or all data invalid).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub content_type: Option<String>,
    /// At most [`MAX_ANSWER_BYTES`] of it.
    pub body: Vec<u8>,
    pub received: Received,
}

/// How much of an answer's body arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    Whole,
    /// It broke off, or did not arrive within the timeout, for the reason given.
    BrokeOff(String),
    /// It is longer than [`MAX_ANSWER_BYTES`], which no answer of Dynatrace's is: the rest was
    /// not read.
    TooLong,
}

impl Answer {
    /// A login page or proxy error rather than Dynatrace's answer.
    pub fn is_html(&self) -> bool {
        self.content_type
            .as_deref()
            .is_some_and(|t| t.to_ascii_lowercase().contains("html"))
    }
}

/// Reads at most [`MAX_ANSWER_BYTES`] of `body`, and one byte more to tell that there is more.
pub fn read_capped(body: impl Read) -> (Vec<u8>, Received) {
    let mut bytes = Vec::new();
    match body
        .take(MAX_ANSWER_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
    {
        Ok(_) if bytes.len() > MAX_ANSWER_BYTES => {
            bytes.truncate(MAX_ANSWER_BYTES);
            (bytes, Received::TooLong)
        }
        Ok(_) => (bytes, Received::Whole),
        Err(error) => (bytes, Received::BrokeOff(error_chain(&error))),
    }
}

/// An error and its causes, each once.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
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

/// A text a server wrote, as reports show it: the token redacted over the whole text first (so
/// that no cut can leave a piece of it), control characters escaped, then cut.
pub fn shown_text(text: &str, redact: &dyn Fn(String) -> String) -> String {
    let redacted = redact(text.to_owned());
    let safe = printable(&redacted);
    match safe.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((end, _)) => format!("{}...", &safe[..end]),
        None => safe.into_owned(),
    }
}

/// The `error.message` of a Dynatrace error body, or the body itself with its JSON escapes
/// decoded, as [`shown_text`]; `None` when there is none.
pub fn server_message(body: &[u8], redact: &dyn Fn(String) -> String) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct ErrorEnvelope {
        error: Option<ErrorMessage>,
    }
    #[derive(serde::Deserialize)]
    struct ErrorMessage {
        message: Option<String>,
    }
    let text = String::from_utf8_lossy(body);
    let message = match serde_json::from_str::<ErrorEnvelope>(&text) {
        Ok(envelope) => envelope.error.and_then(|e| e.message).unwrap_or_default(),
        Err(_) => decode_json_escapes(text.trim()),
    };
    let message = message.trim();
    (!message.is_empty()).then(|| shown_text(message, redact))
}

/// `\uXXXX` escapes decoded wherever they are, for a body that may be JSON cut short: an echo of
/// the token written as `\u0064\u0074...` must be redacted as the token it is.
fn decode_json_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("\\u") {
        out.push_str(&rest[..at]);
        let escape = rest.get(at + 2..at + 6);
        match escape
            .and_then(|hex| u32::from_str_radix(hex, 16).ok())
            .and_then(char::from_u32)
        {
            Some(c) => {
                out.push(c);
                rest = &rest[at + 6..];
            }
            None => {
                out.push_str("\\u");
                rest = &rest[at + 2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The failure text for an answer that is a web page rather than Dynatrace's API.
pub fn not_dynatrace(url: &Url, status: StatusCode, variable: &str) -> String {
    let url = shown(url);
    format!(
        "{url} answered {status} with a web page, not as Dynatrace's API (a proxy or login \
         page?): check DT_TENANT or {variable}"
    )
}

/// The failure text for an answer longer than any Dynatrace gives.
pub fn too_long(url: &Url, status: StatusCode) -> String {
    format!(
        "{} answered {status} with more than {} KiB, which no answer of Dynatrace's API is: \
         not Dynatrace's answer (a proxy, or another server?); the rest of it was not read; \
         check DT_TENANT, DT_METRICS_URL and DT_OTLP_URL",
        shown(url),
        MAX_ANSWER_BYTES / 1024
    )
}

/// The failure text of an answer that is not Dynatrace's success or 400; `message` is what the
/// server said, already made safe to show.
pub(super) fn describe_status(
    status: StatusCode,
    message: Option<String>,
    url: &Url,
    attempts: u32,
) -> String {
    let hint = match status.as_u16() {
        401 => "the API token is missing, invalid or expired: check DT_API_TOKEN".to_owned(),
        403 => format!(
            "the API token lacks the scope {}: create one with that scope",
            scope(url)
        ),
        404 => format!(
            "nothing answers at {}: check DT_TENANT (https://{{env-id}}.live.dynatrace.com, or \
             https://{{domain}}/e/{{env-id}} for Managed)",
            shown(url)
        ),
        413 => "the request was too large for Dynatrace".to_owned(),
        415 => {
            "Dynatrace does not take this content type here (OTLP needs binary protobuf)".to_owned()
        }
        429 => {
            format!("Dynatrace is throttling this environment (still after {attempts} attempts)")
        }
        300..=399 => format!(
            "{} redirects elsewhere; set DT_TENANT to the URL it redirects to",
            shown(url)
        ),
        500..=599 => format!(
            "Dynatrace had a server-side problem after {attempts} attempt(s) (503 can mean ingest \
             is paused)"
        ),
        _ => format!("unexpected answer from {}", shown(url)),
    };
    match message {
        Some(message) => format!("Dynatrace answered {status}: {hint}; it said: {message}"),
        None => format!("Dynatrace answered {status}: {hint}"),
    }
}

/// The token scope the API at `url` needs.
fn scope(url: &Url) -> &'static str {
    let path = url.path();
    if path.ends_with(crate::destination::EVENTS_INGEST_PATH) {
        "events.ingest"
    } else if path.ends_with(crate::destination::SDLC_EVENTS_PATH) {
        "openpipeline.events_sdlc"
    } else {
        "metrics.ingest"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: String) -> String {
        text
    }

    #[test]
    fn server_messages() {
        let message = |body: &str| server_message(body.as_bytes(), &plain);
        assert_eq!(
            message(r#"{"error":{"code":401,"message":"Token is missing"}}"#).as_deref(),
            Some("Token is missing")
        );
        assert_eq!(message("  plain text ").as_deref(), Some("plain text"));
        assert_eq!(message(""), None);
        assert_eq!(message(&"x".repeat(900)).unwrap().chars().count(), 503);
        assert_eq!(
            message("{\"error\":{\"message\":\"cut\\u0020sh").as_deref(),
            Some("{\"error\":{\"message\":\"cut sh")
        );
        assert_eq!(
            message("a\u{1b}[2Jb\r\nc").as_deref(),
            Some("a\\u{1b}[2Jb\\r\\nc")
        );
    }

    #[test]
    fn the_token_is_redacted_before_the_text_is_cut() {
        let token = "dt0c01.ABCDEFGHIJKLMNOPQRSTUVWX.0123456789abcdef0123456789abcdef";
        let secret = crate::secret::Secret::new(token.to_owned());
        let redact = |text: String| crate::secret::redact(&text, Some(&secret));
        for pad in 440..=MAX_MESSAGE_CHARS {
            let body = format!("{}Authorization: Api-Token {token}", "x".repeat(pad));
            let shown = server_message(body.as_bytes(), &redact).unwrap();
            assert!(
                !shown.contains("dt0c01.A") && !shown.contains("ABCDEFGH"),
                "{shown}"
            );
            let escaped = body.replace('.', "\\u002e").replace('A', "\\u0041");
            let shown = server_message(escaped.as_bytes(), &redact).unwrap();
            assert!(!shown.contains("BCDEFGHI"), "{shown}");
        }
    }

    #[test]
    fn bodies_are_read_up_to_the_cap() {
        assert_eq!(read_capped(&b"abc"[..]), (b"abc".to_vec(), Received::Whole));
        let exactly = vec![b'x'; MAX_ANSWER_BYTES];
        assert_eq!(read_capped(exactly.as_slice()), (exactly, Received::Whole));
        let (body, received) = read_capped(std::io::repeat(b'x'));
        assert_eq!(
            (body.len(), received),
            (MAX_ANSWER_BYTES, Received::TooLong)
        );
    }
}
