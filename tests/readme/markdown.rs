//! The fenced blocks of the documents the README tests read, and the commands in them.

use std::path::Path;

pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// The tenant the examples name; the tests put the fake Dynatrace's URL in its place.
pub const TENANT: &str = "https://abc12345.live.dynatrace.com";

/// The documents whose examples are run. (BENCHMARKS.md holds benchmark commands over
/// generated corpora of hundreds of MB: the scripts in bench/ run them.)
const DOCUMENTS: [&str; 2] = ["README.md", "docs/results.md"];

#[derive(Debug, Clone)]
pub struct Block {
    pub file: &'static str,
    /// The line of the opening fence.
    pub line: usize,
    pub info: String,
    pub body: String,
}

pub fn read(file: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(file))
        .unwrap_or_else(|e| panic!("{file} is readable: {e}"))
}

/// Every fenced block of the documents, in order.
pub fn blocks() -> Vec<Block> {
    DOCUMENTS
        .iter()
        .flat_map(|file| blocks_of(file, &read(file)))
        .collect()
}

pub fn blocks_of(file: &'static str, markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    for (i, line) in markdown.lines().enumerate() {
        let fence = line.trim_start().strip_prefix("```");
        match (&mut current, fence) {
            (None, Some(info)) => {
                current = Some(Block {
                    file,
                    line: i + 1,
                    info: info.trim().to_owned(),
                    body: String::new(),
                })
            }
            (Some(_), Some(_)) => blocks.extend(current.take()),
            (Some(block), None) => {
                block.body.push_str(line);
                block.body.push('\n');
            }
            (None, None) => {}
        }
    }
    blocks
}

pub fn blocks_with(info: &str) -> Vec<Block> {
    blocks().into_iter().filter(|b| b.info == info).collect()
}

/// A block's commands: backslash-continued lines joined, comment lines and blank lines left out.
pub fn commands(block: &str) -> Vec<String> {
    let mut commands = Vec::new();
    let mut current = String::new();
    for line in block.lines() {
        if current.is_empty() && (line.trim().is_empty() || line.trim_start().starts_with('#')) {
            continue;
        }
        match line.trim_end().strip_suffix('\\') {
            Some(start) => {
                current.push_str(start.trim());
                current.push(' ');
            }
            None => {
                current.push_str(line.trim());
                commands.push(std::mem::take(&mut current));
            }
        }
    }
    if !current.trim().is_empty() {
        commands.push(current.trim().to_owned());
    }
    commands
}

/// Shell words: whitespace-separated, with '...' and "..." quoting (no expansions), up to a
/// comment.
pub fn shell_words(command: &str) -> Vec<String> {
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

/// The value of `--name VALUE` or `--name=VALUE` (or `-n VALUE`).
pub fn option<'a>(words: &'a [String], names: &[&str]) -> Option<&'a str> {
    words.iter().enumerate().find_map(|(i, w)| {
        names.iter().find_map(|name| {
            if w == name {
                words.get(i + 1).map(String::as_str)
            } else {
                w.strip_prefix(name)?.strip_prefix('=')
            }
        })
    })
}

#[test]
fn blocks_and_commands_are_read_as_a_shell_would() {
    let blocks = blocks_of(
        "x.md",
        "a\n```sh\n# note\nfoo \\\n  --bar 'a b'  # c\n\nbaz\n```\n",
    );
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].line, 2);
    let commands = commands(&blocks[0].body);
    assert_eq!(commands, ["foo --bar 'a b'  # c", "baz"]);
    assert_eq!(shell_words(&commands[0]), ["foo", "--bar", "a b"]);
    let words = shell_words("x --bar=1 -n 2");
    assert_eq!(option(&words, &["--bar"]), Some("1"));
    assert_eq!(option(&words, &["-n"]), Some("2"));
}
