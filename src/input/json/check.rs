//! Checks of a JSON document before anything of it is sent: that it starts as one (and not as a
//! load test's results, which `--results` reads), and, for a file, that the whole text is
//! well-formed, so that a typo in the middle stops the run before the first request instead of
//! after the entries before it were sent (and would be sent again once it is fixed).

use std::io::{BufRead, Read};

use anyhow::{anyhow, bail};
use serde::de::{Deserialize, IgnoredAny};

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
/// summary starts with `root_group`, its JSON output is one `{"type": "Metric"|"Point", ...}`
/// per line, a JMeter JTL and Locust's stats are CSV with their own header rows.
fn results_format(text: &[u8]) -> Option<&'static str> {
    let text = &text[text.iter().position(|b| !b.is_ascii_whitespace())?..];
    let first_line = text.split(|&b| b == b'\n').next().unwrap_or_default();
    if text.starts_with(b"{") {
        let after_brace = text[1..].iter().position(|b| !b.is_ascii_whitespace())?;
        if text[1 + after_brace..].starts_with(b"\"root_group\"") {
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
    None
}

/// Reads the whole of a document's file once, cheaply (no value is built), and says where it is
/// not well-formed JSON or not UTF-8: a usage error, before anything is sent. A number out of
/// range (`1e309`) is well-formed: that entry alone is refused later.
pub fn check_whole(name: &str, mut file: impl Read) -> anyhow::Result<()> {
    let mut start = [0; 3];
    let started = read_up_to(&mut file, &mut start).map_err(|e| anyhow!("reading {name}: {e}"))?;
    let bom = if start[..started] == *b"\xEF\xBB\xBF" {
        3
    } else {
        0
    };
    let rest = std::io::Cursor::new(start[bom..started].to_vec()).chain(file);
    let mut text =
        std::io::BufReader::with_capacity(256 * 1024, Utf8Checked::new(rest, bom as u64));
    let mut document = serde_json::Deserializer::from_reader(&mut text);
    let checked = IgnoredAny::deserialize(&mut document).and_then(|_| document.end());
    match checked {
        Ok(()) => Ok(()),
        Err(error) if error.is_io() => match text.get_ref().not_utf8 {
            Some(offset) => bail!(
                "{name} is not UTF-8 text (byte {offset} is not part of a UTF-8 character), \
                 which JSON must be: nothing was sent; save it as UTF-8 and run again"
            ),
            None => bail!("reading {name}: {error}"),
        },
        Err(error) => {
            let message = error.to_string();
            let message = message
                .rsplit_once(" at line ")
                .map_or(message.as_str(), |(m, _)| m);
            bail!(
                "{name} is not well-formed JSON at line {} column {}: {message}; nothing was \
                 sent (a file is checked whole before the first request): fix it and run again",
                error.line(),
                error.column()
            )
        }
    }
}

/// Fills `buffer` as far as the reader goes; returns how much it holds.
fn read_up_to(reader: &mut impl Read, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// A reader that fails where its bytes stop being UTF-8 (serde_json skips strings without
/// checking that), remembering the offset.
struct Utf8Checked<R> {
    inner: R,
    /// The start of a character the last read cut off, to be completed by the next.
    carry: Vec<u8>,
    /// Bytes read so far.
    offset: u64,
    not_utf8: Option<u64>,
}

impl<R: Read> Utf8Checked<R> {
    /// `offset`: the bytes before `inner`'s first.
    fn new(inner: R, offset: u64) -> Self {
        Utf8Checked {
            inner,
            carry: Vec::new(),
            offset,
            not_utf8: None,
        }
    }

    /// Checks `bytes`, which start at `at`, after the carried bytes.
    fn check(&mut self, bytes: &[u8], at: u64) -> Result<(), u64> {
        let mut bytes = bytes;
        let mut at = at;
        if let Some(&lead) = self.carry.first() {
            let width = match lead {
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                _ => 4,
            };
            let need = (width - self.carry.len()).min(bytes.len());
            let start = at - self.carry.len() as u64;
            self.carry.extend_from_slice(&bytes[..need]);
            match std::str::from_utf8(&self.carry) {
                Ok(_) => self.carry.clear(),
                Err(e) if e.error_len().is_none() => return Ok(()),
                Err(e) => return Err(start + e.valid_up_to() as u64),
            }
            (bytes, at) = (&bytes[need..], at + need as u64);
        }
        match std::str::from_utf8(bytes) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_none() => {
                self.carry = bytes[e.valid_up_to()..].to_vec();
                Ok(())
            }
            Err(e) => Err(at + e.valid_up_to() as u64),
        }
    }
}

impl<R: Read> Read for Utf8Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let checked = match n {
            0 if !self.carry.is_empty() => Err(self.offset - self.carry.len() as u64),
            _ => self.check(&buf[..n], self.offset),
        };
        self.offset += n as u64;
        match checked {
            Ok(()) => Ok(n),
            Err(offset) => {
                self.not_utf8 = Some(offset);
                Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "not UTF-8",
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out at most `n` bytes per read, to cut characters across reads.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(self.0.len()).min(out.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

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
        let error = checked(b"[\n  {\"a\": 1},\n  {\"b\": ]\n]", 1000).unwrap_err();
        assert!(
            error.starts_with("m.json is not well-formed JSON at line 3 column 9: expected value"),
            "{error}"
        );
        let error = checked(b"[1] [2]", 1000).unwrap_err();
        assert!(error.contains("trailing characters"), "{error}");
        let error = checked(b"[1, ", 1000).unwrap_err();
        assert!(error.contains("EOF while parsing"), "{error}");
        for trickle in [1, 2, 1000] {
            let error = checked(b"[\"ab\xC3\x28\"]", trickle).unwrap_err();
            assert!(
                error.contains("byte 4 is not part of a UTF-8 character"),
                "{error}"
            );
            let error = checked(b"[\"ab\xE6\x9D\"]", trickle).unwrap_err();
            assert!(error.contains("byte 4 is not"), "{trickle}: {error}");
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
