//! Signals to a running binary, as Kubernetes and CI runners send them.

use std::io::Read;
use std::time::{Duration, Instant};

/// Sends `signals` SIGTERMs, `between` apart, to a running binary once `ready` holds, and
/// returns its output and how long it took to end after the first.
pub fn terminate(
    mut child: std::process::Child,
    ready: impl Fn() -> bool,
    signals: usize,
    between: Duration,
) -> (super::Output, Duration) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready() {
        assert!(Instant::now() < deadline, "the run never got going");
        std::thread::sleep(Duration::from_millis(10));
    }
    let signalled = Instant::now();
    for i in 0..signals {
        if i > 0 {
            std::thread::sleep(between);
        }
        // SAFETY: kill with a pid of ours and a valid signal number.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    }
    // Reading both pipes to their end before waiting: a large report must not block the child.
    let mut stdout = String::new();
    let mut stderr = String::new();
    let mut err_pipe = child.stderr.take().unwrap();
    let err = std::thread::spawn(move || {
        let _ = err_pipe.read_to_string(&mut stderr);
        stderr
    });
    let _ = child.stdout.take().unwrap().read_to_string(&mut stdout);
    let status = child.wait().expect("the binary ends");
    let took = signalled.elapsed();
    let code = status.code().expect("an exit code: the signal is handled");
    (
        super::Output {
            code,
            stdout,
            stderr: err.join().unwrap(),
        },
        took,
    )
}
