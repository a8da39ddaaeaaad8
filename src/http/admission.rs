//! Admission in front of `/graphql` (POST), `/export` and `/documents`: one of
//! `KC_MAX_IN_FLIGHT` slots ([`crate::guard::Guard`]), waited for at most
//! `KC_QUEUE_TIMEOUT_MS`, or 503 `UNAVAILABLE` with `Retry-After`.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{HeaderValue, Method, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{
    error::{AppError, BUSY_RETRY_AFTER_SECS, Lang},
    state::AppState,
};

/// A GraphQL-shaped error body (`errors[0].extensions.code`) with the right status:
/// 503 + `Retry-After` for `UNAVAILABLE`, 429 for `RATE_LIMITED`.
pub fn error_response(err: AppError, lang: Lang) -> Response {
    // The same statuses as the HTTP edge (`http::edge::status_of`): 401 for a revoked token.
    let status = super::edge::status_of(err.code);
    let retry = err.retry_after();
    let body = crate::graphql::error::error_response(err, lang);
    let mut r = async_graphql_axum::GraphQLResponse::from(body).into_response();
    *r.status_mut() = status;
    if let Some(secs) = retry {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    r
}

/// The guard in front of `/graphql` (POST) and `/export`.
pub async fn middleware(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let guarded = (path == "/graphql" && req.method() == Method::POST)
        || path.starts_with("/export/")
        || path.starts_with("/documents/");
    if !guarded {
        return next.run(req).await;
    }
    let lang = Lang::from_accept_language(
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let guard = &app.guard;
    let permit = match tokio::time::timeout(
        guard.queue_timeout,
        Arc::clone(&guard.in_flight).acquire_owned(),
    )
    .await
    {
        Ok(Ok(p)) => p,
        _ => {
            app.metrics
                .graphql_errors
                .with_label_values(&["UNAVAILABLE"])
                .inc();
            return error_response(AppError::busy(BUSY_RETRY_AFTER_SECS), lang);
        }
    };
    let resp = next.run(req).await;
    drop(permit);
    resp
}
