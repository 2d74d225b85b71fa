//! End-to-end tests of HTTPS to Dynatrace: the real binary against a small HTTPS server with a
//! self-signed certificate, trusted through `--ca-bundle`/DT_CA_BUNDLE, refused without it, and
//! accepted anyway with `--insecure-ssl`/INSECURE_SSL.

#[allow(dead_code)]
mod support;

use support::tls::{self_signed, TlsServer};
use support::{Cli, Workdir, INGEST_PATH};

const TOKEN: &str = "dt0c01.SECRETSECRETSECRET";

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
