//! Who creates and advances a round at each level; read-only users; stale versions.

use super::*;

// ---------------------------------------------------------------------------------------------
// Organisers

#[tokio::test]
async fn a_commune_round_is_created_and_advanced_by_users_of_that_commune_only() {
    let app = spawn_app().await;
    let organiser = app.commune(BMT).await;

    // The commune defaults to the caller's own.
    let r = new_round(&app, &organiser.token, "COMMUNE", 2026, json!({})).await;
    assert_eq!(r["level"], "COMMUNE");
    assert_eq!(r["commune"]["code"], BMT);
    assert_eq!(r["province"]["code"], DAK_LAK);
    assert_eq!(r["status"], "OPEN");
    assert_eq!(r["version"], 1);
    let id = id_of(&r);

    // Another commune, a province user, a national user may not organise it.
    let body = create_round(
        &app,
        &organiser.token,
        "COMMUNE",
        2026,
        json!({ "communeCode": DAK_LAK_OTHER }),
    )
    .await;
    assert_code(&body, "FORBIDDEN");
    for other in [app.province(DAK_LAK).await, app.national().await] {
        let body = create_round(
            &app,
            &other.token,
            "COMMUNE",
            2026,
            json!({ "communeCode": BMT }),
        )
        .await;
        assert_code(&body, "FORBIDDEN");
    }

    // Advancing: the province and national users see it but do not organise it; another
    // commune does not even see it.
    for other in [app.province(DAK_LAK).await, app.national().await] {
        assert_code(
            &advance(&app, &other.token, &id, 1, None).await,
            "FORBIDDEN",
        );
    }
    let stranger = app.commune(DAK_LAK_OTHER).await;
    assert_code(
        &advance(&app, &stranger.token, &id, 1, None).await,
        "NOT_FOUND",
    );
    assert_eq!(
        version_of(&app, &organiser.token, &id).await,
        1,
        "nothing changed"
    );

    // Any user of the commune may advance it.
    let colleague = app.commune(BMT).await;
    let r = advanced(&app, &colleague.token, &id, None).await;
    assert_eq!(r["status"], "SCORING");
    assert_eq!(r["version"], 2);
}

#[tokio::test]
async fn a_provincial_round_is_created_and_advanced_by_users_of_that_province_only() {
    let app = spawn_app().await;
    let organiser = app.province(DAK_LAK).await;

    let r = new_round(&app, &organiser.token, "PROVINCIAL", 2026, json!({})).await;
    assert_eq!(r["level"], "PROVINCIAL");
    assert_eq!(r["province"]["code"], DAK_LAK);
    assert!(r["commune"].is_null(), "{r:#}");
    assert_eq!(r["status"], "OPEN");
    let id = id_of(&r);

    for other in [
        app.province(QUANG_TRI).await,
        app.commune(BMT).await,
        app.national().await,
    ] {
        let body = create_round(
            &app,
            &other.token,
            "PROVINCIAL",
            2026,
            json!({ "provinceCode": DAK_LAK }),
        )
        .await;
        assert_code(&body, "FORBIDDEN");
    }

    // A commune of the province and a national user see the round but may not advance it.
    for other in [app.commune(BMT).await, app.national().await] {
        assert_code(
            &advance(&app, &other.token, &id, 1, None).await,
            "FORBIDDEN",
        );
    }
    // Another province does not see it.
    let stranger = app.province(QUANG_TRI).await;
    assert_code(
        &advance(&app, &stranger.token, &id, 1, None).await,
        "NOT_FOUND",
    );
    assert_eq!(
        version_of(&app, &organiser.token, &id).await,
        1,
        "nothing changed"
    );

    let colleague = app.province(DAK_LAK).await;
    let r = advanced(&app, &colleague.token, &id, None).await;
    assert_eq!(r["status"], "SCORING");
    assert_eq!(r["version"], 2);
}

