//! `POST /api/session` (sign in) and `DELETE /api/session` (sign out).

use axum::{
    Json,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use tandem_api::SignIn;

use super::{Body, SESSION_COOKIE, SignedIn, with_db};
use crate::{
    AppState,
    accounts::{self, throttle::Key},
    client_addr::ClientAddr,
    error::AppError,
    sync::ends::Ended,
};

/// Signs in: throttled per account and per client address, and answered with the person.
pub(super) async fn sign_in(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    Body(body): Body<SignIn>,
) -> Result<Response, AppError> {
    let now = state.now_ms();
    let keys = [Key::Account(body.email.trim().to_lowercase()), Key::Address(address)];
    if let Err(wait) = state.throttle.check(&keys, now) {
        return Err(AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("too many failed sign-ins; try again in {} seconds", wait.as_secs().max(1)),
        )
        .retry_after(wait));
    }
    let lifetime = state.auth.session_lifetime.as_millis() as i64;
    let signed_in = with_db(&state, move |db| {
        let Some(person) = accounts::check_sign_in(db, &body.email, &body.password)? else { return Ok(None) };
        let secret = accounts::create_session(db, &person.id, now, lifetime)?;
        Ok(Some((person, secret)))
    })
    .await?;
    let Some((person, secret)) = signed_in else {
        state.throttle.failed(&keys, now);
        return Err(AppError::unauthorized("wrong email or password"));
    };
    state.throttle.succeeded(&keys[0]);
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
    state.session_ends.announce(Ended::Secret(accounts::secret_hash(&signed_in.secret)));
    let cookie = session_cookie(&state, "", 0);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}
