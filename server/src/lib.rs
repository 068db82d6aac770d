//! The Tandem relay: one process that serves the web app, keeps every document in storage and
//! relays sync between devices.
//!
//! A short tour, outside in:
//! - [`run`] takes a bound listener and a shutdown signal and serves until the signal fires;
//!   `main.rs` is only the command line around it.
//! - [`app`] builds the HTTP router: `/sync` (the automerge-repo WebSocket endpoint, [`sync`]),
//!   `/api` (signing in, the coordinator's setup, claiming documents: [`api`]), `/healthz`,
//!   `/metrics` ([`metrics`]), and the web app from [`web_app`].
//! - [`accounts`] holds the rules for people, programs, pairs, roles, sessions and tokens;
//!   [`access`] decides who may read and write which document, and is the sync engine's policy;
//!   [`purge`] deletes records for good (the one way a document leaves the relay); [`export`]
//!   gives everything stored about a person as one JSON document.
//! - [`storage`] owns the SQLite database: opening it, its migrations, and every SQL statement
//!   (chunks, accounts, claims); nothing else in the relay writes SQL.
//! - [`error`]: [`error::AppError`], the one error answer of every handler: it logs the details
//!   and answers plainly.
//! - [`clock`]: the one clock for what the relay records (sessions, throttling, claims).
//! - [`tls`] serves https itself ([`run_https`]): certificate files followed on disk, the redirecting
//!   plain-HTTP port; [`client_addr`] finds the device's address behind a trusted proxy.
//! - [`connections`]: the overall connection cap and the header timeout, for every listener.
//!
//! Only this crate knows HTTP and SQL; documents and the sync protocol live in `tandem-core` and
//! `tandem-sync`, and the JSON bodies of the API in `tandem-api` (plain serde types).

pub mod access;
pub mod accounts;
pub mod admin;
pub mod api;
pub mod client_addr;
pub mod clock;
pub mod connections;
pub mod demo;
pub mod discard;
pub mod error;
pub mod export;
pub mod headers;
pub mod metrics;
pub mod occasionally;
pub mod origin;
pub mod progress;
pub mod purge;
pub mod setup;
pub mod storage;
pub mod sync;
pub mod tls;
pub mod web_app;

use std::{
    future::Future,
    net::SocketAddr,
    path::PathBuf,
    sync::{Arc, Mutex},
};

use axum::{
    Router,
    extract::{DefaultBodyLimit, Request, State},
    http::{HeaderValue, StatusCode, header},
    routing::get,
};
use tokio::{net::TcpListener, sync::watch};
use tower_http::{set_header::SetResponseHeaderLayer, trace::TraceLayer};

use crate::{
    accounts::Hasher,
    api::AuthConfig,
    client_addr::TrustedProxies,
    clock::Clock,
    connections::{Gate, GatedListener, HttpLimits},
    error::AppError,
    metrics::Metrics,
    storage::Storage,
    sync::{SyncConfig, SyncHub, ends::SessionEnds, rates::SyncRates, sockets::SocketCounts},
};

/// Everything the relay needs to start, as the command line or a test gives it.
#[derive(Debug, Clone)]
pub struct Config {
    /// Directory holding the SQLite database; created when missing. Unused with `database`.
    pub data_dir: PathBuf,
    /// A PostgreSQL connection string: everything goes there instead of SQLite in `data_dir`.
    pub database: Option<String>,
    /// Directory holding the built web app (`index.html`, the wasm, the service worker).
    pub web_dir: PathBuf,
    /// Sync endpoint settings.
    pub sync: SyncConfig,
    /// Sign-in and session settings.
    pub auth: AuthConfig,
    /// Proxies whose forwarding headers name the device (`--trusted-proxy`).
    pub trusted_proxies: TrustedProxies,
    /// Connections at once and how long a request's head may take (`--max-connections`,
    /// `--header-timeout-secs`).
    pub http: HttpLimits,
}

