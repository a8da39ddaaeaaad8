//! Establishments: the area matrix (README "Roles and areas"), validation by field, tax-code uniqueness,
//! optimistic concurrency, idempotency keys, diacritic-insensitive search, keyset paging,
//! the audit trail, batched loading and the query limits.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::Datelike;
use khuyencong::{domain::establishment::ENTITY, enums::Role, graphql::ids};
use serde_json::{Value, json};

use crate::helpers::common::{all_pages, audit_count, audit_rows, id_of, ids_of, row_id};
use crate::helpers::{
    SET_ESTABLISHMENT_STATUS, TestApp, assert_code, assert_field,
    place::{BMT, DAK_LAK, DAK_LAK_OTHER, QUANG_TRI, TRUONG_PHU},
    spawn_app,
};

const CREATE: &str = "mutation($i: CreateEstablishmentInput!, $k: String) { \
    createEstablishment(input: $i, idempotencyKey: $k) { \
    id version name taxCode status latitude longitude commune { code } province { code } } }";

const UPDATE: &str = "mutation($id: ID!, $v: Int!, $i: UpdateEstablishmentInput!) { \
    updateEstablishment(id: $id, expectedVersion: $v, input: $i) { \
    id version name taxCode email updatedAt commune { code } province { code } } }";

const GET: &str = "query($id: ID!) { establishment(id: $id) { \
    id name version status statusReason taxCode email createdAt updatedAt \
    commune { code } province { code } } }";

const NODE: &str = "query($id: ID!) { node(id: $id) { id ... on Establishment { name } } }";

const LIST: &str = "query($f: EstablishmentFilter, $first: Int, $after: String) { \
    establishments(filter: $f, first: $first, after: $after) { totalCount \
    nodes { id name } edges { cursor node { id } } \
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";

const CREATE_PRODUCT: &str =
    "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }";

static NAMES: AtomicU64 = AtomicU64::new(0);

/// A valid creation input in `commune`, with `extra` fields laid over it.
fn input(commune: &str, extra: Value) -> Value {
    let mut i = json!({
        "name": format!("Cơ sở kiểm thử {}", NAMES.fetch_add(1, Ordering::SeqCst)),
        "kind": "SME",
        "communeCode": commune,
        "sector": "AGRO_FORESTRY_FISHERY_FOOD",
    });
    if let (Some(obj), Value::Object(more)) = (i.as_object_mut(), extra) {
        obj.extend(more);
    }
    i
}

async fn create(app: &TestApp, token: &str, commune: &str, extra: Value) -> Value {
    app.gql(Some(token), CREATE, json!({ "i": input(commune, extra) }))
        .await
}

async fn update(app: &TestApp, token: &str, id: &str, version: i64, changes: Value) -> Value {
    app.gql(
        Some(token),
        UPDATE,
        json!({ "id": id, "v": version, "i": changes }),
    )
    .await
}

/// `establishment(id)` as `token` sees it (null when outside its area).
async fn get(app: &TestApp, token: &str, id: &str) -> Value {
    app.ok(Some(token), GET, json!({ "id": id })).await["establishment"].clone()
}

async fn list(app: &TestApp, token: &str, filter: Value, first: Option<i64>) -> Value {
    app.ok(Some(token), LIST, json!({ "f": filter, "first": first }))
        .await["establishments"]
        .clone()
}

async fn total(app: &TestApp, token: &str, filter: Value) -> i64 {
    list(app, token, filter, Some(0)).await["totalCount"]
        .as_i64()
        .expect("totalCount")
}

// ---------------------------------------------------------------------------------------
// Area matrix
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_commune_user_creates_in_its_commune_and_is_forbidden_elsewhere() {
    let app = spawn_app().await;
    let commune = app.commune(BMT).await;
    let national = app.national().await;

    let body = create(&app, &commune.token, BMT, json!({})).await;
    let created = &body["data"]["createEstablishment"];
    assert_eq!(created["commune"]["code"], BMT, "{body:#}");
    assert_eq!(created["province"]["code"], DAK_LAK);
    assert_eq!(created["version"], 1);
    assert_eq!(created["status"], "ACTIVE");

    for other in [DAK_LAK_OTHER, TRUONG_PHU] {
        let body = create(&app, &commune.token, other, json!({})).await;
        assert_code(&body, "FORBIDDEN");
        assert!(body["data"].is_null(), "{body:#}");
    }
    assert_eq!(total(&app, &national.token, json!({})).await, 1);
}

