//! HTTPS from the relay itself, as a school serves it: certificate files renewed on disk, the
//! redirecting plain port, Secure cookies and HSTS, and the device's address behind a trusted
//! proxy (sign-in throttling counts it).

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    path::Path,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

use futures_util::{SinkExt, StreamExt};
use rustls::{
    ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
    client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    pki_types::{CertificateDer, ServerName, UnixTime, pem::PemObject},
};
use tandem_sync::{PeerId, codec};
use tandem_tests::{admin, tandem_binary, test_person_token};
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    net::TcpStream,
};
use tokio_rustls::TlsConnector;
use tokio_tungstenite::tungstenite::Message;

use crate::http::Http;

pub(crate) const HOST: &str = "tandem.school.test";
pub(crate) const PATIENCE: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// The relay serving https, and what a TLS client sees of it.

/// A relay process started with https flags; killed when dropped.
pub(crate) struct HttpsRelay {
    child: Child,
    pub(crate) addr: SocketAddr,
    /// The plain-HTTP redirect port, when asked for.
    redirect: Option<SocketAddr>,
}

impl HttpsRelay {
    pub(crate) fn start(data: &Path, addr: &str, args: &[&str]) -> Self {
        let mut child = Command::new(tandem_binary())
            .args(["serve", "--addr", addr, "--data"])
            .arg(data)
            .args(args)
            .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("Tandem is running at https://")
            .unwrap_or_else(|| panic!("the relay did not start on https; it printed {line:?}"))
            .trim_end_matches('/')
            .parse()
            .unwrap();
        let redirect = args.contains(&"--http-redirect-addr").then(|| {
            let mut line = String::new();
            stdout.read_line(&mut line).unwrap();
            let rest =
                line.trim().strip_prefix("Plain http at http://").unwrap_or_else(|| panic!("{line:?}"));
            rest.split('/').next().unwrap().parse().unwrap()
        });
        Self { child, addr, redirect }
    }
}

