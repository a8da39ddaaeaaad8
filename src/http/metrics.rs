//! `GET /metrics`: the application's metrics ([`crate::metrics::Metrics`]) in the Prometheus
//! text format, behind `KC_METRICS_TOKEN` when it is set.

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::state::AppState;

/// Whether the request may read `/metrics`: always without `KC_METRICS_TOKEN`, else only with
/// `Authorization: Bearer <that token>` (compared in constant time).
fn allowed(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(expected) = &state.config.metrics_token else {
        return true;
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .unwrap_or("");
    use sha2::{Digest, Sha256};
    // Equal-length digests compared byte by byte, without an early exit.
    let (a, b) = (Sha256::digest(given), Sha256::digest(expected));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// `GET /metrics` in the Prometheus text format (`401` without the `KC_METRICS_TOKEN`).
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if !allowed(&state, &headers) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "metrics need Authorization: Bearer <KC_METRICS_TOKEN>\n",
        )
            .into_response();
    }
    let (size, idle) = crate::db::pool_state(&state.db);
    state.metrics.db_pool.with_label_values(&["idle"]).set(idle);
    state
        .metrics
        .db_pool
        .with_label_values(&["active"])
        .set(size - idle);
    let (content_type, buf) = state.metrics.encode();
    ([(header::CONTENT_TYPE, content_type)], buf).into_response()
}
