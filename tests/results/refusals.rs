//! What is not results, end to end: each refused before anything is sent (exit 2), saying what
//! to give instead; and what looks odd but is results, read.

use super::lines::example;
use super::support::{FakeDynatrace, Workdir};

const TOKEN: &str = "dt0c01.RESULTSSECRETSECRET";

#[test]
fn what_is_not_results_says_what_to_give_instead() {
    let dir = Workdir::new("results-not");
    dir.write("loadtest.json", &example("loadtest.json"))
        .write("other.json", "{\"name\": \"build\", \"duration\": 42}\n")
        .write(
            "report.html",
            "<!DOCTYPE html>\n<html><head><title>Locust</title></head></html>\n",
        )
        .write(
            "k6.txt",
            "\n\n         /\\      Grafana   /‾‾/\n    /\\  /  \\     |\\  __   /  /\n",
        );
    let server = FakeDynatrace::accepting();
    for (file, says) in [
        ("loadtest.json", "give it to --input, not --results"),
        ("other.json", "Locust's JSON (--json-file)"),
        (
            "report.html",
            "give Locust's JSON (--json-file NAME writes NAME.json)",
        ),
        ("k6.txt", "give k6's summary as JSON"),
    ] {
        let out = dir
            .cli()
            .credentials(server.url(), TOKEN)
            .args(["--results", file])
            .run();
        out.expect_code(2);
        assert!(out.stderr.contains(says), "{file}: {}", out.stderr);
    }
    assert!(server.requests().is_empty());
}

#[test]
fn results_after_blank_lines_are_read() {
    let dir = Workdir::new("results-blank");
    dir.write("results.jtl", "\n\nelapsed,label,success\n5,a,true\n");
    let out = dir
        .cli()
        .args(["--dry-run", "--results", "results.jtl"])
        .run();
    out.expect_code(0);
    assert!(
        out.stdout.contains("keptn.loadtest.requests,request=a,"),
        "{}",
        out.stdout
    );
}
