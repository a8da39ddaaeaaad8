//! Projects (domain::project): the project, its history and outcomes, inputs, queries and
//! mutations (money and beneficiary mutations included, to keep the served field order).
//! The types of [`beneficiaries`] and [`money`] live beside it.

mod beneficiaries;
mod money;

pub use beneficiaries::{Beneficiary, BeneficiaryInput, SupportCapRule};
pub use money::{Allocation, Disbursement};

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::graphql::input::{date_patch, patch, project_id};
use crate::kind::{AllocationId, EstablishmentId, FundingSourceId, ProjectId};
use crate::{
    db::entities::{project, project_event},
    domain::{
        self,
        page::PageArgs,
        project::{NewProject, Outcomes, ProjectFilter as DProjectFilter, ProjectPatch},
    },
    graphql::{
        connection::{connection, list_cost},
        context::ContextExt,
        enums::{ProgramLevel, ProjectAction, ProjectCategory, ProjectKind, ProjectStatus},
        ids,
        reference::{Commune, Province, commune_of, province_of},
        scalars::{Date, Vnd},
        user::{User, user_ref},
    },
};

/// An industrial-promotion project (đề án khuyến công).
#[derive(Clone)]
pub struct Project(pub project::Model);

impl From<project::Model> for Project {
    fn from(m: project::Model) -> Self {
        Self(m)
    }
}

