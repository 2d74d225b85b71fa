//! Where it runs: action.yml and the files of deploy/ (GitLab CI, Argo Rollouts, Tekton,
//! Jenkins, Azure Pipelines), each read as strictly as its platform reads it, and its command
//! run as the platform would run it, with the platform's own variables, against a local
//! Dynatrace: the lines carry that platform's context and the event is sent.

#[allow(dead_code)]
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use keptn_dt_metrics::report::github_output;
use keptn_dt_metrics::report::{LinesResult, OtlpResult, Report};
use support::events::{dynatrace, jtl, CREATED, EVENTS_PATH, TOKEN};
use support::pipelines::*;
use support::{FakeDynatrace, Output, Reply, Workdir, INGEST_PATH};

type Env = Vec<(String, String)>;

fn env(pairs: &[(&str, &str)]) -> Env {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn server() -> FakeDynatrace {
    dynatrace(Reply::json(201, CREATED), Reply::json(202, "{}"))
}

/// The binary's directory first on PATH, as the image has it, and nothing of ours else.
fn command(program: &str, dir: &Path, vars: &Env) -> Command {
    let bin = Path::new(env!("CARGO_BIN_EXE_keptn-dt-metrics"));
    let mut command = Command::new(program);
    command
        .current_dir(dir)
        .env_clear()
        .env(
            "PATH",
            format!("{}:/usr/bin:/bin", bin.parent().unwrap().display()),
        )
        .env("DT_METADATA_DIR", dir)
        .envs(vars.iter().map(|(k, v)| (k, v)));
    command
}

fn shell(script: &str, dir: &Path, vars: &Env) -> Output {
    Output::from(
        command("/bin/sh", dir, vars)
            .arg("-c")
            .arg(script)
            .output()
            .unwrap(),
    )
}

fn binary(args: &[String], dir: &Path, vars: &Env) -> Output {
    let bin = env!("CARGO_BIN_EXE_keptn-dt-metrics");
    Output::from(command(bin, dir, vars).args(args).output().unwrap())
}

/// The lines the server took, and the one event it got (its body).
fn sent(server: &FakeDynatrace) -> (Vec<String>, serde_json::Value) {
    let lines = server
        .requests_to(INGEST_PATH)
        .iter()
        .flat_map(|r| r.lines().into_iter().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    let events = server.requests_to(EVENTS_PATH);
    assert_eq!(events.len(), 1, "one event");
    (lines, support::events::body(&events[0]))
}

fn assert_context(lines: &[String], dimensions: &[&str], per_run: &[&str]) {
    let data: Vec<&String> = lines.iter().filter(|l| !l.starts_with('#')).collect();
    assert!(!data.is_empty());
    for line in data {
        for dimension in dimensions {
            assert!(line.contains(dimension), "{dimension} missing: {line}");
        }
        for value in per_run {
            assert!(!line.contains(value), "{value} is per run: {line}");
        }
    }
}

#[test]
fn the_github_action_runs_its_script_and_writes_every_output_it_declares() {
    let action: Action = read("action.yml");
    assert_eq!(action.runs.using, "docker");
    assert!(action.runs.image.starts_with("docker://") && action.runs.image.ends_with("-shell"));
    assert_eq!(action.runs.entrypoint.as_deref(), Some("/bin/sh"));
    assert_eq!(action.runs.args[0], "-c");
    let dir = Workdir::new("github-action");
    jtl(&dir);
    let server = server();
    let given = BTreeMap::from([
        ("dt_tenant", server.url()),
        ("dt_api_token", TOKEN),
        ("results", "results.jtl"),
        ("dimensions", "team=core"),
        ("event", "true"),
    ]);
    // GitHub sets INPUT_<NAME> for every input: the value given, else the default.
    let mut vars: Env = action
        .inputs
        .iter()
        .map(|(name, input)| {
            let value = given.get(name.as_str()).copied();
            let value = value.unwrap_or(input.default.as_deref().unwrap_or_default());
            (format!("INPUT_{}", name.to_uppercase()), value.to_owned())
        })
        .collect();
    assert!(given.keys().all(|k| action.inputs.contains_key(*k)));
    let outputs = dir.path().join("github_output");
    vars.extend(env(&[
        ("GITHUB_OUTPUT", outputs.to_str().unwrap()),
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_REPOSITORY", "acme/shop"),
        ("GITHUB_WORKFLOW", "ci"),
        ("GITHUB_REF_NAME", "main"),
        ("GITHUB_RUN_ID", "987654321"),
        ("GITHUB_SHA", "0a1b2c3d4e5f"),
    ]));

    let out = shell(&action.runs.args[1], dir.path(), &vars);
    out.expect_code(0);
    let (lines, event) = sent(&server);
    assert_context(
        &lines,
        &[
            "ci_platform=github_actions",
            "ci_repository=acme/shop",
            "team=core",
        ],
        &["987654321", "0a1b2c3d4e5f"],
    );
    assert_eq!(event["properties"]["ci_run_id"], "987654321", "{event}");
    let written = std::fs::read_to_string(&outputs).unwrap();
    let names: Vec<&str> = written
        .lines()
        .map(|l| l.split('=').next().unwrap())
        .collect();
    let declared: Vec<&str> = action.outputs.keys().map(String::as_str).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(
        sorted, declared,
        "every output declared is written, and only those"
    );
    let empty = Report::new(false, LinesResult::default(), OtlpResult::default());
    let order: Vec<&str> = github_output::outputs(&empty)
        .iter()
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(names, order);
    assert!(written.contains("outcome=accepted\n"), "{written}");
    assert!(written.contains("event-outcome=accepted\n"), "{written}");
    assert!(written.contains("lines-unsent=0\n"), "{written}");
}

#[test]
fn the_gitlab_template_runs_its_script_with_gitlabs_variables() {
    let jobs: BTreeMap<String, GitlabJob> = read("deploy/gitlab/keptn-dt-metrics.gitlab-ci.yml");
    let job = &jobs[".keptn-dt-metrics"];
    assert!(
        job.image.name.ends_with("-shell"),
        "GitLab's script needs a shell"
    );
    assert_eq!(job.image.entrypoint, vec![String::new()]);
    let dir = Workdir::new("gitlab");
    jtl(&dir);
    let server = server();
    let mut vars: Env = job.variables.clone().into_iter().collect();
    vars.extend(env(&[
        ("DT_TENANT", server.url()),
        ("DT_API_TOKEN", TOKEN),
        ("GITLAB_CI", "true"),
        ("CI_PROJECT_PATH", "acme/shop"),
        ("CI_COMMIT_REF_NAME", "main"),
        ("CI_PIPELINE_ID", "5550123"),
    ]));
    for line in &job.script {
        shell(line, dir.path(), &vars).expect_code(0);
    }
    let (lines, _) = sent(&server);
    assert_context(
        &lines,
        &["ci_platform=gitlab_ci", "acme/shop"],
        &["5550123"],
    );
}

/// `{{args.NAME}}` (Argo) or `$(params.NAME)` (Tekton) replaced by `values`.
fn substitute(text: &str, values: &[(String, String)]) -> String {
    values
        .iter()
        .fold(text.to_owned(), |text, (from, to)| text.replace(from, to))
}

/// A container's environment as Kubernetes gives it: secrets from `secrets`.
fn container_env(vars: &[EnvVar], secrets: &Env, values: &[(String, String)]) -> Env {
    vars.iter()
        .map(|var| {
            let value = match (&var.value, &var.value_from) {
                (Some(value), None) => substitute(value, values),
                (None, Some(from)) => {
                    assert_eq!(from.secret_key_ref.name, "dynatrace", "{}", var.name);
                    let key = &from.secret_key_ref.key;
                    secrets.iter().find(|(k, _)| k == key).unwrap().1.clone()
                }
                _ => panic!("{}: a value or a secret", var.name),
            };
            (var.name.clone(), value)
        })
        .collect()
}

#[test]
fn the_argo_rollouts_analysis_template_reports_the_rollout_and_its_exit_code_is_the_verdict() {
    let template: Object<AnalysisTemplateSpec> = read("deploy/argo/analysis-template.yaml");
    assert_eq!(
        (template.api_version.as_str(), template.kind.as_str()),
        ("argoproj.io/v1alpha1", "AnalysisTemplate")
    );
    let job = &template.spec.metrics[0].provider.job.spec;
    assert_eq!(job.backoff_limit, 0, "a retry would send the results twice");
    assert!(
        job.active_deadline_seconds > 100,
        "above the report's deadline"
    );
    assert_eq!(job.template.spec.restart_policy, "Never");
    let container = &job.template.spec.containers[0];
    let dir = Workdir::new("argo");
    jtl(&dir);
    let server = server();
    let secrets = env(&[("DT_TENANT", server.url()), ("DT_API_TOKEN", TOKEN)]);
    let mut values: Vec<(String, String)> = template
        .spec
        .args
        .iter()
        .map(|a| (format!("{{{{args.{}}}}}", a.name), "carts".to_owned()))
        .collect();
    let mount = &container.volume_mounts[0].mount_path;
    values.push((format!("{mount}/"), format!("{}/", dir.path().display())));
    let args: Vec<String> = container
        .args
        .iter()
        .map(|a| substitute(a, &values))
        .collect();
    let vars = container_env(&container.env, &secrets, &values);

    binary(&args, dir.path(), &vars).expect_code(0);
    let (lines, event) = sent(&server);
    assert_context(&lines, &["ci_platform=argo_rollouts", "service=carts"], &[]);
    assert_eq!(event["eventType"], "CUSTOM_DEPLOYMENT");
    assert_eq!(event["title"], "carts rollout step");
}

#[test]
fn the_tekton_task_reports_from_its_workspace_with_its_params() {
    let task: Object<TaskSpec> = read("deploy/tekton/task.yaml");
    assert_eq!(
        (task.api_version.as_str(), task.kind.as_str()),
        ("tekton.dev/v1", "Task")
    );
    let step = &task.spec.steps[0];
    let dir = Workdir::new("tekton");
    jtl(&dir);
    let server = server();
    let secrets = env(&[("DT_TENANT", server.url()), ("DT_API_TOKEN", TOKEN)]);
    let mut values: Vec<(String, String)> = task
        .spec
        .params
        .iter()
        .map(|p| (format!("$(params.{})", p.name), p.default.clone()))
        .collect();
    let workspace = format!("$(workspaces.{}.path)", task.spec.workspaces[0].name);
    values.push((workspace, dir.path().display().to_string()));
    let args: Vec<String> = step.args.iter().map(|a| substitute(a, &values)).collect();
    let vars = container_env(&step.env, &secrets, &values);

    binary(&args, dir.path(), &vars).expect_code(0);
    let (lines, _) = sent(&server);
    assert_context(&lines, &["ci_platform=tekton", "pipeline=tekton"], &[]);
}

#[test]
fn the_jenkinsfile_runs_its_sh_step_with_jenkins_variables() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/jenkins/Jenkinsfile");
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains("image 'ghcr.io/example/keptn-dt-metrics:0.1.0-shell'"));
    let step = |prefix: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| l.trim().strip_prefix(prefix))
            .map(str::to_owned)
            .collect()
    };
    let scripts: Vec<String> = step("sh '")
        .into_iter()
        .map(|s| s.strip_suffix('\'').unwrap().to_owned())
        .collect();
    assert_eq!(scripts.len(), 1);
    let dir = Workdir::new("jenkins");
    jtl(&dir);
    let server = server();
    let mut vars = env(&[
        ("DT_TENANT", server.url()),
        ("DT_API_TOKEN", TOKEN),
        ("JENKINS_URL", "https://ci.example.com/"),
        ("JOB_NAME", "shop/main"),
        ("BRANCH_NAME", "main"),
        ("BUILD_NUMBER", "4711"),
    ]);
    // The `environment` block's plain values (the credentials are set above).
    for assignment in step("DT_EVENT = ") {
        vars.push(("DT_EVENT".into(), assignment.trim_matches('\'').to_owned()));
    }
    shell(&scripts[0], dir.path(), &vars).expect_code(0);
    let (lines, _) = sent(&server);
    assert_context(&lines, &["ci_platform=jenkins", "shop/main"], &["4711"]);
}

