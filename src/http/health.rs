//! Liveness and readiness.

use axum::{extract::State, http::StatusCode};

use crate::state::AppState;

/// `GET /healthz`: 200 while the process runs.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: 200 only while the database answers.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    // One second: a load balancer must learn of a lost database quickly.
    match tokio::time::timeout(std::time::Duration::from_secs(1), state.db.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready"),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "database not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database timed out"),
    }
}
