//! Funding sources created by the level that owns them, and projects created and seen
//! inside the caller's area only.

use super::*;

// ---------------------------------------------------------------------------------------------
// Funding sources

#[tokio::test]
async fn funding_sources_are_created_by_the_level_that_owns_them() {
    let app = spawn_app().await;
    let national = app.national().await;
    let province = app.province(DAK_LAK).await;
    let commune = app.commune(BMT).await;
    let read_only = app
        .user(Role::Province, Some(DAK_LAK), None, false, true)
        .await;

    // NATIONAL: national users only, and no province.
    let body = create_source_raw(
        &app,
        &national.token,
        source_input("NATIONAL", None, YEAR, 1_000),
    )
    .await;
    assert_ok(&body, "national creates NATIONAL");
    let s = &body["data"]["createFundingSource"];
    assert_eq!(s["level"], "NATIONAL");
    assert!(s["province"].is_null(), "{s:#}");
    assert_eq!(vnd(&s["amountVnd"]), 1_000);
    assert_eq!(vnd(&s["allocatedVnd"]), 0);
    assert_eq!(vnd(&s["remainingVnd"]), 1_000);
    let body = create_source_raw(
        &app,
        &province.token,
        source_input("NATIONAL", None, YEAR, 1_000),
    )
    .await;
    expect_code(&body, "FORBIDDEN", "province creates NATIONAL");

    // LOCAL: the province's own users, for their own province.
    let body = create_source_raw(
        &app,
        &province.token,
        source_input("LOCAL", None, YEAR, 1_000),
    )
    .await;
    assert_ok(&body, "province creates LOCAL");
    assert_eq!(
        body["data"]["createFundingSource"]["province"]["code"],
        DAK_LAK
    );
    let body = create_source_raw(
        &app,
        &province.token,
        source_input("LOCAL", Some(DAK_LAK), YEAR, 1_000),
    )
    .await;
    assert_ok(&body, "province creates LOCAL naming its province");
    let body = create_source_raw(
        &app,
        &province.token,
        source_input("LOCAL", Some(QUANG_TRI), YEAR, 1_000),
    )
    .await;
    expect_code(
        &body,
        "FORBIDDEN",
        "province creates LOCAL of another province",
    );
    let body = create_source_raw(
        &app,
        &national.token,
        source_input("LOCAL", Some(DAK_LAK), YEAR, 1_000),
    )
    .await;
    expect_code(&body, "FORBIDDEN", "national creates LOCAL");

    // OTHER: either.
    let body = create_source_raw(
        &app,
        &national.token,
        source_input("OTHER", None, YEAR, 1_000),
    )
    .await;
    assert_ok(&body, "national creates OTHER");
    let body = create_source_raw(
        &app,
        &province.token,
        source_input("OTHER", None, YEAR, 1_000),
    )
    .await;
    assert_ok(&body, "province creates OTHER");
    assert_eq!(
        body["data"]["createFundingSource"]["province"]["code"], DAK_LAK,
        "a province's other source is its own"
    );

    // Commune users and read-only accounts create none.
    for (level, province_code) in [
        ("NATIONAL", None),
        ("LOCAL", Some(DAK_LAK)),
        ("OTHER", Some(DAK_LAK)),
    ] {
        let body = create_source_raw(
            &app,
            &commune.token,
            source_input(level, province_code, YEAR, 1_000),
        )
        .await;
        expect_code(&body, "FORBIDDEN", &format!("commune creates {level}"));
    }
    let body = create_source_raw(
        &app,
        &read_only.token,
        source_input("LOCAL", None, YEAR, 1_000),
    )
    .await;
    expect_code(&body, "FORBIDDEN", "read-only creates LOCAL");
}

#[tokio::test]
async fn a_funding_source_amount_cannot_fall_below_what_is_allocated() {
    let w = World::new().await;
    let src = new_source(&w.app, &w.province.token, "LOCAL", None, YEAR, 100_000_000).await;
    let (p, _) = w.funded_from("LOCAL", &src).await;
    assert!(!p.is_empty());
    let s = w.source(&src).await;
    assert_eq!(vnd(&s["allocatedVnd"]), SUPPORT);
    let v = s["version"].as_i64().expect("version");

    let lower = |amount: i64, version: i64| {
        let app = &w.app;
        let token = w.province.token.clone();
        let id = src.clone();
        async move {
            app.gql(
                Some(&token),
                UPDATE_SOURCE,
                json!({ "id": id, "v": version, "i": { "amountVnd": amount } }),
            )
            .await
        }
    };
    assert_field(&lower(SUPPORT - 1, v).await, "amountVnd");
    assert_eq!(vnd(&w.source(&src).await["amountVnd"]), 100_000_000);

    // Raising it is fine; a stale version is a conflict; exactly the allocated amount is fine.
    let body = lower(150_000_000, v).await;
    assert_ok(&body, "raise");
    assert_eq!(
        vnd(&body["data"]["updateFundingSource"]["remainingVnd"]),
        50_000_000
    );
    assert_code(&lower(SUPPORT, v).await, "CONFLICT");
    let body = lower(SUPPORT, v + 1).await;
    assert_ok(&body, "lower to exactly what is allocated");
    assert_eq!(vnd(&body["data"]["updateFundingSource"]["remainingVnd"]), 0);

    // Only the owning level changes it; another province does not even see it.
    let v = w.source(&src).await["version"].as_i64().expect("version");
    let body = w
        .app
        .gql(
            Some(&w.national.token),
            UPDATE_SOURCE,
            json!({ "id": src, "v": v, "i": { "name": "Đổi tên" } }),
        )
        .await;
    expect_code(&body, "FORBIDDEN", "national changes a LOCAL source");
    let body = w
        .app
        .gql(
            Some(&w.other.token),
            UPDATE_SOURCE,
            json!({ "id": src, "v": v, "i": { "name": "Đổi tên" } }),
        )
        .await;
    expect_code(
        &body,
        "NOT_FOUND",
        "another province changes a LOCAL source",
    );
    assert!(source(&w.app, &w.other.token, &src).await.is_null());
    let v = w.source(&w.national_source).await["version"]
        .as_i64()
        .expect("version");
    let body = w
        .app
        .gql(
            Some(&w.province.token),
            UPDATE_SOURCE,
            json!({ "id": w.national_source, "v": v, "i": { "name": "Đổi tên" } }),
        )
        .await;
    expect_code(&body, "FORBIDDEN", "province changes a NATIONAL source");
}

