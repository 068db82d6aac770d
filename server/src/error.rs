//! One error type for every HTTP handler: it logs the details and answers plainly.
//!
//! Every error answer is `{"error": "..."}` ([`tandem_api::ErrorBody`]) with its status, whether it
//! comes from the JSON API, the `/sync` upgrade or `/healthz`: a sentence for the person at the
//! other end that says what to do. What went wrong inside (paths, SQL errors) goes to the log,
//! never to the client.

use std::time::Duration;

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use tandem_api::{ErrorBody, InvitationClosed};

use crate::{accounts::AccountError, storage::StorageError};

/// What an internal failure tells the client.
const INTERNAL: &str = "internal error; the relay's log has the details";
/// What a write refused for want of space tells the client: nothing was changed, and trying
/// again later works (the relay recovers by itself once space is freed).
const FULL: &str = "the relay cannot save anything right now: the disk holding its database is full. \
                    Nothing was changed; try again in a minute";
/// How long a client is asked to wait after a full disk refused its write.
const FULL_RETRY_AFTER: Duration = Duration::from_secs(60);
/// A full disk fails every write: its log line at most once a minute, not once per request.
static FULL_LOG: crate::occasionally::Occasionally =
    crate::occasionally::Occasionally::new(Duration::from_secs(60));

/// A request that did not succeed: a status, a message for the person, and for internal failures
/// the cause, which only the log sees.
#[derive(Debug)]
pub struct AppError {
    status: StatusCode,
    message: String,
    /// For 429, 503 and 507: when to try again (`Retry-After`).
    retry_after: Option<Duration>,
    /// For 410 on an invitation link: why it cannot be taken, for its page to say.
    invitation: Option<InvitationClosed>,
    /// For 500: what actually failed.
    cause: Option<anyhow::Error>,
}

impl AppError {
    /// A refusal the person can act on: `message` says what to do.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into(), retry_after: None, invitation: None, cause: None }
    }

    /// A failure inside the relay: 500 to the client, `cause` with its whole chain to the log.
    /// A write refused for want of space is 507 Insufficient Storage with Retry-After instead:
    /// not the relay's fault, and it passes; its log line comes at most once a minute.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        let cause = cause.into();
        if is_full(&cause) {
            if let Some(unlogged) = FULL_LOG.now() {
                tracing::error!(
                    error = format!("{cause:#}"),
                    refused_since_last_line = unlogged,
                    "refusing requests that write: the disk holding the database is full"
                );
            }
            return Self::new(StatusCode::INSUFFICIENT_STORAGE, FULL).retry_after(FULL_RETRY_AFTER);
        }
        Self { cause: Some(cause), ..Self::new(StatusCode::INTERNAL_SERVER_ERROR, INTERNAL) }
    }

    /// 401 with `message` saying how to sign in.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    /// Adds `Retry-After` (rounded up to whole seconds, at least one).
    pub fn retry_after(self, wait: Duration) -> Self {
        Self { retry_after: Some(wait), ..self }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match &self.cause {
            Some(cause) => {
                tracing::error!(error = format!("{cause:#}"), status = %self.status, "request failed")
            }
            None => tracing::debug!(message = %self.message, status = %self.status, "request refused"),
        }
        let mut response =
            (self.status, Json(ErrorBody { error: self.message, invitation: self.invitation }))
                .into_response();
        if let Some(wait) = self.retry_after {
            let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// Whether anything in `cause`'s chain is a write refused for want of space.
fn is_full(cause: &anyhow::Error) -> bool {
    cause.chain().any(|error| {
        error.downcast_ref::<StorageError>().is_some_and(StorageError::is_full)
            || error.downcast_ref::<crate::storage::DbError>().is_some_and(crate::storage::DbError::is_full)
            || matches!(error.downcast_ref::<AccountError>(), Some(AccountError::Database(db)) if db.is_full())
    })
}

impl From<AccountError> for AppError {
    fn from(error: AccountError) -> Self {
        let status = match &error {
            AccountError::NotFound(_) => StatusCode::NOT_FOUND,
            AccountError::Conflict(_) => StatusCode::CONFLICT,
            AccountError::Invalid(_) => StatusCode::BAD_REQUEST,
            AccountError::Forbidden(_) => StatusCode::FORBIDDEN,
            AccountError::Gone(_) => StatusCode::GONE,
            AccountError::TooMany { retry_after, .. } => {
                let wait = *retry_after;
                return Self::new(StatusCode::TOO_MANY_REQUESTS, error.to_string()).retry_after(wait);
            }
            AccountError::InvitationClosed(why) => {
                return Self { invitation: Some(*why), ..Self::new(StatusCode::GONE, error.to_string()) };
            }
            AccountError::Database(_) => return Self::internal(error),
        };
        Self::new(status, error.to_string())
    }
}

impl From<crate::storage::DbError> for AppError {
    fn from(error: crate::storage::DbError) -> Self {
        Self::internal(error)
    }
}

impl From<StorageError> for AppError {
    fn from(error: StorageError) -> Self {
        Self::internal(error)
    }
}

/// A blocking task that panicked or was cancelled.
impl From<tokio::task::JoinError> for AppError {
    fn from(error: tokio::task::JoinError) -> Self {
        Self::internal(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real SQLITE_FULL: a database that may not grow past its first pages.
    fn disk_full() -> rusqlite::Error {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        db.execute_batch("CREATE TABLE t (b BLOB); PRAGMA max_page_count = 3;").unwrap();
        db.execute("INSERT INTO t VALUES (zeroblob(100000))", []).unwrap_err()
    }

    #[test]
    fn a_write_refused_for_want_of_space_answers_507_with_retry_after_not_500() {
        let refusals = [
            AppError::from(StorageError::Database(disk_full().into())),
            AppError::from(AccountError::Database(disk_full().into())),
            AppError::from(StorageError::Full),
            AppError::internal(anyhow::Error::new(StorageError::Full).context("claiming a document")),
        ];
        for refusal in refusals {
            let response = refusal.into_response();
            assert_eq!(response.status(), StatusCode::INSUFFICIENT_STORAGE);
            assert_eq!(response.headers()[header::RETRY_AFTER], "60");
        }
        let other =
            rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_IOERR), None);
        assert_eq!(AppError::from(StorageError::Database(other.into())).into_response().status(), 500);
    }
}
