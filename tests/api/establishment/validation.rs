//! Validation by field: tax code, e-mail and phone, coordinates, founding year, employees,
//! name and commune, on creation and on update.

use super::*;

// ---------------------------------------------------------------------------------------
// Validation by field
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn tax_codes_have_ten_digits_or_ten_digits_and_a_three_digit_branch() {
    let app = spawn_app().await;
    let user = app.province(DAK_LAK).await;
    for bad in [
        "010123456",
        "01012345678",
        "0101234567-01",
        "0101234567-0001",
        "01012345a7",
        "0101234567_001",
    ] {
        let body = create(&app, &user.token, BMT, json!({ "taxCode": bad })).await;
        assert_field(&body, "taxCode");
    }
    for good in ["0101234567", "0101234567-001"] {
        let body = create(&app, &user.token, BMT, json!({ "taxCode": good })).await;
        assert_eq!(
            body["data"]["createEstablishment"]["taxCode"], good,
            "{body:#}"
        );
    }
    assert_eq!(total(&app, &user.token, json!({})).await, 2);
}

#[tokio::test]
async fn e_mail_and_phone_are_checked_by_field() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    for bad in [
        "not-an-email",
        "a@b",
        "@example.com",
        "nguyen van a@gmail.com",
    ] {
        let body = create(&app, &user.token, BMT, json!({ "email": bad })).await;
        assert_field(&body, "email");
    }
    for bad in [
        "12345",
        "0912",
        "+1 555 123 4567",
        "09123456789012",
        "09abc45678",
    ] {
        let body = create(&app, &user.token, BMT, json!({ "phone": bad })).await;
        assert_field(&body, "phone");
    }
    let body = create(
        &app,
        &user.token,
        BMT,
        json!({ "email": "htx.vandi@gmail.com", "phone": "+84 262 3852 123" }),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    let body = create(&app, &user.token, BMT, json!({ "phone": "0912 345 678" })).await;
    assert!(body.get("errors").is_none(), "{body:#}");
}

#[tokio::test]
async fn coordinates_lie_inside_vietnam_and_come_in_pairs() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    // Paris.
    let body = create(
        &app,
        &user.token,
        BMT,
        json!({ "latitude": 48.85, "longitude": 2.35 }),
    )
    .await;
    assert_field(&body, "latitude");
    // South of Vietnam's waters, with a Vietnamese longitude.
    let body = create(
        &app,
        &user.token,
        BMT,
        json!({ "latitude": -12.0, "longitude": 108.05 }),
    )
    .await;
    assert_field(&body, "latitude");
    let body = create(
        &app,
        &user.token,
        BMT,
        json!({ "latitude": 12.68, "longitude": 2.35 }),
    )
    .await;
    assert_field(&body, "longitude");
    // One without the other names the missing one.
    let body = create(&app, &user.token, BMT, json!({ "latitude": 12.68 })).await;
    assert_field(&body, "longitude");
    let body = create(&app, &user.token, BMT, json!({ "longitude": 108.05 })).await;
    assert_field(&body, "latitude");

    let body = create(
        &app,
        &user.token,
        BMT,
        json!({ "latitude": 12.68, "longitude": 108.05 }),
    )
    .await;
    let e = &body["data"]["createEstablishment"];
    assert_eq!(e["latitude"], 12.68, "{body:#}");
    assert_eq!(e["longitude"], 108.05);
    assert_eq!(total(&app, &user.token, json!({})).await, 1);
}

#[tokio::test]
async fn the_founding_year_lies_between_1800_and_this_year() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    let this_year = chrono::Utc::now().year();
    for bad in [1700, 1799, this_year + 1] {
        let body = create(&app, &user.token, BMT, json!({ "foundedYear": bad })).await;
        assert_field(&body, "foundedYear");
    }
    for good in [1800, this_year] {
        let body = create(&app, &user.token, BMT, json!({ "foundedYear": good })).await;
        assert!(body.get("errors").is_none(), "{good}: {body:#}");
    }
}

#[tokio::test]
async fn the_employee_count_cannot_be_negative() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    let body = create(&app, &user.token, BMT, json!({ "employeeCount": -1 })).await;
    assert_field(&body, "employeeCount");
    let body = create(&app, &user.token, BMT, json!({ "employeeCount": 0 })).await;
    assert!(body.get("errors").is_none(), "{body:#}");
}

#[tokio::test]
async fn a_name_is_required_and_at_most_300_characters() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    for bad in [String::new(), "   ".to_owned(), "ắ".repeat(301)] {
        let body = create(&app, &user.token, BMT, json!({ "name": bad })).await;
        assert_field(&body, "name");
    }
    // 300 characters (not bytes) are fine, and surrounding spaces are trimmed.
    let body = create(&app, &user.token, BMT, json!({ "name": "ắ".repeat(300) })).await;
    assert!(body.get("errors").is_none(), "{body:#}");
    let body = create(&app, &user.token, BMT, json!({ "name": "  HTX Cà phê  " })).await;
    assert_eq!(body["data"]["createEstablishment"]["name"], "HTX Cà phê");
}

#[tokio::test]
async fn an_unknown_commune_code_is_refused() {
    let app = spawn_app().await;
    let user = app.national().await;
    for bad in ["99999", "", "abc"] {
        let body = create(&app, &user.token, bad, json!({})).await;
        assert_field(&body, "communeCode");
    }
    let e = app.establishment(&user.token, BMT, json!({})).await;
    let body = update(
        &app,
        &user.token,
        &id_of(&e),
        1,
        json!({ "communeCode": "99999" }),
    )
    .await;
    assert_field(&body, "communeCode");
    assert_eq!(total(&app, &user.token, json!({})).await, 1);
}

#[tokio::test]
async fn updates_are_validated_like_creation_and_change_nothing_when_refused() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    let e = app
        .establishment(&user.token, BMT, json!({ "email": "co.so@example.vn" }))
        .await;
    let id = id_of(&e);
    for (changes, field) in [
        (json!({ "email": "not-an-email" }), "email"),
        (json!({ "taxCode": "123" }), "taxCode"),
        (json!({ "name": "" }), "name"),
        (json!({ "foundedYear": 1700 }), "foundedYear"),
        (json!({ "employeeCount": -1 }), "employeeCount"),
        (json!({ "phone": "12345" }), "phone"),
        (json!({ "latitude": 12.68 }), "longitude"),
    ] {
        let body = update(&app, &user.token, &id, 1, changes.clone()).await;
        assert_field(&body, field);
    }
    let now = get(&app, &user.token, &id).await;
    assert_eq!(now["version"], 1);
    assert_eq!(now["email"], "co.so@example.vn");

    // Null clears an optional field; omitted fields stay.
    let body = update(&app, &user.token, &id, 1, json!({ "email": null })).await;
    let after = &body["data"]["updateEstablishment"];
    assert!(after["email"].is_null(), "{body:#}");
    assert_eq!(after["name"], e["name"]);
}
