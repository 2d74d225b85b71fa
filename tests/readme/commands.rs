//! The README's shell commands: those that run here are run as written (`cargo run --` is the
//! binary cargo built for this test, the tenant is an in-process fake Dynatrace); the others say
//! why they cannot, and what they name is checked.

use std::path::Path;
use std::process::Command;

use crate::markdown::{blocks, blocks_with, commands, option, read, shell_words, ROOT, TENANT};
use crate::support::FakeDynatrace;

const BIN: &str = env!("CARGO_BIN_EXE_keptn-dt-metrics");

#[derive(Debug, PartialEq)]
pub enum Kind {
    /// `export NAME=VALUE ...`: the environment of the block's later commands.
    Export,
    /// Runs here: `cargo run -- ...`, alone or in a pipeline.
    Run,
    /// `cargo test`, with the image's name or without: what runs this.
    CargoTest,
    /// The image build from a binary cargo built (and copied into the build context); `.ci/run`
    /// runs these.
    Ci,
    /// `docker run` of the image; the ignored test below runs it where CI built the image.
    DockerRun,
    /// `kubectl ... create secret`: kubectl.rs checks it, and runs it with --dry-run=client.
    KubectlSecret,
    /// Cannot run here, for the reason given.
    Elsewhere(&'static str),
    Unknown,
}

pub fn kind(command: &str) -> Kind {
    let mut words = shell_words(command);
    // `KEPTN_DT_METRICS_IMAGE=... KEPTN_DT_METRICS_SHELL_IMAGE=... cargo test`: the images.
    let images = words
        .iter()
        .take_while(|w| w.starts_with("KEPTN_DT_METRICS_") && w.contains('='))
        .count();
    if images > 0 && words.get(images).map(String::as_str) == Some("cargo") {
        words.drain(..images);
    }
    let word = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
    match (word(0), word(1)) {
        ("export", _) => Kind::Export,
        _ if command.contains("cargo run") => Kind::Run,
        ("cargo", "test") => Kind::CargoTest,
        (image, "cargo") if image.starts_with("KEPTN_DT_METRICS_IMAGE=") && word(2) == "test" => {
            Kind::CargoTest
        }
        ("cargo", "build")
        | ("rustup", _)
        | ("RUSTFLAGS=-C target-feature=+crt-static", "cargo")
        | ("install", "-D")
        | ("DOCKER_BUILDKIT=0", "docker") => Kind::Ci,
        ("sudo", "apt-get") => Kind::Elsewhere(
            "installs a system package as root; .ci/run installs busybox-static where it is \
             missing",
        ),
        ("docker", "build") if command.contains("examples/loadtest-image") => Kind::Elsewhere(
            "pulls the load-test tool's image; CI builds the same Dockerfile FROM scratch \
             (tests/container.rs)",
        ),
        ("docker", "build") => Kind::Elsewhere(
            "pulls rust:1-slim, which this machine cannot; CI builds the `prebuilt` stage",
        ),
        ("docker", "run") => Kind::DockerRun,
        ("kubectl", _) if command.contains("create secret generic") => Kind::KubectlSecret,
        ("kubectl", _) => Kind::Elsewhere(
            "needs a Kubernetes cluster with Keptn; the files it applies are checked against \
             the CRDs by tests/keptn_taskdefinition.rs",
        ),
        ("helm", _) => Kind::Elsewhere(
            "needs a cluster with the job-executor; tests/job_wiring.rs checks the values file",
        ),
        ("keptn", "add-resource") => Kind::Elsewhere(
            "needs a Keptn v1 control plane; the resources it uploads are checked to exist, and \
             job/config.yaml by tests/job_config.rs",
        ),
        _ => Kind::Unknown,
    }
}

/// Each command with the exports that come before it in its block.
fn runnable() -> Vec<(String, String, Option<String>)> {
    let mut runs = Vec::new();
    let all = blocks();
    for (i, block) in all.iter().enumerate().filter(|(_, b)| b.info == "sh") {
        let output = all
            .get(i + 1)
            .filter(|next| next.info == "text" && next.file == block.file)
            .map(|next| next.body.clone());
        let commands = commands(&block.body);
        let last_run = commands.iter().rposition(|c| kind(c) == Kind::Run);
        let mut exports = String::new();
        for (j, command) in commands.iter().enumerate() {
            match kind(command) {
                Kind::Export => exports.push_str(&format!("{command}\n")),
                Kind::Run => {
                    let place = format!("{}:{}: {command}", block.file, block.line);
                    let expected = output.clone().filter(|_| Some(j) == last_run);
                    runs.push((place, format!("{exports}{command}"), expected));
                }
                _ => {}
            }
        }
    }
    runs
}

#[test]
fn the_commands_run_as_written() {
    let server = FakeDynatrace::accepting();
    let runs = runnable();
    assert!(runs.len() >= 10, "{runs:?}");
    for (place, script, expected) in runs {
        let script = script
            .replace("cargo run --release --", BIN)
            .replace("cargo run --", BIN)
            .replace(TENANT, server.url());
        let out = Command::new("sh")
            .args(["-ec", &script])
            .current_dir(ROOT)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .output()
            .expect("sh runs");
        let stdout = String::from_utf8_lossy(&out.stdout).replace(server.url(), TENANT);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{place}\nexit {:?}\n{stdout}\n{stderr}",
            out.status
        );
        if let Some(expected) = expected {
            assert_eq!(stdout, expected, "{place}: what the README says it prints");
        }
    }
    assert!(
        !server.requests().is_empty(),
        "the tenant example sent nothing"
    );
}

