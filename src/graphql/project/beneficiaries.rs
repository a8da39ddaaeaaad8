//! Beneficiary establishments of a project and the support caps that bound them
//! (domain::project::beneficiaries).

use async_graphql::{Context, ID, InputObject, Object};

use crate::{
    db::entities::project_beneficiary,
    error::AppError,
    graphql::{
        context::ContextExt,
        enums::ProjectCategory,
        establishment::Establishment,
        scalars::{Date, Vnd},
    },
};

/// An establishment supported by a project.
pub struct Beneficiary(pub project_beneficiary::Model);

#[Object]
impl Beneficiary {
    /// The establishment.
    async fn establishment(&self, ctx: &Context<'_>) -> async_graphql::Result<Establishment> {
        ctx.loaders()?
            .establishment_ref
            .load_one(self.0.establishment_id)
            .await?
            .map(Establishment)
            .ok_or_else(|| AppError::not_found("establishment", "cơ sở").into())
    }
    /// State support.
    async fn support_vnd(&self) -> Vnd {
        Vnd(self.0.support_vnd)
    }
    /// The establishment's own investment.
    async fn counterpart_vnd(&self) -> Vnd {
        Vnd(self.0.counterpart_vnd)
    }
    /// The support-cap rule (and its legal basis) the support was checked against.
    async fn cap_rule(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<SupportCapRule>> {
        match self.0.cap_rule_id {
            Some(id) => Ok(ctx
                .loaders()?
                .cap_rule
                .load_one(id)
                .await?
                .map(SupportCapRule)),
            None => Ok(None),
        }
    }
}

/// A support cap of a regulation, as versioned data.
pub struct SupportCapRule(pub crate::db::entities::support_cap_rule::Model);

#[Object]
impl SupportCapRule {
    /// The regulation.
    async fn legal_basis(&self) -> &str {
        &self.0.legal_basis
    }
    /// In force from.
    async fn effective_from(&self) -> Date {
        Date(self.0.effective_from)
    }
    /// Activity content it caps.
    async fn category(&self) -> ProjectCategory {
        self.0.category.into()
    }
    /// The province that set it (none for the national caps).
    async fn province_code(&self) -> Option<&str> {
        self.0.province_code.as_deref()
    }
    /// Largest share of the beneficiary's total cost, in percent.
    async fn max_percent(&self) -> i32 {
        self.0.max_percent
    }
    /// Largest support per establishment or per model.
    async fn max_amount_vnd(&self) -> Vnd {
        Vnd(self.0.max_amount_vnd)
    }
}

/// A beneficiary to add.
#[derive(InputObject)]
pub struct BeneficiaryInput {
    /// The establishment.
    pub establishment_id: ID,
    /// State support (within the support caps).
    pub support_vnd: Vnd,
    /// The establishment's own investment.
    pub counterpart_vnd: Vnd,
}
