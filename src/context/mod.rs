//! The pipeline a run belongs to, and its context: what becomes the run's own dimensions
//! (`ci_platform` and the Keptn or CI context, which labels and metadata cannot override), and
//! what identifies this one run (run ID, commit, URL, trace context), which never becomes a
//! dimension (it would make one time series per run) but is kept for an event.
//!
//! Precedence: `--ci-platform` (`DT_CI_PLATFORM`) > a Keptn context of either generation > a CI
//! detected from its own variables > `keptn`. One file per platform reads its variables.

use serde::Serialize;

use crate::model::RunDimension;

pub mod argo;
pub mod azure;
pub mod github;
pub mod gitlab;
pub mod jenkins;
pub mod keptn;

/// What the CI systems the run may be in set, as the environment gave it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CiVariables {
    pub github: github::Variables,
    pub gitlab: gitlab::Variables,
    pub jenkins: jenkins::Variables,
    pub azure: azure::Variables,
    pub argo: argo::Variables,
}

/// What identifies one run: event material, never a dimension.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunInfo {
    pub run_id: Option<String>,
    pub run_number: Option<String>,
    pub run_attempt: Option<String>,
    pub commit: Option<String>,
    pub run_url: Option<String>,
    pub job_id: Option<String>,
    pub job_url: Option<String>,
    /// W3C trace context of the deployment (today's Keptn puts it into the task's metadata).
    pub traceparent: Option<String>,
    pub tracestate: Option<String>,
    pub baggage: Option<String>,
}

impl RunInfo {
    /// As event properties: `ci_run_id`, ..., and the trace context by its own names.
    pub fn properties(&self) -> Vec<(String, String)> {
        [
            ("ci_run_id", &self.run_id),
            ("ci_run_number", &self.run_number),
            ("ci_run_attempt", &self.run_attempt),
            ("ci_commit", &self.commit),
            ("ci_run_url", &self.run_url),
            ("ci_job_id", &self.job_id),
            ("ci_job_url", &self.job_url),
            ("traceparent", &self.traceparent),
            ("tracestate", &self.tracestate),
            ("baggage", &self.baggage),
        ]
        .into_iter()
        .filter_map(|(key, value)| Some((key.to_owned(), value.clone()?)))
        .collect()
    }
}

/// A CI's context as its file reads it: dimensions without `ci_platform`, and the run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CiContext {
    pub dimensions: Vec<RunDimension>,
    pub run: RunInfo,
}

impl CiContext {
    /// Adds the dimension `key` from `variable`, if it has a value.
    fn add(&mut self, key: &str, value: &Option<String>, variable: &str) {
        if let Some(value) = value.as_deref().filter(|v| !v.trim().is_empty()) {
            self.dimensions
                .push(RunDimension::new(key, value, variable));
        }
    }
}

/// The platforms whose context is read; any other `--ci-platform` name only sets `ci_platform`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Platform {
    Keptn,
    GithubActions,
    GitlabCi,
    Jenkins,
    AzurePipelines,
    ArgoWorkflows,
}

const PLATFORMS: [(Platform, &str, &str); 6] = [
    (Platform::Keptn, "keptn", ""),
    (
        Platform::GithubActions,
        "github_actions",
        "GITHUB_ACTIONS=true",
    ),
    (Platform::GitlabCi, "gitlab_ci", "GITLAB_CI=true"),
    (Platform::Jenkins, "jenkins", "JENKINS_URL"),
    (Platform::AzurePipelines, "azure_pipelines", "TF_BUILD=True"),
    (Platform::ArgoWorkflows, "argo_workflows", "ARGO_NODE_ID"),
];

impl CiVariables {
    /// The first CI whose own variables say the run is in it.
    fn detected(&self) -> Option<Platform> {
        [
            (Platform::GithubActions, self.github.detected()),
            (Platform::GitlabCi, self.gitlab.detected()),
            (Platform::Jenkins, self.jenkins.detected()),
            (Platform::AzurePipelines, self.azure.detected()),
            (Platform::ArgoWorkflows, self.argo.detected()),
        ]
        .into_iter()
        .find_map(|(platform, detected)| detected.then_some(platform))
    }

