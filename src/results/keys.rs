//! The keys results are sent under (after the section), with their payload type, unit and
//! description: the response-time ones every tool gives ([`KEYS`]), then what some tools
//! measure beyond them.

/// Index of each key in [`KEYS`].
pub const REQUESTS: usize = 0;
pub const FAILURES: usize = 1;
pub const ERROR_RATE: usize = 2;
pub const RESPONSE_TIME: usize = 3;
pub const FIRST_PERCENTILE: usize = 4;
pub const HISTOGRAM: usize = 8;
pub const FAILURE_REASONS: usize = 9;

/// Name (after the section), payload type, unit and description of every key.
pub const KEYS: [(&str, &str, Option<&str>, &str); 10] = [
    (
        "requests",
        "count",
        Some("Count"),
        "Requests the load test sent",
    ),
    ("failures", "count", Some("Count"), "Requests that failed"),
    (
        "error_rate",
        "gauge",
        None,
        "Failed requests per request, 0 to 1",
    ),
    (
        "response_time",
        "gauge",
        Some("MilliSecond"),
        "Response time",
    ),
    (
        "response_time_p50",
        "gauge",
        Some("MilliSecond"),
        "Response time, 50th percentile",
    ),
    (
        "response_time_p90",
        "gauge",
        Some("MilliSecond"),
        "Response time, 90th percentile",
    ),
    (
        "response_time_p95",
        "gauge",
        Some("MilliSecond"),
        "Response time, 95th percentile",
    ),
    (
        "response_time_p99",
        "gauge",
        Some("MilliSecond"),
        "Response time, 99th percentile",
    ),
    (
        "response_time_histogram",
        "",
        None,
        "Response time distribution",
    ),
    (
        "failures_by_reason",
        "count",
        Some("Count"),
        "Failed requests by the tool's reason",
    ),
];

/// A key sent beyond the response-time ones: name (after the section), payload type, unit and
/// description.
pub struct Key {
    pub name: &'static str,
    pub payload_type: &'static str,
    pub unit: Option<&'static str>,
    pub description: &'static str,
}

pub const REQUESTS_PER_SECOND: Key = Key {
    name: "requests_per_second",
    payload_type: "gauge",
    unit: Some("PerSecond"),
    description: "Requests per second over the test",
};
pub const FAILURES_PER_SECOND: Key = Key {
    name: "failures_per_second",
    payload_type: "gauge",
    unit: Some("PerSecond"),
    description: "Failed requests per second over the test",
};
pub const BYTES_RECEIVED: Key = Key {
    name: "bytes_received",
    payload_type: "count",
    unit: Some("Byte"),
    description: "Bytes received in responses",
};
pub const BYTES_SENT: Key = Key {
    name: "bytes_sent",
    payload_type: "count",
    unit: Some("Byte"),
    description: "Bytes sent in requests",
};
pub const LATENCY: Key = Key {
    name: "latency",
    payload_type: "gauge",
    unit: Some("MilliSecond"),
    description: "Time to the first byte of the response",
};
pub const CONNECT_TIME: Key = Key {
    name: "connect_time",
    payload_type: "gauge",
    unit: Some("MilliSecond"),
    description: "Time to open the connection",
};
pub const USERS: Key = Key {
    name: "users",
    payload_type: "gauge",
    unit: Some("Count"),
    description: "Most concurrent virtual users (threads) during the test",
};
pub const REQUESTS_BY_CODE: Key = Key {
    name: "requests_by_code",
    payload_type: "count",
    unit: Some("Count"),
    description: "Requests by the response code the tool recorded",
};