#[tokio::test]
async fn a_province_user_creates_anywhere_in_its_province_and_is_forbidden_in_another() {
    let app = spawn_app().await;
    let province = app.province(DAK_LAK).await;
    let national = app.national().await;

    for inside in [BMT, DAK_LAK_OTHER] {
        let body = create(&app, &province.token, inside, json!({})).await;
        assert_eq!(
            body["data"]["createEstablishment"]["commune"]["code"], inside,
            "{body:#}"
        );
    }
    let body = create(&app, &province.token, TRUONG_PHU, json!({})).await;
    assert_code(&body, "FORBIDDEN");
    assert_eq!(total(&app, &national.token, json!({})).await, 2);
    assert_eq!(
        total(&app, &national.token, json!({ "provinceCode": QUANG_TRI })).await,
        0
    );
}

#[tokio::test]
async fn a_national_user_creates_reads_and_lists_in_every_province() {
    let app = spawn_app().await;
    let national = app.national().await;
    let mut created = Vec::new();
    for commune in [BMT, DAK_LAK_OTHER, TRUONG_PHU] {
        let body = create(&app, &national.token, commune, json!({})).await;
        assert_eq!(
            body["data"]["createEstablishment"]["commune"]["code"], commune,
            "{body:#}"
        );
        created.push(id_of(&body["data"]["createEstablishment"]));
    }
    for id in &created {
        assert_eq!(get(&app, &national.token, id).await["id"], id.as_str());
    }
    let all = list(&app, &national.token, json!({}), None).await;
    assert_eq!(all["totalCount"], 3);
    assert_eq!(ids_of(&all), created);
    assert_eq!(
        total(&app, &national.token, json!({ "provinceCode": QUANG_TRI })).await,
        1
    );
    assert_eq!(
        total(&app, &national.token, json!({ "provinceCode": DAK_LAK })).await,
        2
    );
}

#[tokio::test]
async fn establishments_outside_the_area_read_as_null_by_id_and_by_node() {
    let app = spawn_app().await;
    let national = app.national().await;
    let commune = app.commune(BMT).await;
    let province = app.province(DAK_LAK).await;
    let in_bmt = app.establishment(&national.token, BMT, json!({})).await;
    let in_other = app
        .establishment(&national.token, DAK_LAK_OTHER, json!({}))
        .await;
    let in_quang_tri = app
        .establishment(&national.token, TRUONG_PHU, json!({}))
        .await;
    let (bmt, other, qt) = (id_of(&in_bmt), id_of(&in_other), id_of(&in_quang_tri));

    let node = |token: String, id: String| {
        let app = &app;
        async move { app.ok(Some(&token), NODE, json!({ "id": id })).await["node"].clone() }
    };

    // The commune user sees its commune only.
    assert_eq!(get(&app, &commune.token, &bmt).await["id"], bmt.as_str());
    assert_eq!(
        node(commune.token.clone(), bmt.clone()).await["name"],
        in_bmt["name"]
    );
    for outside in [&other, &qt] {
        assert!(get(&app, &commune.token, outside).await.is_null());
        assert!(node(commune.token.clone(), outside.clone()).await.is_null());
    }

    // The province user sees its province only.
    for inside in [&bmt, &other] {
        assert_eq!(
            get(&app, &province.token, inside).await["id"],
            inside.as_str()
        );
        assert_eq!(
            node(province.token.clone(), inside.clone()).await["id"],
            inside.as_str()
        );
    }
    assert!(get(&app, &province.token, &qt).await.is_null());
    assert!(node(province.token.clone(), qt.clone()).await.is_null());

    // Nobody sees an id that does not exist, and a garbage id is simply null.
    let missing = ids::encode(ENTITY, 999_999).0;
    assert!(get(&app, &national.token, &missing).await.is_null());
    assert!(get(&app, &national.token, "garbage").await.is_null());
}

