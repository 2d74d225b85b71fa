//! Memory stays flat whatever the input size: the real binary's peak resident memory for a large
//! input is within a few MiB of that for a small one, for metrics and for histogram samples.
//! Each run's peak memory is read from `wait4`, which reports it for that child alone.

#[allow(dead_code)]
mod support;

use std::io::Write;

use support::memory::peak_kib;
use support::Workdir;

/// A JSON list of `n` metrics with names and dimensions that need normalising.
fn metrics(dir: &Workdir, name: &str, n: usize) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(dir.path().join(name)).unwrap());
    writeln!(file, "[").unwrap();
    for i in 0..n {
        let comma = if i + 1 < n { "," } else { "" };
        writeln!(
            file,
            r#"{{"name": "Load Test/p{} ms", "value": {i}.25, "dimensions": {{"Region": "eu west {}", "Step": "s{}"}}}}{comma}"#,
            i % 97,
            i % 7,
            i % 13
        )
        .unwrap();
    }
    writeln!(file, "]").unwrap();
}

fn samples(dir: &Workdir, name: &str, n: usize) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(dir.path().join(name)).unwrap());
    for i in 0..n {
        writeln!(file, "{}", (i * 37 % 10_007) as f64 / 7.0).unwrap();
    }
}

#[test]
fn peak_memory_does_not_grow_with_the_input() {
    let dir = Workdir::new("streaming");
    // Past the 256 KiB read inline before delivery: both stream. Both also fill the 32
    // payloads that may wait while a file is checked whole (a bound of its own, whatever the
    // size): what is compared is what grows with the input.
    metrics(&dir, "small.json", 50_000);
    metrics(&dir, "large.json", 200_000);
    samples(&dir, "few.txt", 1_000);
    samples(&dir, "many.txt", 1_000_000);

    let few = peak_kib(&dir, &["--dry-run", "--histogram", "latency=few.txt"]);
    let many = peak_kib(&dir, &["--dry-run", "--histogram", "latency=many.txt"]);
    assert!(
        many - few <= 2 * 1024,
        "1,000 samples peaked at {few} KiB, 1,000,000 at {many} KiB"
    );

    let small = peak_kib(&dir, &["--dry-run", "--input", "small.json"]);
    let large = peak_kib(&dir, &["--dry-run", "--input", "large.json"]);
    assert!(
        large - small <= 4 * 1024,
        "50,000 metrics peaked at {small} KiB, 200,000 at {large} KiB"
    );
}
