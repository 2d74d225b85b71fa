//! Where an item came from: the input and the place in it, as the user would look for it.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

/// Where something came from, as the user would look for it: `metrics.json $[2]`,
/// `lines.txt:7`, `--metric #1`. The input's name is shared, so an origin is cheap to copy.
#[derive(Debug, PartialEq, Eq)]
pub struct Origin {
    pub input: Arc<str>,
    pub at: Position,
}

impl Clone for Origin {
    fn clone(&self) -> Origin {
        Origin {
            input: Arc::clone(&self.input),
            at: self.at.clone(),
        }
    }

    /// Keeps the name when it is the same one: no count shared between threads is touched.
    fn clone_from(&mut self, source: &Origin) {
        if !Arc::ptr_eq(&self.input, &source.input) {
            self.input = Arc::clone(&source.input);
        }
        self.at.clone_from(&source.at);
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// The input as a whole.
    Whole,
    /// A 1-based line of a text input.
    Line(u64),
    /// An entry of a JSON list: `path` is `$`, `$.metrics` or `$.histograms`.
    Entry { path: &'static str, index: u64 },
    /// The n-th (1-based) use of a repeatable flag, e.g. `--metric #2`.
    Argument(u32),
    /// A JSON path that is not an entry of a list, e.g. `$.dimensions`.
    Path(Arc<str>),
}

impl Origin {
    pub fn new(input: &Arc<str>, at: Position) -> Origin {
        Origin {
            input: Arc::clone(input),
            at,
        }
    }

    /// An origin for an input as a whole.
    pub fn whole(input: impl Into<Arc<str>>) -> Origin {
        Origin {
            input: input.into(),
            at: Position::Whole,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.at {
            Position::Whole => write!(f, "{}", self.input),
            Position::Line(line) => write!(f, "{}:{line}", self.input),
            Position::Entry { path, index } => write!(f, "{} {path}[{index}]", self.input),
            Position::Argument(n) => write!(f, "{} #{n}", self.input),
            Position::Path(path) => write!(f, "{} {path}", self.input),
        }
    }
}

impl Serialize for Origin {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}
