//! Small helpers every test file uses: ids, success checks and the audit trail.

use async_graphql::ID;
use khuyencong::{db::entities::audit_event, graphql::ids};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::Value;

use super::TestApp;

/// The `id` field of an object in a response (panics with the object when absent).
#[track_caller]
pub fn id_of(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v:#}"))
        .to_owned()
}

/// The database id behind a global id.
#[track_caller]
pub fn row_id(global: &str) -> i64 {
    ids::parse(&ID(global.to_owned())).expect("a global id").1
}

/// Asserts a response carries no errors; `what` names the request in the failure message.
#[track_caller]
pub fn assert_ok(body: &Value, what: &str) {
    assert!(
        body.get("errors").is_none(),
        "{what}: expected success, got {body:#}"
    );
}

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
