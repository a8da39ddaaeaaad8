//! Opening an application (who, once per product and year, idempotency keys) and screening
//! it (forwarded or returned, then screened again).

use super::*;

// ---------------------------------------------------------------------------------------------
// Opening an application

#[tokio::test]
async fn an_application_is_opened_by_a_commune_or_province_user_of_the_products_area() {
    let app = spawn_app().await;
    let c = cast(&app, BMT).await;
    let coffee = c.product(&app, "Cà phê Buôn Ma Thuột").await;
    let honey = c.product(&app, "Mật ong rừng").await;

    let e = opened(&app, &c.commune.token, &coffee).await;
    assert_eq!(e["status"], "SUBMITTED");
    assert_eq!(e["version"], 1);
    assert_eq!(e["year"], 2026);
    assert_eq!(e["type"], "NEW");
    assert_eq!(e["criteriaVersion"], CRITERIA);
    assert_eq!(e["product"]["id"], coffee.as_str());
    assert!(e["stars"].is_null() && e["certificate"].is_null(), "{e:#}");
    assert_eq!(e["provinceScores"], json!([]));
    assert_eq!(e["centralScores"], json!([]));
    assert!(e["provinceMean"].is_null(), "{e:#}");

    let e2 = opened_in(&app, &c.province.token, &honey, 2026, "UPGRADE").await;
    assert_eq!(e2["status"], "SUBMITTED");
    assert_eq!(e2["type"], "UPGRADE");

    let other = c.product(&app, "Hạt điều").await;
    let strangers = [
        app.commune(DAK_LAK_OTHER).await,
        app.commune(TRUONG_PHU).await,
        app.province(QUANG_TRI).await,
    ];
    let auditor = app
        .user(Role::Province, Some(DAK_LAK), None, false, true)
        .await;
    let audits = audit_count(&app).await;
    // National users do not open applications.
    assert_code(
        &create(&app, &c.national.token, &other, 2026, "NEW", None).await,
        "FORBIDDEN",
    );
    // Outside the caller's area the product does not exist.
    for stranger in &strangers {
        assert_code(
            &create(&app, &stranger.token, &other, 2026, "NEW", None).await,
            "NOT_FOUND",
        );
    }
    // A read-only user changes nothing.
    assert_code(
        &create(&app, &auditor.token, &other, 2026, "NEW", None).await,
        "FORBIDDEN",
    );
    assert_field(
        &create(&app, &c.commune.token, &other, 1999, "NEW", None).await,
        "year",
    );
    assert_eq!(
        evaluation_ids(&app, &c.national.token, json!({})).await,
        sorted_refs(&[&id_of(&e), &id_of(&e2)])
    );
    assert_eq!(audit_count(&app).await, audits, "refusals are not audited");
}

#[tokio::test]
async fn a_second_open_application_of_the_same_product_and_year_conflicts() {
    let app = spawn_app().await;
    let c = cast(&app, BMT).await;
    let product = c.product(&app, "Cà phê Buôn Ma Thuột").await;
    let e = opened(&app, &c.commune.token, &product).await;

    for who in [&c.commune, &c.province] {
        assert_code(
            &create(&app, &who.token, &product, 2026, "NEW", None).await,
            "CONFLICT",
        );
    }
    // Another year is another application.
    let other_year = opened_in(&app, &c.commune.token, &product, 2025, "NEW").await;
    assert_eq!(other_year["status"], "SUBMITTED");

    // A returned dossier is still open.
    let body = screen(
        &app,
        &c.commune.token,
        &id_of(&e),
        1,
        false,
        Some("Thiếu hồ sơ"),
    )
    .await;
    assert_eq!(data(&body, "screenOcopEvaluation")["status"], "RETURNED");
    assert_code(
        &create(&app, &c.province.token, &product, 2026, "NEW", None).await,
        "CONFLICT",
    );
    // So is one being scored.
    screen(&app, &c.commune.token, &id_of(&e), 2, true, None).await;
    score_all(&app, &c.council, &id_of(&e), &[40.0, 45.0, 49.0]).await;
    assert_code(
        &create(&app, &c.province.token, &product, 2026, "NEW", None).await,
        "CONFLICT",
    );
    // A decided one is not: the product may apply again.
    let ev = decided(&app, &c.province, &id_of(&e), &today().to_string()).await;
    assert_eq!(ev["status"], "NOT_CERTIFIED");
    let again = opened_in(&app, &c.commune.token, &product, 2026, "RE_EVALUATION").await;
    assert_eq!(again["status"], "SUBMITTED");
    assert_eq!(again["type"], "RE_EVALUATION");
}

