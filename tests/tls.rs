//! End-to-end tests of HTTPS to Dynatrace: the real binary against a small HTTPS server with a
//! self-signed certificate, trusted through `--ca-bundle`/DT_CA_BUNDLE, refused without it, and
//! accepted anyway with `--insecure-ssl`/INSECURE_SSL.

#[allow(dead_code)]
mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use support::{Cli, Recorded, Workdir, INGEST_PATH};

const TOKEN: &str = "dt0c01.SECRETSECRETSECRET";
const ACCEPTED: &str = r#"{"linesOk":1,"linesInvalid":0,"error":null}"#;

/// A self-signed certificate for `localhost` and `127.0.0.1`, with its key, both PEM.
fn self_signed() -> (String, String) {
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("a self-signed certificate");
    (cert.pem(), signing_key.serialize_pem())
}

/// An HTTPS server on 127.0.0.1 that handles one connection at a time: it reads one HTTP/1.1
/// request, records it and answers 202 as Dynatrace does when every line was accepted.
struct TlsServer {
    port: u16,
    requests: Arc<Mutex<Vec<Recorded>>>,
    stopping: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TlsServer {
    fn start(cert_pem: &str, key_pem: &str) -> TlsServer {
        let certs = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .expect("the certificate as PEM");
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).expect("the key as PEM");
        let config = Arc::new(
            ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .expect("TLS versions")
                .with_no_client_auth()
                .with_single_cert(certs, key)
                .expect("a server certificate"),
        );
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("a local address").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stopping = Arc::new(AtomicBool::new(false));
        let thread = {
            let (requests, stopping) = (requests.clone(), stopping.clone());
            std::thread::spawn(move || {
                for tcp in listener.incoming() {
                    if stopping.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(tcp) = tcp else { continue };
                    // A refused handshake or a broken request just ends this connection.
                    let _ = serve(tcp, config.clone(), &requests);
                }
            })
        };
        TlsServer {
            port,
            requests,
            stopping,
            thread: Some(thread),
        }
    }

    fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // Wakes the accept loop, which then sees `stopping`.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One connection: the TLS handshake, one request, one answer.
fn serve(
    tcp: TcpStream,
    config: Arc<ServerConfig>,
    requests: &Mutex<Vec<Recorded>>,
) -> std::io::Result<()> {
    // A client that stalls must not hang the test.
    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
    tcp.set_write_timeout(Some(Duration::from_secs(10)))?;
    let connection = ServerConnection::new(config).map_err(std::io::Error::other)?;
    let mut reader = BufReader::new(StreamOwned::new(connection, tcp));

    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut parts = request_line.split_whitespace();
    let (method, path) = match (parts.next(), parts.next()) {
        (Some(method), Some(path)) => (method.to_owned(), path.to_owned()),
        _ => {
            return Err(std::io::Error::other(format!(
                "request line {request_line:?}"
            )))
        }
    };
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let length = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .map_or(Ok(0), |(_, value)| value.parse::<usize>())
        .map_err(std::io::Error::other)?;
    let mut body_bytes = vec![0; length];
    reader.read_exact(&mut body_bytes)?;
    requests.lock().unwrap().push(Recorded {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body_bytes).into_owned(),
        body_bytes,
    });

    let mut stream = reader.into_inner();
    write!(
        stream,
        "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{ACCEPTED}",
        ACCEPTED.len()
    )?;
    stream.flush()?;
    stream.conn.send_close_notify();
    stream.flush()
}

/// A scratch directory holding `cert.pem`, and a server presenting that certificate.
fn setup(name: &str) -> (Workdir, TlsServer) {
    let (cert_pem, key_pem) = self_signed();
    let dir = Workdir::new(name);
    dir.write("cert.pem", &cert_pem);
    std::fs::create_dir(dir.path().join("metadata")).expect("an empty metadata directory");
    (dir, TlsServer::start(&cert_pem, &key_pem))
}

/// The binary sending `-m x=1` to the server at `https://localhost:PORT`, with no host metadata.
fn send_x(dir: &Workdir, server: &TlsServer) -> Cli {
    dir.cli()
        .env(
            "DT_METADATA_DIR",
            dir.path().join("metadata").to_str().unwrap(),
        )
        .credentials(&format!("https://localhost:{}", server.port), TOKEN)
        .args(["-m", "x=1", "--retries", "0", "--timeout-secs", "10"])
}