impl Drop for HttpsRelay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Accepts any certificate and keeps the leaf it was shown: the tests compare it with the files.
#[derive(Debug)]
struct Recorder {
    seen: Mutex<Option<CertificateDer<'static>>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        *self.seen.lock().unwrap() = Some(end_entity.clone().into_owned());
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

pub(crate) fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A TLS connection to `addr` for `name` that trusts whatever it is shown; returns it with the
/// leaf certificate.
async fn connect(
    addr: SocketAddr,
    name: &str,
) -> (tokio_rustls::client::TlsStream<TcpStream>, CertificateDer<'static>) {
    let recorder = Arc::new(Recorder { seen: Mutex::default(), provider: provider() });
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    connect_with(addr, name, config, move || recorder.seen.lock().unwrap().clone().unwrap()).await
}

/// A TLS connection that trusts only `roots`.
pub(crate) async fn connect_trusting(
    addr: SocketAddr,
    name: &str,
    roots: RootCertStore,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, std::io::Error> {
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = TcpStream::connect(addr).await?;
    TlsConnector::from(Arc::new(config)).connect(ServerName::try_from(name.to_owned()).unwrap(), tcp).await
}

async fn connect_with(
    addr: SocketAddr,
    name: &str,
    config: ClientConfig,
    leaf: impl FnOnce() -> CertificateDer<'static>,
) -> (tokio_rustls::client::TlsStream<TcpStream>, CertificateDer<'static>) {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let server_name = ServerName::try_from(name.to_owned()).unwrap();
    let tls = TlsConnector::from(Arc::new(config)).connect(server_name, tcp).await.unwrap();
    (tls, leaf())
}

/// An HTTP/1.1 exchange on `stream` (one request, `Connection: close`): status, header lines.
pub(crate) async fn exchange(
    mut stream: impl AsyncRead + AsyncWrite + Unpin,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> (u16, Vec<(String, String)>, String) {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n");
    if let Some(body) = body {
        head.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    head.push_str(body.unwrap_or(""));
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    // A TLS peer may close without close_notify after the response; what was read is enough.
    let _ = stream.read_to_end(&mut raw).await;
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

pub(crate) fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// `tandem admin self-signed --host <hosts> --out <dir>`.
fn self_signed(dir: &Path, hosts: &[&str]) -> String {
    let mut command = Command::new(tandem_binary());
    command.args(["admin", "self-signed", "--out"]).arg(dir);
    for host in hosts {
        command.args(["--host", host]);
    }
    let output = command.output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

fn leaf_of(chain_pem: &Path) -> CertificateDer<'static> {
    CertificateDer::pem_file_iter(chain_pem).unwrap().next().unwrap().unwrap()
}

fn roots(ca_pem: &Path) -> RootCertStore {
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from_pem_file(ca_pem).unwrap()).unwrap();
    roots
}

// ---------------------------------------------------------------------------------------------
// Certificate files.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaced_certificate_files_reach_the_next_connection_while_open_websockets_stay() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (dir.path().join("first"), dir.path().join("second"));
    let printed = self_signed(&first, &[HOST]);
    assert!(
        printed.contains("iPad") && printed.contains("Android") && printed.contains("Chromebook"),
        "{printed}"
    );
    assert!(printed.contains("tandem serve --addr 0.0.0.0:443 --tls-cert"), "{printed}");
    self_signed(&second, &[HOST]);
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::copy(first.join("tandem-server.pem"), &cert).unwrap();
    std::fs::copy(first.join("tandem-server.key.pem"), &key).unwrap();
    let data = dir.path().join("data");
    let relay = HttpsRelay::start(
        &data,
        "127.0.0.1:0",
        &["--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()],
    );

    // A device that trusts the first CA trusts the relay.
    let tls = connect_trusting(relay.addr, HOST, roots(&first.join("tandem-ca.crt"))).await.unwrap();
    let (status, headers, _) = exchange(tls, "GET", "/healthz", None).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "strict-transport-security"), Some("max-age=31536000"));

    // A WebSocket opened with the first certificate.
    let token = test_person_token(&data, "mentor@school.test").unwrap();
    let (tls, seen) = connect(relay.addr, HOST).await;
    assert_eq!(seen, leaf_of(&first.join("tandem-server.pem")));
    let url = format!("wss://{HOST}/sync?token={token}");
    let (mut socket, _) = tokio_tungstenite::client_async(url, tls).await.unwrap();
    let join = codec::Message::Join {
        sender_id: PeerId::from("tls-peer"),
        peer_metadata: None,
        supported_protocol_versions: vec![codec::PROTOCOL_VERSION.to_owned()],
    };
    socket.send(Message::Binary(codec::encode(&join).into())).await.unwrap();
    expect_binary(&mut socket).await;

    // Renewal: the key replaced first, then the certificate, as a tool writing two files does.
    std::fs::copy(second.join("tandem-server.key.pem"), &key).unwrap();
    std::fs::copy(second.join("tandem-server.pem"), &cert).unwrap();
    let (_, seen) = connect(relay.addr, HOST).await;
    assert_eq!(
        seen,
        leaf_of(&second.join("tandem-server.pem")),
        "the next connection gets the new certificate"
    );
    assert!(
        connect_trusting(relay.addr, HOST, roots(&first.join("tandem-ca.crt"))).await.is_err(),
        "the old certificate is no longer served"
    );

    // The WebSocket opened before the renewal still works.
    socket.send(Message::Ping(b"still there?".to_vec().into())).await.unwrap();
    let pong = tokio::time::timeout(PATIENCE, async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Pong(payload))) => return payload,
                Some(Ok(_)) => continue,
                other => panic!("the open WebSocket ended: {other:?}"),
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(&pong[..], b"still there?");
}

async fn expect_binary<S: AsyncRead + AsyncWrite + Unpin>(
    socket: &mut tokio_tungstenite::WebSocketStream<S>,
) {
    let answer = tokio::time::timeout(PATIENCE, async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Binary(bytes))) => return bytes,
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => panic!("expected the relay's answer, got {other:?}"),
            }
        }
    })
    .await
    .unwrap();
    assert!(matches!(codec::decode(&answer).unwrap(), codec::Message::Peer { .. }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_the_session_cookie_is_secure_and_plain_http_only_redirects() {
    let dir = tempfile::tempdir().unwrap();
    self_signed(dir.path(), &[HOST]);
    let data = dir.path().join("data");
    let chain = dir.path().join("tandem-server.pem");
    let key = dir.path().join("tandem-server.key.pem");
    let relay = HttpsRelay::start(
        &data,
        "127.0.0.1:0",
        &[
            "--tls-cert",
            chain.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
            "--http-redirect-addr",
            "127.0.0.1:0",
        ],
    );
    admin(&data, &["create-program", "--id", "p", "--name", "School"], None).unwrap();
    let add =
        ["add-person", "--email", "ada@school.test", "--name", "Ada", "--program", "p", "--role", "mentor"];
    admin(&data, &[&add[..], &["--password-stdin"]].concat(), Some("correct horse\n")).unwrap();

    let tls = connect_trusting(relay.addr, HOST, roots(&dir.path().join("tandem-ca.crt"))).await.unwrap();
    let body = r#"{"email":"ada@school.test","password":"correct horse"}"#;
    let (status, headers, _) = exchange(tls, "POST", "/api/session", Some(body)).await;
    assert_eq!(status, 200);
    let cookie = header(&headers, "set-cookie").unwrap();
    assert!(cookie.starts_with("tandem_session=") && cookie.contains("; Secure"), "{cookie}");
    assert_eq!(header(&headers, "strict-transport-security"), Some("max-age=31536000"));

    // The plain port serves nothing, not even the health check: it sends devices to https.
    let plain = TcpStream::connect(relay.redirect.unwrap()).await.unwrap();
    let (status, headers, _) = exchange(plain, "GET", "/pairs?x=1", None).await;
    assert_eq!(status, 308);
    let https_port = relay.addr.port();
    assert_eq!(header(&headers, "location"), Some(format!("https://{HOST}:{https_port}/pairs?x=1").as_str()));
    let plain = TcpStream::connect(relay.redirect.unwrap()).await.unwrap();
    let (status, _, _) = exchange(plain, "GET", "/healthz", None).await;
    assert_eq!(status, 308);
}

#[test]
fn the_relay_refuses_to_start_with_secure_cookies_but_no_https() {
    let data = tempfile::tempdir().unwrap();
    let serve = |args: &[&str]| {
        Command::new(tandem_binary())
            .args(["serve", "--addr", "127.0.0.1:0", "--data"])
            .arg(data.path())
            .args(args)
            .output()
            .unwrap()
    };
    let refused = serve(&["--secure-cookies"]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("--tls-cert") && said.contains("--trusted-proxy"), "it says what to do: {said}");
    let refused = serve(&["--http-redirect-addr", "127.0.0.1:0"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("serves plain http"));
}

// ---------------------------------------------------------------------------------------------
// Behind a proxy.

/// Failed sign-ins for distinct accounts, each as if forwarded for `forwarded_for(i)`; returns
/// the status of the last.
fn failed_sign_ins(http: &Http, count: usize, tag: &str, forwarded_for: impl Fn(usize) -> String) -> u16 {
    let mut last = 0;
    for i in 0..count {
        let body = format!(r#"{{"email":"{tag}{i}@school.test","password":"guess"}}"#);
        let xff = forwarded_for(i);
        last = http.send("POST", "/api/session", &[("X-Forwarded-For", &xff)], Some(body.as_bytes())).status;
    }
    last
}

/// Failures per address that lock it (`ThrottleConfig::default`); the next attempt is refused.
const FREE_PER_ADDRESS: usize = 50;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_addresses_count_only_from_a_trusted_proxy() {
    let data = tempfile::tempdir().unwrap();
    // The test connects from 127.0.0.1, which is not in the trusted range: its forged headers
    // are ignored, so every failure counts against 127.0.0.1 and it is throttled.
    let untrusted = tandem_tests::Relay::start(data.path(), &["--trusted-proxy", "10.0.0.0/8"]).unwrap();
    let http = Http::new(untrusted.addr());
    let last = failed_sign_ins(&http, FREE_PER_ADDRESS + 1, "u", |i| format!("192.0.2.{}", i + 1));
    assert_eq!(last, 429, "the forged addresses did not spread the failures");
    drop(untrusted);

    // From a trusted proxy, each device is counted under its own address.
    let data = tempfile::tempdir().unwrap();
    let behind_proxy = tandem_tests::Relay::start(data.path(), &["--trusted-proxy", "127.0.0.0/8"]).unwrap();
    let http = Http::new(behind_proxy.addr());
    let last = failed_sign_ins(&http, FREE_PER_ADDRESS + 5, "t", |i| format!("198.51.100.{}", i + 1));
    assert_eq!(last, 401, "devices behind the proxy are not throttled for each other's failures");
    // One device failing again and again is throttled, by its own address; its neighbour is not.
    let last = failed_sign_ins(&http, FREE_PER_ADDRESS + 1, "d", |_| "203.0.113.9".to_owned());
    assert_eq!(last, 429);
    // The proxy appends the real address after whatever the device claimed.
    let last = failed_sign_ins(&http, 1, "e", |_| "203.0.113.10, 203.0.113.9".to_owned());
    assert_eq!(last, 429, "a device cannot step out of its throttle by sending X-Forwarded-For itself");
    let last = failed_sign_ins(&http, 1, "n", |_| "203.0.113.10".to_owned());
    assert_eq!(last, 401);
}
