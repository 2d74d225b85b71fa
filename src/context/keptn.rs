//! The Keptn context as dimensions, for both generations of Keptn:
//! - the job-executor (Keptn v1, end of life) sets `KEPTN_PROJECT`, `KEPTN_STAGE`,
//!   `KEPTN_SERVICE`, `LABELS_*`, and whatever `job/config.yaml` maps from the event, e.g. the
//!   sequence's context ID as `KEPTN_CONTEXT`;
//! - today's Keptn (formerly the Lifecycle Toolkit) sets only `KEPTN_CONTEXT`, to the JSON of the
//!   task's context: app, workload, their versions, the task and object type, and metadata.
//!
//! Either becomes the dimensions every line and histogram point carries, and the OTLP resource
//! attributes. The task context's metadata ranks with the labels (it is the user's, from the
//! `KeptnAppContext`), except the trace context Keptn adds to it (`traceparent`, `tracestate`,
//! `baggage`: keptn/lifecycle-toolkit `lifecycle-operator/controllers/common/task/handler.go`,
//! `injectKeptnContext`), which is the run's and never a dimension.

use std::collections::BTreeMap;

use anyhow::{bail, Result};
use serde::Deserialize;

use super::RunInfo;
use crate::model::RunDimension;

/// The context a Keptn task runs in, as its environment and flags gave it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    pub project: Option<String>,
    pub stage: Option<String>,
    pub service: Option<String>,
    pub keptn_context: Option<KeptnContext>,
    pub event_type: Option<String>,
}

/// What a Keptn context gives the run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Read {
    /// The context's own dimensions (`keptn_*`), without `ci_platform`.
    pub dimensions: Vec<RunDimension>,
    /// Today's Keptn's metadata, the trace context left out.
    pub metadata: Vec<RunDimension>,
    pub run: RunInfo,
    pub resource_attributes: Vec<(String, String)>,
}

/// What `KEPTN_CONTEXT` holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeptnContext {
    /// The job-executor's context ID of the sequence (`$.shkeptncontext`).
    Id(String),
    /// Today's Keptn's task context.
    Task(TaskContext),
}

/// The JSON today's Keptn writes into `KEPTN_CONTEXT` for a container task (`TaskContext` in
/// keptn/lifecycle-toolkit `lifecycle-operator/apis/lifecycle/v1/keptntask_types.go`): every
/// string always there, maybe empty; `metadata` left out when empty. Fields a later Keptn may
/// add are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TaskContext {
    pub workload_name: String,
    pub app_name: String,
    pub app_version: String,
    pub workload_version: String,
    pub task_type: String,
    pub object_type: String,
    pub metadata: BTreeMap<String, String>,
}

impl KeptnContext {
    /// Reads `KEPTN_CONTEXT` (or `--keptn-context`): a JSON object is today's Keptn's task
    /// context, anything else the job-executor's context ID.
    pub fn parse(raw: &str) -> Result<Option<KeptnContext>> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        if !raw.starts_with('{') {
            return Ok(Some(KeptnContext::Id(raw.to_owned())));
        }
        match serde_json::from_str::<TaskContext>(raw) {
            Ok(task) => Ok(Some(KeptnContext::Task(task))),
            Err(error) => bail!(
                "KEPTN_CONTEXT starts with `{{` but is not the JSON today's Keptn gives container \
                 tasks ({{\"workloadName\": \"..\", \"appName\": \"..\", \"appVersion\": \"..\", \
                 \"workloadVersion\": \"..\", \"taskType\": \"..\", \"objectType\": \"..\", \
                 \"metadata\": {{\"key\": \"value\"}}}}): {error}; for the job-executor, set it to \
                 the sequence's context ID ($.shkeptncontext)"
            ),
        }
    }
}