#[tokio::test]
async fn lists_leave_out_establishments_outside_the_area_and_do_not_count_them() {
    let app = spawn_app().await;
    let national = app.national().await;
    let commune = app.commune(BMT).await;
    let province = app.province(DAK_LAK).await;
    let a = id_of(&app.establishment(&national.token, BMT, json!({})).await);
    let b = id_of(&app.establishment(&national.token, BMT, json!({})).await);
    let c = id_of(
        &app.establishment(&national.token, DAK_LAK_OTHER, json!({}))
            .await,
    );
    let d = id_of(
        &app.establishment(&national.token, TRUONG_PHU, json!({}))
            .await,
    );

    let mine = list(&app, &commune.token, json!({}), None).await;
    assert_eq!(ids_of(&mine), vec![a.clone(), b.clone()]);
    assert_eq!(mine["totalCount"], 2);

    let ours = list(&app, &province.token, json!({}), None).await;
    assert_eq!(ids_of(&ours), vec![a.clone(), b.clone(), c.clone()]);
    assert_eq!(ours["totalCount"], 3);

    let all = list(&app, &national.token, json!({}), None).await;
    assert_eq!(ids_of(&all), vec![a, b, c, d]);
    assert_eq!(all["totalCount"], 4);

    // Filters cannot reach outside the area.
    for (token, filter) in [
        (&province.token, json!({ "provinceCode": QUANG_TRI })),
        (&province.token, json!({ "communeCode": TRUONG_PHU })),
        (&commune.token, json!({ "provinceCode": QUANG_TRI })),
        (&commune.token, json!({ "communeCode": DAK_LAK_OTHER })),
    ] {
        let page = list(&app, token, filter.clone(), None).await;
        assert_eq!(page["totalCount"], 0, "{filter}");
        assert!(ids_of(&page).is_empty(), "{filter}");
        assert_eq!(page["pageInfo"]["hasNextPage"], false);
    }
    // A province filter of its own province keeps everything it sees.
    assert_eq!(
        total(&app, &commune.token, json!({ "provinceCode": DAK_LAK })).await,
        2
    );
}

#[tokio::test]
async fn updating_or_setting_the_status_outside_the_area_is_not_found() {
    let app = spawn_app().await;
    let national = app.national().await;
    let commune = app.commune(BMT).await;
    let province = app.province(DAK_LAK).await;
    let other = id_of(
        &app.establishment(&national.token, DAK_LAK_OTHER, json!({}))
            .await,
    );
    let qt = id_of(
        &app.establishment(&national.token, TRUONG_PHU, json!({}))
            .await,
    );

    for (token, id) in [
        (&commune.token, &other),
        (&commune.token, &qt),
        (&province.token, &qt),
    ] {
        let body = update(&app, token, id, 1, json!({ "name": "Đổi tên" })).await;
        assert_code(&body, "NOT_FOUND");
        let body = app
            .set_establishment_status(token, id, 1, "SUSPENDED", Some("thử"))
            .await;
        assert_code(&body, "NOT_FOUND");
    }
    for id in [&other, &qt] {
        let now = get(&app, &national.token, id).await;
        assert_eq!(now["version"], 1, "{now:#}");
        assert_eq!(now["status"], "ACTIVE");
        assert_ne!(now["name"], "Đổi tên");
    }
    // An id of another type, or garbage, is not found either.
    let body = update(&app, &national.token, "garbage", 1, json!({ "name": "X" })).await;
    assert_code(&body, "NOT_FOUND");
}

#[tokio::test]
async fn moving_an_establishment_outside_the_area_is_forbidden_and_changes_nothing() {
    let app = spawn_app().await;
    let commune = app.commune(BMT).await;
    let province = app.province(DAK_LAK).await;
    let national = app.national().await;
    let e = app.establishment(&commune.token, BMT, json!({})).await;
    let id = id_of(&e);

    let body = update(
        &app,
        &commune.token,
        &id,
        1,
        json!({ "communeCode": DAK_LAK_OTHER, "name": "Tên mới" }),
    )
    .await;
    assert_code(&body, "FORBIDDEN");
    let body = update(
        &app,
        &province.token,
        &id,
        1,
        json!({ "communeCode": TRUONG_PHU, "name": "Tên mới" }),
    )
    .await;
    assert_code(&body, "FORBIDDEN");

    let now = get(&app, &national.token, &id).await;
    assert_eq!(now["commune"]["code"], BMT);
    assert_eq!(now["province"]["code"], DAK_LAK);
    assert_eq!(now["name"], e["name"]);
    assert_eq!(now["version"], 1);
    assert_eq!(
        audit_rows(&app, ENTITY.as_str(), row_id(&id)).await.len(),
        1,
        "only the create"
    );

    // Inside its province, the province user may move it; the commune user then loses it.
    let body = update(
        &app,
        &province.token,
        &id,
        1,
        json!({ "communeCode": DAK_LAK_OTHER }),
    )
    .await;
    let moved = &body["data"]["updateEstablishment"];
    assert_eq!(moved["commune"]["code"], DAK_LAK_OTHER, "{body:#}");
    assert_eq!(moved["province"]["code"], DAK_LAK);
    assert_eq!(moved["version"], 2);
    assert!(get(&app, &commune.token, &id).await.is_null());

    // A national user may move it to another province.
    let body = update(
        &app,
        &national.token,
        &id,
        2,
        json!({ "communeCode": TRUONG_PHU }),
    )
    .await;
    assert_eq!(
        body["data"]["updateEstablishment"]["province"]["code"], QUANG_TRI,
        "{body:#}"
    );
    assert!(get(&app, &province.token, &id).await.is_null());
}

