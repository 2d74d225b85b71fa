//! The README's `kubectl create secret` commands, which Keptn's tasks read DT_TENANT and
//! DT_API_TOKEN from (run for real with `--dry-run=client` where kubectl is installed), and the
//! `keptn add-resource` that uploads job/config.yaml.

use std::io::ErrorKind;
use std::path::Path;
use std::process::Command;

use crate::markdown::{blocks_with, commands, option, read, shell_words, ROOT};
use crate::support::kubernetes::is_rfc1123_subdomain;

fn is_secret_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
}

/// Every `kubectl ... create secret generic ...` command, as words.
fn secret_commands() -> Vec<Vec<String>> {
    let found: Vec<Vec<String>> = blocks_with("sh")
        .iter()
        .flat_map(|b| commands(&b.body))
        .filter(|c| c.contains("create secret generic"))
        .map(|c| shell_words(&c))
        .collect();
    assert_eq!(found.len(), 2, "one for each Keptn generation: {found:?}");
    found
}

/// `--from-literal=KEY=VALUE` pairs of the command.
fn literals(words: &[String]) -> Vec<(String, String)> {
    words
        .iter()
        .filter_map(|w| w.strip_prefix("--from-literal="))
        .map(|kv| {
            let (k, v) = kv
                .split_once('=')
                .unwrap_or_else(|| panic!("`--from-literal={kv}` is not KEY=VALUE"));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

fn secret_name(words: &[String]) -> &str {
    let generic = words
        .iter()
        .position(|w| w == "generic")
        .expect("`create secret generic`");
    words
        .get(generic + 1)
        .expect("a secret name after `generic`")
}

/// The secrets the Keptn files read: `valueFrom: secret` names in job/config.yaml and the
/// `secretKeyRef` names in keptn/taskdefinition.yaml.
fn secrets_read() -> Vec<String> {
    let job = read("job/config.yaml");
    let task = read("keptn/taskdefinition.yaml");
    let job = job.lines().collect::<Vec<_>>();
    let mut names: Vec<String> = job
        .windows(2)
        .filter(|w| w[1].trim() == "valueFrom: secret")
        .filter_map(|w| w[0].trim().strip_prefix("- name: "))
        .map(str::to_owned)
        .collect();
    let task = task.lines().collect::<Vec<_>>();
    names.extend(
        task.windows(2)
            .filter(|w| w[0].trim() == "secretKeyRef:")
            .filter_map(|w| w[1].trim().strip_prefix("name: "))
            .map(str::to_owned),
    );
    names
}

#[test]
fn secret_commands_are_well_formed_and_name_the_secret_the_tasks_read() {
    let read = secrets_read();
    for words in secret_commands() {
        assert_eq!(words[0], "kubectl", "{words:?}");
        assert!(option(&words, &["-n"]).is_some(), "a namespace: {words:?}");
        let name = secret_name(&words);
        assert!(
            is_rfc1123_subdomain(name),
            "`{name}` is not a Kubernetes name"
        );
        let literals = literals(&words);
        for (key, _) in &literals {
            assert!(is_secret_key(key), "`{key}` is not a valid secret key");
        }
        for key in ["DT_TENANT", "DT_API_TOKEN"] {
            assert!(
                literals.iter().any(|(k, _)| k == key),
                "no {key}: {words:?}"
            );
        }
        assert!(
            read.iter().any(|r| r == name),
            "`{name}` is not among {read:?}"
        );
    }
}

#[test]
#[ignore = "needs kubectl; .ci/run installs it and runs this"]
fn secret_commands_run_as_a_client_dry_run() {
    for words in secret_commands() {
        let output = Command::new(&words[0])
            .args(&words[1..])
            .args(["--dry-run=client", "-o", "yaml"])
            .output();
        let output = match output {
            Err(e) if e.kind() == ErrorKind::NotFound => {
                panic!("kubectl not found: install it (apt-get install kubernetes-client)")
            }
            other => other.expect("kubectl runs"),
        };
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{words:?} --dry-run=client -o yaml failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let secret: serde_yaml_ng::Value = serde_yaml_ng::from_str(&stdout).expect("YAML output");
        assert_eq!(secret["kind"].as_str(), Some("Secret"), "{stdout}");
        assert_eq!(
            secret["metadata"]["name"].as_str(),
            Some(secret_name(&words))
        );
        assert_eq!(
            secret["metadata"]["namespace"].as_str(),
            option(&words, &["-n"]),
            "{stdout}"
        );
        for (key, value) in literals(&words) {
            let encoded = secret["data"][key.as_str()]
                .as_str()
                .unwrap_or_else(|| panic!("no data key {key}:\n{stdout}"));
            assert_eq!(encoded, base64(value.as_bytes()), "data.{key}");
        }
    }
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn add_resource_uploads_the_job_config_where_the_job_executor_reads_it() {
    let uploads: Vec<Vec<String>> = blocks_with("sh")
        .iter()
        .flat_map(|b| commands(&b.body))
        .map(|c| shell_words(&c))
        .filter(|w| w.len() >= 2 && w[0] == "keptn" && w[1] == "add-resource")
        .collect();
    let config = uploads.iter().find(|w| {
        option(w, &["--resourceUri"]) == Some("job/config.yaml")
            && option(w, &["--resource"]) == Some("job/config.yaml")
    });
    assert!(
        config.is_some(),
        "no upload of job/config.yaml: {uploads:?}"
    );
    assert!(Path::new(ROOT).join("job/config.yaml").is_file());
    // The results upload lands where job/config.yaml's `files` and `args` read it.
    let job = read("job/config.yaml");
    for words in &uploads {
        let uri = option(words, &["--resourceUri"]).unwrap();
        if uri != "job/config.yaml" {
            assert!(job.contains(&format!("- /{uri}")), "`files` lacks /{uri}");
            assert!(
                job.contains(&format!("/keptn/{uri}")),
                "`args` do not read /keptn/{uri}"
            );
        }
    }
}
