//! The relay's JSON API, as the app uses it: signing in and out, who the person is, which
//! documents they may read, and claiming a new document for its audience.
//!
//! The session is an HttpOnly cookie the browser sends by itself (same origin); this code never
//! sees it. Every call distinguishes "the network is not there" ([`ApiError::Offline`]), which the
//! app rides out with what it has stored, from "the relay said no" ([`ApiError::Refused`]).

use serde::{Deserialize, Serialize, de::DeserializeOwned};
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
    /// Another status, with the relay's message.
    #[error("{message}")]
    Refused { status: u16, message: String },
    #[error("the server's answer was not understood: {0}")]
    Malformed(String),
}

/// `GET /api/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    /// The relay sends the person's fields at the top level, beside their memberships and pairs.
    #[serde(flatten)]
    pub person: Person,
    pub memberships: Vec<Membership>,
    pub pairs: Vec<Pair>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: String,
    pub email: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub program_id: String,
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pair {
    pub id: String,
    pub program_id: String,
    pub mentor_id: Option<String>,
    pub associate_id: Option<String>,
}

/// Who may see a document (the relay's record of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Audience {
    Private,
    Pair { pair_id: String },
    Program { program_id: String },
}

/// One entry of `GET /api/documents`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentEntry {
    pub id: String,
    pub audience: Audience,
    pub owner_id: String,
    pub access: String,
}

#[derive(Debug, Serialize)]
struct SignIn<'a> {
    email: &'a str,
    password: &'a str,
}

#[derive(Debug, Serialize)]
struct Claim<'a> {
    id: &'a str,
    audience: &'a Audience,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: String,
}

pub async fn sign_in(email: &str, password: &str) -> Result<(), ApiError> {
    call::<serde_json::Value>("POST", "api/session", Some(&SignIn { email, password })).await.map(drop)
}

pub async fn sign_out() -> Result<(), ApiError> {
    call::<serde_json::Value>("DELETE", "api/session", None::<&()>).await.map(drop)
}

pub async fn me() -> Result<Me, ApiError> {
    call("GET", "api/me", None::<&()>).await
}

pub async fn documents() -> Result<Vec<DocumentEntry>, ApiError> {
    call("GET", "api/documents", None::<&()>).await
}

/// Records who may see a document this person made. Claiming again for the same audience is fine.
pub async fn claim(id: &str, audience: &Audience) -> Result<(), ApiError> {
    call::<serde_json::Value>("POST", "api/documents", Some(&Claim { id, audience })).await.map(drop)
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
        _ => {
            let message = serde_json::from_str::<ErrorBody>(&text)
                .map(|b| b.error)
                .unwrap_or_else(|_| format!("the server answered {status}"));
            Err(ApiError::Refused { status, message })
        }
    }
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    #[wasm_bindgen_test]
    fn the_relays_answers_parse() {
        let me: Me = serde_json::from_str(
            r#"{"id":"u1","email":"a@b","name":"Grace",
                "memberships":[{"program_id":"p","person_id":"u1","role":"mentor"}],
                "pairs":[{"id":"pr","program_id":"p","cohort_id":null,"mentor_id":"u1","associate_id":"u2"}]}"#,
        )
        .unwrap();
        assert_eq!(me.pairs[0].associate_id.as_deref(), Some("u2"));
        let docs: Vec<DocumentEntry> = serde_json::from_str(
            r#"[{"id":"d","audience":{"kind":"pair","pair_id":"pr"},"owner_id":"u1","access":"write"}]"#,
        )
        .unwrap();
        assert_eq!(docs[0].audience, Audience::Pair { pair_id: "pr".into() });
        assert_eq!(
            serde_json::to_string(&Audience::Pair { pair_id: "pr".into() }).unwrap(),
            r#"{"kind":"pair","pair_id":"pr"}"#
        );
    }
}
