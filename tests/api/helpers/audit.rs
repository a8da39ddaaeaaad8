//! The audit trail as stored: the events of one record, and how many there are in all.

use khuyencong::db::entities::audit_event;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use super::TestApp;

/// The audit events of one record, oldest first.
pub async fn audit_rows(
    app: &TestApp,
    entity_type: &str,
    entity_id: i64,
) -> Vec<audit_event::Model> {
    audit_event::Entity::find()
        .filter(audit_event::Column::EntityType.eq(entity_type))
        .filter(audit_event::Column::EntityId.eq(entity_id))
        .order_by_asc(audit_event::Column::Id)
        .all(&app.state.db)
        .await
        .expect("audit rows")
}

/// How many audit events there are in all.
pub async fn audit_count(app: &TestApp) -> u64 {
    audit_event::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count")
}
