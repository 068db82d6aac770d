//! One error type for every handler: it logs the details and answers plainly.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};

/// A failure inside a request. The person at the other end gets a short message; the log gets
/// the full chain, because the details (paths, SQL errors) are for the operator, not the client.
#[derive(Debug)]
pub struct AppError(anyhow::Error);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        tracing::error!(error = format!("{:#}", self.0), "request failed");
        (StatusCode::INTERNAL_SERVER_ERROR, "internal error; the relay's log has the details\n")
            .into_response()
    }
}

impl<E: Into<anyhow::Error>> From<E> for AppError {
    fn from(error: E) -> Self {
        Self(error.into())
    }
}
