//! `GET /documents/{id}`: the bytes of an evidence document, streamed from the store with
//! their type and a safe `Content-Disposition`, to a caller who may see the document's
//! owner. Anyone else, and any id that is not a document, gets the same 404. The object read
//! is named by the stored SHA-256, never by anything in the request.

use async_graphql::ID;
use axum::{
    body::Body,
    extract::{Path, State},
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use futures::TryStreamExt;

use crate::kind::DocumentId;
use crate::{
    auth::actor::Actor,
    domain::{Ctx, document},
    error::AppError,
    graphql::ids,
    http::{
        HttpState,
        edge::{Caller, ErrorResponse, OperationName},
    },
};

/// Streams a document to a caller allowed to see its owner.
pub async fn download(
    State(state): State<HttpState>,
    Path(id): Path<String>,
    caller: Caller,
    actor: Actor,
) -> Result<Response, ErrorResponse> {
    let app = &state.app;
    let not_found = || caller.error(AppError::not_found("document", "tài liệu"));
    let id = ids::decode::<DocumentId>(&ID(id)).ok_or_else(not_found)?;
    let ctx = Ctx {
        actor: Some(actor),
        ..caller.ctx(app)
    };
    let doc = document::open_for_download(&app.db, &ctx, id)
        .await
        .map_err(|e| caller.error(e))?;
    let (size, stream) = app
        .storage
        .get(&doc.sha256)
        .await
        .map_err(|e| caller.error(e))?;
    let stream = stream.map_err(|e| {
        tracing::error!(error = %e, "document stream failed");
        std::io::Error::other(e)
    });
    let content_type = HeaderValue::from_str(&doc.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let disposition = HeaderValue::from_str(&document::content_disposition(&doc.file_name))
        .unwrap_or(HeaderValue::from_static("attachment"));
    let mut resp = (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CONTENT_LENGTH, HeaderValue::from(size)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("sandbox; default-src 'none'"),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response();
    resp.extensions_mut()
        .insert(OperationName("document".to_owned()));
    Ok(resp)
}
