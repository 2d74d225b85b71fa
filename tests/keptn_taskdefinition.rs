//! `keptn/taskdefinition.yaml` and `keptn/appcontext.yaml` as today's Keptn (formerly the Keptn
//! Lifecycle Toolkit) takes them: checked against the v1 schemas of the CRDs vendored in
//! `tests/fixtures/keptn`, made strict the way the API server's strict field validation is (an
//! object schema with `properties` admits no other key unless it says
//! `x-kubernetes-preserve-unknown-fields` or gives `additionalProperties`), and with the flags,
//! secret and security context this binary needs.

#[allow(dead_code)]
mod support;

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::{json, Value};

use support::help::{declared_env_vars, declared_flags, help};

const TASK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/keptn/taskdefinition.yaml");
const APP_CONTEXT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/keptn/appcontext.yaml");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keptn");
const BIN: &str = env!("CARGO_BIN_EXE_keptn-dt-metrics");

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{path}: not one YAML document: {e}"))
}

/// Closes every object schema that lists `properties`, as strict field validation does.
fn close(schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    let preserve = object.get("x-kubernetes-preserve-unknown-fields") == Some(&json!(true));
    if object.contains_key("properties")
        && !preserve
        && !object.contains_key("additionalProperties")
    {
        object.insert("additionalProperties".into(), json!(false));
    }
    for (keyword, child) in object.iter_mut() {
        match keyword.as_str() {
            "properties" => child
                .as_object_mut()
                .into_iter()
                .flatten()
                .for_each(|(_, s)| close(s)),
            "items" | "additionalProperties" => close(child),
            "anyOf" | "allOf" | "oneOf" => {
                child.as_array_mut().into_iter().flatten().for_each(close)
            }
            _ => {}
        }
    }
}

/// The validator for a vendored CRD's version `v1`, closed. The CRD leaves `metadata` to the API
/// server (ObjectMeta); this adds the ObjectMeta fields these files may use, closed too, and pins
/// `apiVersion` and `kind` to the CRD's.
fn validator(crd_file: &str) -> jsonschema::Validator {
    let crd = yaml(&format!("{FIXTURES}/{crd_file}"));
    let version = crd["spec"]["versions"]
        .as_array()
        .and_then(|versions| versions.iter().find(|v| v["name"] == "v1"))
        .unwrap_or_else(|| panic!("{crd_file} has no version v1"));
    let mut schema = version["schema"]["openAPIV3Schema"].clone();
    assert!(
        schema["properties"]["spec"].is_object(),
        "{crd_file}: no spec schema"
    );
    close(&mut schema);
    let map = json!({"type": "object", "additionalProperties": {"type": "string"}});
    schema["properties"]["metadata"] = json!({
        "type": "object", "required": ["name"], "additionalProperties": false,
        "properties": {"name": {"type": "string"}, "namespace": {"type": "string"},
                       "labels": map, "annotations": map}});
    let api_version = format!("{}/v1", crd["spec"]["group"].as_str().unwrap());
    schema["properties"]["apiVersion"]["const"] = json!(api_version);
    schema["properties"]["kind"]["const"] = crd["spec"]["names"]["kind"].clone();
    schema["required"] = json!(["apiVersion", "kind", "metadata", "spec"]);
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{crd_file}: not a usable schema: {e}"))
}

fn task_validator() -> jsonschema::Validator {
    validator("lifecycle.keptn.sh_keptntaskdefinitions.v1.yaml")
}

