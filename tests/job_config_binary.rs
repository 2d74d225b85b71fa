//! `job/config.yaml`'s tasks against this binary: the flags and variables they set are the ones
//! `--help` declares, and each task runs as a `--dry-run` the way the job-executor would run it.

#[allow(dead_code)]
mod support;

use std::path::Path;
use std::process::Command;

use support::help::{declared_env_vars, declared_flags, help};
use support::job_executor::{config, envs, tasks};

const BIN: &str = env!("CARGO_BIN_EXE_keptn-dt-metrics");

#[test]
fn flags_and_env_vars_are_the_binarys() {
    let config = config();
    let help = help();
    let flags = declared_flags(&help);
    assert!(
        flags.contains("--help"),
        "could not read the flags from --help: {flags:?}"
    );
    for task in tasks(&config) {
        let args = task.args.iter().flatten();
        let flag_names = args
            .filter(|a| a.starts_with('-') && *a != "-")
            .map(|a| a.split('=').next().unwrap_or_default());
        for flag in flag_names {
            assert!(
                flags.contains(flag),
                "task `{}`: `{flag}` is not a flag of keptn-dt-metrics (--help declares {flags:?})",
                task.name
            );
        }
    }

    let vars = declared_env_vars(&help);
    let set_by_config = config
        .actions
        .iter()
        .flat_map(|a| &a.tasks)
        .flat_map(envs)
        .filter(|e| e.value_from.as_deref() != Some("secret"))
        .map(|e| e.name.as_str());
    // The secret's keys and what the job-executor sets by itself.
    let expected = [
        "DT_TENANT",
        "DT_API_TOKEN",
        "KEPTN_PROJECT",
        "KEPTN_STAGE",
        "KEPTN_SERVICE",
    ];
    let missing: Vec<&str> = set_by_config
        .chain(expected)
        .filter(|name| !vars.contains(*name))
        .collect();
    assert!(
        missing.is_empty(),
        "job/config.yaml sets {missing:?}, which --help does not list as `[env: NAME]` \
         (it lists {vars:?})"
    );
}

/// `$.a.b` on a JSON value (the only JSONPath form config.yaml uses).
fn resolve<'a>(event: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    let rest = path.strip_prefix('$')?;
    rest.split('.')
        .filter(|s| !s.is_empty())
        .try_fold(event, |v, key| v.get(key))
}

/// Runs each task as the job-executor would, but with `--dry-run` and `/keptn` in a scratch
/// directory holding the example document: the arguments and values must be accepted together.
#[test]
fn task_runs_as_a_dry_run() {
    let config = config();
    let event = serde_json::json!({
        "specversion": "1.0",
        "id": "5b6c9a3e-0000-4000-8000-000000000001",
        "type": "sh.keptn.event.report-metrics.triggered",
        "source": "shipyard-controller",
        "shkeptncontext": "3f0c8e6e-1d4b-4a54-9d1b-0c9f0a7e1c2d",
        "data": {"project": "sockshop", "stage": "staging", "service": "carts",
                 "labels": {"buildId": "1.2.3"}}
    });
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("job_config_dry_run");
    let root = scratch.join("keptn");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/loadtest.json");
    for task in tasks(&config) {
        let _ = std::fs::remove_dir_all(&scratch);
        for file in task.files.iter().flatten() {
            let target = root.join(file.trim_start_matches('/'));
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::copy(&example, &target).unwrap();
        }
        let args: Vec<String> = task
            .args
            .iter()
            .flatten()
            .map(|a| a.replace("/keptn/", &format!("{}/", root.display())))
            .collect();
        let mut cmd = Command::new(BIN);
        cmd.args(&args).arg("--dry-run").env_clear();
        cmd.env("KEPTN_PROJECT", "sockshop")
            .env("KEPTN_STAGE", "staging")
            .env("KEPTN_SERVICE", "carts")
            .env("LABELS_BUILDID", "1.2.3");
        let mut integration = None;
        for env in envs(task) {
            match env.value_from.as_deref() {
                Some("secret") => {
                    cmd.env("DT_TENANT", "https://abc12345.live.dynatrace.com")
                        .env("DT_API_TOKEN", "dt0c01.XXXX");
                }
                Some("event") => {
                    let path = env.value.as_deref().unwrap_or_default();
                    let value = resolve(&event, path).unwrap_or_else(|| {
                        panic!("`{path}` does not resolve: the task would fail")
                    });
                    let value = value
                        .as_str()
                        .map_or_else(|| value.to_string(), str::to_owned);
                    cmd.env(&env.name, value);
                }
                _ => {
                    let value = env.value.clone().unwrap_or_default();
                    if env.name == "INTEGRATION_NAME" {
                        integration = Some(value.clone());
                    }
                    cmd.env(&env.name, value);
                }
            }
        }
        let out = cmd.output().expect("the binary runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "task `{}` with {args:?} exited {:?}\nstdout:\n{stdout}\nstderr:\n{}",
            task.name,
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        let prefix = match integration {
            Some(name) => format!("keptn.{name}."),
            None => "keptn.".to_owned(),
        };
        let data_lines: Vec<&str> = stdout.lines().filter(|l| !l.starts_with('#')).collect();
        assert!(!data_lines.is_empty(), "nothing would be sent:\n{stdout}");
        for line in data_lines {
            assert!(
                line.starts_with(&prefix),
                "`{line}` does not start with `{prefix}`"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
}
