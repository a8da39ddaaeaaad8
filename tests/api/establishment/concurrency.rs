//! Tax-code uniqueness, optimistic concurrency (`expectedVersion`) and idempotency keys.

use super::*;

// ---------------------------------------------------------------------------------------
// Uniqueness and concurrency
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_duplicate_tax_code_is_a_conflict() {
    let app = spawn_app().await;
    let user = app.province(DAK_LAK).await;
    create(&app, &user.token, BMT, json!({ "taxCode": "6000123456" })).await;
    let body = create(
        &app,
        &user.token,
        DAK_LAK_OTHER,
        json!({ "taxCode": "6000123456" }),
    )
    .await;
    assert_code(&body, "CONFLICT");
    // A branch code is a different code.
    let body = create(
        &app,
        &user.token,
        DAK_LAK_OTHER,
        json!({ "taxCode": "6000123456-001" }),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    let body = create(
        &app,
        &user.token,
        DAK_LAK_OTHER,
        json!({ "taxCode": "6000123456-001" }),
    )
    .await;
    assert_code(&body, "CONFLICT");
    assert_eq!(total(&app, &user.token, json!({})).await, 2);
}

#[tokio::test]
async fn a_tax_code_registered_in_another_area_is_still_a_conflict() {
    let app = spawn_app().await;
    let quang_tri = app.province(QUANG_TRI).await;
    let dak_lak = app.province(DAK_LAK).await;
    let national = app.national().await;
    create(
        &app,
        &quang_tri.token,
        TRUONG_PHU,
        json!({ "taxCode": "3100123456" }),
    )
    .await;
    let body = create(
        &app,
        &dak_lak.token,
        BMT,
        json!({ "taxCode": "3100123456" }),
    )
    .await;
    assert_code(&body, "CONFLICT");
    assert_eq!(total(&app, &dak_lak.token, json!({})).await, 0);
    assert_eq!(total(&app, &national.token, json!({})).await, 1);
}

#[tokio::test]
async fn changing_the_tax_code_to_one_already_taken_is_a_conflict() {
    let app = spawn_app().await;
    let user = app.national().await;
    app.establishment(&user.token, TRUONG_PHU, json!({ "taxCode": "3100123456" }))
        .await;
    let mine = app
        .establishment(&user.token, BMT, json!({ "taxCode": "6000123456" }))
        .await;
    let id = id_of(&mine);
    let body = update(
        &app,
        &user.token,
        &id,
        1,
        json!({ "taxCode": "3100123456" }),
    )
    .await;
    assert_code(&body, "CONFLICT");
    let now = get(&app, &user.token, &id).await;
    assert_eq!(now["taxCode"], "6000123456");
    assert_eq!(now["version"], 1);
    // Keeping its own tax code while changing another field is no conflict.
    let body = update(
        &app,
        &user.token,
        &id,
        1,
        json!({ "taxCode": "6000123456", "name": "Tên mới" }),
    )
    .await;
    assert_eq!(
        body["data"]["updateEstablishment"]["version"], 2,
        "{body:#}"
    );
}

#[tokio::test]
async fn a_stale_expected_version_is_a_conflict_and_changes_nothing() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    let e = app.establishment(&user.token, BMT, json!({})).await;
    let id = id_of(&e);
    let body = update(&app, &user.token, &id, 1, json!({ "name": "Lần một" })).await;
    assert_eq!(
        body["data"]["updateEstablishment"]["version"], 2,
        "{body:#}"
    );

    for stale in [1, 3, 0] {
        let body = update(&app, &user.token, &id, stale, json!({ "name": "Ghi đè" })).await;
        assert_code(&body, "CONFLICT");
        let body = app
            .set_establishment_status(&user.token, &id, stale, "CLOSED", Some("x"))
            .await;
        assert_code(&body, "CONFLICT");
    }
    let now = get(&app, &user.token, &id).await;
    assert_eq!(now["name"], "Lần một");
    assert_eq!(now["version"], 2);
    assert_eq!(now["status"], "ACTIVE");
}

