//! The pipeline files of deploy/ and action.yml, read strictly: every key the file uses is one
//! the platform documents at that place, and none other is allowed (a typo fails the test).

use std::collections::BTreeMap;

use serde::Deserialize;

pub fn read<T: for<'de> Deserialize<'de>>(path: &str) -> T {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    serde_yaml_ng::from_str(&text)
        .unwrap_or_else(|e| panic!("{path} is not as the platform reads it: {e}"))
}

/// GitHub's action metadata (`action.yml`) for a container action.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub name: String,
    pub description: String,
    pub author: Option<String>,
    pub branding: Option<Branding>,
    pub inputs: BTreeMap<String, ActionInput>,
    pub outputs: BTreeMap<String, ActionOutput>,
    pub runs: ActionRuns,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Branding {
    pub icon: String,
    pub color: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    pub description: String,
    pub required: Option<bool>,
    pub default: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionOutput {
    pub description: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionRuns {
    pub using: String,
    pub image: String,
    pub entrypoint: Option<String>,
    pub args: Vec<String>,
}

/// A GitLab CI job (the keys this template uses).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitlabJob {
    pub image: GitlabImage,
    pub variables: BTreeMap<String, String>,
    pub script: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitlabImage {
    pub name: String,
    pub entrypoint: Vec<String>,
}

/// Azure Pipelines: jobs of script steps in a container.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AzurePipeline {
    pub jobs: Vec<AzureJob>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AzureJob {
    pub job: String,
    pub container: String,
    pub steps: Vec<AzureStep>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AzureStep {
    pub script: String,
    pub display_name: String,
    pub env: BTreeMap<String, String>,
}

/// Kubernetes objects: the fields these files use, as the API names them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Object<Spec> {
    pub api_version: String,
    pub kind: String,
    pub metadata: Metadata,
    pub spec: Spec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisTemplateSpec {
    pub args: Vec<Named>,
    pub metrics: Vec<AnalysisMetric>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Named {
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisMetric {
    pub name: String,
    pub count: Option<u32>,
    pub provider: Provider,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    pub job: JobProvider,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobProvider {
    pub spec: JobSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct JobSpec {
    pub backoff_limit: u32,
    pub active_deadline_seconds: u64,
    pub template: PodTemplate,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PodTemplate {
    pub spec: PodSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PodSpec {
    pub restart_policy: String,
    pub automount_service_account_token: bool,
    pub containers: Vec<Container>,
    pub volumes: Vec<serde_yaml_ng::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Container {
    pub name: String,
    pub image: String,
    pub args: Vec<String>,
    pub env: Vec<EnvVar>,
    #[serde(default)]
    pub volume_mounts: Vec<VolumeMount>,
    pub security_context: serde_yaml_ng::Value,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EnvVar {
    pub name: String,
    pub value: Option<String>,
    pub value_from: Option<ValueFrom>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ValueFrom {
    pub secret_key_ref: SecretKeyRef,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretKeyRef {
    pub name: String,
    pub key: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VolumeMount {
    pub name: String,
    pub mount_path: String,
    pub read_only: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskSpec {
    pub description: String,
    pub params: Vec<TaskParam>,
    pub workspaces: Vec<Workspace>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TaskParam {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub description: String,
    pub default: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Workspace {
    pub name: String,
    pub read_only: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Step {
    pub name: String,
    pub image: String,
    pub args: Vec<String>,
    pub env: Vec<EnvVar>,
    pub security_context: serde_yaml_ng::Value,
}