/// `.ci/run`'s commands, words joined by one space.
fn ci_commands() -> Vec<String> {
    commands(&read(".ci/run"))
        .iter()
        .map(|c| shell_words(c).join(" "))
        .collect()
}

#[test]
fn the_image_build_commands_are_the_ones_ci_runs() {
    let ci = ci_commands();
    let mut checked = 0;
    for block in blocks_with("sh") {
        for command in commands(&block.body).iter().filter(|c| kind(c) == Kind::Ci) {
            // CI names its image keptn-dt-metrics:ci and builds quietly.
            let words: Vec<String> = shell_words(command);
            let found = ci.iter().any(|c| {
                c.replace(" --quiet", "")
                    .replace("keptn-dt-metrics:ci", "keptn-dt-metrics")
                    == words.join(" ")
            });
            assert!(
                found,
                "{}:{}: `{command}` is not in .ci/run: {ci:#?}",
                block.file, block.line
            );
            checked += 1;
        }
    }
    assert_eq!(
        checked, 5,
        "cargo build, the copy, docker build; busybox's copy, the shell image's build"
    );
}

#[test]
fn commands_that_cannot_run_here_name_files_that_exist() {
    let mut elsewhere = 0;
    for block in blocks_with("sh") {
        for command in commands(&block.body) {
            if !matches!(kind(&command), Kind::Elsewhere(_)) {
                continue;
            }
            elsewhere += 1;
            let words = shell_words(&command);
            let files = [option(&words, &["-f"]), option(&words, &["--resource"])];
            for file in files.into_iter().flatten() {
                assert!(
                    Path::new(ROOT).join(file).is_file(),
                    "{}:{}: `{command}` names {file}, which is missing",
                    block.file,
                    block.line
                );
            }
            if words[0] == "docker" {
                let context = words.last().unwrap();
                assert!(
                    Path::new(ROOT).join(context).join("Dockerfile").is_file(),
                    "{command}"
                );
            }
        }
    }
    assert!(elsewhere >= 8, "{elsewhere}");
}

#[test]
#[ignore = "needs a Docker engine and KEPTN_DT_METRICS_IMAGE; .ci/run runs it"]
fn the_docker_run_command_runs_the_image() {
    let image = std::env::var("KEPTN_DT_METRICS_IMAGE")
        .expect("KEPTN_DT_METRICS_IMAGE is not set (`.ci/run` builds the image and sets it)");
    let mut ran = 0;
    for block in blocks_with("sh") {
        for command in commands(&block.body)
            .iter()
            .filter(|c| kind(c) == Kind::DockerRun)
        {
            let command = command.replace(" keptn-dt-metrics ", &format!(" {image} "));
            let out = Command::new("sh")
                .args(["-ec", &command])
                .current_dir(ROOT)
                .env("DT_TENANT", TENANT)
                .env("DT_API_TOKEN", "dt0c01.README")
                .output()
                .expect("sh runs");
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{command}\n{stdout}\n{stderr}");
            assert!(
                stdout.contains("keptn.requests,test_strategy=performance,ci_platform=keptn,keptn_project=sockshop,keptn_stage=staging count,delta=12000"),
                "{command}\n{stdout}"
            );
            ran += 1;
        }
    }
    assert_eq!(ran, 1);
}

/// The commands of `--help`'s Examples section: an indented line after a line ending in `:`,
/// backslash continuations joined.
fn help_examples() -> Vec<String> {
    let help = Command::new(BIN).arg("--help").output().expect("--help");
    let help = String::from_utf8(help.stdout).unwrap();
    let examples = help
        .split("\nExamples:\n")
        .nth(1)
        .expect("an Examples section")
        .split("\n\n")
        .next()
        .unwrap();
    let commands_only: String = examples
        .lines()
        .filter(|l| l.starts_with("    "))
        .map(|l| format!("{l}\n"))
        .collect();
    commands(&commands_only)
}

#[test]
fn the_help_examples_run_as_written() {
    let server = FakeDynatrace::accepting();
    let examples = help_examples();
    assert!(examples.len() >= 4, "{examples:?}");
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for example in examples {
        let script = example.replace(TENANT, server.url());
        let out = Command::new("sh")
            .args(["-ec", &script])
            .current_dir(ROOT)
            .env_clear()
            .env("PATH", &path)
            .output()
            .expect("sh runs");
        assert!(
            out.status.success(),
            "{example}\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let sent: usize = server.requests().len();
    assert_eq!(
        sent, 2,
        "the tenant example sends its lines and its histogram"
    );
}
