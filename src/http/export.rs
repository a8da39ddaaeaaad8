//! `GET /export/{entity}.{csv,ndjson}`: a streamed bulk export for data pulls, in the
//! caller's scope, read page by page from a keyset cursor (memory stays flat); `.xlsx` or
//! `?format=xlsx` gives an Excel workbook of at most 100,000 rows for an office.

use std::collections::HashMap;

use axum::{
    body::Body,
    extract::{Path, Query, State},
    http::header,
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use tracing::Instrument;

use crate::{
    auth::actor::Actor,
    domain::{
        Ctx,
        export::{self, Entity, ExportFilter, ExportFormat},
    },
    error::AppError,
    http::{
        HttpState,
        edge::{Caller, ErrorResponse, OperationName},
    },
};

enum Step {
    Rows(export::Chunk),
    Done,
}

fn rows_bytes(
    entity: Entity,
    format: ExportFormat,
    chunk: &export::Chunk,
) -> crate::error::Result<Bytes> {
    format.rows(entity, &chunk.rows).map(Bytes::from)
}

/// Streams an export to a signed-in caller (the edge authenticated and rate-limited it).
pub async fn export(
    State(state): State<HttpState>,
    Path(file): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    caller: Caller,
    actor: Actor,
) -> Result<Response, ErrorResponse> {
    let app = state.app.clone();
    let not_found = || caller.error(AppError::not_found("export", "tệp xuất"));
    let (name, format) = file.rsplit_once('.').ok_or_else(not_found)?;
    let entity = Entity::parse(name).ok_or_else(not_found)?;
    // A workbook for an office: `/export/{entity}.xlsx` or `?format=xlsx`.
    let xlsx = format == "xlsx" || params.get("format").is_some_and(|f| f == "xlsx");
    let text_format = if xlsx {
        ExportFormat::Csv
    } else {
        ExportFormat::parse(format).map_err(|_| not_found())?
    };
    let updated_since = match params
        .get("updatedSince")
        .map(|s| chrono::DateTime::parse_from_rfc3339(s))
    {
        None => None,
        Some(Ok(t)) => Some(t.with_timezone(&chrono::Utc)),
        Some(Err(_)) => {
            return Err(caller.error(AppError::bad_input(
                "updatedSince",
                crate::error::Msg::new(
                    "updatedSince is an RFC 3339 time (2025-07-01T00:00:00Z).",
                    "updatedSince là thời điểm theo RFC 3339 (2025-07-01T00:00:00Z).",
                ),
            )));
        }
    };
    let filter = ExportFilter {
        province_code: params.get("province").cloned(),
        commune_code: params.get("commune").cloned(),
        updated_since,
    };
    let ctx = Ctx {
        actor: Some(actor),
        ..caller.ctx(&app)
    };
    // Exports read from the replica when one is usable (`db::replica`).
    let db = app.report_db(ctx.actor.as_ref()).await.clone();
    if xlsx {
        let bytes = export::xlsx(&db, &ctx, entity, &filter)
            .await
            .map_err(|e| caller.error(e))?;
        let mut resp = (
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.xlsx\""),
                ),
            ],
            bytes,
        )
            .into_response();
        resp.extensions_mut()
            .insert(OperationName(format!("export:{name}.xlsx")));
        return Ok(resp);
    }
    // The first page is read before the answer starts, so a database that cannot be reached
    // (or any other failure) is a proper error response, not a cut stream.
    let first = export::fetch(&db, &ctx, entity, &filter, None)
        .await
        .map_err(|e| caller.error(e))?;
    // A producer task writes the pages into a short channel and starts reading the next page
    // before it serialises and sends the current one, so the database and the client work at
    // the same time; the channel's bound keeps memory flat when the client reads slowly, and a
    // client that goes away ends the task.
    let (tx, rx) = tokio::sync::mpsc::channel::<crate::error::Result<Bytes>>(2);
    // In the request's span: the pages' SQL belongs to the request's trace.
    tokio::spawn(
        async move {
            match text_format.header(entity) {
                Ok(None) => {}
                Ok(Some(header)) => {
                    if tx.send(Ok(Bytes::from(header))).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            }
            let mut step = Step::Rows(first);
            while let Step::Rows(chunk) = step {
                let fetching = chunk.next.clone().map(|after| {
                    let (db, ctx, filter) = (db.clone(), ctx.clone(), filter.clone());
                    tokio::spawn(
                        async move { export::fetch(&db, &ctx, entity, &filter, Some(after)).await }
                            .in_current_span(),
                    )
                });
                let bytes = rows_bytes(entity, text_format, &chunk);
                if tx.send(bytes).await.is_err() {
                    if let Some(f) = fetching {
                        f.abort();
                    }
                    return;
                }
                step = match fetching {
                    None => Step::Done,
                    Some(f) => match f.await {
                        Ok(Ok(next)) => Step::Rows(next),
                        Ok(Err(e)) => {
                            tracing::error!(error = %e, "export failed mid-stream");
                            let _ = tx.send(Err(e)).await;
                            Step::Done
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "export page task failed");
                            let _ = tx.send(Err(AppError::internal(e))).await;
                            Step::Done
                        }
                    },
                };
            }
        }
        .in_current_span(),
    );
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let content_type = text_format.content_type();
    let mut resp = (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response();
    resp.extensions_mut()
        .insert(OperationName(format!("export:{name}")));
    Ok(resp)
}
