//! Helpers for the CLI tests: a fake Dynatrace metrics ingest endpoint that records what it is
//! sent ([`server`]), a scratch directory per test, and a way to run the real binary with nothing
//! from the developer's environment. OTLP requests (gzip-compressed binary protobuf) are recorded
//! as bytes and can be decoded ([`otlp`]). Also: what `--help` declares ([`help`]), Kubernetes
//! name rules ([`kubernetes`]), a run's peak memory ([`memory`]), and a bare TCP server for
//! servers that misbehave and for proxies ([`raw`]).

pub mod events;
pub mod help;
pub mod job_executor;
pub mod kubernetes;
pub mod memory;
pub mod options;
pub mod otlp;
pub mod pipelines;
pub mod raw;
mod server;
pub mod signals;
pub mod tls;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value as Json;

// Each test crate uses its own part of the fake's API.
#[allow(unused_imports)]
pub use server::{ingest_url, refused_url, FakeDynatrace, Recorded, Reply, INGEST_PATH, OTLP_PATH};

/// A scratch directory for one test, removed afterwards; the binary runs inside it, so inputs
/// are named as a user would name them (`lines.txt:3`, `metrics.json $[1]`).
pub struct Workdir {
    path: PathBuf,
}

impl Workdir {
    pub fn new(name: &str) -> Workdir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "cli-{name}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create the scratch directory");
        Workdir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn write(&self, name: &str, text: &str) -> &Workdir {
        std::fs::write(self.path.join(name), text).expect("write a test input");
        self
    }

    /// The binary, run in this directory with an empty environment; Dynatrace metadata files
    /// are looked for here too (none unless a test writes them).
    pub fn cli(&self) -> Cli {
        let mut command = Command::new(env!("CARGO_BIN_EXE_keptn-dt-metrics"));
        command
            .env_clear()
            .env("DT_METADATA_DIR", &self.path)
            .current_dir(&self.path)
            .stdin(Stdio::null());
        Cli { command }
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

pub struct Cli {
    command: Command,
}

impl Cli {
    pub fn args<I, S>(mut self, args: I) -> Cli
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.command.args(args);
        self
    }

    pub fn env(mut self, name: &str, value: &str) -> Cli {
        self.command.env(name, value);
        self
    }

    pub fn env_os(mut self, name: &str, value: impl AsRef<std::ffi::OsStr>) -> Cli {
        self.command.env(name, value);
        self
    }

    /// Reads the file at `path` as stdin.
    pub fn stdin_file(mut self, path: &Path) -> Cli {
        self.command
            .stdin(std::fs::File::open(path).expect("open the file for stdin"));
        self
    }

    /// DT_TENANT and DT_API_TOKEN.
    pub fn credentials(self, tenant: &str, token: &str) -> Cli {
        self.env("DT_TENANT", tenant).env("DT_API_TOKEN", token)
    }

    /// Starts the binary without waiting, stdout and stderr piped.
    pub fn spawn(mut self) -> std::process::Child {
        self.command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start keptn-dt-metrics")
    }

    /// Starts the binary with stdin a pipe the test writes to (and may keep open).
    pub fn spawn_piped(mut self) -> std::process::Child {
        self.command.stdin(Stdio::piped());
        self.spawn()
    }

    pub fn run(mut self) -> Output {
        Output::from(self.command.output().expect("run keptn-dt-metrics"))
    }
}

#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<std::process::Output> for Output {
    fn from(output: std::process::Output) -> Output {
        Output {
            code: output.status.code().expect("an exit code, not a signal"),
            stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
            stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
        }
    }
}

impl Output {
    /// Asserts the exit code, showing both streams when it is wrong.
    pub fn expect_code(&self, code: i32) -> &Output {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout:\n{}\n--- stderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// The `--output json` report.
    pub fn json(&self) -> Json {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not a JSON report ({e}):\n{}\n--- stderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// The Keptn context dimensions as [`keptn_env`] sets them up, as they appear on every line.
pub const KEPTN_DIMS: &str = "ci_platform=keptn,keptn_project=sockshop,keptn_stage=hardening,\
                              keptn_service=carts,buildid=2024.11,git_commit=abc123";

/// Environment variables for one run.
pub type EnvVars<'a> = Vec<(&'a str, &'a str)>;

/// The job-executor's environment for a task of project sockshop, stage hardening, service carts,
/// with two event labels.
pub fn keptn_env(cli: Cli) -> Cli {
    cli.env("KEPTN_PROJECT", "sockshop")
        .env("KEPTN_STAGE", "hardening")
        .env("KEPTN_SERVICE", "carts")
        .env("LABELS_GIT_COMMIT", "abc123")
        .env("LABELS_BUILDID", "2024.11")
}

/// A line-protocol file with one good line and two that are refused before sending.
pub const LOCALLY_REFUSED: &str = "ok.metric gauge,1\n\
                                   x.y gauge,NaN\n\
                                   sum.metric gauge,min=1,max=2,sum=10,count=2\n";

/// The bucket rule of the report, asserted after every fault: each line counted in `total` ends
/// in exactly one of `ok`, `invalid`, `unsent`, `unconfirmed` and `metadata_uncounted` (a dry
/// run's in its payload or `unsent`); each histogram point in `points_sent` or `unsent`, and
/// those sent in at most one of `rejected` and `unconfirmed`.
pub fn assert_buckets(report: &Json) {
    let count = |part: &Json, key: &str| {
        part[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key} is not a count in {part}"))
    };
    let (lines, points) = (&report["lines"], &report["otlp"]);
    let total = count(lines, "total");
    let unsent = count(lines, "unsent");
    if report["dry_run"] == true {
        if let Some(payload) = lines["payload"].as_array() {
            assert_eq!(
                total,
                payload.len() as u64 + unsent,
                "dry-run lines: {report}"
            );
        }
    } else {
        let buckets = count(lines, "ok")
            + count(lines, "invalid")
            + unsent
            + count(lines, "unconfirmed")
            + count(lines, "metadata_uncounted");
        assert_eq!(total, buckets, "every line in exactly one bucket: {lines}");
        assert_eq!(
            total,
            count(lines, "sent") + unsent,
            "sent or unsent: {lines}"
        );
    }
    let sent = count(points, "points_sent");
    assert_eq!(
        count(points, "points"),
        sent + count(points, "unsent"),
        "every point sent or unsent: {points}"
    );
    assert!(
        count(points, "rejected") + count(points, "unconfirmed") <= sent,
        "points: {points}"
    );
    if report["exit_code"] == 0 {
        assert!(report["interrupted"].is_null(), "{report}");
        assert_eq!(unsent + count(lines, "unconfirmed"), 0, "{report}");
    }
}
