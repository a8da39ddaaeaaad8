//! CORS (`KC_CORS_ORIGINS`) and the security headers every response carries.

use std::time::Duration;

use axum::{
    http::{HeaderName, HeaderValue, Method, header},
    response::Response,
};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::config::CorsOrigins;

/// The CORS layer of the configuration, `None` for same-origin only (no CORS headers; a
/// preflight is then refused like any unknown `OPTIONS`).
///
/// Credentials (cookies) are never allowed: the API authenticates with a bearer token the
/// front end sends itself. With `*`, `Authorization` is not an allowed header, so another
/// site can only make anonymous calls (the public catalogue).
pub fn cors(origins: &CorsOrigins) -> Option<CorsLayer> {
    let mut headers = vec![
        header::CONTENT_TYPE,
        header::ACCEPT,
        header::ACCEPT_LANGUAGE,
        HeaderName::from_static("idempotency-key"),
        HeaderName::from_static("x-request-id"),
    ];
    let origin = match origins {
        CorsOrigins::None => return None,
        CorsOrigins::Any => AllowOrigin::any(),
        CorsOrigins::List(list) => {
            headers.push(header::AUTHORIZATION);
            AllowOrigin::list(
                list.iter()
                    .filter_map(|o| HeaderValue::from_str(o).ok())
                    .collect::<Vec<_>>(),
            )
        }
    };
    Some(
        CorsLayer::new()
            .allow_origin(origin)
            .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
            .allow_headers(headers)
            .expose_headers([
                header::RETRY_AFTER,
                header::CONTENT_DISPOSITION,
                HeaderName::from_static("x-request-id"),
            ])
            .max_age(Duration::from_secs(600)),
    )
}

/// The policy of every response that sets none itself: an API answer loads nothing.
const DEFAULT_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Adds `X-Content-Type-Options`, `Referrer-Policy`, `X-Frame-Options` and a
/// `Content-Security-Policy` (unless the handler chose one, as GraphiQL's page does).
pub async fn headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DEFAULT_CSP),
        );
    }
    resp
}
