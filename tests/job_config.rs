//! `job/config.yaml` as the Keptn job-executor-service (0.3.0) reads it: strictly (Go's
//! `yaml.UnmarshalStrict`: unknown keys and scalars where lists belong are errors), with the
//! field set below, and with arguments and environment variables this binary understands.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde::Deserialize;

const CONFIG_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/job/config.yaml");
const BIN: &str = env!("CARGO_BIN_EXE_keptn-dt-metrics");

/// Where the job-executor copies the `files` (service resources).
const FILES_ROOT: &str = "/keptn";

// The job-executor's config structs (pkg/config/config.go), field for field.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Config {
    api_version: String,
    actions: Vec<Action>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Action {
    name: String,
    events: Vec<Event>,
    silent: Option<bool>,
    tasks: Vec<Task>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Event {
    name: String,
    jsonpath: Option<JsonPath>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct JsonPath {
    property: String,
    #[serde(rename = "match")]
    match_: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)] // fields exist to be accepted by the strict parse
struct Task {
    name: String,
    image: String,
    image_pull_policy: Option<String>,
    cmd: Option<Vec<String>>,
    args: Option<Vec<String>>,
    working_dir: Option<String>,
    files: Option<Vec<String>>,
    env: Option<Vec<Env>>,
    resources: Option<Resources>,
    max_poll_duration: Option<i64>,
    namespace: Option<String>,
    ttl_seconds_after_finished: Option<i32>,
    security_context: Option<serde_yaml_ng::Value>,
    service_account: Option<String>,
    annotations: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Env {
    name: String,
    value: Option<String>,
    value_from: Option<String>,
    #[serde(rename = "as")]
    as_: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Resources {
    limits: Option<ResourceList>,
    requests: Option<ResourceList>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ResourceList {
    cpu: Option<String>,
    memory: Option<String>,
}

fn parse(yaml: &str) -> Result<Config, serde_yaml_ng::Error> {
    serde_yaml_ng::from_str(yaml)
}

fn config() -> Config {
    let text = std::fs::read_to_string(CONFIG_PATH).expect("job/config.yaml is readable");
    parse(&text)
        .unwrap_or_else(|e| panic!("job/config.yaml: the job-executor would reject it: {e}"))
}

fn tasks(config: &Config) -> impl Iterator<Item = &Task> {
    config.actions.iter().flat_map(|a| &a.tasks)
}

fn envs(task: &Task) -> &[Env] {
    task.env.as_deref().unwrap_or_default()
}

/// A Kubernetes object name that is an RFC 1123 subdomain (what secret names must be).
fn is_rfc1123_subdomain(name: &str) -> bool {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    !name.is_empty()
        && name.len() <= 253
        && name.chars().all(|c| alnum(c) || c == '-' || c == '.')
        && name.starts_with(alnum)
        && name.ends_with(alnum)
}

/// `sh.keptn.event.<task>.triggered` with a task name of lowercase letters, digits and `-`: the
/// event name is a Go regex, and this form has no special characters but the dots (which match
/// themselves too).
fn triggered_task(event_type: &str) -> Option<&str> {
    let task = event_type
        .strip_prefix("sh.keptn.event.")?
        .strip_suffix(".triggered")?;
    let ok = !task.is_empty()
        && task
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !task.starts_with('-')
        && !task.ends_with('-');
    ok.then_some(task)
}

fn help() -> String {
    let out = Command::new(BIN)
        .arg("--help")
        .env_clear()
        .output()
        .expect("the binary runs");
    assert!(out.status.success(), "--help failed: {out:?}");
    String::from_utf8(out.stdout).expect("help is UTF-8")
}

/// The options `--help` declares: the flag tokens at the start of its option lines.
fn declared_flags(help: &str) -> BTreeSet<String> {
    help.lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with('-'))
        .flat_map(|l| l.split("  ").next().unwrap_or_default().split_whitespace())
        .filter(|t| t.starts_with('-'))
        .map(|t| t.trim_end_matches(',').to_owned())
        .collect()
}

/// The variable names `--help` lists in `[env: NAME]` / `[env: NAME=value]` (wrapping undone).
fn declared_env_vars(help: &str) -> BTreeSet<String> {
    let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
    flat.split("[env: ")
        .skip(1)
        .filter_map(|rest| rest.split(']').next())
        .flat_map(|inside| inside.split([',', ' ']))
        .map(|item| item.split('=').next().unwrap_or_default().to_owned())
        .filter(|n| !n.is_empty())
        .collect()
}

/// The value part of an argument: `--input=/x` gives `/x`, anything else is itself.
fn arg_value(arg: &str) -> &str {
    match arg.split_once('=') {
        Some((flag, value)) if flag.starts_with('-') => value,
        _ => arg,
    }
}

/// Where a `files` entry lands in the container: `/keptn/<path>`.
fn copied_path(file: &str) -> String {
    format!("{FILES_ROOT}/{}", file.trim_start_matches('/'))
}

#[test]
fn parses_strictly_as_api_version_v2() {
    let config = config();
    assert_eq!(config.api_version, "v2");
    assert!(!config.actions.is_empty(), "no actions");
    for action in &config.actions {
        assert!(!action.name.trim().is_empty(), "an action without a name");
        assert!(
            !action.events.is_empty(),
            "action `{}` has no events",
            action.name
        );
        assert!(
            !action.tasks.is_empty(),
            "action `{}` has no tasks",
            action.name
        );
        assert_ne!(
            action.silent,
            Some(true),
            "a silent action sends no .finished event"
        );
        for event in &action.events {
            assert!(
                triggered_task(&event.name).is_some(),
                "event `{}` is not a plain `sh.keptn.event.<task>.triggered` type: the \
                 job-executor only runs tasks for .triggered events",
                event.name
            );
            if let Some(jsonpath) = &event.jsonpath {
                assert!(jsonpath.property.starts_with('$'), "{jsonpath:?}");
            }
        }
    }
    for task in tasks(&config) {
        assert!(!task.name.trim().is_empty(), "a task without a name");
        assert!(
            !task.image.trim().is_empty(),
            "task `{}` has no image",
            task.name
        );
        assert!(
            task.cmd.is_none(),
            "task `{}` sets cmd: the image's ENTRYPOINT is already the binary",
            task.name
        );
        assert!(
            task.max_poll_duration.is_some_and(|s| s > 0),
            "task `{}` needs a positive maxPollDuration",
            task.name
        );
    }
}

#[test]
fn strict_parse_rejects_scalar_lists_and_unknown_keys() {
    let base = "apiVersion: v2\nactions:\n  - name: a\n    events:\n      - name: \
                sh.keptn.event.report-metrics.triggered\n    tasks:\n      - name: t\n        \
                image: i\n";
    // The control: the same document with a proper list parses.
    parse(&format!("{base}        args: [\"--input\", \"x\"]\n")).expect("a list of args");

    for (what, extra, reason) in [
        (
            "args as a scalar",
            "        args: \"--input x\"\n",
            "args: invalid type: string",
        ),
        (
            "cmd as a scalar",
            "        cmd: \"/keptn-dt-metrics --input x\"\n",
            "cmd: invalid type: string",
        ),
        (
            "an unknown key",
            "        argz: [\"--input\", \"x\"]\n",
            "unknown field `argz`",
        ),
        (
            "files as a scalar",
            "        files: /metrics/loadtest.json\n",
            "files: invalid type: string",
        ),
    ] {
        let err = parse(&format!("{base}{extra}"))
            .err()
            .unwrap_or_else(|| panic!("{what} was accepted"));
        assert!(err.to_string().contains(reason), "{what}: {err}");
    }
    let err = parse(&base.replace("apiVersion: v2\n", ""))
        .expect_err("a missing apiVersion was accepted");
    assert!(err.to_string().contains("apiVersion"), "{err}");
    let err = parse(&base.replace("    tasks:", "    silent: false\n    task:"))
        .expect_err("an unknown action key was accepted");
    assert!(err.to_string().contains("task"), "{err}");
}

#[test]
fn env_entries_are_what_the_job_executor_understands() {
    let config = config();
    for task in tasks(&config) {
        let mut secrets = 0;
        for env in envs(task) {
            let from = env.value_from.as_deref().unwrap_or_default();
            assert!(
                matches!(from, "event" | "secret" | "string"),
                "env `{}`: valueFrom `{from}` is not event, secret or string",
                env.name
            );
            if let Some(format) = &env.as_ {
                assert!(
                    matches!(format.as_str(), "json" | "yaml" | "string"),
                    "env `{}`: as `{format}` is not json, yaml or string",
                    env.name
                );
            }
            match from {
                "secret" => {
                    secrets += 1;
                    assert!(
                        is_rfc1123_subdomain(&env.name),
                        "secret name `{}` is not a valid Kubernetes name (lowercase \
                         alphanumerics, `-`, `.`; starts and ends alphanumeric; <= 253)",
                        env.name
                    );
                }
                "event" => {
                    let path = env.value.as_deref().unwrap_or_default();
                    assert!(
                        path.starts_with('$'),
                        "env `{}`: `{path}` is not a JSONPath on the event",
                        env.name
                    );
                }
                _ => assert!(env.value.is_some(), "env `{}` has no value", env.name),
            }
        }
        assert_eq!(
            secrets, 1,
            "task `{}`: one secret with DT_TENANT and DT_API_TOKEN",
            task.name
        );
    }
}

#[test]
fn keptn_paths_in_args_are_copied_files() {
    let config = config();
    for task in tasks(&config) {
        let copied: Vec<String> = task
            .files
            .iter()
            .flatten()
            .map(|f| copied_path(f))
            .collect();
        let args = task.args.iter().flatten().chain(task.cmd.iter().flatten());
        for path in args
            .map(|a| arg_value(a))
            .filter(|v| v.starts_with("/keptn/"))
        {
            // A file is copied to /keptn/<file>; a directory brings the files below it.
            let covered = copied
                .iter()
                .any(|c| path == c || path.starts_with(&format!("{c}/")));
            assert!(
                covered,
                "task `{}`: `{path}` is not one of the files copied to /keptn: {copied:?}",
                task.name
            );
        }
    }
}

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