#[tokio::test]
async fn an_idempotency_key_returns_the_first_application() {
    let app = spawn_app().await;
    let c = cast(&app, BMT).await;
    let product = c.product(&app, "Cà phê Buôn Ma Thuột").await;

    let first = create(
        &app,
        &c.commune.token,
        &product,
        2026,
        "NEW",
        Some("ocop-1"),
    )
    .await;
    let first = data(&first, "createOcopEvaluation").clone();
    let audits = audit_count(&app).await;
    let retry = create(
        &app,
        &c.commune.token,
        &product,
        2026,
        "NEW",
        Some("ocop-1"),
    )
    .await;
    let retry = data(&retry, "createOcopEvaluation");
    assert_eq!(retry["id"], first["id"]);
    assert_eq!(retry["status"], "SUBMITTED");
    assert_eq!(audit_count(&app).await, audits, "the retry created nothing");
    assert_eq!(
        evaluation_ids(&app, &c.national.token, json!({})).await,
        vec![id_of(&first)]
    );
    // A new key is a new request: the product already has an open application.
    assert_code(
        &create(
            &app,
            &c.commune.token,
            &product,
            2026,
            "NEW",
            Some("ocop-2"),
        )
        .await,
        "CONFLICT",
    );
}

// ---------------------------------------------------------------------------------------------
// Screening

#[tokio::test]
async fn screening_forwards_or_returns_and_a_returned_dossier_is_screened_again() {
    let app = spawn_app().await;
    let c = cast(&app, BMT).await;
    let product = c.product(&app, "Cà phê Buôn Ma Thuột").await;
    let id = id_of(&opened(&app, &c.commune.token, &product).await);

    // The national level does not screen; outside the area the dossier does not exist.
    assert_code(
        &screen(&app, &c.national.token, &id, 1, true, None).await,
        "FORBIDDEN",
    );
    for stranger in [
        app.commune(DAK_LAK_OTHER).await,
        app.province(QUANG_TRI).await,
    ] {
        assert_code(
            &screen(&app, &stranger.token, &id, 1, true, None).await,
            "NOT_FOUND",
        );
    }
    assert_code(
        &screen(&app, &c.commune.token, &id, 7, true, None).await,
        "CONFLICT",
    );
    assert_eq!(status_of(&app, &c.national.token, &id).await, "SUBMITTED");
    assert_eq!(version_of(&app, &c.national.token, &id).await, 1);

    // The commune returns it with a note.
    let body = screen(
        &app,
        &c.commune.token,
        &id,
        1,
        false,
        Some("Thiếu giấy xác nhận nguồn gốc nguyên liệu"),
    )
    .await;
    let e = data(&body, "screenOcopEvaluation");
    assert_eq!(e["status"], "RETURNED");
    assert_eq!(e["version"], 2);
    assert_eq!(
        e["screeningNote"],
        "Thiếu giấy xác nhận nguồn gốc nguyên liệu"
    );

    // A returned dossier is screened again, here by the province.
    let body = screen(&app, &c.province.token, &id, 2, true, Some("Đủ điều kiện")).await;
    let e = data(&body, "screenOcopEvaluation");
    assert_eq!(e["status"], "SCREENED");
    assert_eq!(e["version"], 3);

    // A screened dossier is not screened again.
    for forward in [true, false] {
        assert_code(
            &screen(&app, &c.commune.token, &id, 3, forward, None).await,
            "INVALID_TRANSITION",
        );
    }

    // Nor one being scored, nor a decided one.
    scored(&app, &c.council[0], &id, 75.0).await;
    let v = version_of(&app, &c.commune.token, &id).await;
    assert_code(
        &screen(&app, &c.commune.token, &id, v, true, None).await,
        "INVALID_TRANSITION",
    );
    score_all(&app, &c.council[1..], &id, &[75.0, 75.0]).await;
    decided(&app, &c.province, &id, &today().to_string()).await;
    let v = version_of(&app, &c.commune.token, &id).await;
    assert_code(
        &screen(&app, &c.province.token, &id, v, false, None).await,
        "INVALID_TRANSITION",
    );
}
