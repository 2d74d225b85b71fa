//! CSV records through the `csv` crate, with a bound on one record's size: the crate grows a
//! record for as long as it has no end, so that reading `/dev/zero` by mistake would fill memory.
//! Here the bytes handed to the parser since the current record started are counted, and past
//! [`MAX_RECORD_BYTES`] reading stops with the record's line.
//!
//! Records end at `\n` (a `\r` before it stays at the end of the last field: [`field`] drops
//! it), so that the line a record starts on can be told exactly from where it ends, blank lines
//! before it or not.

use std::cell::Cell;
use std::io::Read;
use std::rc::Rc;

use csv::ByteRecord;

/// The largest record (row) read, with its quoted newlines.
pub const MAX_RECORD_BYTES: u64 = 1024 * 1024;
/// The parser's own buffer: it may read this much beyond the record it parses.
const PARSER_BUFFER: usize = 64 * 1024;

/// The records of a CSV input, one after the other, each at most [`MAX_RECORD_BYTES`].
pub struct Rows<R> {
    reader: csv::Reader<Counted<R>>,
    counts: Rc<Counts>,
    line: u64,
}

/// What [`Counted`] saw of the bytes it handed the parser.
#[derive(Default)]
struct Counts {
    handed: Cell<u64>,
    last: Cell<u8>,
    record_start: Cell<u64>,
    too_long: Cell<bool>,
}

/// Why an input cannot be read on; the rest of it is not read.
#[derive(Debug, PartialEq, Eq)]
pub struct Broken {
    /// The line the record that could not be read starts on.
    pub line: u64,
    pub why: String,
}

impl<R: Read> Rows<R> {
    /// Records separated by `delimiter`, the header included (callers read it as a record).
    pub fn new(reader: R, delimiter: u8) -> Rows<R> {
        let counts = Rc::new(Counts::default());
        let counted = Counted {
            inner: reader,
            counts: Rc::clone(&counts),
        };
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .terminator(csv::Terminator::Any(b'\n'))
            .buffer_capacity(PARSER_BUFFER)
            .from_reader(counted);
        Rows {
            reader,
            counts,
            line: 0,
        }
    }

    /// The line the last record read starts on.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Reads the next record into `record`: `Ok(false)` at the end.
    pub fn next(&mut self, record: &mut ByteRecord) -> Result<bool, Broken> {
        let position = self.reader.position().clone();
        self.counts.record_start.set(position.byte());
        match self.reader.read_byte_record(record) {
            Ok(more) => {
                let end = self.reader.position();
                let inside: u64 = record.iter().map(newlines).sum();
                // Its `\n` ended it unless the input ended right after it, without one.
                let at_the_end = end.byte() == self.counts.handed.get();
                let terminated = !at_the_end || self.counts.last.get() == b'\n';
                self.line = end
                    .line()
                    .saturating_sub(inside + u64::from(terminated && more));
                Ok(more)
            }
            Err(_) if self.counts.too_long.get() => Err(Broken {
                line: position.line(),
                why: format!(
                    "the row is longer than {} MiB, the most a row may have (is this a \
                     results file?)",
                    MAX_RECORD_BYTES / (1024 * 1024)
                ),
            }),
            Err(error) => Err(Broken {
                line: position.line(),
                why: format!("it could not be read: {error}"),
            }),
        }
    }

    /// [`Rows::next`] for a reading loop: `false` at the end, and when the input is broken, after
    /// `on_broken` is told why (nothing after it is read).
    pub fn next_or(&mut self, record: &mut ByteRecord, on_broken: impl FnOnce(Broken)) -> bool {
        self.next(record).unwrap_or_else(|broken| {
            on_broken(broken);
            false
        })
    }
}

/// Field `at` of `record` without the `\r` of a CRLF line end; empty when there is none.
pub fn field(record: &ByteRecord, at: usize) -> &[u8] {
    let field = record.get(at).unwrap_or_default();
    field.strip_suffix(b"\r").unwrap_or(field)
}

fn newlines(field: &[u8]) -> u64 {
    field.iter().filter(|&&b| b == b'\n').count() as u64
}

/// The input, counting the bytes it hands the parser.
struct Counted<R> {
    inner: R,
    counts: Rc<Counts>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let counts = &self.counts;
        let in_record = counts.handed.get() - counts.record_start.get().min(counts.handed.get());
        if in_record > MAX_RECORD_BYTES + PARSER_BUFFER as u64 {
            counts.too_long.set(true);
            return Err(std::io::Error::other("record too long"));
        }
        let read = self.inner.read(buf)?;
        if let Some(&last) = buf[..read].last() {
            counts.last.set(last);
        }
        counts.handed.set(counts.handed.get() + read as u64);
        Ok(read)
    }
}

/// The first record of `line` split at `delimiter`, fields trimmed.
pub fn split(line: &[u8], delimiter: u8) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(line);
    let mut record = csv::ByteRecord::new();
    match reader.read_byte_record(&mut record) {
        Ok(true) => record
            .iter()
            .map(|f| String::from_utf8_lossy(f).trim().to_owned())
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &[u8], delimiter: u8) -> Vec<(u64, Vec<String>)> {
        let mut rows = Rows::new(text, delimiter);
        let mut record = ByteRecord::new();
        let mut all = Vec::new();
        while rows.next(&mut record).unwrap() {
            let fields = (0..record.len())
                .map(|at| String::from_utf8_lossy(field(&record, at)).into_owned())
                .collect();
            all.push((rows.line(), fields));
        }
        all
    }

    #[test]
    fn quoted_fields_hold_delimiters_quotes_and_newlines() {
        let text = b"a,b\r\n\"x, y\",\"say \"\"hi\"\"\nand\r\nbye\"\r\n\n3,4\n\n5,6";
        assert_eq!(
            rows(text, b','),
            vec![
                (1, vec!["a".into(), "b".into()]),
                (2, vec!["x, y".into(), "say \"hi\"\nand\r\nbye".into()]),
                (6, vec!["3".into(), "4".into()]),
                (8, vec!["5".into(), "6".into()]),
            ]
        );
        assert_eq!(rows(b"a\tb,c\n", b'\t')[0].1, vec!["a", "b,c"]);
    }

    #[test]
    fn an_endless_record_stops_at_its_line() {
        let endless = std::io::repeat(b'x').take(10 * MAX_RECORD_BYTES);
        let input = std::io::Cursor::new(b"a,b\n1,2\n".to_vec()).chain(endless);
        let mut rows = Rows::new(input, b',');
        let mut record = ByteRecord::new();
        assert_eq!(rows.next(&mut record), Ok(true));
        assert_eq!(rows.next(&mut record), Ok(true));
        let broken = rows.next(&mut record).unwrap_err();
        assert_eq!(broken.line, 3);
        assert!(broken.why.contains("longer than 1 MiB"), "{}", broken.why);
    }
}
