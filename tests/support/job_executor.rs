//! `job/config.yaml` as the Keptn job-executor-service (0.3.0) reads it: its config structs
//! (pkg/config/config.go) field for field, parsed as strictly as Go's `yaml.UnmarshalStrict`.

use std::collections::BTreeMap;

use serde::Deserialize;

pub const CONFIG_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/job/config.yaml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Config {
    pub api_version: String,
    pub actions: Vec<Action>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub name: String,
    pub events: Vec<Event>,
    pub silent: Option<bool>,
    pub tasks: Vec<Task>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub name: String,
    pub jsonpath: Option<JsonPath>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct JsonPath {
    pub property: String,
    #[serde(rename = "match")]
    pub match_: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)] // fields exist to be accepted by the strict parse
pub struct Task {
    pub name: String,
    pub image: String,
    pub image_pull_policy: Option<String>,
    pub cmd: Option<Vec<String>>,
    pub args: Option<Vec<String>>,
    pub working_dir: Option<String>,
    pub files: Option<Vec<String>>,
    pub env: Option<Vec<Env>>,
    pub resources: Option<Resources>,
    pub max_poll_duration: Option<i64>,
    pub namespace: Option<String>,
    pub ttl_seconds_after_finished: Option<i32>,
    pub security_context: Option<serde_yaml_ng::Value>,
    pub service_account: Option<String>,
    pub annotations: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Env {
    pub name: String,
    pub value: Option<String>,
    pub value_from: Option<String>,
    #[serde(rename = "as")]
    pub as_: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct Resources {
    pub limits: Option<ResourceList>,
    pub requests: Option<ResourceList>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ResourceList {
    pub cpu: Option<String>,
    pub memory: Option<String>,
}

pub fn parse(yaml: &str) -> Result<Config, serde_yaml_ng::Error> {
    serde_yaml_ng::from_str(yaml)
}

pub fn config() -> Config {
    let text = std::fs::read_to_string(CONFIG_PATH).expect("job/config.yaml is readable");
    parse(&text)
        .unwrap_or_else(|e| panic!("job/config.yaml: the job-executor would reject it: {e}"))
}

pub fn tasks(config: &Config) -> impl Iterator<Item = &Task> {
    config.actions.iter().flat_map(|a| &a.tasks)
}

pub fn envs(task: &Task) -> &[Env] {
    task.env.as_deref().unwrap_or_default()
}
