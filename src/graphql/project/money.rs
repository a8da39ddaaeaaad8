//! Allocations and disbursements of a project (domain::project::money).

use super::*;
use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};

use crate::{
    db::entities::{allocation, disbursement},
    domain::{self},
    error::AppError,
    graphql::{
        context::ContextExt,
        funding::FundingSource,
        ids,
        scalars::{Date, Vnd},
    },
};

/// Money of a funding source committed to a project.
#[derive(Clone)]
pub struct Allocation(pub allocation::Model);

#[Object]
impl Allocation {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        ids::encode(domain::project::ALLOCATION, self.0.id)
    }
    /// The project.
    async fn project(&self, ctx: &Context<'_>) -> async_graphql::Result<Project> {
        ctx.loaders()?
            .project
            .load_one(self.0.project_id)
            .await?
            .map(Project)
            .ok_or_else(|| AppError::not_found("project", "đề án").into())
    }
    /// The funding source.
    async fn funding_source(&self, ctx: &Context<'_>) -> async_graphql::Result<FundingSource> {
        ctx.loaders()?
            .funding_source
            .load_one(self.0.funding_source_id)
            .await?
            .map(FundingSource)
            .ok_or_else(|| AppError::not_found("funding source", "nguồn kinh phí").into())
    }
    /// Amount allocated.
    async fn amount_vnd(&self) -> Vnd {
        Vnd(self.0.amount_vnd)
    }
    /// Disbursed from it.
    async fn disbursed_vnd(&self) -> Vnd {
        Vnd(self.0.disbursed_vnd)
    }
    /// Released: what was not disbursed went back to the source.
    async fn released(&self) -> bool {
        self.0.released
    }
    /// How much went back to the source on release.
    async fn released_vnd(&self) -> Vnd {
        Vnd(self.0.released_vnd)
    }
    /// Payments made.
    async fn disbursements(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Disbursement>> {
        Ok(ctx
            .loaders()?
            .disbursements
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Disbursement)
            .collect())
    }
    /// Created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A payment made against an allocation.
pub struct Disbursement(pub disbursement::Model);

#[Object]
impl Disbursement {
    /// Opaque id.
    async fn id(&self) -> ID {
        ids::encode(domain::project::DISBURSEMENT, self.0.id)
    }
    /// Amount.
    async fn amount_vnd(&self) -> Vnd {
        Vnd(self.0.amount_vnd)
    }
    /// Payment date.
    async fn date(&self) -> Date {
        Date(self.0.date)
    }
    /// Note.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// Recorded.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
