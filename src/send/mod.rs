//! Sending: the HTTP client and retry policy ([`http`]), line protocol in batches ([`lines`]),
//! OTLP requests ([`otlp`]).

pub mod http;
pub mod lines;
pub mod otlp;