// ---------------------------------------------------------------------------------------------
// Creation and scope

#[tokio::test]
async fn authority_create_project() {
    let w = World::new().await;
    for level in LEVELS {
        for (who, exp) in WHO.into_iter().zip([Y, Y, F, F]) {
            let body = create_project_raw(
                &w.app,
                &w.user(who).token,
                project_input(level, DAK_LAK, json!({})),
                None,
            )
            .await;
            expect(
                &body,
                exp,
                &format!("{who:?} creates a {level} project in Đắk Lắk"),
            );
            if exp == Y {
                let p = &body["data"]["createProject"];
                assert_eq!(p["status"], "DRAFT");
                assert_eq!(p["programLevel"], level);
                assert_eq!(p["province"]["code"], DAK_LAK);
                assert_eq!(p["version"], 1);
                assert_eq!(vnd(&p["supportVnd"]), 0);
                let code = p["code"].as_str().expect("code");
                assert!(code.contains("66-2025"), "readable code: {code}");
                if who == Who::Commune {
                    assert_eq!(p["commune"]["code"], BMT, "a commune proposes for itself");
                }
            }
        }
    }
    // A province user proposes for any commune of its province.
    let body = create_project_raw(
        &w.app,
        &w.province.token,
        project_input("LOCAL", DAK_LAK, json!({ "communeCode": DAK_LAK_OTHER })),
        None,
    )
    .await;
    assert_ok(&body, "province proposes for one of its communes");
    assert_eq!(
        body["data"]["createProject"]["commune"]["code"],
        DAK_LAK_OTHER
    );
}

#[tokio::test]
async fn a_commune_cannot_create_a_project_outside_its_commune() {
    let w = World::new().await;
    let body = create_project_raw(
        &w.app,
        &w.commune.token,
        project_input("LOCAL", DAK_LAK, json!({ "communeCode": DAK_LAK_OTHER })),
        None,
    )
    .await;
    expect_code(&body, "FORBIDDEN", "commune proposes for another commune");
    let body = create_project_raw(
        &w.app,
        &w.commune.token,
        project_input("LOCAL", QUANG_TRI, json!({})),
        None,
    )
    .await;
    expect_code(&body, "FORBIDDEN", "commune proposes in another province");
    let body = create_project_raw(
        &w.app,
        &w.province.token,
        project_input("LOCAL", QUANG_TRI, json!({ "communeCode": TRUONG_PHU })),
        None,
    )
    .await;
    expect_code(&body, "FORBIDDEN", "province proposes in another province");
    let total = w
        .app
        .ok(Some(&w.national.token), LIST, json!({ "f": {} }))
        .await["projects"]["totalCount"]
        .as_i64()
        .expect("totalCount");
    assert_eq!(total, 0, "nothing was created");
}

#[tokio::test]
async fn projects_outside_the_area_do_not_exist_for_the_caller() {
    let w = World::new().await;
    let neighbour = w.app.commune(DAK_LAK_OTHER).await;
    let (p, a) = w.funded("LOCAL").await;
    // A province project without a commune: not a commune user's.
    let provincial = new_project(
        &w.app,
        &w.province.token,
        project_input("LOCAL", DAK_LAK, json!({})),
    )
    .await;

    for (user, sees) in [
        (&w.national, true),
        (&w.province, true),
        (&w.commune, true),
        (&w.other, false),
        (&neighbour, false),
    ] {
        let got = get_project(&w.app, &user.token, &p).await;
        assert_eq!(!got.is_null(), sees, "{}: {got:#}", user.username);
        let list = w.app.ok(Some(&user.token), LIST, json!({ "f": {} })).await;
        let listed = list["projects"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .any(|n| n["id"] == p.as_str());
        assert_eq!(listed, sees, "{}: {list:#}", user.username);
    }
    assert!(
        get_project(&w.app, &w.commune.token, &provincial)
            .await
            .is_null()
    );

    // Mutations on them: NOT_FOUND.
    let v = w.version(&p).await;
    for user in [&w.other, &neighbour] {
        let what = &user.username;
        expect_code(
            &transition_raw(&w.app, &user.token, &p, v, "SUBMIT", None, None).await,
            "NOT_FOUND",
            what,
        );
        expect_code(
            &update_raw(&w.app, &user.token, &p, v, json!({ "title": "x" })).await,
            "NOT_FOUND",
            what,
        );
        expect_code(
            &release_raw(&w.app, &user.token, &a).await,
            "NOT_FOUND",
            what,
        );
    }
    let pv = w.version(&provincial).await;
    expect_code(
        &transition_raw(
            &w.app,
            &w.commune.token,
            &provincial,
            pv,
            "SUBMIT",
            None,
            None,
        )
        .await,
        "NOT_FOUND",
        "commune on a province project",
    );
    assert_eq!(w.version(&p).await, v, "nothing changed");
}
