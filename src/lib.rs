//! keptn-dt-metrics: a Keptn task's numbers to Dynatrace, with an honest report.
//!
//! Data flows one way: [`cli`] → [`config`] (with [`destination`], [`context`],
//! [`enrichment`], [`run_dimensions`]) → [`input`] → [`encode`] (line protocol) and [`otlp`] (histograms, [`histogram`]), both by
//! the rules of [`normalize`] → [`send`] → [`report`], driven by [`pipeline`]. [`model`] holds
//! the plain data in between.

pub mod cli;
pub mod config;
pub mod context;
pub mod destination;
pub mod encode;
pub mod enrichment;
pub mod event;
pub mod histogram;
pub mod input;
pub mod model;
pub mod normalize;
pub mod otlp;
pub mod pipeline;
pub mod printable;
pub mod proxy;
pub mod report;
pub mod results;
pub mod run_dimensions;
pub mod secret;
pub mod send;
pub mod sink;
pub mod tenant;