#[test]
fn the_azure_pipeline_runs_its_script_with_the_secret_mapped() {
    let pipeline: AzurePipeline = read("deploy/azure/azure-pipelines.yml");
    let job = &pipeline.jobs[0];
    assert!(
        job.container.ends_with("-shell"),
        "a script step needs a shell"
    );
    let step = &job.steps[0];
    let dir = Workdir::new("azure");
    jtl(&dir);
    let server = server();
    let macros = [
        ("$(DT_TENANT)".to_owned(), server.url().to_owned()),
        ("$(DT_API_TOKEN)".to_owned(), TOKEN.to_owned()),
    ];
    let mut vars: Env = step
        .env
        .iter()
        .map(|(k, v)| (k.clone(), substitute(v, &macros)))
        .collect();
    vars.extend(env(&[
        ("TF_BUILD", "True"),
        ("SYSTEM_TEAMPROJECT", "shop"),
        ("BUILD_REPOSITORY_NAME", "acme-shop"),
        ("BUILD_DEFINITIONNAME", "shop-ci"),
        ("BUILD_SOURCEBRANCH", "refs/heads/main"),
        ("BUILD_BUILDID", "31337"),
    ]));
    shell(&step.script, dir.path(), &vars).expect_code(0);
    let (lines, _) = sent(&server);
    assert_context(
        &lines,
        &["ci_platform=azure_pipelines", "acme-shop"],
        &["31337"],
    );
}
