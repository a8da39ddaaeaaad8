//! Products: the area matrix (README "Roles and areas") (a product lives where its establishment lives and
//! moves with it), validation, optimistic concurrency, idempotency keys, search, paging and
//! the audit trail.

use khuyencong::{db::entities::audit_event, enums::Role, graphql::ids, kind::EntityKind};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::helpers::common::{all_pages, audit_count, id_of, ids_of, row_id};
use crate::helpers::{
    TestApp, assert_code, assert_field,
    place::{BMT, DAK_LAK, DAK_LAK_OTHER, QUANG_TRI, TRUONG_PHU},
    spawn_app,
};

const CREATE: &str = "mutation($i: CreateProductInput!, $k: String) { \
    createProduct(input: $i, idempotencyKey: $k) { \
    id version name description brand selectionGroup ocopGroup \
    establishment { id commune { code } } } }";

const UPDATE: &str = "mutation($id: ID!, $v: Int!, $i: UpdateProductInput!) { \
    updateProduct(id: $id, expectedVersion: $v, input: $i) { \
    id version name description brand selectionGroup ocopGroup updatedAt } }";

const GET: &str = "query($id: ID!) { product(id: $id) { \
    id name version description brand selectionGroup ocopGroup \
    establishment { id name commune { code } province { code } } } }";

const NODE: &str = "query($id: ID!) { node(id: $id) { id ... on Product { name } } }";

const LIST: &str = "query($f: ProductFilter, $first: Int, $after: String) { \
    products(filter: $f, first: $first, after: $after) { totalCount \
    nodes { id name } pageInfo { hasNextPage hasPreviousPage endCursor } } }";

const MOVE: &str = "mutation($id: ID!, $v: Int!, $c: String!) { \
    updateEstablishment(id: $id, expectedVersion: $v, input: { communeCode: $c }) { \
    id version commune { code } } }";

async fn create(app: &TestApp, token: &str, establishment: &str, extra: Value) -> Value {
    let mut i = json!({ "establishmentId": establishment, "name": "Cà phê bột" });
    if let (Some(obj), Value::Object(more)) = (i.as_object_mut(), extra) {
        obj.extend(more);
    }
    app.gql(Some(token), CREATE, json!({ "i": i })).await
}

async fn update(app: &TestApp, token: &str, id: &str, version: i64, changes: Value) -> Value {
    app.gql(
        Some(token),
        UPDATE,
        json!({ "id": id, "v": version, "i": changes }),
    )
    .await
}

/// `product(id)` as `token` sees it (null when outside its area).
async fn get(app: &TestApp, token: &str, id: &str) -> Value {
    app.ok(Some(token), GET, json!({ "id": id })).await["product"].clone()
}

async fn node(app: &TestApp, token: &str, id: &str) -> Value {
    app.ok(Some(token), NODE, json!({ "id": id })).await["node"].clone()
}

async fn list(app: &TestApp, token: &str, filter: Value, first: Option<i64>) -> Value {
    app.ok(Some(token), LIST, json!({ "f": filter, "first": first }))
        .await["products"]
        .clone()
}

async fn total(app: &TestApp, token: &str, filter: Value) -> i64 {
    list(app, token, filter, Some(0)).await["totalCount"]
        .as_i64()
        .expect("totalCount")
}

/// An establishment in `commune` created by `token`; its id.
async fn est(app: &TestApp, token: &str, commune: &str) -> String {
    id_of(&app.establishment(token, commune, json!({})).await)
}

/// A product of `establishment`; its id.
async fn prod(app: &TestApp, token: &str, establishment: &str, name: &str) -> String {
    id_of(&app.product(token, establishment, name).await)
}

