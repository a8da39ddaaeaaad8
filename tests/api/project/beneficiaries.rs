//! Beneficiaries: eligibility under the decree and the support caps of the circular.

use super::*;

// ---------------------------------------------------------------------------------------------
// Eligibility (Decree 45/2012 as amended by 235/2025)

#[tokio::test]
async fn large_enterprises_are_not_eligible_and_every_other_kind_is() {
    let w = World::new().await;
    let p = w.project("LOCAL", json!({})).await;
    let large = w
        .app
        .establishment(&w.commune.token, BMT, json!({ "kind": "LARGE_ENTERPRISE" }))
        .await;
    let body = w
        .add(&w.commune.token, &p, &id_of(&large), 10_000_000, 10_000_000)
        .await;
    expect_code(&body, "NOT_ELIGIBLE", "a large enterprise");

    let kinds = [
        "SME",
        "COOPERATIVE",
        "COOPERATIVE_UNION",
        "COOPERATIVE_GROUP",
        "BUSINESS_HOUSEHOLD",
        "ARTISAN",
    ];
    for kind in kinds {
        let e = w
            .app
            .establishment(&w.commune.token, BMT, json!({ "kind": kind }))
            .await;
        assert_ok(
            &w.add(&w.commune.token, &p, &id_of(&e), 10_000_000, 10_000_000)
                .await,
            kind,
        );
    }
    let got = w.get(&p).await;
    assert_eq!(
        got["beneficiaries"].as_array().expect("list").len(),
        kinds.len()
    );
    assert_eq!(vnd(&got["supportVnd"]), 60_000_000);
}

#[tokio::test]
async fn establishments_that_are_not_active_are_not_eligible() {
    let w = World::new().await;
    let p = w.project("LOCAL", json!({})).await;
    for status in ["SUSPENDED", "CLOSED"] {
        let e = w.app.establishment(&w.commune.token, BMT, json!({})).await;
        let e = set_status(&w.app, &w.commune.token, &e, status).await;
        assert_eq!(e["status"], status);
        let body = w
            .add(&w.commune.token, &p, &id_of(&e), 10_000_000, 10_000_000)
            .await;
        expect_code(&body, "NOT_ELIGIBLE", status);
    }
    let got = w.get(&p).await;
    assert!(got["beneficiaries"].as_array().expect("list").is_empty());
    assert_eq!(got["version"], 1, "nothing changed");
}

#[tokio::test]
async fn a_ward_of_a_centrally_run_city_needs_a_recognised_craft_village() {
    let app = spawn_app().await;
    let ha_noi = app.province(HA_NOI).await;
    let t = &ha_noi.token;
    for level in LEVELS {
        let p = new_project(&app, t, project_input(level, HA_NOI, json!({}))).await;
        let ward = app.establishment(t, BA_DINH, json!({})).await;
        let village = app
            .establishment(t, BA_DINH, json!({ "inCraftVillage": true }))
            .await;
        let rural = app.establishment(t, SOC_SON, json!({})).await;
        expect_code(
            &add_as(&app, t, &p, &id_of(&ward), 10_000_000, 10_000_000).await,
            "NOT_ELIGIBLE",
            &format!("Phường Ba Đình outside a craft village ({level})"),
        );
        assert_ok(
            &add_as(&app, t, &p, &id_of(&village), 10_000_000, 10_000_000).await,
            "Phường Ba Đình in a craft village",
        );
        assert_ok(
            &add_as(&app, t, &p, &id_of(&rural), 10_000_000, 10_000_000).await,
            "a rural commune of Hà Nội",
        );
    }
}

