//! What resolvers read from the request context. Each accessor returns a `Result`; none
//! unwraps.

use async_graphql::Context;
use sea_orm::DatabaseConnection;

use crate::{
    domain::Ctx,
    error::{AppError, Lang, Result},
    graphql::loaders::Loaders,
    state::AppState,
};

/// Everything a request carries into the schema.
pub struct RequestData {
    /// The caller and request id, for the domain.
    pub ctx: Ctx,
    /// The response language.
    pub lang: Lang,
    /// The caller's address, for rate limits.
    pub client_ip: String,
    /// The request's DataLoaders.
    pub loaders: Loaders,
}

/// Typed access to the request context.
pub trait ContextExt {
    /// The request's data.
    fn request(&self) -> Result<&RequestData>;
    /// The application state.
    fn state(&self) -> Result<&AppState>;
    /// The domain context (caller and request id).
    fn dctx(&self) -> Result<&Ctx> {
        Ok(&self.request()?.ctx)
    }
    /// The database for this field: the primary, except in a query operation of a
    /// read-only caller, which reads from the replica when one is usable (`db::replica`).
    fn db(&self) -> Result<&DatabaseConnection>;
    /// The primary, whatever the operation (the change feed, whose no-skip argument is made
    /// on the primary's snapshots).
    fn primary_db(&self) -> Result<&DatabaseConnection> {
        Ok(&self.state()?.db)
    }
    /// The DataLoaders.
    fn loaders(&self) -> Result<&Loaders> {
        Ok(&self.request()?.loaders)
    }
}

impl ContextExt for Context<'_> {
    fn db(&self) -> Result<&DatabaseConnection> {
        let state = self.state()?;
        if state.replica.is_some()
            && self.is_query()
            && let Some(actor) = self.request()?.ctx.actor.as_ref()
            && actor.read_only
        {
            return Ok(state.read_only_db());
        }
        Ok(&state.db)
    }
    fn request(&self) -> Result<&RequestData> {
        self.data::<RequestData>()
            .map_err(|_| AppError::internal("request data missing from the GraphQL context"))
    }
    fn state(&self) -> Result<&AppState> {
        self.data::<AppState>()
            .map_err(|_| AppError::internal("application state missing from the GraphQL context"))
    }
}

/// The database a report reads: the replica in a query operation when one is usable and
/// the caller has not written recently; else the primary (`db::replica`).
pub async fn report_db<'a>(ctx: &'a Context<'_>) -> Result<&'a DatabaseConnection> {
    let state = ctx.state()?;
    if state.replica.is_some() && ctx.is_query() {
        return Ok(state.report_db(ctx.request()?.ctx.actor.as_ref()).await);
    }
    Ok(&state.db)
}

/// Whether the operation is a query (not a mutation or a subscription). async-graphql keeps
/// the operation in its (hidden but public) query environment.
trait OperationKind {
    fn is_query(&self) -> bool;
}

impl OperationKind for Context<'_> {
    fn is_query(&self) -> bool {
        self.query_env.operation.node.ty == async_graphql::parser::types::OperationType::Query
    }
}
