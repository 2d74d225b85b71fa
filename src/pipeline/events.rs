//! The events after the metrics (`--event`, `--sdlc-event`): sent with the run's client and
//! retry settings, or, in a dry run, kept for the output.

use std::io::Write;

use super::Pipeline;
use crate::cli::Verbosity;
use crate::config::EventSettings;
use crate::event::{self, Facts, Route};
use crate::model::Window;
use crate::printable::printable;
use crate::report::{EventReport, Report};

impl Pipeline<'_> {
    /// Sends the events `settings` ask for, over the load test's window or else `run`.
    pub(super) fn events(
        &self,
        settings: &EventSettings,
        report: &Report,
        run: Window,
        stderr: &mut dyn Write,
    ) -> Vec<EventReport> {
        let facts = Facts::of(report, run);
        let context = &self.config.context;
        let notes = std::cell::RefCell::new(Vec::new());
        let note = |line: String| notes.borrow_mut().push(line);
        let events = match (&self.config.destination, &self.client) {
            (Some(destination), Some(client)) => {
                // The metrics' stop at their deadline does not stop the events: the time after
                // it is theirs. A signal does.
                let deadline = self.deadline.map(|(at, _)| at);
                let sender = self.sender(destination, client, &self.signalled, deadline);
                let route = Route {
                    sender: &sender,
                    events_url: destination.events_url.as_ref(),
                    sdlc_url: destination.sdlc_url.as_ref().ok(),
                };
                event::send(settings, context, &facts, Some(route), &note)
            }
            _ => event::send(settings, context, &facts, None, &note),
        };
        if self.config.verbosity != Verbosity::Quiet {
            for line in notes.into_inner() {
                let _ = writeln!(stderr, "keptn-dt-metrics: {}", printable(&line));
            }
        }
        events
    }
}
