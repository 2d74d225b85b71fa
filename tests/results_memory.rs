//! `--results` memory: the samples kept for exact percentiles take 8 bytes each and at most
//! 2,000,000 of them per input (16 MiB), past which every label's samples go into a sketch of
//! at most 16 KiB; everything else is per-label aggregates. So the real binary's peak resident
//! memory for a file past that budget is within 16 MiB and a little of that for a small file,
//! whatever its size. Each run's peak memory is read from `wait4`, which reports it for that
//! child alone.

#[allow(dead_code)]
mod support;

use std::io::Write;

use support::memory::peak_kib;
use support::Workdir;

/// A JTL of `rows` samples over `labels` labels, with quoted labels and failure messages.
fn jtl(dir: &Workdir, name: &str, rows: usize, labels: usize) {
    let file = std::fs::File::create(dir.path().join(name)).unwrap();
    let mut file = std::io::BufWriter::new(file);
    writeln!(file, "elapsed,label,success,failureMessage").unwrap();
    for i in 0..rows {
        let failed = i % 53 == 0;
        writeln!(
            file,
            "{},\"GET /items, page {}\",{},{}",
            (i * 7919) % 2_000 + 1,
            i % labels,
            failed,
            if failed { "\"Test \"\"x\"\",\ny\"" } else { "" }
        )
        .unwrap();
    }
}

#[test]
fn peak_memory_stays_within_the_samples_budget_however_many_rows() {
    let dir = Workdir::new("results-memory");
    jtl(&dir, "small.jtl", 2_000, 30);
    // 30 labels of 80,000 samples: each within its own 100,000, all past the run's 2,000,000.
    jtl(&dir, "large.jtl", 2_400_000, 30);
    let small = peak_kib(&dir, &["--dry-run", "--results", "small.jtl"]);
    let large = peak_kib(&dir, &["--dry-run", "--results", "large.jtl"]);
    let budget = 16 * 1024;
    assert!(
        large - small <= budget + 3 * 1024,
        "2,000 rows peaked at {small} KiB, 2,400,000 at {large} KiB"
    );
}
