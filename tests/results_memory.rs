//! `--results` keeps only per-label aggregates: the real binary's peak resident memory for a
//! large JTL is within a few MiB of that for a small one. Each run's peak memory is read from
//! `wait4`, which reports it for that child alone.

#[allow(dead_code)]
mod support;

use std::io::Write;

use support::memory::peak_kib;
use support::Workdir;

/// A JTL of `rows` samples over 20 labels, with quoted labels and failure messages.
fn jtl(dir: &Workdir, name: &str, rows: usize) {
    let file = std::fs::File::create(dir.path().join(name)).unwrap();
    let mut file = std::io::BufWriter::new(file);
    writeln!(
        file,
        "timeStamp,elapsed,label,responseCode,success,failureMessage"
    )
    .unwrap();
    for i in 0..rows {
        let failed = i % 53 == 0;
        writeln!(
            file,
            "{},{},\"GET /items, page {}\",{},{},{}",
            1_795_650_000_000u64 + i as u64,
            (i * 7919) % 2_000 + 1,
            i % 20,
            if failed { 500 } else { 200 },
            failed,
            if failed {
                "\"Test failed: \"\"x\"\",\ny\""
            } else {
                ""
            }
        )
        .unwrap();
    }
}

#[test]
fn peak_memory_does_not_grow_with_the_rows() {
    let dir = Workdir::new("results-memory");
    jtl(&dir, "small.jtl", 2_000);
    jtl(&dir, "large.jtl", 400_000);
    let small = peak_kib(&dir, &["--dry-run", "--results", "small.jtl"]);
    let large = peak_kib(&dir, &["--dry-run", "--results", "large.jtl"]);
    assert!(
        large - small <= 2 * 1024,
        "2,000 rows peaked at {small} KiB, 400,000 at {large} KiB"
    );
}
