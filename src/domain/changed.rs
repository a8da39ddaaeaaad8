//! The records a page of the change feed points at (`Change.node`, `Change.actor`), read
//! through each domain's own scoped getters. Kept apart from [`crate::domain::change`], which
//! every domain calls to record its changes, so that no domain reaches itself back through
//! the feed.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::{
    db::entities::{
        allocation, app_user, change_event, establishment as establishment_row, funding_source,
        nomination, ocop_certificate, ocop_evaluation, product, project, selection_round,
    },
    domain::{
        Ctx,
        change::{ChangeEntity, Operation},
        establishment, funding, project as projects, scope, selection, user,
    },
    error::Result,
};

/// The records behind a page of changes as the caller may see them now, and the users who
/// made the changes: read in a bounded number of statements whatever the page's size (one
/// per kind present, allocations and nominations with their projects and rounds in the same
/// statements as those, the changed users and the actors in one), with the same scoping as
/// `node(id)` and `Change.actor`.
#[derive(Default)]
pub struct Records {
    /// Whether the changed records were read (else only the actors).
    pub nodes: bool,
    /// Whether the actors were read.
    pub actors: bool,
    /// Establishments in scope.
    pub establishments: HashMap<i64, establishment_row::Model>,
    /// Products in scope.
    pub products: HashMap<i64, product::Model>,
    /// Funding sources the caller may see.
    pub funding_sources: HashMap<i64, funding_source::Model>,
    /// Projects in scope (also those of the allocations).
    pub projects: HashMap<i64, project::Model>,
    /// Allocations of projects in scope.
    pub allocations: HashMap<i64, allocation::Model>,
    /// Rounds the caller may see (also those of the nominations).
    pub rounds: HashMap<i64, selection_round::Model>,
    /// Nominations of rounds the caller may see.
    pub nominations: HashMap<i64, nomination::Model>,
    /// OCOP evaluations in scope.
    pub evaluations: HashMap<i64, ocop_evaluation::Model>,
    /// OCOP certificates in scope.
    pub certificates: HashMap<i64, ocop_certificate::Model>,
    /// Users the caller may see (changed users and actors).
    pub users: HashMap<i64, app_user::Model>,
}

/// Reads the [`Records`] of `rows`: the changed records when `nodes`, the actors when
/// `actors`. Deleted records are not read.
pub async fn records(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    rows: &[change_event::Model],
    nodes: bool,
    actors: bool,
) -> Result<Records> {
    let actor = ctx.actor()?;
    let mut out = Records {
        nodes,
        actors,
        ..Default::default()
    };
    let mut keys: HashMap<ChangeEntity, Vec<i64>> = HashMap::new();
    if nodes {
        for r in rows {
            if r.operation == Operation::Delete.as_str() {
                continue;
            }
            if let Some(kind) = ChangeEntity::from_entity_type(&r.entity_type) {
                let ids = keys.entry(kind).or_default();
                if !ids.contains(&r.entity_id) {
                    ids.push(r.entity_id);
                }
            }
        }
    }
    let ids = |k: ChangeEntity| keys.get(&k).cloned().unwrap_or_default();
    let by_id = |v: Vec<i64>| v.into_iter();

    let wanted = ids(ChangeEntity::Establishment);
    if !wanted.is_empty() {
        for m in establishment::get_many(db, ctx, &wanted).await? {
            out.establishments.insert(m.id, m);
        }
    }
    let wanted = ids(ChangeEntity::Product);
    if !wanted.is_empty() {
        for m in product::Entity::find()
            .filter(product::Column::Id.is_in(by_id(wanted)))
            .filter(scope::area_condition(
                actor,
                product::Column::ProvinceCode,
                product::Column::CommuneCode,
            ))
            .all(db)
            .await?
        {
            out.products.insert(m.id, m);
        }
    }
    let wanted = ids(ChangeEntity::FundingSource);
    if !wanted.is_empty() {
        for m in funding::get_many_unscoped(db, &wanted).await? {
            if funding::visible(actor, &m) {
                out.funding_sources.insert(m.id, m);
            }
        }
    }
    // Allocations are seen through their project.
    let mut project_ids = ids(ChangeEntity::Project);
    let wanted = ids(ChangeEntity::Allocation);
    let allocations = if wanted.is_empty() {
        Vec::new()
    } else {
        allocation::Entity::find()
            .filter(allocation::Column::Id.is_in(by_id(wanted)))
            .all(db)
            .await?
    };
    project_ids.extend(allocations.iter().map(|a| a.project_id));
    if !project_ids.is_empty() {
        for m in projects::get_many(db, ctx, &project_ids).await? {
            out.projects.insert(m.id, m);
        }
    }
    for a in allocations {
        if out.projects.contains_key(&a.project_id) {
            out.allocations.insert(a.id, a);
        }
    }
    // Nominations are seen through their round.
    let mut round_ids = ids(ChangeEntity::SelectionRound);
    let wanted = ids(ChangeEntity::Nomination);
    let nominations = if wanted.is_empty() {
        Vec::new()
    } else {
        nomination::Entity::find()
            .filter(nomination::Column::Id.is_in(by_id(wanted)))
            .all(db)
            .await?
    };
    round_ids.extend(nominations.iter().map(|n| n.round_id));
    if !round_ids.is_empty() {
        for m in selection::get_rounds(db, ctx, &round_ids).await? {
            out.rounds.insert(m.id, m);
        }
    }
    for n in nominations {
        if out.rounds.contains_key(&n.round_id) {
            out.nominations.insert(n.id, n);
        }
    }
    let wanted = ids(ChangeEntity::OcopEvaluation);
    if !wanted.is_empty() {
        for m in ocop_evaluation::Entity::find()
            .filter(ocop_evaluation::Column::Id.is_in(by_id(wanted)))
            .filter(scope::area_condition(
                actor,
                ocop_evaluation::Column::ProvinceCode,
                ocop_evaluation::Column::CommuneCode,
            ))
            .all(db)
            .await?
        {
            out.evaluations.insert(m.id, m);
        }
    }
    let wanted = ids(ChangeEntity::OcopCertificate);
    if !wanted.is_empty() {
        for m in ocop_certificate::Entity::find()
            .filter(ocop_certificate::Column::Id.is_in(by_id(wanted)))
            .filter(scope::area_condition(
                actor,
                ocop_certificate::Column::ProvinceCode,
                ocop_certificate::Column::CommuneCode,
            ))
            .all(db)
            .await?
        {
            out.certificates.insert(m.id, m);
        }
    }
    let mut user_ids = ids(ChangeEntity::User);
    if actors {
        user_ids.extend(rows.iter().filter_map(|r| r.actor_id));
    }
    user_ids.sort_unstable();
    user_ids.dedup();
    if !user_ids.is_empty() {
        for m in user::get_many_unscoped(db, &user_ids).await? {
            if user::visible(actor, &m) {
                out.users.insert(m.id, m);
            }
        }
    }
    Ok(out)
}