#[tokio::test]
async fn a_read_only_user_is_forbidden_every_mutation_but_may_read() {
    let app = spawn_app().await;
    let national = app.national().await;
    let e = app.establishment(&national.token, BMT, json!({})).await;
    let id = id_of(&e);
    let readers = [
        app.user(Role::National, None, None, false, true).await,
        app.user(Role::Province, Some(DAK_LAK), None, true, true)
            .await,
        app.user(Role::Commune, None, Some(BMT), false, true).await,
    ];
    for reader in &readers {
        assert_code(
            &create(&app, &reader.token, BMT, json!({})).await,
            "FORBIDDEN",
        );
        assert_code(
            &app.gql(
                Some(&reader.token),
                CREATE,
                json!({ "i": input(BMT, json!({})), "k": "read-only-key" }),
            )
            .await,
            "FORBIDDEN",
        );
        assert_code(
            &update(&app, &reader.token, &id, 1, json!({ "name": "Không được" })).await,
            "FORBIDDEN",
        );
        assert_code(
            &app.set_establishment_status(&reader.token, &id, 1, "CLOSED", Some("không"))
                .await,
            "FORBIDDEN",
        );
        assert_code(
            &app.gql(
                Some(&reader.token),
                CREATE_PRODUCT,
                json!({ "i": { "establishmentId": id, "name": "Không được" } }),
            )
            .await,
            "FORBIDDEN",
        );
        // Reading is allowed.
        assert_eq!(get(&app, &reader.token, &id).await["id"], id.as_str());
    }
    let now = get(&app, &national.token, &id).await;
    assert_eq!(now["version"], 1);
    assert_eq!(now["status"], "ACTIVE");
    assert_eq!(total(&app, &national.token, json!({})).await, 1);
}

#[tokio::test]
async fn anonymous_callers_are_unauthenticated_for_establishments() {
    let app = spawn_app().await;
    let national = app.national().await;
    let id = id_of(&app.establishment(&national.token, BMT, json!({})).await);

    let queries: [(&str, Value); 6] = [
        ("{ establishments { totalCount } }", json!({})),
        (GET, json!({ "id": id })),
        (NODE, json!({ "id": id })),
        (CREATE, json!({ "i": input(BMT, json!({})) })),
        (UPDATE, json!({ "id": id, "v": 1, "i": { "name": "X" } })),
        (
            SET_ESTABLISHMENT_STATUS,
            json!({ "id": id, "v": 1, "s": "CLOSED", "r": null }),
        ),
    ];
    for (query, vars) in queries {
        let body = app.gql(None, query, vars).await;
        assert_code(&body, "UNAUTHENTICATED");
    }
    // A bad token is never silently anonymous.
    let body = app
        .gql(
            Some("not-a-token"),
            "{ establishments { totalCount } }",
            json!({}),
        )
        .await;
    assert_code(&body, "UNAUTHENTICATED");
    assert_eq!(get(&app, &national.token, &id).await["version"], 1);
}

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

