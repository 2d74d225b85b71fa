//! Dynatrace's ValidationResponse, read leniently and entry by entry: one field or entry that is
//! not as Dynatrace writes it (a line of -1, a count that is a string) is flagged on its own and
//! never throws away the rest of the answer, the counts above all. Every text in it is decoded
//! JSON, so a token echoed with escapes (`\u002e`) is redacted like any other.

use serde_json::Value;

/// The answer's fields, each as far as it could be read.
#[derive(Debug, Default)]
pub struct ValidationResponse {
    pub lines_ok: Option<u64>,
    pub lines_invalid: Option<u64>,
    /// False when a count is there but is not one (`"linesOk": "12"`, `-1`): then the answer
    /// counts nothing that can be trusted.
    pub counts_readable: bool,
    /// Whether the answer has an `error` object (a 400 that names no line still has one).
    pub has_error: bool,
    /// `error.invalidLines`, each entry as sent.
    pub invalid_lines: Vec<Value>,
    /// `warnings.message`.
    pub warnings_message: Option<String>,
    /// `warnings.warningLines` (or `changedMetricKeys`), each entry as sent.
    pub warning_lines: Vec<Value>,
    /// What in the answer is not as Dynatrace writes it, said in words.
    pub oddities: Vec<String>,
}

/// One named line, as far as it could be read.
#[derive(Debug, PartialEq)]
pub struct NamedLine {
    /// 1-based within the request; `None` when the entry has no line number that fits it.
    pub line: Option<usize>,
    pub text: Option<String>,
}

impl ValidationResponse {
    /// Reads `body`; a body that is not a JSON object leaves every field empty.
    pub fn parse(body: &[u8]) -> ValidationResponse {
        let Ok(Value::Object(answer)) = serde_json::from_slice::<Value>(body) else {
            return ValidationResponse::default();
        };
        let mut response = ValidationResponse {
            counts_readable: true,
            ..ValidationResponse::default()
        };
        let count = |names: &[&str], oddities: &mut Vec<String>| {
            let (name, value) = names
                .iter()
                .find_map(|name| answer.get(*name).map(|v| (*name, v)))?;
            match value {
                Value::Null => None,
                value => match value.as_u64() {
                    Some(count) => Some(count),
                    None => {
                        oddities.push(format!("`{name}` is {}, not a count", compact(value)));
                        None
                    }
                },
            }
        };
        response.lines_ok = count(&["linesOk", "linesValid"], &mut response.oddities);
        response.lines_invalid = count(&["linesInvalid"], &mut response.oddities);
        response.counts_readable = response.oddities.is_empty();
        if let Some(error) = answer.get("error").filter(|e| !e.is_null()) {
            response.has_error = true;
            response.invalid_lines = list(error.get("invalidLines"), "error.invalidLines")
                .unwrap_or_else(|oddity| {
                    response.oddities.push(oddity);
                    Vec::new()
                });
        }
        if let Some(warnings) = answer.get("warnings").filter(|w| !w.is_null()) {
            response.warnings_message = warnings
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let lines = warnings
                .get("warningLines")
                .or_else(|| warnings.get("changedMetricKeys"));
            response.warning_lines =
                list(lines, "warnings.warningLines").unwrap_or_else(|oddity| {
                    response.oddities.push(oddity);
                    Vec::new()
                });
        }
        response
    }
}

/// A list field: absent or null is empty, anything else but a list an oddity.
fn list(value: Option<&Value>, name: &str) -> Result<Vec<Value>, String> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(entries)) => Ok(entries.clone()),
        Some(other) => Err(format!("`{name}` is {}, not a list", compact(other))),
    }
}

/// An entry naming a line of a request of `lines` lines, with its text in `text_fields` (the
/// first that is a string).
pub fn named_line(entry: &Value, lines: usize, text_fields: &[&str]) -> NamedLine {
    let line = entry
        .get("line")
        .and_then(Value::as_u64)
        .and_then(|line| usize::try_from(line).ok())
        .filter(|line| (1..=lines).contains(line));
    let text = text_fields
        .iter()
        .find_map(|field| entry.get(*field).and_then(Value::as_str))
        .map(str::to_owned);
    NamedLine { line, text }
}

/// A JSON value as one line of text, for saying what the server sent.
pub fn compact(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_odd_entry_leaves_the_counts_and_the_other_entries() {
        let body = br#"{"linesOk":9990,"linesInvalid":10,"error":{"code":400,
            "invalidLines":[{"line":-1,"error":"a"},{"line":"2","error":"b"},{"error":"c"},
                            {"line":3,"error":"d"},"text"]}}"#;
        let response = ValidationResponse::parse(body);
        assert_eq!(
            (response.lines_ok, response.lines_invalid),
            (Some(9990), Some(10))
        );
        assert_eq!(response.invalid_lines.len(), 5);
        let named: Vec<NamedLine> = response
            .invalid_lines
            .iter()
            .map(|entry| named_line(entry, 1000, &["error"]))
            .collect();
        assert_eq!(named[3].line, Some(3));
        assert!(named
            .iter()
            .enumerate()
            .all(|(i, n)| i == 3 || n.line.is_none()));
        assert_eq!(named[0].text.as_deref(), Some("a"));
        assert_eq!(named[4].text, None);
    }

    #[test]
    fn lines_outside_the_request_are_not_taken() {
        for line in [0, 1001, u64::MAX] {
            let entry = json!({"line": line, "error": "x"});
            assert_eq!(named_line(&entry, 1000, &["error"]).line, None, "{line}");
        }
        assert_eq!(
            named_line(&json!({"line": 1000}), 1000, &[]).line,
            Some(1000)
        );
    }

    #[test]
    fn counts_that_are_not_counts_are_said() {
        let response =
            ValidationResponse::parse(br#"{"linesOk":"9990","linesInvalid":-1,"warnings":7}"#);
        assert_eq!((response.lines_ok, response.lines_invalid), (None, None));
        assert!(!response.counts_readable);
        assert_eq!(
            response.oddities,
            vec![
                "`linesOk` is \"9990\", not a count",
                "`linesInvalid` is -1, not a count",
            ]
        );
        let spelled = ValidationResponse::parse(br#"{"linesValid":2,"linesInvalid":0}"#);
        assert_eq!(spelled.lines_ok, Some(2));
        assert!(ValidationResponse::parse(b"OK").lines_ok.is_none());
    }
}
