//! The audit trail of establishments: before and after of each change, nothing for a refusal.

use super::*;

// ---------------------------------------------------------------------------------------
// Audit trail
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn create_update_and_status_changes_are_audited_with_before_and_after() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    let e = app
        .establishment(&user.token, BMT, json!({ "taxCode": "6000123456" }))
        .await;
    let id = id_of(&e);
    let body = update(&app, &user.token, &id, 1, json!({ "name": "Tên đã sửa" })).await;
    assert!(body.get("errors").is_none(), "{body:#}");
    let body = app
        .set_establishment_status(&user.token, &id, 2, "SUSPENDED", Some("Tạm nghỉ"))
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");

    let rows = audit_rows(&app, ENTITY.as_str(), row_id(&id)).await;
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["create", "update", "setStatus"]);
    let actor = row_id(&user.id);
    for r in &rows {
        assert_eq!(r.entity_type, "Establishment");
        assert_eq!(r.actor_id, Some(actor));
        assert_eq!(r.actor_role, Some(Role::Commune));
        assert_eq!(r.commune_code.as_deref(), Some(BMT));
        assert_eq!(r.province_code.as_deref(), Some(DAK_LAK));
    }
    let changes: Vec<Value> = rows
        .iter()
        .map(|r| serde_json::from_str(&r.changes).expect("changes are JSON"))
        .collect();

    assert_eq!(changes[0]["name"]["before"], Value::Null);
    assert_eq!(changes[0]["name"]["after"], e["name"]);
    assert_eq!(changes[0]["tax_code"]["after"], "6000123456");
    assert_eq!(changes[0]["commune_code"]["after"], BMT);

    assert_eq!(
        changes[1],
        json!({ "name": { "before": e["name"], "after": "Tên đã sửa" } }),
        "only the changed field"
    );

    assert_eq!(
        changes[2]["status"],
        json!({ "before": "ACTIVE", "after": "SUSPENDED" })
    );
    assert_eq!(
        changes[2]["status_reason"],
        json!({ "before": null, "after": "Tạm nghỉ" })
    );
    assert!(changes[2].get("name").is_none());
}

#[tokio::test]
async fn a_failed_mutation_writes_no_audit_event() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    let id = id_of(&app.establishment(&user.token, BMT, json!({})).await);
    let before = audit_count(&app).await;

    assert_code(
        &update(&app, &user.token, &id, 7, json!({ "name": "Cũ" })).await,
        "CONFLICT",
    );
    assert_code(
        &app.set_establishment_status(&user.token, &id, 7, "CLOSED", None)
            .await,
        "CONFLICT",
    );
    assert_field(
        &update(&app, &user.token, &id, 1, json!({ "email": "x" })).await,
        "email",
    );
    assert_code(
        &create(&app, &user.token, TRUONG_PHU, json!({})).await,
        "FORBIDDEN",
    );
    assert_field(
        &create(&app, &user.token, BMT, json!({ "taxCode": "1" })).await,
        "taxCode",
    );
    assert_eq!(audit_count(&app).await, before);
    assert_eq!(
        audit_rows(&app, ENTITY.as_str(), row_id(&id)).await.len(),
        1
    );
}