#[tokio::test]
async fn a_correct_expected_version_increments_the_version() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    let e = app.establishment(&user.token, BMT, json!({})).await;
    let id = id_of(&e);
    assert_eq!(e["version"], 1);
    let before = get(&app, &user.token, &id).await;

    let body = update(&app, &user.token, &id, 1, json!({ "name": "Tên hai" })).await;
    let after = &body["data"]["updateEstablishment"];
    assert_eq!(after["version"], 2, "{body:#}");
    assert_eq!(after["name"], "Tên hai");
    let b = chrono::DateTime::parse_from_rfc3339(before["updatedAt"].as_str().expect("t"))
        .expect("rfc3339");
    let a = chrono::DateTime::parse_from_rfc3339(after["updatedAt"].as_str().expect("t"))
        .expect("rfc3339");
    assert!(a >= b, "updatedAt moves forward");

    let body = app
        .set_establishment_status(&user.token, &id, 2, "SUSPENDED", Some("Sửa nhà xưởng"))
        .await;
    let s = &body["data"]["setEstablishmentStatus"];
    assert_eq!(s["version"], 3, "{body:#}");
    assert_eq!(s["status"], "SUSPENDED");
    assert_eq!(s["statusReason"], "Sửa nhà xưởng");
    let body = app
        .set_establishment_status(&user.token, &id, 3, "ACTIVE", None)
        .await;
    assert_eq!(
        body["data"]["setEstablishmentStatus"]["version"], 4,
        "{body:#}"
    );
    assert_eq!(body["data"]["setEstablishmentStatus"]["status"], "ACTIVE");
    assert_eq!(get(&app, &user.token, &id).await["version"], 4);
}

// ---------------------------------------------------------------------------------------
// Idempotency keys
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn the_same_idempotency_key_from_the_same_user_creates_one_establishment() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    let i = input(BMT, json!({ "taxCode": "6000999999" }));
    let first = app
        .ok(
            Some(&user.token),
            CREATE,
            json!({ "i": i, "k": "retry-42" }),
        )
        .await;
    let again = app
        .ok(
            Some(&user.token),
            CREATE,
            json!({ "i": i, "k": "retry-42" }),
        )
        .await;
    assert_eq!(
        first["createEstablishment"]["id"],
        again["createEstablishment"]["id"]
    );
    assert_eq!(total(&app, &user.token, json!({})).await, 1);
    assert_eq!(
        audit_rows(
            &app,
            ENTITY.as_str(),
            row_id(first["createEstablishment"]["id"].as_str().expect("id"))
        )
        .await
        .len(),
        1,
        "one create event"
    );
    // A new key is a new establishment.
    let other = app
        .ok(
            Some(&user.token),
            CREATE,
            json!({ "i": input(BMT, json!({})), "k": "retry-43" }),
        )
        .await;
    assert_ne!(
        other["createEstablishment"]["id"],
        first["createEstablishment"]["id"]
    );
    assert_eq!(total(&app, &user.token, json!({})).await, 2);
}

#[tokio::test]
async fn the_same_idempotency_key_from_another_user_creates_a_new_establishment() {
    let app = spawn_app().await;
    let one = app.commune(BMT).await;
    let two = app.commune(BMT).await;
    let first = app
        .ok(
            Some(&one.token),
            CREATE,
            json!({ "i": input(BMT, json!({})), "k": "shared-key" }),
        )
        .await;
    let second = app
        .ok(
            Some(&two.token),
            CREATE,
            json!({ "i": input(BMT, json!({})), "k": "shared-key" }),
        )
        .await;
    assert_ne!(
        first["createEstablishment"]["id"],
        second["createEstablishment"]["id"]
    );
    assert_eq!(total(&app, &one.token, json!({})).await, 2);
}

#[tokio::test]
async fn an_empty_or_overlong_idempotency_key_is_refused() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    for key in [String::new(), "k".repeat(129)] {
        let body = app
            .gql(
                Some(&user.token),
                CREATE,
                json!({ "i": input(BMT, json!({})), "k": key }),
            )
            .await;
        assert_field(&body, "idempotencyKey");
    }
    assert_eq!(total(&app, &user.token, json!({})).await, 0);
}