#[tokio::test]
async fn a_local_project_benefits_only_establishments_of_its_province() {
    let w = World::new().await;
    let outsider = id_of(
        &w.app
            .establishment(&w.national.token, TRUONG_PHU, json!({}))
            .await,
    );
    let local = w.project("LOCAL", json!({})).await;
    expect_code(
        &w.add(&w.national.token, &local, &outsider, 10_000_000, 10_000_000)
            .await,
        "NOT_ELIGIBLE",
        "a Quảng Trị establishment on a Đắk Lắk local project",
    );
    // The province of the project cannot even see it.
    expect_code(
        &w.add(&w.province.token, &local, &outsider, 10_000_000, 10_000_000)
            .await,
        "NOT_FOUND",
        "an establishment outside the province user's area",
    );
    // A national project is not bound to one province.
    let national = w.project("NATIONAL", json!({})).await;
    assert_ok(
        &w.add(
            &w.national.token,
            &national,
            &outsider,
            10_000_000,
            10_000_000,
        )
        .await,
        "a Quảng Trị establishment on a national project",
    );
    // Another commune of the same province is fine for the province.
    let neighbour = id_of(
        &w.app
            .establishment(&w.province.token, DAK_LAK_OTHER, json!({}))
            .await,
    );
    assert_ok(
        &w.add(
            &w.province.token,
            &local,
            &neighbour,
            10_000_000,
            10_000_000,
        )
        .await,
        "another commune of Đắk Lắk",
    );
}

#[tokio::test]
async fn an_establishment_benefits_once_per_project() {
    let w = World::new().await;
    let p = w.project("LOCAL", json!({})).await;
    assert_ok(
        &w.add(
            &w.commune.token,
            &p,
            &w.establishment,
            10_000_000,
            10_000_000,
        )
        .await,
        "first",
    );
    let before = w.get(&p).await;
    expect_code(
        &w.add(&w.commune.token, &p, &w.establishment, 5_000_000, 5_000_000)
            .await,
        "CONFLICT",
        "the same establishment twice",
    );
    assert_eq!(before, w.get(&p).await, "nothing changed");
    // It may benefit from another project.
    let q = w.project("LOCAL", json!({})).await;
    assert_ok(
        &w.add(
            &w.commune.token,
            &q,
            &w.establishment,
            10_000_000,
            10_000_000,
        )
        .await,
        "another project",
    );
}

// ---------------------------------------------------------------------------------------------
// Support caps (Circular 28/2018/TT-BTC as amended; Đắk Lắk's own local caps)

/// Adds `e` to a new project of `category` and checks the outcome: `None` for success, or the
/// amount the cap message must name and a text it must contain.
#[allow(clippy::too_many_arguments)]
async fn cap_case(
    app: &TestApp,
    token: &str,
    level: &str,
    province: &str,
    category: &str,
    e: &str,
    support: i64,
    counterpart: i64,
    over: Option<(i64, &str)>,
) {
    let p = new_project(
        app,
        token,
        project_input(level, province, json!({ "category": category })),
    )
    .await;
    let body = add_as(app, token, &p, e, support, counterpart).await;
    let what = format!("{category} {level} in {province}: {support} + {counterpart}");
    match over {
        None => {
            assert_ok(&body, &what);
            assert_eq!(
                vnd(&body["data"]["addBeneficiary"]["supportVnd"]),
                support,
                "{what}"
            );
        }
        Some((cap, basis)) => {
            assert_field(&body, "supportVnd");
            let msg = message(&body);
            assert!(mentions_vnd(msg, cap), "{what}: {msg} names {cap}");
            assert!(msg.contains(basis), "{what}: {msg} names {basis}");
            assert!(
                get_project(app, token, &p).await["beneficiaries"]
                    .as_array()
                    .expect("list")
                    .is_empty(),
                "{what}: nothing added"
            );
        }
    }
}

#[tokio::test]
async fn machinery_and_technology_transfer_are_capped_at_half_and_300_million() {
    let w = World::new().await;
    let t = &w.commune.token;
    let e = &w.establishment;
    let circular = "Circular 28/2018";
    for category in ["ADVANCED_MACHINERY", "TECHNOLOGY_TRANSFER"] {
        for level in LEVELS {
            // Exactly at both caps: 300,000,000 and exactly 50 %.
            cap_case(
                &w.app,
                t,
                level,
                DAK_LAK,
                category,
                e,
                300_000_000,
                300_000_000,
                None,
            )
            .await;
            // One đồng over the amount (share well under 50 %).
            cap_case(
                &w.app,
                t,
                level,
                DAK_LAK,
                category,
                e,
                300_000_001,
                400_000_000,
                Some((300_000_000, circular)),
            )
            .await;
            // Over 50 % by one đồng of own investment.
            cap_case(
                &w.app,
                t,
                level,
                DAK_LAK,
                category,
                e,
                200_000_000,
                199_999_999,
                Some((300_000_000, circular)),
            )
            .await;
            cap_case(
                &w.app,
                t,
                level,
                DAK_LAK,
                category,
                e,
                200_000_000,
                200_000_000,
                None,
            )
            .await;
        }
    }
}

