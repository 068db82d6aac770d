//! The JSON API under `/api`: signing in and out, the signed-in person, the coordinator's setup of
//! people, cohorts and pairs, and claiming documents.
//!
//! | route | who | what | file |
//! |---|---|---|---|
//! | `POST /api/session` `{email, password}` | anyone | sign in: sets the session cookie | `session.rs` |
//! | `DELETE /api/session` | signed in | sign out: ends this session | `session.rs` |
//! | `GET /api/me` | signed in | the person, their programs, roles and pairs | `me.rs` |
//! | `PUT /api/me/password` `{current, new}` | signed in | change password; ends other sessions | `me.rs` |
//! | `GET /api/documents` | signed in | every document the person may read, with its audience | `documents.rs` |
//! | `POST /api/documents` `{id, audience}` | signed in | claim a document for an audience they are in | `documents.rs` |
//! | `POST /api/documents/discard` `{draft, notes}` | the draft's mentor | discard a draft observation and their private notes about it, for good (403 for anyone else or a shared copy, 409 once shared) | `documents.rs` |
//! | `GET /api/programs/{program}` | coordinator | people, cohorts and pairs | `programs.rs` |
//! | `POST /api/programs/{program}/people` `{email, name, role, password?}` | coordinator | add a person | `programs.rs` |
//! | `PUT /api/programs/{program}/people/{person}` `{role}` | coordinator | change the role of someone in the program | `programs.rs` |
//! | `POST /api/programs/{program}/invitations` `{email, name, role, expires_in_days?}` | coordinator | a one-time sign-up link | `invitations.rs` |
//! | `GET /api/programs/{program}/invitations` | coordinator | the invitations not yet taken, withdrawn or expired (never a link) | `invitations.rs` |
//! | `DELETE /api/programs/{program}/invitations/{id}` | coordinator | withdraw one: its link stops working | `invitations.rs` |
//! | `GET /api/invitations/{token}` | the link's holder | what it invites to (410 once used, withdrawn or expired, saying which) | `invitations.rs` |
//! | `POST /api/invitations/{token}` `{password}` | the link's holder | take it: new account or the existing one's own password; signs in | `invitations.rs` |
//! | `DELETE /api/programs/{program}/people/{person}` | coordinator | remove from the program and its pairs | `programs.rs` |
//! | `POST /api/programs/{program}/cohorts` `{id?, name}` | coordinator | add a cohort | `programs.rs` |
//! | `POST /api/programs/{program}/pairs` `{id?, mentor_id, associate_id, cohort_id?}` | coordinator | add a pair | `pairs.rs` |
//! | `PATCH /api/pairs/{pair}` `{mentor_id?, associate_id?}` (`null` empties a seat) | coordinator | change a pair | `pairs.rs` |
//! | `GET /api/programs/{program}/progress` | coordinator | the pairs' shared records counted: observations and check-ins per month, goals by status | `progress.rs` |
//!
//! The bodies are `tandem-api`'s types, shared with the web app. Every error is
//! [`AppError`]'s `{"error": "..."}` with 400 (malformed or breaks a rule), 401 (not signed in),
//! 403 (signed in but not allowed), 404, 409 (conflicts with what exists), 410 (an invitation used,
//! withdrawn or expired), 413 (too large) or
//! 429 (too many failed password attempts: signing in, a password change's current password, an
//! invitation for an existing account; `Retry-After` says when to try again).
//!
//! A state-changing request from a page on another origin answers 403 ([`crate::origin`]).
//!
//! Authentication (`auth.rs`): the `tandem_session` cookie (HttpOnly, SameSite=Strict, Secure when
//! configured) or, for devices and scripts, `Authorization: Bearer <token>` or `?token=` (the
//! WebSocket API of browsers cannot set headers).

mod auth;
mod body;
mod documents;
mod invitations;
mod me;
mod pairs;
mod passwords;
mod programs;
mod progress;
mod session;

