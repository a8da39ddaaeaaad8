//! The audit trail (domain::audit): who changed what, when, within the caller's area.

use async_graphql::{Context, ID, InputObject, Json, Object};
use chrono::{DateTime, Utc};

use crate::kind::{EntityKind, UserId};
use crate::{
    db::entities::audit_event,
    domain::{self, audit::AuditFilter, page::PageArgs},
    graphql::{
        connection::{connection, list_cost},
        context::ContextExt,
        ids,
        user::{User, user_ref},
    },
};

/// One data-changing mutation.
#[derive(Clone)]
pub struct AuditEvent(pub audit_event::Model);

impl From<audit_event::Model> for AuditEvent {
    fn from(m: audit_event::Model) -> Self {
        Self(m)
    }
}

#[Object]
impl AuditEvent {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        ids::encode(EntityKind::AuditEvent, self.0.id)
    }
    /// When.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// Who.
    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        match self.0.actor_id {
            Some(id) => user_ref(ctx, id).await,
            None => Ok(None),
        }
    }
    /// The actor's role at the time.
    async fn actor_role(&self) -> Option<&str> {
        self.0.actor_role.map(|r| r.as_str())
    }
    /// What was done (`create`, `update`, `APPROVE`…).
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// The entity's type.
    async fn entity_type(&self) -> &str {
        &self.0.entity_type
    }
    /// The entity's id.
    async fn entity_id(&self) -> async_graphql::Result<ID> {
        let kind = EntityKind::from_db(&self.0.entity_type)?;
        Ok(ids::encode(kind, self.0.entity_id))
    }
    /// Changed fields: `{field: {before, after}}`.
    async fn changes(&self) -> Option<Json<serde_json::Value>> {
        serde_json::from_str(&self.0.changes).ok().map(Json)
    }
    /// The request it came with.
    async fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }
}

connection!(
    AuditEventConnection,
    AuditEventEdge,
    AuditEvent,
    audit_event::Entity,
    "A page of audit events."
);

/// Filters of `auditEvents`.
#[derive(InputObject, Default)]
pub struct AuditEventFilter {
    /// Entity type.
    pub entity_type: Option<String>,
    /// Entity id.
    pub entity_id: Option<ID>,
    /// Actor.
    pub actor_id: Option<ID>,
    /// At or after.
    pub since: Option<DateTime<Utc>>,
}

/// The audit trail.
#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// The audit trail of the caller's area.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditEventFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<AuditEventConnection> {
        let args = PageArgs::new(first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        // An id that names no record, or no user, matches nothing.
        let (entity_type, entity_id) = match (&f.entity_id, f.entity_type) {
            (Some(id), t) => match ids::parse(id) {
                Some((kind, n)) => (Some(t.unwrap_or_else(|| kind.as_str().to_owned())), Some(n)),
                None => return Ok(AuditEventConnection::empty(&args)),
            },
            (None, t) => (t, None),
        };
        let actor_id = match &f.actor_id {
            None => None,
            Some(id) => match ids::decode::<UserId>(id) {
                Some(user) => Some(user),
                None => return Ok(AuditEventConnection::empty(&args)),
            },
        };
        let page = domain::audit::list(
            ctx.db()?,
            ctx.dctx()?,
            AuditFilter {
                entity_type,
                entity_id,
                actor_id,
                since: f.since,
            },
            &args,
        )
        .await?;
        Ok(AuditEventConnection::from_page(page))
    }
}
