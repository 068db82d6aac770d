//! Serving the built web app: the files `cargo xtask dist` writes, precompressed with brotli.
//!
//! Every file is served `Cache-Control: no-cache`: the browser revalidates, and the service
//! worker (not HTTP caching) is what makes the app open offline. Where the app has not been built,
//! the page says how to build it rather than answering 404.

use std::{convert::Infallible, path::Path};

use axum::{
    body::Body,
    http::{HeaderValue, Request, StatusCode, header},
    response::{Html, IntoResponse, Response},
};
use tower::{ServiceExt, service_fn, util::BoxCloneSyncService};
use tower_http::{services::ServeDir, set_header::SetResponseHeaderLayer};

/// The page shown in place of the app while `web_dir` holds no `index.html`.
const NOT_BUILT_PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tandem: web app not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>The Tandem relay is running, but the web app is not built</h1>
<p>Build it and serve it with <code>cargo xtask serve</code>, or build it alone with
<code>cargo xtask dist</code> and point the relay at it with <code>tandem serve --web-dir web/dist</code>.</p>
</body></html>
"#;

/// A service answering every request the router has no route for with a file of the web app.
pub fn service(web_dir: &Path) -> BoxCloneSyncService<Request<Body>, Response, Infallible> {
    let web_dir = web_dir.to_owned();
    let files = tower::ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        .service(ServeDir::new(&web_dir).precompressed_br().precompressed_gzip());
    BoxCloneSyncService::new(service_fn(move |request: Request<Body>| {
        let files = files.clone();
        let built = web_dir.join("index.html").is_file();
        async move {
            if !built {
                return Ok((StatusCode::SERVICE_UNAVAILABLE, Html(NOT_BUILT_PAGE)).into_response());
            }
            Ok(files.oneshot(request).await.map(IntoResponse::into_response).unwrap_or_else(|e| match e {}))
        }
    }))
}
