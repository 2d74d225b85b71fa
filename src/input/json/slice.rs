//! The text read so far, as a slice: where the next JSON value lies in it, where serde_json met
//! an error in it, and the line and column after it.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::stream::Unread;

/// What a parse of the text read so far came to.
pub enum Parsed<T> {
    /// The value, and the bytes it took.
    Done(T, usize),
    /// The value goes on past what was read so far.
    More,
    Failed(serde_json::Error),
}

/// Where the next value lies in `slice`: its start and length, and the bytes up to its end.
pub fn raw_extent(slice: &[u8], eof: bool) -> Parsed<(usize, usize)> {
    let mut deserializer = serde_json::Deserializer::from_slice(slice);
    match <&RawValue>::deserialize(&mut deserializer) {
        Ok(raw) => {
            let start = offset_in(slice, raw);
            let end = start + raw.get().len();
            // A value that ends with the text read so far may go on (`12` of `123`).
            if end < slice.len() || eof {
                Parsed::Done((start, raw.get().len()), end)
            } else {
                Parsed::More
            }
        }
        Err(error) => Parsed::Failed(error),
    }
}

/// [`raw_extent`] of the unread text: from the part known to be UTF-8 when the value lies in
/// it, else (and for the error) from the bytes.
pub fn raw_extent_of(unread: &Unread, eof: bool) -> Parsed<(usize, usize)> {
    let text = unread.text;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    if let Ok(raw) = <&RawValue>::deserialize(&mut deserializer) {
        let start = raw.get().as_ptr() as usize - text.as_ptr() as usize;
        let end = start + raw.get().len();
        if end < text.len() || (eof && text.len() == unread.bytes.len()) {
            return Parsed::Done((start, raw.get().len()), end);
        }
    }
    raw_extent(unread.bytes, eof)
}

/// Whether serde_json met `error` at the very end of `slice`.
pub fn at_end(slice: &[u8], error: &serde_json::Error) -> bool {
    error_index(slice, error) + 1 >= slice.len()
}

/// The line and column after `bytes`, starting at `line`:`column`.
pub(super) fn after(line: u64, column: u64, bytes: &[u8]) -> (u64, u64) {
    match memchr::memrchr(b'\n', bytes) {
        Some(last) => (
            line + bytecount::count(bytes, b'\n') as u64,
            1 + chars(&bytes[last + 1..]),
        ),
        None => (line, column + chars(bytes)),
    }
}

/// Characters in UTF-8 `bytes`.
fn chars(bytes: &[u8]) -> u64 {
    bytecount::num_chars(bytes) as u64
}

/// Where in `slice` serde_json met `error`: its line (1-based) and byte column.
pub(super) fn error_index(slice: &[u8], error: &serde_json::Error) -> usize {
    let line_start = if error.line() <= 1 {
        0
    } else {
        slice
            .iter()
            .enumerate()
            .filter(|(_, &b)| b == b'\n')
            .nth(error.line() - 2)
            .map_or(slice.len(), |(i, _)| i + 1)
    };
    line_start + error.column().saturating_sub(1)
}

fn offset_in(slice: &[u8], raw: &RawValue) -> usize {
    raw.get().as_ptr() as usize - slice.as_ptr() as usize
}
