//! A live `/sync` socket belongs to the session or token it was opened with and closes when that
//! ends: signing out, a password change, removal from the program, expiry, an idle session, a
//! token revoked beside the relay. The relay runs in-process on 127.0.0.1 with real WebSockets; HTTP requests go to the
//! same state through the router. Every wait is for a condition, bounded.

use std::{
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
    time::Duration,
};

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
};
use futures_util::{SinkExt, StreamExt};
use tandem_server::{AppState, Config, accounts, api::AuthConfig, clock::Clock, sync::SyncConfig};
use tandem_sync::codec;
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{Message, client::IntoClientRequest, protocol::frame::coding::CloseCode},
};
use tower::ServiceExt;

const PASSWORD: &str = "long enough pw";
/// Longer than any close here should take, far shorter than the default keep-alive (30 s), so a
/// close that comes in time came from the announcement, not from a periodic check.
const BOUND: Duration = Duration::from_secs(5);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

struct Relay {
    app: Router,
    state: AppState,
    addr: std::net::SocketAddr,
    now: Arc<AtomicI64>,
    _dir: tempfile::TempDir,
}

/// A relay on its own clock with a program `p`, its coordinator Cora, and Ann and Bob in a pair;
/// sessions last a minute.
async fn relay(keepalive: Duration) -> Relay {
    relay_with(keepalive, AuthConfig { session_lifetime: Duration::from_secs(60), ..AuthConfig::default() })
        .await
}

