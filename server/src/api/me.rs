//! `GET /api/me` and `PUT /api/me/password`: the signed-in person.

use axum::{Json, extract::State, http::StatusCode};
use tandem_api::{Me, PasswordChange};

use super::{Body, SignedIn, with_db};
use crate::{AppState, accounts, error::AppError, sync::ends::Ended};

/// The person, their programs and roles, their pairs, and the names of the people they work with.
pub(super) async fn me(State(state): State<AppState>, signed_in: SignedIn) -> Result<Json<Me>, AppError> {
    with_db(&state, move |db| {
        let (people, cohorts) = accounts::colleagues_of(db, &signed_in.person)?;
        Ok(Json(Me {
            person: accounts::person(db, &signed_in.person)?,
            memberships: accounts::memberships_of(db, &signed_in.person)?,
            pairs: accounts::pairs_of_person(db, &signed_in.person)?,
            people,
            cohorts,
        }))
    })
    .await
}

/// Changes the password (the current one is asked for) and ends the person's other sessions,
/// closing the sockets they opened.
pub(super) async fn change_password(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Body(body): Body<PasswordChange>,
) -> Result<StatusCode, AppError> {
    let (person, keep) = (signed_in.person.clone(), accounts::secret_hash(&signed_in.secret));
    with_db(&state, move |db| {
        accounts::change_password(db, &signed_in.person, &body.current, &body.new, &signed_in.secret)?;
        Ok(())
    })
    .await?;
    state.session_ends.announce(Ended::SessionsOf { person, except: Some(keep) });
    Ok(StatusCode::NO_CONTENT)
}
