//! The README's JSON, YAML, Dockerfile and script examples: JSON inputs are read by the binary,
//! the JSON report is what a run reports, Keptn's JSON context becomes dimensions; the others are
//! copies of files that tests of their own check; the layout names the files there are.

use std::path::Path;

use crate::markdown::{blocks_with, read, Block, ROOT, TENANT};
use crate::support::{FakeDynatrace, Reply, Workdir};

enum Json {
    Input,
    Report,
    KeptnContext,
}

fn json_kind(block: &Block) -> Json {
    if block.body.contains("\"workloadName\"") {
        Json::KeptnContext
    } else if block.body.contains("\"outcome\"") {
        Json::Report
    } else {
        Json::Input
    }
}

fn place(block: &Block) -> String {
    format!("{}:{}", block.file, block.line)
}

#[test]
fn json_inputs_are_read_as_they_stand() {
    let dir = Workdir::new("readme-json");
    let mut read = 0;
    for block in blocks_with("json") {
        if !matches!(json_kind(&block), Json::Input) {
            continue;
        }
        dir.write("example.json", &block.body);
        let out = dir
            .cli()
            .args(["--dry-run", "--input", "example.json", "-o", "json"])
            .run();
        assert_eq!(out.code, 0, "{}: {out:?}", place(&block));
        let report = out.json();
        assert_eq!(
            report["lines"]["warnings"],
            serde_json::json!([]),
            "{}",
            place(&block)
        );
        read += 1;
    }
    assert!(read >= 3, "{read}");
}

#[test]
fn keptns_json_context_becomes_the_dimensions_the_readme_names() {
    let blocks: Vec<Block> = blocks_with("json")
        .into_iter()
        .filter(|b| matches!(json_kind(b), Json::KeptnContext))
        .collect();
    assert_eq!(blocks.len(), 1);
    let out = Workdir::new("readme-context")
        .cli()
        .env("KEPTN_CONTEXT", blocks[0].body.trim())
        .args(["--dry-run", "-m", "deployed=1"])
        .run();
    out.expect_code(0);
    assert_eq!(
        out.stdout,
        "keptn.deployed,ci_platform=keptn,keptn_app=sockshop,keptn_app_version=1.0.0,\
         keptn_workload=carts,keptn_workload_version=0.2.1,keptn_task_type=post,\
         keptn_object_type=Workload,commit=abc123,stage=production gauge,1\n"
    );
}

/// The run the README's report example describes: Dynatrace refuses the third entry, the fourth
/// is refused locally.
#[test]
fn the_json_report_example_is_what_such_a_run_reports() {
    let blocks: Vec<Block> = blocks_with("json")
        .into_iter()
        .filter(|b| matches!(json_kind(b), Json::Report))
        .collect();
    assert_eq!(blocks.len(), 1);
    let example: serde_json::Value =
        serde_json::from_str(&blocks[0].body).expect("the report example is JSON");

    let dir = Workdir::new("readme-report");
    dir.write(
        "metrics.json",
        r#"[{"name": "requests", "type": "count", "value": 12000},
            {"name": "error_rate", "value": 0.0042},
            {"name": "queue_depth", "value": 7},
            {"name": "response_time", "min": 5, "max": 1, "sum": 3, "count": 1}]"#,
    );
    let server = FakeDynatrace::scripted(vec![Reply::json(
        400,
        r#"{"linesOk": 2, "linesInvalid": 1, "error": {"code": 400, "message": "1 invalid lines",
            "invalidLines": [{"line": 3, "error": "invalid value"}]}}"#,
    )]);
    let out = dir
        .cli()
        .credentials(server.url(), "dt0c01.README")
        .args(["--input", "metrics.json", "--output", "json"])
        .run();
    out.expect_code(3);
    let report: serde_json::Value =
        serde_json::from_str(&out.stdout.replace(server.url(), TENANT)).unwrap();
    assert_eq!(report, example, "{}: the report example", place(&blocks[0]));
}

/// Files whose tests check them: the job-executor's (tests/job_config.rs, tests/job_wiring.rs),
/// the lifecycle toolkit's (tests/keptn_taskdefinition.rs), and the load-test image
/// (tests/container.rs builds it).
const CHECKED_FILES: [&str; 15] = [
    "job/config.yaml",
    "job/shipyard.yaml",
    "job/jes-values.yaml",
    "keptn/taskdefinition.yaml",
    "keptn/appcontext.yaml",
    "examples/loadtest-image/Dockerfile",
    "examples/loadtest-image/loadtest.js",
    "examples/loadtest-image/taskdefinition.yaml",
    "examples/loadtest-image/job-config.yaml",
    "action.yml",
    "deploy/gitlab/keptn-dt-metrics.gitlab-ci.yml",
    "deploy/argo/analysis-template.yaml",
    "deploy/tekton/task.yaml",
    "deploy/jenkins/Jenkinsfile",
    "deploy/azure/azure-pipelines.yml",
];

/// Lines that say something: no blank lines, no comments.
fn meaningful(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim_start().starts_with("//"))
        .collect()
}

#[test]
fn yaml_dockerfile_and_script_examples_are_copies_of_checked_files() {
    let files: Vec<(&str, String)> = CHECKED_FILES.iter().map(|f| (*f, read(f))).collect();
    let mut copies = 0;
    for info in ["yaml", "dockerfile", "javascript", "groovy"] {
        for block in blocks_with(info) {
            let lines = meaningful(&block.body);
            let found = files.iter().find(|(_, text)| {
                meaningful(text)
                    .windows(lines.len())
                    .any(|window| window == lines.as_slice())
            });
            assert!(
                found.is_some(),
                "{}: this ```{info} block is not a copy of a part of {CHECKED_FILES:?}",
                place(&block)
            );
            copies += 1;
        }
    }
    assert!(copies >= 6, "{copies}");
}

#[test]
fn the_layout_names_every_part_of_src_and_nothing_else() {
    let layout = blocks_with("text")
        .into_iter()
        .find(|b| b.body.starts_with("src/"))
        .expect("the Layout block");
    let listed: Vec<String> = layout
        .body
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .map(|name| name.trim_end_matches('/').to_owned())
        .collect();
    let mut there: Vec<String> = std::fs::read_dir(Path::new(ROOT).join("src"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "lib.rs")
        .collect();
    there.sort();
    let mut listed_sorted = listed.clone();
    listed_sorted.sort();
    assert_eq!(listed_sorted, there, "the Layout block and src/ differ");
}
