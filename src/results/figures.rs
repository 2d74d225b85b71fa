//! Figures of a run beyond its request labels (k6's checks, thresholds, the script's own
//! metrics, iterations): plain data a reader hands over, sent each under its own key with the
//! dimension `tool` after its own.

use std::sync::Arc;

use super::emit::Emitter;
use super::Job;
use crate::model::{Origin, Position, Value};

/// One figure: its key (after the section), what the key's metadata line says, its dimensions
/// (without `tool`) and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub name: String,
    pub payload_type: &'static str,
    pub unit: Option<&'static str>,
    pub description: String,
    pub dimensions: Vec<(String, String)>,
    pub value: Value,
}

impl Figure {
    /// A gauge.
    pub fn gauge(name: impl Into<String>, unit: Option<&'static str>, value: f64) -> Figure {
        Figure {
            name: name.into(),
            payload_type: "gauge",
            unit,
            description: String::new(),
            dimensions: Vec::new(),
            value: Value::Gauge(value),
        }
    }

    /// A delta counter.
    pub fn count(name: impl Into<String>, unit: Option<&'static str>, value: f64) -> Figure {
        Figure {
            payload_type: "count",
            value: Value::Count(value),
            ..Figure::gauge(name, unit, 0.0)
        }
    }

    pub fn described(mut self, description: impl Into<String>) -> Figure {
        self.description = description.into();
        self
    }

    pub fn with(mut self, key: &str, value: impl Into<String>) -> Figure {
        self.dimensions.push((key.to_owned(), value.into()));
        self
    }
}

impl Emitter {
    /// Sends `figure`, its place in the input named by its key and dimensions.
    pub fn figure(&mut self, job: &mut Job, figure: Figure) {
        let mut place = figure.name.clone();
        for (key, value) in &figure.dimensions {
            place.push_str(&format!(" {key}={value}"));
        }
        let origin = Origin::new(job.name, Position::Path(Arc::from(place)));
        let mut dimensions = figure.dimensions;
        dimensions.push(("tool".to_owned(), job.tool.to_owned()));
        let meta = (
            figure.payload_type,
            figure.unit,
            figure.description.as_str(),
        );
        self.keyed(job, &figure.name, meta, dimensions, figure.value, &origin);
    }
}