async fn relay_with(keepalive: Duration, auth: AuthConfig) -> Relay {
    let dir = tempfile::tempdir().unwrap();
    let now = Arc::new(AtomicI64::new(1_000_000));
    let read = now.clone();
    let config = Config {
        data_dir: dir.path().join("data"),
        database: None,
        web_dir: dir.path().join("web"),
        sync: SyncConfig { keepalive, ..SyncConfig::default() },
        auth,
        trusted_proxies: Default::default(),
        http: Default::default(),
    };
    let state =
        AppState::open_with_clock(&config, Clock::from_fn(move || read.load(Ordering::SeqCst))).unwrap();
    {
        let db = state.accounts.lock().unwrap();
        accounts::create_program(&db, Some("p"), "Program").unwrap();
        for (id, role) in [
            ("cora", accounts::Role::Coordinator),
            ("ann", accounts::Role::Associate),
            ("bob", accounts::Role::Mentor),
        ] {
            accounts::add_person(&db, Some(id), &format!("{id}@x.example"), id, Some(PASSWORD)).unwrap();
            accounts::set_membership(&db, "p", id, role).unwrap();
        }
        accounts::add_pair(&db, "p", Some("pair"), "bob", "ann", None).unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(tandem_server::run(listener, state.clone(), std::future::pending()));
    Relay { app: tandem_server::app(state.clone()), state, addr, now, _dir: dir }
}

impl Relay {
    async fn send(&self, request: Request<Body>) -> (StatusCode, Option<String>) {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let cookie = response.headers().get(header::SET_COOKIE).map(|v| v.to_str().unwrap().to_owned());
        (response.status(), cookie)
    }

    /// Signs `who` in; the `Cookie` header value of their new session.
    async fn sign_in(&self, who: &str) -> String {
        let body = format!(r#"{{"email":"{who}@x.example","password":"{PASSWORD}"}}"#);
        let request = Request::post("/api/session")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap();
        let (status, cookie) = self.send(request).await;
        assert_eq!(status, StatusCode::OK);
        cookie.unwrap().split(';').next().unwrap().to_owned()
    }

    fn token(&self, who: &str) -> String {
        let db = self.state.accounts.lock().unwrap();
        accounts::create_token(&db, who, None, self.now.load(Ordering::SeqCst), 3_600_000).unwrap()
    }

    /// `request` with a cookie (`tandem_session=...`) or a bearer token.
    fn with_secret(request: axum::http::request::Builder, secret: &str) -> axum::http::request::Builder {
        if secret.starts_with("tandem_session=") {
            request.header(header::COOKIE, secret)
        } else {
            request.header(header::AUTHORIZATION, format!("Bearer {secret}"))
        }
    }

    async fn status_of_me(&self, secret: &str) -> StatusCode {
        self.send(Self::with_secret(Request::get("/api/me"), secret).body(Body::empty()).unwrap()).await.0
    }

    async fn sign_out(&self, secret: &str) -> StatusCode {
        self.send(Self::with_secret(Request::delete("/api/session"), secret).body(Body::empty()).unwrap())
            .await
            .0
    }

    /// A `/sync` socket opened with a cookie or a token, past the protocol's `join`.
    async fn socket(&self, secret: &str) -> Socket {
        let mut request = format!("ws://{}/sync", self.addr).into_client_request().unwrap();
        if secret.starts_with("tandem_session=") {
            request.headers_mut().insert("Cookie", secret.parse().unwrap());
        } else {
            request.headers_mut().insert("Authorization", format!("Bearer {secret}").parse().unwrap());
        }
        let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        join(&mut socket).await;
        socket
    }

    async fn upgrade_status(&self, cookie: &str) -> u16 {
        let mut request = format!("ws://{}/sync", self.addr).into_client_request().unwrap();
        request.headers_mut().insert("Cookie", cookie.parse().unwrap());
        match tokio_tungstenite::connect_async(request).await {
            Ok(_) => 101,
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
            Err(other) => panic!("unexpected failure: {other}"),
        }
    }
}

/// Sends a `join` and waits for the relay's `peer`: the socket is open and served.
async fn join(socket: &mut Socket) {
    let join = codec::Message::Join {
        sender_id: "device".to_owned().into(),
        peer_metadata: None,
        supported_protocol_versions: vec![codec::PROTOCOL_VERSION.to_owned()],
    };
    socket.send(Message::Binary(codec::encode(&join).into())).await.unwrap();
    match tokio::time::timeout(BOUND, socket.next()).await.expect("the relay answers a join") {
        Some(Ok(Message::Binary(bytes))) => {
            let answer = codec::decode(&bytes).unwrap();
            assert!(matches!(answer, codec::Message::Peer { .. }), "{answer:?}");
        }
        other => panic!("expected the relay's peer message, got {other:?}"),
    }
}

/// Pings and waits for the pong: the relay still serves this socket (and has not closed it).
async fn assert_alive(socket: &mut Socket) {
    socket.send(Message::Ping(b"still there?".to_vec().into())).await.unwrap();
    loop {
        match tokio::time::timeout(BOUND, socket.next()).await.expect("the relay answers a ping") {
            Some(Ok(Message::Pong(payload))) if payload.as_ref() == b"still there?" => return,
            Some(Ok(Message::Ping(_))) => continue,
            other => panic!("expected the relay's pong, got {other:?}"),
        }
    }
}

/// Waits (bounded) for the relay to close the socket; the close frame's reason. Nothing comes
/// after it: the stream ends, so no change anyone writes later can reach this socket.
async fn closed_by_relay(socket: &mut Socket) -> String {
    let reason = loop {
        match tokio::time::timeout(BOUND, socket.next()).await.expect("the relay closes the socket in time") {
            Some(Ok(Message::Close(Some(frame)))) => {
                assert_eq!(frame.code, CloseCode::Policy, "{frame:?}");
                break frame.reason.to_string();
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    let after = tokio::time::timeout(BOUND, socket.next()).await.expect("the stream ends after the close");
    assert!(matches!(after, None | Some(Err(_))), "nothing after the close: {after:?}");
    reason
}

#[tokio::test]
async fn signing_out_closes_the_sockets_of_that_session_at_once_and_no_other() {
    let relay = relay(Duration::from_secs(30)).await;
    let signed_out = relay.sign_in("ann").await;
    let other_device = relay.sign_in("ann").await;
    let mut socket = relay.socket(&signed_out).await;
    let mut other = relay.socket(&other_device).await;

    assert_eq!(relay.sign_out(&signed_out).await, StatusCode::NO_CONTENT);
    assert_eq!(closed_by_relay(&mut socket).await, "signed out");
    assert_eq!(relay.upgrade_status(&signed_out).await, 401, "and cannot reopen");
    assert_alive(&mut other).await;
}

#[tokio::test]
async fn a_password_change_closes_the_persons_other_sessions_but_not_this_one_or_their_tokens() {
    let relay = relay(Duration::from_secs(30)).await;
    let changing = relay.sign_in("ann").await;
    let elsewhere = relay.sign_in("ann").await;
    let token = relay.token("ann");
    let mut this = relay.socket(&changing).await;
    let mut other = relay.socket(&elsewhere).await;
    let mut device = relay.socket(&token).await;

    let body = format!(r#"{{"current":"{PASSWORD}","new":"another long password"}}"#);
    let request = Relay::with_secret(Request::put("/api/me/password"), &changing)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap();
    assert_eq!(relay.send(request).await.0, StatusCode::NO_CONTENT);
    assert_eq!(closed_by_relay(&mut other).await, "the password changed; sign in again");
    assert_alive(&mut this).await;
    assert_alive(&mut device).await;
}

#[tokio::test]
async fn removal_from_the_program_closes_the_persons_sockets() {
    let relay = relay(Duration::from_secs(30)).await;
    let coordinator = relay.sign_in("cora").await;
    let removed = relay.sign_in("bob").await;
    let mut socket = relay.socket(&removed).await;
    let mut unaffected = relay.socket(&relay.sign_in("ann").await).await;

    let request = Relay::with_secret(Request::delete("/api/programs/p/people/bob"), &coordinator)
        .body(Body::empty())
        .unwrap();
    assert_eq!(relay.send(request).await.0, StatusCode::NO_CONTENT);
    assert_eq!(closed_by_relay(&mut socket).await, "your access changed; reconnect");
    assert_alive(&mut unaffected).await;
}

#[tokio::test]
async fn signing_out_with_an_access_token_revokes_it_and_closes_its_sockets() {
    let relay = relay(Duration::from_secs(30)).await;
    let token = relay.token("ann");
    let mut socket = relay.socket(&token).await;
    assert_eq!(relay.status_of_me(&token).await, StatusCode::OK);

    assert_eq!(relay.sign_out(&token).await, StatusCode::NO_CONTENT);
    assert_eq!(closed_by_relay(&mut socket).await, "the access token was revoked");
    assert_eq!(relay.status_of_me(&token).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_socket_closes_when_its_session_expires_by_the_relays_clock() {
    // A short keep-alive: expiry is found on the periodic check, as nothing announces it.
    let relay = relay(Duration::from_millis(100)).await;
    let cookie = relay.sign_in("ann").await;
    let mut socket = relay.socket(&cookie).await;
    relay.now.fetch_add(61_000, Ordering::SeqCst);
    assert_eq!(closed_by_relay(&mut socket).await, "the session expired; sign in again");
}

#[tokio::test]
async fn an_idle_session_ends_and_its_live_socket_closes() {
    const MINUTE: i64 = 60_000;
    let auth = AuthConfig { session_idle: Duration::from_secs(3600), ..AuthConfig::default() };
    let relay = relay_with(Duration::from_millis(100), auth).await;
    let cookie = relay.sign_in("ann").await;
    let mut socket = relay.socket(&cookie).await;
    relay.now.fetch_add(59 * MINUTE, Ordering::SeqCst);
    assert_eq!(relay.status_of_me(&cookie).await, StatusCode::OK, "used before the hour was up");
    relay.now.fetch_add(59 * MINUTE, Ordering::SeqCst);
    // Through the keep-alive checks of the next few ticks, still open: the request above was use.
    let checks = std::time::Instant::now();
    while checks.elapsed() < Duration::from_millis(400) {
        assert_alive(&mut socket).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    relay.now.fetch_add(2 * MINUTE, Ordering::SeqCst);
    assert_eq!(closed_by_relay(&mut socket).await, "the session was unused for too long; sign in again");
    assert_eq!(relay.status_of_me(&cookie).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_token_revoked_beside_the_relay_closes_its_sockets_at_the_next_check() {
    let relay = relay(Duration::from_millis(100)).await;
    let token = relay.token("ann");
    let mut socket = relay.socket(&token).await;
    // As `tandem admin revoke-token` does from its own process: only the database knows.
    let id = {
        let db = relay.state.accounts.lock().unwrap();
        accounts::tokens_of(&db, "ann").unwrap().remove(0).id
    };
    let separate = relay.state.storage.connect().unwrap();
    accounts::revoke_token(&separate, &id).unwrap();
    assert_eq!(closed_by_relay(&mut socket).await, "the session ended; sign in again");
}

/// `GET /api/me/tokens` as `secret`: the status and the listed ids.
async fn listed_token_ids(relay: &Relay, secret: &str) -> (StatusCode, Vec<String>) {
    let request = Relay::with_secret(Request::get("/api/me/tokens"), secret).body(Body::empty()).unwrap();
    let response = relay.app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
    if status != StatusCode::OK {
        return (status, Vec::new());
    }
    let tokens: Vec<tandem_api::TokenEntry> = serde_json::from_slice(&body).unwrap();
    (status, tokens.into_iter().map(|t| t.id).collect())
}

async fn revoke_over_the_api(relay: &Relay, secret: &str, id: &str) -> StatusCode {
    let request = Relay::with_secret(Request::delete(format!("/api/me/tokens/{id}")), secret)
        .body(Body::empty())
        .unwrap();
    relay.send(request).await.0
}

#[tokio::test]
async fn a_person_lists_their_own_tokens_and_revoking_one_closes_its_sockets_at_once() {
    let relay = relay(Duration::from_secs(30)).await;
    let cookie = relay.sign_in("ann").await;
    let (revoked, kept) = (relay.token("ann"), relay.token("ann"));
    relay.token("bob");
    let (status, ids) = listed_token_ids(&relay, &cookie).await;
    assert_eq!((status, ids.len()), (StatusCode::OK, 2), "Ann's two tokens, not Bob's: {ids:?}");
    assert!(
        ids.iter().all(|id| !revoked.contains(id.as_str()) && !kept.contains(id.as_str())),
        "no secret listed"
    );
    let mut socket = relay.socket(&revoked).await;
    let mut other = relay.socket(&kept).await;

    // A listed id is the start of the token's hash.
    let id = ids.iter().find(|id| accounts::secret_hash(&revoked).starts_with(id.as_str())).unwrap();
    assert_eq!(revoke_over_the_api(&relay, &cookie, id).await, StatusCode::NO_CONTENT);
    assert_eq!(closed_by_relay(&mut socket).await, "the access token was revoked");
    assert_eq!(relay.status_of_me(&revoked).await, StatusCode::UNAUTHORIZED);
    assert_alive(&mut other).await;
    assert_eq!(listed_token_ids(&relay, &cookie).await.1.len(), 1);
    assert_eq!(listed_token_ids(&relay, "tandem_session=nobody").await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn another_persons_token_cannot_be_revoked_over_the_api_and_is_answered_as_missing() {
    let relay = relay(Duration::from_secs(30)).await;
    let ann = relay.sign_in("ann").await;
    let bobs = relay.token("bob");
    let mut socket = relay.socket(&bobs).await;
    let bobs_id = listed_token_ids(&relay, &bobs).await.1.remove(0);

    assert_eq!(revoke_over_the_api(&relay, &ann, &bobs_id).await, StatusCode::NOT_FOUND);
    assert_eq!(revoke_over_the_api(&relay, &ann, "0123456789ab").await, StatusCode::NOT_FOUND);
    assert_eq!(relay.status_of_me(&bobs).await, StatusCode::OK, "Bob's token still works");
    assert_alive(&mut socket).await;
}

#[tokio::test]
async fn one_person_cannot_open_thousands_of_sockets_the_one_past_the_cap_gets_429() {
    let relay = relay(Duration::from_secs(30)).await;
    let cookie = relay.sign_in("ann").await;
    let cap = tandem_server::sync::DEFAULT_MAX_SOCKETS_PER_PERSON;
    let mut open = Vec::new();
    for _ in 0..cap {
        open.push(relay.socket(&cookie).await);
    }
    let mut request = format!("ws://{}/sync", relay.addr).into_client_request().unwrap();
    request.headers_mut().insert("Cookie", cookie.parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), 429);
            assert!(response.headers().get("retry-after").is_some(), "it says when to try again");
        }
        other => panic!("expected 429 past the cap, got {:?}", other.map(|_| "an open socket")),
    }
    let bob = relay.sign_in("bob").await;
    assert_alive(&mut relay.socket(&bob).await).await;
    // Closing one of Ann's frees its place, once the relay has seen it close.
    let mut closing = open.pop().unwrap();
    closing.close(None).await.unwrap();
    let freed = tokio::time::timeout(BOUND, async {
        while relay.upgrade_status(&cookie).await != 101 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    freed.await.expect("a closed socket frees its place");
}
