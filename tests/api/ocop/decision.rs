//! The decisions: the province's quorum, band edges and mandatory failures; the central
//! council's 5★, the province's 4★ after it, and who may certify in which state.

use super::*;

// ---------------------------------------------------------------------------------------------
// The provincial decision

#[tokio::test]
async fn the_province_decides_only_with_at_least_three_scores() {
    let app = spawn_app().await;
    let c = cast(&app, BMT).await;
    let product = c.product(&app, "Cà phê Buôn Ma Thuột").await;
    let id = screened(&app, &c, &product).await;
    score_all(&app, &c.council[..2], &id, &[80.0, 80.0]).await;

    let v = version_of(&app, &c.province.token, &id).await;
    assert_code(
        &certify(&app, &c.province.token, &id, v, "1/QĐ", "2026-01-05").await,
        "INVALID_TRANSITION",
    );
    let e = evaluation(&app, &c.national.token, &id).await;
    assert_eq!(e["status"], "PROVINCE_SCORING");
    assert_eq!(e["version"], v);
    assert!(e["certificate"].is_null());

    scored(&app, &c.council[2], &id, 80.0).await;
    let e = decided(&app, &c.province, &id, "2026-01-05").await;
    assert_eq!(e["status"], "CERTIFIED");
    assert_eq!(e["stars"], 4);
}

#[tokio::test]
async fn the_band_edges_of_the_provincial_decision() {
    let app = spawn_app().await;
    let c = cast(&app, BMT).await;
    let on = "2026-02-10";
    // (totals, status, stars of the certificate)
    let cases: [([f64; 3], &str, Option<i64>); 11] = [
        ([49.99; 3], "NOT_CERTIFIED", None),
        ([50.0; 3], "CERTIFIED", Some(3)),
        ([69.99; 3], "CERTIFIED", Some(3)),
        ([70.0; 3], "CERTIFIED", Some(4)),
        ([89.99; 3], "CERTIFIED", Some(4)),
        ([90.0; 3], "CENTRAL_SCORING", None),
        // The mean, not each total, decides.
        ([40.0, 50.0, 59.97], "NOT_CERTIFIED", None),
        ([40.0, 50.0, 60.0], "CERTIFIED", Some(3)),
        ([69.99, 70.0, 70.0], "CERTIFIED", Some(3)),
        ([60.0, 70.0, 80.0], "CERTIFIED", Some(4)),
        ([89.99, 90.0, 90.0], "CERTIFIED", Some(4)),
    ];
    for (i, (totals, status, stars)) in cases.iter().enumerate() {
        let name = format!("Sản phẩm {i}");
        let (product, e) = decided_product(&app, &c, &name, totals, on).await;
        assert_eq!(e["status"], *status, "{totals:?}: {e:#}");
        let cert = &e["certificate"];
        match stars {
            Some(s) => {
                assert_eq!(e["stars"], *s, "{totals:?}: {e:#}");
                assert_eq!(cert["stars"], *s, "{totals:?}: {e:#}");
                assert_eq!(cert["issuingLevel"], "PROVINCE");
                assert_eq!(cert["status"], "VALID");
                assert_eq!(cert["decisionNumber"], "123/QĐ-UBND");
                assert_eq!(cert["issuedOn"], on);
                assert_eq!(cert["validUntil"], "2029-02-10");
                assert_eq!(cert["product"]["id"], product.as_str());
                assert_eq!(cert["evaluation"]["id"], e["id"]);
                assert_eq!(
                    current(&app, &c.national.token, &product).await["id"],
                    cert["id"]
                );
            }
            None => {
                assert!(cert.is_null(), "{totals:?}: {e:#}");
                assert!(
                    current(&app, &c.national.token, &product).await.is_null(),
                    "{totals:?}"
                );
            }
        }
        if *status == "NOT_CERTIFIED" {
            assert_eq!(e["stars"], 2, "a mean of 30 to < 50 is 2★: {e:#}");
        }
        if *status == "CENTRAL_SCORING" {
            assert!(e["stars"].is_null(), "{e:#}");
        }
    }
    assert_eq!(
        certificates(&app, &c.national.token, json!({})).await.len(),
        8
    );
}

#[tokio::test]
async fn a_mandatory_failure_means_no_certificate_whatever_the_total() {
    let app = spawn_app().await;
    let c = cast(&app, BMT).await;
    for (i, total) in [95.0, 75.0].into_iter().enumerate() {
        let product = c.product(&app, &format!("Sản phẩm {i}")).await;
        let id = screened(&app, &c, &product).await;
        scored(&app, &c.council[0], &id, total).await;
        let body = score_parts(
            &app,
            &c.council[1].token,
            &id,
            parts(total),
            &["Sản phẩm có nguồn gốc địa phương"],
        )
        .await;
        assert_ok(&body, "request");
        scored(&app, &c.council[2], &id, total).await;
        let e = decided(&app, &c.province, &id, &today().to_string()).await;
        assert_eq!(e["status"], "NOT_CERTIFIED", "{e:#}");
        assert!(e["certificate"].is_null(), "{e:#}");
        assert!(current(&app, &c.national.token, &product).await.is_null());
    }
    assert!(
        certificates(&app, &c.national.token, json!({}))
            .await
            .is_empty()
    );
}

