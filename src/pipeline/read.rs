//! Reading and encoding: streamed, each on a thread of its own with chunks going between them,
//! or, for a small input, inline before delivery starts.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};

use super::chunk::{self, Chunk, Filler};
use super::produce::Producer;
use crate::input::{self, Opened};
use crate::sink::Sink;

/// Reads and encodes on two threads of their own while the caller delivers.
pub fn streaming(opened: Vec<Opened>, producer: Producer, stop: &Arc<AtomicBool>) {
    let (full, filled) = mpsc::sync_channel::<Chunk>(chunk::CHUNKS);
    let (emptied, empty) = mpsc::channel::<Chunk>();
    let reader = Filler::new(full, empty, &emptied, Arc::clone(stop));
    let read_whole = Arc::new(AtomicBool::new(false));
    let read_whole_in = Arc::clone(&read_whole);
    spawn("read", move || {
        let mut reader = reader;
        for source in opened {
            input::read(source, &mut reader);
        }
        read_whole_in.store(reader.finish(), Ordering::SeqCst);
    });
    let stop = Arc::clone(stop);
    spawn("encode", move || {
        let mut producer = producer;
        let mut skipped = false;
        while let Ok(mut chunk) = filled.recv() {
            // Once stopped, what was read is not encoded: nothing more goes out.
            if stop.load(Ordering::Relaxed) {
                skipped = true;
                chunk.discard();
            } else {
                chunk.replay(&mut producer);
            }
            let _ = emptied.send(chunk);
        }
        // The reader stored its verdict before its end closed the channel.
        producer.finish(read_whole.load(Ordering::SeqCst) && !skipped);
    });
}

/// Reads and encodes everything on this thread; the producer hands on without waiting.
pub fn inline(opened: Vec<Opened>, mut producer: Producer, stop: &AtomicBool) {
    for source in opened {
        if producer.stopped() {
            break;
        }
        input::read(source, &mut producer);
    }
    producer.finish(!stop.load(Ordering::SeqCst));
}

/// A named thread (profilers and `top -H` show the name).
fn spawn(name: &str, work: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(work)
        .expect("a thread can be started");
}
