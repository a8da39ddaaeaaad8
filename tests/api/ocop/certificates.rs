//! Certificates: 36 months, supersession, expiry and renewal, visibility and filters,
//! revocation by the right level, and `products(minOcopStars)`.

use super::*;

// ---------------------------------------------------------------------------------------------
// Certificates

#[tokio::test]
async fn a_certificate_lasts_36_months_and_a_new_one_supersedes_it() {
    let app = spawn_app().await;
    let c = cast(&app, BMT).await;
    let product = c.product(&app, "Cà phê Buôn Ma Thuột").await;

    let e = opened_in(&app, &c.commune.token, &product, 2025, "NEW").await;
    let id = id_of(&e);
    screen(&app, &c.commune.token, &id, 1, true, None).await;
    score_all(&app, &c.council, &id, &[60.0, 60.0, 60.0]).await;
    let e = decided(&app, &c.province, &id, "2025-03-15").await;
    let old = e["certificate"].clone();
    assert_eq!(old["stars"], 3);
    assert_eq!(old["issuedOn"], "2025-03-15");
    assert_eq!(old["validUntil"], "2028-03-15");
    assert_eq!(old["status"], "VALID");
    assert_eq!(
        current(&app, &c.commune.token, &product).await["id"],
        old["id"]
    );

    // An upgrade the next year.
    let e = opened_in(&app, &c.commune.token, &product, 2026, "UPGRADE").await;
    let id = id_of(&e);
    screen(&app, &c.commune.token, &id, 1, true, None).await;
    score_all(&app, &c.council, &id, &[80.0, 80.0, 80.0]).await;
    let e = decided(&app, &c.province, &id, &today().to_string()).await;
    let new = e["certificate"].clone();
    assert_eq!(new["stars"], 4);
    assert_eq!(new["status"], "VALID");
    assert_eq!(new["validUntil"], plus_36_months(today()).to_string());

    let old_now = certificate(&app, &c.national.token, &id_of(&old)).await;
    assert_eq!(old_now["status"], "SUPERSEDED", "{old_now:#}");
    assert_eq!(old_now["validUntil"], "2028-03-15");
    let cur = current(&app, &c.commune.token, &product).await;
    assert_eq!(cur["id"], new["id"]);
    assert_eq!(cur["stars"], 4);
    assert_eq!(
        certificate_ids(&app, &c.national.token, json!({ "status": "SUPERSEDED" })).await,
        vec![id_of(&old)]
    );
    assert_eq!(
        certificate_ids(&app, &c.national.token, json!({ "status": "VALID" })).await,
        vec![id_of(&new)]
    );
    // A superseded certificate cannot be revoked any more.
    assert_code(
        &revoke(&app, &c.province.token, &id_of(&old), "Đã thay thế").await,
        "INVALID_TRANSITION",
    );
}

#[tokio::test]
async fn certificates_expire_and_those_due_for_renewal_are_listed() {
    let app = spawn_app().await;
    let c = cast(&app, BMT).await;
    let t = today();
    let soon_issued = (t + Duration::days(15))
        .checked_sub_months(Months::new(36))
        .expect("date");
    let later_issued = (t + Duration::days(45))
        .checked_sub_months(Months::new(36))
        .expect("date");

    let (expired_p, expired) = certified(&app, &c, "Cà phê", 4, "2023-01-10").await;
    let (_, soon) = certified(&app, &c, "Mật ong", 3, &soon_issued.to_string()).await;
    let (_, later) = certified(&app, &c, "Hạt điều", 4, &later_issued.to_string()).await;
    let (_, fresh) = certified(&app, &c, "Tiêu", 3, &t.to_string()).await;
    let (_, revoked) = certified(&app, &c, "Ca cao", 3, &soon_issued.to_string()).await;
    assert_ok(
        &revoke(&app, &c.province.token, &revoked, "Vi phạm chất lượng").await,
        "request",
    );

    let cert = certificate(&app, &c.national.token, &expired).await;
    assert_eq!(cert["validUntil"], "2026-01-10");
    assert_eq!(cert["status"], "EXPIRED");
    assert!(
        current(&app, &c.national.token, &expired_p).await.is_null(),
        "an expired certificate is not the product's current one"
    );
    let cert = certificate(&app, &c.national.token, &soon).await;
    assert_eq!(cert["status"], "VALID");
    let until = plus_36_months(soon_issued);
    assert_eq!(cert["validUntil"], until.to_string());
    assert!(until >= t && until <= t + Duration::days(30), "{until}");

    assert_eq!(
        certificate_ids(&app, &c.national.token, json!({ "expiringWithinDays": 30 })).await,
        vec![soon.clone()]
    );
    assert_eq!(
        certificate_ids(&app, &c.national.token, json!({ "expiringWithinDays": 60 })).await,
        sorted_refs(&[&soon, &later])
    );
    assert_eq!(
        certificate_ids(&app, &c.national.token, json!({ "status": "EXPIRED" })).await,
        vec![expired.clone()]
    );
    assert_eq!(
        certificate_ids(&app, &c.national.token, json!({ "status": "VALID" })).await,
        sorted_refs(&[&soon, &later, &fresh])
    );
    assert_eq!(
        certificate_ids(&app, &c.national.token, json!({ "status": "REVOKED" })).await,
        vec![revoked.clone()]
    );
    // The province and the commune see the same renewal list for their area.
    for who in [&c.province, &c.commune] {
        assert_eq!(
            certificate_ids(&app, &who.token, json!({ "expiringWithinDays": 30 })).await,
            vec![soon.clone()]
        );
    }
}