// ---------------------------------------------------------------------------------------------
// The central decision

#[tokio::test]
async fn only_the_central_council_certifies_five_stars() {
    let app = spawn_app().await;
    let c = cast(&app, BMT).await;
    let (product, id) = at_the_centre(&app, &c, "Cà phê Buôn Ma Thuột").await;
    let e = evaluation(&app, &c.national.token, &id).await;
    assert!(e["certificate"].is_null() && e["stars"].is_null(), "{e:#}");
    assert!(current(&app, &c.national.token, &product).await.is_null());
    // Still open: no second application this year.
    assert_code(
        &create(&app, &c.commune.token, &product, 2026, "NEW", None).await,
        "CONFLICT",
    );

    // The province can neither certify 5★ nor score any more; the commune certifies nothing.
    let today = today().to_string();
    for who in [&c.province, &c.council[0]] {
        assert_code(&certify_now(&app, who, &id, &today).await, "FORBIDDEN");
    }
    assert_code(
        &score(&app, &c.council[0].token, &id, 99.0).await,
        "INVALID_TRANSITION",
    );
    assert_code(
        &certify_now(&app, &c.commune, &id, &today).await,
        "FORBIDDEN",
    );
    let v = version_of(&app, &c.national.token, &id).await;
    assert_code(
        &screen(&app, &c.commune.token, &id, v, true, None).await,
        "INVALID_TRANSITION",
    );

    // The centre needs three scores of its own.
    assert_code(
        &certify_now(&app, &c.national, &id, &today).await,
        "INVALID_TRANSITION",
    );
    score_all(&app, &c.centre[..2], &id, &[90.0, 90.0]).await;
    assert_code(
        &certify_now(&app, &c.national, &id, &today).await,
        "INVALID_TRANSITION",
    );
    let e = evaluation(&app, &c.national.token, &id).await;
    assert_eq!(e["status"], "CENTRAL_SCORING");
    assert_eq!(e["centralScores"].as_array().map(Vec::len), Some(2));
    assert_eq!(e["provinceScores"].as_array().map(Vec::len), Some(3));

    // A central mean of exactly 90 earns 5★.
    scored(&app, &c.centre[2], &id, 90.0).await;
    let replaced = scored(&app, &c.centre[1], &id, 89.99).await;
    assert_eq!(replaced["total"], 89.99);
    scored(&app, &c.centre[0], &id, 90.01).await;
    let e = decided(&app, &c.national, &id, "2025-03-15").await;
    assert_eq!(e["status"], "CERTIFIED", "{e:#}");
    assert_eq!(e["stars"], 5);
    assert_eq!(e["centralMean"], 90.0);
    assert_eq!(e["provinceMean"], 95.0);
    assert_eq!(e["centralScores"].as_array().map(Vec::len), Some(3));
    let cert = &e["certificate"];
    assert_eq!(cert["stars"], 5);
    assert_eq!(cert["issuingLevel"], "NATIONAL");
    assert_eq!(cert["status"], "VALID");
    assert_eq!(cert["issuedOn"], "2025-03-15");
    assert_eq!(cert["validUntil"], "2028-03-15");
    assert_eq!(current(&app, &c.commune.token, &product).await["stars"], 5);

    // Decided: nothing more to do.
    for who in [&c.national, &c.province] {
        assert_code(
            &certify_now(&app, who, &id, &today).await,
            "INVALID_TRANSITION",
        );
    }
    assert_code(
        &score(&app, &c.centre[0].token, &id, 95.0).await,
        "INVALID_TRANSITION",
    );
}

#[tokio::test]
async fn after_the_centre_declines_five_stars_the_province_certifies_four() {
    let app = spawn_app().await;
    let c = cast(&app, BMT).await;
    let today = today().to_string();

    // A central mean just under 90, and a central mandatory failure.
    let (low, low_id) = at_the_centre(&app, &c, "Cà phê Buôn Ma Thuột").await;
    score_all(&app, &c.centre, &low_id, &[89.99, 89.99, 89.99]).await;
    let (failed, failed_id) = at_the_centre(&app, &c, "Mật ong rừng").await;
    score_all(&app, &c.centre[..2], &failed_id, &[98.0, 98.0]).await;
    assert_ok(
        &score_parts(
            &app,
            &c.centre[2].token,
            &failed_id,
            parts(98.0),
            &["Chỉ tiêu an toàn thực phẩm"],
        )
        .await,
        "central score with a failed mandatory criterion",
    );

    for (product, id) in [(&low, &low_id), (&failed, &failed_id)] {
        let e = decided(&app, &c.national, id, &today).await;
        assert_eq!(e["status"], "CENTRAL_NOT_RECOGNIZED", "{e:#}");
        assert!(e["certificate"].is_null(), "{e:#}");
        assert!(current(&app, &c.national.token, product).await.is_null());

        // The centre has decided; the commune certifies nothing; another province does not
        // see it.
        let body = certify_now(&app, &c.national, id, &today).await;
        let code = crate::helpers::code(&body);
        assert!(
            code == "FORBIDDEN" || code == "INVALID_TRANSITION",
            "a second central decision: {body:#}"
        );
        assert_code(
            &score(&app, &c.centre[0].token, id, 95.0).await,
            "INVALID_TRANSITION",
        );
        assert_code(
            &certify_now(&app, &c.commune, id, &today).await,
            "FORBIDDEN",
        );
        let stranger = app.province(QUANG_TRI).await;
        let v = version_of(&app, &c.national.token, id).await;
        assert_code(
            &certify(&app, &stranger.token, id, v, "9/QĐ", &today).await,
            "NOT_FOUND",
        );
        assert_eq!(
            status_of(&app, &c.national.token, id).await,
            "CENTRAL_NOT_RECOGNIZED"
        );

        // The province certifies 4★.
        let e = decided(&app, &c.province, id, &today).await;
        assert_eq!(e["status"], "CERTIFIED", "{e:#}");
        assert_eq!(e["stars"], 4);
        assert_eq!(e["certificate"]["stars"], 4);
        assert_eq!(e["certificate"]["issuingLevel"], "PROVINCE");
        assert_eq!(current(&app, &c.national.token, product).await["stars"], 4);
    }
}