// ---------------------------------------------------------------------------------------
// Area matrix
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_commune_user_adds_products_only_to_establishments_of_its_commune() {
    let app = spawn_app().await;
    let national = app.national().await;
    let commune = app.commune(BMT).await;
    let bmt = est(&app, &national.token, BMT).await;
    let other = est(&app, &national.token, DAK_LAK_OTHER).await;
    let qt = est(&app, &national.token, TRUONG_PHU).await;

    let body = create(&app, &commune.token, &bmt, json!({})).await;
    let p = &body["data"]["createProduct"];
    assert_eq!(p["establishment"]["id"], bmt.as_str(), "{body:#}");
    assert_eq!(p["establishment"]["commune"]["code"], BMT);
    assert_eq!(p["version"], 1);

    for outside in [&other, &qt] {
        assert_code(
            &create(&app, &commune.token, outside, json!({})).await,
            "NOT_FOUND",
        );
    }
    assert_eq!(total(&app, &national.token, json!({})).await, 1);
}

#[tokio::test]
async fn a_province_user_adds_products_only_to_establishments_of_its_province() {
    let app = spawn_app().await;
    let national = app.national().await;
    let province = app.province(DAK_LAK).await;
    let bmt = est(&app, &national.token, BMT).await;
    let other = est(&app, &national.token, DAK_LAK_OTHER).await;
    let qt = est(&app, &national.token, TRUONG_PHU).await;

    for inside in [&bmt, &other] {
        let body = create(&app, &province.token, inside, json!({})).await;
        assert_eq!(
            body["data"]["createProduct"]["establishment"]["id"],
            inside.as_str(),
            "{body:#}"
        );
    }
    assert_code(
        &create(&app, &province.token, &qt, json!({})).await,
        "NOT_FOUND",
    );
    assert_eq!(total(&app, &national.token, json!({})).await, 2);
}

#[tokio::test]
async fn a_national_user_adds_and_reads_products_everywhere() {
    let app = spawn_app().await;
    let national = app.national().await;
    let mut made = Vec::new();
    for commune in [BMT, DAK_LAK_OTHER, TRUONG_PHU] {
        let e = est(&app, &national.token, commune).await;
        made.push(prod(&app, &national.token, &e, "Mật ong").await);
    }
    for id in &made {
        assert_eq!(get(&app, &national.token, id).await["id"], id.as_str());
    }
    let all = list(&app, &national.token, json!({}), None).await;
    assert_eq!(ids_of(&all), made);
    assert_eq!(all["totalCount"], 3);
    assert_eq!(
        total(&app, &national.token, json!({ "provinceCode": QUANG_TRI })).await,
        1
    );
}

#[tokio::test]
async fn products_outside_the_area_read_as_null_by_id_and_by_node() {
    let app = spawn_app().await;
    let national = app.national().await;
    let commune = app.commune(BMT).await;
    let province = app.province(DAK_LAK).await;
    let in_bmt = prod(
        &app,
        &national.token,
        &est(&app, &national.token, BMT).await,
        "A",
    )
    .await;
    let in_other = prod(
        &app,
        &national.token,
        &est(&app, &national.token, DAK_LAK_OTHER).await,
        "B",
    )
    .await;
    let in_qt = prod(
        &app,
        &national.token,
        &est(&app, &national.token, TRUONG_PHU).await,
        "C",
    )
    .await;

    let p = get(&app, &commune.token, &in_bmt).await;
    assert_eq!(p["id"], in_bmt.as_str());
    assert_eq!(p["establishment"]["commune"]["code"], BMT);
    assert_eq!(node(&app, &commune.token, &in_bmt).await["name"], "A");
    for outside in [&in_other, &in_qt] {
        assert!(get(&app, &commune.token, outside).await.is_null());
        assert!(node(&app, &commune.token, outside).await.is_null());
    }

    for inside in [&in_bmt, &in_other] {
        assert_eq!(
            get(&app, &province.token, inside).await["id"],
            inside.as_str()
        );
        assert_eq!(
            node(&app, &province.token, inside).await["id"],
            inside.as_str()
        );
    }
    assert!(get(&app, &province.token, &in_qt).await.is_null());
    assert!(node(&app, &province.token, &in_qt).await.is_null());

    // A global id of another type is no product.
    let est_id = est(&app, &national.token, BMT).await;
    assert!(get(&app, &national.token, &est_id).await.is_null());
    assert!(get(&app, &national.token, "garbage").await.is_null());
}

