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

use crate::{
    error::{AppError, Msg},
    http::edge::{Caller, ErrorResponse},
};

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
        super::MAX_BODY_BYTES
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

fn over_limit(io: &std::io::Error) -> bool {
    // An I/O error shows its inner error only through `get_ref` (its `source` skips it).
    let mut cur: Option<&(dyn std::error::Error + 'static)> = io
        .get_ref()
        .map(|e| e as &(dyn std::error::Error + 'static));
    while let Some(err) = cur {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        cur = err.source();
    }
    false
}

/// Why a request body is not a GraphQL request, as a `BAD_USER_INPUT` error a person can act
/// on (never the parser's Debug text); `None` for a body over the limit (413).
pub fn unreadable(e: &async_graphql::ParseRequestError) -> Option<AppError> {
    use async_graphql::ParseRequestError as P;
    let (en, vi) = match e {
        P::PayloadTooLarge => return None,
        // The body passed the limit while streaming (no or a false `Content-Length`).
        P::Io(io) if over_limit(io) => return None,
        P::Io(_) => (
            "The request body could not be read completely.".to_owned(),
            "Không đọc được trọn vẹn nội dung yêu cầu.".to_owned(),
        ),
        P::InvalidRequest(detail) => (
            format!(
                "The request body is not a GraphQL request (a JSON object with a \"query\" string): {detail}."
            ),
            format!(
                "Nội dung yêu cầu không phải một yêu cầu GraphQL (đối tượng JSON có chuỗi \"query\"): {detail}."
            ),
        ),
        P::UnsupportedBatch => (
            "Send one GraphQL operation per request; batches (JSON arrays) are not accepted."
                .to_owned(),
            "Mỗi yêu cầu chỉ gửi một thao tác GraphQL; không nhận lô (mảng JSON).".to_owned(),
        ),
        P::InvalidFilesMap(detail) => (
            format!(
                "The multipart \"map\" part is not valid (a JSON object from part names to variable paths such as [\"variables.file\"]): {detail}."
            ),
            format!(
                "Phần \"map\" của yêu cầu multipart không hợp lệ (đối tượng JSON ánh xạ tên phần sang đường dẫn biến như [\"variables.file\"]): {detail}."
            ),
        ),
        P::InvalidMultipart(_) => (
            "The multipart body is malformed (check the boundary of the Content-Type and the parts).".to_owned(),
            "Nội dung multipart sai định dạng (hãy kiểm tra boundary trong Content-Type và các phần).".to_owned(),
        ),
        P::MissingOperatorsPart => (
            "The multipart request has no \"operations\" part.".to_owned(),
            "Yêu cầu multipart thiếu phần \"operations\".".to_owned(),
        ),
        P::MissingMapPart => (
            "The multipart request has no \"map\" part.".to_owned(),
            "Yêu cầu multipart thiếu phần \"map\".".to_owned(),
        ),
        P::NotUpload => (
            "A multipart request must carry a file for an Upload variable.".to_owned(),
            "Yêu cầu multipart phải mang tệp cho một biến kiểu Upload.".to_owned(),
        ),
        P::MissingFiles => (
            "A file named in the multipart \"map\" part is missing.".to_owned(),
            "Thiếu tệp được nêu trong phần \"map\" của yêu cầu multipart.".to_owned(),
        ),
        // A reason added by a later async-graphql: still the caller's body, said in general.
        _ => (
            "The request body is not a valid GraphQL request.".to_owned(),
            "Nội dung yêu cầu không phải một yêu cầu GraphQL hợp lệ.".to_owned(),
        ),
    };
    Some(AppError::bad_input("body", Msg::new(en, vi)))
}

/// A GraphQL request, multipart (with uploads) or not.
pub struct GraphQLUpload(pub async_graphql::Request);

impl<S: Send + Sync> FromRequest<S> for GraphQLUpload {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        // Refusals speak the caller's language and media type, as every error of the edge.
        let caller = req.extensions().get::<Caller>().cloned();
        let refuse = move |e: async_graphql::ParseRequestError, limit: usize| match unreadable(&e) {
            None => too_large(limit),
            Some(err) => match &caller {
                Some(c) => c.error(err).into_response(),
                None => ErrorResponse::from(err).into_response(),
            },
        };
        if !is_multipart(&req) {
            return async_graphql_axum::GraphQLRequest::<
                async_graphql_axum::rejection::GraphQLRejection,
            >::from_request(req, state)
            .await
            .map(|r| Self(r.into_inner()))
            .map_err(|r| refuse(r.0, super::MAX_BODY_BYTES));
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
        batch
            .and_then(async_graphql::BatchRequest::into_single)
            .map(Self)
            .map_err(|e| refuse(e, limit))
    }
}
