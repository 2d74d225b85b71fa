//! `job/config.yaml` as the Keptn job-executor-service (0.3.0) reads it: strictly (Go's
//! `yaml.UnmarshalStrict`: unknown keys and scalars where lists belong are errors), with its field
//! set (`support/job_executor.rs`), and with event types, environment entries and copied files it
//! understands. Its arguments and variables against this binary: `job_config_binary.rs`.

#[allow(dead_code)]
mod support;

use support::job_executor::{config, envs, parse, tasks};
use support::kubernetes::is_rfc1123_subdomain;

/// Where the job-executor copies the `files` (service resources).
const FILES_ROOT: &str = "/keptn";

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

/// README "A load test and its report in one task": the job-executor's config for the load-test
/// image parses as strictly, and reads the summary from the job's writable /keptn.
#[test]
fn the_load_test_job_config_parses_strictly_and_reports_from_keptn() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/loadtest-image/job-config.yaml"
    );
    let text = std::fs::read_to_string(path).expect("readable");
    let config = parse(&text).unwrap_or_else(|e| panic!("the job-executor would reject it: {e}"));
    assert_eq!(config.api_version, "v2");
    let task = tasks(&config).next().expect("a task");
    assert_eq!(
        task.cmd.as_deref(),
        Some(&["/bin/sh".to_owned(), "-c".to_owned()][..])
    );
    let script = task.args.as_deref().unwrap_or_default().join(" ");
    assert!(script.contains("--results /keptn/summary.json"), "{script}");
    let env = envs(task);
    assert!(env
        .iter()
        .any(|e| e.name == "RESULTS" && e.value.as_deref() == Some(FILES_ROOT)));
    // The report's deadline fits in the minute kept for it within maxPollDuration.
    let deadline = env
        .iter()
        .find(|e| e.name == "DT_DEADLINE_SECS")
        .and_then(|e| e.value.as_deref()?.parse::<u64>().ok())
        .expect("DT_DEADLINE_SECS set: the timeout also covers the load test");
    assert!(deadline < 60, "{deadline}");
    assert!(env
        .iter()
        .any(|e| e.name == "dynatrace" && e.value_from.as_deref() == Some("secret")));
}