#[tokio::test]
async fn product_lists_leave_out_products_outside_the_area_and_do_not_count_them() {
    let app = spawn_app().await;
    let national = app.national().await;
    let commune = app.commune(BMT).await;
    let province = app.province(DAK_LAK).await;
    let e_bmt = est(&app, &national.token, BMT).await;
    let e_other = est(&app, &national.token, DAK_LAK_OTHER).await;
    let e_qt = est(&app, &national.token, TRUONG_PHU).await;
    let a = prod(&app, &national.token, &e_bmt, "A").await;
    let b = prod(&app, &national.token, &e_bmt, "B").await;
    let c = prod(&app, &national.token, &e_other, "C").await;
    let d = prod(&app, &national.token, &e_qt, "D").await;

    let mine = list(&app, &commune.token, json!({}), None).await;
    assert_eq!(ids_of(&mine), vec![a.clone(), b.clone()]);
    assert_eq!(mine["totalCount"], 2);
    let ours = list(&app, &province.token, json!({}), None).await;
    assert_eq!(ids_of(&ours), vec![a.clone(), b.clone(), c.clone()]);
    assert_eq!(ours["totalCount"], 3);
    let all = list(&app, &national.token, json!({}), None).await;
    assert_eq!(ids_of(&all), vec![a.clone(), b.clone(), c, d]);
    assert_eq!(all["totalCount"], 4);

    for (token, filter) in [
        (&province.token, json!({ "provinceCode": QUANG_TRI })),
        (&province.token, json!({ "establishmentId": e_qt })),
        (&commune.token, json!({ "provinceCode": QUANG_TRI })),
        (&commune.token, json!({ "communeCode": DAK_LAK_OTHER })),
        (&commune.token, json!({ "establishmentId": e_other })),
    ] {
        let page = list(&app, token, filter.clone(), None).await;
        assert_eq!(page["totalCount"], 0, "{filter}");
        assert!(ids_of(&page).is_empty(), "{filter}");
    }
    // The establishment filter inside the area.
    let of_bmt = list(
        &app,
        &commune.token,
        json!({ "establishmentId": e_bmt }),
        None,
    )
    .await;
    assert_eq!(ids_of(&of_bmt), vec![a, b]);
    // An id that is not an establishment's matches nothing.
    assert_eq!(
        total(
            &app,
            &national.token,
            json!({ "establishmentId": "garbage" })
        )
        .await,
        0
    );
}

#[tokio::test]
async fn updating_a_product_outside_the_area_is_not_found_and_changes_nothing() {
    let app = spawn_app().await;
    let national = app.national().await;
    let commune = app.commune(BMT).await;
    let province = app.province(DAK_LAK).await;
    let in_other = prod(
        &app,
        &national.token,
        &est(&app, &national.token, DAK_LAK_OTHER).await,
        "Gốc",
    )
    .await;
    let in_qt = prod(
        &app,
        &national.token,
        &est(&app, &national.token, TRUONG_PHU).await,
        "Gốc",
    )
    .await;

    for (token, id) in [
        (&commune.token, &in_other),
        (&commune.token, &in_qt),
        (&province.token, &in_qt),
    ] {
        let body = update(&app, token, id, 1, json!({ "name": "Đổi" })).await;
        assert_code(&body, "NOT_FOUND");
    }
    for id in [&in_other, &in_qt] {
        let p = get(&app, &national.token, id).await;
        assert_eq!(p["name"], "Gốc");
        assert_eq!(p["version"], 1);
    }
    let body = update(
        &app,
        &national.token,
        "garbage",
        1,
        json!({ "name": "Đổi" }),
    )
    .await;
    assert_code(&body, "NOT_FOUND");
}

