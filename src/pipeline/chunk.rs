//! Items read, in chunks: the reading thread fills a chunk, the encoding thread replays it into
//! the encoder, and the chunk goes back to be filled again. Reading and encoding then each have
//! a core, and the metrics' strings are reused from chunk to chunk instead of allocated.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::Arc;

use crate::model::{Histogram, Metadata, Metric, RecordCount, Refusal, Warning};
use crate::sink::Sink;

/// Metrics per chunk.
const CHUNK_METRICS: usize = 1024;
/// Chunks in circulation: one being filled, one being encoded, one on its way.
pub const CHUNKS: usize = 3;

#[derive(Default)]
pub struct Chunk {
    items: Vec<Item>,
    /// Slots for the metrics, kept with their strings from chunk to chunk.
    metrics: Vec<Metric>,
    filled: usize,
}

/// Small, so that the metrics' items, by far the most, cost little to push: the rarer items
/// are boxed.
enum Item {
    /// The next metric slot.
    Metric,
    Metadata(Box<Metadata>),
    Histogram(Box<Histogram>),
    Refused(Box<Refusal>),
    HistogramRefused(Box<Refusal>),
    Warning(Box<Warning>),
    Records(Box<RecordCount>),
}

impl Chunk {
    /// Hands every item to `sink`, in the order read, and empties the chunk for reuse.
    pub fn replay(&mut self, sink: &mut dyn Sink) {
        let mut metrics = self.metrics.iter();
        for item in self.items.drain(..) {
            match item {
                Item::Metric => sink.metric(metrics.next().expect("a slot per metric item")),
                Item::Metadata(metadata) => sink.metadata(&metadata),
                Item::Histogram(histogram) => sink.histogram(*histogram),
                Item::Refused(refusal) => sink.refused(*refusal),
                Item::HistogramRefused(refusal) => sink.histogram_refused(*refusal),
                Item::Warning(warning) => sink.warning(*warning),
                Item::Records(count) => sink.records(*count),
            }
        }
        self.filled = 0;
    }

    /// Empties the chunk without handing anything on (the run was stopped).
    pub fn discard(&mut self) {
        self.items.clear();
        self.filled = 0;
    }

    fn is_full(&self) -> bool {
        self.filled == CHUNK_METRICS || self.items.len() >= 2 * CHUNK_METRICS
    }
}

/// The reading thread's sink: fills chunks and sends them on.
pub struct Filler {
    chunk: Chunk,
    full: SyncSender<Chunk>,
    empty: Receiver<Chunk>,
    stop: Arc<AtomicBool>,
    /// A reader asked whether to go on and was told to stop: its input was not read to its end.
    abandoned: Cell<bool>,
}

impl Filler {
    /// `full` takes filled chunks to the encoder; `empty` brings them back. Besides the one
    /// being filled, `CHUNKS - 1` more go round.
    pub fn new(
        full: SyncSender<Chunk>,
        empty: Receiver<Chunk>,
        give_back: &std::sync::mpsc::Sender<Chunk>,
        stop: Arc<AtomicBool>,
    ) -> Filler {
        for _ in 1..CHUNKS {
            let _ = give_back.send(Chunk::default());
        }
        Filler {
            chunk: Chunk::default(),
            full,
            empty,
            stop,
            abandoned: Cell::new(false),
        }
    }

    /// Sends the last chunk on; true when every input was read to its end.
    pub fn finish(self) -> bool {
        if !self.chunk.items.is_empty() {
            let _ = self.full.send(self.chunk);
        }
        !self.abandoned.get()
    }

    fn push(&mut self, item: Item) {
        self.chunk.items.push(item);
        if self.chunk.is_full() {
            // Waits for the encoder to give a chunk back: reading runs no further ahead.
            let Ok(next) = self.empty.recv() else {
                return self.stop.store(true, Ordering::Relaxed);
            };
            let full = std::mem::replace(&mut self.chunk, next);
            if self.full.send(full).is_err() {
                self.stop.store(true, Ordering::Relaxed);
            }
        }
    }
}

impl Sink for Filler {
    fn metric(&mut self, metric: &Metric) {
        let chunk = &mut self.chunk;
        match chunk.metrics.get_mut(chunk.filled) {
            Some(slot) => slot.clone_from(metric),
            None => chunk.metrics.push(metric.clone()),
        }
        chunk.filled += 1;
        self.push(Item::Metric);
    }

    fn metric_moved(&mut self, metric: &mut Metric) {
        let chunk = &mut self.chunk;
        match chunk.metrics.get_mut(chunk.filled) {
            Some(slot) => std::mem::swap(slot, metric),
            None => chunk.metrics.push(metric.clone()),
        }
        chunk.filled += 1;
        self.push(Item::Metric);
    }

    fn metadata(&mut self, metadata: &Metadata) {
        self.push(Item::Metadata(Box::new(metadata.clone())));
    }

    fn histogram(&mut self, histogram: Histogram) {
        self.push(Item::Histogram(Box::new(histogram)));
    }

    fn refused(&mut self, refusal: Refusal) {
        self.push(Item::Refused(Box::new(refusal)));
    }

    fn histogram_refused(&mut self, refusal: Refusal) {
        self.push(Item::HistogramRefused(Box::new(refusal)));
    }

    fn warning(&mut self, warning: Warning) {
        self.push(Item::Warning(Box::new(warning)));
    }

    fn records(&mut self, count: RecordCount) {
        self.push(Item::Records(Box::new(count)));
    }

    fn stopped(&self) -> bool {
        let stopped = self.stop.load(Ordering::Relaxed);
        if stopped {
            self.abandoned.set(true);
        }
        stopped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Origin, Value};
    use crate::sink::Collected;
    use std::sync::mpsc;

    #[test]
    fn an_item_is_two_words_at_most() {
        assert!(std::mem::size_of::<Item>() <= 16);
    }

    #[test]
    fn chunks_replay_every_item_in_the_order_read() {
        let (full, filled) = mpsc::sync_channel(CHUNKS);
        let (give_back, empty) = mpsc::channel();
        let mut filler = Filler::new(full, empty, &give_back, Arc::new(AtomicBool::new(false)));
        let metric = |i: usize| Metric {
            key: format!("m{i}"),
            prefixed: true,
            dimensions: vec![("k".into(), i.to_string())],
            value: Value::Gauge(i as f64),
            timestamp: None,
            origin: Origin::whole("t"),
        };
        let refusal = Refusal {
            origin: Origin::whole("t"),
            code: crate::model::Code::InputMalformed,
            reason: "bad".into(),
        };
        for i in 0..1500 {
            filler.metric(&metric(i));
            if i == 1200 {
                filler.refused(refusal.clone());
            }
        }
        filler.finish();
        let mut replayed = Collected::default();
        let mut chunks = 0;
        while let Ok(mut chunk) = filled.try_recv() {
            chunk.replay(&mut replayed);
            chunks += 1;
        }
        assert_eq!(chunks, 2);
        let keys: Vec<String> = replayed.metrics.iter().map(|m| m.key.clone()).collect();
        assert_eq!(keys, (0..1500).map(|i| format!("m{i}")).collect::<Vec<_>>());
        assert_eq!(replayed.metrics[1499], metric(1499));
        assert_eq!(replayed.refusals, vec![refusal]);
    }
}