#[tokio::test]
async fn certificates_and_evaluations_are_seen_in_their_area_and_filtered() {
    let app = spawn_app().await;
    let dl = cast(&app, BMT).await;
    let qt = cast(&app, TRUONG_PHU).await;
    let (_, dl3) = certified(&app, &dl, "Cà phê", 3, "2026-01-05").await;
    let (_, dl4) = certified(&app, &dl, "Mật ong", 4, "2026-01-05").await;
    let (_, qt4) = certified(&app, &qt, "Nón lá", 4, "2026-01-05").await;
    let national = &dl.national;

    assert_eq!(
        certificate_ids(&app, &national.token, json!({})).await,
        sorted_refs(&[&dl3, &dl4, &qt4])
    );
    assert_eq!(
        certificate_ids(&app, &national.token, json!({ "stars": 4 })).await,
        sorted_refs(&[&dl4, &qt4])
    );
    assert_eq!(
        certificate_ids(&app, &national.token, json!({ "provinceCode": QUANG_TRI })).await,
        vec![qt4.clone()]
    );
    assert_eq!(
        certificate_ids(
            &app,
            &national.token,
            json!({ "provinceCode": DAK_LAK, "stars": 4, "status": "VALID" })
        )
        .await,
        vec![dl4.clone()]
    );
    assert_eq!(
        certificate_ids(&app, &dl.province.token, json!({})).await,
        sorted_refs(&[&dl3, &dl4])
    );
    assert_eq!(
        certificate_ids(&app, &dl.commune.token, json!({})).await,
        sorted_refs(&[&dl3, &dl4])
    );
    let other = app.commune(DAK_LAK_OTHER).await;
    assert!(
        certificate_ids(&app, &other.token, json!({}))
            .await
            .is_empty()
    );
    assert_eq!(
        certificate_ids(&app, &qt.province.token, json!({})).await,
        vec![qt4.clone()]
    );
    assert!(
        certificate(&app, &qt.province.token, &dl4).await.is_null(),
        "another province does not see it"
    );

    // Evaluations likewise.
    let all = evaluation_ids(&app, &national.token, json!({})).await;
    assert_eq!(all.len(), 3);
    assert_eq!(
        evaluation_ids(&app, &dl.province.token, json!({}))
            .await
            .len(),
        2
    );
    assert_eq!(
        evaluation_ids(
            &app,
            &dl.commune.token,
            json!({ "status": "CERTIFIED", "year": 2026 })
        )
        .await
        .len(),
        2
    );
    assert!(
        evaluation_ids(&app, &national.token, json!({ "status": "SUBMITTED" }))
            .await
            .is_empty()
    );
    assert!(
        evaluation_ids(&app, &other.token, json!({}))
            .await
            .is_empty()
    );
    assert_eq!(
        evaluation_ids(&app, &qt.commune.token, json!({}))
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn a_certificate_is_revoked_by_its_issuing_level_or_nationally() {
    let app = spawn_app().await;
    let c = cast(&app, BMT).await;
    let (product, provincial) = certified(&app, &c, "Cà phê", 4, "2026-01-05").await;
    let (_, another) = certified(&app, &c, "Mật ong", 3, "2026-01-05").await;
    let (five_p, national_cert) = five_star(&app, &c, "Hạt điều", "2026-01-05").await;
    let strangers = [app.province(QUANG_TRI).await, app.commune(TRUONG_PHU).await];
    let audits = audit_count(&app).await;

    // A provincial certificate: not by the commune, not by another province.
    assert_code(
        &revoke(&app, &c.commune.token, &provincial, "Vi phạm").await,
        "FORBIDDEN",
    );
    for stranger in &strangers {
        assert_code(
            &revoke(&app, &stranger.token, &provincial, "Vi phạm").await,
            "NOT_FOUND",
        );
    }
    assert_field(
        &revoke(&app, &c.province.token, &provincial, "").await,
        "reason",
    );
    // A national certificate: not by the province (nor the commune).
    for who in [&c.province, &c.commune] {
        assert_code(
            &revoke(&app, &who.token, &national_cert, "Vi phạm").await,
            "FORBIDDEN",
        );
    }
    assert_eq!(audit_count(&app).await, audits, "refusals change nothing");
    assert_eq!(
        certificate(&app, &c.national.token, &provincial).await["status"],
        "VALID"
    );

    // The issuing province revokes its own.
    let body = revoke(&app, &c.province.token, &provincial, "Vi phạm chất lượng").await;
    let cert = data(&body, "revokeOcopCertificate");
    assert_eq!(cert["status"], "REVOKED");
    assert_eq!(cert["revokedReason"], "Vi phạm chất lượng");
    assert_eq!(cert["revokeDecisionNumber"], "45/QĐ-THU-HOI");
    assert!(current(&app, &c.national.token, &product).await.is_null());
    // Twice: no.
    for who in [&c.province, &c.national] {
        assert_code(
            &revoke(&app, &who.token, &provincial, "Lần nữa").await,
            "INVALID_TRANSITION",
        );
    }

    // The national level revokes a provincial certificate and its own.
    for id in [&another, &national_cert] {
        let body = revoke(&app, &c.national.token, id, "Cơ sở ngừng sản xuất").await;
        let cert = data(&body, "revokeOcopCertificate");
        assert_eq!(cert["status"], "REVOKED");
        assert_eq!(cert["revokedReason"], "Cơ sở ngừng sản xuất");
    }
    assert!(current(&app, &c.national.token, &five_p).await.is_null());
    assert_eq!(
        certificate_ids(&app, &c.national.token, json!({ "status": "REVOKED" })).await,
        sorted_refs(&[&provincial, &another, &national_cert])
    );
    assert!(
        certificate_ids(&app, &c.national.token, json!({ "status": "VALID" }))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn min_ocop_stars_lists_only_products_with_a_valid_certificate_of_that_many_stars() {
    let app = spawn_app().await;
    let c = cast(&app, BMT).await;
    let on = "2026-01-05";
    let (three, _) = certified(&app, &c, "Ba sao", 3, on).await;
    let (four, _) = certified(&app, &c, "Bốn sao", 4, on).await;
    let (five, _) = five_star(&app, &c, "Năm sao", on).await;
    let (revoked, cert) = certified(&app, &c, "Bị thu hồi", 4, on).await;
    assert_ok(
        &revoke(&app, &c.province.token, &cert, "Vi phạm").await,
        "request",
    );
    let (expired, _) = certified(&app, &c, "Hết hạn", 4, "2023-01-10").await;
    let uncertified = c.product(&app, "Chưa đánh giá").await;
    // A 4★ certificate superseded by a 3★ one.
    let (downgraded, _) = certified(&app, &c, "Hạ sao", 4, "2025-01-05").await;
    let e = opened_in(&app, &c.commune.token, &downgraded, 2026, "RE_EVALUATION").await;
    let id = id_of(&e);
    screen(&app, &c.commune.token, &id, 1, true, None).await;
    score_all(&app, &c.council, &id, &[55.0, 55.0, 55.0]).await;
    assert_eq!(decided(&app, &c.province, &id, on).await["stars"], 3);

    let listed = |min: i64| products_with(&app, &c.national.token, min);
    let ids = |body: Value| {
        sorted(
            data(&body, "products")["nodes"]
                .as_array()
                .expect("nodes")
                .iter()
                .map(id_of),
        )
    };
    assert_eq!(ids(listed(4).await), sorted_refs(&[&four, &five]));
    assert_eq!(ids(listed(5).await), vec![five.clone()]);
    assert_eq!(
        ids(listed(3).await),
        sorted_refs(&[&three, &four, &five, &downgraded])
    );
    let all = ids(listed(1).await);
    for absent in [&revoked, &expired, &uncertified] {
        assert!(!all.contains(absent), "{absent} has no valid certificate");
    }
    for bad in [0, 6] {
        assert_field(&listed(bad).await, "minOcopStars");
    }
}

/// `products(filter: { minOcopStars })` as `token` (the whole body).
async fn products_with(app: &TestApp, token: &str, min: i64) -> Value {
    app.gql(
        Some(token),
        "query($f: ProductFilter) { products(filter: $f, first: 100) { totalCount nodes { id } } }",
        json!({ "f": { "minOcopStars": min } }),
    )
    .await
}