fn assert_one_accepted_request(server: &TlsServer) {
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, INGEST_PATH);
    assert_eq!(
        request.header("Authorization"),
        Some(format!("Api-Token {TOKEN}").as_str())
    );
    assert_eq!(request.lines(), ["keptn.x,ci_platform=keptn gauge,1"]);
}

#[test]
fn a_ca_bundle_trusts_a_self_signed_tenant() {
    let (dir, server) = setup("tls-ca-bundle");

    let out = send_x(&dir, &server)
        .args(["--ca-bundle", "cert.pem"])
        .run();

    out.expect_code(0);
    assert_one_accepted_request(&server);
}

#[test]
fn dt_ca_bundle_trusts_a_self_signed_tenant() {
    let (dir, server) = setup("tls-dt-ca-bundle");

    let out = send_x(&dir, &server)
        .env(
            "DT_CA_BUNDLE",
            dir.path().join("cert.pem").to_str().unwrap(),
        )
        .run();

    out.expect_code(0);
    assert_one_accepted_request(&server);
}

#[test]
fn a_self_signed_tenant_without_the_ca_bundle_is_a_delivery_failure() {
    let (dir, server) = setup("tls-untrusted");

    let out = send_x(&dir, &server).args(["--output", "json"]).run();

    out.expect_code(4);
    let report = out.json();
    let failure = report["failure"].as_str().expect("a failure message");
    assert!(
        failure.contains("certificate") && failure.contains("UnknownIssuer"),
        "{failure}"
    );
    assert!(!failure.contains(TOKEN), "{failure}");
    assert!(server.requests().is_empty(), "{:#?}", server.requests());
}

#[test]
fn insecure_ssl_accepts_a_self_signed_tenant() {
    for value in ["true", "1"] {
        let (dir, server) = setup("tls-insecure-env");

        let out = send_x(&dir, &server).env("INSECURE_SSL", value).run();

        out.expect_code(0);
        assert_one_accepted_request(&server);
    }
}

#[test]
fn the_insecure_ssl_flag_accepts_a_self_signed_tenant() {
    let (dir, server) = setup("tls-insecure-flag");

    let out = send_x(&dir, &server).args(["--insecure-ssl"]).run();

    out.expect_code(0);
    assert_one_accepted_request(&server);
}

/// Runs with `--ca-bundle bundle.pem` holding `contents` (no such file for `None`): nothing
/// sent, exit 2, the file named.
fn assert_rejected_ca_bundle(name: &str, contents: Option<&str>) {
    let (dir, server) = setup(name);
    if let Some(contents) = contents {
        dir.write("bundle.pem", contents);
    }

    let out = send_x(&dir, &server)
        .args(["--ca-bundle", "bundle.pem"])
        .run();

    out.expect_code(2);
    assert!(out.stderr.contains("bundle.pem"), "{}", out.stderr);
    assert!(server.requests().is_empty(), "{:#?}", server.requests());
}

#[test]
fn a_ca_bundle_that_is_not_pem_is_a_usage_error_naming_the_file() {
    assert_rejected_ca_bundle("tls-not-pem", Some("this is not a certificate\n"));
}

#[test]
fn an_empty_ca_bundle_is_a_usage_error_naming_the_file() {
    assert_rejected_ca_bundle("tls-empty-bundle", Some(""));
}

#[test]
fn a_ca_bundle_with_bad_base64_is_a_usage_error_naming_the_file() {
    assert_rejected_ca_bundle(
        "tls-bad-base64",
        Some("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"),
    );
}

#[test]
fn a_ca_bundle_with_a_corrupt_certificate_is_a_usage_error_naming_the_file() {
    // Valid PEM and base64, but not DER: found only when the client is built.
    assert_rejected_ca_bundle(
        "tls-bad-der",
        Some("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
    );
}

#[test]
fn a_missing_ca_bundle_is_a_usage_error_naming_the_file() {
    assert_rejected_ca_bundle("tls-missing-bundle", None);
}
