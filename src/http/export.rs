//! `GET /export/{entity}.{csv,ndjson}`: a streamed bulk export for data pulls, in the
//! caller's scope, read page by page from a keyset cursor (memory stays flat).

use std::collections::HashMap;

use axum::{
    body::Body,
    extract::{ConnectInfo, Path, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use bytes::Bytes;

use crate::{
    domain::{
        Ctx,
        export::{self, Entity, ExportFilter},
        page::Cursor,
    },
    error::{AppError, Lang},
    http::HttpState,
};

fn error(status: StatusCode, e: AppError, lang: Lang) -> Response {
    let body = serde_json::json!({
        "errors": [{
            "message": e.msg.in_lang(lang),
            "extensions": { "code": e.code.as_str(), "field": e.field },
        }]
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

enum Step {
    Header,
    Page(Option<Cursor>),
    Done,
}

/// Streams an export.
pub async fn export(
    State(state): State<HttpState>,
    Path(file): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::from_accept_language(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let app = state.app.clone();
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(s, _)| s.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_owned());
    let actor = match token.map(|t| app.keys.verify(&t)) {
        Some(Ok(a)) => a,
        _ => return error(StatusCode::UNAUTHORIZED, AppError::unauthenticated(), lang),
    };
    if let Err(e) = app
        .limiters
        .check_request(&peer.ip().to_string(), Some(actor.user_id))
    {
        return error(StatusCode::TOO_MANY_REQUESTS, e, lang);
    }
    let Some((name, format)) = file.rsplit_once('.') else {
        return error(
            StatusCode::NOT_FOUND,
            AppError::not_found("export", "tệp xuất"),
            lang,
        );
    };
    let Some(entity) = Entity::parse(name) else {
        return error(
            StatusCode::NOT_FOUND,
            AppError::not_found("export", "tệp xuất"),
            lang,
        );
    };
    let csv = match export::parse_format(format) {
        Ok(c) => c,
        Err(_) => {
            return error(
                StatusCode::NOT_FOUND,
                AppError::not_found("export", "tệp xuất"),
                lang,
            );
        }
    };
    let updated_since = match params
        .get("updatedSince")
        .map(|s| chrono::DateTime::parse_from_rfc3339(s))
    {
        None => None,
        Some(Ok(t)) => Some(t.with_timezone(&chrono::Utc)),
        Some(Err(_)) => {
            return error(
                StatusCode::BAD_REQUEST,
                AppError::bad_input(
                    "updatedSince",
                    crate::error::Msg::new(
                        "updatedSince is an RFC 3339 time (2025-07-01T00:00:00Z).",
                        "updatedSince là thời điểm theo RFC 3339 (2025-07-01T00:00:00Z).",
                    ),
                ),
                lang,
            );
        }
    };
    let filter = ExportFilter {
        province_code: params.get("province").cloned(),
        commune_code: params.get("commune").cloned(),
        updated_since,
    };
    let ctx = Ctx {
        actor: Some(actor),
        request_id: headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        reference: app.reference(),
    };
    let db = app.db.clone();
    let stream = futures::stream::unfold(Step::Header, move |step| {
        let (db, ctx, filter) = (db.clone(), ctx.clone(), filter.clone());
        async move {
            match step {
                Step::Done => None,
                Step::Header => {
                    let bytes = if csv {
                        export::csv_header(entity)
                    } else {
                        Ok(Vec::new())
                    };
                    Some((bytes.map(Bytes::from), Step::Page(None)))
                }
                Step::Page(after) => {
                    let chunk = match export::fetch(&db, &ctx, entity, &filter, after).await {
                        Ok(c) => c,
                        Err(e) => {
                            tracing::error!(error = %e, "export failed mid-stream");
                            return Some((Err(e), Step::Done));
                        }
                    };
                    let bytes = if csv {
                        export::csv_rows(entity, &chunk.rows)
                    } else {
                        export::ndjson_rows(entity, &chunk.rows)
                    };
                    let next = match chunk.next {
                        Some(c) => Step::Page(Some(c)),
                        None => Step::Done,
                    };
                    Some((bytes.map(Bytes::from), next))
                }
            }
        }
    });
    let content_type = if csv {
        "text/csv; charset=utf-8"
    } else {
        "application/x-ndjson; charset=utf-8"
    };
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}
