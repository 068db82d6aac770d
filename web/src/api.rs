//! The relay's JSON API, as the app uses it: signing in and out, who the person is, which
//! documents they may read, claiming a new document for its audience, taking an invitation, and
//! the coordinator's console (a program's people, invitations, cohorts and pairs).
//!
//! The bodies are `tandem_api`'s types, the ones the relay answers with.
//!
//! The session is an HttpOnly cookie the browser sends by itself (same origin); this code never
//! sees it. Every call distinguishes "the network is not there" ([`ApiError::Offline`]), which the
//! app rides out with what it has stored, from "the relay said no" ([`ApiError::Refused`]).

use serde::{Serialize, de::DeserializeOwned};
use tandem_api::{
    AcceptInvitation, Audience, Claim, ClaimRequest, Cohort, DiscardRequest, Discarded, DocumentEntry,
    ErrorBody, InvitationClosed, InvitationLink, InvitationView, Me, NewCohort, NewInvitation, NewPair, Pair,
    PairChange, PendingInvitation, Person, ProgramProgress, ProgramView, Role, RoleChange, SignIn,
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestCredentials, RequestInit, Response};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("the school's server cannot be reached right now")]
    Offline,
    /// 401: no valid session.
    #[error("you are not signed in (or your session ended)")]
    SignedOut,
    /// 410 from `GET /api/me`: the person was purged (deleted for good at the end of the
    /// retention period); the device deletes what it kept of them.
    #[error("this account was deleted for good")]
    AccountDeleted,
    /// Another status, with the relay's message.
    #[error("{message}")]
    Refused { status: u16, message: String },
    /// 410 for an invitation link that can no longer be taken, and why.
    #[error("{message}")]
    InvitationClosed { why: InvitationClosed, message: String },
    #[error("the server's answer was not understood: {0}")]
    Malformed(String),
}

pub async fn sign_in(email: &str, password: &str) -> Result<Person, ApiError> {
    let body = SignIn { email: email.to_owned(), password: password.to_owned() };
    call("POST", "api/session", Some(&body)).await
}

pub async fn sign_out() -> Result<(), ApiError> {
    call("DELETE", "api/session", None::<&()>).await
}

pub async fn me() -> Result<Me, ApiError> {
    match call("GET", "api/me", None::<&()>).await {
        Err(ApiError::Refused { status: 410, .. }) => Err(ApiError::AccountDeleted),
        other => other,
    }
}

pub async fn documents() -> Result<Vec<DocumentEntry>, ApiError> {
    call("GET", "api/documents", None::<&()>).await
}

/// Records who may see a document this person made. Claiming again for the same audience is fine.
pub async fn claim(id: &str, audience: &Audience) -> Result<Claim, ApiError> {
    let body = ClaimRequest { id: id.to_owned(), audience: audience.clone() };
    call("POST", "api/documents", Some(&body)).await
}

/// Discards a draft and the mentor's private notes about it from the relay, for good. Asking
/// again for what is already gone is fine.
pub async fn discard(draft: &str, notes: &[String]) -> Result<Discarded, ApiError> {
    let body = DiscardRequest { draft: draft.to_owned(), notes: notes.to_vec() };
    call("POST", "api/documents/discard", Some(&body)).await
}

/// What an invitation link invites its holder to (no session needed).
pub async fn invitation(token: &str) -> Result<InvitationView, ApiError> {
    call("GET", &format!("api/invitations/{}", part(token)), None::<&()>).await
}

/// Takes an invitation with a password; the relay signs the person in (sets the cookie).
pub async fn accept_invitation(token: &str, password: &str) -> Result<Person, ApiError> {
    let body = AcceptInvitation { password: password.to_owned() };
    call("POST", &format!("api/invitations/{}", part(token)), Some(&body)).await
}

pub async fn program(program: &str) -> Result<ProgramView, ApiError> {
    call("GET", &format!("api/programs/{}", part(program)), None::<&()>).await
}

