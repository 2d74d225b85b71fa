//! GitHub Actions: the variables every step's environment has.

use serde::Deserialize;

use super::{CiContext, RunInfo};

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Variables {
    pub github_actions: Option<String>,
    pub github_repository: Option<String>,
    pub github_workflow: Option<String>,
    pub github_ref_name: Option<String>,
    /// The source branch of a pull request (where `GITHUB_REF_NAME` is `<number>/merge`).
    pub github_head_ref: Option<String>,
    pub github_job: Option<String>,
    pub github_run_id: Option<String>,
    pub github_run_number: Option<String>,
    pub github_run_attempt: Option<String>,
    pub github_sha: Option<String>,
    pub github_server_url: Option<String>,
    /// The file a step appends its outputs to (`name=value` lines).
    pub github_output: Option<std::path::PathBuf>,
}

impl Variables {
    pub fn detected(&self) -> bool {
        self.github_actions.as_deref() == Some("true")
    }

    pub fn context(&self) -> CiContext {
        let mut ci = CiContext::default();
        ci.add(
            "ci_repository",
            &self.github_repository,
            "GITHUB_REPOSITORY",
        );
        ci.add("ci_pipeline", &self.github_workflow, "GITHUB_WORKFLOW");
        match &self.github_head_ref {
            Some(_) => ci.add("ci_branch", &self.github_head_ref, "GITHUB_HEAD_REF"),
            None => ci.add("ci_branch", &self.github_ref_name, "GITHUB_REF_NAME"),
        }
        ci.add("ci_job", &self.github_job, "GITHUB_JOB");
        let run_url = match (
            &self.github_server_url,
            &self.github_repository,
            &self.github_run_id,
        ) {
            (Some(server), Some(repository), Some(id)) => Some(format!(
                "{}/{repository}/actions/runs/{id}",
                server.trim_end_matches('/')
            )),
            _ => None,
        };
        ci.run = RunInfo {
            run_id: self.github_run_id.clone(),
            run_number: self.github_run_number.clone(),
            run_attempt: self.github_run_attempt.clone(),
            commit: self.github_sha.clone(),
            run_url,
            ..RunInfo::default()
        };
        ci
    }
}