#[Object]
impl Project {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        ids::encode(domain::project::ENTITY, self.0.id)
    }
    /// Evidence documents attached to it, oldest first.
    async fn documents(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::graphql::document::Document>> {
        crate::graphql::document::of_owner(
            ctx,
            crate::domain::document::OwnerKind::Project,
            self.0.id,
        )
        .await
    }
    /// Readable code: programme, province, year, sequence (KCDP-66-2025-0001).
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Description.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// National or local programme.
    async fn program_level(&self) -> ProgramLevel {
        self.0.program_level.into()
    }
    /// Individual, group or key project.
    async fn kind(&self) -> ProjectKind {
        self.0.kind.into()
    }
    /// Activity content.
    async fn category(&self) -> ProjectCategory {
        self.0.category.into()
    }
    /// Province.
    async fn province(&self, ctx: &Context<'_>) -> async_graphql::Result<Province> {
        province_of(ctx, &self.0.province_code)
    }
    /// Commune, for a commune's project.
    async fn commune(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Commune>> {
        self.0
            .commune_code
            .as_deref()
            .map(|c| commune_of(ctx, c))
            .transpose()
    }
    /// Implementing unit.
    async fn implementing_unit(&self) -> Option<&str> {
        self.0.implementing_unit.as_deref()
    }
    /// Fiscal year.
    async fn fiscal_year(&self) -> i32 {
        self.0.fiscal_year
    }
    /// Planned start.
    async fn planned_start(&self) -> Option<Date> {
        self.0.planned_start.map(Date)
    }
    /// Planned end.
    async fn planned_end(&self) -> Option<Date> {
        self.0.planned_end.map(Date)
    }
    /// Status.
    async fn status(&self) -> ProjectStatus {
        self.0.status.into()
    }
    /// Support not tied to one beneficiary (organising a fair, an information campaign).
    async fn general_support_vnd(&self) -> Vnd {
        Vnd(self.0.general_support_vnd)
    }
    /// Σ beneficiary support + generalSupportVnd.
    async fn support_vnd(&self) -> Vnd {
        Vnd(self.0.support_vnd)
    }
    /// Σ beneficiaries' own investment.
    async fn counterpart_vnd(&self) -> Vnd {
        Vnd(self.0.counterpart_vnd)
    }
    /// Support + counterpart.
    async fn total_vnd(&self) -> Vnd {
        Vnd(self.0.support_vnd + self.0.counterpart_vnd)
    }
    /// Allocated from funding sources.
    async fn allocated_vnd(&self) -> Vnd {
        Vnd(self.0.allocated_vnd)
    }
    /// Disbursed.
    async fn disbursed_vnd(&self) -> Vnd {
        Vnd(self.0.disbursed_vnd)
    }
    /// Beneficiaries with their support and own investment.
    async fn beneficiaries(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Beneficiary>> {
        Ok(ctx
            .loaders()?
            .beneficiaries
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Beneficiary)
            .collect())
    }
    /// Allocations from funding sources.
    async fn allocations(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Allocation>> {
        Ok(ctx
            .loaders()?
            .allocations
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Allocation)
            .collect())
    }
    /// Every status transition, oldest first.
    async fn history(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ProjectEvent>> {
        Ok(ctx
            .loaders()?
            .history
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(ProjectEvent)
            .collect())
    }
    /// Outcomes recorded on acceptance.
    async fn outcomes(&self) -> Option<ProjectOutcomes> {
        let m = &self.0;
        let any = m.jobs_created.is_some()
            || m.trainees.is_some()
            || m.average_monthly_income_vnd.is_some()
            || m.outcome_notes.is_some();
        any.then(|| ProjectOutcomes {
            jobs_created: m.jobs_created,
            trainees: m.trainees,
            average_monthly_income_vnd: m.average_monthly_income_vnd.map(Vnd),
            notes: m.outcome_notes.clone(),
        })
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
    ProjectConnection,
    ProjectEdge,
    Project,
    project::Entity,
    "A page of projects."
);

/// One status transition of a project.
pub struct ProjectEvent(pub project_event::Model);

#[Object]
impl ProjectEvent {
    /// The action taken.
    async fn action(&self) -> ProjectAction {
        self.0.action.into()
    }
    /// Status before.
    async fn from_status(&self) -> ProjectStatus {
        self.0.from_status.into()
    }
    /// Status after.
    async fn to_status(&self) -> ProjectStatus {
        self.0.to_status.into()
    }
    /// Who took it.
    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        match self.0.actor_id {
            Some(id) => user_ref(ctx, id).await,
            None => Ok(None),
        }
    }
    /// The actor's comment.
    async fn comment(&self) -> Option<&str> {
        self.0.comment.as_deref()
    }
    /// When.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
}

/// Outcomes recorded on acceptance (nghiệm thu).
#[derive(SimpleObject)]
pub struct ProjectOutcomes {
    /// Jobs created.
    pub jobs_created: Option<i32>,
    /// People trained.
    pub trainees: Option<i32>,
    /// Average monthly income of workers.
    pub average_monthly_income_vnd: Option<Vnd>,
    /// Notes.
    pub notes: Option<String>,
}

/// Outcomes to record with `ACCEPT`.
#[derive(InputObject)]
pub struct ProjectOutcomesInput {
    /// Jobs created (≥ 0).
    pub jobs_created: Option<i32>,
    /// People trained (≥ 0).
    pub trainees: Option<i32>,
    /// Average monthly income of workers.
    pub average_monthly_income_vnd: Option<Vnd>,
    /// Notes.
    pub notes: Option<String>,
}

/// A new project.
#[derive(InputObject)]
pub struct CreateProjectInput {
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Programme.
    pub program_level: ProgramLevel,
    /// Kind.
    pub kind: ProjectKind,
    /// Activity content.
    pub category: ProjectCategory,
    /// Province (inside the caller's area).
    pub province_code: String,
    /// Commune (a commune user's own by default).
    pub commune_code: Option<String>,
    /// Implementing unit.
    pub implementing_unit: Option<String>,
    /// Fiscal year.
    pub fiscal_year: i32,
    /// Planned start.
    pub planned_start: Option<Date>,
    /// Planned end.
    pub planned_end: Option<Date>,
    /// Support not tied to one beneficiary.
    pub general_support_vnd: Option<Vnd>,
}

/// Changes to a project (only while DRAFT, SUBMITTED or APPRAISED).
#[derive(InputObject)]
pub struct UpdateProjectInput {
    /// Title.
    pub title: Option<String>,
    /// Description.
    pub description: MaybeUndefined<String>,
    /// Kind.
    pub kind: Option<ProjectKind>,
    /// Activity content.
    pub category: Option<ProjectCategory>,
    /// Commune.
    pub commune_code: MaybeUndefined<String>,
    /// Implementing unit.
    pub implementing_unit: MaybeUndefined<String>,
    /// Planned start.
    pub planned_start: MaybeUndefined<Date>,
    /// Planned end.
    pub planned_end: MaybeUndefined<Date>,
    /// Support not tied to one beneficiary.
    pub general_support_vnd: Option<Vnd>,
}

/// Filters of `projects`.
#[derive(InputObject, Default)]
pub struct ProjectFilter {
    /// Province.
    pub province_code: Option<String>,
    /// Commune.
    pub commune_code: Option<String>,
    /// Programme.
    pub program_level: Option<ProgramLevel>,
    /// Kind.
    pub kind: Option<ProjectKind>,
    /// Activity content.
    pub category: Option<ProjectCategory>,
    /// Status.
    pub status: Option<ProjectStatus>,
    /// Fiscal year.
    pub fiscal_year: Option<i32>,
    /// With this establishment among the beneficiaries.
    pub establishment_id: Option<ID>,
    /// Text in the code, title, description or implementing unit (diacritics ignored).
    pub search: Option<String>,
    /// Changed at or after (oldest change first).
    pub updated_since: Option<DateTime<Utc>>,
}

/// Funding and project queries.
#[derive(Default)]
pub struct ProjectQuery;

#[Object]
impl ProjectQuery {
    /// Projects of the caller's area.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn projects(
        &self,
        ctx: &Context<'_>,
        filter: Option<ProjectFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<ProjectConnection> {
        let args = PageArgs::new(first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        // An id that is not an establishment's matches nothing.
        let establishment_id = match &f.establishment_id {
            None => None,
            Some(id) => match ids::decode::<EstablishmentId>(id) {
                Some(e) => Some(e),
                None => return Ok(ProjectConnection::empty(&args)),
            },
        };
        let page = domain::project::list(
            ctx.db()?,
            ctx.dctx()?,
            DProjectFilter {
                province_code: f.province_code,
                commune_code: f.commune_code,
                program_level: f.program_level.map(Into::into),
                kind: f.kind.map(Into::into),
                category: f.category.map(Into::into),
                status: f.status.map(Into::into),
                fiscal_year: f.fiscal_year,
                establishment_id,
                search: f.search,
                updated_since: f.updated_since,
            },
            &args,
        )
        .await?;
        let rows: Vec<&project::Model> = page.rows.iter().map(|(_, m)| m).collect();
        crate::graphql::prefetch::projects(ctx, &rows, true).await?;
        Ok(ProjectConnection::from_page(page))
    }

    /// One project.
    async fn project(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Project>> {
        let dctx = ctx.dctx()?;
        dctx.actor()?;
        let Some(id) = ids::decode::<ProjectId>(&id) else {
            return Ok(None);
        };
        let found = domain::project::get(ctx.db()?, dctx, id).await?;
        if let Some(m) = &found {
            crate::graphql::prefetch::projects(ctx, &[m], false).await?;
        }
        Ok(found.map(Project))
    }
}

/// Funding and project mutations.
#[derive(Default)]
pub struct ProjectMutation;

#[Object]
impl ProjectMutation {
    /// Proposes a project (commune or province users, in their area).
    async fn create_project(
        &self,
        ctx: &Context<'_>,
        input: CreateProjectInput,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<Project> {
        let m = domain::project::create(
            ctx.db()?,
            ctx.dctx()?,
            NewProject {
                title: input.title,
                description: input.description,
                program_level: input.program_level.into(),
                kind: input.kind.into(),
                category: input.category.into(),
                province_code: input.province_code,
                commune_code: input.commune_code,
                implementing_unit: input.implementing_unit,
                fiscal_year: input.fiscal_year,
                planned_start: input.planned_start.map(|d| d.0),
                planned_end: input.planned_end.map(|d| d.0),
                general_support_vnd: input.general_support_vnd.map(|v| v.0),
            },
            idempotency_key,
        )
        .await?;
        Ok(Project(m))
    }

    /// Updates a project while its money may still change.
    async fn update_project(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateProjectInput,
    ) -> async_graphql::Result<Project> {
        let m = domain::project::update(
            ctx.db()?,
            ctx.dctx()?,
            project_id(&id)?,
            expected_version,
            ProjectPatch {
                title: input.title,
                description: patch(input.description),
                kind: input.kind.map(Into::into),
                category: input.category.map(Into::into),
                commune_code: patch(input.commune_code),
                implementing_unit: patch(input.implementing_unit),
                planned_start: date_patch(input.planned_start),
                planned_end: date_patch(input.planned_end),
                general_support_vnd: input.general_support_vnd.map(|v| v.0),
            },
        )
        .await?;
        Ok(Project(m))
    }

    /// Adds a beneficiary (eligibility of the decree; support caps).
    async fn add_beneficiary(
        &self,
        ctx: &Context<'_>,
        project_id: ID,
        expected_version: i32,
        input: BeneficiaryInput,
    ) -> async_graphql::Result<Project> {
        let establishment_id =
            ids::require::<EstablishmentId>(&input.establishment_id, "establishment", "cơ sở")?;
        let m = domain::project::add_beneficiary(
            ctx.db()?,
            ctx.dctx()?,
            self::project_id(&project_id)?,
            expected_version,
            establishment_id,
            input.support_vnd.0,
            input.counterpart_vnd.0,
        )
        .await?;
        Ok(Project(m))
    }

    /// Removes a beneficiary.
    async fn remove_beneficiary(
        &self,
        ctx: &Context<'_>,
        project_id: ID,
        expected_version: i32,
        establishment_id: ID,
    ) -> async_graphql::Result<Project> {
        let establishment_id =
            ids::require::<EstablishmentId>(&establishment_id, "establishment", "cơ sở")?;
        let m = domain::project::remove_beneficiary(
            ctx.db()?,
            ctx.dctx()?,
            self::project_id(&project_id)?,
            expected_version,
            establishment_id,
        )
        .await?;
        Ok(Project(m))
    }

    /// Allocates money of a funding source to a project (`BUDGET_EXCEEDED` beyond either).
    async fn allocate_funding(
        &self,
        ctx: &Context<'_>,
        project_id: ID,
        funding_source_id: ID,
        amount_vnd: Vnd,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<Allocation> {
        let source = ids::require::<FundingSourceId>(
            &funding_source_id,
            "funding source",
            "nguồn kinh phí",
        )?;
        let m = domain::project::allocate(
            ctx.db()?,
            ctx.dctx()?,
            self::project_id(&project_id)?,
            source,
            amount_vnd.0,
            idempotency_key,
        )
        .await?;
        Ok(Allocation(m))
    }

    /// Releases an allocation: its undisbursed money returns to the source.
    async fn release_allocation(
        &self,
        ctx: &Context<'_>,
        allocation_id: ID,
    ) -> async_graphql::Result<Allocation> {
        let id = ids::require::<AllocationId>(&allocation_id, "allocation", "phân bổ")?;
        Ok(Allocation(
            domain::project::release(ctx.db()?, ctx.dctx()?, id).await?,
        ))
    }

    /// Records a disbursement (before acceptance, advances stay within the advance rule: 70 %
    /// of the allocation under Circular 28/2018/TT-BTC as amended).
    async fn record_disbursement(
        &self,
        ctx: &Context<'_>,
        allocation_id: ID,
        amount_vnd: Vnd,
        date: Date,
        note: Option<String>,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<Disbursement> {
        let id = ids::require::<AllocationId>(&allocation_id, "allocation", "phân bổ")?;
        Ok(Disbursement(
            domain::project::disburse(
                ctx.db()?,
                ctx.dctx()?,
                id,
                amount_vnd.0,
                date.0,
                note,
                idempotency_key,
            )
            .await?,
        ))
    }

    /// Takes a lifecycle action; see `ProjectAction` for who may take which.
    async fn transition_project(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        action: ProjectAction,
        comment: Option<String>,
        outcomes: Option<ProjectOutcomesInput>,
    ) -> async_graphql::Result<Project> {
        let m = domain::project::transition(
            ctx.db()?,
            ctx.dctx()?,
            project_id(&id)?,
            expected_version,
            action.into(),
            comment,
            outcomes.map(|o| Outcomes {
                jobs_created: o.jobs_created,
                trainees: o.trainees,
                average_monthly_income_vnd: o.average_monthly_income_vnd.map(|v| v.0),
                notes: o.notes,
            }),
        )
        .await?;
        Ok(Project(m))
    }
}
