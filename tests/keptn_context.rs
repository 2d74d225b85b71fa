//! Today's Keptn (the lifecycle toolkit) sets `KEPTN_CONTEXT` to its task context as JSON: it
//! becomes dimensions on every line and attributes on every histogram point.

#[allow(dead_code)]
mod support;

use support::otlp::{delta_point, metrics, otlp_requests, pair, pairs};
use support::{FakeDynatrace, Workdir};

const TOKEN: &str = "dt0c01.CONTEXTSECRETSECRET";

/// What Keptn's operator sets for a workload's post-deployment task.
const TASK_CONTEXT: &str = r#"{"workloadName":"carts","appName":"sockshop","appVersion":"1.0.0",
  "workloadVersion":"0.2.1","taskType":"post","objectType":"Workload",
  "metadata":{"stage":"prod","Commit ID":"abc123"}}"#;

const DIMENSIONS: &str = "ci_platform=keptn,keptn_app=sockshop,keptn_app_version=1.0.0,\
    keptn_workload=carts,keptn_workload_version=0.2.1,keptn_task_type=post,\
    keptn_object_type=Workload,commit_id=abc123,stage=prod";

#[test]
fn the_task_context_becomes_dimensions_on_lines_and_attributes_on_histogram_points() {
    let dir = Workdir::new("keptn-task-context");
    dir.write("s.txt", "12\n40\n");
    let server = FakeDynatrace::accepting();
    let out = dir
        .cli()
        .credentials(server.url(), TOKEN)
        .env("KEPTN_CONTEXT", TASK_CONTEXT)
        .args(["-m", "deployed=1", "--histogram", "latency=s.txt"])
        .run();
    out.expect_code(0);

    let lines = server.requests_to(support::INGEST_PATH);
    assert_eq!(
        lines[0].lines(),
        vec![format!("keptn.deployed,{DIMENSIONS} gauge,1")]
    );

    let requests = otlp_requests(&server);
    let request = &requests[0].1;
    let resource = pairs(
        &request.resource_metrics[0]
            .resource
            .as_ref()
            .unwrap()
            .attributes,
    );
    assert!(
        resource.contains(&pair("service.name", "carts")),
        "{resource:?}"
    );
    assert!(
        resource.contains(&pair("service.version", "0.2.1")),
        "{resource:?}"
    );
    let attributes = pairs(&delta_point(metrics(request)[0]).attributes);
    for expected in DIMENSIONS.split(',') {
        let (key, value) = expected.split_once('=').unwrap();
        assert!(
            attributes.contains(&pair(key, value)),
            "{expected} in {attributes:?}"
        );
    }
    assert!(!attributes.iter().any(|(k, _)| k == "keptn_context"));
}

#[test]
fn a_context_that_looks_like_json_but_is_not_the_task_context_is_a_usage_error() {
    let server = FakeDynatrace::accepting();
    let out = Workdir::new("keptn-task-context-bad")
        .cli()
        .credentials(server.url(), TOKEN)
        .env("KEPTN_CONTEXT", r#"{"appName": ["sockshop"]}"#)
        .args(["-m", "deployed=1"])
        .run();
    out.expect_code(2);
    assert!(out.stderr.contains("KEPTN_CONTEXT"), "{}", out.stderr);
    assert!(out.stderr.contains("\"workloadName\""), "{}", out.stderr);
    assert!(server.requests().is_empty(), "nothing is sent");
}

#[test]
fn the_job_executors_context_id_is_still_a_dimension() {
    let out = Workdir::new("keptn-context-id")
        .cli()
        .env("KEPTN_CONTEXT", "0f4a-11")
        .env("DT_METADATA_ENRICHMENT", "false")
        .args(["--dry-run", "-m", "deployed=1"])
        .run();
    out.expect_code(0);
    assert_eq!(
        out.stdout,
        "keptn.deployed,ci_platform=keptn,keptn_context=0f4a-11 gauge,1\n"
    );
}

/// The task context's metadata is the user's: it ranks with the labels, below the context's
/// own dimensions (which it cannot override), and every change to it is a warning naming the
/// entry. The trace context Keptn adds to it identifies one deployment: never a dimension.
#[test]
fn metadata_cannot_override_the_context_and_every_change_to_it_is_warned() {
    let context = r#"{"workloadName":"carts","appName":"sockshop","appVersion":"1.0.0",
      "workloadVersion":"0.2.1","taskType":"post","objectType":"Workload",
      "metadata":{"ci_platform":"fake","keptn_app":"fake","Stage":"a","stage":"b","...":"x",
                  "traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}"#;
    let out = Workdir::new("keptn-metadata")
        .cli()
        .env("KEPTN_CONTEXT", context)
        .args(["--dry-run", "-m", "deployed=1", "-o", "json"])
        .run();
    out.expect_code(0);
    let report = out.json();
    assert_eq!(
        report["lines"]["payload"][0],
        "keptn.deployed,ci_platform=keptn,keptn_app=sockshop,keptn_app_version=1.0.0,\
         keptn_workload=carts,keptn_workload_version=0.2.1,keptn_task_type=post,\
         keptn_object_type=Workload,stage=b gauge,1"
    );
    let warnings: Vec<(String, String)> = report["lines"]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["input"].as_str().unwrap().to_owned(),
                w["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let warning = |input: &str, code: &str| (input.to_owned(), code.to_owned());
    assert_eq!(
        warnings,
        vec![
            warning("KEPTN_CONTEXT metadata....", "dimension_dropped"),
            warning("KEPTN_CONTEXT metadata.Stage", "dimension_key_collision"),
            warning("KEPTN_CONTEXT metadata.ci_platform", "dimension_overridden"),
            warning("KEPTN_CONTEXT metadata.keptn_app", "dimension_overridden"),
        ]
    );
    assert_eq!(
        report["context"],
        serde_json::json!({"platform": "keptn", "read_from": "KEPTN_CONTEXT, today's Keptn"})
    );
}

/// 8,000 metadata entries make every line refused for more than 50 dimensions: refused once,
/// before anything is read, saying where the dimensions came from.
#[test]
fn more_dimensions_than_a_line_may_have_are_a_usage_error_before_anything_is_read() {
    let metadata: Vec<String> = (0..8000).map(|i| format!(r#""key{i}":"v""#)).collect();
    let context = format!(
        r#"{{"appName":"shop","metadata":{{{}}}}}"#,
        metadata.join(",")
    );
    let server = FakeDynatrace::accepting();
    let out = Workdir::new("keptn-metadata-many")
        .cli()
        .credentials(server.url(), TOKEN)
        .env("KEPTN_CONTEXT", &context)
        .args(["-m", "deployed=1", "--lines", "-"])
        .run();
    out.expect_code(2);
    assert_eq!(
        out.stderr,
        "keptn-dt-metrics: error: 8002 dimensions would be on every line (2 from the run's \
         context, 8000 from labels and metadata): Dynatrace takes at most 50 per line, so every \
         line would be refused; leave some out\n"
    );
    assert!(server.requests().is_empty(), "nothing is sent");
}
