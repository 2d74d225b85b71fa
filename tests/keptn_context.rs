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