/// Shared state of every request handler.
#[derive(Clone)]
pub struct AppState {
    pub storage: Arc<Storage>,
    pub metrics: Arc<Metrics>,
    pub sync: SyncHub,
    pub web_dir: Arc<PathBuf>,
    /// Set to `true` once to ask every WebSocket connection to close (graceful shutdown).
    pub shutdown: Arc<watch::Sender<bool>>,
    /// The accounts' own database connection (people, sessions, claims); statements are short.
    pub accounts: Arc<Mutex<crate::storage::Db>>,
    pub auth: Arc<AuthConfig>,
    /// Where passwords are hashed and verified: the blocking pool, a few at a time, no lock held.
    pub passwords: Hasher,
    /// Proxies whose forwarding headers are believed ([`client_addr`]).
    pub trusted_proxies: Arc<TrustedProxies>,
    /// Sessions and tokens ended while a socket they opened may be live ([`sync::ends`]).
    pub session_ends: SessionEnds,
    /// Open `/sync` sockets per person ([`sync::sockets`]).
    pub sockets: SocketCounts,
    /// What each person has sent over sync lately ([`sync::rates`]).
    pub sync_rates: SyncRates,
    /// Bounds on connections, applied by [`run`] and [`run_https`].
    pub http: Arc<HttpLimits>,
    /// The one clock for sessions, sign-in throttling and claims; the sync engine's thread has
    /// the same one. Tests drive time with [`AppState::open_with_clock`].
    pub clock: Clock,
    /// Each counted document's figures for the progress page, while its chunks stay the same.
    pub progress: progress::Cache,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("storage", &self.storage).field("web_dir", &self.web_dir).finish()
    }
}

impl AppState {
    /// Opens (or creates) the storage (`config.database`, else under `config.data_dir`) and starts
    /// the sync engine, on the
    /// system's clock. Must run inside a tokio runtime.
    pub fn open(config: &Config) -> anyhow::Result<Self> {
        Self::open_with_clock(config, Clock::system())
    }

    /// [`AppState::open`] on a clock of the caller's: everything the relay stamps or expires
    /// reads this one.
    pub fn open_with_clock(config: &Config, clock: Clock) -> anyhow::Result<Self> {
        let location = crate::storage::Location::new(&config.data_dir, config.database.as_deref());
        let storage = Arc::new(Storage::open(&location)?);
        let metrics = Arc::new(Metrics::default());
        let peer_id = format!("tandem-relay-{:016x}", rand::random::<u64>());
        let sync =
            SyncHub::start(storage.clone(), metrics.clone(), config.sync.clone(), peer_id, clock.clone())?;
        let accounts = Arc::new(Mutex::new(storage.connect()?));
        let session_ends = SessionEnds::default();
        session_ends.follow(&storage, clock.clone())?;
        Ok(Self {
            accounts,
            auth: Arc::new(config.auth.clone()),
            passwords: Hasher::default(),
            trusted_proxies: Arc::new(config.trusted_proxies.clone()),
            session_ends,
            sockets: SocketCounts::default(),
            sync_rates: SyncRates::default(),
            http: Arc::new(config.http.clone()),
            clock,
            progress: Default::default(),
            storage,
            metrics,
            sync,
            web_dir: Arc::new(config.web_dir.clone()),
            shutdown: Arc::new(watch::channel(false).0),
        })
    }

    /// Now, by [`AppState::clock`].
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}

/// The relay's HTTP surface. Returned as a plain `Router` so tests can drive it with `oneshot`.
pub fn app(state: AppState) -> Router {
    // The access log names the device (not its proxy), and the path without the query, which
    // may carry an access token.
    let proxies = state.trusted_proxies.clone();
    let trace = TraceLayer::new_for_http()
        .make_span_with(move |request: &Request| {
            let client = client_addr::of_request(request.extensions(), request.headers(), &proxies);
            tracing::debug_span!("request", method = %request.method(), path = %request.uri().path(), %client)
        })
        .on_failure(log_failure);
    // Pages on other origins of the same site get the person's cookie too: see `origin`.
    let sync_origin = axum::middleware::from_fn_with_state(state.clone(), origin::always);
    let api_origin = axum::middleware::from_fn_with_state(state.clone(), origin::for_changes);
    let api =
        headers::no_store(api::routes().layer(DefaultBodyLimit::max(api::MAX_BODY_BYTES)).layer(api_origin));
    let router = Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/sync", get(sync::socket::upgrade).route_layer(sync_origin))
        .nest("/api", api)
        .fallback_service(web_app::service(&state.web_dir));
    let https = state.auth.secure_cookies;
    headers::secure(router, https).layer(trace).with_state(state)
}

/// A request that failed, as tower-http's default logs it, except 507 and 503: answers of a full
/// disk (507, and `/healthz`'s 503), for which every write fails, so the relay says so itself at
/// most once a minute ([`storage::health`], [`error::AppError::internal`]) instead of once a
/// request; and of a web app not built yet (503), a state of setup, not a failure per request.
fn log_failure(
    failure: tower_http::classify::ServerErrorsFailureClass,
    latency: std::time::Duration,
    _span: &tracing::Span,
) {
    use tower_http::classify::ServerErrorsFailureClass::StatusCode as Status;
    let latency = latency.as_millis();
    match failure {
        Status(StatusCode::INSUFFICIENT_STORAGE | StatusCode::SERVICE_UNAVAILABLE) => {
            tracing::debug!(classification = %failure, latency_ms = latency, "response failed")
        }
        _ => tracing::error!(classification = %failure, latency_ms = latency, "response failed"),
    }
}

