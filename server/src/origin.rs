//! Which pages may use the relay with a person's cookie: the relay's own origin, and those named
//! with `--allowed-origin` (a relay behind a proxy that rewrites `Host`, an app served elsewhere).
//!
//! SameSite=Strict keeps the cookie from other *sites*, but a page on a sibling subdomain of the
//! school's domain, or on another port of the relay's host, is the same site: the browser sends
//! the cookie with its WebSocket upgrade and its `fetch`es. Browsers always name the page's
//! origin in `Origin` on those, so the relay compares it with the host it was asked for. A request
//! without `Origin` is not from a page (the native client, scripts, other automerge-repo peers)
//! and is let through: a cookie or token is still needed.

use axum::{
    extract::{Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{AppState, error::AppError};

/// For `/sync`: every upgrade is checked (it is a GET, but it reads and writes documents).
pub async fn always(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match refusal(&request, &state.auth.allowed_origins) {
        Some(refused) => refused.into_response(),
        None => next.run(request).await,
    }
}

/// For the API: requests that change something (anything but GET, HEAD, OPTIONS). A page on
/// another origin cannot read the answers of the others (the browser keeps them from it).
pub async fn for_changes(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method().is_safe() {
        return next.run(request).await;
    }
    match refusal(&request, &state.auth.allowed_origins) {
        Some(refused) => refused.into_response(),
        None => next.run(request).await,
    }
}

/// The refusal for a request from a page whose origin is neither the relay's nor allowed.
fn refusal(request: &Request, allowed: &[String]) -> Option<AppError> {
    let origin = request.headers().get(header::ORIGIN)?;
    // HTTP/1.1 names the host in `Host`; HTTP/2 in the `:authority` the URI carries.
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()));
    let accepted = origin.to_str().is_ok_and(|origin| is_accepted(origin, host, allowed));
    if accepted {
        return None;
    }
    tracing::info!(origin = ?origin, "refused a request from a page on another origin");
    Some(AppError::new(
        StatusCode::FORBIDDEN,
        "this request came from a page on another origin; open Tandem at its own address (or have the relay started with --allowed-origin for that page)",
    ))
}

/// `origin` is `scheme://host[:port]` (or `null` from sandboxed pages, never accepted).
fn is_accepted(origin: &str, host: Option<&str>, allowed: &[String]) -> bool {
    let origin = origin.trim_end_matches('/');
    if allowed.iter().any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(origin)) {
        return true;
    }
    let Some((_scheme, authority)) = origin.split_once("://") else { return false };
    host.is_some_and(|host| host.eq_ignore_ascii_case(authority))
}

#[cfg(test)]
mod tests {
    use super::is_accepted;

    #[test]
    fn only_the_host_asked_for_or_a_listed_origin_is_accepted() {
        let listed = vec!["https://tandem.school.test/".to_owned()];
        assert!(is_accepted("http://127.0.0.1:8080", Some("127.0.0.1:8080"), &[]));
        assert!(is_accepted("https://Tandem.School.test", Some("10.0.0.5:8080"), &listed));
        assert!(!is_accepted("http://127.0.0.1:8081", Some("127.0.0.1:8080"), &[]));
        assert!(!is_accepted("http://evil.school.test", Some("tandem.school.test"), &listed));
        assert!(!is_accepted("null", Some("tandem.school.test"), &[]));
        assert!(!is_accepted("http://tandem.school.test", None, &[]));
    }
}
