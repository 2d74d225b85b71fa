//! `--input`: a JSON document, either the guide's list `[{"name": .., "value": ..}]` or the
//! object form `{"dimensions": .., "metrics": [..], "histograms": [..]}`, read entry by entry as
//! it streams in. A document that does not start as one of the two, or a file that is not
//! well-formed JSON, stops the run before anything is sent ([`check`]); a bad entry is refused
//! with its JSON path and the others are read; a document on stdin that breaks off is refused
//! from there on, with the line and column, after what came before.

use std::io::Read;
use std::sync::Arc;

use super::Sink;
use crate::model::{Code, Metric, Origin, Position, Refusal, Value};
pub use check::{check_file, check_start};
use entry::{json_dimensions, json_histogram, json_metric, why_not, JsonMetric, SparePairs};
use slice::{raw_extent, Parsed};
use stream::{JsonStream, StreamError, Unread};

mod check;
mod entry;
mod fields;
mod halves;
mod slice;
mod stream;
#[cfg(test)]
mod trickle;
mod validate;

pub fn read(name: &Arc<str>, reader: impl Read, sink: &mut dyn Sink) {
    let mut document = Document {
        name,
        stream: JsonStream::new(reader),
        shared: Vec::new(),
        origin: Origin::whole(Arc::clone(name)),
        entries_seen: false,
        spare: SparePairs::default(),
        metric: Metric {
            key: String::new(),
            prefixed: true,
            dimensions: Vec::new(),
            value: Value::Gauge(0.0),
            timestamp: None,
            origin: Origin::whole(Arc::clone(name)),
        },
    };
    let read = match document.stream.peek() {
        Ok(Some(b'[')) => document.list("$", sink),
        Ok(Some(b'{')) => document.object(sink),
        Ok(_) => Err(StreamError::Syntax {
            line: 1,
            column: 1,
            message: "expected a list of metrics or {\"metrics\": [...]}".into(),
        }),
        Err(error) => Err(error),
    };
    if let Err(error) = read {
        let (line, _) = document.stream.position();
        sink.refused(Refusal {
            origin: Origin::new(name, Position::Line(line)),
            code: Code::InputMalformed,
            reason: format!("{name} stops here: {error}; what came before was read"),
        });
    }
}

/// The next metric entry, read straight from the text and handed to `read`; an entry that is
/// JSON but not a metric is the reason why not, with the path to the wrong field. A number out
/// of range (`1e309`) is well-formed JSON that no metric can hold: that entry is refused, not
/// the rest of the text. (An entry is large: it is handed on where it was read rather than
/// moved out through the results.)
fn metric_entry<T>(
    unread: Unread<'_>,
    eof: bool,
    read: impl FnOnce(Result<&JsonMetric, crate::model::Problem>) -> T,
) -> Parsed<T> {
    // From the text known to be UTF-8 when the entry lies in it (the common case); anything
    // else is read again from the bytes, which say where and why it is not an entry.
    let mut entries = serde_json::Deserializer::from_str(unread.text).into_iter::<JsonMetric>();
    if let Some(Ok(entry)) = &entries.next() {
        return Parsed::Done(read(Ok(entry)), entries.byte_offset());
    }
    let slice = unread.bytes;
    let mut entries = serde_json::Deserializer::from_slice(slice).into_iter::<JsonMetric>();
    match entries.next() {
        // An object or a list ends with its closing bracket: nothing can follow that is part of
        // it.
        Some(Ok(entry)) => Parsed::Done(read(Ok(&entry)), entries.byte_offset()),
        Some(Err(error)) if error.classify() == serde_json::error::Category::Eof => {
            Parsed::Failed(error)
        }
        // Whether the entry is JSON at all, the bytes it takes tell.
        Some(Err(_)) => match raw_extent(slice, eof) {
            Parsed::Done((start, len), taken) => Parsed::Done(
                read(Err(why_not::<JsonMetric>(&slice[start..start + len]))),
                taken,
            ),
            Parsed::More => Parsed::More,
            Parsed::Failed(error) => Parsed::Failed(error),
        },
        None => Parsed::More,
    }
}

struct Document<'a, R> {
    name: &'a Arc<str>,
    stream: JsonStream<R>,
    /// The document's `dimensions`, under every entry's own.
    shared: Vec<(String, String)>,
    /// The entry being read's, reused.
    origin: Origin,
    entries_seen: bool,
    /// Reused for every metric entry.
    metric: Metric,
    spare: SparePairs,
}

