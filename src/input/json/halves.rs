//! The whole-file check of a large list in two halves at once. A large file's reading and
//! encoding wait for the check after their first payloads, so the check's time is the run's
//! time; split in two, it takes about half. The file is split near its middle at a comma
//! between a `}` and a `{`, where one entry ends and the next starts: the first half must end
//! right after an entry of the list, the second go on from that comma to the list's end. That
//! the first half ends there is what makes the split sound (a `},{` inside a string, or between
//! objects nested in an entry, leaves it inside those, and it does not end there), so when
//! either half fails, whatever the reason, the caller checks the file whole, which says what is
//! wrong and where.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;

use super::check::{walk, Level};
use super::stream::{JsonStream, StreamError};

/// Smaller files are checked in one go (the second thread would cost more than it saves).
const SPLIT_FROM: u64 = 1024 * 1024;
/// How far past the middle a place to split is looked for.
const SPLIT_SEARCH: usize = 64 * 1024;

/// Whether `file` is a well-formed list, told by checking its halves on two threads; false
/// when it is not a list, has no place to split, or either half is not as it must be.
pub fn well_formed_in_halves(file: &File) -> bool {
    let Ok(len) = file.metadata().map(|metadata| metadata.len()) else {
        return false;
    };
    if len < SPLIT_FROM {
        return false;
    }
    let Some(split) = split_point(file, len / 2) else {
        return false;
    };
    std::thread::scope(|scope| {
        let tail = std::thread::Builder::new()
            .name("check".into())
            .spawn_scoped(scope, || list_tail(&mut stream(file, split, len)));
        let head = list_head(&mut stream(file, 0, split));
        let tail = tail.is_ok_and(|tail| tail.join().is_ok_and(|tail| tail.unwrap_or(false)));
        head.unwrap_or(false) && tail
    })
}

fn stream(file: &File, at: u64, end: u64) -> JsonStream<Part<'_>> {
    JsonStream::new(Part { file, at, end })
}

/// The offset of the first `,` between a `}` and a `{` (whitespace around it allowed) at or
/// after `middle`: a member of an entry is followed by its name (`},"name"`), the next entry by
/// its `{`.
fn split_point(file: &File, middle: u64) -> Option<u64> {
    let mut window = vec![0; SPLIT_SEARCH];
    let read = file.read_at(&mut window, middle).ok()?;
    let window = &window[..read];
    let next_token = |from: usize| {
        let skipped = window[from..]
            .iter()
            .position(|b| !b.is_ascii_whitespace())?;
        Some(from + skipped)
    };
    memchr::memchr_iter(b'}', window).find_map(|close| {
        let comma = next_token(close + 1)?;
        let open = next_token(comma + 1)?;
        (window[comma] == b',' && window[open] == b'{').then_some(middle + comma as u64)
    })
}

/// The first half: `[` and entries, ending right after one (the next byte, not in this half,
/// is the `,` split at).
fn list_head<R: Read>(stream: &mut JsonStream<R>) -> Result<bool, StreamError> {
    if stream.peek()? != Some(b'[') {
        return Ok(false);
    }
    stream.bump();
    let mut first = true;
    loop {
        match stream.peek()? {
            None => return Ok(!first),
            Some(b',') if !first => stream.bump(),
            _ if first => {}
            _ => return Ok(false),
        }
        first = false;
        stream.skip_items()?;
        walk(stream, Level::Entry)?;
    }
}

/// The second half: from the `,` split at, entries to the list's `]` and the end of the text.
fn list_tail<R: Read>(stream: &mut JsonStream<R>) -> Result<bool, StreamError> {
    loop {
        match stream.peek()? {
            Some(b']') => break,
            Some(b',') => stream.bump(),
            _ => return Ok(false),
        }
        stream.skip_items()?;
        walk(stream, Level::Entry)?;
    }
    stream.bump();
    Ok(stream.peek()?.is_none())
}

/// A part of a file, read at its own offset (the halves are read at once).
struct Part<'a> {
    file: &'a File,
    at: u64,
    end: u64,
}

impl Read for Part<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = usize::try_from(self.end - self.at).unwrap_or(usize::MAX);
        let want = buf.len().min(left);
        let read = self.file.read_at(&mut buf[..want], self.at)?;
        self.at += read as u64;
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Seek, Write};

    fn file_of(text: &str) -> File {
        let mut file = tempfile();
        file.write_all(text.as_bytes()).unwrap();
        file.rewind().unwrap();
        file
    }

    fn tempfile() -> File {
        let path = std::env::temp_dir().join(format!(
            "halves-{}-{:?}.json",
            std::process::id(),
            std::thread::current().id()
        ));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        file
    }

    fn entries(n: usize, value: &str) -> String {
        let entry = format!(r#"{{"name": "m", "value": 1, "dimensions": {{"k": "{value}"}}}}"#);
        format!("[\n{}\n]\n", vec![entry; n].join(",\n"))
    }

    #[test]
    fn a_large_well_formed_list_passes_in_halves() {
        let text = entries(30_000, "x y");
        assert!(text.len() as u64 > SPLIT_FROM);
        assert!(well_formed_in_halves(&file_of(&text)));
        // Dimensions before the other fields: their `},` is not where an entry ends.
        let dimensions_first = text.replace(
            r#"{"name": "m", "value": 1, "dimensions": {"k": "x y"}}"#,
            r#"{"dimensions": {"k": "x y"}, "name": "m", "value": 1}"#,
        );
        assert_ne!(dimensions_first, text);
        assert!(well_formed_in_halves(&file_of(&dimensions_first)));
    }

    #[test]
    fn a_break_in_either_half_or_a_split_in_a_string_is_left_to_the_whole_check() {
        let text = entries(30_000, "x y");
        let broken_tail = text.replacen("]\n", "}\n", 1);
        assert!(!well_formed_in_halves(&file_of(&broken_tail)));
        let broken_head = text.replacen("\"value\": 1", "\"value\": 1,", 1);
        assert!(!well_formed_in_halves(&file_of(&broken_head)));
        let object = format!("{{\"metrics\": {text}}}");
        assert!(!well_formed_in_halves(&file_of(&object)));
        // The first `},{` after the middle is inside a string: the first half ends in it, and
        // fails; the whole check passes the file.
        let strings = entries(30_000, "a},{b");
        assert!(!well_formed_in_halves(&file_of(&strings)));
        assert!(super::super::check_file("m.json", file_of(&strings)).is_ok());
        assert!(super::super::check_file("m.json", file_of(&broken_tail)).is_err());
        assert!(!well_formed_in_halves(&file_of("[1, 2]")));
    }
}
