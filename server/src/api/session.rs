//! `POST /api/session` (sign in) and `DELETE /api/session` (sign out).

use axum::{
    Json,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use tandem_api::SignIn;

use super::{Body, SESSION_COOKIE, SignedIn, passwords, with_db};
use crate::{AppState, accounts, client_addr::ClientAddr, error::AppError, sync::ends::Ended};

/// Signs in: throttled per account and address ([`super::passwords::check`]), and answered with
/// the person.
pub(super) async fn sign_in(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    Body(body): Body<SignIn>,
) -> Result<Response, AppError> {
    let email = body.email.clone();
    let found = with_db(&state, move |db| Ok(accounts::password_of_email(db, &email)?)).await?;
    let (person, stored) = found.map_or((None, None), |(person, hash)| (Some(person), hash));
    let matched = passwords::check(&state, &address, &body.email, body.password, stored).await?;
    let Some(person) = person.filter(|_| matched) else {
        return Err(AppError::unauthorized("wrong email or password"));
    };
    let (now, lifetime) = (state.now_ms(), state.auth.session_lifetime.as_millis() as i64);
    let id = person.id.clone();
    let secret = with_db(&state, move |db| Ok(accounts::create_session(db, &id, now, lifetime)?)).await?;
    let cookie = session_cookie(&state, &secret, state.auth.session_lifetime.as_secs());
    Ok(([(header::SET_COOKIE, cookie)], Json(person)).into_response())
}

pub(super) fn session_cookie(state: &AppState, secret: &str, max_age_secs: u64) -> String {
    let secure = if state.auth.secure_cookies { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age_secs}{secure}")
}

/// Signs out: ends this session only (or revokes the access token the request carried), closes
/// the sockets it opened, and clears the cookie.
pub(super) async fn sign_out(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, AppError> {
    let secret = signed_in.secret.clone();
    with_db(&state, move |db| Ok(accounts::end_session(db, &secret)?)).await?;
    super::end(&state, Ended::Secret(accounts::secret_hash(&signed_in.secret))).await?;
    let cookie = session_cookie(&state, "", 0);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}
