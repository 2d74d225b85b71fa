//! What a `--dry-run` printed, read back: the data lines of one key, per `request`, with the
//! line protocol's escapes undone; and a tool's own report (CSV) to compare them with.

use std::collections::BTreeMap;

/// One printed data line: its dimensions and its payload (`count,delta=3`, `gauge,12`, ...).
#[derive(Debug, Clone)]
pub struct Printed {
    pub dimensions: BTreeMap<String, String>,
    pub payload: String,
}

/// Splits at `separator` where it is not escaped with `\`, undoing nothing.
fn split_unescaped(text: &str, separator: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut escaped = false;
    for c in text.chars() {
        if c == separator && !escaped {
            parts.push(String::new());
            continue;
        }
        escaped = c == '\\' && !escaped;
        parts.last_mut().unwrap().push(c);
    }
    parts
}

fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        out.push(if c == '\\' {
            chars.next().unwrap_or(c)
        } else {
            c
        });
    }
    out
}

/// The data lines of `keptn.loadtest.<key>` in `stdout`.
pub fn lines_of(stdout: &str, key: &str) -> Vec<Printed> {
    let wanted = format!("keptn.loadtest.{key}");
    stdout
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let parts = split_unescaped(line, ' ');
            let head = split_unescaped(&parts[0], ',');
            (head[0] == wanted).then(|| Printed {
                dimensions: head[1..]
                    .iter()
                    .map(|pair| {
                        let (k, v) = pair.split_once('=').expect("key=value");
                        (k.to_owned(), unescape(v))
                    })
                    .collect(),
                payload: parts[1].clone(),
            })
        })
        .collect()
}

/// `request` -> payload of `key`.
pub fn by_request(stdout: &str, key: &str) -> BTreeMap<String, String> {
    lines_of(stdout, key)
        .into_iter()
        .map(|line| (line.dimensions["request"].clone(), line.payload))
        .collect()
}

/// A gauge's number (`gauge,12.5`), a counter's (`count,delta=3`).
pub fn number(payload: &str) -> f64 {
    let value = payload
        .strip_prefix("gauge,")
        .or_else(|| payload.strip_prefix("count,delta="))
        .unwrap_or_else(|| panic!("not a gauge or counter: {payload}"));
    value.parse().unwrap()
}

/// A CSV report a tool wrote (JMeter's Aggregate Report, Locust's stats): its rows as
/// column -> cell, in order.
pub fn report(path: &std::path::Path) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).expect("the tool's report");
    let header = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|row| {
            let row = row.unwrap();
            header
                .iter()
                .zip(row.iter())
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

pub fn fixture(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/results")
        .join(path)
}
