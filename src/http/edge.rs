//! The one HTTP edge of the API: every endpoint behind [`edge`] gets, handled once and the
//! same way, the bearer token (→ [`Actor`]), the client address (`X-Forwarded-For` only with
//! `KC_TRUST_FORWARDED_FOR`), the rate limits, the request id, the response language, the
//! negotiated content type, the error body ([`ErrorResponse`]) and one log line per request.
//!
//! A new endpoint needs nothing of its own: route it inside [`crate::startup::api_routes`]
//! and take a [`Caller`] (anyone) or an [`Actor`] (signed in, else `401 UNAUTHENTICATED`)
//! as an extractor; return `Result<_, ErrorResponse>` (`caller.error(e)`, or `?` on an
//! [`AppError`], which answers in English).

use std::{net::SocketAddr, time::Instant};

use axum::{
    extract::{ConnectInfo, FromRequestParts, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{
    auth::actor::Actor,
    domain::Ctx,
    error::{AppError, Code, Lang},
    state::AppState,
};

/// The media type of GraphQL-over-HTTP responses.
pub const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
/// Plain JSON, for clients that ask for it (and those that send no `Accept`).
pub const APPLICATION_JSON: &str = "application/json";

/// What the edge learned about a request; any handler behind the edge can extract it.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The signed-in user, or `None` for an anonymous request (no `Authorization`).
    pub actor: Option<Actor>,
    /// The client's address.
    pub client_ip: String,
    /// The request id (`X-Request-Id`, generated when the client sent none).
    pub request_id: Option<String>,
    /// The response language, from `Accept-Language`.
    pub lang: Lang,
    /// The JSON media type to answer with, from `Accept`.
    pub content_type: &'static str,
}

impl Caller {
    /// The domain context of the request.
    pub fn ctx(&self, app: &AppState) -> Ctx {
        Ctx {
            actor: self.actor.clone(),
            request_id: self.request_id.clone(),
            reference: app.reference(),
        }
    }

    /// An error response in the caller's language and media type.
    pub fn error(&self, error: AppError) -> ErrorResponse {
        ErrorResponse {
            error,
            lang: self.lang,
            content_type: self.content_type,
        }
    }
}

/// The operation a response answered (a GraphQL operation name, `export`, …), put in the
/// response's extensions by the handler for the request log line.
#[derive(Clone, Debug)]
pub struct OperationName(pub String);

/// An error as an HTTP response: `{"errors":[{"message","extensions":{"code",…}}]}` with the
/// status of its code, `Retry-After` for `RATE_LIMITED` (429) and `UNAVAILABLE` (503),
/// `WWW-Authenticate` for `UNAUTHENTICATED` (401). No `locations`: such an error is not tied
/// to a place in a query.
#[derive(Debug)]
pub struct ErrorResponse {
    /// The error.
    pub error: AppError,
    /// The language of the message.
    pub lang: Lang,
    /// The response's media type.
    pub content_type: &'static str,
}

impl From<AppError> for ErrorResponse {
    fn from(error: AppError) -> Self {
        Self {
            error,
            lang: Lang::En,
            content_type: APPLICATION_JSON,
        }
    }
}

/// The HTTP status of an error code outside a GraphQL result.
pub fn status_of(code: Code) -> StatusCode {
    match code {
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::Forbidden => StatusCode::FORBIDDEN,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::BadUserInput | Code::QueryTooComplex => StatusCode::BAD_REQUEST,
        Code::Conflict => StatusCode::CONFLICT,
        Code::InvalidTransition | Code::BudgetExceeded | Code::NotEligible => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Code::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        Code::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ErrorResponse {
    fn into_response(self) -> Response {
        let e = self.error;
        e.log_cause();
        let mut ext = serde_json::Map::new();
        ext.insert("code".into(), e.code.as_str().into());
        if let Some(f) = &e.field {
            ext.insert("field".into(), f.as_str().into());
        }
        let retry = e.retry_after();
        if let Some(secs) = retry {
            ext.insert("retryAfterSeconds".into(), secs.into());
        }
        let body = serde_json::json!({
            "errors": [{ "message": e.msg.in_lang(self.lang), "extensions": ext }]
        });
        let mut resp = (
            status_of(e.code),
            [(header::CONTENT_TYPE, self.content_type)],
            body.to_string(),
        )
            .into_response();
        if let Some(secs) = retry {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if e.code == Code::Unauthenticated {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

/// The JSON media type for an `Accept` header, per GraphQL over HTTP: the listed type of
/// highest quality among `application/graphql-response+json` and `application/json`
/// (`*/*` and `application/*` mean the former); no `Accept` means `application/json`.
pub fn negotiate(accept: Option<&str>) -> &'static str {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return APPLICATION_JSON;
    };
    let mut best: Option<(f32, &'static str)> = None;
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let ty = match media.as_str() {
            GRAPHQL_RESPONSE_JSON | "*/*" | "application/*" => GRAPHQL_RESPONSE_JSON,
            APPLICATION_JSON => APPLICATION_JSON,
            _ => continue,
        };
        if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, ty));
        }
    }
    best.map_or(APPLICATION_JSON, |(_, ty)| ty)
}

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

/// The client's address: the first `X-Forwarded-For` entry when the proxy in front is
/// trusted (`KC_TRUST_FORWARDED_FOR`), the socket's peer otherwise.
pub fn client_ip(headers: &HeaderMap, peer: Option<SocketAddr>, trust_forwarded: bool) -> String {
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
    peer.map_or_else(|| "unknown".to_owned(), |p| p.ip().to_string())
}

/// The signed-in user of a request, if any, once its token is verified, its epoch is still
/// current (a deactivated user, changed rights or password, or `logoutAll` end access tokens
/// within [`crate::guard::epochs::TTL`] on every instance) and the request is within the
/// limits: this instance's, then those shared by every instance through Redis
/// (`KC_REDIS_URL`).
async fn authenticate(
    app: &AppState,
    token: Option<Result<String, AppError>>,
    client_ip: &str,
) -> Result<Option<Actor>, AppError> {
    let actor = match token {
        None => None,
        Some(token) => {
            let (actor, epoch) = app.keys.verify_with_epoch(&token?)?;
            if !app
                .guard
                .epochs
                .is_current(&app.db, actor.user_id, epoch)
                .await?
            {
                return Err(AppError::unauthenticated());
            }
            Some(actor)
        }
    };
    let user = actor.as_ref().map(|a| a.user_id);
    app.limiters.check_request(client_ip, user)?;
    app.guard.shared.check_request(client_ip, user).await?;
    Ok(actor)
}

/// Probes, metrics and static files skip the edge: they need no caller, must answer a load
/// balancer whatever its address's request rate, and would flood the log with a line each.
fn bypasses_edge(path: &str) -> bool {
    matches!(path, "/" | "/healthz" | "/readyz" | "/metrics")
        || path.starts_with("/graphql/assets/")
}

/// The span of one request, made in front of every other layer (the `TraceLayer` of
/// [`crate::startup::router`]), so every log line of the request carries its `request_id`
/// (`X-Request-Id`, generated when the client sent none). With traces on
/// ([`crate::telemetry`]) it is the request's root server span, or a child of the caller's
/// span when the request carries a W3C `traceparent`. Probes, metrics and static files get
/// none.
pub fn request_span<B>(req: &axum::http::Request<B>) -> tracing::Span {
    use tracing::field::Empty;
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    let path = req.uri().path();
    if bypasses_edge(path) {
        return tracing::Span::none();
    }
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    let name = format!("{} {}", req.method(), route(path));
    let span = tracing::info_span!(
        "request",
        otel.name = name,
        otel.kind = "server",
        request_id,
        user_id = Empty,
        http.response.status_code = Empty,
        otel.status_code = Empty,
    );
    // For the trace only (the log line of `edge` has them already).
    span.set_attribute("http.request.method", req.method().to_string());
    span.set_attribute("url.path", path.to_owned());
    crate::telemetry::join_caller_trace(&span, req.headers());
    span
}

/// The route of a path, for span names (a path holds ids; a route does not). The routes of
/// [`crate::startup::router`] behind the edge.
fn route(path: &str) -> &'static str {
    match path.split('/').nth(1).unwrap_or("") {
        "graphql" if path == "/graphql/ws" => "/graphql/ws",
        "graphql" => "/graphql",
        "export" if path == "/export/changes.ndjson" => "/export/changes.ndjson",
        "export" => "/export/{file}",
        "templates" => "/templates/{file}",
        "reports" => "/reports/{file}",
        "documents" => "/documents/{id}",
        _ => "other",
    }
}

/// Puts the response's status in the request's span; a 5xx marks the span failed.
pub fn record_response<B>(resp: &Response<B>, _latency: std::time::Duration, span: &tracing::Span) {
    let status = resp.status();
    span.record("http.response.status_code", status.as_u16());
    if status.is_server_error() {
        span.record("otel.status_code", "error");
    }
}

/// The middleware: authenticates, rate-limits and describes the request ([`Caller`]), then
/// logs one line when the response is ready (never the query text or variables).
pub async fn edge(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    if bypasses_edge(req.uri().path()) {
        return next.run(req).await;
    }
    let started = Instant::now();
    let headers = req.headers();
    let caller = {
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        Caller {
            actor: None,
            client_ip: client_ip(headers, peer, app.config.trust_forwarded_for),
            request_id: headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            lang: Lang::from_accept_language(
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok()),
            ),
            // Only GraphQL answers are GraphQL responses; other endpoints' errors are JSON.
            content_type: if req.uri().path() == "/graphql" {
                negotiate(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()))
            } else {
                APPLICATION_JSON
            },
        }
    };
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    // The one parse of the bearer token per request (the guard in front only holds the
    // in-flight slot).
    let token = bearer(headers).map(|t| t.map(str::to_owned));
    let checked = authenticate(&app, token, &caller.client_ip).await;
    let caller = Caller {
        actor: checked.as_ref().ok().cloned().flatten(),
        ..caller
    };
    if let Some(actor) = &caller.actor {
        tracing::Span::current().record("user_id", actor.user_id);
    }
    let resp = match checked {
        Err(e) => {
            app.metrics
                .graphql_errors
                .with_label_values(&[e.code.as_str()])
                .inc();
            caller.error(e).into_response()
        }
        Ok(_) => {
            req.extensions_mut().insert(caller.clone());
            next.run(req).await
        }
    };
    let operation = resp
        .extensions()
        .get::<OperationName>()
        .map_or("-", |o| o.0.as_str());
    tracing::info!(
        method = %method,
        path = %path,
        operation,
        status = resp.status().as_u16(),
        duration_ms = started.elapsed().as_millis() as u64,
        // The request id and the user id are fields of the request's span, on every line.
        client_ip = %caller.client_ip,
        "request"
    );
    resp
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ErrorResponse;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| AppError::internal("route is not behind the HTTP edge").into())
    }
}

/// A signed-in caller is required: anonymous requests get `401 UNAUTHENTICATED`.
impl<S: Send + Sync> FromRequestParts<S> for Actor {
    type Rejection = ErrorResponse;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller
            .actor
            .clone()
            .ok_or_else(|| caller.error(AppError::unauthenticated()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_headers_choose_the_media_type() {
        assert_eq!(negotiate(None), APPLICATION_JSON);
        assert_eq!(negotiate(Some("application/json")), APPLICATION_JSON);
        assert_eq!(negotiate(Some("*/*")), GRAPHQL_RESPONSE_JSON);
        assert_eq!(
            negotiate(Some(
                "application/graphql-response+json, application/json;q=0.9"
            )),
            GRAPHQL_RESPONSE_JSON
        );
        assert_eq!(
            negotiate(Some(
                "application/graphql-response+json;q=0.5, application/json"
            )),
            APPLICATION_JSON
        );
        assert_eq!(negotiate(Some("text/html")), APPLICATION_JSON);
    }
}
