//! What the binary's `--help` declares: its flags and the environment variables they read, so
//! that files which run the binary (Keptn's task definition, the job-executor's config) can be
//! checked to use nothing it does not document.

use std::collections::BTreeSet;
use std::process::Command;

/// The binary's `--help` text, run with an empty environment (so no `[env: NAME=value]` shows a
/// value).
pub fn help() -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_keptn-dt-metrics"))
        .arg("--help")
        .env_clear()
        .output()
        .expect("the binary runs");
    assert!(out.status.success(), "--help failed: {out:?}");
    String::from_utf8(out.stdout).expect("help is UTF-8")
}

/// The options `--help` declares: the flag tokens at the start of its option lines.
pub fn declared_flags(help: &str) -> BTreeSet<String> {
    help.lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with('-'))
        .flat_map(|l| l.split("  ").next().unwrap_or_default().split_whitespace())
        .filter(|t| t.starts_with('-'))
        .map(|t| t.trim_end_matches(',').to_owned())
        .collect()
}

/// The variable names `--help` lists in `[env: NAME]` / `[env: NAME=value]` (wrapping undone;
/// a list of names split on `,` and spaces, no empty name).
pub fn declared_env_vars(help: &str) -> BTreeSet<String> {
    let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
    flat.split("[env: ")
        .skip(1)
        .filter_map(|rest| rest.split(']').next())
        .flat_map(|inside| inside.split([',', ' ']))
        .map(|item| item.split('=').next().unwrap_or_default().to_owned())
        .filter(|n| !n.is_empty())
        .collect()
}