// ---------------------------------------------------------------------------------------
// Search
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn search_ignores_case_and_vietnamese_diacritics() {
    let app = spawn_app().await;
    let user = app.province(DAK_LAK).await;
    let coffee = id_of(
        &app.establishment(
            &user.token,
            BMT,
            json!({ "name": "Cơ sở Cà phê Đắk Lắk", "mainProducts": "Cà phê bột" }),
        )
        .await,
    );
    app.establishment(
        &user.token,
        DAK_LAK_OTHER,
        json!({ "name": "HTX Dệt thổ cẩm", "mainProducts": "Vải thổ cẩm" }),
    )
    .await;

    for term in [
        "ca phe",
        "dak lak",
        "DAK LAK",
        "Đắk Lắk",
        "cà PHÊ bột",
        "  phe   bot ",
    ] {
        let page = list(&app, &user.token, json!({ "search": term }), None).await;
        assert_eq!(ids_of(&page), vec![coffee.clone()], "{term:?}");
        assert_eq!(page["totalCount"], 1, "{term:?}");
    }
    for term in ["tra xanh", "Hồ tiêu", "lak dak"] {
        let page = list(&app, &user.token, json!({ "search": term }), None).await;
        assert!(ids_of(&page).is_empty(), "{term:?}");
        assert_eq!(page["totalCount"], 0, "{term:?}");
    }
    // Search combines with the other filters.
    assert_eq!(
        total(
            &app,
            &user.token,
            json!({ "search": "ca phe", "communeCode": DAK_LAK_OTHER })
        )
        .await,
        0
    );
}

#[tokio::test]
async fn percent_and_underscore_in_a_search_term_are_literal() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    let pure = id_of(
        &app.establishment(
            &user.token,
            BMT,
            json!({ "name": "Cà phê 100% nguyên chất" }),
        )
        .await,
    );
    let snake = id_of(
        &app.establishment(&user.token, BMT, json!({ "name": "Xưởng mã_số_7" }))
            .await,
    );
    app.establishment(&user.token, BMT, json!({ "name": "Cà phê 1000 gói" }))
        .await;

    let find = |term: &'static str| {
        let (app, token) = (&app, user.token.clone());
        async move { ids_of(&list(app, &token, json!({ "search": term }), None).await) }
    };
    assert_eq!(find("100%").await, vec![pure.clone()]);
    assert_eq!(find("%").await, vec![pure.clone()]);
    assert_eq!(find("1%0").await, Vec::<String>::new());
    assert_eq!(find("_").await, vec![snake.clone()]);
    assert_eq!(find("ma_so").await, vec![snake]);
    assert_eq!(find("\\").await, Vec::<String>::new());
}

// ---------------------------------------------------------------------------------------
// Pagination
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn paging_by_five_visits_each_of_23_establishments_once() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    let mut created = Vec::new();
    for _ in 0..23 {
        created.push(id_of(&app.establishment(&user.token, BMT, json!({})).await));
    }

    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = app
            .ok(
                Some(&user.token),
                LIST,
                json!({ "first": 5, "after": after }),
            )
            .await["establishments"]
            .clone();
        pages += 1;
        assert_eq!(page["totalCount"], 23, "totalCount on every page");
        assert_eq!(page["pageInfo"]["hasPreviousPage"], after.is_some());
        let ids = ids_of(&page);
        let edges = page["edges"].as_array().expect("edges");
        assert_eq!(edges.len(), ids.len());
        for (edge, id) in edges.iter().zip(&ids) {
            assert_eq!(edge["node"]["id"], id.as_str());
        }
        if !ids.is_empty() {
            assert_eq!(
                page["pageInfo"]["endCursor"],
                edges[ids.len() - 1]["cursor"]
            );
            assert_eq!(page["pageInfo"]["startCursor"], edges[0]["cursor"]);
        }
        seen.extend(ids);
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        assert_eq!(page["nodes"].as_array().expect("nodes").len(), 5);
        after = Some(
            page["pageInfo"]["endCursor"]
                .as_str()
                .expect("endCursor")
                .to_owned(),
        );
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, 5);
    assert_eq!(seen, created, "every id once, in order, no gaps");
}

#[tokio::test]
async fn first_above_100_is_refused_and_first_0_returns_only_the_count() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    for _ in 0..3 {
        app.establishment(&user.token, BMT, json!({})).await;
    }
    for bad in [101, 1000, -1] {
        let body = app
            .gql(Some(&user.token), LIST, json!({ "first": bad }))
            .await;
        assert_field(&body, "first");
    }
    let page = list(&app, &user.token, json!({}), Some(0)).await;
    assert_eq!(page["totalCount"], 3);
    assert!(ids_of(&page).is_empty());
    assert!(page["pageInfo"]["endCursor"].is_null());
    let page = list(&app, &user.token, json!({}), Some(100)).await;
    assert_eq!(ids_of(&page).len(), 3);
    assert_eq!(page["pageInfo"]["hasNextPage"], false);
}

