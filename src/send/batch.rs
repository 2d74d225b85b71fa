//! Lines packed into requests within the protocol's limits, each line written straight into the
//! body it goes out in, with where it came from, so that Dynatrace's answer maps back to it.

use std::sync::Arc;

use bytes::Bytes;

use crate::model::{Origin, Position};

/// Every official client splits here (the OneAgent endpoint's hard limit).
pub const MAX_LINES_PER_REQUEST: usize = 1_000;
/// The documented payload limit is 1 MB.
pub const MAX_BYTES_PER_REQUEST: usize = 1_000_000;

/// Lines for one request: the body as sent, where each line starts in it, and where each came
/// from. The body is shared, not copied: the request in flight and the batch kept for its answer
/// hold the same bytes, and halves of a batch are views of its body.
#[derive(Debug, Default)]
pub struct LineBatch {
    /// 0-based position of the first line among all lines of the run.
    pub first: usize,
    /// How many times this batch's lines were halved for a server that found them too large.
    pub halvings: u8,
    /// UTF-8: lines are written as `str` and the body is cut only where a line starts.
    body: Bytes,
    starts: Vec<usize>,
    origins: Origins,
}

/// Where each line of a batch came from: its place, and its input's name once per run of
/// lines from the same input (a count shared between threads is not touched per line).
#[derive(Debug, Default)]
struct Origins {
    positions: Vec<Position>,
    /// The index of the first line of each run, and the run's input.
    inputs: Vec<(usize, Arc<str>)>,
}

impl Origins {
    fn with_capacity(lines: usize) -> Origins {
        Origins {
            positions: Vec::with_capacity(lines),
            inputs: Vec::new(),
        }
    }

    fn push(&mut self, origin: &Origin) {
        let same = self
            .inputs
            .last()
            .is_some_and(|(_, input)| Arc::ptr_eq(input, &origin.input));
        if !same {
            let index = self.positions.len();
            self.inputs.push((index, Arc::clone(&origin.input)));
        }
        self.positions.push(origin.at.clone());
    }

    fn get(&self, i: usize) -> Option<Origin> {
        let at = self.positions.get(i)?.clone();
        let run = self.inputs.partition_point(|(first, _)| *first <= i);
        let input = Arc::clone(&self.inputs[run.checked_sub(1)?].1);
        Some(Origin { input, at })
    }

    /// The origins of lines `middle..`, taken off these.
    fn split_off(&mut self, middle: usize) -> Origins {
        let positions = self.positions.split_off(middle);
        let run = self.inputs.partition_point(|(first, _)| *first <= middle);
        // The run that holds line `middle` and those after it, counted from `middle`.
        let inputs = self.inputs[run.saturating_sub(1)..]
            .iter()
            .map(|(first, input)| (first.saturating_sub(middle), Arc::clone(input)))
            .collect();
        let kept = self.inputs.partition_point(|(first, _)| *first < middle);
        self.inputs.truncate(kept);
        Origins { positions, inputs }
    }
}

impl LineBatch {
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The `i`-th line (0-based) without its newline, and its origin.
    pub fn line(&self, i: usize) -> Option<(&str, Origin)> {
        let start = *self.starts.get(i)?;
        let end = self.starts.get(i + 1).copied().unwrap_or(self.body.len()) - 1;
        let text = std::str::from_utf8(&self.body[start..end]).expect("lines are written as str");
        Some((text, self.origins.get(i)?))
    }

    /// The body as sent: the lines, each ending in a newline.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The body's lines, without their newlines.
    pub fn lines(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).filter_map(|i| self.line(i).map(|(text, _)| text))
    }

    /// Metadata lines (`#key gauge dt.meta...`): no metric line starts with `#`.
    pub fn metadata_lines(&self) -> usize {
        self.starts
            .iter()
            .filter(|&&s| self.body[s] == b'#')
            .count()
    }

    /// The two halves of a batch of at least two lines, for a server that found it too large.
    pub fn split(self) -> (LineBatch, LineBatch) {
        let middle = self.len() / 2;
        let cut = self.starts[middle];
        let mut origins = self.origins;
        let second = LineBatch {
            first: self.first + middle,
            halvings: self.halvings + 1,
            body: self.body.slice(cut..),
            starts: self.starts[middle..].iter().map(|s| s - cut).collect(),
            origins: origins.split_off(middle),
        };
        let mut starts = self.starts;
        starts.truncate(middle);
        let first = LineBatch {
            first: self.first,
            halvings: self.halvings + 1,
            body: self.body.slice(..cut),
            starts,
            origins,
        };
        (first, second)
    }
}

/// Packs lines into batches of at most 1,000 lines and 1 MB, in order. Each line is written
/// once, into the body it goes out in; a batch's buffers are sized after the previous batch's,
/// so a body is not copied as it grows.
#[derive(Debug, Default)]
pub struct Batcher {
    /// The batch being filled.
    body: String,
    starts: Vec<usize>,
    origins: Origins,
    /// Its first line's position among all lines of the run.
    first: usize,
    lines: usize,
    /// The size of the last full body.
    last_size: usize,
}

impl Batcher {
    /// Adds a line; returns the full batch it did not fit in, if any.
    pub fn push(&mut self, text: &str, origin: Origin) -> Option<LineBatch> {
        let pushed: Result<_, ()> = self.push_with(&origin, |body| {
            body.push_str(text);
            Ok(())
        });
        pushed.unwrap_or(None)
    }