use std::time::Duration;

use axum::{
    Router,
    http::StatusCode,
    routing::{delete, get, patch, post, put},
};

pub use auth::{SESSION_COOKIE, SignedIn, authenticate, credential, presented_secret};
pub use body::Body;

use crate::{AppState, accounts, error::AppError, storage::Db};

/// Largest JSON body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How long a session may go unused: a week, so a tablet put away over a school holiday signs in
/// again, while one used each school day never does.
pub const DEFAULT_SESSION_IDLE: Duration = Duration::from_secs(7 * 24 * 3600);

/// Sign-in and session settings.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// Mark the session cookie `Secure` (the relay is reached over https, e.g. behind a proxy).
    pub secure_cookies: bool,
    /// How long a session lasts after signing in.
    pub session_lifetime: Duration,
    /// A session unused this long ends (`--session-idle-hours`); tokens expire instead.
    pub session_idle: Duration,
    /// How long an invitation link works when its coordinator does not say (`--invitation-hours`).
    pub invitation_lifetime: Duration,
    pub throttle: accounts::throttle::ThrottleConfig,
    /// Origins besides the relay's own whose pages may open `/sync` and change things through
    /// the API (`--allowed-origin`; see [`crate::origin`]).
    pub allowed_origins: Vec<String>,
    /// The bearer token `/metrics` asks for (`--metrics-token`); without one, `/metrics`
    /// answers only requests from the relay's own machine.
    pub metrics_token: Option<String>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            session_lifetime: Duration::from_secs(30 * 24 * 3600),
            session_idle: DEFAULT_SESSION_IDLE,
            invitation_lifetime: Duration::from_millis(
                accounts::invitations::DEFAULT_INVITATION_LIFETIME_MS as u64,
            ),
            throttle: Default::default(),
            allowed_origins: Vec::new(),
            metrics_token: None,
        }
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/session", post(session::sign_in).delete(session::sign_out))
        .route("/me", get(me::me))
        .route("/me/password", put(me::change_password))
        .route("/me/tokens", get(me::tokens))
        .route("/me/tokens/{id}", delete(me::revoke_token))
        .route("/documents", get(documents::list).post(documents::claim))
        .route("/documents/discard", post(documents::discard))
        .route("/programs/{program}", get(programs::program))
        .route("/programs/{program}/people", post(programs::add_person))
        .route("/programs/{program}/people/{person}", put(programs::set_role).delete(programs::remove_person))
        .route("/programs/{program}/invitations", post(invitations::invite).get(invitations::pending))
        .route("/programs/{program}/invitations/{id}", delete(invitations::revoke))
        .route("/invitations/{token}", get(invitations::view).post(invitations::accept))
        .route("/programs/{program}/cohorts", post(programs::add_cohort))
        .route("/programs/{program}/pairs", post(pairs::add_pair))
        .route("/programs/{program}/progress", get(progress::progress))
        .route("/pairs/{pair}", patch(pairs::change_pair))
        .fallback(|| async { AppError::new(StatusCode::NOT_FOUND, "there is no such API route") })
}

/// Closes this relay's sockets of what ended at once, and records it for relays beside this one
/// ([`crate::sync::ends`]).
pub(crate) async fn end(state: &AppState, ended: crate::sync::ends::Ended) -> Result<(), AppError> {
    state.session_ends.announce(ended.clone());
    let now = state.now_ms();
    with_db(state, move |db| Ok(crate::sync::ends::record(db, &ended, now)?)).await
}

/// Runs `f` with the accounts database on a blocking thread (the database blocks, either backend). Keep `f` short: every
/// request waits for this lock; argon2 runs outside it, on [`accounts::Hasher`].
pub(crate) async fn with_db<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Db) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let db = state.accounts.clone();
    tokio::task::spawn_blocking(move || f(&db.lock().expect("accounts mutex poisoned"))).await?
}
