//! The container image as the job-executor runs it: read-only root filesystem, UID 1000:2000,
//! no capabilities, against a fake Dynatrace on 127.0.0.1 (host network).
//!
//! They need a Docker engine and the image, so they are `#[ignore]`d: `.ci/run` builds the image
//! from the project's Dockerfile, names it in KEPTN_DT_METRICS_IMAGE and runs them with
//! `--include-ignored`. Run without either, they fail and say what is missing.

#[allow(dead_code)]
mod support;

use std::process::Command;

use support::{FakeDynatrace, Reply};

const TOKEN: &str = "dt0c01.CONTAINERSECRET";
const MAX_IMAGE_BYTES: u64 = 10 * 1024 * 1024;

fn image() -> String {
    let image = std::env::var("KEPTN_DT_METRICS_IMAGE").unwrap_or_else(|_| {
        panic!("KEPTN_DT_METRICS_IMAGE is not set (`.ci/run` builds the image and sets it)")
    });
    let engine = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(engine, "no Docker engine answers `docker version`");
    image
}

/// `docker run` as the job-executor's security context has it.
fn run_locked_down(image: &str, env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
    let mut command = Command::new("docker");
    command.args([
        "run",
        "--rm",
        "--read-only",
        "--user",
        "1000:2000",
        "--cap-drop",
        "ALL",
        "--network",
        "host",
        "-v",
        &format!("{examples}:/keptn:ro"),
    ]);
    for (name, value) in env {
        command.args(["-e", &format!("{name}={value}")]);
    }
    command.arg(image).args(args);
    command.output().expect("docker run")
}

#[test]
#[ignore = "needs a Docker engine and KEPTN_DT_METRICS_IMAGE; .ci/run runs it"]
fn the_image_reports_what_dynatrace_accepted() {
    let image = image();
    let server = FakeDynatrace::accepting();
    let out = run_locked_down(
        &image,
        &[
            ("DT_TENANT", server.url()),
            ("DT_API_TOKEN", TOKEN),
            ("KEPTN_PROJECT", "sockshop"),
            ("KEPTN_STAGE", "staging"),
            ("KEPTN_SERVICE", "carts"),
        ],
        &["--input", "/keptn/loadtest.json", "--output", "json"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("a JSON report");
    assert_eq!(report["outcome"], "accepted");
    assert_eq!(report["lines"]["sent"], 5);
    assert_eq!(report["lines"]["ok"], 5);

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/api/v2/metrics/ingest");
    assert_eq!(
        requests[0].header("authorization"),
        Some(format!("Api-Token {TOKEN}").as_str())
    );
    assert!(requests[0].lines().iter().skip(1).all(|line| line.contains(
        ",ci_platform=keptn,keptn_project=sockshop,keptn_stage=staging,keptn_service=carts "
    )));
    assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN));
}

