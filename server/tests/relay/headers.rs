//! Security headers on every response, answers of the API kept out of caches, and `/metrics`
//! only for the machine itself or whoever has the metrics token. The relay runs in-process on
//! 127.0.0.1; requests are plain HTTP/1.1 over TCP, so the relay sees their real source.

use std::time::Duration;

use tandem_server::{AppState, Config, api::AuthConfig, client_addr::TrustedProxies, sync::SyncConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Relay {
    addr: std::net::SocketAddr,
    _dir: tempfile::TempDir,
}

async fn start_relay(auth: AuthConfig, trusted_proxies: TrustedProxies) -> Relay {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("web")).unwrap();
    std::fs::write(dir.path().join("web/index.html"), "<!doctype html><title>t</title>").unwrap();
    let config = Config {
        data_dir: dir.path().join("data"),
        database: None,
        web_dir: dir.path().join("web"),
        sync: SyncConfig::default(),
        auth,
        trusted_proxies,
        http: Default::default(),
    };
    let state = AppState::open(&config).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(tandem_server::run(listener, state, std::future::pending()));
    Relay { addr, _dir: dir }
}

impl Relay {
    /// `GET path` with `extra` header lines; the status and the headers, lowercased.
    async fn get(&self, path: &str, extra: &str) -> (u16, String) {
        let mut stream = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: {}\r\n{extra}Connection: close\r\n\r\n", self.addr);
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
            .await
            .unwrap()
            .unwrap();
        let answer = String::from_utf8_lossy(&answer).to_string();
        let (head, _) = answer.split_once("\r\n\r\n").unwrap();
        let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
        (status, head.to_ascii_lowercase())
    }
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let relay = start_relay(AuthConfig::default(), Default::default()).await;
    for path in ["/", "/healthz", "/api/me", "/api/nothing", "/sync", "/index.html"] {
        let (_, head) = relay.get(path, "").await;
        assert!(head.contains("x-content-type-options: nosniff"), "{path}: {head}");
        assert!(head.contains("frame-ancestors 'none'"), "{path}: {head}");
        assert!(head.contains("x-frame-options: deny"), "{path}: {head}");
        assert!(head.contains("referrer-policy: no-referrer"), "{path}: {head}");
        assert!(!head.contains("strict-transport-security"), "{path}: no HSTS over plain http: {head}");
    }
}

#[tokio::test]
async fn the_content_security_policy_lets_scripts_come_only_from_the_relay_never_inline() {
    let relay = start_relay(AuthConfig::default(), Default::default()).await;
    let (_, head) = relay.get("/", "").await;
    let policy = head
        .lines()
        .find_map(|line| line.strip_prefix("content-security-policy: "))
        .unwrap_or_else(|| panic!("no policy: {head}"));
    let script_src = policy.split(';').map(str::trim).find_map(|d| d.strip_prefix("script-src "));
    assert_eq!(script_src, Some("'self' 'wasm-unsafe-eval'"), "{policy}");
    assert!(!policy.contains("unsafe-inline") && !policy.contains("default-src"), "{policy}");
}

#[tokio::test]
async fn api_answers_are_not_kept_by_caches() {
    let relay = start_relay(AuthConfig::default(), Default::default()).await;
    for path in ["/api/me", "/api/documents", "/api/nothing"] {
        let (_, head) = relay.get(path, "").await;
        assert!(head.contains("cache-control: no-store"), "{path}: {head}");
    }
}

#[tokio::test]
async fn hsts_is_sent_with_secure_cookies_behind_a_proxy() {
    let auth = AuthConfig { secure_cookies: true, ..AuthConfig::default() };
    let relay = start_relay(auth, Default::default()).await;
    let (_, head) = relay.get("/healthz", "").await;
    assert!(head.contains("strict-transport-security: max-age="), "{head}");
}

#[tokio::test]
async fn metrics_answer_only_the_relay_s_own_machine_or_the_metrics_token() {
    // Behind a proxy on this machine, a device elsewhere is named by X-Forwarded-For.
    let proxy = TrustedProxies(vec!["127.0.0.1".parse().unwrap()]);
    let relay = start_relay(AuthConfig::default(), proxy.clone()).await;
    assert_eq!(relay.get("/metrics", "").await.0, 200, "Prometheus on the relay's machine");
    assert_eq!(relay.get("/metrics", "X-Forwarded-For: 203.0.113.9\r\n").await.0, 403, "a device elsewhere");

    let auth = AuthConfig { metrics_token: Some("m3trics-s3cret".into()), ..AuthConfig::default() };
    let guarded = start_relay(auth, proxy).await;
    let elsewhere = "X-Forwarded-For: 203.0.113.9\r\n";
    assert_eq!(guarded.get("/metrics", elsewhere).await.0, 401, "no token");
    let wrong = format!("{elsewhere}Authorization: Bearer wrong\r\n");
    assert_eq!(guarded.get("/metrics", &wrong).await.0, 401, "a wrong token");
    let right = format!("{elsewhere}Authorization: Bearer m3trics-s3cret\r\n");
    assert_eq!(guarded.get("/metrics", &right).await.0, 200, "the token");
    assert_eq!(guarded.get("/metrics", "").await.0, 401, "with a token set, it is needed from anywhere");
}