#[tokio::test]
async fn a_read_only_user_cannot_create_or_update_products() {
    let app = spawn_app().await;
    let national = app.national().await;
    let e = est(&app, &national.token, BMT).await;
    let p = prod(&app, &national.token, &e, "Gốc").await;
    for reader in [
        app.user(Role::National, None, None, false, true).await,
        app.user(Role::Province, Some(DAK_LAK), None, false, true)
            .await,
        app.user(Role::Commune, None, Some(BMT), false, true).await,
    ] {
        assert_code(
            &create(&app, &reader.token, &e, json!({})).await,
            "FORBIDDEN",
        );
        let body = app
            .gql(
                Some(&reader.token),
                CREATE,
                json!({ "i": { "establishmentId": e, "name": "X" }, "k": "ro-key" }),
            )
            .await;
        assert_code(&body, "FORBIDDEN");
        assert_code(
            &update(&app, &reader.token, &p, 1, json!({ "name": "Đổi" })).await,
            "FORBIDDEN",
        );
        assert_eq!(get(&app, &reader.token, &p).await["name"], "Gốc");
    }
    assert_eq!(total(&app, &national.token, json!({})).await, 1);
    assert_eq!(get(&app, &national.token, &p).await["version"], 1);
}

#[tokio::test]
async fn anonymous_callers_are_unauthenticated_for_products() {
    let app = spawn_app().await;
    let national = app.national().await;
    let e = est(&app, &national.token, BMT).await;
    let p = prod(&app, &national.token, &e, "Gốc").await;
    let queries: [(&str, Value); 5] = [
        ("{ products { totalCount } }", json!({})),
        (GET, json!({ "id": p })),
        (NODE, json!({ "id": p })),
        (
            CREATE,
            json!({ "i": { "establishmentId": e, "name": "X" } }),
        ),
        (UPDATE, json!({ "id": p, "v": 1, "i": { "name": "X" } })),
    ];
    for (query, vars) in queries {
        assert_code(&app.gql(None, query, vars).await, "UNAUTHENTICATED");
    }
    assert_eq!(total(&app, &national.token, json!({})).await, 1);
}

