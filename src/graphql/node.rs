//! `node(id)`: any record by its global id, within the caller's scope.

use async_graphql::{Context, ID, Interface, Object};

use crate::{
    domain,
    graphql::{
        audit::AuditEvent,
        context::ContextExt,
        establishment::Establishment,
        funding::FundingSource,
        ids,
        ocop::{OcopCertificate, OcopEvaluation},
        product::Product,
        project::{Allocation, Project},
        selection::{Nomination, SelectionRound},
        user::User,
    },
    kind::EntityKind,
};

/// Anything with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque global id."))]
pub enum Node {
    /// A user.
    User(User),
    /// An establishment.
    Establishment(Establishment),
    /// A product.
    Product(Product),
    /// A funding source.
    FundingSource(FundingSource),
    /// A project.
    Project(Project),
    /// An allocation.
    Allocation(Allocation),
    /// A selection round.
    SelectionRound(SelectionRound),
    /// A nomination.
    Nomination(Nomination),
    /// An OCOP evaluation.
    OcopEvaluation(OcopEvaluation),
    /// An OCOP certificate.
    OcopCertificate(OcopCertificate),
    /// An audit event.
    AuditEvent(AuditEvent),
    /// An evidence document.
    Document(crate::graphql::document::Document),
}

/// The `node` query.
#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any record by its global id; null when it does not exist for the caller.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        let dctx = ctx.dctx()?;
        dctx.actor()?;
        let Some((kind, n)) = ids::parse(&id) else {
            return Ok(None);
        };
        load(ctx, kind, n).await
    }
}

/// The record of a kind and row id, within the caller's scope (the change feed's `node` uses
/// it too).
pub async fn load(
    ctx: &Context<'_>,
    kind: EntityKind,
    n: i64,
) -> async_graphql::Result<Option<Node>> {
    let dctx = ctx.dctx()?;
    let db = ctx.db()?;
    Ok(match kind {
        EntityKind::Establishment => domain::establishment::get(db, dctx, n.into())
            .await?
            .map(|m| Node::Establishment(Establishment(m))),
        EntityKind::Product => domain::product::get(db, dctx, n.into())
            .await?
            .map(|m| Node::Product(Product(m))),
        EntityKind::FundingSource => domain::funding::get(db, dctx, n.into())
            .await?
            .map(|m| Node::FundingSource(FundingSource(m))),
        EntityKind::Project => domain::project::get(db, dctx, n.into())
            .await?
            .map(|m| Node::Project(Project(m))),
        EntityKind::Allocation => domain::project::get_allocation(db, dctx, n.into())
            .await?
            .map(|m| Node::Allocation(Allocation(m))),
        EntityKind::SelectionRound => domain::selection::get_round(db, dctx, n.into())
            .await?
            .map(|m| Node::SelectionRound(SelectionRound(m))),
        EntityKind::Nomination => domain::selection::get_nomination(db, dctx, n.into())
            .await?
            .map(|m| Node::Nomination(Nomination(m))),
        EntityKind::OcopEvaluation => domain::ocop::get(db, dctx, n.into())
            .await?
            .map(|m| Node::OcopEvaluation(OcopEvaluation(m))),
        EntityKind::OcopCertificate => domain::ocop::get_certificate(db, dctx, n.into())
            .await?
            .map(|m| Node::OcopCertificate(OcopCertificate(m))),
        EntityKind::AuditEvent => domain::audit::get(db, dctx, n.into())
            .await?
            .map(|m| Node::AuditEvent(AuditEvent(m))),
        EntityKind::Document => domain::document::get(db, dctx, n.into())
            .await?
            .map(|m| Node::Document(crate::graphql::document::Document(m))),
        EntityKind::User => domain::user::get(db, dctx, n.into())
            .await?
            .map(|m| Node::User(User(m))),
        // Read through their parent (an allocation, an evaluation, a nomination) or reference
        // data: no `node` of their own.
        EntityKind::Disbursement
        | EntityKind::OcopScore
        | EntityKind::Scorecard
        | EntityKind::Province => None,
    })
}
