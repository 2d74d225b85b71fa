//! Jenkins: the variables of a build. The repository is left out: `GIT_URL` may carry
//! credentials in its user info.

use serde::Deserialize;

use super::{CiContext, RunInfo};

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Variables {
    pub jenkins_url: Option<String>,
    /// The job's full name (a multibranch pipeline's includes the branch).
    pub job_name: Option<String>,
    /// The branch of a multibranch pipeline.
    pub branch_name: Option<String>,
    /// The Git plugin's branch, `origin/main`.
    pub git_branch: Option<String>,
    pub build_id: Option<String>,
    pub build_number: Option<String>,
    pub build_url: Option<String>,
    pub git_commit: Option<String>,
}

impl Variables {
    pub fn detected(&self) -> bool {
        self.jenkins_url.is_some()
    }

    pub fn context(&self) -> CiContext {
        let mut ci = CiContext::default();
        ci.add("ci_pipeline", &self.job_name, "JOB_NAME");
        match &self.branch_name {
            Some(_) => ci.add("ci_branch", &self.branch_name, "BRANCH_NAME"),
            None => {
                let branch = self
                    .git_branch
                    .as_deref()
                    .map(|b| b.strip_prefix("origin/").unwrap_or(b).to_owned());
                ci.add("ci_branch", &branch, "GIT_BRANCH");
            }
        }
        ci.run = RunInfo {
            run_id: self.build_id.clone(),
            run_number: self.build_number.clone(),
            commit: self.git_commit.clone(),
            run_url: self.build_url.clone(),
            ..RunInfo::default()
        };
        ci
    }
}