    fn context(&self, platform: Platform) -> CiContext {
        match platform {
            Platform::GithubActions => self.github.context(),
            Platform::GitlabCi => self.gitlab.context(),
            Platform::Jenkins => self.jenkins.context(),
            Platform::AzurePipelines => self.azure.context(),
            Platform::ArgoWorkflows => self.argo.context(),
            Platform::Keptn => CiContext::default(),
        }
    }
}

/// The context the run was found in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// `ci_platform`.
    pub platform: String,
    /// Where it was read from, for the report: `GITHUB_ACTIONS=true`, `--ci-platform`, ...
    pub read_from: String,
    /// The run's own dimensions, `ci_platform` first: nothing overrides them.
    pub dimensions: Vec<RunDimension>,
    /// The context's entries that are the user's (today's Keptn's metadata): they rank with
    /// the labels.
    pub metadata: Vec<RunDimension>,
    pub run: RunInfo,
    /// OTLP resource attributes besides the dimensions: `service.name`, ...
    pub resource_attributes: Vec<(String, String)>,
}

/// Reads the context by precedence: the platform `chosen` (`--ci-platform`), else a Keptn
/// context, else a detected CI, else `keptn`.
pub fn read(chosen: Option<&str>, keptn: &keptn::Context, ci: &CiVariables) -> Context {
    let named = |name: &str| {
        PLATFORMS
            .iter()
            .find(|(_, known, _)| known.eq_ignore_ascii_case(name.trim()))
            .map(|(platform, _, _)| *platform)
    };
    let (platform, name, read_from) = match chosen.map(str::trim).filter(|c| !c.is_empty()) {
        Some(chosen) => {
            let name = named(chosen).map_or(chosen.to_owned(), |p| platform_name(p).to_owned());
            (named(chosen), name, "--ci-platform".to_owned())
        }
        None if keptn.is_given() => (
            Some(Platform::Keptn),
            "keptn".to_owned(),
            keptn.read_from().to_owned(),
        ),
        None => match ci.detected() {
            Some(platform) => {
                let (_, name, variable) = PLATFORMS
                    .iter()
                    .find(|(p, _, _)| *p == platform)
                    .expect("every platform is listed");
                (Some(platform), (*name).to_owned(), (*variable).to_owned())
            }
            None => (
                Some(Platform::Keptn),
                "keptn".to_owned(),
                "default: no Keptn context or CI found".to_owned(),
            ),
        },
    };
    let mut context = Context {
        dimensions: vec![RunDimension::new(
            "ci_platform",
            name.clone(),
            if read_from == "--ci-platform" {
                "--ci-platform"
            } else {
                "the ci_platform found"
            },
        )],
        platform: name,
        read_from,
        ..Context::default()
    };
    match platform {
        Some(Platform::Keptn) => {
            let keptn = keptn.read();
            context.dimensions.extend(keptn.dimensions);
            context.metadata = keptn.metadata;
            context.run = keptn.run;
            context.resource_attributes = keptn.resource_attributes;
        }
        Some(platform) => {
            let ci = ci.context(platform);
            context.dimensions.extend(ci.dimensions);
            context.run = ci.run;
        }
        None => {}
    }
    context
}

fn platform_name(platform: Platform) -> &'static str {
    PLATFORMS
        .iter()
        .find(|(p, _, _)| *p == platform)
        .map(|(_, name, _)| *name)
        .expect("every platform is listed")
}

impl Context {
    /// The context as an event's properties: its dimensions and metadata, then what
    /// identifies the run, as string pairs.
    pub fn event_properties(&self) -> Vec<(String, String)> {
        self.dimensions
            .iter()
            .chain(&self.metadata)
            .map(|d| (d.key.clone(), d.value.clone()))
            .chain(self.run.properties())
            .collect()
    }
}

#[cfg(test)]
mod tests;
