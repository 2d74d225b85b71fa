//! Peak resident memory of one run of the real binary, read from `wait4`, which reports it for
//! that child alone: the memory tests compare a small input with a large one.

use std::process::{Command, Stdio};

use super::Workdir;

/// Runs the binary with `args` in `dir`, its output thrown away, and returns its peak resident
/// memory in KiB.
#[allow(
    clippy::zombie_processes,
    reason = "the child is waited for with wait4, below"
)]
pub fn peak_kib(dir: &Workdir, args: &[&str]) -> i64 {
    let child = Command::new(env!("CARGO_BIN_EXE_keptn-dt-metrics"))
        .args(args)
        .env_clear()
        .env("DT_METADATA_ENRICHMENT", "false")
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start keptn-dt-metrics");
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the child is ours and not waited for elsewhere; `status` and `usage` are valid,
    // writable places for the call to fill.
    let waited = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(waited, child.id() as libc::pid_t, "wait4");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{args:?} failed: {status}"
    );
    usage.ru_maxrss
}
