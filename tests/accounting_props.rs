//! The bucket rule under random faults: a server that answers each request from a random script
//! (accepted, partly refused, too large, throttled, unavailable, failing, cut off after the body,
//! slow), and a SIGTERM at a random time or none. Whatever happens, every line ends in exactly
//! one bucket, no line is accepted twice, the report's accepted lines are ones the server
//! accepted, and a run that was cut short never exits 0.

#[allow(dead_code)]
mod support;

use std::collections::HashMap;
use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::prelude::*;
use support::raw::{read_request, wait_or_kill, RawServer};
use support::{assert_buckets, Workdir};

#[derive(Debug, Clone, Copy)]
enum Fault {
    Accept,
    OneInvalid,
    TooLarge,
    Throttle,
    Unavailable,
    ServerError,
    CutOff,
    Slow,
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        3 => Just(Fault::Accept),
        1 => Just(Fault::OneInvalid),
        1 => Just(Fault::TooLarge),
        1 => Just(Fault::Throttle),
        1 => Just(Fault::Unavailable),
        1 => Just(Fault::ServerError),
        1 => Just(Fault::CutOff),
        1 => Just(Fault::Slow),
    ]
}

/// What the scripted server saw: how often it accepted each line, and how many lines it said
/// were accepted in all.
#[derive(Default)]
struct Seen {
    accepted: HashMap<String, usize>,
    lines_ok: u64,
}

fn scripted(script: Vec<Fault>, seen: Arc<Mutex<Seen>>) -> RawServer {
    let next = Arc::new(AtomicUsize::new(0));
    RawServer::start(move |stream: TcpStream| {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut stream = stream;
        while let Some(request) = read_request(&mut reader) {
            let body = String::from_utf8_lossy(&request.body).into_owned();
            let lines: Vec<&str> = body.lines().collect();
            let n = lines.len();
            let fault = script[next.fetch_add(1, Ordering::SeqCst) % script.len()];
            let accept = |skip_first: bool| {
                let mut seen = seen.lock().unwrap();
                for line in lines.iter().skip(usize::from(skip_first)) {
                    *seen.accepted.entry(line.to_string()).or_default() += 1;
                }
                seen.lines_ok += (n - usize::from(skip_first)) as u64;
            };
            let (status, extra, answer) = match fault {
                Fault::Accept | Fault::Slow => {
                    if let Fault::Slow = fault {
                        std::thread::sleep(Duration::from_millis(300));
                    }
                    accept(false);
                    (
                        202,
                        "",
                        format!(r#"{{"linesOk":{n},"linesInvalid":0,"error":null}}"#),
                    )
                }
                Fault::OneInvalid => {
                    accept(true);
                    let ok = n - 1;
                    let answer = format!(
                        r#"{{"linesOk":{ok},"linesInvalid":1,"error":{{"code":400,"message":"1 invalid","invalidLines":[{{"line":1,"error":"bad"}}]}}}}"#
                    );
                    (400, "", answer)
                }
                Fault::TooLarge => (413, "", r#"{"error":{"message":"too large"}}"#.into()),
                Fault::Throttle => (429, "Retry-After: 0\r\n", "{}".into()),
                Fault::Unavailable => (503, "Retry-After: 0\r\n", "{}".into()),
                Fault::ServerError => (500, "", "{}".into()),
                Fault::CutOff => return,
            };
            let reply = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n{extra}\
                 Content-Length: {}\r\n\r\n{answer}",
                answer.len()
            );
            if stream.write_all(reply.as_bytes()).is_err() {
                return;
            }
        }
    })
}

fn lines(n: usize) -> String {
    (1..=n)
        .map(|i| format!("prop.metric,n={i} {i}\n"))
        .collect()
}

fn check(count: usize, script: Vec<Fault>, signal_ms: Option<u64>, concurrency: u8) {
    let dir = Workdir::new("accounting-props");
    dir.write("lines.txt", &lines(count));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let server = scripted(script, seen.clone());
    let child = dir
        .cli()
        .credentials(&server.url(), "dt0c01.PROPSSECRET")
        .args(["--lines", "lines.txt", "--output", "json", "--retries", "2"])
        .args(["--timeout-secs", "2", "--deadline-secs", "20"])
        .args(["--concurrency", &concurrency.to_string()])
        .spawn();
    if let Some(ms) = signal_ms {
        std::thread::sleep(Duration::from_millis(ms));
        // SAFETY: kill with a pid of ours (it may have ended: then nothing happens).
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    }
    let (out, _) = wait_or_kill(child, Duration::from_secs(40));
    assert!(
        [0, 3, 4].contains(&out.code),
        "exit {}: {}",
        out.code,
        out.stderr
    );
    let report = out.json();
    assert_buckets(&report);
    let seen = seen.lock().unwrap();
    let twice: Vec<_> = seen.accepted.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "accepted twice: {twice:?}");
    let ok = report["lines"]["ok"].as_u64().unwrap();
    assert!(
        ok <= seen.lines_ok,
        "report {ok} > server {}",
        seen.lines_ok
    );
    if report["interrupted"].is_string() {
        assert_eq!(out.code, 4, "{report}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn every_line_in_one_bucket_whatever_the_faults_and_the_signal(
        count in 1usize..4_000,
        script in proptest::collection::vec(fault(), 1..10),
        signal_ms in proptest::option::of(0u64..1_200),
        concurrency in 1u8..6,
    ) {
        check(count, script, signal_ms, concurrency);
    }
}
