//! `GET /export/changes.ndjson?after=CURSOR&entities=PROJECT,ALLOCATION&province=66`: the
//! change feed (`domain::change`) streamed for bulk pulls, one change per line, in the
//! caller's area, page by page (memory stays flat).
//!
//! Every line carries the `cursor` after it, and the last line is
//! `{"end": true, "cursor": …, "count": n}`: the cursor to pass as `after` next time. A pull
//! cut off midway resumes from the `cursor` of the last whole line it read.

use std::collections::HashMap;

use axum::{
    body::Body,
    extract::{Query, State},
    http::header,
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use serde_json::json;

use crate::{
    auth::actor::Actor,
    db::entities::change_event,
    domain::change::{self, ChangeEntity, FeedCursor, FeedFilter},
    error::{AppError, Msg},
    http::{
        HttpState,
        edge::{Caller, ErrorResponse},
    },
    kind::EntityKind,
};

/// Rows read per page.
const PAGE: usize = 1000;

fn line(row: &change_event::Model) -> serde_json::Value {
    let kind = EntityKind::parse(&row.entity_type);
    let entity = kind
        .and_then(ChangeEntity::from_kind)
        .map(ChangeEntity::as_str);
    json!({
        "cursor": FeedCursor::of(row).encode(),
        "entity": entity,
        "id": kind.map(|k| k.global_id(row.entity_id)),
        "operation": row.operation,
        "version": row.version,
        "changedAt": row.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "actorId": row.actor_id.map(|a| EntityKind::User.global_id(a)),
        "provinceCode": row.province_code,
        "communeCode": row.commune_code,
    })
}

fn parse_filter(params: &HashMap<String, String>) -> Result<FeedFilter, AppError> {
    let entities = match params.get("entities").filter(|s| !s.trim().is_empty()) {
        None => None,
        Some(list) => Some(
            list.split(',')
                .map(|s| {
                    ChangeEntity::parse(s.trim()).ok_or_else(|| {
                        AppError::bad_input(
                            "entities",
                            Msg::new(
                                format!(
                                    "{} is not a ChangeEntity (PROJECT, ALLOCATION…).",
                                    s.trim()
                                ),
                                format!(
                                    "{} không phải ChangeEntity (PROJECT, ALLOCATION…).",
                                    s.trim()
                                ),
                            ),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    Ok(FeedFilter {
        entities,
        province_code: params.get("province").cloned(),
        commune_code: params.get("commune").cloned(),
        status_changes_only: false,
    })
}

enum Step {
    Page(Option<FeedCursor>, u64),
    Done,
}

/// Streams the change feed as NDJSON. The edge has authenticated the caller and applied the
/// rate limits (`http::edge`).
pub async fn export(
    State(state): State<HttpState>,
    Query(params): Query<HashMap<String, String>>,
    caller: Caller,
    _actor: Actor,
) -> Result<Response, ErrorResponse> {
    let app = state.app.clone();
    let filter = parse_filter(&params).map_err(|e| caller.error(e))?;
    let after = match params.get("after").filter(|s| !s.is_empty()) {
        None => None,
        Some(a) => Some(FeedCursor::decode(a, "after").map_err(|e| caller.error(e))?),
    };
    let ctx = caller.ctx(&app);
    let db = app.db.clone();
    let stream = futures::stream::unfold(Step::Page(after, 0), move |step| {
        let (db, ctx, filter) = (db.clone(), ctx.clone(), filter.clone());
        async move {
            let Step::Page(after, count) = step else {
                return None;
            };
            let page = match change::list(&db, &ctx, &filter, after, PAGE).await {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!(error = %e, "change export failed mid-stream");
                    return Some((Err(e), Step::Done));
                }
            };
            let mut out = String::new();
            for row in &page.rows {
                out.push_str(&line(row).to_string());
                out.push('\n');
            }
            let count = count + page.rows.len() as u64;
            let next = if page.has_next {
                Step::Page(page.next, count)
            } else {
                let end = json!({
                    "end": true,
                    "cursor": page.next.map(|c| c.encode()),
                    "count": count,
                });
                out.push_str(&end.to_string());
                out.push('\n');
                Step::Done
            };
            Some((Ok(Bytes::from(out)), next))
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-ndjson; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"changes.ndjson\"",
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}
