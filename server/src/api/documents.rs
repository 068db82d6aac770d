//! `GET /api/documents` and `POST /api/documents`: what a person may read, and claiming a
//! document for its audience (see [`crate::access`]); `POST /api/documents/discard`: a mentor
//! discarding a draft of theirs for good (see [`crate::discard`]).

use axum::{Json, extract::State, http::StatusCode};
use tandem_api::{Claim, ClaimRequest, DiscardRequest, Discarded, DocumentEntry};

use super::{Body, SignedIn, with_db};
use crate::{AppState, access, accounts::AccountError, error::AppError};

/// Every document the person may read, with its audience and what they may do with it.
pub(super) async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Json<Vec<DocumentEntry>>, AppError> {
    with_db(&state, move |db| {
        let list = access::readable_documents(db, &signed_in.person)?;
        Ok(Json(
            list.into_iter()
                .map(|(claim, access)| DocumentEntry {
                    id: claim.id,
                    audience: claim.audience,
                    owner_id: claim.owner_id,
                    access,
                })
                .collect(),
        ))
    })
    .await
}

/// Claims a document for an audience the person belongs to, stamped by the relay's clock; a new
/// one past the person's `--max-new-documents-per-hour` is answered 429 with Retry-After.
pub(super) async fn claim(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Body(body): Body<ClaimRequest>,
) -> Result<(StatusCode, Json<Claim>), AppError> {
    let now = state.now_ms();
    let per_hour = state.sync.config.max_new_documents_per_hour;
    let metrics = state.metrics.clone();
    with_db(&state, move |db| {
        match access::check_new_document(db, &signed_in.person, &body.id, now, per_hour) {
            Err(refused @ AccountError::TooMany { .. }) => {
                metrics.new_documents_refused.inc();
                return Err(refused.into());
            }
            checked => checked?,
        }
        let claim = access::claim(db, &signed_in.person, &body.id, &body.audience, now)?;
        Ok((StatusCode::CREATED, Json(claim)))
    })
    .await
}

/// Discards a draft and the mentor's private notes about it, through the relay's one purge: the
/// mentor's other devices delete their copies when they next read `/api/me`.
pub(super) async fn discard(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Body(body): Body<DiscardRequest>,
) -> Result<Json<Discarded>, AppError> {
    let now = state.now_ms();
    let storage = state.storage.clone();
    with_db(&state, move |db| {
        let removed = crate::discard::discard(&storage, db, &signed_in.person, &body, now)?;
        Ok(Json(Discarded { removed }))
    })
    .await
}
