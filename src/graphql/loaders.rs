//! DataLoaders: every relation is loaded in batches, one parameterised `IN (…)` query per
//! batch, so the statements of a query do not grow with the rows it returns. Loaders are
//! made per request because they filter by the caller's area.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::DatabaseConnection;

use crate::{
    db::entities::{
        allocation, app_user, disbursement, establishment, funding_source, nomination,
        ocop_certificate, ocop_criteria, ocop_evaluation, ocop_score, product, project,
        project_beneficiary, project_event, scorecard, selection_round, support_cap_rule,
    },
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
    /// Establishments by id for references from a visible record (a project's beneficiary).
    pub establishment_ref: DataLoader<EstablishmentRefLoader>,
    /// Projects by id (within the caller's area).
    pub project: DataLoader<ProjectLoader>,
    /// Funding sources by id (shown with the allocations of a visible project).
    pub funding_source: DataLoader<FundingSourceLoader>,
    /// Beneficiaries by project id.
    pub beneficiaries: DataLoader<BeneficiariesLoader>,
    /// Allocations by project id.
    pub allocations: DataLoader<AllocationsLoader>,
    /// Disbursements by allocation id.
    pub disbursements: DataLoader<DisbursementsLoader>,
    /// Status history by project id.
    pub history: DataLoader<HistoryLoader>,
    /// Projects by beneficiary establishment id (within the caller's area).
    pub projects_of: DataLoader<ProjectsOfEstablishment>,
    /// Selection rounds by id (those the caller may see).
    pub round: DataLoader<RoundLoader>,
    /// Nominations by round id.
    pub nominations: DataLoader<NominationsLoader>,
    /// Scorecards by nomination id.
    pub scorecards: DataLoader<ScorecardsLoader>,
    /// Recognitions by product id.
    pub recognitions: DataLoader<RecognitionsLoader>,
    /// Products by id for references from a visible record (a nomination).
    pub product_ref: DataLoader<ProductRefLoader>,
    /// Rounds by id for references (a public recognition).
    pub round_ref: DataLoader<RoundRefLoader>,
    /// OCOP scores by evaluation id.
    pub ocop_scores: DataLoader<OcopScoresLoader>,
    /// OCOP certificates by id.
    pub ocop_certificate: DataLoader<OcopCertificateLoader>,
    /// OCOP evaluations by id (references from a visible certificate).
    pub ocop_evaluation: DataLoader<OcopEvaluationLoader>,
    /// OCOP criteria versions by id.
    pub ocop_criteria: DataLoader<OcopCriteriaLoader>,
    /// The valid OCOP certificate by product id.
    pub current_certificate: DataLoader<CurrentCertificateLoader>,
    /// Support-cap rules by id.
    pub cap_rule: DataLoader<CapRuleLoader>,
}

impl Loaders {
    /// Loaders for one request.
    pub fn new(db: &DatabaseConnection, ctx: &Ctx) -> Self {
        Self {
            establishment: loader(EstablishmentLoader(db.clone(), ctx.clone())),
            products_of: loader(ProductsOfEstablishment(db.clone(), ctx.clone())),
            user: loader(UserLoader(db.clone())),
            establishment_ref: loader(EstablishmentRefLoader(db.clone())),
            project: loader(ProjectLoader(db.clone(), ctx.clone())),
            funding_source: loader(FundingSourceLoader(db.clone())),
            beneficiaries: loader(BeneficiariesLoader(db.clone())),
            allocations: loader(AllocationsLoader(db.clone())),
            disbursements: loader(DisbursementsLoader(db.clone())),
            history: loader(HistoryLoader(db.clone())),
            projects_of: loader(ProjectsOfEstablishment(db.clone(), ctx.clone())),
            round: loader(RoundLoader(db.clone(), ctx.clone())),
            nominations: loader(NominationsLoader(db.clone())),
            scorecards: loader(ScorecardsLoader(db.clone())),
            recognitions: loader(RecognitionsLoader(db.clone())),
            product_ref: loader(ProductRefLoader(db.clone())),
            round_ref: loader(RoundRefLoader(db.clone())),
            ocop_scores: loader(OcopScoresLoader(db.clone())),
            ocop_certificate: loader(OcopCertificateLoader(db.clone())),
            ocop_evaluation: loader(OcopEvaluationLoader(db.clone())),
            ocop_criteria: loader(OcopCriteriaLoader(db.clone())),
            current_certificate: loader(CurrentCertificateLoader(db.clone())),
            cap_rule: loader(CapRuleLoader(db.clone())),
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

/// Loads establishments by id without the area filter: only for references from a record
/// the caller may already see.
pub struct EstablishmentRefLoader(DatabaseConnection);

impl Loader<i64> for EstablishmentRefLoader {
    type Value = establishment::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let rows = establishment::Entity::find()
            .filter(establishment::Column::Id.is_in(keys.iter().copied()))
            .all(&self.0)
            .await
            .map_err(crate::error::AppError::from)?;
        Ok(rows.into_iter().map(|m| (m.id, m)).collect())
    }
}

/// Loads projects by id within the caller's area.
pub struct ProjectLoader(DatabaseConnection, Ctx);

impl Loader<i64> for ProjectLoader {
    type Value = project::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = domain::project::get_many(&self.0, &self.1, keys).await?;
        Ok(rows.into_iter().map(|m| (m.id, m)).collect())
    }
}

/// Loads funding sources by id.
pub struct FundingSourceLoader(DatabaseConnection);

impl Loader<i64> for FundingSourceLoader {
    type Value = funding_source::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = domain::funding::get_many_unscoped(&self.0, keys).await?;
        Ok(rows.into_iter().map(|m| (m.id, m)).collect())
    }
}

