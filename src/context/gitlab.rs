//! GitLab CI: the predefined variables of a job. A GitLab pipeline has no stable name of its
//! own (`workflow:name`, when set, often holds per-run values such as the commit title), so no
//! `ci_pipeline` is made up; the job and its environment are.

use serde::Deserialize;

use super::{CiContext, RunInfo};

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Variables {
    pub gitlab_ci: Option<String>,
    pub ci_project_path: Option<String>,
    pub ci_commit_ref_name: Option<String>,
    pub ci_job_name: Option<String>,
    pub ci_environment_name: Option<String>,
    pub ci_pipeline_id: Option<String>,
    pub ci_pipeline_iid: Option<String>,
    pub ci_pipeline_url: Option<String>,
    pub ci_job_id: Option<String>,
    pub ci_job_url: Option<String>,
    pub ci_commit_sha: Option<String>,
}

impl Variables {
    pub fn detected(&self) -> bool {
        self.gitlab_ci.as_deref() == Some("true")
    }

    pub fn context(&self) -> CiContext {
        let mut ci = CiContext::default();
        ci.add("ci_repository", &self.ci_project_path, "CI_PROJECT_PATH");
        ci.add("ci_branch", &self.ci_commit_ref_name, "CI_COMMIT_REF_NAME");
        ci.add("ci_job", &self.ci_job_name, "CI_JOB_NAME");
        ci.add(
            "ci_environment",
            &self.ci_environment_name,
            "CI_ENVIRONMENT_NAME",
        );
        ci.run = RunInfo {
            run_id: self.ci_pipeline_id.clone(),
            run_number: self.ci_pipeline_iid.clone(),
            commit: self.ci_commit_sha.clone(),
            run_url: self.ci_pipeline_url.clone(),
            job_id: self.ci_job_id.clone(),
            job_url: self.ci_job_url.clone(),
            ..RunInfo::default()
        };
        ci
    }
}