    /// Adds the line `write` writes onto the batch's body (an `Err` must leave the body as it
    /// was, and adds nothing); returns the full batch the line did not fit in, if any.
    pub fn push_with<E>(
        &mut self,
        origin: &Origin,
        write: impl FnOnce(&mut String) -> Result<(), E>,
    ) -> Result<Option<LineBatch>, E> {
        let start = self.body.len();
        write(&mut self.body)?;
        let size = self.body.len() - start + 1;
        let full = !self.starts.is_empty()
            && (self.starts.len() == MAX_LINES_PER_REQUEST || start + size > MAX_BYTES_PER_REQUEST);
        let done = full.then(|| {
            self.last_size = start;
            let mut next = String::with_capacity(self.capacity().max(size));
            next.push_str(&self.body[start..]);
            self.body.truncate(start);
            self.take(next)
        });
        self.starts.push(self.body.len() + 1 - size);
        self.body.push('\n');
        self.origins.push(origin);
        self.lines += 1;
        Ok(done)
    }

    /// The last batch, unless empty.
    pub fn finish(mut self) -> Option<LineBatch> {
        (!self.starts.is_empty()).then(|| self.take(String::new()))
    }

    /// Room for a body like the last, and a little more, within the request limit.
    fn capacity(&self) -> usize {
        (self.last_size + self.last_size / 8).min(MAX_BYTES_PER_REQUEST + 1)
    }

    /// The batch filled so far; the next starts with `body`.
    fn take(&mut self, body: String) -> LineBatch {
        let lines = self.starts.len();
        let batch = LineBatch {
            first: self.first,
            halvings: 0,
            body: Bytes::from(std::mem::replace(&mut self.body, body)),
            starts: std::mem::replace(&mut self.starts, Vec::with_capacity(lines)),
            origins: std::mem::replace(&mut self.origins, Origins::with_capacity(lines)),
        };
        self.first = self.lines;
        batch
    }
}

/// For the tests: what [`Batcher`] makes of `texts`, one line each, from the input `in` (line 1
/// on).
#[cfg(test)]
pub(crate) fn batches(texts: &[&str]) -> Vec<LineBatch> {
    let mut batcher = Batcher::default();
    let input = std::sync::Arc::from("in");
    let mut batches: Vec<LineBatch> = texts
        .iter()
        .enumerate()
        .filter_map(|(i, text)| {
            let origin = Origin::new(&input, crate::model::Position::Line(i as u64 + 1));
            batcher.push(text, origin)
        })
        .collect();
    batches.extend(batcher.finish());
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_split_at_1000_lines_and_1_mb() {
        let sizes = |b: &[LineBatch]| b.iter().map(|b| (b.first, b.len())).collect::<Vec<_>>();
        let many = batches(&["a.b 1"; 2500]);
        assert_eq!(sizes(&many), vec![(0, 1000), (1000, 1000), (2000, 500)]);
        let big_line = "x".repeat(400_000);
        let big = batches(&[&big_line, &big_line, &big_line]);
        assert_eq!(sizes(&big), vec![(0, 2), (2, 1)]);
        assert!(batches(&[]).is_empty());
        let small = batches(&["a 1", "b 2"]);
        assert_eq!(small[0].body(), "a 1\nb 2\n".as_bytes());
        assert_eq!(small[0].line(1).unwrap().0, "b 2");
        assert!(small[0].line(2).is_none());
    }

    #[test]
    fn a_batch_splits_into_halves_that_keep_their_places() {
        let batch = batches(&["a 1", "b 2", "c 3"]).remove(0);
        let (first, second) = batch.split();
        assert_eq!((first.first, &first.body()[..]), (0, "a 1\n".as_bytes()));
        assert_eq!(
            (second.first, &second.body()[..]),
            (1, "b 2\nc 3\n".as_bytes())
        );
        assert_eq!(second.line(1).unwrap().1.to_string(), "in:3");
    }

    #[test]
    fn lines_keep_their_inputs_across_runs_and_halves() {
        let (a, b): (Arc<str>, Arc<str>) = (Arc::from("a.json"), Arc::from("b.txt"));
        let inputs = [&a, &a, &b, &b, &b, &a, &b];
        let origins = || {
            let mut origins = Origins::default();
            for (i, input) in inputs.iter().enumerate() {
                origins.push(&Origin::new(input, Position::Line(i as u64 + 1)));
            }
            origins
        };
        let shown = |origins: &Origins| -> Vec<String> {
            let shown = (0..).map_while(|i| origins.get(i));
            shown.map(|origin| origin.to_string()).collect()
        };
        let all = shown(&origins());
        assert_eq!(
            all,
            ["a.json:1", "a.json:2", "b.txt:3", "b.txt:4", "b.txt:5", "a.json:6", "b.txt:7"]
        );
        assert_eq!(origins().inputs.len(), 4, "one name per run");
        for cut in 1..inputs.len() {
            let mut first = origins();
            let second = first.split_off(cut);
            let halves = [shown(&first), shown(&second)].concat();
            assert_eq!(halves, all, "cut before line {}", cut + 1);
        }
    }
}
