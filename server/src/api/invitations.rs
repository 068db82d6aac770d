//! Invitations: a coordinator makes a one-time sign-up link (`POST
//! /api/programs/{program}/invitations`); whoever holds it sees what it invites them to (`GET
//! /api/invitations/{token}`) and takes it with a password (`POST /api/invitations/{token}`),
//! which signs them in. The program's coordinators list those still open (`GET
//! /api/programs/{program}/invitations`) and withdraw one (`DELETE .../invitations/{id}`). The
//! rules are `accounts::invitations`'.

use axum::{
    Json,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use tandem_api::{AcceptInvitation, InvitationLink, InvitationView, NewInvitation, PendingInvitation};

use super::{Body, SignedIn, auth::require_coordinator, passwords, session::session_cookie, with_db};
use crate::{
    AppState,
    accounts::{self, invitations},
    client_addr::ClientAddr,
    error::AppError,
    storage::atomically,
};

const DAY_MS: i64 = 24 * 3600 * 1000;

pub(super) async fn invite(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(program): Path<String>,
    Body(body): Body<NewInvitation>,
) -> Result<(StatusCode, Json<InvitationLink>), AppError> {
    let now = state.now_ms();
    let lifetime = body
        .expires_in_days
        .map_or(state.auth.invitation_lifetime.as_millis() as i64, |d| i64::from(d) * DAY_MS);
    with_db(&state, move |db| {
        require_coordinator(db, &program, &signed_in.person)?;
        let link = invitations::invite(
            db,
            &program,
            &body.email,
            &body.name,
            body.role,
            &signed_in.person,
            now,
            lifetime,
        )?;
        Ok((StatusCode::CREATED, Json(InvitationLink { token: link.secret, expires_ms: link.expires_ms })))
    })
    .await
}

/// The program's invitations not yet taken, withdrawn or expired, oldest first.
pub(super) async fn pending(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(program): Path<String>,
) -> Result<Json<Vec<PendingInvitation>>, AppError> {
    let now = state.now_ms();
    with_db(&state, move |db| {
        require_coordinator(db, &program, &signed_in.person)?;
        let listed = invitations::pending(db, &program, now)?
            .into_iter()
            .map(|p| PendingInvitation {
                id: p.id,
                email: p.invitation.email,
                name: p.invitation.name,
                role: p.invitation.role,
                created_ms: p.invitation.created_ms,
                expires_ms: p.invitation.expires_ms,
            })
            .collect();
        Ok(Json(listed))
    })
    .await
}

/// Withdraws one of the program's invitations: its link stops working at once.
pub(super) async fn revoke(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((program, id)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    let now = state.now_ms();
    with_db(&state, move |db| {
        require_coordinator(db, &program, &signed_in.person)?;
        invitations::revoke(db, &program, &id, now)?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

pub(super) async fn view(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<InvitationView>, AppError> {
    let now = state.now_ms();
    with_db(&state, move |db| {
        let invitation = invitations::invitation(db, &token, now)?;
        Ok(Json(InvitationView {
            program_name: accounts::program_name(db, &invitation.program_id)?,
            email: invitation.email,
            name: invitation.name,
            role: invitation.role,
            expires_ms: invitation.expires_ms,
        }))
    })
    .await
}

/// Takes the invitation and signs its taker in on this device. For an email that has an account,
/// the password is that account's own, checked as a sign-in is (throttled, off the lock).
pub(super) async fn accept(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    Path(token): Path<String>,
    Body(body): Body<AcceptInvitation>,
) -> Result<Response, AppError> {
    let lookup = token.clone();
    let now = state.now_ms();
    let existing = with_db(&state, move |db| Ok(invitations::taker_of(db, &lookup, now)?)).await?;
    let taker = match existing {
        Some((person, stored)) => {
            if !passwords::check(&state, &address, &person.email, body.password, stored).await? {
                return Err(AppError::new(
                    StatusCode::FORBIDDEN,
                    "this email already has a Tandem account: enter that account's password",
                ));
            }
            Taken::Existing(person)
        }
        None => Taken::New(passwords::hash_new(&state, body.password).await?),
    };
    let now = state.now_ms();
    let lifetime = state.auth.session_lifetime.as_millis() as i64;
    let (person, secret) = with_db(&state, move |db| {
        Ok(atomically(db, |db| {
            let taker = match &taker {
                Taken::Existing(person) => invitations::Taker::Existing(person),
                Taken::New(hash) => invitations::Taker::New { password_hash: hash },
            };
            let person = invitations::accept(db, &token, taker, now)?;
            let secret = accounts::create_session(db, &person.id, now, lifetime)?;
            Ok::<_, accounts::AccountError>((person, secret))
        })?)
    })
    .await?;
    let cookie = session_cookie(&state, &secret, state.auth.session_lifetime.as_secs());
    Ok(([(header::SET_COOKIE, cookie)], Json(person)).into_response())
}

/// What [`invitations::Taker`] is made of, owned to cross to the database's thread.
enum Taken {
    Existing(accounts::Person),
    New(String),
}
