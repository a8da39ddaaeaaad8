//! The regions of the regional selection are data a national administrator can change.

use khuyencong::enums::Role;
use serde_json::json;

use crate::helpers::{assert_code, spawn_app};

const MOVE: &str = "mutation($c: String!, $r: Region!) { updateProvinceRegion(code: $c, region: $r) { code region } }";

#[tokio::test]
async fn only_a_national_administrator_moves_a_province_to_another_region() {
    let app = spawn_app().await;
    for user in [
        app.national().await,
        app.user(Role::Province, Some("66"), None, true, false)
            .await,
        app.user(Role::National, None, None, true, true).await,
    ] {
        assert_code(
            &app.gql(Some(&user.token), MOVE, json!({ "c": "66", "r": "NORTH" }))
                .await,
            "FORBIDDEN",
        );
    }
    let admin = app.user(Role::National, None, None, true, false).await;
    let moved = app
        .ok(Some(&admin.token), MOVE, json!({ "c": "66", "r": "NORTH" }))
        .await;
    assert_eq!(moved["updateProvinceRegion"]["region"], "NORTH");
    let read = app
        .ok(None, r#"{ province(code: "66") { region } }"#, json!({}))
        .await;
    assert_eq!(read["province"]["region"], "NORTH");
    assert_code(
        &app.gql(Some(&admin.token), MOVE, json!({ "c": "99", "r": "NORTH" }))
            .await,
        "NOT_FOUND",
    );
}

#[tokio::test]
async fn a_moved_province_nominates_to_its_new_region() {
    let app = spawn_app().await;
    let admin = app.user(Role::National, None, None, true, false).await;
    let province = app.province("66").await;
    let judges = [
        app.province("66").await,
        app.province("66").await,
        app.province("66").await,
    ];
    let est = app.establishment(&province.token, "24133", json!({})).await;
    let product = app
        .product(&province.token, est["id"].as_str().expect("id"), "Cà phê")
        .await;
    let pid = product["id"].as_str().expect("id").to_owned();
    // Recognise it provincially this year.
    let round = app
        .ok(
            Some(&province.token),
            "mutation { createSelectionRound(input: {name: \"Tỉnh\", level: PROVINCIAL, year: 2026, provinceCode: \"66\"}) { id version } }",
            json!({}),
        )
        .await["createSelectionRound"]
        .clone();
    let rid = round["id"].as_str().expect("id").to_owned();
    let n = app
        .ok(
            Some(&province.token),
            "mutation($r: ID!, $p: ID!) { nominateProduct(roundId: $r, productId: $p, group: PROCESSED_AGRO_FORESTRY_FISHERY_FOOD) { id } }",
            json!({ "r": rid, "p": pid }),
        )
        .await["nominateProduct"]["id"]
        .clone();
    let advance = "mutation($id: ID!, $v: Int!) { advanceSelectionRound(id: $id, expectedVersion: $v) { version status } }";
    app.ok(Some(&province.token), advance, json!({ "id": rid, "v": 1 }))
        .await;
    for j in &judges {
        app.ok(
            Some(&j.token),
            "mutation($n: ID!) { submitScorecard(nominationId: $n, input: {market: 35, economicTechnicalSocialEnvironmental: 35, cultureAesthetics: 8, otherCriteria: 8}) { id } }".replace("otherCriteria", "other").as_str(),
            json!({ "n": n }),
        )
        .await;
    }
    app.ok(Some(&province.token), advance, json!({ "id": rid, "v": 2 }))
        .await;
    let regional = |region: &str| {
        format!(
            "mutation {{ createSelectionRound(input: {{name: \"Khu vực\", level: REGIONAL, year: 2026, region: {region}}}) {{ id }} }}"
        )
    };
    let nominate = "mutation($r: ID!, $p: ID!) { nominateProduct(roundId: $r, productId: $p, group: OTHER) { id } }";
    let north = app
        .ok(Some(&admin.token), &regional("NORTH"), json!({}))
        .await["createSelectionRound"]["id"]
        .clone();
    let central = app
        .ok(
            Some(&admin.token),
            &regional("CENTRAL_HIGHLANDS"),
            json!({}),
        )
        .await["createSelectionRound"]["id"]
        .clone();
    // Before the move Đắk Lắk is in the Central Highlands.
    assert_code(
        &app.gql(
            Some(&admin.token),
            nominate,
            json!({ "r": north, "p": pid }),
        )
        .await,
        "BAD_USER_INPUT",
    );
    app.ok(Some(&admin.token), MOVE, json!({ "c": "66", "r": "NORTH" }))
        .await;
    app.ok(
        Some(&admin.token),
        nominate,
        json!({ "r": north, "p": pid }),
    )
    .await;
    assert_code(
        &app.gql(
            Some(&admin.token),
            nominate,
            json!({ "r": central, "p": pid }),
        )
        .await,
        "BAD_USER_INPUT",
    );
}

#[tokio::test]
async fn round_filters_narrow_and_never_widen_the_scope() {
    let app = spawn_app().await;
    let dak_lak = app.province("66").await;
    let quang_tri = app.province("44").await;
    let national = app.national().await;
    let create = |level: &str, extra: &str| {
        format!(
            "mutation {{ createSelectionRound(input: {{name: \"R\", level: {level}, year: 2026{extra}}}) {{ id }} }}"
        )
    };
    app.ok(
        Some(&dak_lak.token),
        &create("PROVINCIAL", ", provinceCode: \"66\""),
        json!({}),
    )
    .await;
    app.ok(
        Some(&quang_tri.token),
        &create("PROVINCIAL", ", provinceCode: \"44\""),
        json!({}),
    )
    .await;
    app.ok(Some(&national.token), &create("NATIONAL", ""), json!({}))
        .await;
    let count = |filter: &str| format!("{{ selectionRounds(filter: {filter}) {{ totalCount }} }}");
    let n = |v: serde_json::Value| v["selectionRounds"]["totalCount"].as_i64().unwrap_or(-1);
    // Đắk Lắk sees its own provincial round and the national one.
    assert_eq!(
        n(app.ok(Some(&dak_lak.token), &count("{}"), json!({})).await),
        2
    );
    // Another province's code gives nothing; a level filter narrows.
    assert_eq!(
        n(app
            .ok(
                Some(&dak_lak.token),
                &count("{provinceCode: \"44\"}"),
                json!({})
            )
            .await),
        0
    );
    assert_eq!(
        n(app
            .ok(Some(&dak_lak.token), &count("{level: NATIONAL}"), json!({}))
            .await),
        1
    );
    assert_eq!(
        n(app
            .ok(Some(&dak_lak.token), &count("{year: 2020}"), json!({}))
            .await),
        0
    );
    assert_eq!(
        n(app.ok(Some(&national.token), &count("{}"), json!({})).await),
        3
    );
}