#[tokio::test]
async fn products_move_with_their_establishment() {
    let app = spawn_app().await;
    let province = app.province(DAK_LAK).await;
    let national = app.national().await;
    let bmt_user = app.commune(BMT).await;
    let other_user = app.commune(DAK_LAK_OTHER).await;
    let e = est(&app, &province.token, BMT).await;
    let p1 = prod(&app, &province.token, &e, "Cà phê hạt").await;
    let p2 = prod(&app, &province.token, &e, "Cà phê bột").await;
    assert_eq!(
        ids_of(&list(&app, &province.token, json!({ "communeCode": BMT }), None).await),
        vec![p1.clone(), p2.clone()]
    );

    let body = app
        .gql(
            Some(&province.token),
            MOVE,
            json!({ "id": e, "v": 1, "c": DAK_LAK_OTHER }),
        )
        .await;
    assert_eq!(
        body["data"]["updateEstablishment"]["commune"]["code"], DAK_LAK_OTHER,
        "{body:#}"
    );

    let moved = list(
        &app,
        &province.token,
        json!({ "communeCode": DAK_LAK_OTHER }),
        None,
    )
    .await;
    assert_eq!(ids_of(&moved), vec![p1.clone(), p2.clone()]);
    assert_eq!(moved["totalCount"], 2);
    assert_eq!(
        total(&app, &province.token, json!({ "communeCode": BMT })).await,
        0
    );

    // The old commune loses them, the new one gains them.
    assert!(get(&app, &bmt_user.token, &p1).await.is_null());
    assert_eq!(total(&app, &bmt_user.token, json!({})).await, 0);
    assert_code(
        &update(&app, &bmt_user.token, &p1, 1, json!({ "name": "Đổi" })).await,
        "NOT_FOUND",
    );
    assert_code(
        &create(&app, &bmt_user.token, &e, json!({})).await,
        "NOT_FOUND",
    );
    assert_eq!(
        get(&app, &other_user.token, &p1).await["establishment"]["commune"]["code"],
        DAK_LAK_OTHER
    );
    assert_eq!(total(&app, &other_user.token, json!({})).await, 2);
    let body = update(&app, &other_user.token, &p1, 1, json!({ "name": "Đổi" })).await;
    assert_eq!(body["data"]["updateProduct"]["version"], 2, "{body:#}");

    // Across provinces too.
    let body = app
        .gql(
            Some(&national.token),
            MOVE,
            json!({ "id": e, "v": 2, "c": TRUONG_PHU }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    assert_eq!(
        total(&app, &national.token, json!({ "provinceCode": QUANG_TRI })).await,
        2
    );
    assert_eq!(
        total(&app, &national.token, json!({ "communeCode": TRUONG_PHU })).await,
        2
    );
    assert_eq!(total(&app, &province.token, json!({})).await, 0);
    assert!(get(&app, &province.token, &p2).await.is_null());
}

// ---------------------------------------------------------------------------------------
// Validation, versions, idempotency
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn product_fields_are_validated_by_field() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    let e = est(&app, &user.token, BMT).await;
    for (extra, field) in [
        (json!({ "name": "" }), "name"),
        (json!({ "name": "   " }), "name"),
        (json!({ "name": "ă".repeat(301) }), "name"),
        (json!({ "description": "x".repeat(5001) }), "description"),
        (json!({ "brand": "x".repeat(201) }), "brand"),
    ] {
        let body = create(&app, &user.token, &e, extra).await;
        assert_field(&body, field);
    }
    assert_eq!(total(&app, &user.token, json!({})).await, 0);

    let body = create(
        &app,
        &user.token,
        &e,
        json!({
            "name": "ă".repeat(300),
            "description": "x".repeat(5000),
            "brand": "x".repeat(200),
            "selectionGroup": "PROCESSED_AGRO_FORESTRY_FISHERY_FOOD",
            "ocopGroup": "FOOD",
        }),
    )
    .await;
    let p = &body["data"]["createProduct"];
    assert_eq!(
        p["selectionGroup"], "PROCESSED_AGRO_FORESTRY_FISHERY_FOOD",
        "{body:#}"
    );
    assert_eq!(p["ocopGroup"], "FOOD");
    let id = id_of(p);

    for (changes, field) in [
        (json!({ "name": "" }), "name"),
        (json!({ "name": "ă".repeat(301) }), "name"),
        (json!({ "brand": "x".repeat(201) }), "brand"),
    ] {
        assert_field(&update(&app, &user.token, &id, 1, changes).await, field);
    }
    assert_eq!(get(&app, &user.token, &id).await["version"], 1);
}

#[tokio::test]
async fn an_establishment_id_that_is_not_an_establishment_is_not_found() {
    let app = spawn_app().await;
    let user = app.national().await;
    let e = est(&app, &user.token, BMT).await;
    let p = prod(&app, &user.token, &e, "A").await;
    let missing = ids::encode(EntityKind::Establishment, 999_999).0;
    for bad in [p.as_str(), "garbage", missing.as_str()] {
        assert_code(
            &create(&app, &user.token, bad, json!({})).await,
            "NOT_FOUND",
        );
    }
    assert_eq!(total(&app, &user.token, json!({})).await, 1);
}

#[tokio::test]
async fn updates_keep_omitted_fields_and_clear_null_ones() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    let e = est(&app, &user.token, BMT).await;
    let body = create(
        &app,
        &user.token,
        &e,
        json!({ "description": "Rang xay", "brand": "Ông Bảy", "ocopGroup": "FOOD" }),
    )
    .await;
    let id = id_of(&body["data"]["createProduct"]);

    let body = update(
        &app,
        &user.token,
        &id,
        1,
        json!({ "description": null, "selectionGroup": "OTHER" }),
    )
    .await;
    let p = &body["data"]["updateProduct"];
    assert_eq!(p["version"], 2, "{body:#}");
    assert!(p["description"].is_null());
    assert_eq!(p["brand"], "Ông Bảy");
    assert_eq!(p["ocopGroup"], "FOOD");
    assert_eq!(p["selectionGroup"], "OTHER");
    assert_eq!(p["name"], "Cà phê bột");

    let body = update(&app, &user.token, &id, 2, json!({ "ocopGroup": null })).await;
    assert!(
        body["data"]["updateProduct"]["ocopGroup"].is_null(),
        "{body:#}"
    );
    assert_eq!(body["data"]["updateProduct"]["version"], 3);
}

