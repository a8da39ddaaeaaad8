//! Products: types, queries and mutations.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, Utc};

use crate::graphql::input::patch;
use crate::kind::{EstablishmentId, ProductId};
use crate::{
    db::entities::product,
    domain::{self, page::PageArgs, product::ProductPatch},
    enums,
    error::AppError,
    graphql::{
        connection::{connection, list_cost},
        context::ContextExt,
        enums::{OcopProductGroup, SelectionProductGroup},
        establishment::Establishment,
        ids,
    },
};

/// A product of an establishment.
#[derive(Clone)]
pub struct Product(pub product::Model);

impl From<product::Model> for Product {
    fn from(m: product::Model) -> Self {
        Self(m)
    }
}

#[Object]
impl Product {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        ids::encode(domain::product::ENTITY, self.0.id)
    }
    /// Name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Description.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Brand or trademark.
    async fn brand(&self) -> Option<&str> {
        self.0.brand.as_deref()
    }
    /// The establishment that makes it.
    async fn establishment(&self, ctx: &Context<'_>) -> async_graphql::Result<Establishment> {
        ctx.loaders()?
            .establishment
            .load_one(self.0.establishment_id)
            .await?
            .map(Establishment)
            .ok_or_else(|| AppError::not_found("establishment", "cơ sở").into())
    }
    /// Group in the selection of outstanding rural industrial products.
    async fn selection_group(&self) -> Option<SelectionProductGroup> {
        self.0.selection_group.map(Into::into)
    }
    /// Group in OCOP.
    async fn ocop_group(&self) -> Option<OcopProductGroup> {
        self.0.ocop_group.map(Into::into)
    }
    /// Its valid OCOP certificate, if any.
    async fn current_ocop_certificate(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<crate::graphql::ocop::OcopCertificate>> {
        Ok(ctx
            .loaders()?
            .current_certificate
            .load_one(self.0.id)
            .await?
            .map(crate::graphql::ocop::OcopCertificate))
    }
    /// Its recognitions as an outstanding rural industrial product, at every level.
    async fn recognitions(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::graphql::selection::Nomination>> {
        Ok(ctx
            .loaders()?
            .recognitions
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(crate::graphql::selection::Nomination)
            .collect())
    }
    /// Version for optimistic concurrency.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When it was registered.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

connection!(
    ProductConnection,
    ProductEdge,
    Product,
    product::Entity,
    "A page of products."
);

/// A new product.
#[derive(InputObject)]
pub struct CreateProductInput {
    /// The establishment's id.
    pub establishment_id: ID,
    /// Name (≤ 300).
    pub name: String,
    /// Description (≤ 5000).
    pub description: Option<String>,
    /// Brand or trademark (≤ 200).
    pub brand: Option<String>,
    /// Group in the selection.
    pub selection_group: Option<SelectionProductGroup>,
    /// Group in OCOP.
    pub ocop_group: Option<OcopProductGroup>,
}

/// Changes to a product: omitted fields stay; `null` clears an optional one.
#[derive(InputObject)]
pub struct UpdateProductInput {
    /// Name.
    pub name: MaybeUndefined<String>,
    /// Description.
    pub description: MaybeUndefined<String>,
    /// Brand.
    pub brand: MaybeUndefined<String>,
    /// Selection group.
    pub selection_group: MaybeUndefined<SelectionProductGroup>,
    /// OCOP group.
    pub ocop_group: MaybeUndefined<OcopProductGroup>,
}

/// Filters of `products`.
#[derive(InputObject, Default)]
pub struct ProductFilter {
    /// Province code.
    pub province_code: Option<String>,
    /// Commune code.
    pub commune_code: Option<String>,
    /// Establishment id.
    pub establishment_id: Option<ID>,
    /// Text in the name, brand or description; ignores case and diacritics.
    pub search: Option<String>,
    /// With a valid OCOP certificate of at least this many stars.
    pub min_ocop_stars: Option<i32>,
    /// Changed at or after this time; the list then runs oldest change first.
    pub updated_since: Option<DateTime<Utc>>,
}

/// Product queries.
#[derive(Default)]
pub struct ProductQuery;

#[Object]
impl ProductQuery {
    /// Products of the caller's area.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn products(
        &self,
        ctx: &Context<'_>,
        filter: Option<ProductFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<ProductConnection> {
        let args = PageArgs::new(first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        // An id that is not an establishment's matches nothing.
        let establishment_id = match &f.establishment_id {
            None => None,
            Some(id) => match ids::decode::<EstablishmentId>(id) {
                Some(e) => Some(e),
                None => return Ok(ProductConnection::empty(&args)),
            },
        };
        let page = domain::product::list(
            ctx.db()?,
            ctx.dctx()?,
            domain::product::ProductFilter {
                province_code: f.province_code,
                commune_code: f.commune_code,
                establishment_id,
                search: f.search,
                min_ocop_stars: f.min_ocop_stars,
                updated_since: f.updated_since,
            },
            &args,
        )
        .await?;
        Ok(ProductConnection::from_page(page))
    }

    /// One product, or null when it does not exist for the caller.
    async fn product(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Product>> {
        let dctx = ctx.dctx()?;
        dctx.actor()?;
        let Some(id) = ids::decode::<ProductId>(&id) else {
            return Ok(None);
        };
        Ok(domain::product::get(ctx.db()?, dctx, id)
            .await?
            .map(Product))
    }
}

/// Product mutations.
#[derive(Default)]
pub struct ProductMutation;

#[Object]
impl ProductMutation {
    /// Registers a product of an establishment in the caller's area.
    async fn create_product(
        &self,
        ctx: &Context<'_>,
        input: CreateProductInput,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<Product> {
        let establishment_id =
            ids::require::<EstablishmentId>(&input.establishment_id, "establishment", "cơ sở")?;
        let m = domain::product::create(
            ctx.db()?,
            ctx.dctx()?,
            domain::product::NewProduct {
                establishment_id,
                name: input.name,
                description: input.description,
                brand: input.brand,
                selection_group: input.selection_group.map(Into::into),
                ocop_group: input.ocop_group.map(Into::into),
            },
            idempotency_key,
        )
        .await?;
        Ok(Product(m))
    }

    /// Updates a product; `expectedVersion` must be its current version.
    async fn update_product(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateProductInput,
    ) -> async_graphql::Result<Product> {
        let id = ids::require::<ProductId>(&id, "product", "sản phẩm")?;
        let p = ProductPatch {
            name: patch(input.name),
            description: patch(input.description),
            brand: patch(input.brand),
            selection_group: patch::<SelectionProductGroup, enums::SelectionProductGroup>(
                input.selection_group,
            ),
            ocop_group: patch::<OcopProductGroup, enums::OcopProductGroup>(input.ocop_group),
        };
        let m = domain::product::update(ctx.db()?, ctx.dctx()?, id, expected_version, p).await?;
        Ok(Product(m))
    }
}
