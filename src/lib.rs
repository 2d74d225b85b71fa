//! keptn-dt-metrics: a Keptn task's numbers to Dynatrace, with an honest report.
//!
//! Data flows one way: [`config`] → [`input`] → [`encode`] → [`send`] → [`report`].

pub mod config;
pub mod encode;
pub mod enrichment;
pub mod histogram;
pub mod input;
pub mod lineproto;
pub mod model;
pub mod normalize;
pub mod otlp;
pub mod report;
pub mod secret;
pub mod send;
