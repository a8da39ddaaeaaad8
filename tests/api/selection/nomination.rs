//! Who nominates to a round at each level, once and while it is open, and the entry rules
//! across levels (valid, missing, expired and out-of-region recognitions).

use super::*;

// ---------------------------------------------------------------------------------------------
// Nominators

#[tokio::test]
async fn nominations_to_a_commune_round_come_from_the_products_commune_or_province() {
    let app = spawn_app().await;
    let organiser = app.commune(BMT).await;
    let round = id_of(&new_round(&app, &organiser.token, "COMMUNE", 2026, json!({})).await);
    let a = fresh_product(&app, BMT, "Cà phê rang xay").await;
    let b = fresh_product(&app, BMT, "Mật ong hoa cà phê").await;
    let c = fresh_product(&app, BMT, "Hạt điều rang muối").await;

    // A commune user of the product's commune, a province user of its province.
    let body = nominate(&app, &app.commune(BMT).await.token, &round, &a).await;
    assert_ok(&body, "request");
    let n = &body["data"]["nominateProduct"];
    assert_eq!(n["result"], "PENDING");
    assert_eq!(n["group"], "PROCESSED_AGRO_FORESTRY_FISHERY_FOOD");
    assert_eq!(n["product"]["id"], a.as_str());
    assert_eq!(n["round"]["id"], round.as_str());
    assert!(n["finalScore"].is_null() && n["certificateNumber"].is_null());
    nominated(&app, &app.province(DAK_LAK).await.token, &round, &b).await;

    // National users do not nominate to a commune round.
    let body = nominate(&app, &app.national().await.token, &round, &c).await;
    assert_code(&body, "FORBIDDEN");
    // Another commune and another province do not see the round.
    for stranger in [
        app.commune(DAK_LAK_OTHER).await,
        app.province(QUANG_TRI).await,
    ] {
        assert_code(
            &nominate(&app, &stranger.token, &round, &c).await,
            "NOT_FOUND",
        );
    }

    // The product's establishment must be in the round's commune.
    let elsewhere = fresh_product(&app, DAK_LAK_OTHER, "Tiêu Đắk Lắk").await;
    let body = nominate(&app, &app.province(DAK_LAK).await.token, &round, &elsewhere).await;
    assert_field(&body, "productId");

    let r = get_round(&app, &organiser.token, &round).await;
    assert_eq!(r["nominations"]["totalCount"], 2, "{r:#}");
}

#[tokio::test]
async fn nominations_to_a_provincial_round_come_from_the_products_commune_or_province() {
    let app = spawn_app().await;
    let organiser = app.province(DAK_LAK).await;
    let round = id_of(&new_round(&app, &organiser.token, "PROVINCIAL", 2026, json!({})).await);
    let a = fresh_product(&app, BMT, "Cà phê rang xay").await;
    let b = fresh_product(&app, DAK_LAK_OTHER, "Tiêu đen").await;
    let c = fresh_product(&app, BMT, "Bơ sáp").await;

    nominated(&app, &app.commune(BMT).await.token, &round, &a).await;
    nominated(&app, &app.province(DAK_LAK).await.token, &round, &b).await;

    // National users do not nominate to a provincial round.
    assert_code(
        &nominate(&app, &app.national().await.token, &round, &c).await,
        "FORBIDDEN",
    );
    // A commune of the province that is not the product's commune: the product is not in its
    // area.
    assert_code(
        &nominate(&app, &app.commune(DAK_LAK_OTHER).await.token, &round, &c).await,
        "NOT_FOUND",
    );
    // Another province does not see the round.
    let quang_tri = fresh_product(&app, TRUONG_PHU, "Nón lá").await;
    assert_code(
        &nominate(
            &app,
            &app.province(QUANG_TRI).await.token,
            &round,
            &quang_tri,
        )
        .await,
        "NOT_FOUND",
    );
    assert_code(
        &nominate(
            &app,
            &app.commune(TRUONG_PHU).await.token,
            &round,
            &quang_tri,
        )
        .await,
        "NOT_FOUND",
    );

    let r = get_round(&app, &organiser.token, &round).await;
    assert_eq!(r["nominations"]["totalCount"], 2, "{r:#}");
}