#[tokio::test]
async fn a_garbage_after_cursor_is_refused() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    app.establishment(&user.token, BMT, json!({})).await;
    for bad in ["garbage!", "bm9uc2Vuc2U", "", "aTpub3RhbnVtYmVy"] {
        let body = app
            .gql(Some(&user.token), LIST, json!({ "first": 5, "after": bad }))
            .await;
        assert_field(&body, "after");
    }
}

#[tokio::test]
async fn with_updated_since_the_list_runs_oldest_change_first_and_cursors_resume() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    let mut created = Vec::new();
    for _ in 0..6 {
        created.push(id_of(&app.establishment(&user.token, BMT, json!({})).await));
    }
    let since = get(&app, &user.token, &created[0]).await["createdAt"]
        .as_str()
        .expect("createdAt")
        .to_owned();
    // Change an old record: it moves to the end.
    let body = update(
        &app,
        &user.token,
        &created[1],
        1,
        json!({ "name": "Mới đổi" }),
    )
    .await;
    let changed_at = body["data"]["updateEstablishment"]["updatedAt"]
        .as_str()
        .expect("updatedAt")
        .to_owned();
    let expected: Vec<String> = [0, 2, 3, 4, 5, 1]
        .iter()
        .map(|&i| created[i].clone())
        .collect();

    let pages = all_pages(async |after| {
        let vars = json!({ "f": { "updatedSince": since }, "first": 2, "after": after });
        app.ok(Some(&user.token), LIST, vars).await["establishments"].clone()
    })
    .await;
    let mut seen = Vec::new();
    for page in &pages {
        assert_eq!(page["totalCount"], 6);
        seen.extend(ids_of(page));
    }
    assert_eq!(seen, expected);

    // Only what changed at or after the time is listed.
    let page = list(
        &app,
        &user.token,
        json!({ "updatedSince": changed_at }),
        None,
    )
    .await;
    assert_eq!(ids_of(&page), vec![created[1].clone()]);
    assert_eq!(page["totalCount"], 1);

    // A cursor of the id order does not fit the change order.
    let by_id = list(&app, &user.token, json!({}), Some(2)).await;
    let body = app
        .gql(
            Some(&user.token),
            LIST,
            json!({
                "f": { "updatedSince": since },
                "first": 2,
                "after": by_id["pageInfo"]["endCursor"],
            }),
        )
        .await;
    assert_field(&body, "after");
}

// ---------------------------------------------------------------------------------------
// Status
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_closed_establishment_keeps_its_reason_and_takes_no_new_products() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    let id = id_of(&app.establishment(&user.token, BMT, json!({})).await);
    let body = app
        .set_establishment_status(&user.token, &id, 1, "CLOSED", Some("Ngừng sản xuất"))
        .await;
    let closed = &body["data"]["setEstablishmentStatus"];
    assert_eq!(closed["status"], "CLOSED", "{body:#}");
    assert_eq!(closed["statusReason"], "Ngừng sản xuất");
    assert_eq!(closed["version"], 2);

    let body = app
        .gql(
            Some(&user.token),
            CREATE_PRODUCT,
            json!({ "i": { "establishmentId": id, "name": "Cà phê hạt" } }),
        )
        .await;
    assert_field(&body, "establishmentId");

    // Closed establishments are never deleted; they stay listed with their status.
    assert_eq!(
        total(&app, &user.token, json!({ "status": "CLOSED" })).await,
        1
    );
    assert_eq!(
        total(&app, &user.token, json!({ "status": "ACTIVE" })).await,
        0
    );
    let now = get(&app, &user.token, &id).await;
    assert_eq!(now["status"], "CLOSED");
    assert_eq!(now["statusReason"], "Ngừng sản xuất");
}

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
        assert_eq!(r.actor_role.as_deref(), Some("COMMUNE"));
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

// ---------------------------------------------------------------------------------------
// Batched loading and query limits
// ---------------------------------------------------------------------------------------

const NESTED: &str = "query Nested { establishments(first: 50) { nodes { name \
    commune { name province { name } } \
    products { totalCount nodes { name establishment { name } } } } } }";