#[test]
#[ignore = "needs a Docker engine and KEPTN_DT_METRICS_IMAGE; .ci/run runs it"]
fn a_bad_token_fails_the_task() {
    let image = image();
    let server = FakeDynatrace::scripted(vec![Reply::json(
        401,
        r#"{"error":{"code":401,"message":"Token Authentication failed"}}"#,
    )]);
    let out = run_locked_down(
        &image,
        &[
            ("DT_TENANT", server.url()),
            ("DT_API_TOKEN", "dt0c01.WRONG"),
        ],
        &["-m", "deploy_duration=42"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{stdout}");
    assert!(stdout.contains("401 Unauthorized"), "{stdout}");
    assert!(stdout.contains("DT_API_TOKEN"), "{stdout}");
}

#[test]
#[ignore = "needs a Docker engine and KEPTN_DT_METRICS_IMAGE; .ci/run runs it"]
fn the_image_is_small_non_root_and_runs_the_binary() {
    let image = image();
    let inspect = Command::new("docker")
        .args([
            "image",
            "inspect",
            "--format",
            "{{.Size}}|{{.Config.User}}|{{json .Config.Entrypoint}}",
            &image,
        ])
        .output()
        .expect("docker image inspect");
    let text = String::from_utf8_lossy(&inspect.stdout);
    let fields: Vec<&str> = text.trim().split('|').collect();
    let size: u64 = fields[0].parse().expect("a size in bytes");
    assert!(size <= MAX_IMAGE_BYTES, "the image has {size} bytes");
    assert!(
        !fields[1].is_empty()
            && !fields[1].starts_with("0:")
            && fields[1] != "0"
            && fields[1] != "root",
        "the image's default user is {:?}",
        fields[1]
    );
    assert_eq!(fields[2], r#"["/keptn-dt-metrics"]"#);
}

/// README "A load test and its report in one task": the binary copied out of the image into the
/// load-test image. Built from examples/loadtest-image/Dockerfile as written, with the image CI
/// built as REPORTER and `scratch` for the tool's image (nothing can be pulled here), then run as
/// the task runs it, on a k6 summary.
#[test]
#[ignore = "needs a Docker engine and KEPTN_DT_METRICS_IMAGE; .ci/run runs it"]
fn the_binary_copied_into_a_load_test_image_reports_the_tests_results() {
    let image = image();
    let tag = "keptn-dt-metrics-loadtest:test";
    let context = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/loadtest-image");
    let build = Command::new("docker")
        .env("DOCKER_BUILDKIT", "0")
        .args(["build", "--quiet", "-t", tag])
        .args(["--build-arg", &format!("REPORTER={image}")])
        .args(["--build-arg", "LOADTEST=scratch", context])
        .output()
        .expect("docker build");
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );

    let server = FakeDynatrace::accepting();
    let out = run_locked_down(
        tag,
        &[("DT_TENANT", server.url()), ("DT_API_TOKEN", TOKEN)],
        &[
            "/usr/local/bin/keptn-dt-metrics",
            "--results",
            "/keptn/k6-summary.json",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("examples/k6-summary.json (k6-summary)")
            || stdout.contains("(k6-summary): "),
        "{stdout}"
    );
    let lines: Vec<String> = server
        .requests()
        .iter()
        .flat_map(|r| r.lines().into_iter().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    assert!(
        lines.contains(
            &"keptn.loadtest.requests,request=_all,tool=k6,ci_platform=keptn count,delta=26"
                .to_owned()
        ),
        "{lines:#?}"
    );
    let _ = Command::new("docker").args(["rmi", "-f", tag]).output();
}

/// The image build CI runs (`.ci/run`'s copy and `docker build` lines, which the README gives as
/// they are) with CARGO_TARGET_DIR outside the build context: the `prebuilt` stage packages the
/// binary from wherever cargo put it. A copy of the Dockerfile and .dockerignore is the context,
/// so the worktree's own target/image/ is left alone; nothing is pulled (`FROM scratch`).
#[test]
#[ignore = "needs a Docker engine; .ci/run runs it"]
fn the_prebuilt_stage_takes_the_binary_from_any_cargo_target_dir() {
    let root = env!("CARGO_MANIFEST_DIR");
    let ci = std::fs::read_to_string(format!("{root}/.ci/run")).expect(".ci/run");
    let steps: Vec<&str> = ci
        .lines()
        .filter(|l| l.starts_with("install -D ") || l.starts_with("DOCKER_BUILDKIT=0 docker build"))
        // The shell image's busybox and build come after.
        .filter(|l| !l.contains("busybox") && !l.contains("--target shell"))
        .collect();
    assert_eq!(
        steps.len(),
        2,
        "the copy and the build in .ci/run: {steps:?}"
    );
    let tag = "keptn-dt-metrics:prebuilt-test";
    let script = steps.join("\n").replace("keptn-dt-metrics:ci", tag);

    let dir = support::Workdir::new("prebuilt");
    let context = dir.path().join("context");
    std::fs::create_dir(&context).unwrap();
    for file in ["Dockerfile", ".dockerignore"] {
        std::fs::copy(format!("{root}/{file}"), context.join(file)).unwrap();
    }
    let target = dir.path().join("elsewhere");
    let built = target.join("x86_64-unknown-linux-gnu/release/keptn-dt-metrics");
    std::fs::create_dir_all(built.parent().unwrap()).unwrap();
    std::fs::write(&built, b"the binary cargo built").unwrap();

    let out = Command::new("sh")
        .args(["-ec", &script])
        .current_dir(&context)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("sh runs");
    assert!(
        out.status.success(),
        "{script}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let container = Command::new("docker")
        .args(["create", tag])
        .output()
        .expect("docker create");
    let id = String::from_utf8_lossy(&container.stdout).trim().to_owned();
    let copied = dir.path().join("copied");
    let cp = Command::new("docker")
        .args(["cp", &format!("{id}:/keptn-dt-metrics")])
        .arg(&copied)
        .status()
        .expect("docker cp");
    let _ = Command::new("docker").args(["rm", &id]).output();
    let _ = Command::new("docker").args(["rmi", "-f", tag]).output();
    assert!(cp.success());
    assert_eq!(std::fs::read(copied).unwrap(), b"the binary cargo built");
}

/// The image with a shell (the Dockerfile's `shell` target) runs action.yml's script as GitHub
/// runs a container action: as root, the workspace and the outputs file mounted.
#[test]
#[ignore = "needs a Docker engine and KEPTN_DT_METRICS_SHELL_IMAGE; .ci/run runs it"]
fn the_shell_image_runs_the_github_actions_script_and_writes_the_outputs() {
    let _ = image();
    let shell_image = std::env::var("KEPTN_DT_METRICS_SHELL_IMAGE").unwrap_or_else(|_| {
        panic!("KEPTN_DT_METRICS_SHELL_IMAGE is not set (`.ci/run` builds the `shell` target)")
    });
    let action: serde_yaml_ng::Value = serde_yaml_ng::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml")).unwrap(),
    )
    .unwrap();
    let script = action["runs"]["args"][1].as_str().unwrap();
    let dir = support::Workdir::new("shell-image");
    dir.write("output", "");
    let server = FakeDynatrace::accepting();
    let mut command = Command::new("docker");
    command.args(["run", "--rm", "--read-only", "--network", "host"]);
    command.args(["-v", &format!("{}:/github/workspace", dir.path().display())]);
    command.args(["-w", "/github/workspace", "--entrypoint", "/bin/sh"]);
    let inputs = action["inputs"].as_mapping().unwrap();
    for (name, input) in inputs {
        let name = name.as_str().unwrap();
        let value = match name {
            "dt_tenant" => server.url().to_owned(),
            "dt_api_token" => TOKEN.to_owned(),
            "args" => "-m build_time=42".to_owned(),
            _ => input["default"].as_str().unwrap_or_default().to_owned(),
        };
        command.args(["-e", &format!("INPUT_{}={value}", name.to_uppercase())]);
    }
    command.args(["-e", "GITHUB_OUTPUT=/github/workspace/output"]);
    let out = command
        .arg(shell_image)
        .args(["-c", script])
        .output()
        .expect("docker run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let outputs = std::fs::read_to_string(dir.path().join("output")).unwrap();
    assert!(
        outputs.contains("outcome=accepted\nexit-code=0\nlines-ok=1\n"),
        "{outputs}"
    );
    assert_eq!(server.requests().len(), 1);
}
