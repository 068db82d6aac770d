//! The relay's HTTP surface driven in-process (`oneshot`) on a clock the test moves: sessions
//! and sign-in throttling read the one clock in `AppState`, so no test has to sleep.

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
use http_body_util::BodyExt;
use tandem_api::{ErrorBody, Me};
use tandem_server::{AppState, Config, accounts, api::AuthConfig, clock::Clock, sync::SyncConfig};
use tower::ServiceExt;

const PASSWORD: &str = "long enough pw";

/// A relay on a fresh database with one person, Ann, and the handle that sets its clock.
fn relay(dir: &tempfile::TempDir) -> (Router, Arc<AtomicI64>) {
    let now = Arc::new(AtomicI64::new(1_000_000));
    let read = now.clone();
    let config = Config {
        data_dir: dir.path().join("data"),
        database: None,
        web_dir: dir.path().join("web"),
        sync: SyncConfig::default(),
        auth: AuthConfig { session_lifetime: Duration::from_secs(60), ..AuthConfig::default() },
        trusted_proxies: Default::default(),
        http: Default::default(),
    };
    let state =
        AppState::open_with_clock(&config, Clock::from_fn(move || read.load(Ordering::SeqCst))).unwrap();
    accounts::add_person(
        &state.accounts.lock().unwrap(),
        Some("u-ann"),
        "ann@x.example",
        "Ann",
        Some(PASSWORD),
    )
    .unwrap();
    (tandem_server::app(state), now)
}

async fn send(app: &Router, request: Request<Body>) -> (StatusCode, Option<String>, Vec<u8>) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let cookie = response.headers().get(header::SET_COOKIE).map(|v| v.to_str().unwrap().to_owned());
    (status, cookie, response.into_body().collect().await.unwrap().to_bytes().to_vec())
}

async fn sign_in(app: &Router, password: &str) -> (StatusCode, Option<String>, Vec<u8>) {
    let body = format!(r#"{{"email":"ann@x.example","password":"{password}"}}"#);
    let request = Request::post("/api/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap();
    send(app, request).await
}

async fn me(app: &Router, cookie: &str) -> (StatusCode, Vec<u8>) {
    let request = Request::get("/api/me").header(header::COOKIE, cookie).body(Body::empty()).unwrap();
    let (status, _, body) = send(app, request).await;
    (status, body)
}

#[tokio::test]
async fn a_session_ends_when_the_relays_clock_passes_its_lifetime() {
    let dir = tempfile::tempdir().unwrap();
    let (app, now) = relay(&dir);
    let (status, set_cookie, _) = sign_in(&app, PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    let cookie = set_cookie.unwrap().split(';').next().unwrap().to_owned();

    let (status, body) = me(&app, &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(serde_json::from_slice::<Me>(&body).unwrap().person.id, "u-ann");

    now.fetch_add(59_999, Ordering::SeqCst);
    assert_eq!(me(&app, &cookie).await.0, StatusCode::OK, "a millisecond before the end");
    now.fetch_add(1, Ordering::SeqCst);
    let (status, body) = me(&app, &cookie).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "at the end of its lifetime");
    assert!(serde_json::from_slice::<ErrorBody>(&body).unwrap().error.contains("sign in first"));
}

#[tokio::test]
async fn failed_sign_ins_delay_the_account_from_that_address_until_the_relays_clock_passes_the_delay() {
    let dir = tempfile::tempdir().unwrap();
    let (app, now) = relay(&dir);
    // The default throttle: five free attempts per account and address, then a first delay of two
    // seconds.
    for _ in 0..5 {
        assert_eq!(sign_in(&app, "not the password").await.0, StatusCode::UNAUTHORIZED);
    }
    let (status, _, body) = sign_in(&app, PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "delayed, even with the right password");
    assert!(serde_json::from_slice::<ErrorBody>(&body).unwrap().error.contains("too many failed sign-ins"));

    now.fetch_add(1_999, Ordering::SeqCst);
    assert_eq!(sign_in(&app, PASSWORD).await.0, StatusCode::TOO_MANY_REQUESTS);
    now.fetch_add(1, Ordering::SeqCst);
    assert_eq!(sign_in(&app, PASSWORD).await.0, StatusCode::OK, "the delay is over");
}
