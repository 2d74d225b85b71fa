//! Azure Pipelines: the predefined variables of a job (`Build.Repository.Name` arrives as
//! `BUILD_REPOSITORY_NAME`). Its project is `ci_project`, a level no other CI has.

use serde::Deserialize;

use super::{CiContext, RunInfo};

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Variables {
    pub tf_build: Option<String>,
    pub system_teamproject: Option<String>,
    pub build_repository_name: Option<String>,
    pub build_definitionname: Option<String>,
    /// `refs/heads/feature/x`; its last segment alone is `BUILD_SOURCEBRANCHNAME`.
    pub build_sourcebranch: Option<String>,
    /// A pull request's source branch (where `BUILD_SOURCEBRANCH` is `refs/pull/N/merge`).
    pub system_pullrequest_sourcebranch: Option<String>,
    pub system_jobdisplayname: Option<String>,
    pub build_buildid: Option<String>,
    pub build_buildnumber: Option<String>,
    pub system_jobattempt: Option<String>,
    pub build_sourceversion: Option<String>,
    /// `https://dev.azure.com/org/`.
    pub system_collectionuri: Option<String>,
}

impl Variables {
    pub fn detected(&self) -> bool {
        self.tf_build
            .as_deref()
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    pub fn context(&self) -> CiContext {
        let mut ci = CiContext::default();
        ci.add("ci_project", &self.system_teamproject, "SYSTEM_TEAMPROJECT");
        ci.add(
            "ci_repository",
            &self.build_repository_name,
            "BUILD_REPOSITORY_NAME",
        );
        ci.add(
            "ci_pipeline",
            &self.build_definitionname,
            "BUILD_DEFINITIONNAME",
        );
        let (branch, from) = match &self.system_pullrequest_sourcebranch {
            Some(branch) => (branch, "SYSTEM_PULLREQUEST_SOURCEBRANCH"),
            None => match &self.build_sourcebranch {
                Some(branch) => (branch, "BUILD_SOURCEBRANCH"),
                None => (&String::new(), ""),
            },
        };
        let branch = ["refs/heads/", "refs/tags/"]
            .iter()
            .find_map(|prefix| branch.strip_prefix(prefix))
            .unwrap_or(branch);
        ci.add("ci_branch", &Some(branch.to_owned()), from);
        ci.add(
            "ci_job",
            &self.system_jobdisplayname,
            "SYSTEM_JOBDISPLAYNAME",
        );
        let run_url = match (
            &self.system_collectionuri,
            &self.system_teamproject,
            &self.build_buildid,
        ) {
            (Some(collection), Some(project), Some(id)) => {
                url::Url::parse(collection).ok().and_then(|mut url| {
                    url.path_segments_mut().ok()?.pop_if_empty().extend([
                        project.as_str(),
                        "_build",
                        "results",
                    ]);
                    url.query_pairs_mut().append_pair("buildId", id);
                    Some(url.to_string())
                })
            }
            _ => None,
        };
        ci.run = RunInfo {
            run_id: self.build_buildid.clone(),
            run_number: self.build_buildnumber.clone(),
            run_attempt: self.system_jobattempt.clone(),
            commit: self.build_sourceversion.clone(),
            run_url,
            ..RunInfo::default()
        };
        ci
    }
}
