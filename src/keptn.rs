//! The Keptn context as dimensions: what the job-executor sets in the task's environment
//! (`KEPTN_PROJECT`, `KEPTN_STAGE`, `KEPTN_SERVICE`, `LABELS_*`, and what `job/config.yaml`
//! maps from the event), as the dimensions every line and histogram point carries, and the
//! OTLP resource attributes.

/// The context a Keptn task runs in, as its environment and flags gave it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    pub project: Option<String>,
    pub stage: Option<String>,
    pub service: Option<String>,
    /// The job-executor's context ID of the sequence (`$.shkeptncontext`).
    pub context_id: Option<String>,
    pub event_type: Option<String>,
    /// Event labels, keys lowercased, in precedence order (later wins).
    pub labels: Vec<(String, String)>,
}

impl Context {
    /// `ci_platform=keptn`, then the context's dimensions, then one per label.
    pub fn dimensions(&self) -> Vec<(String, String)> {
        let mut dimensions = vec![("ci_platform".to_owned(), "keptn".to_owned())];
        let fields = [
            ("keptn_project", &self.project),
            ("keptn_stage", &self.stage),
            ("keptn_service", &self.service),
            ("keptn_context", &self.context_id),
            ("keptn_event_type", &self.event_type),
        ];
        for (key, value) in fields {
            if let Some(value) = value {
                dimensions.push((key.to_owned(), value.clone()));
            }
        }
        crate::model::merge_pairs(&mut dimensions, self.labels.clone());
        dimensions
    }

    /// OTLP resource attributes besides the dimensions: `service.name` and
    /// `deployment.environment`, the OpenTelemetry names for service and stage.
    pub fn resource_attributes(&self) -> Vec<(String, String)> {
        [
            ("service.name", &self.service),
            ("deployment.environment", &self.stage),
        ]
        .into_iter()
        .filter_map(|(key, value)| Some((key.to_owned(), value.clone()?)))
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
            context_id: Some("ctx-1".into()),
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

    #[test]
    fn no_context_is_just_the_platform() {
        assert_eq!(
            Context::default().dimensions(),
            vec![pair("ci_platform", "keptn")]
        );
        assert!(Context::default().resource_attributes().is_empty());
    }
}
