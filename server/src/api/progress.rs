//! `GET /api/programs/{program}/progress`: the program's pairs' records counted for its
//! coordinators ([`crate::progress`]: counts and statuses, never a draft or a private note).

use axum::{
    Json,
    extract::{Path, State},
};
use tandem_api::ProgramProgress;

use super::{SignedIn, auth::require_coordinator, with_db};
use crate::{AppState, error::AppError, progress};

pub(super) async fn progress(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(program): Path<String>,
) -> Result<Json<ProgramProgress>, AppError> {
    // Who may ask, and what to read, under the accounts lock; the documents themselves after it.
    let plan = with_db(&state, move |db| {
        require_coordinator(db, &program, &signed_in.person)?;
        Ok(progress::plan(db, &program)?)
    })
    .await?;
    let (storage, cache) = (state.storage.clone(), state.progress.clone());
    let counted = tokio::task::spawn_blocking(move || progress::count(&storage, &cache, plan)).await??;
    Ok(Json(counted))
}
