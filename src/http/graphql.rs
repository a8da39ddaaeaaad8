//! `POST /graphql`: the bearer token becomes an [`Actor`] here, once. No token is anonymous;
//! a bad, expired or tampered token is `UNAUTHENTICATED`, never silently anonymous.

use std::{net::SocketAddr, time::Instant};

use async_graphql_axum::GraphQLResponse;
use axum::{
    extract::{ConnectInfo, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::{
    auth::actor::Actor,
    domain::Ctx,
    error::{AppError, Lang},
    graphql::{
        context::RequestData,
        error::{codes, error_response, localize},
        loaders::Loaders,
    },
    http::HttpState,
};

fn bearer(headers: &HeaderMap) -> Option<Result<&str, AppError>> {
    let value = headers.get(header::AUTHORIZATION)?;
    let parsed = value
        .to_str()
        .ok()
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then_some(token.trim())
        })
        .filter(|t| !t.is_empty())
        .ok_or_else(AppError::unauthenticated);
    Some(parsed)
}

fn client_ip(headers: &HeaderMap, peer: SocketAddr, trust_forwarded: bool) -> String {
    if trust_forwarded
        && let Some(first) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    {
        return first.to_owned();
    }
    peer.ip().to_string()
}

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

fn authenticate(state: &HttpState, headers: &HeaderMap) -> Result<Option<Actor>, AppError> {
    match bearer(headers) {
        None => Ok(None),
        Some(Err(e)) => Err(e),
        Some(Ok(token)) => state.app.keys.verify(token).map(Some),
    }
}

/// Executes one GraphQL request.
pub async fn graphql(
    State(state): State<HttpState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    req: crate::http::upload::GraphQLUpload,
) -> Response {
    let started = Instant::now();
    let app = &state.app;
    let lang = Lang::from_accept_language(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let ip = client_ip(&headers, peer, app.config.trust_forwarded_for);
    let req = req.0;
    let op = operation_label(
        req.operation_name
            .as_deref()
            .or_else(|| named_operation(&req.query)),
    );

    let finish = |resp: async_graphql::Response, status: StatusCode| {
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
        let mut r = GraphQLResponse::from(resp).into_response();
        *r.status_mut() = status;
        r
    };

    let actor = match authenticate(&state, &headers) {
        Ok(a) => a,
        Err(e) => return finish(error_response(e, lang), StatusCode::OK),
    };
    if let Err(e) = app
        .limiters
        .check_request(&ip, actor.as_ref().map(|a| a.user_id))
    {
        return finish(error_response(e, lang), StatusCode::TOO_MANY_REQUESTS);
    }

    let ctx = Ctx {
        actor,
        request_id,
        reference: app.reference(),
    };
    let loaders = Loaders::new(&app.db, &ctx);
    let req = req.data(RequestData {
        ctx,
        lang,
        client_ip: ip,
        loaders,
    });
    let schema = if crate::graphql::is_introspection_only(&req.query) {
        &state.introspection
    } else {
        &state.schema
    };
    let resp = localize(schema.execute(req).await, lang);
    finish(resp, StatusCode::OK)
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
