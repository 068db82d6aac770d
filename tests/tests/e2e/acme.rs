//! Certificates over ACME, end to end against pebble (Let's Encrypt's test-only ACME server, the
//! Debian package `cargo xtask install` puts in place): the relay obtains a certificate, serves
//! it, keeps it and its account for the next start, and renews it when it is inside the renewal
//! window.
//!
//! Pebble runs with `PEBBLE_VA_ALWAYS_VALID=1`: it does not connect back to validate the
//! TLS-ALPN-01 challenge (that would need the relay on the name's port 443). Its own https uses a
//! plain CA this test makes (the Debian package ships none of pebble's test certificates); the
//! relay trusts that CA for the ACME directory through the hidden `--acme-ca-root`. The TLS client
//! that checks what the relay serves trusts only pebble's issuing root, fetched from pebble's
//! management endpoint (pebble makes a new root each time it starts).

use std::{
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use rustls::{
    RootCertStore,
    pki_types::{CertificateDer, pem::PemObject},
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::https::{HOST, HttpsRelay, PATIENCE, connect_trusting, exchange, header};

const PEBBLE: &str = "/usr/bin/pebble";

/// A pebble process on free loopback ports; killed when dropped.
struct Pebble {
    child: Child,
    directory: String,
    management: SocketAddr,
    /// The CA pebble's own https certificate is signed by (PEM file).
    https_ca: PathBuf,
}

impl Pebble {
    fn start(dir: &Path) -> Self {
        assert!(
            Path::new(PEBBLE).exists(),
            "{PEBBLE} is missing: run `cargo xtask install` (Debian package pebble)"
        );
        let https_ca = dir.join("pebble-https-ca.pem");
        let (cert, key) = (dir.join("pebble-https.pem"), dir.join("pebble-https.key.pem"));
        write_https_certificate(&https_ca, &cert, &key);
        let (acme, management) = (free_port(), free_port());
        let config = serde_json::json!({
            "pebble": {
                "listenAddress": acme.to_string(),
                "managementListenAddress": management.to_string(),
                "certificate": cert,
                "privateKey": key,
                // Unused with PEBBLE_VA_ALWAYS_VALID; pebble wants them set.
                "httpPort": 5002,
                "tlsPort": 5001,
                "ocspResponderURL": "",
                "externalAccountBindingRequired": false
            }
        });
        let config_file = dir.join("pebble-config.json");
        std::fs::write(&config_file, config.to_string()).unwrap();
        let child = Command::new(PEBBLE)
            .arg("-config")
            .arg(&config_file)
            .env("PEBBLE_VA_ALWAYS_VALID", "1")
            .env("PEBBLE_VA_NOSLEEP", "1")
            // Pebble refuses 5% of good nonces by default to exercise clients' retries; the
            // relay's order would then wait its one-minute retry, too slow for a test.
            .env("PEBBLE_WFE_NONCEREJECT", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let pebble = Self { child, directory: format!("https://{acme}/dir"), management, https_ca };
        let deadline = Instant::now() + PATIENCE;
        while std::net::TcpStream::connect(acme).is_err() || std::net::TcpStream::connect(management).is_err()
        {
            assert!(Instant::now() < deadline, "pebble did not start listening on {acme}");
            std::thread::sleep(Duration::from_millis(50));
        }
        pebble
    }

    /// The root that pebble's issued certificates chain to, from its management endpoint.
    async fn issuing_root(&self) -> RootCertStore {
        let mut https_roots = RootCertStore::empty();
        https_roots.add(CertificateDer::from_pem_file(&self.https_ca).unwrap()).unwrap();
        let mut tls = connect_trusting(self.management, "localhost", https_roots).await.unwrap();
        // HTTP/1.0, so pebble's Go server answers with a plain body (never chunked).
        tls.write_all(b"GET /roots/0 HTTP/1.0\r\nHost: localhost\r\n\r\n").await.unwrap();
        let mut raw = Vec::new();
        let _ = tls.read_to_end(&mut raw).await;
        let raw = String::from_utf8(raw).unwrap();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"), "{head}");
        let mut roots = RootCertStore::empty();
        roots.add(CertificateDer::from_pem_slice(body.as_bytes()).unwrap()).unwrap();
        roots
    }

    /// The relay's flags for this CA.
    fn relay_args(&self) -> Vec<String> {
        [
            "--acme-domain",
            HOST,
            "--acme-contact",
            "mailto:it@school.test",
            "--acme-directory",
            &self.directory,
            "--acme-ca-root",
            self.https_ca.to_str().unwrap(),
        ]
        .map(String::from)
        .to_vec()
    }
}

impl Drop for Pebble {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

/// A plain CA (no name constraints) and a certificate for pebble's https at localhost/127.0.0.1.
fn write_https_certificate(ca_file: &Path, cert_file: &Path, key_file: &Path) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    ca.distinguished_name.push(rcgen::DnType::CommonName, "pebble https test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    let cert = server.signed_by(&key, &Issuer::new(ca, &ca_key)).unwrap();
    std::fs::write(ca_file, ca_cert.pem()).unwrap();
    std::fs::write(cert_file, cert.pem()).unwrap();
    std::fs::write(key_file, key.serialize_pem()).unwrap();
}

/// Waits until the relay completes a handshake that verifies against `roots` for [`HOST`] with a
/// leaf that `accept` takes (handshakes fail while the relay has no certificate yet), and
/// returns that leaf.
async fn served_leaf(
    relay: &HttpsRelay,
    roots: &RootCertStore,
    accept: impl Fn(&CertificateDer<'_>) -> bool,
) -> CertificateDer<'static> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let last = match connect_trusting(relay.addr, HOST, roots.clone()).await {
            Ok(tls) => {
                let leaf = tls.get_ref().1.peer_certificates().unwrap()[0].clone().into_owned();
                if accept(&leaf) {
                    return leaf;
                }
                "a verified handshake, but with the certificate served before".to_owned()
            }
            Err(error) => error.to_string(),
        };
        assert!(Instant::now() < deadline, "the relay never served the certificate looked for: {last}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn kept_leaf(data: &Path) -> CertificateDer<'static> {
    CertificateDer::pem_file_iter(data.join("acme/cert.pem")).unwrap().next().unwrap().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_gets_a_certificate_over_acme_serves_it_keeps_it_and_renews_it_inside_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let pebble = Pebble::start(dir.path());
    let pebble_root = pebble.issuing_root().await;
    let data = dir.path().join("data");
    let args = pebble.relay_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    // First start: no certificate, no account. The relay orders one and serves it.
    let relay = HttpsRelay::start(&data, "127.0.0.1:0", &args);
    let first = served_leaf(&relay, &pebble_root, |_| true).await;
    assert_eq!(first, kept_leaf(&data), "the served certificate is the one kept in the data directory");
    let tls = connect_trusting(relay.addr, HOST, pebble_root.clone()).await.unwrap();
    let (status, headers, body) = exchange(tls, "GET", "/healthz", None).await;
    assert_eq!((status, body.trim()), (200, "ok"), "the relay answers over the ACME certificate");
    assert!(header(&headers, "strict-transport-security").is_some(), "{headers:?}");
    use std::os::unix::fs::PermissionsExt;
    for secret in ["account.json", "key.pem"] {
        let mode = std::fs::metadata(data.join("acme").join(secret)).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{secret} is readable by others: {mode:o}");
    }
    let account = std::fs::read_to_string(data.join("acme/account.json")).unwrap();
    drop(relay);

    // Second start: the kept certificate is still far from expiry, so it is served as it is.
    let relay = HttpsRelay::start(&data, "127.0.0.1:0", &args);
    let again = served_leaf(&relay, &pebble_root, |_| true).await;
    assert_eq!(again, first, "a restart serves the kept certificate rather than ordering another");
    drop(relay);

    // Third start, told to renew long before expiry (pebble's certificates last five years): the
    // relay orders a new certificate with the same account and serves it.
    let mut renewing = args.clone();
    renewing.extend(["--acme-renew-days", "3650"]);
    let relay = HttpsRelay::start(&data, "127.0.0.1:0", &renewing);
    let renewed = served_leaf(&relay, &pebble_root, |leaf| *leaf != first).await;
    assert_eq!(renewed, kept_leaf(&data), "the renewed certificate is kept for the next start");
    assert_eq!(
        std::fs::read_to_string(data.join("acme/account.json")).unwrap(),
        account,
        "renewing reuses the kept ACME account"
    );
    let tls = connect_trusting(relay.addr, HOST, pebble_root.clone()).await.unwrap();
    let (status, _, _) = exchange(tls, "GET", "/healthz", None).await;
    assert_eq!(status, 200);
}

#[test]
fn acme_flags_that_cannot_work_are_refused_before_the_relay_starts() {
    let dir = tempfile::tempdir().unwrap();
    let refused = |args: &[&str]| {
        let output = Command::new(tandem_tests::tandem_binary())
            .args(["serve", "--addr", "127.0.0.1:0", "--data"])
            .arg(dir.path())
            .args(args)
            .output()
            .unwrap();
        assert!(!output.status.success(), "{args:?} started a relay");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let without_scheme = refused(&["--acme-domain", HOST, "--acme-contact", "it@school.test"]);
    assert!(without_scheme.contains("mailto:it@school.test"), "{without_scheme}");
    let url = refused(&["--acme-domain", "https://tandem.school.test/"]);
    assert!(url.contains("not a host name"), "{url}");
    let both = refused(&["--acme-domain", HOST, "--tls-cert", "c.pem", "--tls-key", "k.pem"]);
    assert!(both.contains("cannot be used with"), "{both}");
}
