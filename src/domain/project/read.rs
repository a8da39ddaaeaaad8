//! Reading projects, their beneficiaries, allocations, disbursements and history, within
//! the caller's area.

use super::*;
use crate::kind::{AllocationId, ProjectId};

/// A project the caller may see.
#[tracing::instrument(name = "project.get", skip_all, fields(project.id = id.get()))]
pub async fn get(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    id: ProjectId,
) -> Result<Option<project::Model>> {
    let actor = ctx.actor()?;
    Ok(project::Entity::find_by_id(id)
        .filter(area_condition(actor, db.get_database_backend()))
        .one(db)
        .await?)
}

/// The projects the actor sees: the one rule of [`scope::ProjectArea`].
pub(super) fn area_condition(actor: &Actor, backend: sea_orm::DbBackend) -> Condition {
    scope::project_area(actor).condition(backend, "project")
}

/// Projects by id within the caller's area (for DataLoaders).
#[tracing::instrument(name = "project.get_many", skip_all, fields(count = ids.len()))]
pub async fn get_many(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    ids: &[i64],
) -> Result<Vec<project::Model>> {
    let actor = ctx.actor()?;
    Ok(project::Entity::find()
        .filter(project::Column::Id.is_in(ids.iter().copied()))
        .filter(area_condition(actor, db.get_database_backend()))
        .all(db)
        .await?)
}

/// An allocation the caller may see (through its project).
#[tracing::instrument(name = "project.get_allocation", skip_all, fields(allocation.id = id.get()))]
pub async fn get_allocation(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    id: AllocationId,
) -> Result<Option<allocation::Model>> {
    let Some(a) = allocation::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    Ok(get(db, ctx, a.project_id.into()).await?.map(|_| a))
}

/// A page of projects.
#[tracing::instrument(name = "project.list", skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    filter: ProjectFilter,
    args: &PageArgs,
) -> Result<Page<project::Entity>> {
    use project::Column as C;
    let actor = ctx.actor()?;
    let mut cond = area_condition(actor, db.get_database_backend());
    if let Some(v) = filter.province_code {
        cond = cond.add(C::ProvinceCode.eq(v));
    }
    if let Some(v) = filter.commune_code {
        cond = cond.add(C::CommuneCode.eq(v));
    }
    if let Some(v) = filter.program_level {
        cond = cond.add(C::ProgramLevel.eq(v));
    }
    if let Some(v) = filter.kind {
        cond = cond.add(C::Kind.eq(v));
    }
    if let Some(v) = filter.category {
        cond = cond.add(C::Category.eq(v));
    }
    if let Some(v) = filter.status {
        cond = cond.add(C::Status.eq(v));
    }
    if let Some(v) = filter.fiscal_year {
        cond = cond.add(C::FiscalYear.eq(v));
    }
    if let Some(e) = filter.establishment_id {
        cond = cond.add(
            C::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(project_beneficiary::Column::ProjectId)
                    .from(project_beneficiary::Entity)
                    .and_where(project_beneficiary::Column::EstablishmentId.eq(e))
                    .to_owned(),
            ),
        );
    }
    if let Some(term) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        validate::required_text("search", term, 200)?;
        cond = cond.add(search_condition(C::SearchText, term));
    }
    if let Some(t) = filter.updated_since {
        cond = cond.add(C::UpdatedAt.gte(t));
    }
    page::fetch(
        db,
        project::Entity::find().filter(cond),
        C::Id,
        C::UpdatedAt,
        filter.updated_since.is_some(),
        args,
    )
    .await
}

/// Beneficiaries of several projects.
#[tracing::instrument(name = "project.beneficiaries_of", skip_all, fields(count = project_ids.len()))]
pub async fn beneficiaries_of(
    db: &impl ConnectionTrait,
    project_ids: &[i64],
) -> Result<HashMap<i64, Vec<project_beneficiary::Model>>> {
    let rows = project_beneficiary::Entity::find()
        .filter(project_beneficiary::Column::ProjectId.is_in(project_ids.iter().copied()))
        .order_by_asc(project_beneficiary::Column::Id)
        .all(db)
        .await?;
    Ok(crate::domain::group_by(project_ids, rows, |r| r.project_id))
}

/// Allocations of several projects.
#[tracing::instrument(name = "project.allocations_of", skip_all, fields(count = project_ids.len()))]
pub async fn allocations_of(
    db: &impl ConnectionTrait,
    project_ids: &[i64],
) -> Result<HashMap<i64, Vec<allocation::Model>>> {
    let rows = allocation::Entity::find()
        .filter(allocation::Column::ProjectId.is_in(project_ids.iter().copied()))
        .order_by_asc(allocation::Column::Id)
        .all(db)
        .await?;
    Ok(crate::domain::group_by(project_ids, rows, |r| r.project_id))
}

/// Disbursements of several allocations.
#[tracing::instrument(name = "project.disbursements_of", skip_all, fields(count = allocation_ids.len()))]
pub async fn disbursements_of(
    db: &impl ConnectionTrait,
    allocation_ids: &[i64],
) -> Result<HashMap<i64, Vec<disbursement::Model>>> {
    let rows = disbursement::Entity::find()
        .filter(disbursement::Column::AllocationId.is_in(allocation_ids.iter().copied()))
        .order_by_asc(disbursement::Column::Id)
        .all(db)
        .await?;
    Ok(crate::domain::group_by(allocation_ids, rows, |r| {
        r.allocation_id
    }))
}

/// Histories of several projects.
#[tracing::instrument(name = "project.history_of", skip_all, fields(count = project_ids.len()))]
pub async fn history_of(
    db: &impl ConnectionTrait,
    project_ids: &[i64],
) -> Result<HashMap<i64, Vec<project_event::Model>>> {
    let rows = project_event::Entity::find()
        .filter(project_event::Column::ProjectId.is_in(project_ids.iter().copied()))
        .order_by_asc(project_event::Column::Id)
        .all(db)
        .await?;
    Ok(crate::domain::group_by(project_ids, rows, |r| r.project_id))
}

/// Projects of several establishments (as beneficiaries), within the caller's area.
#[tracing::instrument(name = "project.projects_of_establishments", skip_all, fields(count = establishment_ids.len()))]
pub async fn projects_of_establishments(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    establishment_ids: &[i64],
) -> Result<HashMap<i64, Vec<project::Model>>> {
    let actor = ctx.actor()?;
    let links = project_beneficiary::Entity::find()
        .filter(
            project_beneficiary::Column::EstablishmentId.is_in(establishment_ids.iter().copied()),
        )
        .all(db)
        .await?;
    let ids: Vec<i64> = links.iter().map(|l| l.project_id).collect();
    let projects: HashMap<i64, project::Model> = project::Entity::find()
        .filter(project::Column::Id.is_in(ids))
        .filter(area_condition(actor, db.get_database_backend()))
        .order_by_asc(project::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut out: HashMap<i64, Vec<project::Model>> =
        establishment_ids.iter().map(|k| (*k, Vec::new())).collect();
    for l in links {
        if let Some(p) = projects.get(&l.project_id) {
            out.entry(l.establishment_id).or_default().push(p.clone());
        }
    }
    for v in out.values_mut() {
        v.sort_by_key(|p| p.id);
    }
    Ok(out)
}
