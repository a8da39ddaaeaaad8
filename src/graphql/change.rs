//! The change feed: `Query.changes` and the `Change` type (`domain::change` has the rules
//! and the argument for why a cursor never skips a change).

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object};
use chrono::{DateTime, Utc};

use crate::{
    db::entities::change_event,
    domain::{
        self,
        change::{self as feed, FeedCursor, FeedFilter},
    },
    error::{AppError, Msg},
    graphql::{
        connection::{PageInfo, list_cost},
        context::ContextExt,
        establishment::Establishment,
        funding::FundingSource,
        ids,
        node::{self, Node},
        ocop::{OcopCertificate, OcopEvaluation},
        prefetch,
        product::Product,
        project::{Allocation, Project},
        selection::{Nomination, SelectionRound},
        user::User,
    },
};

/// A kind of record whose changes the feed carries.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::change::ChangeEntity")]
pub enum ChangeEntity {
    /// An establishment (cơ sở công nghiệp nông thôn).
    Establishment,
    /// A product.
    Product,
    /// A funding source (nguồn kinh phí).
    FundingSource,
    /// A project (đề án).
    Project,
    /// An allocation of a funding source to a project.
    Allocation,
    /// A disbursement (giải ngân).
    Disbursement,
    /// A selection round (kỳ bình chọn).
    SelectionRound,
    /// A nomination to a selection round.
    Nomination,
    /// An OCOP evaluation.
    OcopEvaluation,
    /// An OCOP certificate.
    OcopCertificate,
    /// A user account.
    User,
}

/// What happened to the record.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::change::Operation")]
pub enum ChangeOperation {
    /// It was created.
    Create,
    /// It changed, its status included.
    Update,
    /// It was deleted.
    Delete,
}

/// Narrows the feed within the caller's area.
#[derive(InputObject, Clone, Default)]
pub struct ChangeFilter {
    /// Only these kinds of record.
    pub entities: Option<Vec<ChangeEntity>>,
    /// Only records of this province.
    pub province_code: Option<String>,
    /// Only records of this commune.
    pub commune_code: Option<String>,
}

impl From<Option<ChangeFilter>> for FeedFilter {
    fn from(f: Option<ChangeFilter>) -> Self {
        let f = f.unwrap_or_default();
        FeedFilter {
            entities: f.entities.map(|v| v.into_iter().map(Into::into).collect()),
            province_code: f.province_code,
            commune_code: f.commune_code,
            status_changes_only: false,
        }
    }
}

/// One committed change of one record. The feed holds every committed change once, in one
/// order that never changes, and a cursor never skips a change committed later by a
/// transaction that started earlier.
///
/// A page read by `Query.changes` carries the records and actors of all its changes, read
/// ahead in a bounded number of statements (`domain::changed::records`); a change without them
/// (one a subscription delivers) reads its own.
#[derive(Clone)]
pub struct Change(
    pub change_event::Model,
    pub Option<Arc<domain::changed::Records>>,
);

impl Change {
    fn kind(&self) -> async_graphql::Result<feed::ChangeEntity> {
        feed::ChangeEntity::from_entity_type(&self.0.entity_type).ok_or_else(|| {
            AppError::internal(format!("feed row of type {}", self.0.entity_type)).into()
        })
    }
}

#[Object]
impl Change {
    /// Opaque position after this change; pass it as `after` to resume.
    async fn cursor(&self) -> String {
        FeedCursor::of(&self.0).encode()
    }
    /// The kind of record.
    async fn entity(&self) -> async_graphql::Result<ChangeEntity> {
        Ok(self.kind()?.into())
    }
    /// The global id of the changed record (the same id `node` resolves).
    async fn id(&self) -> async_graphql::Result<ID> {
        Ok(ids::encode(self.kind()?.kind(), self.0.entity_id))
    }
    /// Created, updated or deleted.
    async fn operation(&self) -> async_graphql::Result<ChangeOperation> {
        Ok(feed::Operation::from_db(&self.0.operation)?.into())
    }
    /// The record's version after the change (null for a delete, and for allocations,
    /// disbursements, nominations and certificates, which keep no version).
    async fn version(&self) -> Option<i32> {
        self.0.version
    }
    /// When the change was written (inside its transaction).
    async fn changed_at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// Who made the change, when the caller may see that user.
    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(id) = self.0.actor_id else {
            return Ok(None);
        };
        if let Some(r) = self.1.as_ref().filter(|r| r.actors) {
            return Ok(r.users.get(&id).cloned().map(User));
        }
        Ok(domain::user::get(ctx.primary_db()?, ctx.dctx()?, id.into())
            .await?
            .map(User))
    }
    /// The record's province.
    async fn province_code(&self) -> Option<&str> {
        self.0.province_code.as_deref()
    }
    /// The record's commune.
    async fn commune_code(&self) -> Option<&str> {
        self.0.commune_code.as_deref()
    }
    /// The record as it is now, within the caller's scope; null when deleted or out of
    /// scope (and for disbursements, which are read through their allocation).
    async fn node(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Node>> {
        if self.0.operation == feed::Operation::Delete.as_str() {
            return Ok(None);
        }
        if let Some(r) = self.1.as_ref().filter(|r| r.nodes) {
            return Ok(read_ahead(r, self.kind()?, self.0.entity_id));
        }
        node::load(ctx, self.kind()?.kind(), self.0.entity_id).await
    }
}

