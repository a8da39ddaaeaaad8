//! Uploads at the HTTP edge: the body limit (1 MiB, or 20 MiB plus the multipart envelope
//! for a multipart GraphQL request or a document upload) refused from `Content-Length`
//! before anything is buffered and enforced again while reading, and the GraphQL multipart
//! request (async-graphql's `Upload`) parsed with limits on files and their size.

use axum::{
    body::Body,
    extract::{FromRequest, Request},
    http::{Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::startup::MAX_BODY_BYTES;

/// How long a multipart GraphQL request (an import or a document upload) may run: the
/// import's own 60-second limit, plus time to receive 20 MiB and answer.
pub const UPLOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(90);

/// The largest uploaded file (imports and documents).
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;
/// Room for the multipart envelope (the operations and map parts) around one file.
const ENVELOPE_BYTES: usize = 256 * 1024;

fn is_multipart(req: &Request) -> bool {
    req.method() == Method::POST
        && req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("multipart/form-data")
            })
}

fn too_large(limit: usize) -> Response {
    let body = serde_json::json!({
        "errors": [{
            "message": format!("The request body is larger than {} bytes.", limit),
            "extensions": { "code": "BAD_USER_INPUT" },
        }]
    });
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// The body limit of every route: a multipart POST may carry one file of 20 MiB, anything
/// else 1 MiB. A declared length over the limit is refused at once (413); a body that turns
/// out longer while streaming fails when it passes the limit, never buffered whole.
pub async fn body_limit(req: Request, next: Next) -> Response {
    let limit = if is_multipart(&req) {
        MAX_UPLOAD_BYTES + ENVELOPE_BYTES
    } else {
        MAX_BODY_BYTES
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large(limit);
    }
    let (parts, body) = req.into_parts();
    let body = Body::new(http_body_util::Limited::new(body, limit));
    next.run(Request::from_parts(parts, body)).await
}

/// The request timeout (`KC_REQUEST_TIMEOUT_SECS`, answered 503), except for multipart
/// requests, which get at least [`UPLOAD_TIMEOUT`] so an import is undone by its own 60-second
/// limit, with a clear error, rather than cut by the server.
pub async fn timeout(
    axum::extract::State(limit): axum::extract::State<std::time::Duration>,
    req: Request,
    next: Next,
) -> Response {
    let limit = if is_multipart(&req) {
        limit.max(UPLOAD_TIMEOUT)
    } else {
        limit
    };
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// A GraphQL request, multipart (with uploads) or not.
pub struct GraphQLUpload(pub async_graphql::Request);

impl<S: Send + Sync> FromRequest<S> for GraphQLUpload {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_multipart(&req) {
            return async_graphql_axum::GraphQLRequest::<
                async_graphql_axum::rejection::GraphQLRejection,
            >::from_request(req, state)
            .await
            .map(|r| Self(r.into_inner()))
            .map_err(IntoResponse::into_response);
        }
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let limit = MAX_UPLOAD_BYTES + ENVELOPE_BYTES;
        let bytes = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|_| too_large(limit))?;
        // async-graphql limits the whole stream to files × size: the envelope must fit too,
        // so a file of exactly 20 MiB passes here and the resolvers check the file's own size.
        let opts = async_graphql::http::MultipartOptions::default()
            .max_file_size(limit)
            .max_num_files(1);
        let batch = async_graphql::http::receive_batch_body(
            content_type,
            futures::io::Cursor::new(bytes),
            opts,
        )
        .await;
        match batch.and_then(async_graphql::BatchRequest::into_single) {
            Ok(r) => Ok(Self(r)),
            Err(async_graphql::ParseRequestError::PayloadTooLarge) => Err(too_large(limit)),
            Err(e) => Err(async_graphql_axum::rejection::GraphQLRejection(e).into_response()),
        }
    }
}
