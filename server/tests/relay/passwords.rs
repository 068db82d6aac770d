//! Every password check the relay makes (signing in, a password change's current password, an
//! invitation for an existing account) is throttled: attempts counted before they are checked,
//! per account and address, kept in the database; and argon2 runs outside the accounts lock.
//! Driven in-process (`oneshot`) on a clock the test moves, each request from an address the test
//! names.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    Router,
    body::Body,
    extract::ConnectInfo,
    http::{Request, StatusCode, header},
};
use http_body_util::BodyExt;
use tandem_server::{AppState, Config, accounts, api::AuthConfig, clock::Clock, sync::SyncConfig};
use tower::ServiceExt;

const PASSWORD: &str = "long enough pw";
const GUESSER: &str = "203.0.113.66";
const OWNER: &str = "198.51.100.7";

struct Relay {
    app: Router,
    state: AppState,
    now: Arc<AtomicI64>,
}

/// Where a relay keeps its database: SQLite in a directory, or a PostgreSQL schema of its own.
struct Place {
    dir: tempfile::TempDir,
    database: Option<tandem_testdb::TestDatabase>,
}

impl Place {
    fn sqlite() -> Self {
        Self { dir: tempfile::tempdir().unwrap(), database: None }
    }

    /// `None` when there is no PostgreSQL to be had (and `CI` is not `true`: the test is skipped).
    fn postgres() -> Option<Self> {
        let database = tandem_testdb::TestDatabase::create()?;
        Some(Self { dir: tempfile::tempdir().unwrap(), database: Some(database) })
    }
}

fn config(place: &Place) -> Config {
    Config {
        data_dir: place.dir.path().join("data"),
        database: place.database.as_ref().map(|database| database.url().to_owned()),
        web_dir: place.dir.path().join("web"),
        sync: SyncConfig::default(),
        auth: AuthConfig::default(),
        trusted_proxies: Default::default(),
        http: Default::default(),
    }
}

/// A relay on `place`'s database (Ann in the program `p` is created on the first open).
fn relay(place: &Place) -> Relay {
    let now = Arc::new(AtomicI64::new(1_000_000));
    let read = now.clone();
    let state =
        AppState::open_with_clock(&config(place), Clock::from_fn(move || read.load(Ordering::SeqCst)))
            .unwrap();
    // On a thread of its own: PostgreSQL's blocking client may not block the test's runtime.
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let db = state.accounts.lock().unwrap();
            if accounts::find_person_by_email(&db, "ann@x.example").unwrap().is_none() {
                accounts::create_program(&db, Some("p"), "P").unwrap();
                accounts::add_person(&db, Some("u-ann"), "ann@x.example", "Ann", Some(PASSWORD)).unwrap();
                accounts::add_person(&db, Some("u-cora"), "cora@x.example", "Cora", Some(PASSWORD)).unwrap();
                accounts::set_membership(&db, "p", "u-cora", accounts::Role::Coordinator).unwrap();
            }
        });
    });
    Relay { app: tandem_server::app(state.clone()), state, now }
}

struct Answer {
    status: StatusCode,
    retry_after: Option<u64>,
    cookie: Option<String>,
}

impl Relay {
    async fn send(&self, from: &str, mut request: Request<Body>) -> Answer {
        let peer: SocketAddr = format!("{from}:40000").parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        let response = self.app.clone().oneshot(request).await.unwrap();
        let answer = {
            let header = |name| {
                response.headers().get(name).map(|v: &header::HeaderValue| v.to_str().unwrap().to_owned())
            };
            Answer {
                status: response.status(),
                retry_after: header(header::RETRY_AFTER).map(|v| v.parse().unwrap()),
                cookie: header(header::SET_COOKIE).map(|c| c.split(';').next().unwrap().to_owned()),
            }
        };
        response.into_body().collect().await.unwrap();
        answer
    }