#[tokio::test]
async fn certifying_is_refused_to_the_wrong_role_area_state_or_version() {
    let app = spawn_app().await;
    let c = cast(&app, BMT).await;
    let product = c.product(&app, "Cà phê Buôn Ma Thuột").await;
    let today = today().to_string();
    let id = id_of(&opened(&app, &c.commune.token, &product).await);

    // SUBMITTED and SCREENED: nothing to decide.
    assert_code(
        &certify_now(&app, &c.province, &id, &today).await,
        "INVALID_TRANSITION",
    );
    assert_code(
        &certify_now(&app, &c.national, &id, &today).await,
        "INVALID_TRANSITION",
    );
    assert_code(
        &certify_now(&app, &c.commune, &id, &today).await,
        "FORBIDDEN",
    );
    screen(&app, &c.commune.token, &id, 1, true, None).await;
    assert_code(
        &certify_now(&app, &c.province, &id, &today).await,
        "INVALID_TRANSITION",
    );
    assert_code(
        &certify_now(&app, &c.commune, &id, &today).await,
        "FORBIDDEN",
    );

    // PROVINCE_SCORING with three scores.
    score_all(&app, &c.council, &id, &[75.0, 75.0, 75.0]).await;
    let before = evaluation(&app, &c.national.token, &id).await;
    let v = before["version"].as_i64().expect("version");
    assert_code(
        &certify(&app, &c.national.token, &id, v, "1/QĐ-BNN", &today).await,
        "FORBIDDEN",
    );
    assert_code(
        &certify(&app, &c.commune.token, &id, v, "1/QĐ-UBND", &today).await,
        "FORBIDDEN",
    );
    for stranger in [
        app.province(QUANG_TRI).await,
        app.commune(DAK_LAK_OTHER).await,
    ] {
        assert_code(
            &certify(&app, &stranger.token, &id, v, "1/QĐ", &today).await,
            "NOT_FOUND",
        );
    }
    assert_code(
        &certify(&app, &c.province.token, &id, v - 1, "1/QĐ", &today).await,
        "CONFLICT",
    );
    let tomorrow = (Utc::now().date_naive() + Duration::days(1)).to_string();
    assert_field(
        &certify(&app, &c.province.token, &id, v, "1/QĐ", &tomorrow).await,
        "issuedOn",
    );
    assert_field(
        &certify(&app, &c.province.token, &id, v, "", &today).await,
        "decisionNumber",
    );
    assert_eq!(
        evaluation(&app, &c.national.token, &id).await,
        before,
        "nothing changed"
    );
    assert!(
        certificates(&app, &c.national.token, json!({}))
            .await
            .is_empty()
    );

    // The province decides once.
    let e = decided(&app, &c.province, &id, &today).await;
    assert_eq!(e["status"], "CERTIFIED");
    assert_eq!(e["version"], v + 1);
    for who in [&c.province, &c.national] {
        assert_code(
            &certify_now(&app, who, &id, &today).await,
            "INVALID_TRANSITION",
        );
    }
    assert_code(
        &certify_now(&app, &c.commune, &id, &today).await,
        "FORBIDDEN",
    );
    assert_code(
        &score(&app, &c.council[0].token, &id, 90.0).await,
        "INVALID_TRANSITION",
    );

    // NOT_CERTIFIED is final too.
    let (_, e) = decided_product(&app, &c, "Hạt điều", &[30.0; 3], &today).await;
    assert_eq!(e["status"], "NOT_CERTIFIED");
    let id = id_of(&e);
    assert_code(
        &certify_now(&app, &c.province, &id, &today).await,
        "INVALID_TRANSITION",
    );
    assert_code(
        &score(&app, &c.council[0].token, &id, 90.0).await,
        "INVALID_TRANSITION",
    );
}
