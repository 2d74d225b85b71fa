//! The Keptn context as dimensions, for both generations of Keptn:
//! - the job-executor (Keptn v1, end of life) sets `KEPTN_PROJECT`, `KEPTN_STAGE`,
//!   `KEPTN_SERVICE`, `LABELS_*`, and whatever `job/config.yaml` maps from the event, e.g. the
//!   sequence's context ID as `KEPTN_CONTEXT`;
//! - today's Keptn (formerly the Lifecycle Toolkit) sets only `KEPTN_CONTEXT`, to the JSON of the
//!   task's context: app, workload, their versions, the task and object type, and metadata.
//!
//! Either becomes the dimensions every line and histogram point carries, and the OTLP resource
//! attributes.

use std::collections::BTreeMap;

use anyhow::{bail, Result};
use serde::Deserialize;

/// The context a Keptn task runs in, as its environment and flags gave it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    pub project: Option<String>,
    pub stage: Option<String>,
    pub service: Option<String>,
    pub keptn_context: Option<KeptnContext>,
    pub event_type: Option<String>,
    /// Event labels, keys lowercased, in precedence order (later wins).
    pub labels: Vec<(String, String)>,
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
    /// `ci_platform=keptn`, then the context's dimensions, then the task context's metadata and
    /// one per label: empty values add nothing.
    pub fn dimensions(&self) -> Vec<(String, String)> {
        let mut dimensions = vec![("ci_platform".to_owned(), "keptn".to_owned())];
        let mut add = |key: &str, value: Option<&str>| {
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                crate::model::set_pair(&mut dimensions, key.to_owned(), value.to_owned());
            }
        };
        add("keptn_project", self.project.as_deref());
        add("keptn_stage", self.stage.as_deref());
        add("keptn_service", self.service.as_deref());
        match &self.keptn_context {
            Some(KeptnContext::Id(id)) => add("keptn_context", Some(id)),
            Some(KeptnContext::Task(task)) => {
                add("keptn_app", Some(&task.app_name));
                add("keptn_app_version", Some(&task.app_version));
                add("keptn_workload", Some(&task.workload_name));
                add("keptn_workload_version", Some(&task.workload_version));
                add("keptn_task_type", Some(&task.task_type));
                add("keptn_object_type", Some(&task.object_type));
            }
            None => {}
        }
        add("keptn_event_type", self.event_type.as_deref());
        if let Some(KeptnContext::Task(task)) = &self.keptn_context {
            for (key, value) in &task.metadata {
                add(key, Some(value));
            }
        }
        for (key, value) in &self.labels {
            add(key, Some(value));
        }
        dimensions
    }

    /// OTLP resource attributes besides the dimensions, by OpenTelemetry's names: the service
    /// (the job-executor's service, or today's workload, else app) with its version, and the
    /// stage as `deployment.environment`.
    pub fn resource_attributes(&self) -> Vec<(String, String)> {
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
            labels: vec![pair("buildid", "7"), pair("keptn_stage", "label")],
        };
        assert_eq!(
            context.dimensions(),
            vec![
                pair("ci_platform", "keptn"),
                pair("keptn_project", "sockshop"),
                pair("keptn_stage", "label"),
                pair("keptn_service", "carts"),
                pair("keptn_context", "ctx-1"),
                pair("keptn_event_type", "sh.keptn.event.test.triggered"),
                pair("buildid", "7"),
            ]
        );
        assert_eq!(
            context.resource_attributes(),
            vec![
                pair("service.name", "carts"),
                pair("deployment.environment", "dev")
            ]
        );
    }

    const TASK_CONTEXT: &str = r#"{"workloadName":"carts","appName":"sockshop","appVersion":"1.0.0",
        "workloadVersion":"0.2.1","taskType":"post","objectType":"Workload",
        "metadata":{"stage":"prod","commit":"abc123"}}"#;

    #[test]
    fn todays_keptn_task_context_becomes_dimensions_and_empty_fields_add_nothing() {
        let context = Context {
            keptn_context: KeptnContext::parse(TASK_CONTEXT).unwrap(),
            labels: vec![pair("commit", "from-label")],
            ..Context::default()
        };
        assert_eq!(
            context.dimensions(),
            vec![
                pair("ci_platform", "keptn"),
                pair("keptn_app", "sockshop"),
                pair("keptn_app_version", "1.0.0"),
                pair("keptn_workload", "carts"),
                pair("keptn_workload_version", "0.2.1"),
                pair("keptn_task_type", "post"),
                pair("keptn_object_type", "Workload"),
                pair("commit", "from-label"),
                pair("stage", "prod"),
            ]
        );
        assert_eq!(
            context.resource_attributes(),
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
            app.dimensions(),
            vec![
                pair("ci_platform", "keptn"),
                pair("keptn_app", "shop"),
                pair("keptn_task_type", "pre"),
                pair("keptn_object_type", "App"),
            ]
        );
        assert_eq!(
            app.resource_attributes(),
            vec![pair("service.name", "shop")]
        );
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
