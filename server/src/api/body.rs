//! JSON request bodies whose rejections are answered like every other error.

use axum::{
    Json,
    extract::{FromRequest, Request, rejection::JsonRejection},
    http::StatusCode,
};
use serde::de::DeserializeOwned;

use super::MAX_BODY_BYTES;
use crate::error::AppError;

/// A JSON body whose rejections (wrong content type, malformed JSON, missing fields, too large)
/// are answered as [`AppError`]s.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(JsonRejection::BytesRejection(_)) => Err(AppError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
            )),
            Err(rejection) => Err(AppError::new(
                StatusCode::BAD_REQUEST,
                format!("the request body is not what this route takes: {}", rejection.body_text()),
            )),
        }
    }
}
