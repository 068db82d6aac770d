//! Headers every response carries, whatever answered it (the API, the sync endpoint's refusals,
//! the web app's files, errors):
//! - `X-Content-Type-Options: nosniff`: a file is only ever what its type says;
//! - `Content-Security-Policy`: scripts only from the relay itself, never inline (an injected
//!   `<script>` or `onclick` attribute does nothing), with `'wasm-unsafe-eval'` so the app's
//!   WebAssembly may be compiled; `frame-ancestors 'none'` (and `X-Frame-Options: DENY` for older
//!   browsers): no other page may frame the app to trick a tap; `base-uri 'none'` and
//!   `object-src 'none'`: nothing the app does not use. The browser tests fail on any violation;
//! - `Referrer-Policy: no-referrer`: an address (which may carry `?token=`) never leaves in a
//!   `Referer`;
//! - HSTS whenever the relay is reached over https (`--secure-cookies` behind a proxy; the
//!   relay's own TLS adds it too).
//!
//! API answers also carry `Cache-Control: no-store` (they name people and their documents).

use axum::{
    Router,
    http::{HeaderName, HeaderValue, header},
};
use tower_http::set_header::SetResponseHeaderLayer;

/// The policy: restrictions the app's code never needs lifted. The app's start-up script is a file
/// (`start.js`); styles are not restricted (the app sets some through `style` attributes).
pub const CSP: &str =
    "script-src 'self' 'wasm-unsafe-eval'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// Adds the security headers to every response of `router`.
pub fn secure<S: Clone + Send + Sync + 'static>(router: Router<S>, https: bool) -> Router<S> {
    let set = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    let router = router
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(set(header::CONTENT_SECURITY_POLICY, CSP))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
        .layer(set(header::REFERRER_POLICY, "no-referrer"));
    if https { router.layer(set(header::STRICT_TRANSPORT_SECURITY, crate::tls::HSTS)) } else { router }
}

/// `Cache-Control: no-store` on every answer of `router` (the API).
pub fn no_store<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router.layer(SetResponseHeaderLayer::overriding(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    ))
}
