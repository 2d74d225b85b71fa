//! A bare TCP server on 127.0.0.1 for servers that misbehave below what an HTTP library lets one
//! write (endless or trickling bodies) and for an HTTP proxy: each connection is handed to the
//! test's function on its own thread. Also: reading one HTTP request off a connection, and
//! waiting for the binary with a watchdog that kills it if it hangs.

use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub struct RawServer {
    port: u16,
    stopping: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl RawServer {
    /// Hands every connection to `serve`, each on a thread of its own.
    pub fn start(serve: impl Fn(TcpStream) + Send + Sync + 'static) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        let stopping = Arc::new(AtomicBool::new(false));
        let serve = Arc::new(serve);
        let stop = stopping.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let serve = serve.clone();
                std::thread::spawn(move || serve(stream));
            }
        });
        RawServer {
            port,
            stopping,
            thread: Some(thread),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One HTTP request as read off a connection: the request line, the header lines, the body.
#[derive(Debug, Default, Clone)]
pub struct RawRequest {
    pub line: String,
    pub headers: Vec<String>,
    pub body: Vec<u8>,
}

impl RawRequest {
    /// Everything the other side sent, as text.
    pub fn text(&self) -> String {
        format!(
            "{}\n{}\n\n{}",
            self.line,
            self.headers.join("\n"),
            String::from_utf8_lossy(&self.body)
        )
    }
}

/// Reads one request (its body by `Content-Length`); `None` when the connection ends first.
pub fn read_request(reader: &mut BufReader<TcpStream>) -> Option<RawRequest> {
    let mut request = RawRequest::default();
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    request.line = line.trim_end().to_owned();
    let mut length = 0;
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        request.headers.push(header.to_owned());
    }
    request.body = vec![0; length];
    reader.read_exact(&mut request.body).ok()?;
    Some(request)
}

/// Waits for `child` at most `limit`, killing it if it is still running then (a hang fails the
/// test instead of stalling the suite); returns its output and its peak resident memory in KiB,
/// read from `wait4`, which reports it for that child alone.
pub fn wait_or_kill(mut child: std::process::Child, limit: Duration) -> (super::Output, i64) {
    let pid = child.id() as libc::pid_t;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let finished = Arc::new(AtomicBool::new(false));
    let killed = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let (finished, killed) = (finished.clone(), killed.clone());
        std::thread::spawn(move || {
            let deadline = Instant::now() + limit;
            while !finished.load(Ordering::SeqCst) {
                if Instant::now() > deadline {
                    killed.store(true, Ordering::SeqCst);
                    // SAFETY: kill with the pid of our child, not yet waited for.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let mut status = 0;
    // SAFETY: zeroed rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the child is ours and waited for only here; `status` and `usage` are writable.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    finished.store(true, Ordering::SeqCst);
    watchdog.join().unwrap();
    assert_eq!(waited, pid, "wait4");
    let output = super::Output {
        code: if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            -1
        },
        stdout: String::from_utf8_lossy(&stdout.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&stderr.join().unwrap()).into_owned(),
    };
    assert!(
        !killed.load(Ordering::SeqCst),
        "the binary was still running after {limit:?} and was killed\n--- stdout:\n{}\n--- stderr:\n{}",
        output.stdout,
        output.stderr
    );
    (output, usage.ru_maxrss)
}