/// Loads the beneficiaries of projects.
pub struct BeneficiariesLoader(DatabaseConnection);

impl Loader<i64> for BeneficiariesLoader {
    type Value = Vec<project_beneficiary::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        Ok(domain::project::beneficiaries_of(&self.0, keys).await?)
    }
}

/// Loads the allocations of projects.
pub struct AllocationsLoader(DatabaseConnection);

impl Loader<i64> for AllocationsLoader {
    type Value = Vec<allocation::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        Ok(domain::project::allocations_of(&self.0, keys).await?)
    }
}

/// Loads the disbursements of allocations.
pub struct DisbursementsLoader(DatabaseConnection);

impl Loader<i64> for DisbursementsLoader {
    type Value = Vec<disbursement::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        Ok(domain::project::disbursements_of(&self.0, keys).await?)
    }
}

/// Loads the status history of projects.
pub struct HistoryLoader(DatabaseConnection);

impl Loader<i64> for HistoryLoader {
    type Value = Vec<project_event::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        Ok(domain::project::history_of(&self.0, keys).await?)
    }
}

/// Loads the projects of establishments (as beneficiaries).
pub struct ProjectsOfEstablishment(DatabaseConnection, Ctx);

impl Loader<i64> for ProjectsOfEstablishment {
    type Value = Vec<project::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        Ok(domain::project::projects_of_establishments(&self.0, &self.1, keys).await?)
    }
}

/// Loads selection rounds by id.
pub struct RoundLoader(DatabaseConnection, Ctx);

impl Loader<i64> for RoundLoader {
    type Value = selection_round::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = domain::selection::get_rounds(&self.0, &self.1, keys).await?;
        Ok(rows.into_iter().map(|m| (m.id, m)).collect())
    }
}

/// Loads the nominations of rounds.
pub struct NominationsLoader(DatabaseConnection);

impl Loader<i64> for NominationsLoader {
    type Value = Vec<nomination::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        Ok(domain::selection::nominations_of(&self.0, keys).await?)
    }
}

/// Loads the scorecards of nominations.
pub struct ScorecardsLoader(DatabaseConnection);

impl Loader<i64> for ScorecardsLoader {
    type Value = Vec<scorecard::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        Ok(domain::selection::scorecards_of(&self.0, keys).await?)
    }
}

/// Loads the recognitions of products.
pub struct RecognitionsLoader(DatabaseConnection);

impl Loader<i64> for RecognitionsLoader {
    type Value = Vec<nomination::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        Ok(domain::selection::recognitions_of(&self.0, keys).await?)
    }
}

/// Loads products by id without the area filter: only for references from a record the
/// caller may already see (a nomination in a national round).
pub struct ProductRefLoader(DatabaseConnection);

impl Loader<i64> for ProductRefLoader {
    type Value = product::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let rows = product::Entity::find()
            .filter(product::Column::Id.is_in(keys.iter().copied()))
            .all(&self.0)
            .await
            .map_err(crate::error::AppError::from)?;
        Ok(rows.into_iter().map(|m| (m.id, m)).collect())
    }
}

/// Declares a loader of rows by id (unscoped: for references from a visible record).
macro_rules! by_id_loader {
    ($name:ident, $entity:ident, $doc:literal) => {
        #[doc = $doc]
        pub struct $name(DatabaseConnection);

        impl Loader<i64> for $name {
            type Value = $entity::Model;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
                use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
                let rows = $entity::Entity::find()
                    .filter($entity::Column::Id.is_in(keys.iter().copied()))
                    .all(&self.0)
                    .await
                    .map_err(crate::error::AppError::from)?;
                Ok(rows.into_iter().map(|m| (m.id, m)).collect())
            }
        }
    };
}

by_id_loader!(RoundRefLoader, selection_round, "Loads rounds by id.");
by_id_loader!(
    OcopCertificateLoader,
    ocop_certificate,
    "Loads OCOP certificates by id."
);
by_id_loader!(
    OcopEvaluationLoader,
    ocop_evaluation,
    "Loads OCOP evaluations by id."
);
by_id_loader!(
    OcopCriteriaLoader,
    ocop_criteria,
    "Loads OCOP criteria versions by id."
);

/// Loads the scores of OCOP evaluations.
pub struct OcopScoresLoader(DatabaseConnection);

impl Loader<i64> for OcopScoresLoader {
    type Value = Vec<ocop_score::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        Ok(domain::ocop::scores_of(&self.0, keys).await?)
    }
}

/// Loads the valid OCOP certificate of products.
pub struct CurrentCertificateLoader(DatabaseConnection);

impl Loader<i64> for CurrentCertificateLoader {
    type Value = ocop_certificate::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        Ok(domain::ocop::current_of(&self.0, keys).await?)
    }
}

by_id_loader!(
    CapRuleLoader,
    support_cap_rule,
    "Loads support-cap rules by id."
);
