//! `POST /graphql`: executes a request for the [`Caller`] the HTTP edge described (no token
//! is anonymous; a bad, expired or tampered token was refused there with `401
//! UNAUTHENTICATED`, never silently anonymous).

use std::time::Instant;

use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::{
    error::AppError,
    graphql::{
        context::RequestData,
        error::{codes, localize, retry_after},
        loaders::Loaders,
    },
    http::{
        HttpState,
        edge::{Caller, OperationName},
    },
};

/// A bounded label for metrics: the operation name if it is a plain identifier.
fn operation_label(name: Option<&str>) -> String {
    match name {
        Some(n)
            if !n.is_empty()
                && n.len() <= 64
                && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
        {
            n.to_owned()
        }
        Some(_) => "other".into(),
        None => "anonymous".into(),
    }
}

/// The name of the first operation of a document (`query Mine { … }` → `Mine`), read
/// without a full parse: only for the metrics label.
fn named_operation(query: &str) -> Option<&str> {
    let mut rest = query.trim_start();
    while let Some(comment) = rest.strip_prefix('#') {
        rest = comment
            .split_once('\n')
            .map(|(_, r)| r)
            .unwrap_or("")
            .trim_start();
    }
    let rest = ["query", "mutation", "subscription"]
        .iter()
        .find_map(|kw| rest.strip_prefix(kw))?;
    let rest = rest.trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

/// Executes one GraphQL request for the caller the edge described.
pub async fn graphql(
    State(state): State<HttpState>,
    caller: Caller,
    req: crate::http::upload::GraphQLUpload,
) -> Response {
    let started = Instant::now();
    let app = &state.app;
    let req = req.0;
    let op = operation_label(
        req.operation_name
            .as_deref()
            .or_else(|| named_operation(&req.query)),
    );
    let ctx = caller.ctx(app);
    let loaders = Loaders::new(&app.db, &ctx);
    let req = req.data(RequestData {
        ctx,
        lang: caller.lang,
        client_ip: caller.client_ip.clone(),
        loaders,
    });
    let schema = if crate::graphql::is_introspection_only(&req.query) {
        &state.introspection
    } else {
        &state.schema
    };
    let resp = localize(schema.execute(req).await, caller.lang);

    // A refusal the client can wait out gets its HTTP status and `Retry-After`, so plain
    // HTTP clients and proxies see it too: 503 for `UNAVAILABLE`, 429 for `RATE_LIMITED`.
    let retry = retry_after(&resp);
    let status = match retry {
        Some((_, true)) => StatusCode::SERVICE_UNAVAILABLE,
        Some((_, false)) => StatusCode::TOO_MANY_REQUESTS,
        None => StatusCode::OK,
    };
    let m = &app.metrics;
    for code in codes(&resp) {
        m.graphql_errors.with_label_values(&[code.as_str()]).inc();
    }
    m.http_requests
        .with_label_values(&[op.as_str(), status.as_str()])
        .inc();
    m.http_latency
        .with_label_values(&[op.as_str()])
        .observe(started.elapsed().as_secs_f64());

    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(caller.content_type),
    );
    if let Some((secs, _)) = retry {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    if resp.is_ok()
        && let Some(cache) = resp.cache_control.value()
        && let Ok(v) = HeaderValue::from_str(&cache)
    {
        headers.insert(header::CACHE_CONTROL, v);
    }
    headers.extend(resp.http_headers.clone());
    let body = match serde_json::to_vec(&resp) {
        Ok(b) => b,
        Err(e) => return caller.error(AppError::internal(e)).into_response(),
    };
    let mut r = (status, headers, body).into_response();
    r.extensions_mut().insert(OperationName(op));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_are_read_from_the_document() {
        assert_eq!(named_operation("query Mine { me { id } }"), Some("Mine"));
        assert_eq!(
            named_operation("# x\n mutation Save($a: Int) { x }"),
            Some("Save")
        );
        assert_eq!(named_operation("{ me { id } }"), None);
        assert_eq!(named_operation("query { me { id } }"), None);
    }
}