impl Context {
    /// Whether anything of a Keptn context was given, of either generation.
    pub fn is_given(&self) -> bool {
        self.project.is_some()
            || self.stage.is_some()
            || self.service.is_some()
            || self.keptn_context.is_some()
            || self.event_type.is_some()
    }

    /// For the report: which generation's context was read.
    pub fn read_from(&self) -> &'static str {
        match &self.keptn_context {
            Some(KeptnContext::Task(_)) => "KEPTN_CONTEXT, today's Keptn",
            _ => "KEPTN_* of the job-executor",
        }
    }

    /// The context's dimensions in a fixed order, its metadata, its run: empty values add
    /// nothing.
    pub fn read(&self) -> Read {
        let mut read = Read {
            resource_attributes: self.resource_attributes(),
            ..Read::default()
        };
        let mut add = |key: &str, value: Option<&str>, source: &str| {
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                read.dimensions.push(RunDimension::new(key, value, source));
            }
        };
        add("keptn_project", self.project.as_deref(), "KEPTN_PROJECT");
        add("keptn_stage", self.stage.as_deref(), "KEPTN_STAGE");
        add("keptn_service", self.service.as_deref(), "KEPTN_SERVICE");
        match &self.keptn_context {
            Some(KeptnContext::Id(id)) => add("keptn_context", Some(id), "KEPTN_CONTEXT"),
            Some(KeptnContext::Task(task)) => {
                let fields = [
                    ("keptn_app", &task.app_name, "appName"),
                    ("keptn_app_version", &task.app_version, "appVersion"),
                    ("keptn_workload", &task.workload_name, "workloadName"),
                    (
                        "keptn_workload_version",
                        &task.workload_version,
                        "workloadVersion",
                    ),
                    ("keptn_task_type", &task.task_type, "taskType"),
                    ("keptn_object_type", &task.object_type, "objectType"),
                ];
                for (key, value, field) in fields {
                    add(key, Some(value), &format!("KEPTN_CONTEXT {field}"));
                }
            }
            None => {}
        }
        add(
            "keptn_event_type",
            self.event_type.as_deref(),
            "KEPTN_EVENT_TYPE",
        );
        if let Some(KeptnContext::Task(task)) = &self.keptn_context {
            for (key, value) in &task.metadata {
                let trace = match key.as_str() {
                    "traceparent" => Some(&mut read.run.traceparent),
                    "tracestate" => Some(&mut read.run.tracestate),
                    "baggage" => Some(&mut read.run.baggage),
                    _ => None,
                };
                match trace {
                    Some(slot) => *slot = Some(value.clone()),
                    None if value.is_empty() => {}
                    None => read.metadata.push(RunDimension::new(
                        key,
                        value,
                        format!("KEPTN_CONTEXT metadata.{key}"),
                    )),
                }
            }
        }
        read
    }

    /// OTLP resource attributes besides the dimensions, by OpenTelemetry's names: the service
    /// (the job-executor's service, or today's workload, else app) with its version, and the
    /// stage as `deployment.environment`.
    fn resource_attributes(&self) -> Vec<(String, String)> {
        let task = match &self.keptn_context {
            Some(KeptnContext::Task(task)) => Some(task),
            _ => None,
        };
        let non_empty = |s: &String| (!s.is_empty()).then(|| s.clone());
        let (service, version) = match task {
            Some(task) if !task.workload_name.is_empty() => (
                non_empty(&task.workload_name),
                non_empty(&task.workload_version),
            ),
            Some(task) => (non_empty(&task.app_name), non_empty(&task.app_version)),
            None => (self.service.clone(), None),
        };
        [
            ("service.name", service),
            ("service.version", version),
            ("deployment.environment", self.stage.clone()),
        ]
        .into_iter()
        .filter_map(|(key, value)| Some((key.to_owned(), value?)))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(dimensions: &[RunDimension]) -> Vec<(&str, &str)> {
        dimensions
            .iter()
            .map(|d| (d.key.as_str(), d.value.as_str()))
            .collect()
    }

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn job_executor_context_becomes_dimensions_in_a_fixed_order() {
        let context = Context {
            project: Some("sockshop".into()),
            stage: Some("dev".into()),
            service: Some("carts".into()),
            keptn_context: KeptnContext::parse("ctx-1").unwrap(),
            event_type: Some("sh.keptn.event.test.triggered".into()),
        };
        let read = context.read();
        assert_eq!(
            pairs(&read.dimensions),
            vec![
                ("keptn_project", "sockshop"),
                ("keptn_stage", "dev"),
                ("keptn_service", "carts"),
                ("keptn_context", "ctx-1"),
                ("keptn_event_type", "sh.keptn.event.test.triggered"),
            ]
        );
        assert_eq!(read.dimensions[1].source, "KEPTN_STAGE");
        assert_eq!(
            read.resource_attributes,
            vec![
                pair("service.name", "carts"),
                pair("deployment.environment", "dev")
            ]
        );
        assert_eq!(context.read_from(), "KEPTN_* of the job-executor");
    }

    const TASK_CONTEXT: &str = r#"{"workloadName":"carts","appName":"sockshop","appVersion":"1.0.0",
        "workloadVersion":"0.2.1","taskType":"post","objectType":"Workload",
        "metadata":{"stage":"prod","commit":"abc123",
                    "traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}"#;

    #[test]
    fn todays_keptn_task_context_becomes_dimensions_metadata_and_the_trace_context_the_runs() {
        let context = Context {
            keptn_context: KeptnContext::parse(TASK_CONTEXT).unwrap(),
            ..Context::default()
        };
        let read = context.read();
        assert_eq!(
            pairs(&read.dimensions),
            vec![
                ("keptn_app", "sockshop"),
                ("keptn_app_version", "1.0.0"),
                ("keptn_workload", "carts"),
                ("keptn_workload_version", "0.2.1"),
                ("keptn_task_type", "post"),
                ("keptn_object_type", "Workload"),
            ]
        );
        assert_eq!(
            pairs(&read.metadata),
            vec![("commit", "abc123"), ("stage", "prod")]
        );
        assert_eq!(read.metadata[0].source, "KEPTN_CONTEXT metadata.commit");
        assert_eq!(
            read.run.traceparent.as_deref(),
            Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        );
        assert_eq!(
            read.resource_attributes,
            vec![
                pair("service.name", "carts"),
                pair("service.version", "0.2.1")
            ]
        );
        let empty = r#"{"workloadName":"","appName":"shop","appVersion":"","workloadVersion":"",
                        "taskType":"pre","objectType":"App"}"#;
        let app = Context {
            keptn_context: KeptnContext::parse(empty).unwrap(),
            ..Context::default()
        };
        assert_eq!(
            pairs(&app.read().dimensions),
            vec![
                ("keptn_app", "shop"),
                ("keptn_task_type", "pre"),
                ("keptn_object_type", "App"),
            ]
        );
        assert_eq!(
            app.read().resource_attributes,
            vec![pair("service.name", "shop")]
        );
        assert_eq!(app.read_from(), "KEPTN_CONTEXT, today's Keptn");
    }

    #[test]
    fn a_context_that_starts_as_json_but_is_not_the_task_context_says_what_was_expected() {
        for raw in ["{not json", r#"{"appName": 7}"#, r#"{"metadata": ["x"]}"#] {
            let error = format!("{:#}", KeptnContext::parse(raw).unwrap_err());
            assert!(error.contains("KEPTN_CONTEXT starts with `{`"), "{error}");
            assert!(error.contains("\"workloadName\""), "{error}");
        }
        assert_eq!(KeptnContext::parse("  ").unwrap(), None);
        assert_eq!(
            KeptnContext::parse("a1b2-c3").unwrap(),
            Some(KeptnContext::Id("a1b2-c3".into()))
        );
    }
}
