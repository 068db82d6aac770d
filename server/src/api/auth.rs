//! Who is asking: the secret a request carries, the person it belongs to, and whether they
//! coordinate a program.

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, StatusCode, header, request::Parts},
};

use super::with_db;
use crate::{
    AppState,
    accounts::{self, Credential, Role},
    error::AppError,
};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "tandem_session";

/// The secret a request carries: the session cookie, a bearer token, or `?token=`.
pub fn presented_secret(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned());
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|v| v.trim().to_owned());
    let token = query.and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("token=")).map(str::to_owned));
    cookie.or(bearer).or(token).filter(|s| !s.is_empty())
}

/// Checks a secret at the relay's clock; the person it belongs to, or `None`.
pub async fn authenticate(state: &AppState, secret: Option<String>) -> Result<Option<String>, AppError> {
    Ok(credential(state, secret).await?.map(|c| c.person))
}

/// Checks a secret at the relay's clock; the session or token it names, or `None` (also for a
/// session unused for `--session-idle-hours`). Records the use.
pub async fn credential(state: &AppState, secret: Option<String>) -> Result<Option<Credential>, AppError> {
    let Some(secret) = secret else { return Ok(None) };
    let (now, idle_ms) = (state.now_ms(), state.auth.session_idle.as_millis() as i64);
    with_db(state, move |db| {
        let Some(credential) = accounts::credential(db, &secret, now)? else { return Ok(None) };
        if credential.idle(now, idle_ms) {
            return Ok(None);
        }
        if credential.due_for_touch(now) {
            accounts::touch(db, &credential.hash, now)?;
        }
        Ok(Some(credential))
    })
    .await
}

fn not_signed_in() -> AppError {
    AppError::unauthorized("sign in first: no valid session cookie or access token")
}

/// Why a secret that authenticates no one is refused: 410 when it was a session or token of a
/// person since purged (their device then deletes everything it kept of them, rather than wait
/// for a sign-in that can never come), 401 otherwise.
async fn refusal(state: &AppState, secret: String) -> Result<AppError, AppError> {
    let hash = accounts::secret_hash(&secret);
    let purged = with_db(state, move |db| Ok(crate::storage::purge::is_purged_secret(db, &hash)?)).await?;
    Ok(if purged {
        AppError::new(
            StatusCode::GONE,
            "this account was deleted for good; this device removes what it kept of it",
        )
    } else {
        not_signed_in()
    })
}

/// A signed-in person (extractor): answers 401 when the request has no valid session or token.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub person: String,
    /// The secret that authenticated this request, so signing out and changing a password know
    /// which session is this one.
    pub(super) secret: String,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let secret = presented_secret(&parts.headers, parts.uri.query()).ok_or_else(not_signed_in)?;
        match authenticate(state, Some(secret.clone())).await? {
            Some(person) => Ok(SignedIn { person, secret }),
            None => Err(refusal(state, secret).await?),
        }
    }
}

/// Answers 403 unless `person` coordinates `program` (404 when the program does not exist).
pub(super) fn require_coordinator(
    db: &crate::storage::Db,
    program: &str,
    person: &str,
) -> Result<(), AppError> {
    if !accounts::program_exists(db, program)? {
        return Err(AppError::new(StatusCode::NOT_FOUND, format!("there is no program {program:?}")));
    }
    match accounts::role_in(db, program, person)? {
        Some(Role::Coordinator) => Ok(()),
        _ => Err(AppError::new(
            StatusCode::FORBIDDEN,
            format!("only a coordinator of the program {program:?} can do this"),
        )),
    }
}
