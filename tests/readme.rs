//! The README's Keptn wiring commands: the `kubectl create secret` that the job-executor turns
//! into DT_TENANT and DT_API_TOKEN (run for real with `--dry-run=client` when kubectl is there),
//! and the `keptn add-resource` that uploads job/config.yaml.

use std::io::ErrorKind;
use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn readme() -> String {
    std::fs::read_to_string(Path::new(ROOT).join("README.md")).expect("README.md is readable")
}

/// The fenced code blocks as (info string, body).
fn code_blocks(markdown: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in markdown.lines() {
        let fence = line.trim_start().strip_prefix("```");
        match (&mut current, fence) {
            (None, Some(info)) => current = Some((info.trim().to_owned(), String::new())),
            (Some(_), Some(_)) => blocks.extend(current.take()),
            (Some((_, body)), None) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    blocks
}

/// The block's commands, backslash-continued lines joined.
fn commands(block: &str) -> Vec<String> {
    let mut commands = Vec::new();
    let mut current = String::new();
    for line in block.lines() {
        match line.trim_end().strip_suffix('\\') {
            Some(start) => {
                current.push_str(start.trim_end());
                current.push(' ');
            }
            None => {
                current.push_str(line.trim_end());
                commands.push(current.trim().to_owned());
                current.clear();
            }
        }
    }
    if !current.trim().is_empty() {
        commands.push(current.trim().to_owned());
    }
    commands
}

/// Shell words: whitespace-separated, with '...' and "..." quoting (no expansions).
fn shell_words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                let w = word.get_or_insert_with(String::new);
                for q in chars.by_ref() {
                    if q == c {
                        break;
                    }
                    w.push(q);
                }
            }
            c if c.is_whitespace() => words.extend(word.take()),
            '#' if word.is_none() => break,
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

fn is_rfc1123_subdomain(name: &str) -> bool {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    !name.is_empty()
        && name.len() <= 253
        && name.chars().all(|c| alnum(c) || c == '-' || c == '.')
        && name.starts_with(alnum)
        && name.ends_with(alnum)
}

fn is_secret_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
}

/// The README's `kubectl ... create secret generic ...` command, as words.
fn secret_command() -> Vec<String> {
    let readme = readme();
    let block = code_blocks(&readme)
        .into_iter()
        .filter(|(info, _)| info == "sh")
        .map(|(_, body)| body)
        .find(|body| body.contains("kubectl") && body.contains("create secret generic"))
        .expect("README.md has a ```sh block with `kubectl ... create secret generic`");
    let command = commands(&block)
        .into_iter()
        .find(|c| c.contains("create secret generic"))
        .expect("the block has the command");
    shell_words(&command)
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

/// The `valueFrom: secret` names in job/config.yaml.
fn config_secret_names() -> Vec<String> {
    let text = std::fs::read_to_string(Path::new(ROOT).join("job/config.yaml"))
        .expect("job/config.yaml is readable");
    let config: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).expect("job/config.yaml");
    let seq = |v: &serde_yaml_ng::Value, key: &str| -> Vec<serde_yaml_ng::Value> {
        v.get(key)
            .and_then(|s| s.as_sequence())
            .cloned()
            .unwrap_or_default()
    };
    seq(&config, "actions")
        .iter()
        .flat_map(|a| seq(a, "tasks"))
        .flat_map(|t| seq(&t, "env"))
        .filter(|e| e.get("valueFrom").and_then(|v| v.as_str()) == Some("secret"))
        .filter_map(|e| e.get("name").and_then(|n| n.as_str()).map(str::to_owned))
        .collect()
}

#[test]
fn secret_command_is_well_formed() {
    let words = secret_command();
    assert_eq!(
        words.first().map(String::as_str),
        Some("kubectl"),
        "{words:?}"
    );
    let name = secret_name(&words);
    assert!(
        is_rfc1123_subdomain(name),
        "secret name `{name}` is not a valid Kubernetes name (lowercase alphanumerics, `-`, `.`)"
    );
    let literals = literals(&words);
    for (key, _) in &literals {
        assert!(
            is_secret_key(key),
            "`{key}` is not a valid secret key ([-._a-zA-Z0-9]+)"
        );
    }
    for key in ["DT_TENANT", "DT_API_TOKEN"] {
        assert!(
            literals.iter().any(|(k, _)| k == key),
            "the secret command has no `--from-literal={key}=...`: {words:?}"
        );
    }
    let configured = config_secret_names();
    assert!(
        configured.iter().any(|c| c == name),
        "README creates the secret `{name}` but job/config.yaml reads {configured:?}"
    );
}

#[test]
#[ignore = "needs kubectl; .ci/run installs it and runs this"]
fn secret_command_runs_as_a_client_dry_run() {
    let words = secret_command();
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
    assert!(stdout.lines().any(|l| l == "kind: Secret"), "{stdout}");
    let secret: serde_yaml_ng::Value = serde_yaml_ng::from_str(&stdout).expect("YAML output");
    assert_eq!(
        secret["metadata"]["name"].as_str(),
        Some(secret_name(&words)),
        "{stdout}"
    );
    for (key, value) in literals(&words) {
        let encoded = secret["data"][key.as_str()]
            .as_str()
            .unwrap_or_else(|| panic!("no data key {key}:\n{stdout}"));
        assert_eq!(encoded, base64(value.as_bytes()), "data.{key}");
    }
    for key in ["DT_TENANT", "DT_API_TOKEN"] {
        assert!(
            secret["data"][key].is_string(),
            "no data key {key}:\n{stdout}"
        );
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
fn add_resource_command_uploads_job_config() {
    let readme = readme();
    let commands: Vec<Vec<String>> = code_blocks(&readme)
        .iter()
        .flat_map(|(_, body)| commands(body))
        .map(|c| shell_words(&c))
        .filter(|w| w.len() >= 2 && w[0] == "keptn" && w[1] == "add-resource")
        .collect();
    assert!(
        !commands.is_empty(),
        "README.md has no `keptn add-resource` command: add one that uploads the job-executor \
         config, e.g. `keptn add-resource --project <p> --stage <st> --service <s> \
         --resource job/config.yaml --resourceUri job/config.yaml`"
    );
    let option = |words: &[String], name: &str| -> Option<String> {
        let eq = format!("{name}=");
        words.iter().enumerate().find_map(|(i, w)| {
            if w == name {
                words.get(i + 1).cloned()
            } else {
                w.strip_prefix(&eq).map(str::to_owned)
            }
        })
    };
    let uploads = commands.iter().find(|words| {
        option(words, "--resourceUri").as_deref() == Some("job/config.yaml")
            && option(words, "--resource").as_deref() == Some("job/config.yaml")
    });
    assert!(
        uploads.is_some(),
        "no README `keptn add-resource` names `--resource job/config.yaml` and `--resourceUri \
         job/config.yaml` (the job-executor reads the resource job/config.yaml): {commands:?}"
    );
    assert!(
        Path::new(ROOT).join("job/config.yaml").is_file(),
        "the README uploads job/config.yaml, which is missing"
    );
}