    async fn sign_in(&self, from: &str, email: &str, password: &str) -> Answer {
        let body = format!(r#"{{"email":"{email}","password":"{password}"}}"#);
        self.send(from, json("POST", "/api/session", None, body)).await
    }

    async fn me(&self, cookie: &str) -> StatusCode {
        let request = Request::get("/api/me").header(header::COOKIE, cookie).body(Body::empty()).unwrap();
        self.send(OWNER, request).await.status
    }

    async fn change_password(&self, from: &str, cookie: &str, current: &str, new: &str) -> Answer {
        let body = format!(r#"{{"current":"{current}","new":"{new}"}}"#);
        self.send(from, json("PUT", "/api/me/password", Some(cookie), body)).await
    }
}

fn json(method: &str, uri: &str, cookie: Option<&str>, body: String) -> Request<Body> {
    let mut request =
        Request::builder().method(method).uri(uri).header(header::CONTENT_TYPE, "application/json");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::from(body)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_parallel_wrong_guesses_are_not_all_checked() {
    forty_parallel_wrong_guesses_are_not_all_checked_on(Place::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_parallel_wrong_guesses_are_not_all_checked_on_postgres() {
    if let Some(place) = Place::postgres() {
        forty_parallel_wrong_guesses_are_not_all_checked_on(place).await;
    }
}

async fn forty_parallel_wrong_guesses_are_not_all_checked_on(place: Place) {
    let relay = Arc::new(relay(&place));
    let guesses = (0..40).map(|i| {
        let relay = relay.clone();
        tokio::spawn(
            async move { relay.sign_in(GUESSER, "ann@x.example", &format!("guess number {i}")).await },
        )
    });
    let answers = futures_util::future::join_all(guesses).await;
    let statuses: Vec<_> = answers.iter().map(|a| a.as_ref().unwrap().status).collect();
    let checked = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let refused =
        answers.iter().map(|a| a.as_ref().unwrap()).filter(|a| a.status == StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(checked, 5, "only the free attempts were checked: {statuses:?}");
    assert_eq!(refused.clone().count(), 35, "{statuses:?}");
    assert!(
        refused.into_iter().all(|a| a.retry_after.is_some_and(|s| s >= 1)),
        "each says when to try again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guesser_does_not_lock_the_owner_out_from_another_address() {
    let place = Place::sqlite();
    let relay = relay(&place);
    for _ in 0..5 {
        assert_eq!(
            relay.sign_in(GUESSER, "ann@x.example", "not her password").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let refused = relay.sign_in(GUESSER, "ann@x.example", PASSWORD).await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the guesser waits, even with the right password"
    );
    assert_eq!(refused.retry_after, Some(2), "a soft delay: two seconds after the free attempts");
    let owner = relay.sign_in(OWNER, "ann@x.example", PASSWORD).await;
    assert_eq!(owner.status, StatusCode::OK, "Ann signs in from her own address");
    assert_eq!(relay.sign_in(GUESSER, "ann@x.example", PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);
    relay.now.fetch_add(2_000, Ordering::SeqCst);
    assert_eq!(
        relay.sign_in(GUESSER, "ann@x.example", "still not it").await.status,
        StatusCode::UNAUTHORIZED
    );
    let doubled = relay.sign_in(GUESSER, "ann@x.example", "still not it").await;
    assert_eq!(doubled.retry_after, Some(4), "each further attempt doubles the wait");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_survives_a_restart() {
    throttling_survives_a_restart_on(Place::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_survives_a_restart_on_postgres() {
    if let Some(place) = Place::postgres() {
        throttling_survives_a_restart_on(place).await;
    }
}

async fn throttling_survives_a_restart_on(place: Place) {
    let first = relay(&place);
    for _ in 0..5 {
        assert_eq!(
            first.sign_in(GUESSER, "ann@x.example", "not her password").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    drop(first);
    let restarted = relay(&place);
    let answer = restarted.sign_in(GUESSER, "ann@x.example", "not her password").await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS, "the count is in the database, not in memory");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_current_password_on_password_change_is_throttled() {
    a_wrong_current_password_on_password_change_is_throttled_on(Place::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_current_password_on_password_change_is_throttled_on_postgres() {
    if let Some(place) = Place::postgres() {
        a_wrong_current_password_on_password_change_is_throttled_on(place).await;
    }
}

async fn a_wrong_current_password_on_password_change_is_throttled_on(place: Place) {
    let relay = relay(&place);
    let mine = relay.sign_in(OWNER, "ann@x.example", PASSWORD).await.cookie.unwrap();
    let other = relay.sign_in(OWNER, "ann@x.example", PASSWORD).await.cookie.unwrap();
    // A stolen session guessing the current password from the thief's address.
    let statuses: Vec<_> = {
        let mut statuses = Vec::new();
        for i in 0..30 {
            statuses.push(
                relay.change_password(GUESSER, &other, &format!("guess {i:04}"), "taken over!!").await.status,
            );
        }
        statuses
    };
    assert_eq!(statuses[..5], [StatusCode::FORBIDDEN; 5], "{statuses:?}");
    assert!(statuses[5..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");

    let changed = relay.change_password(OWNER, &mine, PASSWORD, "second password").await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "the owner, from her address, is not delayed");
    assert_eq!(relay.me(&mine).await, StatusCode::OK, "the session that changed it stays");
    assert_eq!(relay.me(&other).await, StatusCode::UNAUTHORIZED, "the others end");
    assert_eq!(relay.sign_in(OWNER, "ann@x.example", "second password").await.status, StatusCode::OK);
    assert_eq!(relay.sign_in(OWNER, "ann@x.example", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_on_an_invitation_for_an_existing_account_is_throttled() {
    let place = Place::sqlite();
    let relay = relay(&place);
    let link = {
        let db = relay.state.accounts.lock().unwrap();
        let now = relay.now.load(Ordering::SeqCst);
        let invite = |email| {
            accounts::invitations::invite(
                &db,
                "p",
                email,
                "Ann",
                accounts::Role::Mentor,
                "u-cora",
                now,
                86_400_000,
            )
            .unwrap()
            .secret
        };
        invite("ann@x.example")
    };
    let take = |password: &str| {
        json("POST", &format!("/api/invitations/{link}"), None, format!(r#"{{"password":"{password}"}}"#))
    };
    for i in 0..5 {
        let answer = relay.send(GUESSER, take(&format!("guess {i:04} of hers"))).await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "the link's holder must know the account's password"
        );
    }
    let refused = relay.send(GUESSER, take(PASSWORD)).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "guessing through a link is throttled too");
    let taken = relay.send(OWNER, take(PASSWORD)).await;
    assert_eq!(taken.status, StatusCode::OK, "Ann herself takes it");
    assert!(taken.cookie.is_some());
}

/// Before, argon2 ran under the accounts lock and `GET /api/me` waited for a whole burst of
/// sign-ins (1 ms became 1,319 ms). A ratio, not a wall-clock bound: the slowest `/api/me` during
/// the burst against the burst itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn me_is_not_delayed_by_a_burst_of_sign_ins() {
    let place = Place::sqlite();
    let relay = Arc::new(relay(&place));
    let cookie = relay.sign_in(OWNER, "ann@x.example", PASSWORD).await.cookie.unwrap();
    assert_eq!(relay.me(&cookie).await, StatusCode::OK);
    let started = Instant::now();
    // Forty addresses, forty unknown emails: every one is checked (nothing throttles them).
    let burst: Vec<_> = (0..40)
        .map(|i| {
            let relay = relay.clone();
            tokio::spawn(async move {
                relay
                    .sign_in(&format!("192.0.2.{}", i + 1), &format!("nobody{i}@x.example"), "wrong guess")
                    .await
            })
        })
        .collect();
    let mut slowest = Duration::ZERO;
    let mut asked = 0;
    while !burst.iter().all(|task| task.is_finished()) {
        let asking = Instant::now();
        assert_eq!(relay.me(&cookie).await, StatusCode::OK);
        slowest = slowest.max(asking.elapsed());
        asked += 1;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let burst_took = started.elapsed();
    for task in burst {
        assert_eq!(task.await.unwrap().status, StatusCode::UNAUTHORIZED, "every one was checked");
    }
    eprintln!(
        "{asked} GET /api/me during a {burst_took:?} burst of 40 sign-ins: the slowest took {slowest:?}"
    );
    assert!(
        slowest * 4 < burst_took,
        "the slowest /api/me ({slowest:?}) waited on the burst ({burst_took:?})"
    );
}