#[tokio::test]
async fn regional_and_national_rounds_are_created_and_advanced_by_national_users() {
    let app = spawn_app().await;
    let national = app.national().await;

    let regional = new_round(
        &app,
        &national.token,
        "REGIONAL",
        2026,
        json!({ "region": "CENTRAL_HIGHLANDS" }),
    )
    .await;
    assert_eq!(regional["level"], "REGIONAL");
    assert_eq!(regional["region"], "CENTRAL_HIGHLANDS");
    let national_round = new_round(&app, &national.token, "NATIONAL", 2026, json!({})).await;
    assert_eq!(national_round["level"], "NATIONAL");

    // A regional round needs its region.
    let body = create_round(&app, &national.token, "REGIONAL", 2026, json!({})).await;
    assert_field(&body, "region");

    for other in [app.province(DAK_LAK).await, app.commune(BMT).await] {
        let body = create_round(
            &app,
            &other.token,
            "REGIONAL",
            2026,
            json!({ "region": "CENTRAL_HIGHLANDS" }),
        )
        .await;
        assert_code(&body, "FORBIDDEN");
        let body = create_round(&app, &other.token, "NATIONAL", 2026, json!({})).await;
        assert_code(&body, "FORBIDDEN");
        for r in [&regional, &national_round] {
            // Visible to everyone, advanced by national users only.
            assert_code(
                &advance(&app, &other.token, &id_of(r), 1, None).await,
                "FORBIDDEN",
            );
        }
    }

    let colleague = app.national().await;
    for r in [&regional, &national_round] {
        let a = advanced(&app, &colleague.token, &id_of(r), None).await;
        assert_eq!(a["status"], "SCORING");
        assert_eq!(a["version"], 2);
    }
}

#[tokio::test]
async fn read_only_users_may_not_organise_nominate_or_judge() {
    let app = spawn_app().await;
    let organiser = app.province(DAK_LAK).await;
    let product = fresh_product(&app, BMT, "Cà phê Buôn Ma Thuột").await;
    let round = id_of(&new_round(&app, &organiser.token, "PROVINCIAL", 2026, json!({})).await);

    let ro_national = app.user(Role::National, None, None, false, true).await;
    let ro_province = app
        .user(Role::Province, Some(DAK_LAK), None, true, true)
        .await;

    let body = create_round(
        &app,
        &ro_national.token,
        "REGIONAL",
        2026,
        json!({ "region": "CENTRAL_HIGHLANDS" }),
    )
    .await;
    assert_code(&body, "FORBIDDEN");
    let body = create_round(&app, &ro_province.token, "PROVINCIAL", 2026, json!({})).await;
    assert_code(&body, "FORBIDDEN");
    assert_code(
        &nominate(&app, &ro_province.token, &round, &product).await,
        "FORBIDDEN",
    );
    assert_code(
        &advance(&app, &ro_province.token, &round, 1, None).await,
        "FORBIDDEN",
    );

    let n = nominated(&app, &organiser.token, &round, &product).await;
    advanced(&app, &organiser.token, &round, None).await;
    assert_code(
        &score(&app, &ro_province.token, &n, scores(80)).await,
        "FORBIDDEN",
    );
    let r = get_round(&app, &organiser.token, &round).await;
    assert_eq!(
        nomination_in(&r, &n)["scorecards"].as_array().map(Vec::len),
        Some(0)
    );
}

#[tokio::test]
async fn a_stale_expected_version_is_a_conflict_and_changes_nothing() {
    let app = spawn_app().await;
    let organiser = app.province(DAK_LAK).await;
    let id = id_of(&new_round(&app, &organiser.token, "PROVINCIAL", 2026, json!({})).await);

    assert_ok(
        &advance(&app, &organiser.token, &id, 1, None).await,
        "request",
    );
    let body = advance(&app, &organiser.token, &id, 1, None).await;
    assert_code(&body, "CONFLICT");
    let r = get_round(&app, &organiser.token, &id).await;
    assert_eq!(r["status"], "SCORING");
    assert_eq!(r["version"], 2);
}
