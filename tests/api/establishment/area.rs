//! The area matrix (README "Roles and areas"): who creates, reads, lists, updates and moves
//! establishments inside and outside their area; read-only and anonymous callers.

use super::*;

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
