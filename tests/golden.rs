//! The payload is byte-identical to the last release's: `--dry-run` of inputs built from the
//! conformance corpus and of a seeded hostile corpus, compared with what commit deaaf12 printed
//! (`bench/golden.py` made `tests/golden/*.expected.txt` with that binary). Each input is read
//! from its file and from stdin, so both the one-thread path for small files and the streaming
//! pipeline are held to it.

#[allow(dead_code)]
mod support;

use std::path::Path;

use support::Workdir;

/// As `bench/golden.py` sets it.
const ENV: [(&str, &str); 5] = [
    ("DEFAULT_DIMENSIONS", "env=golden"),
    ("KEPTN_PROJECT", "sockshop"),
    ("KEPTN_STAGE", "staging"),
    ("KEPTN_SERVICE", "carts"),
    ("DT_METADATA_ENRICHMENT", "false"),
];

fn golden(name: &str) -> (std::path::PathBuf, String) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let expected = std::fs::read_to_string(dir.join(format!("{name}.expected.txt")))
        .unwrap_or_else(|e| panic!("tests/golden/{name}.expected.txt: {e}"));
    (dir.join(format!("{name}.json")), expected)
}

fn assert_same_payload(name: &str) {
    let (input, expected) = golden(name);
    let dir = Workdir::new(&format!("golden-{name}"));
    let file = dir.path().join(format!("{name}.json"));
    std::fs::copy(&input, &file).expect("copy the golden input");
    let runs = [
        (
            "file",
            dir.cli()
                .args(["--dry-run", "--input", &format!("{name}.json")]),
        ),
        (
            "stdin",
            dir.cli()
                .args(["--dry-run", "--input", "-"])
                .stdin_file(&file),
        ),
    ];
    for (how, cli) in runs {
        let out = ENV.iter().fold(cli, |cli, (k, v)| cli.env(k, v)).run();
        // Some entries are refused on purpose (names with no letter or digit): exit 3.
        out.expect_code(3);
        if out.stdout != expected {
            let (got, want): (Vec<_>, Vec<_>) =
                (out.stdout.lines().collect(), expected.lines().collect());
            let first = got
                .iter()
                .zip(&want)
                .position(|(a, b)| a != b)
                .unwrap_or(got.len().min(want.len()));
            panic!(
                "{name} ({how}): the payload differs from deaaf12's at line {}: got {} lines, \
                 expected {}\n  got:      {:?}\n  expected: {:?}",
                first + 1,
                got.len(),
                want.len(),
                got.get(first),
                want.get(first)
            );
        }
    }
}

#[test]
fn conformance_inputs_give_the_last_releases_payload_byte_for_byte() {
    assert_same_payload("conformance");
}

#[test]
fn a_hostile_corpus_gives_the_last_releases_payload_byte_for_byte() {
    assert_same_payload("hostile");
}
