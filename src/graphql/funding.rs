//! Funding sources (domain::funding): type, inputs, queries and mutations.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};

use crate::kind::FundingSourceId;
use crate::{
    db::entities::funding_source,
    domain::{
        self,
        funding::{FundingSourceFilter as DFundingFilter, FundingSourcePatch, NewFundingSource},
        page::PageArgs,
    },
    graphql::{
        connection::{connection, list_cost},
        context::ContextExt,
        enums::FundingLevel,
        ids,
        reference::{Province, province_of},
        scalars::Vnd,
    },
};

/// A budget line for one fiscal year (nguồn kinh phí).
#[derive(Clone)]
pub struct FundingSource(pub funding_source::Model);

impl From<funding_source::Model> for FundingSource {
    fn from(m: funding_source::Model) -> Self {
        Self(m)
    }
}

#[Object]
impl FundingSource {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        ids::encode(domain::funding::ENTITY, self.0.id)
    }
    /// Name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// National programme, local programme, or other.
    async fn level(&self) -> FundingLevel {
        self.0.level.into()
    }
    /// Owning province (local sources; other sources of a province).
    async fn province(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Province>> {
        self.0
            .province_code
            .as_deref()
            .map(|c| province_of(ctx, c))
            .transpose()
    }
    /// Fiscal year.
    async fn fiscal_year(&self) -> i32 {
        self.0.fiscal_year
    }
    /// Amount.
    async fn amount_vnd(&self) -> Vnd {
        Vnd(self.0.amount_vnd)
    }
    /// Committed to projects (released allocations excluded, except what they disbursed).
    async fn allocated_vnd(&self) -> Vnd {
        Vnd(self.0.allocated_vnd)
    }
    /// Paid out.
    async fn disbursed_vnd(&self) -> Vnd {
        Vnd(self.0.disbursed_vnd)
    }
    /// Not yet allocated.
    async fn remaining_vnd(&self) -> Vnd {
        Vnd(self.0.amount_vnd - self.0.allocated_vnd)
    }
    /// Legal basis (decision allotting the budget).
    async fn legal_basis(&self) -> Option<&str> {
        self.0.legal_basis.as_deref()
    }
    /// Version for optimistic concurrency.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

connection!(
    FundingSourceConnection,
    FundingSourceEdge,
    FundingSource,
    funding_source::Entity,
    "A page of funding sources."
);

/// A new funding source.
#[derive(InputObject)]
pub struct CreateFundingSourceInput {
    /// Name.
    pub name: String,
    /// Level.
    pub level: FundingLevel,
    /// Province (local sources; a province's own other sources).
    pub province_code: Option<String>,
    /// Fiscal year.
    pub fiscal_year: i32,
    /// Amount.
    pub amount_vnd: Vnd,
    /// Legal basis.
    pub legal_basis: Option<String>,
}

/// Changes to a funding source.
#[derive(InputObject)]
pub struct UpdateFundingSourceInput {
    /// Name.
    pub name: Option<String>,
    /// Amount (not below what is allocated).
    pub amount_vnd: Option<Vnd>,
    /// Legal basis.
    pub legal_basis: Option<String>,
}

/// Filters of `fundingSources`.
#[derive(InputObject, Default)]
pub struct FundingSourceFilter {
    /// Level.
    pub level: Option<FundingLevel>,
    /// Province.
    pub province_code: Option<String>,
    /// Fiscal year.
    pub fiscal_year: Option<i32>,
    /// Changed at or after (oldest change first).
    pub updated_since: Option<DateTime<Utc>>,
}

/// Funding-source queries.
#[derive(Default)]
pub struct FundingQuery;

#[Object]
impl FundingQuery {
    /// Funding sources the caller may see: national ones and its province's.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn funding_sources(
        &self,
        ctx: &Context<'_>,
        filter: Option<FundingSourceFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<FundingSourceConnection> {
        let args = PageArgs::new(first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let page = domain::funding::list(
            ctx.db()?,
            ctx.dctx()?,
            DFundingFilter {
                level: f.level.map(Into::into),
                province_code: f.province_code,
                fiscal_year: f.fiscal_year,
                updated_since: f.updated_since,
            },
            &args,
        )
        .await?;
        Ok(FundingSourceConnection::from_page(page))
    }

    /// One funding source.
    async fn funding_source(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<FundingSource>> {
        let dctx = ctx.dctx()?;
        dctx.actor()?;
        let Some(id) = ids::decode::<FundingSourceId>(&id) else {
            return Ok(None);
        };
        Ok(domain::funding::get(ctx.db()?, dctx, id)
            .await?
            .map(FundingSource))
    }
}

/// Funding-source mutations.
#[derive(Default)]
pub struct FundingMutation;

#[Object]
impl FundingMutation {
    /// Creates a funding source (NATIONAL: national users; LOCAL: its province; OTHER: either).
    async fn create_funding_source(
        &self,
        ctx: &Context<'_>,
        input: CreateFundingSourceInput,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<FundingSource> {
        let m = domain::funding::create(
            ctx.db()?,
            ctx.dctx()?,
            NewFundingSource {
                name: input.name,
                level: input.level.into(),
                province_code: input.province_code,
                fiscal_year: input.fiscal_year,
                amount_vnd: input.amount_vnd.0,
                legal_basis: input.legal_basis,
            },
            idempotency_key,
        )
        .await?;
        Ok(FundingSource(m))
    }

    /// Updates a funding source; its amount never falls below what is allocated.
    async fn update_funding_source(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateFundingSourceInput,
    ) -> async_graphql::Result<FundingSource> {
        let id = ids::require::<FundingSourceId>(&id, "funding source", "nguồn kinh phí")?;
        let m = domain::funding::update(
            ctx.db()?,
            ctx.dctx()?,
            id,
            expected_version,
            FundingSourcePatch {
                name: input.name,
                amount_vnd: input.amount_vnd.map(|v| v.0),
                legal_basis: input.legal_basis,
            },
        )
        .await?;
        Ok(FundingSource(m))
    }
}