/// Healthy means: the process answers, its database answers, and the relay can write (503 while
/// its disk is full, so a monitor sees it: reads still work, but nothing new is saved).
async fn healthz(State(state): State<AppState>) -> Result<(StatusCode, &'static str), AppError> {
    if let Some(full_for) = state.storage.cannot_write_for() {
        let message = format!(
            "the relay cannot write: the disk holding its database has been full for {} s; it still \
             answers reads, and writes again by itself once space is freed",
            full_for.as_secs()
        );
        return Err(
            AppError::new(StatusCode::SERVICE_UNAVAILABLE, message).retry_after(storage::chunks::PROBE_EVERY)
        );
    }
    let storage = state.storage.clone();
    tokio::task::spawn_blocking(move || storage.check()).await??;
    Ok((StatusCode::OK, "ok\n"))
}

/// Prometheus text format; see [`metrics::Metrics`] for what is counted. They say how busy the
/// relay is and when people sync, so: with `--metrics-token`, only for that bearer token; without
/// one, only for requests from the relay's own machine (a Prometheus beside it).
async fn metrics(
    State(state): State<AppState>,
    client: client_addr::ClientAddr,
    request_headers: axum::http::HeaderMap,
) -> Result<([(axum::http::HeaderName, &'static str); 1], String), AppError> {
    match &state.auth.metrics_token {
        Some(token) => {
            let presented = request_headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "));
            // Compared as digests, so the comparison's time says nothing about the token.
            let digest = |s: &str| <sha2::Sha256 as sha2::Digest>::digest(s.as_bytes());
            if presented.map(digest) != Some(digest(token)) {
                return Err(AppError::unauthorized(
                    "/metrics needs Authorization: Bearer <the --metrics-token>",
                ));
            }
        }
        None => {
            let local = client.0.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
            if !local {
                return Err(AppError::new(
                    StatusCode::FORBIDDEN,
                    "/metrics answers only the relay's own machine; start the relay with --metrics-token to read it from elsewhere",
                ));
            }
        }
    }
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    Ok(([(axum::http::header::CONTENT_TYPE, content_type)], state.metrics.encode()))
}

/// Serves `app` over plain HTTP on `listener` until `shutdown` completes, then lets open requests
/// finish.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let router = app(state.clone());
    let gate = Gate::new(state.http.max_connections);
    serve(GatedListener::new(listener, gate), router, state, shutdown).await
}

/// Serves `app` over https on `listener` (with HSTS), and, on `redirect`, plain HTTP that only
/// redirects to it; until `shutdown` completes, then lets open requests finish.
pub async fn run_https(
    listener: TcpListener,
    tls: tls::Tls,
    redirect: Option<TcpListener>,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let https_port = listener.local_addr()?.port();
    // One cap for both ports: it bounds the process's connections, whichever port they reach.
    let gate = Gate::new(state.http.max_connections);
    if let Some(redirect) = redirect {
        let mut stopping = state.shutdown.subscribe();
        let (redirect, limits) = (GatedListener::new(redirect, gate.clone()), state.http.clone());
        tokio::spawn(async move {
            let stopped = async move {
                let _ = stopping.wait_for(|stop| *stop).await;
            };
            let served = connections::serve(redirect, tls::redirect::router(https_port), &limits, stopped);
            if let Err(error) = served.await {
                tracing::error!("the redirecting HTTP port stopped: {error}");
            }
        });
    }
    let router = app(state.clone()).layer(SetResponseHeaderLayer::overriding(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static(tls::HSTS),
    ));
    serve(tls.listener(listener, gate)?, router, state, shutdown).await
}

async fn serve<L>(
    listener: L,
    router: Router,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()>
where
    L: axum::serve::Listener<Addr = SocketAddr>,
    L::Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "relay listening");
    let close_sockets = state.shutdown.clone();
    let shutdown = async move {
        shutdown.await;
        // WebSocket connections never end on their own; ask them to close so serving can finish.
        close_sockets.send_replace(true);
    };
    // Connections carry their peer's address (`ConnectInfo`): sign-in throttling counts by it.
    connections::serve(listener, router, &state.http, shutdown).await?;
    tracing::info!("relay stopped");
    Ok(())
}
