//! Writes to the reference data: the region of a province in the regional selection.
//! (Reading and seeding provinces and communes is [`crate::reference`], below the domain.)

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait, IntoActiveModel,
};

use crate::kind::EntityKind;
use crate::{
    db::entities::province,
    domain::{Ctx, audit, scope, write},
    enums::{Region, Role},
    error::{AppError, Msg, Result},
};

/// Moves a province to another region of the regional selection (a national administrator's
/// decision; the mapping is data, Circular 26/2014/TT-BCT leaves it to the Ministry).
pub async fn set_region(
    db: &DatabaseConnection,
    ctx: &Ctx,
    code: &str,
    region: Region,
) -> Result<()> {
    let actor = ctx.actor()?;
    scope::ensure_writer(actor)?;
    if !(actor.role == Role::National && actor.is_admin) {
        return Err(AppError::forbidden(Msg::new(
            "Only a national administrator changes the regions of the selection.",
            "Chỉ quản trị viên cấp trung ương được thay đổi vùng bình chọn.",
        )));
    }
    write::run(db, ctx, async |txn| {
        let before = province::Entity::find_by_id(code.trim().to_owned())
            .one(txn)
            .await?
            .ok_or_else(|| AppError::not_found("province", "tỉnh"))?;
        let mut am = before.clone().into_active_model();
        am.region = Set(region);
        let after = am.update(txn).await?;
        let changes =
            serde_json::json!({ "region": { "before": before.region, "after": after.region } });
        let subject = audit::Subject {
            entity_type: EntityKind::Province,
            entity_id: after.code.parse().unwrap_or(0),
            province_code: Some(&after.code),
            commune_code: None,
        };
        Ok(((), write::Event::new("setRegion", subject, changes)))
    })
    .await
}
