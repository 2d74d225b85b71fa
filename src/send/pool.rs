//! Requests in flight: a fixed set of sending threads takes payloads from a queue and hands each
//! answer back, so that several requests wait on the network at once. Which payload goes when,
//! and how many are in flight, is the caller's to decide.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use prost::Message;
use reqwest::Url;

use super::batch::LineBatch;
use super::http::{Failure, FailureKind, Post, Posted, Sender};
use crate::otlp::ensure_delta;

/// One request's worth of data.
pub enum Payload {
    Lines(LineBatch),
    Otlp(OtlpRequest),
}

/// An OTLP request, and how many times it was halved for a server that found it too large.
pub struct OtlpRequest {
    pub request: ExportMetricsServiceRequest,
    pub halvings: u8,
}

impl From<ExportMetricsServiceRequest> for Payload {
    fn from(request: ExportMetricsServiceRequest) -> Payload {
        Payload::Otlp(OtlpRequest {
            request,
            halvings: 0,
        })
    }
}

/// A payload back from the network, with how its POST went.
pub struct Delivered {
    pub payload: Payload,
    pub posted: Posted,
}

/// Where each kind of payload goes; a kind without a URL is never submitted.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub metrics: Option<Url>,
    pub otlp: Option<Url>,
    pub gzip: bool,
}

impl Endpoints {
    /// The URL for `payload`, if there is one.
    pub fn url(&self, payload: &Payload) -> Option<&Url> {
        match payload {
            Payload::Lines(_) => self.metrics.as_ref(),
            Payload::Otlp(_) => self.otlp.as_ref(),
        }
    }
}

pub struct Pool {
    jobs: Option<mpsc::Sender<Payload>>,
    /// Starts one more sending thread.
    spawn: Box<dyn Fn()>,
    spawned: std::cell::Cell<usize>,
    threads: usize,
    /// Payloads submitted and not yet answered.
    outstanding: Arc<AtomicUsize>,
}

impl Pool {
    /// Sends with up to `threads` sending threads, started as requests come to be in flight
    /// together (a run of one request starts one). `answered` hears every payload back; `note`
    /// hears one line per retry.
    pub fn start(
        threads: usize,
        sender: Sender,
        endpoints: Endpoints,
        answered: impl Fn(Delivered) + Clone + Send + 'static,
        note: impl Fn(String) + Clone + Send + 'static,
    ) -> Pool {
        let (jobs, queue) = mpsc::channel::<Payload>();
        let queue = Arc::new(Mutex::new(queue));
        let outstanding = Arc::new(AtomicUsize::new(0));
        let spawn = {
            let outstanding = outstanding.clone();
            move || {
                let (queue, sender, endpoints) = (queue.clone(), sender.clone(), endpoints.clone());
                let (answered, note, outstanding) =
                    (answered.clone(), note.clone(), outstanding.clone());
                thread::spawn(move || loop {
                    let next = queue.lock().map(|queue| queue.recv());
                    let Ok(Ok(payload)) = next else { return };
                    let delivered = deliver(&sender, &endpoints, payload, &note);
                    outstanding.fetch_sub(1, Ordering::SeqCst);
                    answered(delivered);
                });
            }
        };
        Pool {
            jobs: Some(jobs),
            spawn: Box::new(spawn),
            spawned: std::cell::Cell::new(0),
            threads: threads.max(1),
            outstanding,
        }
    }

    pub fn submit(&self, payload: Payload) {
        let outstanding = self.outstanding.fetch_add(1, Ordering::SeqCst) + 1;
        if outstanding > self.spawned.get() && self.spawned.get() < self.threads {
            (self.spawn)();
            self.spawned.set(self.spawned.get() + 1);
        }
        if let Some(jobs) = &self.jobs {
            // The threads only end when the pool is dropped.
            let _ = jobs.send(payload);
        }
    }
}

/// Posts one payload where its kind goes; a non-DELTA OTLP request never leaves.
fn deliver(
    sender: &Sender,
    endpoints: &Endpoints,
    payload: Payload,
    note: &dyn Fn(String),
) -> Delivered {
    let Some(url) = endpoints.url(&payload) else {
        let posted = Posted {
            answer: Err(Failure {
                text: "there is no URL for this payload".into(),
                kind: FailureKind::Fatal,
            }),
            attempts: 0,
            throttled: false,
            elapsed: Default::default(),
        };
        return Delivered { payload, posted };
    };
    // The last gate before the wire: Dynatrace accepts only DELTA temporality.
    if let Payload::Otlp(otlp) = &payload {
        if let Err(text) = ensure_delta(&otlp.request) {
            let posted = Posted {
                answer: Err(Failure {
                    text,
                    kind: FailureKind::GaveUp,
                }),
                attempts: 0,
                throttled: false,
                elapsed: Default::default(),
            };
            return Delivered { payload, posted };
        }
    }
    let post = match &payload {
        Payload::Lines(batch) => Post {
            url,
            content_type: "text/plain; charset=utf-8",
            // The batch's own bytes, shared: no copy per request.
            body: batch.body().clone(),
            gzip: false,
        },
        Payload::Otlp(otlp) => Post {
            url,
            content_type: "application/x-protobuf",
            body: otlp.request.encode_to_vec().into(),
            gzip: endpoints.gzip,
        },
    };
    let posted = sender.post(post, note);
    Delivered { payload, posted }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // Ends the threads once the queue is empty.
        self.jobs.take();
    }
}
