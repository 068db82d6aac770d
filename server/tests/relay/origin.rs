//! `/sync` and the API's state-changing requests accept only the relay's own origin (and those
//! named with `--allowed-origin`). SameSite=Strict does not stop a page on a sibling subdomain or
//! another port: that is the same *site*, so the browser sends the person's cookie along. The
//! relay runs in-process on 127.0.0.1 with real WebSockets.

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
};
use tandem_server::{AppState, Config, accounts, api::AuthConfig, sync::SyncConfig};
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};
use tower::ServiceExt;

const PASSWORD: &str = "long enough pw";
const SIBLING: &str = "http://evil.school.test";

struct Relay {
    app: Router,
    addr: std::net::SocketAddr,
    _dir: tempfile::TempDir,
}

async fn relay(auth: AuthConfig) -> Relay {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: dir.path().join("data"),
        database: None,
        web_dir: dir.path().join("web"),
        sync: SyncConfig::default(),
        auth,
        trusted_proxies: Default::default(),
        http: Default::default(),
    };
    let state = AppState::open(&config).unwrap();
    {
        let db = state.accounts.lock().unwrap();
        accounts::create_program(&db, Some("p"), "Program").unwrap();
        accounts::add_person(&db, Some("ann"), "ann@x.example", "Ann", Some(PASSWORD)).unwrap();
        accounts::set_membership(&db, "p", "ann", accounts::Role::Associate).unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(tandem_server::run(listener, state.clone(), std::future::pending()));
    Relay { app: tandem_server::app(state), addr, _dir: dir }
}

impl Relay {
    fn own_origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    async fn send(&self, request: Request<Body>) -> (StatusCode, Option<String>) {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let cookie = response.headers().get(header::SET_COOKIE).map(|v| v.to_str().unwrap().to_owned());
        (response.status(), cookie)
    }

    /// Signs Ann in (as a device would, with no Origin); her cookie.
    async fn cookie(&self) -> String {
        let body = format!(r#"{{"email":"ann@x.example","password":"{PASSWORD}"}}"#);
        let request = Request::post("/api/session")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::HOST, self.addr.to_string())
            .body(Body::from(body))
            .unwrap();
        let (status, cookie) = self.send(request).await;
        assert_eq!(status, StatusCode::OK);
        cookie.unwrap().split(';').next().unwrap().to_owned()
    }

    /// Opens `/sync` with Ann's cookie from a page on `origin` (`None`: not a browser); the HTTP
    /// status of the refusal, or 101 when the socket opened.
    async fn open_sync(&self, cookie: &str, origin: Option<&str>) -> u16 {
        let mut request = format!("ws://{}/sync", self.addr).into_client_request().unwrap();
        request.headers_mut().insert(header::COOKIE, cookie.parse().unwrap());
        if let Some(origin) = origin {
            request.headers_mut().insert(header::ORIGIN, origin.parse().unwrap());
        }
        match tokio_tungstenite::connect_async(request).await {
            Ok((_, response)) => response.status().as_u16(),
            Err(tungstenite::Error::Http(response)) => response.status().as_u16(),
            Err(other) => panic!("{other}"),
        }
    }

    async fn sign_out(&self, cookie: &str, origin: &str) -> StatusCode {
        let request = Request::delete("/api/session")
            .header(header::COOKIE, cookie)
            .header(header::HOST, self.addr.to_string())
            .header(header::ORIGIN, origin)
            .body(Body::empty())
            .unwrap();
        self.send(request).await.0
    }

    async fn me(&self, cookie: &str, origin: &str) -> StatusCode {
        let request = Request::get("/api/me")
            .header(header::COOKIE, cookie)
            .header(header::HOST, self.addr.to_string())
            .header(header::ORIGIN, origin)
            .body(Body::empty())
            .unwrap();
        self.send(request).await.0
    }
}

#[tokio::test]
async fn a_page_on_another_origin_of_the_same_site_cannot_open_sync_with_the_person_s_cookie() {
    let relay = relay(AuthConfig::default()).await;
    let cookie = relay.cookie().await;
    let other_port = format!("http://127.0.0.1:{}", relay.addr.port().wrapping_add(1).max(1));
    for origin in [SIBLING, other_port.as_str(), "null"] {
        assert_eq!(relay.open_sync(&cookie, Some(origin)).await, 403, "a page on {origin}");
    }
    assert_eq!(relay.open_sync(&cookie, Some(&relay.own_origin())).await, 101, "the relay's own page");
    assert_eq!(relay.open_sync(&cookie, None).await, 101, "a native client sends no Origin");
}

#[tokio::test]
async fn state_changing_api_requests_from_another_origin_are_refused() {
    let relay = relay(AuthConfig::default()).await;
    let cookie = relay.cookie().await;
    assert_eq!(relay.sign_out(&cookie, SIBLING).await, StatusCode::FORBIDDEN);
    // Reading is not refused (the browser keeps another origin from reading the answer), and the
    // refused sign-out left the session alone.
    assert_eq!(relay.me(&cookie, SIBLING).await, StatusCode::OK);
    assert_eq!(relay.sign_out(&cookie, &relay.own_origin()).await, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn an_origin_named_with_allowed_origin_may_open_sync() {
    let allowed = "https://tandem.school.test";
    let relay = relay(AuthConfig { allowed_origins: vec![allowed.into()], ..AuthConfig::default() }).await;
    let cookie = relay.cookie().await;
    assert_eq!(relay.open_sync(&cookie, Some(allowed)).await, 101);
    assert_eq!(relay.open_sync(&cookie, Some(SIBLING)).await, 403);
}
