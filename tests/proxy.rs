//! Proxies, with a real one: a small HTTP proxy on 127.0.0.1 that records everything it is sent,
//! tunnels `CONNECT` to a local HTTPS stand-in for Dynatrace, and answers plain requests itself.
//! This machine (and so the OneAgent) is never reached through a proxy; an `https://` endpoint
//! is, through a tunnel the proxy cannot read; `NO_PROXY` keeps working; a plain `http://`
//! endpoint elsewhere goes through the proxy only where the token may travel in clear text.
//!
//! `http://0.0.0.0:PORT` stands for "another host" reached over plain HTTP: Linux connects it to
//! this machine, but it is not a loopback address, so the rules treat it as elsewhere.

#[allow(dead_code)]
mod support;

use std::io::{BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex};

use support::raw::{read_request, RawServer};
use support::tls::TlsServer;
use support::{FakeDynatrace, Workdir, INGEST_PATH};

const TOKEN: &str = "dt0c01.PROXYPUBLIC.PROXYSECRETPART";

/// What the proxy was sent: each request's first line, and every byte, tunnels included.
#[derive(Default)]
struct Seen {
    request_lines: Vec<String>,
    bytes: Vec<u8>,
}

struct RecordingProxy {
    server: RawServer,
    seen: Arc<Mutex<Seen>>,
}