/// Every error as `<JSON pointer>: <message>`.
fn errors(validator: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    validator
        .iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn container(task: &Value) -> &Value {
    &task["spec"]["container"]
}

#[test]
fn task_definition_matches_the_crd_strictly() {
    let task = yaml(TASK);
    let found = errors(&task_validator(), &task);
    assert!(found.is_empty(), "keptn/taskdefinition.yaml: {found:#?}");
    let runtimes = ["deno", "python", "function"].map(|r| &task["spec"][r]);
    assert!(runtimes.iter().all(|r| r.is_null()), "a second runtime");
}

#[test]
fn app_context_matches_its_crd_and_attaches_the_task() {
    let context = yaml(APP_CONTEXT);
    let found = errors(
        &validator("lifecycle.keptn.sh_keptnappcontexts.v1.yaml"),
        &context,
    );
    assert!(found.is_empty(), "keptn/appcontext.yaml: {found:#?}");
    let name = &yaml(TASK)["metadata"]["name"];
    let tasks = context["spec"]["postDeploymentTasks"]
        .as_array()
        .expect("a list");
    assert!(
        tasks.contains(name),
        "postDeploymentTasks {tasks:?} lacks {name}"
    );
}

/// Sets (or, with null, removes) the value at a JSON pointer whose parent exists.
fn set(doc: &mut Value, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let parent = doc
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap();
    match value {
        Value::Null => drop(parent.remove(key)),
        value => drop(parent.insert(key.to_owned(), value)),
    }
}

/// Each line: where to change the file, the new value (JSON; null removes), where the error must
/// be reported.
const BROKEN: &str = r#"
    /spec/container/imagePullPolicyy                    "Always"         /spec/container
    /spec/retriez                                       1                /spec
    /spec/container/securityContext/capabilities/dropp  ["ALL"]          /spec/container/securityContext/capabilities
    /metadata/labelz                                    {}               /metadata
    /spec/retries                                       "0"              /spec/retries
    /spec/container/args                                "--metric"       /spec/container/args
    /spec/container/securityContext/runAsNonRoot        "true"           /spec/container/securityContext/runAsNonRoot
    /spec/container/env/0/valueFrom/secretKeyRef/key    null             /spec/container/env/0/valueFrom/secretKeyRef
    /spec/container/name                                null             /spec/container
    /spec/timeout                                       "2min"           /spec/timeout
    /kind                                               "KeptnTask"      /kind
"#;

#[test]
fn the_validator_rejects_unknown_keys_wrong_types_and_missing_fields() {
    let validator = task_validator();
    let task = yaml(TASK);
    for case in BROKEN.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = case.split_whitespace().collect();
        let [pointer, value, at] = fields[..] else {
            panic!("a case of three fields: {case}")
        };
        let mut broken = task.clone();
        set(&mut broken, pointer, serde_json::from_str(value).unwrap());
        let found = errors(&validator, &broken);
        let reported = found.iter().any(|e| e.starts_with(&format!("{at}: ")));
        assert!(reported, "{pointer} = {value}: nothing at {at}: {found:#?}");
    }
    // What the schema leaves open stays open: any resource name under limits.
    let mut open = task.clone();
    let limit = "/spec/container/resources/limits/ephemeral-storage";
    set(&mut open, limit, json!("64Mi"));
    assert_eq!(errors(&validator, &open), Vec::<String>::new());
}

/// The items of a list, none if absent.
fn list(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

#[test]
fn dt_tenant_and_dt_api_token_come_from_the_secret() {
    let task = yaml(TASK);
    let mut from_secret = BTreeSet::new();
    for var in list(&container(&task)["env"]) {
        let name = var["name"].as_str().unwrap();
        if let Some(reference) = var["valueFrom"]["secretKeyRef"].as_object() {
            assert_eq!(reference["name"], "dynatrace", "{name}: another secret");
            assert_eq!(reference["key"], name, "{name}: another key");
            from_secret.insert(name);
        } else {
            let secret = ["DT_TENANT", "DT_API_TOKEN"];
            assert!(!secret.contains(&name), "{name} not from the secret");
        }
    }
    // The alternative wiring: every key of the secret as a variable.
    for source in list(&container(&task)["envFrom"]) {
        if source["secretRef"]["name"] == "dynatrace" && source["prefix"].is_null() {
            from_secret.extend(["DT_TENANT", "DT_API_TOKEN"]);
        }
    }
    let needed = BTreeSet::from(["DT_TENANT", "DT_API_TOKEN"]);
    assert!(
        from_secret.is_superset(&needed),
        "from the secret: {from_secret:?}"
    );
}

#[test]
fn runs_non_root_on_a_read_only_root_filesystem() {
    let task = yaml(TASK);
    let container = container(&task);
    let security = &container["securityContext"];
    assert_eq!(security["runAsNonRoot"], true, "{security}");
    let uid = security["runAsUser"].as_i64();
    assert!(uid.is_some_and(|uid| uid > 0), "{security}");
    assert_eq!(security["readOnlyRootFilesystem"], true, "{security}");
    assert_eq!(security["allowPrivilegeEscalation"], false, "{security}");
    assert_ne!(security["privileged"], true, "{security}");
    let dropped = list(&security["capabilities"]["drop"]);
    assert!(dropped.contains(&json!("ALL")), "{security}");
    assert!(security["capabilities"]["add"].is_null(), "{security}");
    // The image's ENTRYPOINT is the binary; no API access; a memory limit.
    assert!(container["command"].is_null(), "{container}");
    assert_eq!(task["spec"]["automountServiceAccountToken"]["type"], false);
    assert!(container["resources"]["limits"]["memory"].is_string());
}

fn args(task: &Value) -> Vec<&str> {
    let args = list(&container(task)["args"]).iter();
    args.map(|a| a.as_str().expect("a string")).collect()
}

#[test]
fn args_and_env_are_the_binarys() {
    let task = yaml(TASK);
    let help = help();
    let flags = declared_flags(&help);
    assert!(flags.contains("--metric"), "no flags read: {flags:?}");
    assert!(!args(&task).is_empty(), "no args: nothing to send");
    for arg in args(&task).iter().filter(|a| a.starts_with('-')) {
        let flag = arg.split('=').next().unwrap_or_default();
        assert!(flags.contains(flag), "{flag} is not in {flags:?}");
    }
    let vars = declared_env_vars(&help);
    for var in list(&container(&task)["env"]) {
        let name = var["name"].as_str().unwrap();
        assert!(vars.contains(name), "{name} is not in {vars:?}");
    }
}

/// What Keptn's operator puts into `KEPTN_CONTEXT` for a workload's post-deployment task.
const KEPTN_CONTEXT: &str = concat!(
    r#"{"workloadName":"carts","appName":"sockshop","appVersion":"1.0.0","#,
    r#""workloadVersion":"0.2.1","taskType":"post","objectType":"Workload","#,
    r#""metadata":{"stage":"prod"}}"#
);

/// Runs the task's args and env as Keptn would, with `--dry-run`, placeholders for the secret's
/// keys and Keptn's JSON `KEPTN_CONTEXT`.
#[test]
fn task_runs_as_a_dry_run_under_keptns_context() {
    let task = yaml(TASK);
    let mut cmd = Command::new(BIN);
    cmd.args(args(&task)).arg("--dry-run").env_clear();
    cmd.env("KEPTN_CONTEXT", KEPTN_CONTEXT);
    let mut prefix = "keptn.".to_owned();
    for var in list(&container(&task)["env"]) {
        let name = var["name"].as_str().unwrap();
        let value = match var["value"].as_str() {
            Some(value) => value,
            None if name == "DT_TENANT" => "https://abc12345.live.dynatrace.com",
            None => "dt0c01.XXXX",
        };
        if name == "INTEGRATION_NAME" {
            prefix = format!("keptn.{value}.");
        }
        cmd.env(name, value);
    }
    let out = cmd.output().expect("the binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{out:?}\n{stdout}\n{stderr}");
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.starts_with('#')).collect();
    assert!(!lines.is_empty(), "nothing would be sent:\n{stdout}");
    for line in lines {
        assert!(line.starts_with(&prefix), "not {prefix}: {line}");
        assert!(
            !line.contains("workloadName"),
            "KEPTN_CONTEXT sent whole: {line}"
        );
        assert!(
            line.contains(
                ",ci_platform=keptn,keptn_app=sockshop,keptn_app_version=1.0.0,\
                 keptn_workload=carts,keptn_workload_version=0.2.1,keptn_task_type=post,\
                 keptn_object_type=Workload,stage=prod "
            ),
            "the task context's dimensions: {line}"
        );
    }
}