/// The program's pairs' shared records, counted (the console's Progress tab).
pub async fn progress(program: &str) -> Result<ProgramProgress, ApiError> {
    call("GET", &format!("api/programs/{}/progress", part(program)), None::<&()>).await
}

pub async fn invite(program: &str, invitation: &NewInvitation) -> Result<InvitationLink, ApiError> {
    call("POST", &format!("api/programs/{}/invitations", part(program)), Some(invitation)).await
}

/// The program's invitations not yet taken, withdrawn or expired (never their links).
pub async fn pending_invitations(program: &str) -> Result<Vec<PendingInvitation>, ApiError> {
    call("GET", &format!("api/programs/{}/invitations", part(program)), None::<&()>).await
}

/// Withdraws an invitation: its link stops working.
pub async fn withdraw_invitation(program: &str, id: &str) -> Result<(), ApiError> {
    let path = format!("api/programs/{}/invitations/{}", part(program), part(id));
    call("DELETE", &path, None::<&()>).await
}

pub async fn set_role(program: &str, person: &str, role: Role) -> Result<(), ApiError> {
    let path = format!("api/programs/{}/people/{}", part(program), part(person));
    call("PUT", &path, Some(&RoleChange { role })).await
}

/// Takes someone out of the program and so out of its pairs.
pub async fn remove_person(program: &str, person: &str) -> Result<(), ApiError> {
    call("DELETE", &format!("api/programs/{}/people/{}", part(program), part(person)), None::<&()>).await
}

pub async fn add_cohort(program: &str, name: &str) -> Result<Cohort, ApiError> {
    let body = NewCohort { id: None, name: name.to_owned() };
    call("POST", &format!("api/programs/{}/cohorts", part(program)), Some(&body)).await
}

pub async fn add_pair(program: &str, pair: &NewPair) -> Result<Pair, ApiError> {
    call("POST", &format!("api/programs/{}/pairs", part(program)), Some(pair)).await
}

pub async fn change_pair(pair: &str, change: &PairChange) -> Result<Pair, ApiError> {
    call("PATCH", &format!("api/pairs/{}", part(pair)), Some(change)).await
}

/// One path segment, escaped.
fn part(segment: &str) -> String {
    String::from(js_sys::encode_uri_component(segment))
}

async fn call<T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: Option<&impl Serialize>,
) -> Result<T, ApiError> {
    let init = RequestInit::new();
    init.set_method(method);
    init.set_credentials(RequestCredentials::SameOrigin);
    if let Some(body) = body {
        let json = serde_json::to_string(body).map_err(|e| ApiError::Malformed(e.to_string()))?;
        init.set_body(&JsValue::from_str(&json));
    }
    let request = Request::new_with_str_and_init(path, &init).map_err(|_| ApiError::Offline)?;
    let headers = request.headers();
    let _ = headers.set("Accept", "application/json");
    if body.is_some() {
        let _ = headers.set("Content-Type", "application/json");
    }
    let window = web_sys::window().ok_or(ApiError::Offline)?;
    // fetch rejects only when there is no answer at all (no network, relay down).
    let response: Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|_| ApiError::Offline)?
        .dyn_into()
        .map_err(|_| ApiError::Offline)?;
    let status = response.status();
    let text = match response.text() {
        Ok(promise) => JsFuture::from(promise).await.ok().and_then(|t| t.as_string()).unwrap_or_default(),
        Err(_) => String::new(),
    };
    match status {
        200..=299 => {
            let text = if text.is_empty() { "null" } else { &text };
            serde_json::from_str(text).map_err(|e| ApiError::Malformed(e.to_string()))
        }
        401 => Err(ApiError::SignedOut),
        // A service worker or proxy answering for an unreachable relay.
        502..=504 => Err(ApiError::Offline),
        _ => match serde_json::from_str::<ErrorBody>(&text) {
            Ok(ErrorBody { error, invitation: Some(why) }) => {
                Err(ApiError::InvitationClosed { why, message: error })
            }
            Ok(body) => Err(ApiError::Refused { status, message: body.error }),
            Err(_) => Err(ApiError::Refused { status, message: format!("the server answered {status}") }),
        },
    }
}
