//! Every password the API checks goes through [`check`]: counted by the throttle first (429 with
//! `Retry-After` while the person's attempts wait), then verified on the [`accounts::Hasher`],
//! holding no lock, so nobody else's request waits behind argon2.

use axum::http::StatusCode;

use super::with_db;
use crate::{
    AppState,
    accounts::{self, throttle},
    error::AppError,
};

/// Whether `password` matches `stored` (the hash of `email`'s account, `None` for no account or
/// no password), as a throttled attempt from `address`. A wrong password stays counted; a right
/// one gives its attempt back.
pub(super) async fn check(
    state: &AppState,
    address: &str,
    email: &str,
    password: String,
    stored: Option<String>,
) -> Result<bool, AppError> {
    let (now, keys) = (state.now_ms(), throttle::keys(email, address));
    let config = state.auth.throttle.clone();
    let attempt = with_db(state, move |db| {
        // Now and then, forget keys nobody has tried for a long time (guessed emails pile up).
        if rand::random::<u8>() == 0 {
            throttle::forget_quiet(db, &config, now)?;
        }
        Ok(throttle::attempt(db, &config, keys, now)?)
    })
    .await?;
    let attempt = attempt.map_err(|wait| {
        AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("too many failed sign-ins; try again in {} seconds", wait.as_secs().max(1)),
        )
        .retry_after(wait)
    })?;
    if !state.passwords.matches(password, stored).await {
        return Ok(false);
    }
    let config = state.auth.throttle.clone();
    with_db(state, move |db| Ok(attempt.succeeded(db, &config)?)).await?;
    Ok(true)
}

/// Checks and hashes a new password (on the [`accounts::Hasher`]).
pub(super) async fn hash_new(state: &AppState, password: String) -> Result<String, AppError> {
    accounts::check_password(&password)?;
    Ok(state.passwords.hash(password).await)
}