const LOADTEST_TASK: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/loadtest-image/taskdefinition.yaml"
);

/// README "A load test and its report in one task": the task definition for the load-test image
/// is as strict as the project's, locked down the same way, and writes only to its volume.
#[test]
fn the_load_test_task_definition_matches_the_crd_strictly_and_reports_from_its_volume() {
    let task = yaml(LOADTEST_TASK);
    let found = errors(&task_validator(), &task);
    assert!(found.is_empty(), "{LOADTEST_TASK}: {found:#?}");
    let container = container(&task);
    let security = &container["securityContext"];
    assert_eq!(security["runAsNonRoot"], true, "{security}");
    assert_eq!(security["readOnlyRootFilesystem"], true, "{security}");
    assert_eq!(security["allowPrivilegeEscalation"], false, "{security}");
    assert!(list(&security["capabilities"]["drop"]).contains(&json!("ALL")));
    assert_eq!(task["spec"]["retries"], 0, "a retry reruns the test");
    let mounts = list(&container["volumeMounts"]);
    let volume = mounts[0]["mountPath"]
        .as_str()
        .expect("a volume for the results");
    let script = args(&task).join(" ");
    assert!(
        script.contains(&format!("--results {volume}/summary.json")),
        "{script}"
    );
    let env: Vec<&Value> = list(&container["env"]).iter().collect();
    assert!(
        env.iter()
            .any(|e| e["name"] == "RESULTS" && e["value"] == volume),
        "loadtest.js writes to RESULTS, which must be the volume: {env:?}"
    );
    // The timeout covers the test too: the report's deadline fits in the minute kept for it.
    let deadline = env
        .iter()
        .find(|e| e["name"] == "DT_DEADLINE_SECS")
        .and_then(|e| e["value"].as_str()?.parse::<u64>().ok())
        .expect("DT_DEADLINE_SECS set");
    assert!(deadline < 60, "{deadline}");
    for key in ["DT_TENANT", "DT_API_TOKEN"] {
        assert!(
            env.iter()
                .any(|e| e["name"] == key && e["valueFrom"]["secretKeyRef"]["name"] == "dynatrace"),
            "{key} from the secret"
        );
    }
}