#[tokio::test]
async fn a_stale_product_version_is_a_conflict_and_changes_nothing() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    let e = est(&app, &user.token, BMT).await;
    let id = prod(&app, &user.token, &e, "Gốc").await;
    let body = update(&app, &user.token, &id, 1, json!({ "name": "Lần một" })).await;
    assert_eq!(body["data"]["updateProduct"]["version"], 2, "{body:#}");
    let audits = audit_count(&app).await;

    for stale in [1, 3] {
        let body = update(&app, &user.token, &id, stale, json!({ "name": "Ghi đè" })).await;
        assert_code(&body, "CONFLICT");
    }
    let p = get(&app, &user.token, &id).await;
    assert_eq!(p["name"], "Lần một");
    assert_eq!(p["version"], 2);
    assert_eq!(
        audit_count(&app).await,
        audits,
        "a failed update is not audited"
    );

    let body = update(&app, &user.token, &id, 2, json!({ "brand": "Mới" })).await;
    assert_eq!(body["data"]["updateProduct"]["version"], 3, "{body:#}");
}

#[tokio::test]
async fn the_same_idempotency_key_creates_one_product_per_user() {
    let app = spawn_app().await;
    let one = app.commune(BMT).await;
    let two = app.province(DAK_LAK).await;
    let e = est(&app, &one.token, BMT).await;
    let vars = json!({ "i": { "establishmentId": e, "name": "Cà phê" }, "k": "mobile-1" });

    let first = app.ok(Some(&one.token), CREATE, vars.clone()).await;
    let again = app.ok(Some(&one.token), CREATE, vars.clone()).await;
    assert_eq!(first["createProduct"]["id"], again["createProduct"]["id"]);
    assert_eq!(total(&app, &one.token, json!({})).await, 1);

    // Another user's key of the same text is another key.
    let other = app.ok(Some(&two.token), CREATE, vars).await;
    assert_ne!(other["createProduct"]["id"], first["createProduct"]["id"]);
    assert_eq!(total(&app, &one.token, json!({})).await, 2);

    // No key: every call creates.
    let plain = json!({ "i": { "establishmentId": e, "name": "Cà phê" } });
    app.ok(Some(&one.token), CREATE, plain.clone()).await;
    app.ok(Some(&one.token), CREATE, plain).await;
    assert_eq!(total(&app, &one.token, json!({})).await, 4);
}

#[tokio::test]
async fn a_closed_establishment_takes_no_products_until_it_reopens() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    let e = est(&app, &user.token, BMT).await;
    let body = app
        .set_establishment_status(&user.token, &e, 1, "CLOSED", Some("Giải thể"))
        .await;
    assert_eq!(
        body["data"]["setEstablishmentStatus"]["status"], "CLOSED",
        "{body:#}"
    );
    assert_field(
        &create(&app, &user.token, &e, json!({})).await,
        "establishmentId",
    );
    assert_eq!(total(&app, &user.token, json!({})).await, 0);

    let body = app
        .set_establishment_status(&user.token, &e, 2, "ACTIVE", Some("Hoạt động lại"))
        .await;
    assert_eq!(
        body["data"]["setEstablishmentStatus"]["status"], "ACTIVE",
        "{body:#}"
    );
    let body = create(&app, &user.token, &e, json!({})).await;
    assert!(body.get("errors").is_none(), "{body:#}");
}

