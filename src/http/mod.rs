//! The HTTP surface: GraphQL, GraphiQL, health, readiness and metrics.

pub mod admission;
pub mod changes_export;
pub mod documents;
pub mod edge;
pub mod export;
pub mod graphiql;
pub mod graphql;
pub mod health;
pub mod metrics;
pub mod reports;
pub mod security;
pub mod templates;
pub mod upload;
pub mod ws;

use axum::extract::FromRef;

use crate::{graphql::AppSchema, state::AppState};

/// The router's state: the application and its schema.
#[derive(Clone)]
pub struct HttpState {
    /// The application state.
    pub app: AppState,
    /// The GraphQL schema.
    pub schema: AppSchema,
    /// The same schema without depth and complexity limits, for introspection only.
    pub introspection: AppSchema,
}

impl FromRef<HttpState> for AppState {
    fn from_ref(s: &HttpState) -> Self {
        s.app.clone()
    }
}

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
