//! A JSON text read in chunks: serde_json finds one value at a time in a buffer that is refilled
//! from the reader, so that memory holds one value (and the chunk around it) whatever the size
//! of the document. Positions of syntax errors are counted over the whole text.

use std::io::Read;

use serde_json::value::RawValue;

use super::slice::{after, at_end, error_index, raw_extent_of, Parsed};

/// The buffer starts small, for small documents, and grows to this for large ones.
const FIRST_CHUNK: usize = 16 * 1024;
const CHUNK: usize = 1024 * 1024;
/// The most one value (one metric or histogram entry) may take.
pub const MAX_VALUE_BYTES: usize = 16 * 1024 * 1024;

pub struct JsonStream<R> {
    reader: R,
    buf: Vec<u8>,
    /// Unread bytes are `buf[pos..end]`.
    pos: usize,
    end: usize,
    eof: bool,
    /// 1-based line and column of `buf[counted]` in the whole text; lines and columns are
    /// counted lazily, when the buffer is compacted or a position is asked for.
    line: u64,
    column: u64,
    counted: usize,
    bom_checked: bool,
    /// `buf[..valid_to]` from some char boundary at or before `pos` is known to be UTF-8; past
    /// it lies a character cut by the end of what was read, or, once `utf8_broken`, bytes that
    /// are not UTF-8.
    valid_to: usize,
    utf8_broken: bool,
}

/// The unread text: its bytes, and as much of it as is known to be UTF-8, which serde_json
/// then reads without checking every string again.
pub struct Unread<'a> {
    pub bytes: &'a [u8],
    pub text: &'a str,
}

/// Why the stream cannot go on.
#[derive(Debug)]
pub enum StreamError {
    Io(std::io::Error),
    /// Not JSON at `line`:`column` (1-based).
    Syntax {
        line: u64,
        column: u64,
        message: String,
    },
    /// One value over [`MAX_VALUE_BYTES`] starting at `line`.
    TooLarge {
        line: u64,
    },
}

impl std::fmt::Display for StreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StreamError::Io(error) => write!(f, "it could not be read: {error}"),
            StreamError::Syntax {
                line,
                column,
                message,
            } => write!(
                f,
                "it is not valid JSON at line {line} column {column}: {message}"
            ),
            StreamError::TooLarge { line } => write!(
                f,
                "the value starting at line {line} is over {} MiB; one entry may take at most \
                 that (give large sample sets as a --histogram file)",
                MAX_VALUE_BYTES / (1024 * 1024)
            ),
        }
    }
}

impl From<std::io::Error> for StreamError {
    fn from(error: std::io::Error) -> StreamError {
        StreamError::Io(error)
    }
}

impl<R: Read> JsonStream<R> {
    pub fn new(reader: R) -> JsonStream<R> {
        JsonStream {
            reader,
            buf: vec![0; FIRST_CHUNK],
            pos: 0,
            end: 0,
            eof: false,
            line: 1,
            column: 1,
            counted: 0,
            bom_checked: false,
            valid_to: 0,
            utf8_broken: false,
        }
    }

