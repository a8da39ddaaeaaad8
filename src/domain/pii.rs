//! The personal-data access log (Decree 13/2023/NĐ-CP on personal data protection): who read
//! the personal fields of which establishments, and when. One row per request and kind of
//! record (not one per field), kept for `KC_PII_LOG_RETENTION_DAYS`, readable by national
//! administrators only.

use std::collections::BTreeSet;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};

use crate::{
    db::entities::pii_access_log,
    domain::{
        Ctx, now,
        page::{self, Keyed, Page, PageArgs},
    },
    enums::Role,
    error::{AppError, Msg, Result},
    kind::{EntityKind, UserId},
};

impl Keyed for pii_access_log::Model {
    fn key_id(&self) -> i64 {
        self.id
    }
    fn key_updated(&self) -> chrono::DateTime<chrono::Utc> {
        self.at
    }
}

/// Records that a user read `fields` of the records `ids` of `entity_type` in one request.
#[tracing::instrument(name = "pii.record", skip_all, fields(entity = %entity_type, count = ids.len()))]
pub async fn record(
    db: &impl ConnectionTrait,
    user_id: UserId,
    request_id: Option<String>,
    entity_type: EntityKind,
    ids: &BTreeSet<i64>,
    fields: &BTreeSet<&'static str>,
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let join = |it: &mut dyn Iterator<Item = String>| it.collect::<Vec<_>>().join(",");
    pii_access_log::ActiveModel {
        at: Set(now()),
        user_id: Set(user_id.get()),
        request_id: Set(request_id),
        entity_type: Set(entity_type.as_str().to_owned()),
        record_ids: Set(join(&mut ids.iter().map(i64::to_string))),
        fields: Set(join(&mut fields.iter().map(|f| (*f).to_owned()))),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Deletes entries older than the retention period; returns how many.
#[tracing::instrument(name = "pii.purge", skip_all, fields(retention_days = retention_days))]
pub async fn purge(db: &impl ConnectionTrait, retention_days: u32) -> Result<u64> {
    let before = Utc::now() - chrono::Duration::days(i64::from(retention_days));
    let r = pii_access_log::Entity::delete_many()
        .filter(pii_access_log::Column::At.lt(before))
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}

/// A page of the log, oldest first, optionally of one reader; national administrators only.
#[tracing::instrument(name = "pii.list", skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    user_id: Option<UserId>,
    args: &PageArgs,
) -> Result<Page<pii_access_log::Entity>> {
    let actor = ctx.actor()?;
    if !(actor.role == Role::National && actor.is_admin) {
        return Err(AppError::forbidden(Msg::new(
            "Only national administrators may read the personal-data access log.",
            "Chỉ quản trị viên cấp trung ương được xem nhật ký truy cập dữ liệu cá nhân.",
        )));
    }
    let mut q = pii_access_log::Entity::find();
    if let Some(u) = user_id {
        q = q.filter(pii_access_log::Column::UserId.eq(u));
    }
    page::fetch(
        db,
        q,
        pii_access_log::Column::Id,
        pii_access_log::Column::At,
        false,
        args,
    )
    .await
}
