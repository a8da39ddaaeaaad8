//! DataLoaders: every relation is loaded in batches, one parameterised `IN (…)` query per
//! batch, so the statements of a query do not grow with the rows it returns. Loaders are
//! made per request because they filter by the caller's area.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::DatabaseConnection;

use crate::{
    db::entities::{app_user, establishment, product},
    domain::{self, Ctx},
    graphql::context::loader,
};

/// The DataLoaders of one request.
pub struct Loaders {
    /// Establishments by id (within the caller's area).
    pub establishment: DataLoader<EstablishmentLoader>,
    /// Products by establishment id (within the caller's area).
    pub products_of: DataLoader<ProductsOfEstablishment>,
    /// Users by id, for "who did it" references.
    pub user: DataLoader<UserLoader>,
}

impl Loaders {
    /// Loaders for one request.
    pub fn new(db: &DatabaseConnection, ctx: &Ctx) -> Self {
        Self {
            establishment: loader(EstablishmentLoader(db.clone(), ctx.clone())),
            products_of: loader(ProductsOfEstablishment(db.clone(), ctx.clone())),
            user: loader(UserLoader(db.clone())),
        }
    }
}

/// Loads establishments by id.
pub struct EstablishmentLoader(DatabaseConnection, Ctx);

impl Loader<i64> for EstablishmentLoader {
    type Value = establishment::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = domain::establishment::get_many(&self.0, &self.1, keys).await?;
        Ok(rows.into_iter().map(|m| (m.id, m)).collect())
    }
}

/// Loads the products of establishments.
pub struct ProductsOfEstablishment(DatabaseConnection, Ctx);

impl Loader<i64> for ProductsOfEstablishment {
    type Value = Vec<product::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = domain::product::of_establishments(&self.0, &self.1, keys).await?;
        let mut out: HashMap<i64, Vec<product::Model>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for p in rows {
            out.entry(p.establishment_id).or_default().push(p);
        }
        Ok(out)
    }
}

/// Loads users by id.
pub struct UserLoader(DatabaseConnection);

impl Loader<i64> for UserLoader {
    type Value = app_user::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = domain::user::get_many_unscoped(&self.0, keys).await?;
        Ok(rows.into_iter().map(|m| (m.id, m)).collect())
    }
}
