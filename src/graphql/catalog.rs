//! The public catalogue of recognised products (domain::catalog): anonymous, no personal data.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::Utc;

use crate::{
    db::entities::product,
    domain::{self, page::PageArgs},
    enums,
    graphql::{
        connection::{connection, list_cost},
        context::ContextExt,
        enums::SelectionLevel,
        ids,
        scalars::Date,
    },
};

/// What anyone may see without signing in: no personal data.
#[derive(Clone)]
pub struct PublicProduct(pub product::Model);

impl From<product::Model> for PublicProduct {
    fn from(m: product::Model) -> Self {
        Self(m)
    }
}

#[Object]
impl PublicProduct {
    /// The product's id.
    async fn product_id(&self) -> ID {
        ids::encode(domain::product::ENTITY, self.0.id)
    }
    /// Product name.
    async fn product_name(&self) -> &str {
        &self.0.name
    }
    /// The establishment's name.
    async fn establishment_name(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        Ok(ctx
            .loaders()?
            .establishment_ref
            .load_one(self.0.establishment_id)
            .await?
            .map(|e| e.name)
            .unwrap_or_default())
    }
    /// Province name.
    async fn province_name(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        Ok(ctx
            .dctx()?
            .reference
            .province(&self.0.province_code)
            .map(|p| p.name.clone())
            .unwrap_or_default())
    }
    /// Commune name.
    async fn commune_name(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        Ok(ctx
            .dctx()?
            .reference
            .commune(&self.0.commune_code)
            .map(|c| c.name.clone())
            .unwrap_or_default())
    }
    /// Stars of its valid OCOP certificate.
    async fn ocop_stars(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<i32>> {
        Ok(ctx
            .loaders()?
            .current_certificate
            .load_one(self.0.id)
            .await?
            .map(|c| c.stars))
    }
    /// Decision number of its valid OCOP certificate.
    async fn ocop_certificate_number(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<String>> {
        Ok(ctx
            .loaders()?
            .current_certificate
            .load_one(self.0.id)
            .await?
            .map(|c| c.decision_number))
    }
    /// Validity of its OCOP certificate.
    async fn ocop_valid_until(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Date>> {
        Ok(ctx
            .loaders()?
            .current_certificate
            .load_one(self.0.id)
            .await?
            .map(|c| Date(c.valid_until)))
    }
    /// Highest level at which it holds a valid recognition as an outstanding product.
    async fn highest_recognition(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<SelectionLevel>> {
        Ok(highest(ctx, self.0.id).await?.map(|(l, _)| l.into()))
    }
    /// Validity of that recognition.
    async fn recognition_valid_until(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Date>> {
        Ok(highest(ctx, self.0.id)
            .await?
            .and_then(|(_, d)| d)
            .map(Date))
    }
}

async fn highest(
    ctx: &Context<'_>,
    product_id: i64,
) -> async_graphql::Result<Option<(enums::SelectionLevel, Option<chrono::NaiveDate>)>> {
    let today = Utc::now().date_naive();
    let recognitions = ctx
        .loaders()?
        .recognitions
        .load_one(product_id)
        .await?
        .unwrap_or_default();
    let mut best: Option<(enums::SelectionLevel, Option<chrono::NaiveDate>)> = None;
    for n in recognitions
        .iter()
        .filter(|n| n.valid_until.is_some_and(|d| d >= today))
    {
        let Some(round) = ctx.loaders()?.round_ref.load_one(n.round_id).await? else {
            continue;
        };
        let level = round.level;
        let rank =
            |l: enums::SelectionLevel| enums::SelectionLevel::ALL.iter().position(|x| *x == l);
        if best.is_none_or(|(b, _)| rank(level) > rank(b)) {
            best = Some((level, n.valid_until));
        }
    }
    Ok(best)
}

connection!(
    PublicProductConnection,
    PublicProductEdge,
    PublicProduct,
    product::Entity,
    "A page of the public catalogue."
);

/// Filters of `publicCatalog`.
#[derive(InputObject, Default)]
pub struct PublicCatalogFilter {
    /// Text in the product's name, brand or description (diacritics ignored).
    pub search: Option<String>,
    /// Province.
    pub province_code: Option<String>,
    /// At least this many OCOP stars.
    pub min_stars: Option<i32>,
}

/// The public catalogue (anonymous).
#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// The public catalogue: products with a valid OCOP certificate or a valid recognition as
    /// an outstanding rural industrial product. No sign-in needed; no personal data.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn public_catalog(
        &self,
        ctx: &Context<'_>,
        filter: Option<PublicCatalogFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<PublicProductConnection> {
        let args = PageArgs::new(first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let page = domain::catalog::list(
            ctx.db()?,
            domain::catalog::CatalogFilter {
                search: f.search,
                province_code: f.province_code,
                min_stars: f.min_stars,
            },
            &args,
        )
        .await?;
        Ok(PublicProductConnection::from_page(page))
    }
}