#[tokio::test]
async fn nominations_to_a_regional_round_come_from_the_products_province_or_national_users() {
    let app = spawn_app().await;
    let national = app.national().await;
    let a = fresh_product(&app, BMT, "Cà phê rang xay").await;
    let b = fresh_product(&app, BMT, "Hạt điều").await;
    let c = fresh_product(&app, DAK_LAK_OTHER, "Tiêu đen").await;
    for p in [&a, &b, &c] {
        recognise_provincially(&app, p, today().year(), None).await;
    }
    let round = regional_round(&app, &national).await;

    nominated(&app, &app.province(DAK_LAK).await.token, &round, &a).await;
    nominated(&app, &app.national().await.token, &round, &b).await;

    // A commune user (even of the product's commune) does not nominate to a regional round.
    assert_code(
        &nominate(&app, &app.commune(DAK_LAK_OTHER).await.token, &round, &c).await,
        "FORBIDDEN",
    );
    // A province of the same region but not the product's: the product is not in its area.
    assert_code(
        &nominate(&app, &app.province(QUANG_TRI).await.token, &round, &c).await,
        "NOT_FOUND",
    );

    let r = get_round(&app, &national.token, &round).await;
    assert_eq!(r["nominations"]["totalCount"], 2, "{r:#}");
}

#[tokio::test]
async fn nominations_to_a_national_round_are_made_by_national_users_only() {
    let app = spawn_app().await;
    let national = app.national().await;
    let a = fresh_product(&app, BMT, "Cà phê rang xay").await;
    let b = fresh_product(&app, BMT, "Hạt điều").await;
    for p in [&a, &b] {
        recognise_provincially(&app, p, today().year(), None).await;
        recognise_regionally(&app, p).await;
    }
    let round = id_of(&new_round(&app, &national.token, "NATIONAL", 2026, json!({})).await);

    for other in [app.province(DAK_LAK).await, app.commune(BMT).await] {
        assert_code(&nominate(&app, &other.token, &round, &b).await, "FORBIDDEN");
    }
    nominated(&app, &app.national().await.token, &round, &a).await;
    nominated(&app, &national.token, &round, &b).await;
    let r = get_round(&app, &national.token, &round).await;
    assert_eq!(r["nominations"]["totalCount"], 2, "{r:#}");
}

#[tokio::test]
async fn a_product_enters_a_round_once() {
    let app = spawn_app().await;
    let organiser = app.province(DAK_LAK).await;
    let round = id_of(&new_round(&app, &organiser.token, "PROVINCIAL", 2026, json!({})).await);
    let other_round =
        id_of(&new_round(&app, &organiser.token, "PROVINCIAL", 2026, json!({})).await);
    let product = fresh_product(&app, BMT, "Cà phê rang xay").await;

    nominated(&app, &organiser.token, &round, &product).await;
    let body = nominate(&app, &app.commune(BMT).await.token, &round, &product).await;
    assert_code(&body, "CONFLICT");
    let body = nominate(&app, &organiser.token, &round, &product).await;
    assert_code(&body, "CONFLICT");
    let r = get_round(&app, &organiser.token, &round).await;
    assert_eq!(r["nominations"]["totalCount"], 1);

    // Another round takes it.
    nominated(&app, &organiser.token, &other_round, &product).await;
}

#[tokio::test]
async fn nominations_are_taken_only_while_the_round_is_open() {
    let app = spawn_app().await;
    let organiser = app.province(DAK_LAK).await;
    let round = id_of(&new_round(&app, &organiser.token, "PROVINCIAL", 2026, json!({})).await);
    let early = fresh_product(&app, BMT, "Cà phê rang xay").await;
    let late = fresh_product(&app, BMT, "Hạt điều").await;
    nominated(&app, &organiser.token, &round, &early).await;
    advanced(&app, &organiser.token, &round, None).await;

    let body = nominate(&app, &organiser.token, &round, &late).await;
    assert_code(&body, "INVALID_TRANSITION");
    let r = get_round(&app, &organiser.token, &round).await;
    assert_eq!(r["nominations"]["totalCount"], 1);
}

// ---------------------------------------------------------------------------------------------
// Entry rules across levels

#[tokio::test]
async fn a_regional_round_takes_only_products_with_a_valid_provincial_recognition() {
    let app = spawn_app().await;
    let national = app.national().await;
    let year = today().year();
    let product = fresh_product(&app, BMT, "Cà phê rang xay").await;
    let round = regional_round(&app, &national).await;

    // No recognition at all.
    assert_code(
        &nominate(&app, &national.token, &round, &product).await,
        "NOT_ELIGIBLE",
    );

    // A provincial nomination that was not recognised (mean 60).
    let organiser = app.province(DAK_LAK).await;
    run_round(
        &app,
        &organiser,
        Area::Province(DAK_LAK),
        "PROVINCIAL",
        year,
        json!({}),
        &[(&product, [60, 60, 60])],
        None,
    )
    .await;
    assert_code(
        &nominate(&app, &national.token, &round, &product).await,
        "NOT_ELIGIBLE",
    );

    // A commune recognition is not a provincial one.
    let commune = app.commune(BMT).await;
    run_round(
        &app,
        &commune,
        Area::Commune(BMT),
        "COMMUNE",
        year,
        json!({}),
        &[(&product, [90, 90, 90])],
        None,
    )
    .await;
    assert_code(
        &nominate(&app, &app.province(DAK_LAK).await.token, &round, &product).await,
        "NOT_ELIGIBLE",
    );
    let r = get_round(&app, &national.token, &round).await;
    assert_eq!(r["nominations"]["totalCount"], 0);

    // A recent provincial recognition opens the round.
    recognise_provincially(&app, &product, year, None).await;
    nominated(&app, &app.province(DAK_LAK).await.token, &round, &product).await;
}

