//! The audit trail: every data-changing mutation writes one event in its own transaction,
//! with the fields that changed before and after. Password hashes and tokens are never in
//! it (the models skip them when serialised).

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::{
    db::entities::audit_event,
    domain::Ctx,
    error::Result,
    kind::{AuditEventId, EntityKind, UserId},
};

/// What an audit event is about.
pub struct Subject<'a> {
    /// Its kind, stored by name (`Establishment`).
    pub entity_type: EntityKind,
    /// Its id.
    pub entity_id: i64,
    /// Its province, for scoping the trail.
    pub province_code: Option<&'a str>,
    /// Its commune, for scoping the trail.
    pub commune_code: Option<&'a str>,
}

/// The changed fields of a record as `{field: {before, after}}`.
pub fn diff<T: Serialize>(before: Option<&T>, after: Option<&T>) -> Value {
    let to_map = |v: Option<&T>| match v.map(serde_json::to_value) {
        Some(Ok(Value::Object(m))) => m,
        _ => Map::new(),
    };
    let (b, a) = (to_map(before), to_map(after));
    let mut out = Map::new();
    let keys: std::collections::BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    for k in keys {
        if matches!(k.as_str(), "version" | "updated_at" | "created_at") {
            continue;
        }
        let (bv, av) = (
            b.get(k).unwrap_or(&Value::Null),
            a.get(k).unwrap_or(&Value::Null),
        );
        if bv != av {
            out.insert(k.clone(), json!({ "before": bv, "after": av }));
        }
    }
    Value::Object(out)
}

/// Writes one audit event.
pub async fn record(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    action: &str,
    subject: Subject<'_>,
    changes: Value,
) -> Result<()> {
    write(db, ctx, action, subject, Default::default(), changes).await
}

/// Writes one audit event of a change that may take its subject from some callers: `from`
/// is the subject's place before a change that may move it, `left_commune` a commune that
/// stopped seeing it. The change feed keeps them, so those callers learn that the record is no
/// longer theirs.
pub async fn record_departure(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    action: &str,
    subject: Subject<'_>,
    departure: super::change::Departure<'_>,
    changes: Value,
) -> Result<()> {
    write(db, ctx, action, subject, departure, changes).await
}