// ---------------------------------------------------------------------------------------
// Search and paging
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn product_search_ignores_case_and_diacritics_and_treats_percent_literally() {
    let app = spawn_app().await;
    let user = app.province(DAK_LAK).await;
    let e = est(&app, &user.token, BMT).await;
    let coffee = id_of(
        &create(
            &app,
            &user.token,
            &e,
            json!({
                "name": "Cà phê bột Buôn Ma Thuột",
                "brand": "Ông Bảy",
                "description": "Rang mộc 100% Robusta",
            }),
        )
        .await["data"]["createProduct"],
    );
    prod(&app, &user.token, &e, "Mật ong hoa cà phê 1000 ml").await;

    for term in [
        "buon ma thuot",
        "BUÔN MA THUỘT",
        "ong bay",
        "Ông Bảy",
        "robusta",
        "100%",
    ] {
        let page = list(&app, &user.token, json!({ "search": term }), None).await;
        assert_eq!(ids_of(&page), vec![coffee.clone()], "{term:?}");
        assert_eq!(page["totalCount"], 1, "{term:?}");
    }
    let both = list(&app, &user.token, json!({ "search": "ca phe" }), None).await;
    assert_eq!(both["totalCount"], 2);
    for term in ["tra xanh", "1%0", "_"] {
        assert_eq!(
            total(&app, &user.token, json!({ "search": term })).await,
            0,
            "{term:?}"
        );
    }
}

#[tokio::test]
async fn paging_through_products_visits_each_once_and_checks_its_arguments() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    let e = est(&app, &user.token, BMT).await;
    let mut made = Vec::new();
    for i in 0..7 {
        made.push(prod(&app, &user.token, &e, &format!("Sản phẩm {i}")).await);
    }
    let pages = all_pages(async |after| {
        let vars = json!({ "first": 3, "after": after });
        app.ok(Some(&user.token), LIST, vars).await["products"].clone()
    })
    .await;
    let mut seen = Vec::new();
    for page in &pages {
        assert_eq!(page["totalCount"], 7);
        seen.extend(ids_of(page));
    }
    assert_eq!(seen, made);

    assert_field(
        &app.gql(Some(&user.token), LIST, json!({ "first": 101 }))
            .await,
        "first",
    );
    assert_field(
        &app.gql(Some(&user.token), LIST, json!({ "after": "nonsense!" }))
            .await,
        "after",
    );
    let page = list(&app, &user.token, json!({}), Some(0)).await;
    assert!(ids_of(&page).is_empty());
    assert_eq!(page["totalCount"], 7);
}