impl<R: Read> Document<'_, R> {
    fn object(&mut self, sink: &mut dyn Sink) -> Result<(), StreamError> {
        self.stream.bump();
        let mut first = true;
        while !sink.stopped() {
            match self.stream.peek()? {
                Some(b'}') => {
                    self.stream.bump();
                    return Ok(());
                }
                Some(b',') if !first => self.stream.bump(),
                _ if first => {}
                _ => return Err(self.unexpected("`,` or `}` after a field of the document")),
            }
            first = false;
            let key = self
                .stream
                .value(|raw| serde_json::from_slice::<String>(raw).ok())?;
            let Some(key) = key else {
                return Err(self.unexpected("a field name in quotes"));
            };
            if self.stream.peek()? != Some(b':') {
                return Err(self.unexpected("`:` after a field name"));
            }
            self.stream.bump();
            match key.as_str() {
                "metrics" => self.list("$.metrics", sink)?,
                "histograms" => self.list("$.histograms", sink)?,
                "dimensions" => self.dimensions(sink)?,
                other => {
                    self.stream.value(|_| ())?;
                    self.refuse_field(
                        sink,
                        other,
                        format!(
                            "unknown field `{other}`, expected `metrics`, `histograms` or \
                             `dimensions`; it was left out"
                        ),
                    );
                }
            }
        }
        Ok(())
    }

    fn dimensions(&mut self, sink: &mut dyn Sink) -> Result<(), StreamError> {
        match self.stream.value(json_dimensions)? {
            Err(reason) => self.refuse_field(sink, "dimensions", reason),
            Ok(_) if self.entries_seen => self.refuse_field(
                sink,
                "dimensions",
                "`dimensions` comes after entries it should apply to, which were read without \
                 it: put `dimensions` first in the document"
                    .into(),
            ),
            Ok(shared) => self.shared = shared,
        }
        Ok(())
    }

    fn list(&mut self, path: &'static str, sink: &mut dyn Sink) -> Result<(), StreamError> {
        if self.stream.peek()? != Some(b'[') {
            self.stream.value(|_| ())?;
            let field = path.trim_start_matches("$.");
            self.refuse_field(sink, field, format!("`{field}` must be a list"));
            return Ok(());
        }
        self.stream.bump();
        let mut index = 0u64;
        while !sink.stopped() {
            match self.stream.peek()? {
                Some(b']') => {
                    self.stream.bump();
                    return Ok(());
                }
                Some(b',') if index > 0 => self.stream.bump(),
                _ if index == 0 => {}
                _ => return Err(self.unexpected("`,` or `]` after an entry")),
            }
            self.origin.at = Position::Entry { path, index };
            self.entries_seen = true;
            let (shared, metric, origin) = (&self.shared, &mut self.metric, &self.origin);
            let spare = &mut self.spare;
            if path == "$.histograms" {
                self.stream
                    .value(|raw| match json_histogram(raw, shared, origin.clone()) {
                        Ok(histogram) => sink.histogram(histogram),
                        Err(problem) => sink.histogram_refused(problem.at(origin)),
                    })?;
            } else {
                self.stream.parse_with(|unread, eof| {
                    metric_entry(unread, eof, |read| {
                        let read = read
                            .and_then(|entry| json_metric(entry, shared, origin, metric, spare));
                        match read {
                            Ok(metadata) => {
                                if let Some(metadata) = metadata {
                                    sink.metadata(&metadata);
                                }
                                sink.metric_moved(metric);
                            }
                            Err(problem) => sink.refused(problem.at(origin)),
                        }
                    })
                })?;
            }
            index += 1;
        }
        Ok(())
    }

    fn refuse_field(&self, sink: &mut dyn Sink, field: &str, reason: String) {
        sink.refused(Refusal {
            origin: Origin::new(self.name, Position::Path(Arc::from(format!("$.{field}")))),
            code: Code::InputMalformed,
            reason,
        });
    }

    fn unexpected(&self, expected: &str) -> StreamError {
        let (line, column) = self.stream.position();
        StreamError::Syntax {
            line,
            column,
            message: format!("expected {expected}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::json::trickle::Trickle;
    use crate::sink::Collected;

    fn read_trickled(text: &[u8], trickle: usize) -> Collected {
        let mut collected = Collected::default();
        read(&Arc::from("m.json"), Trickle(text, trickle), &mut collected);
        collected
    }

    #[test]
    fn entries_read_the_same_however_their_characters_are_cut() {
        let text = r#"[{"name": "Grüße.東京", "value": 1, "dimensions": {"Größe": "😀 x", "k": "\u00e9\n"}},
            {"name": "b", "value": 2.5, "dimensions": {"é": "ü"}, "unit": "Ω"},
            {"name": "c", "value": "x"}, {"name": "d€", "type": "count", "value": 3}]"#;
        let whole = read_trickled(text.as_bytes(), usize::MAX);
        assert_eq!(whole.metrics.len(), 3);
        assert_eq!(whole.metrics[0].key, "Grüße.東京");
        assert_eq!(
            whole.metrics[0].dimensions[0],
            ("Größe".to_owned(), "😀 x".to_owned())
        );
        assert_eq!(whole.metrics[0].dimensions[1].1, "é\n");
        assert_eq!(whole.refusals.len(), 1);
        for trickle in 1..=9 {
            let cut = read_trickled(text.as_bytes(), trickle);
            assert_eq!(cut.metrics, whole.metrics, "{trickle}");
            assert_eq!(cut.metadata, whole.metadata, "{trickle}");
            assert_eq!(cut.refusals, whole.refusals, "{trickle}");
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_stop_the_document_where_they_are() {
        let text = b"[{\"name\": \"a\", \"value\": 1},\n {\"name\": \"b\xC3\x28\", \"value\": 2},\n {\"name\": \"c\", \"value\": 3}]";
        for trickle in [1, 2, 3, 5, 64, usize::MAX] {
            let read = read_trickled(text, trickle);
            assert_eq!(read.metrics.len(), 1, "{trickle}");
            assert_eq!(read.refusals.len(), 1, "{trickle}");
            let reason = &read.refusals[0].reason;
            assert!(
                reason.contains("not valid JSON at line 2 column 13: invalid unicode code point"),
                "{trickle}: {reason}"
            );
        }
    }
}
