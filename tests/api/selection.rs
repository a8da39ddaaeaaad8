//! The selection of outstanding rural industrial products: who organises, nominates
//! and judges at each level inside and outside the area, the entry rules across levels
//! (valid, missing, expired and out-of-region recognitions), score ranges, exact results at
//! the threshold, the scorecard quorum, replacement of a scorecard, a frozen closed round,
//! certificate validity, visibility of rounds, the audit trail and batched loading.

use chrono::{Datelike, Duration, NaiveDate};
use khuyencong::enums::Role;
use serde_json::{Value, json};

use crate::helpers::common::{assert_ok, audit_count, audit_rows, id_of, row_id, today};
use crate::helpers::{
    TestApp, TestUser, assert_code, assert_field,
    flows::{
        fresh_product,
        selection::{
            advance, advanced, close, create_round, get_round, judges, new_round, nominate,
            nominated, nomination_in, run_round, score, score_all, scored, scores, version_of,
        },
    },
    people::Area,
    place::{BMT, DAK_LAK, DAK_LAK_OTHER, QUANG_TRI, TRUONG_PHU},
    spawn_app,
};

/// Hà Nội (region NORTH) and one of its communes.
const HA_NOI: &str = "01";
const HA_NOI_COMMUNE: &str = "00004";

const ROUNDS: &str = "query($f: SelectionRoundFilter) { selectionRounds(filter: $f, first: 100) { \
    totalCount nodes { id } } }";

const RECOGNITIONS: &str = "query($id: ID!) { product(id: $id) { recognitions { \
    id result certificateNumber recognizedOn validUntil round { id level } } } }";

// ---------------------------------------------------------------------------------------------
// Helpers

