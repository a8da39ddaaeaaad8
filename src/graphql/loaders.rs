//! DataLoaders: every relation is loaded in batches, one parameterised `IN (…)` query per
//! batch, so the statements of a query do not grow with the rows it returns. Loaders are
//! made per request because they filter by the caller's area.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, OnceLock},
};

use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::DatabaseConnection;

use crate::{
    db::entities::{
        allocation, app_user, disbursement, establishment, funding_source, nomination,
        ocop_certificate, ocop_criteria, ocop_evaluation, ocop_score, product, project,
        project_beneficiary, project_event, scorecard, selection_round, support_cap_rule,
    },
    domain::{self, Ctx},
};

/// The DataLoaders of one request. Each is made the first time a resolver uses it (a request
/// pays only for the relations it asks), and each can be filled ahead by a parent resolver
/// that knows every key its children will ask for ([`Batch::prefetch`]): those children then
/// read from memory and do not depend on the loader's timer, so the statements of a request
/// do not grow when concurrent requests delay the batch.
pub struct Loaders {
    /// Establishments by id (within the caller's area).
    pub establishment: Batch<EstablishmentLoader>,
    /// Products by establishment id (within the caller's area).
    pub products_of: Batch<ProductsOfEstablishment>,
    /// Users by id, for "who did it" references.
    pub user: Batch<UserLoader>,
    /// Establishments by id for references from a visible record (a project's beneficiary).
    pub establishment_ref: Batch<EstablishmentRefLoader>,
    /// Projects by id (within the caller's area).
    pub project: Batch<ProjectLoader>,
    /// Funding sources by id (shown with the allocations of a visible project).
    pub funding_source: Batch<FundingSourceLoader>,
    /// Beneficiaries by project id.
    pub beneficiaries: Batch<BeneficiariesLoader>,
    /// Allocations by project id.
    pub allocations: Batch<AllocationsLoader>,
    /// Disbursements by allocation id.
    pub disbursements: Batch<DisbursementsLoader>,
    /// Status history by project id.
    pub history: Batch<HistoryLoader>,
    /// Projects by beneficiary establishment id (within the caller's area).
    pub projects_of: Batch<ProjectsOfEstablishment>,
    /// Selection rounds by id (those the caller may see).
    pub round: Batch<RoundLoader>,
    /// Nominations by round id.
    pub nominations: Batch<NominationsLoader>,
    /// Scorecards by nomination id.
    pub scorecards: Batch<ScorecardsLoader>,
    /// Recognitions by product id.
    pub recognitions: Batch<RecognitionsLoader>,
    /// Products by id for references from a visible record (a nomination).
    pub product_ref: Batch<ProductRefLoader>,
    /// Rounds by id for references (a public recognition).
    pub round_ref: Batch<RoundRefLoader>,
    /// OCOP scores by evaluation id.
    pub ocop_scores: Batch<OcopScoresLoader>,
    /// OCOP certificates by id.
    pub ocop_certificate: Batch<OcopCertificateLoader>,
    /// OCOP evaluations by id (references from a visible certificate).
    pub ocop_evaluation: Batch<OcopEvaluationLoader>,
    /// OCOP criteria versions by id.
    pub ocop_criteria: Batch<OcopCriteriaLoader>,
    /// The valid OCOP certificate by product id.
    pub current_certificate: Batch<CurrentCertificateLoader>,
    /// Support-cap rules by id.
    pub cap_rule: Batch<CapRuleLoader>,
}

