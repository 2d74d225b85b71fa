//! What the report says of the run's setup: the context it was found in, and the warnings of
//! the configuration (dimensions changed, the tenant URL), listed before the inputs' own.

use std::io::Write;

use serde::Serialize;

use super::{Report, WarningReport};
use crate::context::Context;
use crate::model::Warning;

/// Which context was read: `{"platform": "github_actions", "read_from": "GITHUB_ACTIONS=true"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContextReport {
    pub platform: String,
    pub read_from: String,
}

impl Report {
    /// Adds the setup: the context, and `warnings` before the others, within `limit`.
    pub fn add_setup(&mut self, context: &Context, warnings: &[Warning], limit: usize) {
        self.context = Some(ContextReport {
            platform: context.platform.clone(),
            read_from: context.read_from.clone(),
        });
        let lines = &mut self.lines;
        let setup = warnings.iter().map(|w| WarningReport {
            line: None,
            input: Some(w.origin.to_string()),
            warning: w.text.clone(),
            source: "local",
            code: w.code,
        });
        lines.warnings.splice(0..0, setup);
        let over = lines.warnings.len().saturating_sub(limit);
        lines.warnings.truncate(limit);
        lines.warnings_unlisted += over as u64;
    }

    pub(super) fn write_context(&self, out: &mut dyn Write, quiet: bool) -> std::io::Result<()> {
        match (&self.context, quiet) {
            (Some(context), false) => {
                writeln!(out, "context: {} ({})", context.platform, context.read_from)
            }
            _ => Ok(()),
        }
    }
}