/// Runs `NESTED` and returns the statements it executed and its data.
async fn statements_of_nested(app: &TestApp, token: &str) -> (f64, Value) {
    let (data, statements) = app.ok_counting(token, NESTED, json!({})).await;
    (statements, data)
}

async fn seed_with_products(app: &TestApp, token: &str, n: usize) {
    for i in 0..n {
        let commune = if i % 2 == 0 { BMT } else { DAK_LAK_OTHER };
        let e = app.establishment(token, commune, json!({})).await;
        let id = id_of(&e);
        app.product(token, &id, &format!("Sản phẩm A{i}")).await;
        app.product(token, &id, &format!("Sản phẩm B{i}")).await;
    }
}

#[tokio::test]
async fn statements_per_request_do_not_grow_with_the_rows_returned() {
    let app = spawn_app().await;
    let user = app.province(DAK_LAK).await;

    seed_with_products(&app, &user.token, 3).await;
    let (few, data) = statements_of_nested(&app, &user.token).await;
    let nodes = data["establishments"]["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), 3);

    seed_with_products(&app, &user.token, 9).await;
    let (many, data) = statements_of_nested(&app, &user.token).await;
    let nodes = data["establishments"]["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), 12);
    for n in nodes {
        assert_eq!(n["products"]["totalCount"], 2, "{n:#}");
        assert_eq!(
            n["commune"]["province"]["name"],
            nodes[0]["commune"]["province"]["name"]
        );
        for p in n["products"]["nodes"].as_array().expect("products") {
            assert_eq!(p["establishment"]["name"], n["name"]);
        }
    }

    assert!(few > 0.0, "the statements are counted");
    assert_eq!(few, many, "3 rows took {few} statements, 12 rows {many}");
}

/// `establishments → nodes → products → nodes → establishment → …` `cycles` times.
fn deep_query(cycles: usize) -> String {
    let mut q = String::from("query Deep { establishments(first: 1) { nodes { ");
    let mut close = String::from(" } } }");
    for _ in 0..cycles {
        q.push_str("products(first: 1) { nodes { establishment { ");
        close.push_str(" } } }");
    }
    q.push_str("name");
    q.push_str(&close);
    q
}

#[tokio::test]
async fn a_query_nested_deeper_than_12_is_refused_before_any_sql() {
    let app = spawn_app().await;
    let user = app.national().await;
    let e = app.establishment(&user.token, BMT, json!({})).await;
    app.product(&user.token, &id_of(&e), "Cà phê").await;

    // Three cycles: depth 12 at most is served.
    let ok = app.gql(Some(&user.token), &deep_query(3), json!({})).await;
    assert!(ok.get("errors").is_none(), "depth 12 is allowed: {ok:#}");

    let before = app.metric("db_statements_total").await;
    for cycles in [4, 6, 20] {
        let body = app
            .gql(Some(&user.token), &deep_query(cycles), json!({}))
            .await;
        assert_code(&body, "QUERY_TOO_COMPLEX");
        assert!(body["data"].is_null(), "{body:#}");
    }
    assert_eq!(
        app.metric("db_statements_total").await,
        before,
        "no SQL ran"
    );
}

#[tokio::test]
async fn a_query_over_the_complexity_budget_is_refused_before_any_sql() {
    let app = spawn_app().await;
    let user = app.national().await;
    app.establishment(&user.token, BMT, json!({})).await;
    let list = "establishments(first: 100) { nodes { products(first: 100) { \
        nodes { name establishment { name } } } } }";
    let query = format!("query Costly {{ a: {list} b: {list} c: {list} d: {list} }}");

    let before = app.metric("db_statements_total").await;
    let body = app.gql(Some(&user.token), &query, json!({})).await;
    assert_code(&body, "QUERY_TOO_COMPLEX");
    let body = app
        .gql(
            Some(&user.token),
            &format!("query One {{ {list} }}"),
            json!({}),
        )
        .await;
    assert_code(&body, "QUERY_TOO_COMPLEX");
    assert_eq!(
        app.metric("db_statements_total").await,
        before,
        "no SQL ran"
    );

    // A modest page of the same shape is served.
    let small = "query Small { establishments(first: 10) { nodes { products(first: 10) { \
        nodes { name establishment { name } } } } } }";
    let body = app.gql(Some(&user.token), small, json!({})).await;
    assert!(body.get("errors").is_none(), "{body:#}");
}
