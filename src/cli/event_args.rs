//! The event options: the Dynatrace event sent after the metrics, which starts a Workflow (the
//! Site Reliability Guardian) on the run's window. Flattened into [`super::Cli`]; their
//! variables are read in [`super::environment`] and applied in `Cli::take`.

use clap::{ArgAction, Args, ValueEnum};
use serde::Serialize;

/// The event types the Events API v2 takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum, Serialize)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventType {
    #[default]
    CustomInfo,
    CustomDeployment,
    CustomAnnotation,
    CustomConfiguration,
    CustomAlert,
    AvailabilityEvent,
    ErrorEvent,
    PerformanceEvent,
    ResourceContentionEvent,
    MarkedForTermination,
}

impl EventType {
    /// As the API and the command line write it: `CUSTOM_INFO`.
    pub fn name(self) -> String {
        self.to_possible_value()
            .map(|v| v.get_name().to_owned())
            .unwrap_or_default()
    }

    /// Every name, for a message.
    pub fn names() -> String {
        EventType::value_variants()
            .iter()
            .map(|t| t.name())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(Debug, Clone, Default, Args)]
pub struct EventArgs {
    /// After the metrics, send a Dynatrace event (Events API v2) [env: DT_EVENT]
    ///
    /// POST {tenant}/api/v2/events/ingest, token scope events.ingest: the event a Workflow
    /// starts on to evaluate the Site Reliability Guardian over the run's window (a load test's
    /// own window when --results gives one), with the context and the run's summary as
    /// properties. Refused or unanswered while the metrics were accepted: exit code 4.
    #[arg(long, action = ArgAction::SetTrue, help_heading = "Event")]
    pub event: bool,

    /// The event's type [env: DT_EVENT_TYPE]
    ///
    /// CUSTOM_DEPLOYMENT for a deployment task (the SDLC event is then a deployment, not a
    /// test).
    #[arg(long, value_enum, ignore_case = true, default_value_t = EventType::CustomInfo, value_name = "TYPE", help_heading = "Event")]
    pub event_type: EventType,

    /// The event's title [env: DT_EVENT_TITLE]
    ///
    /// [default: "keptn-dt-metrics: load test of <app> accepted", from the context and the
    /// outcome]
    #[arg(long, value_name = "TEXT", help_heading = "Event")]
    pub event_title: Option<String>,

    /// A property of the event, KEY=VALUE (repeatable) [env: DT_EVENT_PROPERTIES]
    ///
    /// Merged with DT_EVENT_PROPERTIES's comma-separated KEY=VALUE pairs (the flag wins
    /// on the same key); a key the context or the summary also gives is the user's, with a note.
    #[arg(
        long = "event-property",
        value_name = "KEY=VALUE",
        help_heading = "Event"
    )]
    pub event_properties: Vec<String>,

    /// The entities the event attaches to [env: DT_EVENT_ENTITY_SELECTOR]
    ///
    /// E.g. 'type(SERVICE),entityName.equals(checkout)'; without it, the environment.
    #[arg(long, value_name = "SELECTOR", help_heading = "Event")]
    pub event_entity_selector: Option<String>,

    /// Also send an OpenPipeline SDLC event (SaaS only) [env: DT_SDLC_EVENT]
    ///
    /// POST {tenant}/platform/ingest/v1/events.sdlc, token scope openpipeline.events_sdlc:
    /// event.type test (deployment with CUSTOM_DEPLOYMENT), event.status finished, what a
    /// Workflow's trigger filters on.
    #[arg(long, action = ArgAction::SetTrue, help_heading = "Event")]
    pub sdlc_event: bool,

    /// DT_EVENT_PROPERTIES, merged with --event-property.
    #[arg(skip)]
    pub env_properties: Option<String>,
}

impl EventArgs {
    /// An event of either kind is to be sent.
    pub fn any(&self) -> bool {
        self.event || self.sdlc_event
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_are_named_as_the_api_names_them() {
        assert_eq!(EventType::CustomDeployment.name(), "CUSTOM_DEPLOYMENT");
        assert_eq!(
            serde_json::to_value(EventType::ResourceContentionEvent).unwrap(),
            "RESOURCE_CONTENTION_EVENT"
        );
        assert_eq!(
            EventType::from_str("custom_annotation", true),
            Ok(EventType::CustomAnnotation)
        );
        assert!(EventType::names().starts_with("CUSTOM_INFO, CUSTOM_DEPLOYMENT"));
    }
}
