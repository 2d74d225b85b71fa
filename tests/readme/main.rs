//! The README's commands and examples, run here as a user would paste them. Every fenced block of
//! README.md and docs/results.md is claimed by one of the checks below, or the test
//! `every_block_is_checked` fails: an example cannot go stale unseen. Commands that cannot run
//! on this machine (a cluster, a Keptn control plane, an image pull) say why, and what they name
//! (files, secrets) is checked instead.

#[allow(dead_code)]
#[path = "../support/mod.rs"]
mod support;

mod commands;
mod examples;
mod kubectl;
mod markdown;

use markdown::{blocks, commands, Block};

/// What checks a block.
#[derive(Debug, PartialEq)]
enum Claim {
    /// Shell commands, each run or said why not (commands.rs, kubectl.rs).
    Commands,
    /// What the command block before it prints (commands.rs).
    Output,
    /// The source tree of the Layout section (examples.rs).
    Layout,
    /// A JSON input, a JSON report, or Keptn's JSON context (examples.rs).
    Json,
    /// A part of a file in the repository that tests of its own check (examples.rs).
    Excerpt,
}

fn claim(block: &Block, previous: Option<&Block>) -> Result<Claim, String> {
    match block.info.as_str() {
        "sh" => {
            let unknown: Vec<String> = commands(&block.body)
                .into_iter()
                .filter(|c| matches!(commands::kind(c), commands::Kind::Unknown))
                .collect();
            match unknown.is_empty() {
                true => Ok(Claim::Commands),
                false => Err(format!("commands no check knows: {unknown:?}")),
            }
        }
        "text" if block.body.starts_with("src/") => Ok(Claim::Layout),
        "text" if previous.is_some_and(|p| p.info == "sh") => Ok(Claim::Output),
        "json" => Ok(Claim::Json),
        "yaml" | "dockerfile" | "javascript" | "groovy" => Ok(Claim::Excerpt),
        other => Err(format!("a ```{other} block that no check claims")),
    }
}

#[test]
fn every_block_is_checked() {
    let blocks = blocks();
    assert!(
        blocks.len() > 20,
        "{} blocks: is the parser right?",
        blocks.len()
    );
    let mut unclaimed = Vec::new();
    for (i, block) in blocks.iter().enumerate() {
        let previous = i
            .checked_sub(1)
            .map(|p| &blocks[p])
            .filter(|p| p.file == block.file);
        if let Err(why) = claim(block, previous) {
            unclaimed.push(format!("{}:{}: {why}", block.file, block.line));
        }
    }
    assert!(
        unclaimed.is_empty(),
        "unchecked blocks:\n{}",
        unclaimed.join("\n")
    );
}