/// The record of a change among those read ahead (what `node::load` would give).
fn read_ahead(r: &domain::changed::Records, kind: feed::ChangeEntity, id: i64) -> Option<Node> {
    use feed::ChangeEntity as K;
    match kind {
        K::Establishment => r
            .establishments
            .get(&id)
            .cloned()
            .map(|m| Node::Establishment(Establishment(m))),
        K::Product => r
            .products
            .get(&id)
            .cloned()
            .map(|m| Node::Product(Product(m))),
        K::FundingSource => r
            .funding_sources
            .get(&id)
            .cloned()
            .map(|m| Node::FundingSource(FundingSource(m))),
        K::Project => r
            .projects
            .get(&id)
            .cloned()
            .map(|m| Node::Project(Project(m))),
        K::Allocation => r
            .allocations
            .get(&id)
            .cloned()
            .map(|m| Node::Allocation(Allocation(m))),
        K::SelectionRound => r
            .rounds
            .get(&id)
            .cloned()
            .map(|m| Node::SelectionRound(SelectionRound(m))),
        K::Nomination => r
            .nominations
            .get(&id)
            .cloned()
            .map(|m| Node::Nomination(Nomination(m))),
        K::OcopEvaluation => r
            .evaluations
            .get(&id)
            .cloned()
            .map(|m| Node::OcopEvaluation(OcopEvaluation(m))),
        K::OcopCertificate => r
            .certificates
            .get(&id)
            .cloned()
            .map(|m| Node::OcopCertificate(OcopCertificate(m))),
        K::User => r.users.get(&id).cloned().map(|m| Node::User(User(m))),
        // Disbursements are read through their allocation (no `node` of their own).
        K::Disbursement => None,
    }
}

/// An edge: a change and its cursor.
#[derive(async_graphql::SimpleObject, Clone)]
pub struct ChangeEdge {
    /// Pass as `after` to continue after this change.
    pub cursor: String,
    /// The change.
    pub node: Change,
}

/// A page of the change feed.
pub struct ChangeConnection {
    rows: Vec<Change>,
    has_next: bool,
    has_previous: bool,
    end: Option<FeedCursor>,
}

#[Object]
impl ChangeConnection {
    /// The changes with their cursors.
    async fn edges(&self) -> Vec<ChangeEdge> {
        self.rows
            .iter()
            .map(|c| ChangeEdge {
                cursor: FeedCursor::of(&c.0).encode(),
                node: c.clone(),
            })
            .collect()
    }
    /// The changes.
    async fn nodes(&self) -> &[Change] {
        &self.rows
    }
    /// Where this page is. `endCursor` is where to resume, also when the page is empty (then
    /// it is the `after` given).
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_next_page: self.has_next,
            has_previous_page: self.has_previous,
            start_cursor: self.rows.first().map(|c| FeedCursor::of(&c.0).encode()),
            end_cursor: self.end.map(|c| c.encode()),
        }
    }
}

/// The default page of the feed (a puller asks for up to 1000).
const DEFAULT_FIRST: i32 = 100;

/// The `changes` query.
#[derive(Default)]
pub struct ChangeQuery;

#[Object]
impl ChangeQuery {
    /// Changes after a cursor (from the beginning without one), oldest first, within the
    /// caller's area. Resuming from the last cursor needs no overlap and never repeats a
    /// change.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "`endCursor` of the previous page, or a change's `cursor`.")]
        after: Option<String>,
        #[graphql(desc = "How many changes (default 100, at most 1000).")] first: Option<i32>,
        #[graphql(desc = "Narrows the feed within the caller's area.")] filter: Option<
            ChangeFilter,
        >,
    ) -> async_graphql::Result<ChangeConnection> {
        let first = first.unwrap_or(DEFAULT_FIRST);
        if first < 0 || first as usize > feed::MAX_FIRST {
            return Err(AppError::bad_input(
                "first",
                Msg::new(
                    format!("`first` is between 0 and {}.", feed::MAX_FIRST),
                    format!("`first` từ 0 đến {}.", feed::MAX_FIRST),
                ),
            )
            .into());
        }
        let after = after
            .as_deref()
            .map(|a| FeedCursor::decode(a, "after"))
            .transpose()?;
        let page = feed::list(
            ctx.primary_db()?,
            ctx.dctx()?,
            &filter.into(),
            after,
            first as usize,
        )
        .await?;
        let (nodes, actors) = prefetch::change_selection(ctx);
        let read = if nodes || actors {
            Some(Arc::new(
                domain::changed::records(ctx.primary_db()?, ctx.dctx()?, &page.rows, nodes, actors)
                    .await?,
            ))
        } else {
            None
        };
        Ok(ChangeConnection {
            rows: page
                .rows
                .into_iter()
                .map(|r| Change(r, read.clone()))
                .collect(),
            has_next: page.has_next,
            has_previous: after.is_some(),
            end: page.next,
        })
    }
}