async fn write(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    action: &str,
    subject: Subject<'_>,
    departure: super::change::Departure<'_>,
    changes: Value,
) -> Result<()> {
    audit_event::ActiveModel {
        at: Set(super::now()),
        actor_id: Set(ctx.actor.as_ref().map(|a| a.user_id)),
        actor_role: Set(ctx.actor.as_ref().map(|a| a.role)),
        action: Set(action.to_owned()),
        entity_type: Set(subject.entity_type.as_str().to_owned()),
        entity_id: Set(subject.entity_id),
        province_code: Set(subject.province_code.map(str::to_owned)),
        commune_code: Set(subject.commune_code.map(str::to_owned)),
        changes: Set(changes.to_string()),
        request_id: Set(ctx.request_id.clone()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    // The change feed is written here, in the same transaction, so every audited change of
    // a mirrored record reaches it and nothing else has to remember to (issue #11).
    if let Some(operation) = super::change::operation_of(action) {
        let status_changed =
            changes.get("status").is_some() || changes.get("certificate").is_some();
        super::change::append(
            db,
            ctx,
            super::change::Written {
                entity_type: subject.entity_type,
                entity_id: subject.entity_id,
                operation,
                action,
                status_changed,
                province_code: subject.province_code,
                commune_code: subject.commune_code,
                previous: departure.from,
                left_commune: departure.left_commune,
            },
        )
        .await?;
    }
    Ok(())
}

/// Writes the `create` events of many records at once (an import), with their change-feed
/// entries: one INSERT each, whatever the number of records.
pub async fn record_created(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    created: &[(Subject<'_>, Value)],
) -> Result<()> {
    use sea_orm::EntityTrait;
    if created.is_empty() {
        return Ok(());
    }
    let at = super::now();
    let events: Vec<audit_event::ActiveModel> = created
        .iter()
        .map(|(subject, changes)| audit_event::ActiveModel {
            at: Set(at),
            actor_id: Set(ctx.actor.as_ref().map(|a| a.user_id)),
            actor_role: Set(ctx.actor.as_ref().map(|a| a.role)),
            action: Set("create".to_owned()),
            entity_type: Set(subject.entity_type.as_str().to_owned()),
            entity_id: Set(subject.entity_id),
            province_code: Set(subject.province_code.map(str::to_owned)),
            commune_code: Set(subject.commune_code.map(str::to_owned)),
            changes: Set(changes.to_string()),
            request_id: Set(ctx.request_id.clone()),
            ..Default::default()
        })
        .collect();
    audit_event::Entity::insert_many(events)
        .exec_without_returning(db)
        .await?;
    let written: Vec<super::change::Written<'_>> = created
        .iter()
        .map(|(subject, changes)| super::change::Written {
            entity_type: subject.entity_type,
            entity_id: subject.entity_id,
            operation: super::change::Operation::Create,
            action: "create",
            status_changed: changes.get("status").is_some() || changes.get("certificate").is_some(),
            province_code: subject.province_code,
            commune_code: subject.commune_code,
            previous: None,
            left_commune: None,
        })
        .collect();
    super::change::append_created(db, ctx, &written).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct R {
        name: &'static str,
        phone: Option<&'static str>,
        version: i32,
    }

    #[test]
    fn only_changed_fields_are_kept() {
        let b = R {
            name: "A",
            phone: None,
            version: 1,
        };
        let a = R {
            name: "A",
            phone: Some("0912"),
            version: 2,
        };
        assert_eq!(
            diff(Some(&b), Some(&a)),
            json!({ "phone": { "before": null, "after": "0912" } })
        );
        let created = diff(None, Some(&a));
        assert_eq!(created["name"]["after"], "A");
    }
}

/// Filters of the audit trail.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Entity type (`Establishment`, `Project`…).
    pub entity_type: Option<String>,
    /// Entity id (with `entity_type`).
    pub entity_id: Option<i64>,
    /// Actor's user id.
    pub actor_id: Option<UserId>,
    /// At or after.
    pub since: Option<chrono::DateTime<chrono::Utc>>,
}

impl super::page::Keyed for audit_event::Model {
    fn key_id(&self) -> i64 {
        self.id
    }
    fn key_updated(&self) -> chrono::DateTime<chrono::Utc> {
        self.at
    }
}

/// A page of the audit trail: national users see everything, a province its province's
/// records, a commune its commune's.
#[tracing::instrument(name = "audit.list", skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    filter: AuditFilter,
    args: &super::page::PageArgs,
) -> Result<super::page::Page<audit_event::Entity>> {
    use audit_event::Column as C;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let actor = ctx.actor()?;
    let mut cond = super::scope::area_condition(actor, C::ProvinceCode, C::CommuneCode);
    if let Some(t) = filter.entity_type {
        cond = cond.add(C::EntityType.eq(t));
    }
    if let Some(id) = filter.entity_id {
        cond = cond.add(C::EntityId.eq(id));
    }
    if let Some(a) = filter.actor_id {
        cond = cond.add(C::ActorId.eq(a));
    }
    if let Some(s) = filter.since {
        cond = cond.add(C::At.gte(s));
    }
    super::page::fetch(
        db,
        audit_event::Entity::find().filter(cond),
        C::Id,
        C::At,
        false,
        args,
    )
    .await
}

/// An audit event the caller may see.
#[tracing::instrument(name = "audit.get", skip_all, fields(audit_event.id = id.get()))]
pub async fn get(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    id: AuditEventId,
) -> Result<Option<audit_event::Model>> {
    use sea_orm::EntityTrait;
    let actor = ctx.actor()?;
    Ok(audit_event::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|e| match (&e.province_code, actor.role) {
            (_, crate::enums::Role::National) => true,
            (Some(p), _) => super::scope::covers(actor, p, e.commune_code.as_deref()),
            (None, _) => false,
        }))
}