#[tokio::test]
async fn an_expired_provincial_recognition_does_not_open_a_regional_round() {
    let app = spawn_app().await;
    let national = app.national().await;
    let product = fresh_product(&app, BMT, "Cà phê rang xay").await;

    // Recognised on 15 Nov 2022: valid until 31 Dec 2024, before today.
    let old = recognise_provincially(&app, &product, 2022, Some("2022-11-15")).await;
    let rec = app
        .ok(
            Some(&national.token),
            RECOGNITIONS,
            json!({ "id": product }),
        )
        .await["product"]["recognitions"]
        .clone();
    assert_eq!(rec.as_array().map(Vec::len), Some(1), "{rec:#}");
    assert_eq!(rec[0]["id"], old.as_str());
    assert_eq!(rec[0]["validUntil"], "2024-12-31");
    assert!(today() > NaiveDate::from_ymd_opt(2024, 12, 31).expect("date"));

    let round = regional_round(&app, &national).await;
    for nominator in [&national, &app.province(DAK_LAK).await] {
        assert_code(
            &nominate(&app, &nominator.token, &round, &product).await,
            "NOT_ELIGIBLE",
        );
    }

    // A recognition of this year, issued today, does.
    recognise_provincially(&app, &product, today().year(), None).await;
    nominated(&app, &national.token, &round, &product).await;
}

#[tokio::test]
async fn a_national_round_takes_only_products_with_a_valid_regional_recognition() {
    let app = spawn_app().await;
    let national = app.national().await;
    let product = fresh_product(&app, BMT, "Cà phê rang xay").await;
    let round = id_of(&new_round(&app, &national.token, "NATIONAL", 2026, json!({})).await);

    assert_code(
        &nominate(&app, &national.token, &round, &product).await,
        "NOT_ELIGIBLE",
    );
    // A provincial recognition is not enough.
    let provincial = recognise_provincially(&app, &product, today().year(), None).await;
    assert_code(
        &nominate(&app, &national.token, &round, &product).await,
        "NOT_ELIGIBLE",
    );
    // A regional one is.
    let regional = recognise_regionally(&app, &product).await;
    nominated(&app, &national.token, &round, &product).await;

    // Product.recognitions lists both, with their round's level.
    let rec = app
        .ok(
            Some(&national.token),
            RECOGNITIONS,
            json!({ "id": product }),
        )
        .await["product"]["recognitions"]
        .clone();
    let rec = rec.as_array().expect("recognitions");
    assert_eq!(rec.len(), 2, "{rec:#?}");
    let level_of = |id: &str| {
        rec.iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("{id} in {rec:#?}"))["round"]["level"]
            .clone()
    };
    assert_eq!(level_of(&provincial), "PROVINCIAL");
    assert_eq!(level_of(&regional), "REGIONAL");
    for r in rec {
        assert_eq!(r["result"], "RECOGNIZED");
        assert!(r["certificateNumber"].is_string(), "{r:#}");
    }
}

#[tokio::test]
async fn a_ha_noi_product_cannot_enter_a_central_highlands_regional_round() {
    let app = spawn_app().await;
    let national = app.national().await;
    let product = fresh_product(&app, HA_NOI_COMMUNE, "Gốm Bát Tràng").await;

    // Even with a valid provincial recognition of Hà Nội.
    let organiser = app.province(HA_NOI).await;
    run_round(
        &app,
        &organiser,
        Area::Province(HA_NOI),
        "PROVINCIAL",
        today().year(),
        json!({}),
        &[(&product, [85, 85, 85])],
        None,
    )
    .await;

    let central = regional_round(&app, &national).await;
    let body = nominate(&app, &national.token, &central, &product).await;
    assert_field(&body, "productId");
    let body = nominate(&app, &app.province(HA_NOI).await.token, &central, &product).await;
    assert_field(&body, "productId");

    // The northern round takes it.
    let north = id_of(
        &new_round(
            &app,
            &national.token,
            "REGIONAL",
            today().year(),
            json!({ "region": "NORTH" }),
        )
        .await,
    );
    nominated(&app, &app.province(HA_NOI).await.token, &north, &product).await;
}
