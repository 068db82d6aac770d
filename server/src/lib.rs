//! The Tandem relay: one process that serves the web app, keeps every document in storage and
//! relays sync between devices.
//!
//! A short tour, outside in:
//! - [`run`] takes a bound listener and a shutdown signal and serves until the signal fires;
//!   `main.rs` is only the command line around it.
//! - [`app`] builds the HTTP router: `/sync` (the automerge-repo WebSocket endpoint, [`sync`]),
//!   `/healthz`, `/metrics` ([`metrics`]), and the web app from [`web_app`].
//! - [`storage`] owns the SQLite database: opening it, its migrations, and every SQL statement.
//! - [`error`] turns failures into plain HTTP answers while logging the details.
//!
//! Only this crate knows HTTP and SQL; documents and the sync protocol live in `tandem-core` and
//! `tandem-sync`.

pub mod client;
pub mod error;
pub mod metrics;
pub mod storage;
pub mod sync;
pub mod web_app;

use std::{future::Future, net::SocketAddr, path::PathBuf, sync::Arc};

use axum::{Router, extract::State, http::StatusCode, routing::get};
use tokio::{net::TcpListener, sync::watch};
use tower_http::trace::TraceLayer;

use crate::{
    error::AppError,
    metrics::Metrics,
    storage::Storage,
    sync::{SyncConfig, SyncHub},
};

/// Everything the relay needs to start, as the command line or a test gives it.
#[derive(Debug, Clone)]
pub struct Config {
    /// Directory holding the SQLite database; created when missing.
    pub data_dir: PathBuf,
    /// Directory holding the built web app (`index.html`, the wasm, the service worker).
    pub web_dir: PathBuf,
    /// Sync endpoint settings.
    pub sync: SyncConfig,
}

/// Shared state of every request handler.
#[derive(Debug, Clone)]
pub struct AppState {
    pub storage: Arc<Storage>,
    pub metrics: Arc<Metrics>,
    pub sync: SyncHub,
    pub web_dir: Arc<PathBuf>,
    /// Set to `true` once to ask every WebSocket connection to close (graceful shutdown).
    pub shutdown: Arc<watch::Sender<bool>>,
}

impl AppState {
    /// Opens (or creates) the storage under `config.data_dir` and starts the sync engine.
    /// Must run inside a tokio runtime.
    pub fn open(config: &Config) -> anyhow::Result<Self> {
        let storage = Arc::new(Storage::open_in(&config.data_dir)?);
        let metrics = Arc::new(Metrics::default());
        let peer_id = format!("tandem-relay-{:016x}", rand::random::<u64>());
        let sync = SyncHub::start(storage.clone(), metrics.clone(), config.sync.clone(), peer_id);
        Ok(Self {
            storage,
            metrics,
            sync,
            web_dir: Arc::new(config.web_dir.clone()),
            shutdown: Arc::new(watch::channel(false).0),
        })
    }
}

/// The relay's HTTP surface. Returned as a plain `Router` so tests can drive it with `oneshot`.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/sync", get(sync::socket::upgrade))
        .fallback_service(web_app::service(&state.web_dir))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Healthy means: the process answers and its database answers.
async fn healthz(State(state): State<AppState>) -> Result<(StatusCode, &'static str), AppError> {
    let storage = state.storage.clone();
    tokio::task::spawn_blocking(move || storage.check()).await??;
    Ok((StatusCode::OK, "ok\n"))
}

/// Prometheus text format; see [`metrics::Metrics`] for what is counted.
async fn metrics(State(state): State<AppState>) -> ([(axum::http::HeaderName, &'static str); 1], String) {
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    ([(axum::http::header::CONTENT_TYPE, content_type)], state.metrics.encode())
}

/// Serves `app` on `listener` until `shutdown` completes, then lets open requests finish.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let addr: SocketAddr = listener.local_addr()?;
    tracing::info!(%addr, "relay listening");
    let close_sockets = state.shutdown.clone();
    let shutdown = async move {
        shutdown.await;
        // WebSocket connections never end on their own; ask them to close so serving can finish.
        close_sockets.send_replace(true);
    };
    axum::serve(listener, app(state)).with_graceful_shutdown(shutdown).await?;
    tracing::info!("relay stopped");
    Ok(())
}