impl RecordingProxy {
    /// Tunnels `CONNECT` to 127.0.0.1:`tunnel_to`, whatever host it names.
    fn start(tunnel_to: Option<u16>) -> RecordingProxy {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let record = seen.clone();
        let server = RawServer::start(move |stream| {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let Some(request) = read_request(&mut reader) else {
                return;
            };
            {
                let mut seen = record.lock().unwrap();
                seen.request_lines.push(request.line.clone());
                seen.bytes.extend_from_slice(request.text().as_bytes());
            }
            let mut client = stream;
            match (request.line.starts_with("CONNECT "), tunnel_to) {
                (true, Some(port)) => {
                    let upstream = TcpStream::connect(("127.0.0.1", port)).unwrap();
                    client
                        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                        .unwrap();
                    tunnel(reader, client, upstream, &record);
                }
                (true, None) => {
                    let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
                }
                (false, _) => {
                    let lines = String::from_utf8_lossy(&request.body).lines().count();
                    let body = format!(r#"{{"linesOk":{lines},"linesInvalid":0,"error":null}}"#);
                    let _ = write!(
                        client,
                        "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                }
            }
        });
        RecordingProxy { server, seen }
    }

    fn url(&self) -> String {
        self.server.url()
    }

    fn request_lines(&self) -> Vec<String> {
        self.seen.lock().unwrap().request_lines.clone()
    }

    fn saw_token(&self) -> bool {
        let seen = self.seen.lock().unwrap();
        String::from_utf8_lossy(&seen.bytes).contains("PROXYSECRETPART")
    }
}

/// Copies bytes both ways between the client and upstream, recording them, until either ends.
fn tunnel(
    client_reader: BufReader<TcpStream>,
    client: TcpStream,
    mut upstream: TcpStream,
    seen: &Arc<Mutex<Seen>>,
) {
    // What the client sent after CONNECT that the reader already took in.
    let early = client_reader.buffer().to_vec();
    seen.lock().unwrap().bytes.extend_from_slice(&early);
    upstream.write_all(&early).unwrap();
    let pipe = |mut from: TcpStream, mut to: TcpStream, seen: Arc<Mutex<Seen>>| {
        std::thread::spawn(move || {
            let mut buffer = [0; 16 * 1024];
            while let Ok(n @ 1..) = from.read(&mut buffer) {
                seen.lock().unwrap().bytes.extend_from_slice(&buffer[..n]);
                if to.write_all(&buffer[..n]).is_err() {
                    break;
                }
            }
            let _ = to.shutdown(Shutdown::Write);
        })
    };
    let up = pipe(
        client.try_clone().unwrap(),
        upstream.try_clone().unwrap(),
        seen.clone(),
    );
    let down = pipe(upstream, client, seen.clone());
    let _ = up.join();
    let _ = down.join();
}

/// Every proxy variable, upper- and lower-case, set to `proxy`.
fn all_proxy_variables(cli: support::Cli, proxy: &str) -> support::Cli {
    [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ]
    .iter()
    .fold(cli, |cli, name| cli.env(name, proxy))
}

#[test]
fn this_machine_and_the_oneagent_are_never_reached_through_a_proxy() {
    let dir = Workdir::new("proxy-local");
    dir.write("samples.txt", "1\n2\n3\n");
    let proxy = RecordingProxy::start(None);
    let server = FakeDynatrace::accepting();
    let port = server.url().rsplit(':').next().unwrap().to_owned();
    for tenant in [server.url().to_owned(), format!("http://localhost:{port}")] {
        let out = all_proxy_variables(dir.cli(), &proxy.url())
            .credentials(&tenant, TOKEN)
            .args(["-m", "x_metric=1", "--histogram", "latency=samples.txt"])
            .run();
        out.expect_code(0);
    }
    assert_eq!(server.requests().len(), 4, "sent straight to this machine");
    let out = all_proxy_variables(dir.cli(), &proxy.url())
        .args(["--oneagent", "-m", "x_metric=1", "--retries", "0"])
        .run();
    assert_ne!(out.code, 2, "{}", out.stderr);
    assert_eq!(proxy.request_lines(), Vec::<String>::new());
    assert!(!proxy.saw_token());
}

/// A certificate for `dynatrace.test`, a name only the proxy "resolves".
fn dynatrace_test_certificate() -> (String, String) {
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["dynatrace.test".to_owned()]).unwrap();
    (cert.pem(), signing_key.serialize_pem())
}

#[test]
fn an_https_endpoint_is_reached_through_a_tunnel_the_proxy_cannot_read() {
    let dir = Workdir::new("proxy-tunnel");
    let (cert, key) = dynatrace_test_certificate();
    dir.write("cert.pem", &cert);
    let tenant = TlsServer::start(&cert, &key);
    let proxy = RecordingProxy::start(Some(tenant.port));
    let out = dir
        .cli()
        .env("HTTPS_PROXY", &proxy.url())
        .env("DT_CA_BUNDLE", "cert.pem")
        .credentials("https://dynatrace.test:8443", TOKEN)
        .args(["-m", "x_metric=1", "--retries", "0", "--output", "json"])
        .run();
    out.expect_code(0);
    assert_eq!(out.json()["lines"]["ok"], 1);
    let requests = tenant.requests();
    assert_eq!(requests[0].path, INGEST_PATH);
    assert_eq!(
        requests[0].header("Authorization"),
        Some(format!("Api-Token {TOKEN}").as_str())
    );
    assert_eq!(
        proxy.request_lines(),
        ["CONNECT dynatrace.test:8443 HTTP/1.1"]
    );
    assert!(
        !proxy.saw_token(),
        "the proxy saw only the encrypted tunnel"
    );
}

#[test]
fn no_proxy_keeps_working() {
    let dir = Workdir::new("proxy-no-proxy");
    let proxy = RecordingProxy::start(None);
    let server = FakeDynatrace::accepting();
    let elsewhere = server.url().replace("127.0.0.1", "0.0.0.0");
    for no_proxy in ["NO_PROXY", "no_proxy"] {
        let out = dir
            .cli()
            .env("HTTP_PROXY", &proxy.url())
            .env(no_proxy, "example.com, 0.0.0.0")
            .credentials(&elsewhere, TOKEN)
            .args(["--allow-plain-http", "-m", "x_metric=1"])
            .run();
        out.expect_code(0);
    }
    assert_eq!(server.requests().len(), 2);
    assert_eq!(proxy.request_lines(), Vec::<String>::new());
}

#[test]
fn a_plain_http_endpoint_elsewhere_goes_through_a_proxy_only_where_the_token_may_go_in_clear() {
    let dir = Workdir::new("proxy-plain");
    let proxy = RecordingProxy::start(None);
    let elsewhere = "http://0.0.0.0:9";
    let refused = dir
        .cli()
        .env("HTTP_PROXY", &proxy.url())
        .credentials(elsewhere, TOKEN)
        .args(["-m", "x_metric=1"])
        .run();
    refused.expect_code(2);
    assert!(
        refused
            .stderr
            .contains("refusing to send the API token in clear text"),
        "{}",
        refused.stderr
    );
    assert_eq!(proxy.request_lines(), Vec::<String>::new());

    // Allowed: the proxy is one more hop of the network trusted with the token in clear text.
    let allowed = dir
        .cli()
        .env("HTTP_PROXY", &proxy.url())
        .credentials(elsewhere, TOKEN)
        .args(["--allow-plain-http", "-m", "x_metric=1"])
        .run();
    allowed.expect_code(0);
    assert_eq!(
        proxy.request_lines(),
        ["POST http://0.0.0.0:9/api/v2/metrics/ingest HTTP/1.1"]
    );
}

#[test]
fn a_proxy_that_is_not_an_http_proxy_is_a_usage_error_naming_the_variable() {
    let dir = Workdir::new("proxy-socks");
    let proxy = RecordingProxy::start(None);
    let socks = proxy.url().replace("http://", "socks5://user:hidden@");
    let out = dir
        .cli()
        .env("ALL_PROXY", &socks)
        .credentials("https://dynatrace.test", TOKEN)
        .args(["-m", "x_metric=1", "--retries", "0"])
        .run();
    out.expect_code(2);
    assert!(
        out.stderr.contains("ALL_PROXY names a socks5:// proxy"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("hidden"), "{}", out.stderr);
    assert_eq!(proxy.request_lines(), Vec::<String>::new());
}
