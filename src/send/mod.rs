//! Sending: the HTTP client ([`http`]) and its retry policy ([`retry`]), line protocol in
//! batches ([`batch`]) and Dynatrace's answers to them ([`lines`]), OTLP answers ([`otlp`]),
//! several requests in flight ([`pool`]).

pub mod batch;
pub mod http;
pub mod lines;
pub mod otlp;
pub mod pool;
pub mod retry;
