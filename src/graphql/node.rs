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
        load(ctx, &kind, n).await
    }
}

/// The record of an entity type and row id, within the caller's scope (the change feed's
/// `node` uses it too).
pub async fn load(ctx: &Context<'_>, kind: &str, n: i64) -> async_graphql::Result<Option<Node>> {
    let dctx = ctx.dctx()?;
    let db = ctx.db()?;
    Ok(match kind {
        domain::establishment::ENTITY => domain::establishment::get(db, dctx, n)
            .await?
            .map(|m| Node::Establishment(Establishment(m))),
        domain::product::ENTITY => domain::product::get(db, dctx, n)
            .await?
            .map(|m| Node::Product(Product(m))),
        domain::funding::ENTITY => domain::funding::get(db, dctx, n)
            .await?
            .map(|m| Node::FundingSource(FundingSource(m))),
        domain::project::ENTITY => domain::project::get(db, dctx, n)
            .await?
            .map(|m| Node::Project(Project(m))),
        domain::project::ALLOCATION => domain::project::get_allocation(db, dctx, n)
            .await?
            .map(|m| Node::Allocation(Allocation(m))),
        domain::selection::ROUND => domain::selection::get_round(db, dctx, n)
            .await?
            .map(|m| Node::SelectionRound(SelectionRound(m))),
        domain::selection::NOMINATION => domain::selection::get_nomination(db, dctx, n)
            .await?
            .map(|m| Node::Nomination(Nomination(m))),
        domain::ocop::EVALUATION => domain::ocop::get(db, dctx, n)
            .await?
            .map(|m| Node::OcopEvaluation(OcopEvaluation(m))),
        domain::ocop::CERTIFICATE => domain::ocop::get_certificate(db, dctx, n)
            .await?
            .map(|m| Node::OcopCertificate(OcopCertificate(m))),
        "AuditEvent" => domain::audit::get(db, dctx, n)
            .await?
            .map(|m| Node::AuditEvent(AuditEvent(m))),
        domain::document::ENTITY => domain::document::get(db, dctx, n)
            .await?
            .map(|m| Node::Document(crate::graphql::document::Document(m))),
        domain::user::ENTITY => domain::user::get(db, dctx, n)
            .await?
            .map(|m| Node::User(User(m))),
        _ => None,
    })
}