#[tokio::test]
async fn with_updated_since_products_run_oldest_change_first() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    let e = est(&app, &user.token, BMT).await;
    let mut made = Vec::new();
    for i in 0..4 {
        made.push(prod(&app, &user.token, &e, &format!("Sản phẩm {i}")).await);
    }
    let since = app
        .ok(
            Some(&user.token),
            "query($id: ID!) { product(id: $id) { createdAt } }",
            json!({ "id": made[0] }),
        )
        .await["product"]["createdAt"]
        .clone();
    let body = update(&app, &user.token, &made[0], 1, json!({ "name": "Đổi tên" })).await;
    assert!(body.get("errors").is_none(), "{body:#}");

    let pages = all_pages(async |after| {
        let vars = json!({ "f": { "updatedSince": since }, "first": 3, "after": after });
        app.ok(Some(&user.token), LIST, vars).await["products"].clone()
    })
    .await;
    let mut seen = Vec::new();
    for page in &pages {
        assert_eq!(page["totalCount"], 4);
        seen.extend(ids_of(page));
    }
    let expected: Vec<String> = [1, 2, 3, 0].iter().map(|&i| made[i].clone()).collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn an_establishments_products_page_with_cursors_inside_the_establishment() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    let e = est(&app, &user.token, BMT).await;
    let other = est(&app, &user.token, BMT).await;
    let mut made = Vec::new();
    for i in 0..5 {
        made.push(prod(&app, &user.token, &e, &format!("Sản phẩm {i}")).await);
    }
    prod(&app, &user.token, &other, "Của cơ sở khác").await;

    let query = "query($id: ID!, $after: String, $first: Int) { establishment(id: $id) { \
        products(first: $first, after: $after) { totalCount nodes { id establishment { id } } \
        pageInfo { hasNextPage endCursor } } } }";
    let pages = all_pages(async |after| {
        let vars = json!({ "id": e, "after": after, "first": 2 });
        app.ok(Some(&user.token), query, vars).await["establishment"]["products"].clone()
    })
    .await;
    let mut seen = Vec::new();
    for page in &pages {
        assert_eq!(page["totalCount"], 5);
        for n in page["nodes"].as_array().expect("nodes") {
            assert_eq!(n["establishment"]["id"], e.as_str());
        }
        seen.extend(ids_of(page));
    }
    assert_eq!(seen, made);

    assert_field(
        &app.gql(Some(&user.token), query, json!({ "id": e, "first": 101 }))
            .await,
        "first",
    );
    assert_field(
        &app.gql(
            Some(&user.token),
            query,
            json!({ "id": e, "after": "garbage!" }),
        )
        .await,
        "after",
    );
}

// ---------------------------------------------------------------------------------------
// Audit trail
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn product_creation_and_updates_are_audited_with_before_and_after() {
    let app = spawn_app().await;
    let user = app.province(DAK_LAK).await;
    let e = est(&app, &user.token, DAK_LAK_OTHER).await;
    let id = prod(&app, &user.token, &e, "Gốc").await;
    let body = update(&app, &user.token, &id, 1, json!({ "name": "Đã đổi" })).await;
    assert!(body.get("errors").is_none(), "{body:#}");

    let rows = audit_event::Entity::find()
        .filter(audit_event::Column::EntityType.eq("Product"))
        .filter(audit_event::Column::EntityId.eq(row_id(&id)))
        .order_by_asc(audit_event::Column::Id)
        .all(&app.state.db)
        .await
        .expect("audit rows");
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["create", "update"]);
    for r in &rows {
        assert_eq!(r.actor_id, Some(row_id(&user.id)));
        assert_eq!(r.actor_role, Some(Role::Province));
        assert_eq!(r.province_code.as_deref(), Some(DAK_LAK));
        assert_eq!(r.commune_code.as_deref(), Some(DAK_LAK_OTHER));
    }
    let created: Value = serde_json::from_str(&rows[0].changes).expect("JSON");
    assert_eq!(created["name"], json!({ "before": null, "after": "Gốc" }));
    assert_eq!(created["establishment_id"]["after"], row_id(&e));
    let updated: Value = serde_json::from_str(&rows[1].changes).expect("JSON");
    assert_eq!(
        updated,
        json!({ "name": { "before": "Gốc", "after": "Đã đổi" } })
    );
}

#[tokio::test]
async fn failed_product_mutations_write_no_audit_event() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    let national = app.national().await;
    let e = est(&app, &user.token, BMT).await;
    let outside = est(&app, &national.token, TRUONG_PHU).await;
    let id = prod(&app, &user.token, &e, "Gốc").await;
    let before = audit_count(&app).await;

    assert_code(
        &update(&app, &user.token, &id, 9, json!({ "name": "X" })).await,
        "CONFLICT",
    );
    assert_field(
        &update(&app, &user.token, &id, 1, json!({ "name": "" })).await,
        "name",
    );
    assert_code(
        &create(&app, &user.token, &outside, json!({})).await,
        "NOT_FOUND",
    );
    assert_field(
        &create(&app, &user.token, &e, json!({ "brand": "b".repeat(201) })).await,
        "brand",
    );
    assert_eq!(audit_count(&app).await, before);
}
