//! Checks of a JSON document before anything of it is sent: that it starts as one (and not as a
//! load test's results, which `--results` reads), and, for a file, that the whole text is
//! well-formed, so that a typo in the middle stops the run before the first request instead of
//! after the entries before it were sent (and would be sent again once it is fixed).

use std::io::{BufRead, Read};

use anyhow::bail;
use serde::de::IgnoredAny;

use super::stream::{JsonStream, StreamError};

/// Checks that `reader` starts as a JSON list or object (after whitespace and a byte order
/// mark), without consuming anything: a file that is not JSON at all, or that is a load test's
/// results, is a usage error.
pub fn check_start(name: &str, reader: &mut impl BufRead) -> anyhow::Result<()> {
    let start = reader.fill_buf()?;
    let text = start.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(start);
    if let Some(results) = results_format(text) {
        bail!(
            "{name} is {results}, a load test's results: give it to --results, which reads them \
             (--input takes metrics as JSON: a list of metrics or {{\"metrics\": [...]}})"
        );
    }
    let mut tokens = text.iter().filter(|b| !b.is_ascii_whitespace());
    let plausible = matches!(
        (tokens.next(), tokens.next()),
        (Some(b'{'), Some(b'"' | b'}') | None)
            | (
                Some(b'['),
                Some(b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n' | b']') | None
            )
    );
    if !plausible {
        bail!("{name} is not valid JSON (expected a list of metrics or {{\"metrics\": [...]}})");
    }
    Ok(())
}

/// Which load-testing tool's results `text` (the start of an input) is, if it is one: k6's
/// summary starts with `root_group` or a `metrics` object, its JSON output is one `{"type": "Metric"|"Point", ...}`
/// per line, a JMeter JTL and Locust's stats are CSV with their own header rows.
fn results_format(text: &[u8]) -> Option<&'static str> {
    let text = &text[text.iter().position(|b| !b.is_ascii_whitespace())?..];
    let first_line = text.split(|&b| b == b'\n').next().unwrap_or_default();
    if text.starts_with(b"{") {
        let after_brace = text[1..].iter().position(|b| !b.is_ascii_whitespace())?;
        let inner = &text[1 + after_brace..];
        // `{"metrics": {` (an object: --input's is a list) or `{"root_group"`, as k6 writes
        // them in either order.
        let metrics_object = inner.strip_prefix(b"\"metrics\"").is_some_and(|rest| {
            let mut rest = rest.iter().filter(|b| !b.is_ascii_whitespace());
            rest.next() == Some(&b':') && rest.next() == Some(&b'{')
        });
        if metrics_object || inner.starts_with(b"\"root_group\"") {
            return Some("k6's end-of-test summary");
        }
        #[derive(serde::Deserialize)]
        struct K6Line<'a> {
            #[serde(rename = "type", borrow)]
            kind: std::borrow::Cow<'a, str>,
            #[allow(dead_code, reason = "only its presence is checked")]
            metric: IgnoredAny,
        }
        let line = serde_json::from_slice::<K6Line>(first_line.trim_ascii_end());
        return line
            .is_ok_and(|line| matches!(&*line.kind, "Metric" | "Point"))
            .then_some("k6's JSON output (--out json)");
    }
    let header = String::from_utf8_lossy(first_line).to_ascii_lowercase();
    let columns: Vec<&str> = header.split([',', '\t', ';', '|']).map(str::trim).collect();
    let has = |column: &str| columns.contains(&column);
    if has("elapsed") && has("label") {
        return Some("a JMeter JTL");
    }
    if has("name") && (has("request count") || has("# requests")) {
        return Some("Locust's stats CSV");
    }
    if has("metric_name") && has("metric_value") {
        return Some("k6's CSV output (--out csv)");
    }
    None
}

/// [`check_whole`] of a file, a large list of entries checked in two halves at once (see
/// [`halves`](super::halves)), anything else, or anything the halves do not pass, in one go.
pub fn check_file(name: &str, file: std::fs::File) -> anyhow::Result<()> {
    if super::halves::well_formed_in_halves(&file) {
        return Ok(());
    }
    check_whole(name, file)
}

/// Reads the whole of a document's file once and says where it is not well-formed JSON (UTF-8
/// included): a usage error, before anything is sent. The pass finds each entry's extent as the
/// reader does, building nothing; a number out of range (`1e309`) is well-formed, and refused
/// with its entry when the document is read.
pub fn check_whole(name: &str, file: impl Read) -> anyhow::Result<()> {
    let mut stream = JsonStream::new(file);
    let checked = walk(&mut stream, Level::Document).and_then(|()| match stream.peek()? {
        None => Ok(()),
        Some(_) => Err(unexpected(
            &stream,
            "the end of the text after the document",
        )),
    });
    match checked {
        Ok(()) => Ok(()),
        Err(StreamError::Syntax {
            line,
            column,
            mut message,
        }) => {
            if message == "invalid unicode code point" {
                message.push_str(" (the text is not UTF-8, which JSON must be)");
            }
            bail!(
                "{name} is not well-formed JSON at line {line} column {column}: {message}; \
                 nothing was sent (a file is checked whole before the first request): fix it \
                 and run again"
            )
        }
        Err(error) => bail!("{name}: {error}; nothing was sent"),
    }
}

