//! Connections that never finish a request, and more connections than the relay holds: the
//! header timeout closes the first (slowloris, idle sockets, idle keep-alive), the overall cap
//! answers the second 503 at once and serves again once a connection closes. The relay runs
//! in-process on 127.0.0.1; the clients are raw TCP sockets, so nothing is hidden by a client
//! library's own timeouts.

use std::time::{Duration, Instant};

use tandem_server::{AppState, Config, accounts, api::AuthConfig, connections::HttpLimits, sync::SyncConfig};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

struct Relay {
    addr: std::net::SocketAddr,
    state: AppState,
    _dir: tempfile::TempDir,
}

async fn start_relay(http: HttpLimits) -> Relay {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("web")).unwrap();
    std::fs::write(dir.path().join("web/index.html"), "<!doctype html><title>t</title>").unwrap();
    let config = Config {
        data_dir: dir.path().join("data"),
        database: None,
        web_dir: dir.path().join("web"),
        sync: SyncConfig::default(),
        auth: AuthConfig::default(),
        trusted_proxies: Default::default(),
        http,
    };
    let state = AppState::open(&config).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(tandem_server::run(listener, state.clone(), std::future::pending()));
    Relay { addr, state, _dir: dir }
}

fn limits(max_connections: usize, header_timeout: Duration) -> HttpLimits {
    HttpLimits { max_connections, header_timeout }
}

/// How long until the relay closes `stream` (reads until end of stream or a reset), at most
/// `bound`; `None` if it is still open then. Whatever the relay sent meanwhile is returned too.
async fn closed_within(stream: &mut TcpStream, bound: Duration) -> (Option<Duration>, String) {
    let start = Instant::now();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = bound.saturating_sub(start.elapsed());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return (None, String::from_utf8_lossy(&received).into_owned()),
            Ok(Ok(0) | Err(_)) => {
                return (Some(start.elapsed()), String::from_utf8_lossy(&received).into_owned());
            }
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
        }
    }
}

/// An ordinary request on a new connection: its status line's code, and the whole answer.
async fn get_healthz(addr: std::net::SocketAddr) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n").await.unwrap();
    let (closed, answer) = closed_within(&mut stream, Duration::from_secs(10)).await;
    assert!(closed.is_some(), "the relay neither answered nor closed: {answer:?}");
    let status = answer.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    (status, answer)
}

#[tokio::test]
async fn a_slowloris_connection_trickling_half_a_header_is_closed_after_the_header_timeout() {
    let relay = start_relay(limits(100, Duration::from_secs(1))).await;
    let stream = TcpStream::connect(relay.addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    writer.write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\n").await.unwrap();
    // One more header byte every 100 ms, never the blank line that ends the head.
    let trickle = tokio::spawn(async move {
        for byte in b"X-Slow: ".iter().cycle() {
            if writer.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let start = Instant::now();
    let mut buf = [0u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(8), reader.read(&mut buf)).await;
    trickle.abort();
    let elapsed = start.elapsed();
    assert!(
        matches!(read, Ok(Ok(0) | Err(_))),
        "still open after {elapsed:?} of trickled headers with a 1 s header timeout: {read:?}"
    );
    assert!(elapsed >= Duration::from_millis(900), "closed before the timeout, after {elapsed:?}");
}

#[tokio::test]
async fn an_idle_connection_that_never_sends_a_request_is_closed_after_the_header_timeout() {
    let relay = start_relay(limits(100, Duration::from_secs(1))).await;
    let mut stream = TcpStream::connect(relay.addr).await.unwrap();
    let (closed, sent) = closed_within(&mut stream, Duration::from_secs(8)).await;
    let closed = closed.expect("an idle connection was still open after 8 s with a 1 s header timeout");
    assert!(closed >= Duration::from_millis(900), "closed before the timeout, after {closed:?}");
    assert_eq!(sent, "", "nothing is answered to a connection that asked nothing");
}

#[tokio::test]
async fn a_kept_alive_connection_idle_after_its_answer_is_closed_after_the_header_timeout() {
    let relay = start_relay(limits(100, Duration::from_secs(1))).await;
    let mut stream = TcpStream::connect(relay.addr).await.unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer.ends_with(b"ok\n") {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await.unwrap().unwrap();
        assert_ne!(n, 0, "closed before answering: {:?}", String::from_utf8_lossy(&answer));
        answer.extend_from_slice(&buf[..n]);
    }
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{:?}", String::from_utf8_lossy(&answer));
    let (closed, more) = closed_within(&mut stream, Duration::from_secs(8)).await;
    let closed = closed.expect("a kept-alive connection was still open 8 s after its answer");
    assert!(closed >= Duration::from_millis(900), "closed before the timeout, after {closed:?}");
    assert_eq!(more, "");
}

#[tokio::test]
async fn connections_past_the_overall_cap_get_503_at_once_and_requests_are_served_once_one_closes() {
    let relay = start_relay(limits(3, Duration::from_secs(60))).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(relay.addr).await.unwrap());
    }
    // The relay admits connections in the order it accepts them, so these three came first.
    let start = Instant::now();
    let (status, answer) = get_healthz(relay.addr).await;
    assert_eq!(status, 503, "{answer}");
    assert!(answer.contains("\r\nRetry-After: 5\r\n"), "{answer}");
    assert!(answer.contains("too many connections"), "{answer}");
    assert!(start.elapsed() < Duration::from_secs(2), "the refusal took {:?}", start.elapsed());
    // A connection that asks nothing gets the same answer, and the socket closed behind it.
    let mut extra = TcpStream::connect(relay.addr).await.unwrap();
    let (closed, answer) = closed_within(&mut extra, Duration::from_secs(5)).await;
    assert!(closed.is_some() && answer.starts_with("HTTP/1.1 503"), "{closed:?} {answer}");

    drop(held.pop());
    // The relay notices the close when it reads the end of the stream: soon, not at once.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (status, answer) = get_healthz(relay.addr).await;
        if status == 200 {
            break;
        }
        assert_eq!(status, 503, "{answer}");
        assert!(Instant::now() < deadline, "still refused 5 s after a held connection closed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn an_open_sync_socket_counts_towards_the_connection_cap_until_it_closes() {
    let relay = start_relay(limits(2, Duration::from_secs(60))).await;
    let token = {
        let db = relay.state.accounts.lock().unwrap();
        accounts::create_program(&db, Some("p"), "Program").unwrap();
        accounts::add_person(&db, Some("ann"), "ann@x.example", "Ann", Some("long enough pw")).unwrap();
        accounts::set_membership(&db, "p", "ann", accounts::Role::Associate).unwrap();
        accounts::create_token(&db, "ann", None, relay.state.now_ms(), 3_600_000).unwrap()
    };
    let mut request = format!("ws://{}/sync", relay.addr).into_client_request().unwrap();
    request.headers_mut().insert("Authorization", format!("Bearer {token}").parse().unwrap());
    let (socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    // The upgraded socket holds one place and this connection the other, so a request is
    // refused: were the socket's place given back at its upgrade, it would be served.
    let _held = TcpStream::connect(relay.addr).await.unwrap();
    let (status, answer) = get_healthz(relay.addr).await;
    assert_eq!(status, 503, "{answer}");
    drop(socket);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (status, answer) = get_healthz(relay.addr).await;
        if status == 200 {
            break;
        }
        assert_eq!(status, 503, "{answer}");
        assert!(Instant::now() < deadline, "the closed socket's place was never given back");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
