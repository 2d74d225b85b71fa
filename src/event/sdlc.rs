//! The OpenPipeline SDLC event: one flat JSON object with the dotted keys of Dynatrace's
//! semantic dictionary, what a Workflow's trigger filters on (`event.provider`, `event.type`,
//! `event.category`, `event.status`), the window as `start_time`/`end_time` (ISO 8601, UTC) and
//! `duration` (nanoseconds), the pipeline and task from the context; then the same properties
//! as the Events API event, where they do not take a dictionary key.

use std::time::{Duration, UNIX_EPOCH};

use serde_json::{json, Map, Value as Json};

use super::Facts;
use crate::cli::EventType;
use crate::config::EventSettings;
use crate::context::Context;

pub const PROVIDER: &str = "keptn-dt-metrics";

/// The SDLC event's body.
pub fn event(
    settings: &EventSettings,
    context: &Context,
    facts: &Facts,
    properties: &[(String, String)],
) -> Json {
    let dimension = |key: &str| {
        context
            .dimensions
            .iter()
            .find(|d| d.key == key)
            .map(|d| d.value.clone())
    };
    let first = |keys: &[&str]| keys.iter().find_map(|key| dimension(key));
    let kind = match settings.event_type {
        EventType::CustomDeployment => "deployment",
        _ => "test",
    };
    let Facts { window, .. } = facts;
    let mut body = Map::new();
    let mut put = |key: &str, value: Json| {
        body.insert(key.to_owned(), value);
    };
    put("event.provider", json!(PROVIDER));
    put("event.type", json!(kind));
    put("event.category", json!("task"));
    put("event.status", json!("finished"));
    put("start_time", json!(iso_8601(window.start_ns)));
    put("end_time", json!(iso_8601(window.end_ns)));
    put(
        "duration",
        json!(window.end_ns.saturating_sub(window.start_ns)),
    );
    let run = &context.run;
    let texts = [
        (
            "task.name",
            first(&["ci_job", "keptn_task_type"]).or(Some(PROVIDER.to_owned())),
        ),
        ("cicd.pipeline.name", first(&["ci_pipeline", "keptn_app"])),
        ("cicd.pipeline.run.id", run.run_id.clone()),
        ("cicd.pipeline.run.url.full", run.run_url.clone()),
        ("vcs.repository.name", dimension("ci_repository")),
        ("vcs.ref.head.name", dimension("ci_branch")),
        ("vcs.ref.head.revision", run.commit.clone()),
        (
            "service",
            first(&["keptn_service", "keptn_workload", "keptn_app"]),
        ),
        ("ci_platform", Some(context.platform.clone())),
    ];
    for (key, value) in texts {
        if let Some(value) = value {
            put(key, json!(value));
        }
    }
    for (key, value) in properties {
        body.entry(key.clone()).or_insert_with(|| json!(value));
    }
    Json::Object(body)
}

/// Nanoseconds since 1970 as ISO 8601 with milliseconds: `2026-11-22T08:00:00.000Z`.
fn iso_8601(ns: u64) -> String {
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_nanos(ns)).to_string()
}