/// Where a value lies in the document: the document itself, a field of the object form (its
/// `metrics` list may be any size), or an entry, which is taken at once.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Level {
    Document,
    Field,
    Entry,
}

/// Steps over one value: a list or object above the entries element by element, an entry (or
/// any other value) at once, as the reader takes it (at most its 16 MiB).
pub(super) fn walk<R: Read>(stream: &mut JsonStream<R>, level: Level) -> Result<(), StreamError> {
    let (close, inner) = match (stream.peek()?, level) {
        (Some(b'['), Level::Document | Level::Field) => (b']', Level::Entry),
        (Some(b'{'), Level::Document) => (b'}', Level::Field),
        (Some(b'{'), Level::Field) => (b'}', Level::Entry),
        _ => return stream.skip_value(),
    };
    stream.bump();
    let mut first = true;
    loop {
        match stream.peek()? {
            Some(byte) if byte == close => {
                stream.bump();
                return Ok(());
            }
            Some(b',') if !first => stream.bump(),
            _ if first => {}
            _ => return Err(unexpected(stream, "`,` or the end of the list or object")),
        }
        first = false;
        if close == b'}' {
            if stream.peek()? != Some(b'"') {
                return Err(unexpected(stream, "a field name in quotes"));
            }
            stream.value(|_| ())?;
            if stream.peek()? != Some(b':') {
                return Err(unexpected(stream, "`:` after a field name"));
            }
            stream.bump();
        } else {
            // Most of a file: its entries, many at a time.
            stream.skip_items()?;
        }
        walk(stream, inner)?;
    }
}

fn unexpected<R: Read>(stream: &JsonStream<R>, expected: &str) -> StreamError {
    let (line, column) = stream.position();
    StreamError::Syntax {
        line,
        column,
        message: format!("expected {expected}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::json::trickle::Trickle;

    fn checked(text: &[u8], trickle: usize) -> Result<(), String> {
        check_whole("m.json", Trickle(text, trickle)).map_err(|e| e.to_string())
    }

    #[test]
    fn well_formed_documents_pass_however_they_are_read() {
        let text = "\u{feff}[{\"name\": \"Grüße 東京 😀\", \"value\": 1e309}, {\"v\": -0.5}]\n";
        for trickle in [1, 2, 3, 5, 1000] {
            assert_eq!(checked(text.as_bytes(), trickle), Ok(()), "{trickle}");
        }
    }

    #[test]
    fn syntax_errors_and_bytes_that_are_not_utf8_say_where() {
        for trickle in [1, 2, 7, 1000] {
            let error = checked(b"[\n  {\"a\": 1},\n  {\"b\": ]\n]", trickle).unwrap_err();
            assert!(
                error.starts_with(
                    "m.json is not well-formed JSON at line 3 column 9: expected value"
                ),
                "{trickle}: {error}"
            );
            let error = checked(b"{\"metrics\": [{\"a\": 1} {\"b\": 2}]}", trickle).unwrap_err();
            assert!(
                error.contains("line 1 column 23: expected `,` or the end"),
                "{error}"
            );
            let error = checked(b"[1] [2]", trickle).unwrap_err();
            assert!(
                error.contains("column 5: expected the end of the text"),
                "{error}"
            );
            let error = checked(b"[1, ", trickle).unwrap_err();
            assert!(error.contains("EOF while parsing"), "{error}");
            let error = checked(b"[\"ab\xC3\x28\"]", trickle).unwrap_err();
            assert!(
                error
                    .contains("line 1 column 5: invalid unicode code point (the text is not UTF-8"),
                "{error}"
            );
        }
    }

    #[test]
    fn a_load_tests_results_are_sent_to_results() {
        let error = |text: &str| {
            check_start("r", &mut text.as_bytes())
                .unwrap_err()
                .to_string()
        };
        assert!(error("{\"root_group\": {}, \"metrics\": {}}").contains("k6's end-of-test summary"));
        assert!(error("\n{\n    \"root_group\": {").contains("give it to --results"));
        let k6_line = r#"{"type":"Metric","data":{"name":"http_reqs"},"metric":"http_reqs"}"#;
        assert!(error(&format!("{k6_line}\n{k6_line}\n")).contains("k6's JSON output"));
        assert!(error("timeStamp,elapsed,label,responseCode\n").contains("a JMeter JTL"));
        assert!(error("Type,Name,Request Count,Failure Count\n").contains("Locust's stats CSV"));
        assert!(check_start("m", &mut &b"{\"metrics\": []}"[..]).is_ok());
    }
}
