//! `GET /api/me`, `PUT /api/me/password`, and `GET`/`DELETE /api/me/tokens`: the signed-in
//! person, their password and their own access tokens.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use tandem_api::{Me, PasswordChange, TokenEntry};

use super::{Body, SignedIn, passwords, with_db};
use crate::{AppState, accounts, client_addr::ClientAddr, error::AppError, sync::ends::Ended};

/// The person, their programs and roles, their pairs, the names of the people they work with,
/// and the purged documents their devices are to delete.
pub(super) async fn me(State(state): State<AppState>, signed_in: SignedIn) -> Result<Json<Me>, AppError> {
    with_db(&state, move |db| {
        let (people, cohorts) = accounts::colleagues_of(db, &signed_in.person)?;
        Ok(Json(Me {
            person: accounts::person(db, &signed_in.person)?,
            memberships: accounts::memberships_of(db, &signed_in.person)?,
            pairs: accounts::pairs_of_person(db, &signed_in.person)?,
            people,
            cohorts,
            purged: crate::storage::purge::notices_for(db, &signed_in.person)?,
        }))
    })
    .await
}

/// Changes the password (the current one is asked for, and throttled like a sign-in) and ends
/// the person's other sessions, closing the sockets they opened.
pub(super) async fn change_password(
    State(state): State<AppState>,
    signed_in: SignedIn,
    ClientAddr(address): ClientAddr,
    Body(body): Body<PasswordChange>,
) -> Result<StatusCode, AppError> {
    let id = signed_in.person.clone();
    let (person, stored) = with_db(&state, move |db| Ok(accounts::password_of_person(db, &id)?)).await?;
    if !passwords::check(&state, &address, &person.email, body.current, stored).await? {
        return Err(AppError::new(StatusCode::FORBIDDEN, "the current password is wrong"));
    }
    let hash = passwords::hash_new(&state, body.new).await?;
    let (id, keep) = (signed_in.person.clone(), signed_in.secret.clone());
    with_db(&state, move |db| Ok(accounts::set_password_hash(db, &id, &hash, Some(&keep))?)).await?;
    let keep = accounts::secret_hash(&signed_in.secret);
    super::end(&state, Ended::SessionsOf { person: signed_in.person, except: Some(keep) }).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The person's own access tokens, oldest first (ids and times, never secrets).
pub(super) async fn tokens(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Json<Vec<TokenEntry>>, AppError> {
    with_db(&state, move |db| {
        let tokens = accounts::tokens_of(db, &signed_in.person)?;
        Ok(Json(
            tokens
                .into_iter()
                .map(|t| TokenEntry {
                    id: t.id,
                    label: t.label,
                    created_ms: t.created_ms,
                    expires_ms: t.expires_ms,
                })
                .collect(),
        ))
    })
    .await
}

/// Revokes one of the person's own tokens and closes the sockets it opened.
pub(super) async fn revoke_token(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let hash = with_db(&state, move |db| Ok(accounts::revoke_own_token(db, &signed_in.person, &id)?)).await?;
    super::end(&state, Ended::Secret(hash)).await?;
    Ok(StatusCode::NO_CONTENT)
}
