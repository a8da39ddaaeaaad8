//! What resolvers read from the request context. Each accessor returns a `Result`; none
//! unwraps.

use async_graphql::{Context, dataloader::DataLoader};
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
    /// The database.
    fn db(&self) -> Result<&DatabaseConnection> {
        Ok(&self.state()?.db)
    }
    /// The DataLoaders.
    fn loaders(&self) -> Result<&Loaders> {
        Ok(&self.request()?.loaders)
    }
}

impl ContextExt for Context<'_> {
    fn request(&self) -> Result<&RequestData> {
        self.data::<RequestData>()
            .map_err(|_| AppError::internal("request data missing from the GraphQL context"))
    }
    fn state(&self) -> Result<&AppState> {
        self.data::<AppState>()
            .map_err(|_| AppError::internal("application state missing from the GraphQL context"))
    }
}

/// A DataLoader that spawns its batches on tokio.
pub fn loader<T: Send + Sync + 'static>(t: T) -> DataLoader<T> {
    DataLoader::new(t, tokio::spawn)
}