    /// The next byte that is not whitespace (a UTF-8 byte order mark at the very start is
    /// whitespace too), without consuming it; `None` at the end.
    pub fn peek(&mut self) -> Result<Option<u8>, StreamError> {
        if !self.bom_checked {
            self.bom_checked = true;
            if self.ensure(3)? >= 3 && self.buf[self.pos..self.pos + 3] == [0xEF, 0xBB, 0xBF] {
                self.pos += 3;
                self.counted = self.pos;
            }
        }
        loop {
            while self.pos < self.end {
                match self.buf[self.pos] {
                    b' ' | b'\t' | b'\r' | b'\n' => self.advance(1),
                    byte => return Ok(Some(byte)),
                }
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// Consumes the byte [`peek`](Self::peek) returned.
    pub fn bump(&mut self) {
        self.advance(1);
    }

    /// Finds the next value and hands its text to `read`; the value is consumed either way.
    pub fn value<T>(&mut self, read: impl FnOnce(&[u8]) -> T) -> Result<T, StreamError> {
        let mut read = Some(read);
        self.parse_with(|unread, eof| match raw_extent_of(&unread, eof) {
            Parsed::Done((start, len), end) => {
                let read = read.take().expect("a value is read once");
                Parsed::Done(read(&unread.bytes[start..start + len]), end)
            }
            Parsed::More => Parsed::More,
            Parsed::Failed(error) => Parsed::Failed(error),
        })
    }

    /// Steps over the next value, which must be well-formed JSON: as [`value`](Self::value)
    /// does, but without building anything, and (as long as the value lies in the text read
    /// so far and is well-formed) without serde_json, which then says what is wrong.
    pub fn skip_value(&mut self) -> Result<(), StreamError> {
        self.peek()?;
        // Within the text known to be UTF-8, which JSON must be.
        match super::validate::value_len(self.text().as_bytes()) {
            Some(len) => {
                self.advance(len);
                Ok(())
            }
            None => self.value(|_| ()),
        }
    }

    /// Steps over list items each followed by a comma, as many as the text read so far holds
    /// and [`validate::items_len`](super::validate::items_len) accepts; the stream then stands
    /// at the next item (or where it stood).
    pub fn skip_items(&mut self) -> Result<(), StreamError> {
        self.peek()?;
        let len = super::validate::items_len(self.text().as_bytes());
        self.advance(len);
        Ok(())
    }

    /// Hands `parse` the unread text (it starts with the next value) and whether it is all
    /// there is, until `parse` has what it needs: the parsed value and the bytes it took, or a
    /// syntax error. An error at the very end of the text read so far (serde_json calls some
    /// cut-offs syntax errors: `22.` of `22.5`) asks for more text, as [`Parsed::More`] does.
    pub fn parse_with<T>(
        &mut self,
        mut parse: impl FnMut(Unread<'_>, bool) -> Parsed<T>,
    ) -> Result<T, StreamError> {
        self.peek()?;
        loop {
            let slice = &self.buf[self.pos..self.end];
            let unread = Unread {
                bytes: slice,
                text: self.text(),
            };
            match parse(unread, self.eof) {
                Parsed::Done(value, taken) => {
                    if taken > MAX_VALUE_BYTES {
                        return Err(StreamError::TooLarge {
                            line: self.position().0,
                        });
                    }
                    self.advance(taken);
                    return Ok(value);
                }
                Parsed::Failed(error) if self.eof || !(error.is_eof() || at_end(slice, &error)) => {
                    return Err(self.syntax(slice, &error));
                }
                _ if self.eof => {
                    let error = serde_json::from_slice::<&RawValue>(b"").expect_err("empty");
                    return Err(self.syntax(b"", &error));
                }
                _ => {
                    if self.end - self.pos > MAX_VALUE_BYTES {
                        return Err(StreamError::TooLarge {
                            line: self.position().0,
                        });
                    }
                    let nothing_left = slice.is_empty();
                    if !self.fill()? && nothing_left {
                        let error = serde_json::from_slice::<&RawValue>(b"").expect_err("empty");
                        return Err(self.syntax(b"", &error));
                    }
                }
            }
        }
    }

    /// Where the stream stands, 1-based.
    pub fn position(&self) -> (u64, u64) {
        after(self.line, self.column, &self.buf[self.counted..self.pos])
    }

    fn syntax(&self, slice: &[u8], error: &serde_json::Error) -> StreamError {
        let message = error.to_string();
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(m, _)| m)
            .to_owned();
        let (line, column) = self.position();
        let before = &slice[..error_index(slice, error).min(slice.len())];
        let (line, column) = after(line, column, before);
        StreamError::Syntax {
            line,
            column,
            message,
        }
    }

    /// The unread bytes known to be UTF-8.
    fn text(&self) -> &str {
        let bytes = &self.buf[self.pos..self.valid_to.max(self.pos)];
        // A byte 0b10xx_xxxx continues a character: `pos` is not at a char boundary.
        if bytes.first().is_some_and(|&b| b & 0xC0 == 0x80) {
            return "";
        }
        // SAFETY: `fill` checked `buf[start..valid_to]` to be UTF-8 for a char boundary `start`
        // at or before `pos` (the text is moved as a whole when compacted), and `pos` is a char
        // boundary: a tail of UTF-8 that starts at a char boundary is UTF-8.
        unsafe { std::str::from_utf8_unchecked(bytes) }
    }

    /// Checks the bytes read since the last check: to the end, or to a character cut off by it,
    /// or to the first bytes that are not UTF-8, after which nothing more is checked.
    fn check_utf8(&mut self) {
        if self.utf8_broken {
            return;
        }
        self.valid_to = self.valid_to.max(self.pos);
        match simdutf8::compat::from_utf8(&self.buf[self.valid_to..self.end]) {
            Ok(_) => self.valid_to = self.end,
            Err(error) => {
                self.valid_to += error.valid_up_to();
                self.utf8_broken = error.error_len().is_some();
            }
        }
    }

    /// Makes `n` unread bytes available if the text has them; returns how many there are.
    fn ensure(&mut self, n: usize) -> Result<usize, StreamError> {
        while self.end - self.pos < n && self.fill()? {}
        Ok(self.end - self.pos)
    }

    fn advance(&mut self, n: usize) {
        self.pos += n;
    }

    /// Reads more of the text after the unread bytes, growing the buffer when they fill it.
    /// Returns false at the end of the text.
    fn fill(&mut self) -> Result<bool, StreamError> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 {
            (self.line, self.column) = self.position();
            self.counted = 0;
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.valid_to = self.valid_to.saturating_sub(self.pos);
            self.pos = 0;
        }
        if self.end == self.buf.len() || self.buf.len() < CHUNK {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    self.check_utf8();
                    return Ok(true);
                }
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error.into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::json::trickle::Trickle;

    fn values(text: &str, trickle: usize) -> Vec<String> {
        let mut stream = JsonStream::new(Trickle(text.as_bytes(), trickle));
        let mut found = Vec::new();
        assert_eq!(stream.peek().unwrap(), Some(b'['));
        stream.bump();
        loop {
            match stream.peek().unwrap() {
                Some(b']') => break,
                Some(b',') => stream.bump(),
                _ => found.push(
                    stream
                        .value(|raw| String::from_utf8(raw.to_vec()).unwrap())
                        .unwrap(),
                ),
            }
        }
        found
    }

    #[test]
    fn values_are_found_whole_however_the_text_is_cut() {
        let text = "\u{feff}[ {\"a\": \"x,]\"}, 12345, true, [1, 2] ,\"s\"]";
        for trickle in [1, 2, 3, 7, 1000] {
            assert_eq!(
                values(text, trickle),
                vec!["{\"a\": \"x,]\"}", "12345", "true", "[1, 2]", "\"s\""],
                "{trickle}"
            );
        }
    }

    #[test]
    fn numbers_cut_at_a_chunk_end_are_read_whole() {
        let text = "[{\"v\": 22.5e-3}, {\"v\": -7}, 3.25]";
        for trickle in 1..12 {
            assert_eq!(
                values(text, trickle),
                vec!["{\"v\": 22.5e-3}", "{\"v\": -7}", "3.25"],
                "{trickle}"
            );
        }
    }

    #[test]
    fn syntax_errors_say_where_in_the_whole_text() {
        let text = "[\n  {\"a\": 1},\n  {\"b\": ]\n]";
        let mut stream = JsonStream::new(Trickle(text.as_bytes(), 4));
        stream.peek().unwrap();
        stream.bump();
        stream.value(|_| ()).unwrap();
        stream.peek().unwrap();
        stream.bump();
        let error = stream.value(|_| ()).unwrap_err().to_string();
        assert!(
            error.starts_with("it is not valid JSON at line 3 column 9: expected value"),
            "{error}"
        );
    }

    #[test]
    fn a_text_that_ends_mid_value_is_a_syntax_error() {
        let mut stream = JsonStream::new(Trickle(b"[{\"a\": 1", 3));
        stream.peek().unwrap();
        stream.bump();
        let error = stream.value(|_| ()).unwrap_err().to_string();
        assert!(error.contains("EOF while parsing"), "{error}");
    }

    #[test]
    fn one_value_may_not_take_more_than_the_limit() {
        let huge = format!("[\"{}\"]", "x".repeat(MAX_VALUE_BYTES + 10));
        let mut stream = JsonStream::new(huge.as_bytes());
        stream.peek().unwrap();
        stream.bump();
        assert!(matches!(
            stream.value(|_| ()),
            Err(StreamError::TooLarge { line: 1 })
        ));
    }
}