impl Loaders {
    /// Loaders for one request (nothing is built until used).
    pub fn new(db: &DatabaseConnection, ctx: &Ctx) -> Self {
        let shared = Arc::new((db.clone(), ctx.clone()));
        Self {
            establishment: Batch::new(&shared, |db, ctx| {
                EstablishmentLoader(db.clone(), ctx.clone())
            }),
            products_of: Batch::new(&shared, |db, ctx| {
                ProductsOfEstablishment(db.clone(), ctx.clone())
            }),
            user: Batch::new(&shared, |db, _| UserLoader(db.clone())),
            establishment_ref: Batch::new(&shared, |db, _| EstablishmentRefLoader(db.clone())),
            project: Batch::new(&shared, |db, ctx| ProjectLoader(db.clone(), ctx.clone())),
            funding_source: Batch::new(&shared, |db, _| FundingSourceLoader(db.clone())),
            beneficiaries: Batch::new(&shared, |db, _| BeneficiariesLoader(db.clone())),
            allocations: Batch::new(&shared, |db, _| AllocationsLoader(db.clone())),
            disbursements: Batch::new(&shared, |db, _| DisbursementsLoader(db.clone())),
            history: Batch::new(&shared, |db, _| HistoryLoader(db.clone())),
            projects_of: Batch::new(&shared, |db, ctx| {
                ProjectsOfEstablishment(db.clone(), ctx.clone())
            }),
            round: Batch::new(&shared, |db, ctx| RoundLoader(db.clone(), ctx.clone())),
            nominations: Batch::new(&shared, |db, _| NominationsLoader(db.clone())),
            scorecards: Batch::new(&shared, |db, _| ScorecardsLoader(db.clone())),
            recognitions: Batch::new(&shared, |db, _| RecognitionsLoader(db.clone())),
            product_ref: Batch::new(&shared, |db, _| ProductRefLoader(db.clone())),
            round_ref: Batch::new(&shared, |db, _| RoundRefLoader(db.clone())),
            ocop_scores: Batch::new(&shared, |db, _| OcopScoresLoader(db.clone())),
            ocop_certificate: Batch::new(&shared, |db, _| OcopCertificateLoader(db.clone())),
            ocop_evaluation: Batch::new(&shared, |db, _| OcopEvaluationLoader(db.clone())),
            ocop_criteria: Batch::new(&shared, |db, _| OcopCriteriaLoader(db.clone())),
            current_certificate: Batch::new(&shared, |db, _| CurrentCertificateLoader(db.clone())),
            cap_rule: Batch::new(&shared, |db, _| CapRuleLoader(db.clone())),
        }
    }
}

/// One lazily built DataLoader with the rows a parent resolver fetched ahead.
pub struct Batch<L: Loader<i64>> {
    shared: Arc<(DatabaseConnection, Ctx)>,
    make: fn(&DatabaseConnection, &Ctx) -> L,
    loader: OnceLock<DataLoader<L>>,
    /// Keys fetched ahead: `None` when the key has no row.
    ready: Mutex<HashMap<i64, Option<L::Value>>>,
}

impl<L: Loader<i64>> Batch<L> {
    fn new(
        shared: &Arc<(DatabaseConnection, Ctx)>,
        make: fn(&DatabaseConnection, &Ctx) -> L,
    ) -> Self {
        Self {
            shared: shared.clone(),
            make,
            loader: OnceLock::new(),
            ready: Mutex::new(HashMap::new()),
        }
    }

    fn loader(&self) -> &DataLoader<L> {
        self.loader
            .get_or_init(|| loader((self.make)(&self.shared.0, &self.shared.1)))
    }

    fn ready(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Option<L::Value>>> {
        // A panic while holding the lock leaves a plain map behind: still usable.
        self.ready.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The value of one key: from what was fetched ahead, else through the DataLoader.
    pub async fn load_one(&self, key: i64) -> Result<Option<L::Value>, L::Error> {
        if let Some(v) = self.ready().get(&key) {
            return Ok(v.clone());
        }
        self.loader().load_one(key).await
    }

    /// Fetches the keys not yet known in one batch now (one statement, no timer) and keeps
    /// the values for the resolvers that ask next.
    pub async fn prefetch(&self, keys: &[i64]) -> Result<(), L::Error> {
        let missing: Vec<i64> = {
            let ready = self.ready();
            let mut seen = HashSet::new();
            keys.iter()
                .copied()
                .filter(|k| !ready.contains_key(k) && seen.insert(*k))
                .collect()
        };
        if missing.is_empty() {
            return Ok(());
        }
        let mut found = self.loader().loader().load(&missing).await?;
        let mut ready = self.ready();
        for k in missing {
            let v = found.remove(&k);
            ready.insert(k, v);
        }
        Ok(())
    }

    /// The ids `each` reads from the values fetched ahead for `keys` (deduplicated).
    pub fn ready_ids(&self, keys: &[i64], each: impl Fn(&L::Value) -> Vec<i64>) -> Vec<i64> {
        let ready = self.ready();
        let mut seen = HashSet::new();
        keys.iter()
            .filter_map(|k| ready.get(k).and_then(Option::as_ref))
            .flat_map(&each)
            .filter(|id| seen.insert(*id))
            .collect()
    }

    /// Keeps values already in hand (rows the parent read) for the resolvers that ask next.
    pub fn feed(&self, values: impl IntoIterator<Item = (i64, L::Value)>) {
        let mut ready = self.ready();
        for (k, v) in values {
            ready.insert(k, Some(v));
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

by_id_loader!(
    EstablishmentRefLoader,
    establishment,
    "Loads establishments by id without the area filter: only for references from a record the caller may already see."
);
by_id_loader!(
    ProductRefLoader,
    product,
    "Loads products by id without the area filter: only for references from a record the caller may already see (a nomination in a national round)."
);
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

/// A DataLoader that spawns its batches on tokio.
pub fn loader<T: Send + Sync + 'static>(t: T) -> DataLoader<T> {
    DataLoader::new(t, tokio::spawn)
}