/// Ids of `selectionRounds` as `token`.
async fn listed(app: &TestApp, token: &str) -> Vec<String> {
    app.ok(Some(token), ROUNDS, json!({ "f": {} })).await["selectionRounds"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(id_of)
        .collect()
}

/// Recognises `product` (of Đắk Lắk) at a provincial round of Đắk Lắk of `year`, closed on
/// `on`; returns the nomination id.
async fn recognise_provincially(
    app: &TestApp,
    product: &str,
    year: i32,
    on: Option<&str>,
) -> String {
    let organiser = app.province(DAK_LAK).await;
    let (_, n) = run_round(
        app,
        &organiser,
        Area::Province(DAK_LAK),
        "PROVINCIAL",
        year,
        json!({}),
        &[(product, [80, 80, 80])],
        on,
    )
    .await;
    n[0].clone()
}

/// Recognises `product` at a regional CENTRAL_HIGHLANDS round of this year.
async fn recognise_regionally(app: &TestApp, product: &str) -> String {
    let organiser = app.national().await;
    let (_, n) = run_round(
        app,
        &organiser,
        Area::National,
        "REGIONAL",
        today().year(),
        json!({ "region": "CENTRAL_HIGHLANDS" }),
        &[(product, [75, 75, 75])],
        None,
    )
    .await;
    n[0].clone()
}

/// A regional CENTRAL_HIGHLANDS round of this year, OPEN.
async fn regional_round(app: &TestApp, organiser: &TestUser) -> String {
    id_of(
        &new_round(
            app,
            &organiser.token,
            "REGIONAL",
            today().year(),
            json!({ "region": "CENTRAL_HIGHLANDS" }),
        )
        .await,
    )
}

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

// ---------------------------------------------------------------------------------------------
// Judges and scores

#[tokio::test]
async fn judges_of_a_commune_round_are_users_of_that_commune() {
    let app = spawn_app().await;
    let organiser = app.commune(BMT).await;
    let round = id_of(&new_round(&app, &organiser.token, "COMMUNE", 2026, json!({})).await);
    let product = fresh_product(&app, BMT, "Cà phê rang xay").await;
    let n = nominated(&app, &organiser.token, &round, &product).await;
    advanced(&app, &organiser.token, &round, None).await;

    for other in [app.province(DAK_LAK).await, app.national().await] {
        assert_code(
            &score(&app, &other.token, &n, scores(80)).await,
            "FORBIDDEN",
        );
    }
    let stranger = app.commune(DAK_LAK_OTHER).await;
    assert_code(
        &score(&app, &stranger.token, &n, scores(80)).await,
        "NOT_FOUND",
    );

    let judge = app.commune(BMT).await;
    let body = score(&app, &judge.token, &n, scores(80)).await;
    assert_ok(&body, "request");
    let card = &body["data"]["submitScorecard"];
    assert_eq!(card["total"], 80);
    assert_eq!(card["judge"]["username"], judge.username.as_str());
    let r = get_round(&app, &organiser.token, &round).await;
    assert_eq!(
        nomination_in(&r, &n)["scorecards"].as_array().map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn judges_of_a_provincial_round_are_users_of_that_province() {
    let app = spawn_app().await;
    let organiser = app.province(DAK_LAK).await;
    let round = id_of(&new_round(&app, &organiser.token, "PROVINCIAL", 2026, json!({})).await);
    let product = fresh_product(&app, BMT, "Cà phê rang xay").await;
    let n = nominated(&app, &organiser.token, &round, &product).await;
    advanced(&app, &organiser.token, &round, None).await;

    // The product's own commune nominates but does not judge; nor do national users.
    for other in [app.commune(BMT).await, app.national().await] {
        assert_code(
            &score(&app, &other.token, &n, scores(80)).await,
            "FORBIDDEN",
        );
    }
    let stranger = app.province(QUANG_TRI).await;
    assert_code(
        &score(&app, &stranger.token, &n, scores(80)).await,
        "NOT_FOUND",
    );

    let js = judges(&app, Area::Province(DAK_LAK)).await;
    score_all(&app, &js, &n, &[80, 75, 70]).await;
    let r = get_round(&app, &organiser.token, &round).await;
    let cards = nomination_in(&r, &n)["scorecards"].clone();
    assert_eq!(cards.as_array().map(Vec::len), Some(3), "{cards:#}");
}

#[tokio::test]
async fn judges_of_regional_and_national_rounds_are_national_users() {
    let app = spawn_app().await;
    let national = app.national().await;
    let product = fresh_product(&app, BMT, "Cà phê rang xay").await;
    recognise_provincially(&app, &product, today().year(), None).await;
    let round = regional_round(&app, &national).await;
    let n = nominated(&app, &national.token, &round, &product).await;
    advanced(&app, &national.token, &round, None).await;

    for other in [app.province(DAK_LAK).await, app.commune(BMT).await] {
        assert_code(
            &score(&app, &other.token, &n, scores(80)).await,
            "FORBIDDEN",
        );
    }
    scored(&app, &app.national().await, &n, 80).await;

    // National round.
    recognise_regionally(&app, &product).await;
    let nat = id_of(&new_round(&app, &national.token, "NATIONAL", 2026, json!({})).await);
    let n = nominated(&app, &national.token, &nat, &product).await;
    advanced(&app, &national.token, &nat, None).await;
    for other in [app.province(DAK_LAK).await, app.commune(BMT).await] {
        assert_code(
            &score(&app, &other.token, &n, scores(80)).await,
            "FORBIDDEN",
        );
    }
    scored(&app, &app.national().await, &n, 80).await;
}

#[tokio::test]
async fn scores_outside_their_ranges_are_bad_user_input_naming_the_criterion() {
    let app = spawn_app().await;
    let organiser = app.province(DAK_LAK).await;
    let round = id_of(&new_round(&app, &organiser.token, "PROVINCIAL", 2026, json!({})).await);
    let product = fresh_product(&app, BMT, "Cà phê rang xay").await;
    let n = nominated(&app, &organiser.token, &round, &product).await;
    advanced(&app, &organiser.token, &round, None).await;
    let judge = app.province(DAK_LAK).await;

    let card = |m: i32, e: i32, c: i32, o: i32| {
        json!({
            "market": m,
            "economicTechnicalSocialEnvironmental": e,
            "cultureAesthetics": c,
            "other": o,
        })
    };
    for (input, field) in [
        (card(41, 40, 10, 10), "market"),
        (card(-1, 0, 0, 0), "market"),
        (card(40, 41, 10, 10), "economicTechnicalSocialEnvironmental"),
        (card(0, -1, 0, 0), "economicTechnicalSocialEnvironmental"),
        (card(40, 40, 11, 10), "cultureAesthetics"),
        (card(0, 0, -1, 0), "cultureAesthetics"),
        (card(40, 40, 10, 11), "other"),
        (card(0, 0, 0, -1), "other"),
    ] {
        let body = score(&app, &judge.token, &n, input.clone()).await;
        assert_field(&body, field);
    }
    let r = get_round(&app, &organiser.token, &round).await;
    assert_eq!(
        nomination_in(&r, &n)["scorecards"].as_array().map(Vec::len),
        Some(0),
        "nothing was stored"
    );

    // The bounds themselves are allowed.
    let body = score(&app, &judge.token, &n, card(40, 40, 10, 10)).await;
    assert_ok(&body, "request");
    assert_eq!(body["data"]["submitScorecard"]["total"], 100);
    let body = score(
        &app,
        &app.province(DAK_LAK).await.token,
        &n,
        card(0, 0, 0, 0),
    )
    .await;
    assert_ok(&body, "request");
    assert_eq!(body["data"]["submitScorecard"]["total"], 0);
}

#[tokio::test]
async fn scorecards_are_taken_only_while_scoring() {
    let app = spawn_app().await;
    let organiser = app.province(DAK_LAK).await;
    let round = id_of(&new_round(&app, &organiser.token, "PROVINCIAL", 2026, json!({})).await);
    let product = fresh_product(&app, BMT, "Cà phê rang xay").await;
    let n = nominated(&app, &organiser.token, &round, &product).await;

    let judge = app.province(DAK_LAK).await;
    let body = score(&app, &judge.token, &n, scores(80)).await;
    assert_code(&body, "INVALID_TRANSITION");
    advanced(&app, &organiser.token, &round, None).await;
    scored(&app, &judge, &n, 80).await;
}

#[tokio::test]
async fn a_judge_who_submits_again_replaces_the_scorecard() {
    let app = spawn_app().await;
    let organiser = app.province(DAK_LAK).await;
    let round = id_of(&new_round(&app, &organiser.token, "PROVINCIAL", 2026, json!({})).await);
    let product = fresh_product(&app, BMT, "Cà phê rang xay").await;
    let n = nominated(&app, &organiser.token, &round, &product).await;
    advanced(&app, &organiser.token, &round, None).await;
    let js = judges(&app, Area::Province(DAK_LAK)).await;
    score_all(&app, &js, &n, &[30, 60, 60]).await;

    // The first judge changes its mind: 30 → 90.
    let replacement = json!({
        "market": 38,
        "economicTechnicalSocialEnvironmental": 37,
        "cultureAesthetics": 9,
        "other": 6,
    });
    let body = score(&app, &js[0].token, &n, replacement).await;
    assert_ok(&body, "request");
    assert_eq!(body["data"]["submitScorecard"]["total"], 90);

    let r = get_round(&app, &organiser.token, &round).await;
    let cards = nomination_in(&r, &n)["scorecards"]
        .as_array()
        .expect("scorecards")
        .clone();
    assert_eq!(cards.len(), 3, "still one per judge: {cards:#?}");
    let first = cards
        .iter()
        .find(|c| c["judge"]["username"] == js[0].username.as_str())
        .expect("the first judge's card");
    assert_eq!(first["market"], 38);
    assert_eq!(first["economicTechnicalSocialEnvironmental"], 37);
    assert_eq!(first["cultureAesthetics"], 9);
    assert_eq!(first["other"], 6);
    assert_eq!(first["total"], 90);

    // The result uses the replacement: (90 + 60 + 60) / 3 = 70.
    let r = close(&app, &organiser.token, &round, None).await;
    let n = nomination_in(&r, &n);
    assert_eq!(n["finalScore"].as_f64(), Some(70.0), "{n:#}");
    assert_eq!(n["result"], "RECOGNIZED");
}

// ---------------------------------------------------------------------------------------------
// Results

#[tokio::test]
async fn a_mean_of_exactly_70_is_recognised_and_69_67_is_not() {
    let app = spawn_app().await;
    let organiser = app.province(DAK_LAK).await;
    let round = id_of(&new_round(&app, &organiser.token, "PROVINCIAL", 2026, json!({})).await);
    let at = fresh_product(&app, BMT, "Cà phê rang xay").await;
    let below = fresh_product(&app, BMT, "Hạt điều").await;
    let spread = fresh_product(&app, DAK_LAK_OTHER, "Tiêu đen").await;
    let n_at = nominated(&app, &organiser.token, &round, &at).await;
    let n_below = nominated(&app, &organiser.token, &round, &below).await;
    let n_spread = nominated(&app, &organiser.token, &round, &spread).await;
    advanced(&app, &organiser.token, &round, None).await;
    let js = judges(&app, Area::Province(DAK_LAK)).await;
    score_all(&app, &js, &n_at, &[70, 70, 70]).await;
    score_all(&app, &js, &n_below, &[70, 70, 69]).await;
    score_all(&app, &js, &n_spread, &[100, 100, 10]).await;

    // Pending until the round closes.
    let r = get_round(&app, &organiser.token, &round).await;
    for n in [&n_at, &n_below, &n_spread] {
        let n = nomination_in(&r, n);
        assert_eq!(n["result"], "PENDING");
        assert!(n["finalScore"].is_null(), "{n:#}");
        assert!(n["certificateNumber"].is_null(), "{n:#}");
    }

    let r = close(&app, &organiser.token, &round, None).await;
    assert_eq!(r["status"], "CLOSED");

    let n = nomination_in(&r, &n_at);
    assert_eq!(n["finalScore"].as_f64(), Some(70.0), "{n:#}");
    assert_eq!(n["result"], "RECOGNIZED");
    assert!(
        n["certificateNumber"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "{n:#}"
    );

    let n = nomination_in(&r, &n_spread);
    assert_eq!(n["finalScore"].as_f64(), Some(70.0), "{n:#}");
    assert_eq!(n["result"], "RECOGNIZED");
    assert!(n["certificateNumber"].is_string(), "{n:#}");

    let n = nomination_in(&r, &n_below);
    let score = n["finalScore"].as_f64().expect("finalScore");
    assert!((score - 69.67).abs() < 0.006, "69.67, got {score}");
    assert_eq!(n["result"], "NOT_RECOGNIZED");
    assert!(n["certificateNumber"].is_null(), "{n:#}");
    assert!(n["recognizedOn"].is_null(), "{n:#}");
    assert!(n["validUntil"].is_null(), "{n:#}");

    // Certificate numbers are distinct.
    assert_ne!(
        nomination_in(&r, &n_at)["certificateNumber"],
        nomination_in(&r, &n_spread)["certificateNumber"]
    );

    // Only the recognised products list the recognition.
    let national = app.national().await;
    for (product, expected) in [(&at, 1), (&below, 0), (&spread, 1)] {
        let rec = app
            .ok(
                Some(&national.token),
                RECOGNITIONS,
                json!({ "id": product }),
            )
            .await["product"]["recognitions"]
            .clone();
        assert_eq!(rec.as_array().map(Vec::len), Some(expected), "{rec:#}");
        if expected == 1 {
            assert_eq!(rec[0]["round"]["id"], round.as_str());
            assert_eq!(rec[0]["round"]["level"], "PROVINCIAL");
        }
    }
}

#[tokio::test]
async fn closing_needs_three_scorecards_for_every_nomination() {
    let app = spawn_app().await;
    let organiser = app.province(DAK_LAK).await;
    let round = id_of(&new_round(&app, &organiser.token, "PROVINCIAL", 2026, json!({})).await);
    let full = fresh_product(&app, BMT, "Cà phê rang xay").await;
    let short = fresh_product(&app, BMT, "Mật ong rừng Yok Đôn").await;
    let n_full = nominated(&app, &organiser.token, &round, &full).await;
    let n_short = nominated(&app, &organiser.token, &round, &short).await;
    advanced(&app, &organiser.token, &round, None).await;
    let js = judges(&app, Area::Province(DAK_LAK)).await;
    score_all(&app, &js, &n_full, &[80, 80, 80]).await;
    score_all(&app, &js[..2], &n_short, &[80, 80]).await;

    let body = advance(&app, &organiser.token, &round, 2, None).await;
    assert_code(&body, "INVALID_TRANSITION");
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("Mật ong rừng Yok Đôn"),
        "the message names the product: {message}"
    );
    let r = get_round(&app, &organiser.token, &round).await;
    assert_eq!(r["status"], "SCORING");
    assert_eq!(r["version"], 2);
    for n in [&n_full, &n_short] {
        assert_eq!(nomination_in(&r, n)["result"], "PENDING");
    }

    // With the third scorecard it closes.
    scored(&app, &js[2], &n_short, 80).await;
    let r = close(&app, &organiser.token, &round, None).await;
    assert_eq!(nomination_in(&r, &n_short)["result"], "RECOGNIZED");
    assert_eq!(nomination_in(&r, &n_full)["result"], "RECOGNIZED");
}

#[tokio::test]
async fn a_closed_round_is_frozen() {
    let app = spawn_app().await;
    let organiser = app.province(DAK_LAK).await;
    let product = fresh_product(&app, BMT, "Cà phê rang xay").await;
    let latecomer = fresh_product(&app, BMT, "Hạt điều").await;
    let round = id_of(&new_round(&app, &organiser.token, "PROVINCIAL", 2026, json!({})).await);
    let n = nominated(&app, &organiser.token, &round, &product).await;
    advanced(&app, &organiser.token, &round, None).await;
    let js = judges(&app, Area::Province(DAK_LAK)).await;
    score_all(&app, &js, &n, &[75, 76, 77]).await;
    let before = close(&app, &organiser.token, &round, None).await;
    assert_eq!(before["version"], 3);
    let newcomer = app.province(DAK_LAK).await;
    let audits = audit_count(&app).await;

    assert_code(
        &advance(&app, &organiser.token, &round, 3, None).await,
        "INVALID_TRANSITION",
    );
    assert_code(
        &nominate(&app, &organiser.token, &round, &latecomer).await,
        "INVALID_TRANSITION",
    );
    assert_code(
        &score(&app, &js[0].token, &n, scores(10)).await,
        "INVALID_TRANSITION",
    );
    assert_code(
        &score(&app, &newcomer.token, &n, scores(10)).await,
        "INVALID_TRANSITION",
    );

    let after = get_round(&app, &organiser.token, &round).await;
    assert_eq!(after, before, "nothing changed in the closed round");
    assert_eq!(audit_count(&app).await, audits, "and nothing was audited");
}

#[tokio::test]
async fn a_recognition_is_valid_until_31_december_of_the_second_year_after() {
    let app = spawn_app().await;
    let organiser = app.province(DAK_LAK).await;

    // Dated on closing.
    let product = fresh_product(&app, BMT, "Cà phê rang xay").await;
    let (round, n) = run_round(
        &app,
        &organiser,
        Area::Province(DAK_LAK),
        "PROVINCIAL",
        2022,
        json!({}),
        &[(&product, [80, 80, 80])],
        Some("2022-11-15"),
    )
    .await;
    let r = get_round(&app, &organiser.token, &round).await;
    let nom = nomination_in(&r, &n[0]);
    assert_eq!(nom["recognizedOn"], "2022-11-15");
    assert_eq!(nom["validUntil"], "2024-12-31");

    // Dated today by default.
    let product = fresh_product(&app, BMT, "Hạt điều").await;
    let (round, n) = run_round(
        &app,
        &organiser,
        Area::Province(DAK_LAK),
        "PROVINCIAL",
        today().year(),
        json!({}),
        &[(&product, [80, 80, 80])],
        None,
    )
    .await;
    let r = get_round(&app, &organiser.token, &round).await;
    let nom = nomination_in(&r, &n[0]);
    let t = today();
    assert_eq!(nom["recognizedOn"], t.to_string());
    assert_eq!(
        nom["validUntil"],
        NaiveDate::from_ymd_opt(t.year() + 2, 12, 31)
            .expect("date")
            .to_string()
    );
}

#[tokio::test]
async fn the_recognition_date_lies_between_the_rounds_year_and_today() {
    let app = spawn_app().await;
    let organiser = app.province(DAK_LAK).await;
    let round = id_of(&new_round(&app, &organiser.token, "PROVINCIAL", 2022, json!({})).await);
    let product = fresh_product(&app, BMT, "Cà phê rang xay").await;
    let n = nominated(&app, &organiser.token, &round, &product).await;
    advanced(&app, &organiser.token, &round, None).await;
    let js = judges(&app, Area::Province(DAK_LAK)).await;
    score_all(&app, &js, &n, &[80, 80, 80]).await;

    let tomorrow = (today() + Duration::days(1)).to_string();
    for on in ["2021-12-31", tomorrow.as_str()] {
        let body = advance(&app, &organiser.token, &round, 2, Some(on)).await;
        assert_field(&body, "recognizedOn");
    }
    let r = get_round(&app, &organiser.token, &round).await;
    assert_eq!(r["status"], "SCORING");
    assert_eq!(r["version"], 2);
    assert_eq!(nomination_in(&r, &n)["result"], "PENDING");

    // 1 January of the round's year is allowed.
    let r = close(&app, &organiser.token, &round, Some("2022-01-01")).await;
    let nom = nomination_in(&r, &n);
    assert_eq!(nom["recognizedOn"], "2022-01-01");
    assert_eq!(nom["validUntil"], "2024-12-31");
}

// ---------------------------------------------------------------------------------------------
// Visibility

#[tokio::test]
async fn provincial_and_commune_rounds_are_seen_only_inside_their_area() {
    let app = spawn_app().await;
    let province = app.province(DAK_LAK).await;
    let commune = app.commune(BMT).await;
    let provincial = id_of(&new_round(&app, &province.token, "PROVINCIAL", 2026, json!({})).await);
    let communal = id_of(&new_round(&app, &commune.token, "COMMUNE", 2026, json!({})).await);

    let national = app.national().await;
    let other_commune = app.commune(DAK_LAK_OTHER).await;
    let other_province = app.province(QUANG_TRI).await;
    let far_commune = app.commune(TRUONG_PHU).await;

    // Provincial: its province, its communes and national users.
    for who in [&province, &commune, &other_commune, &national] {
        assert_eq!(
            get_round(&app, &who.token, &provincial).await["id"],
            provincial.as_str()
        );
        assert!(listed(&app, &who.token).await.contains(&provincial));
    }
    for who in [&other_province, &far_commune] {
        assert!(get_round(&app, &who.token, &provincial).await.is_null());
        assert!(!listed(&app, &who.token).await.contains(&provincial));
    }

    // Commune: the commune, its province and national users.
    for who in [&commune, &province, &national] {
        assert_eq!(
            get_round(&app, &who.token, &communal).await["id"],
            communal.as_str()
        );
        assert!(listed(&app, &who.token).await.contains(&communal));
    }
    for who in [&other_commune, &other_province, &far_commune] {
        assert!(get_round(&app, &who.token, &communal).await.is_null());
        assert!(!listed(&app, &who.token).await.contains(&communal));
    }

    // Mutations on an invisible round: NOT_FOUND.
    let quang_tri_product = fresh_product(&app, TRUONG_PHU, "Nón lá").await;
    assert_code(
        &nominate(&app, &other_province.token, &provincial, &quang_tri_product).await,
        "NOT_FOUND",
    );
    assert_code(
        &advance(&app, &other_province.token, &provincial, 1, None).await,
        "NOT_FOUND",
    );
    assert_code(
        &advance(&app, &other_commune.token, &communal, 1, None).await,
        "NOT_FOUND",
    );
}

#[tokio::test]
async fn regional_and_national_rounds_are_visible_to_every_signed_in_user() {
    let app = spawn_app().await;
    let national = app.national().await;
    let regional = regional_round(&app, &national).await;
    let nat = id_of(&new_round(&app, &national.token, "NATIONAL", 2026, json!({})).await);

    for who in [
        app.commune(TRUONG_PHU).await,
        app.commune(HA_NOI_COMMUNE).await,
        app.province(HA_NOI).await,
        app.province(QUANG_TRI).await,
        app.commune(BMT).await,
        app.national().await,
    ] {
        let listed = listed(&app, &who.token).await;
        for id in [&regional, &nat] {
            let r = get_round(&app, &who.token, id).await;
            assert_eq!(r["id"], id.as_str(), "{}: {r:#}", who.username);
            assert!(listed.contains(id), "{} lists {id}", who.username);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Audit

#[tokio::test]
async fn every_selection_mutation_is_audited() {
    let app = spawn_app().await;
    let organiser = app.province(DAK_LAK).await;
    let round = id_of(&new_round(&app, &organiser.token, "PROVINCIAL", 2026, json!({})).await);
    let product = fresh_product(&app, BMT, "Cà phê rang xay").await;
    let nominator = app.commune(BMT).await;
    let n = nominated(&app, &nominator.token, &round, &product).await;
    advanced(&app, &organiser.token, &round, None).await;
    let js = judges(&app, Area::Province(DAK_LAK)).await;
    score_all(&app, &js, &n, &[80, 70, 60]).await;
    scored(&app, &js[2], &n, 75).await; // a replacement is audited too
    close(&app, &organiser.token, &round, Some("2026-03-01")).await;

    let rows = audit_rows(&app, "SelectionRound", row_id(&round)).await;
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["create", "advance", "advance"]);
    for r in &rows {
        assert_eq!(r.actor_id, Some(row_id(&organiser.id)));
        assert_eq!(r.actor_role, Some(Role::Province));
        assert_eq!(r.province_code.as_deref(), Some(DAK_LAK));
    }
    let last: Value = serde_json::from_str(&rows[2].changes).expect("changes are JSON");
    assert_eq!(last["status"]["before"], "SCORING", "{last:#}");
    assert_eq!(last["status"]["after"], "CLOSED", "{last:#}");

    let rows = audit_rows(&app, "Nomination", row_id(&n)).await;
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "nominate",
            "submitScorecard",
            "submitScorecard",
            "submitScorecard",
            "submitScorecard"
        ]
    );
    assert_eq!(rows[0].actor_id, Some(row_id(&nominator.id)));
    assert_eq!(rows[0].actor_role, Some(Role::Commune));
    let actors: Vec<Option<i64>> = rows[1..].iter().map(|r| r.actor_id).collect();
    assert_eq!(
        actors,
        [
            Some(row_id(&js[0].id)),
            Some(row_id(&js[1].id)),
            Some(row_id(&js[2].id)),
            Some(row_id(&js[2].id)),
        ]
    );
    for r in &rows {
        assert_eq!(r.commune_code.as_deref(), Some(BMT));
        assert_eq!(r.province_code.as_deref(), Some(DAK_LAK));
    }
}

#[tokio::test]
async fn a_refused_selection_mutation_writes_no_audit_event() {
    let app = spawn_app().await;
    let organiser = app.province(DAK_LAK).await;
    let round = id_of(&new_round(&app, &organiser.token, "PROVINCIAL", 2026, json!({})).await);
    let product = fresh_product(&app, BMT, "Cà phê rang xay").await;
    let n = nominated(&app, &organiser.token, &round, &product).await;
    let stranger = app.province(QUANG_TRI).await;
    let before = audit_count(&app).await;

    assert_code(
        &create_round(
            &app,
            &stranger.token,
            "PROVINCIAL",
            2026,
            json!({ "provinceCode": DAK_LAK }),
        )
        .await,
        "FORBIDDEN",
    );
    assert_code(
        &nominate(&app, &organiser.token, &round, &product).await,
        "CONFLICT",
    );
    assert_code(
        &score(&app, &organiser.token, &n, scores(80)).await,
        "INVALID_TRANSITION",
    );
    assert_code(
        &advance(&app, &organiser.token, &round, 7, None).await,
        "CONFLICT",
    );
    assert_eq!(audit_count(&app).await, before);
}

// ---------------------------------------------------------------------------------------------
// Batched loading

const NESTED: &str = "query($id: ID!) { selectionRound(id: $id) { nominations(first: 50) { \
    nodes { product { name establishment { name } } scorecards { judge { username } total } \
    round { name } } } } }";

/// A provincial round of Đắk Lắk in SCORING with `count` nominations (each product of its own
/// establishment) scored by three judges.
async fn scored_round(app: &TestApp, organiser: &TestUser, count: usize) -> String {
    let round = id_of(&new_round(app, &organiser.token, "PROVINCIAL", 2026, json!({})).await);
    let mut nominations = Vec::new();
    for i in 0..count {
        let commune = if i % 2 == 0 { BMT } else { DAK_LAK_OTHER };
        let product = fresh_product(app, commune, &format!("Sản phẩm {i}")).await;
        nominations.push(nominated(app, &organiser.token, &round, &product).await);
    }
    advanced(app, &organiser.token, &round, None).await;
    let js = judges(app, Area::Province(DAK_LAK)).await;
    for n in &nominations {
        score_all(app, &js, n, &[70, 80, 90]).await;
    }
    round
}

/// SQL statements run by one [`NESTED`] request; checks the rows came back.
async fn statements(app: &TestApp, token: &str, round: &str, count: usize) -> f64 {
    let (data, statements) = app.ok_counting(token, NESTED, json!({ "id": round })).await;
    let nodes = data["selectionRound"]["nominations"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone();
    assert_eq!(nodes.len(), count);
    for n in &nodes {
        assert!(n["product"]["establishment"]["name"].is_string(), "{n:#}");
        assert_eq!(n["scorecards"].as_array().map(Vec::len), Some(3), "{n:#}");
        assert!(n["scorecards"][0]["judge"]["username"].is_string(), "{n:#}");
        assert!(n["round"]["name"].is_string(), "{n:#}");
    }
    statements
}

#[tokio::test]
async fn statements_for_a_round_and_its_nominations_do_not_grow_with_the_rows() {
    let app = spawn_app().await;
    let organiser = app.province(DAK_LAK).await;
    let small = scored_round(&app, &organiser, 2).await;
    let large = scored_round(&app, &organiser, 6).await;
    let reader = app.national().await;

    // Warm up once, then measure.
    statements(&app, &reader.token, &small, 2).await;
    statements(&app, &reader.token, &large, 6).await;
    let for_small = statements(&app, &reader.token, &small, 2).await;
    let for_large = statements(&app, &reader.token, &large, 6).await;
    assert!(for_small > 0.0, "statements are counted");
    assert_eq!(
        for_small, for_large,
        "2 nominations: {for_small} statements, 6 nominations: {for_large}"
    );
}

#[tokio::test]
async fn closing_a_round_puts_every_decided_nomination_in_the_change_feed() {
    use crate::changes::changes_since;
    let app = spawn_app().await;
    let organiser = app.province(DAK_LAK).await;
    let year = today().year();
    let round = id_of(&new_round(&app, &organiser.token, "PROVINCIAL", year, json!({})).await);
    let good = fresh_product(&app, BMT, "Cà phê bột").await;
    let weak = fresh_product(&app, BMT, "Mật ong").await;
    let n_good = nominated(&app, &organiser.token, &round, &good).await;
    let n_weak = nominated(&app, &organiser.token, &round, &weak).await;
    advanced(&app, &organiser.token, &round, None).await;
    let js = judges(&app, Area::Province(DAK_LAK)).await;
    score_all(&app, &js, &n_good, &[80, 80, 80]).await;
    score_all(&app, &js, &n_weak, &[40, 40, 40]).await;
    let national = app.national().await;
    let (_, start) = changes_since(&app, &national.token, None, 1).await;
    close(&app, &organiser.token, &round, None).await;
    let (rows, _) = changes_since(&app, &national.token, start, 3).await;
    let row = |e: &str, id: &str| (e.to_owned(), id.to_owned(), "UPDATE".to_owned());
    assert_eq!(
        rows,
        vec![
            row("SELECTION_ROUND", &round),
            row("NOMINATION", &n_good),
            row("NOMINATION", &n_weak),
        ]
    );
}
