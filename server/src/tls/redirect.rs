//! The plain-HTTP port of an HTTPS relay: it only sends devices to the https address.
//!
//! Nothing is served over plain HTTP, not even `/healthz`: a page or a session cookie must never
//! travel unencrypted, and a person who types the bare host name lands on the secure app.

use axum::{
    Router,
    extract::Request,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

/// A router answering every request with a permanent redirect to the same path over https on
/// `https_port`.
pub fn router(https_port: u16) -> Router {
    Router::new().fallback(move |request: Request| async move { redirect(&request, https_port) })
}

fn redirect(request: &Request, https_port: u16) -> Response {
    let Some(host) = request.headers().get(header::HOST).and_then(|h| h.to_str().ok()).map(host_without_port)
    else {
        return (
            StatusCode::BAD_REQUEST,
            "this port only redirects to https; open the relay's https address\n",
        )
            .into_response();
    };
    let port = if https_port == 443 { String::new() } else { format!(":{https_port}") };
    let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
    match HeaderValue::try_from(format!("https://{host}{port}{path}")) {
        // 308 keeps the method and body, unlike 301.
        Ok(location) => (StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, location)]).into_response(),
        Err(_) => (StatusCode::BAD_REQUEST, "bad Host header\n").into_response(),
    }
}

/// `school.example:80` → `school.example`; `[fd00::1]:80` → `[fd00::1]`.
fn host_without_port(host: &str) -> &str {
    match host.rfind(':') {
        Some(colon) if !host[colon..].contains(']') => &host[..colon],
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use tower::ServiceExt;

    use super::*;

    async fn location(https_port: u16, host: &str, path: &str) -> (StatusCode, Option<String>) {
        let request = Request::builder().uri(path).header(header::HOST, host).body(Body::empty()).unwrap();
        let response = router(https_port).oneshot(request).await.unwrap();
        let location = response.headers().get(header::LOCATION).map(|l| l.to_str().unwrap().to_owned());
        (response.status(), location)
    }

    #[tokio::test]
    async fn every_request_is_sent_to_the_same_path_over_https() {
        assert_eq!(
            location(443, "tandem.school.test", "/pairs/p1?x=1").await,
            (StatusCode::PERMANENT_REDIRECT, Some("https://tandem.school.test/pairs/p1?x=1".into()))
        );
        assert_eq!(
            location(8443, "tandem.school.test:8080", "/api/me").await,
            (StatusCode::PERMANENT_REDIRECT, Some("https://tandem.school.test:8443/api/me".into()))
        );
        assert_eq!(
            location(8443, "[fd00::1]:8080", "/").await,
            (StatusCode::PERMANENT_REDIRECT, Some("https://[fd00::1]:8443/".into()))
        );
    }
}
