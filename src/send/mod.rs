//! Sending: the HTTP client ([`http`]) and its retry policy ([`retry`]), answers read within
//! bounds and server texts made safe to show ([`answer`]), line protocol in batches
//! ([`batch`]) and Dynatrace's answers to them ([`lines`], read by [`validation`]), OTLP answers
//! ([`otlp`]), several requests in flight ([`pool`]).

pub mod answer;
pub mod batch;
pub mod http;
pub mod lines;
pub mod otlp;
pub mod pool;
pub mod retry;
pub mod validation;
