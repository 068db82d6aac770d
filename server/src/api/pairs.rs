//! A coordinator's pairs: `POST /api/programs/{program}/pairs` and `PATCH /api/pairs/{pair}`.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use tandem_api::{NewPair, Pair, PairChange};

use super::{Body, SignedIn, auth::require_coordinator, with_db};
use crate::{
    AppState,
    accounts::{self, Seat},
    error::AppError,
};

pub(super) async fn add_pair(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(program): Path<String>,
    Body(body): Body<NewPair>,
) -> Result<(StatusCode, Json<Pair>), AppError> {
    with_db(&state, move |db| {
        require_coordinator(db, &program, &signed_in.person)?;
        let pair = accounts::add_pair(
            db,
            &program,
            body.id.as_deref(),
            &body.mentor_id,
            &body.associate_id,
            body.cohort_id.as_deref(),
        )?;
        Ok((StatusCode::CREATED, Json(pair)))
    })
    .await
}

/// Seats someone or empties a seat, for each seat the body names; answers with the pair as it is
/// now. Only a coordinator of the pair's program may.
pub(super) async fn change_pair(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(pair): Path<String>,
    Body(body): Body<PairChange>,
) -> Result<Json<Pair>, AppError> {
    with_db(&state, move |db| {
        let current = accounts::pair(db, &pair)?;
        require_coordinator(db, &current.program_id, &signed_in.person)?;
        let mut result = current;
        if let Some(mentor) = &body.mentor_id {
            result = accounts::set_pair_seat(db, &pair, Seat::Mentor, mentor.as_deref())?;
        }
        if let Some(associate) = &body.associate_id {
            result = accounts::set_pair_seat(db, &pair, Seat::Associate, associate.as_deref())?;
        }
        Ok(Json(result))
    })
    .await
}