#[tokio::test]
async fn a_national_demonstration_model_is_capped_at_30_percent_and_one_billion() {
    let w = World::new().await;
    let t = &w.commune.token;
    let e = &w.establishment;
    let cat = "TECHNICAL_DEMONSTRATION";
    let circular = "Circular 28/2018";
    let cap = 1_000_000_000;
    cap_case(
        &w.app,
        t,
        "NATIONAL",
        DAK_LAK,
        cat,
        e,
        cap,
        2_400_000_000,
        None,
    )
    .await;
    cap_case(
        &w.app,
        t,
        "NATIONAL",
        DAK_LAK,
        cat,
        e,
        cap + 1,
        2_400_000_000,
        Some((cap, circular)),
    )
    .await;
    // Exactly 30 %, and one đồng over it.
    cap_case(
        &w.app,
        t,
        "NATIONAL",
        DAK_LAK,
        cat,
        e,
        300_000_000,
        700_000_000,
        None,
    )
    .await;
    cap_case(
        &w.app,
        t,
        "NATIONAL",
        DAK_LAK,
        cat,
        e,
        300_000_001,
        700_000_000,
        Some((cap, circular)),
    )
    .await;
    // A national project in Đắk Lắk is under the national cap, not the province's.
    cap_case(
        &w.app,
        t,
        "NATIONAL",
        DAK_LAK,
        cat,
        e,
        900_000_000,
        2_100_000_000,
        None,
    )
    .await;
}

#[tokio::test]
async fn a_local_demonstration_model_uses_the_province_cap_or_else_the_national_one() {
    let w = World::new().await;
    let cat = "TECHNICAL_DEMONSTRATION";
    // Đắk Lắk has its own rule: 30 % and 800,000,000.
    let t = &w.commune.token;
    let e = &w.establishment;
    cap_case(
        &w.app,
        t,
        "LOCAL",
        DAK_LAK,
        cat,
        e,
        800_000_000,
        2_000_000_000,
        None,
    )
    .await;
    cap_case(
        &w.app,
        t,
        "LOCAL",
        DAK_LAK,
        cat,
        e,
        800_000_001,
        2_000_000_000,
        Some((800_000_000, "")),
    )
    .await;
    cap_case(
        &w.app,
        t,
        "LOCAL",
        DAK_LAK,
        cat,
        e,
        900_000_000,
        2_100_000_000,
        Some((800_000_000, "")),
    )
    .await;
    cap_case(
        &w.app,
        t,
        "LOCAL",
        DAK_LAK,
        cat,
        e,
        300_000_001,
        700_000_000,
        Some((800_000_000, "")),
    )
    .await;
    // Quảng Trị has none: the national 1,000,000,000 applies to its local projects.
    let qt = &w.other.token;
    let qe = id_of(&w.app.establishment(qt, TRUONG_PHU, json!({})).await);
    cap_case(
        &w.app,
        qt,
        "LOCAL",
        QUANG_TRI,
        cat,
        &qe,
        900_000_000,
        2_100_000_000,
        None,
    )
    .await;
    cap_case(
        &w.app,
        qt,
        "LOCAL",
        QUANG_TRI,
        cat,
        &qe,
        1_000_000_000,
        2_400_000_000,
        None,
    )
    .await;
    cap_case(
        &w.app,
        qt,
        "LOCAL",
        QUANG_TRI,
        cat,
        &qe,
        1_000_000_001,
        2_400_000_000,
        Some((1_000_000_000, "Circular 28/2018")),
    )
    .await;
}
