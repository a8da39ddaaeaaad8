//! OCOP star rating: who opens, screens, scores and decides an application at each
//! level, inside and outside the area, and the states each step is refused in; score ranges
//! and replacement; the band edges of the provincial decision, mandatory failures, the central
//! council's 5★ and the province's 4★ after it; certificates (36 months, supersession, expiry,
//! the renewal filter, revocation by the right level); `products(minOcopStars)`; the anonymous
//! public catalogue without personal data; the audit trail and batched loading.

use chrono::{Datelike, Duration, Months, NaiveDate, Utc};
use khuyencong::enums::Role;
use serde_json::{Value, json};

use crate::helpers::common::{
    assert_ok, audit_count, audit_rows, data, id_of, row_id, sorted, today,
};
use crate::helpers::{
    TestApp, TestUser, assert_code, assert_field,
    flows::{
        ocop::{
            CERT, at_the_centre, cast, certificate, certified, certify, certify_now, create,
            decided, decided_product, evaluation, five_star, opened, opened_in, parts, revoke,
            score, score_all, score_parts, scored, screen, screened, status_of, version_of,
        },
        selection::run_round,
    },
    people::Area,
    place::{BMT, DAK_LAK, DAK_LAK_OTHER, QUANG_TRI, TRUONG_PHU},
    spawn_app,
};

/// The criteria version shipped in `data/rules/ocop_criteria.csv`.
const CRITERIA: &str = "148/QĐ-TTg+1489/QĐ-TTg";

// ---------------------------------------------------------------------------------------------
// Helpers

fn plus_36_months(d: NaiveDate) -> NaiveDate {
    d.checked_add_months(Months::new(36)).expect("date")
}

/// Certificates listed by `ocopCertificates(filter)` as `token`.
async fn certificates(app: &TestApp, token: &str, filter: Value) -> Vec<Value> {
    let data = app
        .ok(
            Some(token),
            &format!(
                "query($f: OcopCertificateFilter) {{ ocopCertificates(filter: $f, first: 100) {{ \
                 totalCount nodes {{ {CERT} }} }} }}"
            ),
            json!({ "f": filter }),
        )
        .await;
    let conn = &data["ocopCertificates"];
    let nodes = conn["nodes"].as_array().expect("nodes").clone();
    assert_eq!(conn["totalCount"], nodes.len(), "{conn:#}");
    nodes
}

/// Ids of certificates listed by `ocopCertificates(filter)`, sorted.
async fn certificate_ids(app: &TestApp, token: &str, filter: Value) -> Vec<String> {
    sorted(certificates(app, token, filter).await.iter().map(id_of))
}

/// Ids of evaluations listed by `ocopEvaluations(filter)`, sorted.
async fn evaluation_ids(app: &TestApp, token: &str, filter: Value) -> Vec<String> {
    let data = app
        .ok(
            Some(token),
            "query($f: OcopEvaluationFilter) { ocopEvaluations(filter: $f, first: 100) { \
             totalCount nodes { id } } }",
            json!({ "f": filter }),
        )
        .await;
    let nodes = data["ocopEvaluations"]["nodes"].as_array().expect("nodes");
    assert_eq!(data["ocopEvaluations"]["totalCount"], nodes.len());
    sorted(nodes.iter().map(id_of))
}

fn sorted_refs(ids: &[&String]) -> Vec<String> {
    sorted(ids.iter().map(|s| (*s).clone()))
}

/// The product's `currentOcopCertificate` as `token` sees it.
async fn current(app: &TestApp, token: &str, product: &str) -> Value {
    app.ok(
        Some(token),
        "query($id: ID!) { product(id: $id) { currentOcopCertificate { id stars status } } }",
        json!({ "id": product }),
    )
    .await["product"]["currentOcopCertificate"]
        .clone()
}

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

// ---------------------------------------------------------------------------------------------
// Scores

#[tokio::test]
async fn the_provincial_council_scores_screened_dossiers_of_its_province_only() {
    let app = spawn_app().await;
    let c = cast(&app, BMT).await;
    let product = c.product(&app, "Cà phê Buôn Ma Thuột").await;
    let id = id_of(&opened(&app, &c.commune.token, &product).await);

    // Not before screening, nor when returned.
    assert_code(
        &score(&app, &c.council[0].token, &id, 70.0).await,
        "INVALID_TRANSITION",
    );
    screen(&app, &c.commune.token, &id, 1, false, None).await;
    assert_code(
        &score(&app, &c.council[0].token, &id, 70.0).await,
        "INVALID_TRANSITION",
    );
    screen(&app, &c.commune.token, &id, 2, true, None).await;
    assert_eq!(status_of(&app, &c.national.token, &id).await, "SCREENED");

    // Communes never score; the centre scores only potential 5★; another province does not
    // see the dossier.
    assert_code(&score(&app, &c.commune.token, &id, 70.0).await, "FORBIDDEN");
    assert_code(
        &score(&app, &c.national.token, &id, 70.0).await,
        "INVALID_TRANSITION",
    );
    let stranger = app.province(QUANG_TRI).await;
    assert_code(&score(&app, &stranger.token, &id, 70.0).await, "NOT_FOUND");
    assert_eq!(status_of(&app, &c.national.token, &id).await, "SCREENED");

    // The first score moves it to PROVINCE_SCORING.
    let s = scored(&app, &c.council[0], &id, 70.0).await;
    assert_eq!(s["member"]["username"], c.council[0].username.as_str());
    assert_eq!(s["total"], 70.0);
    let e = evaluation(&app, &c.national.token, &id).await;
    assert_eq!(e["status"], "PROVINCE_SCORING");
    assert_eq!(e["provinceScores"].as_array().map(Vec::len), Some(1));

    // More members score in PROVINCE_SCORING.
    scored(&app, &c.council[1], &id, 80.0).await;
    let e = evaluation(&app, &c.national.token, &id).await;
    assert_eq!(e["status"], "PROVINCE_SCORING");
    assert_eq!(e["provinceScores"].as_array().map(Vec::len), Some(2));
    assert_eq!(e["provinceMean"], 75.0);
    assert_eq!(e["centralScores"], json!([]));

    assert_code(&score(&app, &c.commune.token, &id, 70.0).await, "FORBIDDEN");
    assert_code(
        &score(&app, &c.national.token, &id, 70.0).await,
        "INVALID_TRANSITION",
    );
    assert_code(&score(&app, &stranger.token, &id, 70.0).await, "NOT_FOUND");
}

#[tokio::test]
async fn score_parts_stay_in_their_ranges_and_have_at_most_two_decimals() {
    let app = spawn_app().await;
    let c = cast(&app, BMT).await;
    let product = c.product(&app, "Cà phê Buôn Ma Thuột").await;
    let id = screened(&app, &c, &product).await;
    let member = &c.council[0].token;

    for (p, field) in [
        ((40.01, 0.0, 0.0), "partA"),
        ((-0.01, 0.0, 0.0), "partA"),
        ((0.0, 25.01, 0.0), "partB"),
        ((0.0, -1.0, 0.0), "partB"),
        ((0.0, 0.0, 35.01), "partC"),
        ((0.0, 0.0, -0.5), "partC"),
    ] {
        assert_field(&score_parts(&app, member, &id, p, &[]).await, field);
    }
    assert_field(
        &score_parts(&app, member, &id, (30.0, 20.0, 30.0), &["   "]).await,
        "mandatoryCriteriaFailed",
    );
    let e = evaluation(&app, &c.national.token, &id).await;
    assert_eq!(e["status"], "SCREENED", "nothing was scored");
    assert_eq!(e["provinceScores"], json!([]));

    // The maximum, the minimum, and hundredths.
    let body = score_parts(&app, member, &id, (40.0, 25.0, 35.0), &[]).await;
    let s = data(&body, "submitOcopScores");
    assert_eq!(
        (&s["partA"], &s["partB"], &s["partC"], &s["total"]),
        (&json!(40.0), &json!(25.0), &json!(35.0), &json!(100.0))
    );
    let body = score_parts(&app, &c.council[1].token, &id, (0.0, 0.0, 0.0), &[]).await;
    assert_eq!(data(&body, "submitOcopScores")["total"], 0.0);
    // More than two decimals is refused, naming the part, never rounded (issue 14: a member's
    // 49.996 must not become 50.00).
    for (p, field) in [
        ((33.333, 10.0, 0.0), "partA"),
        ((33.33, 10.006, 0.0), "partB"),
        ((33.33, 10.01, 0.004), "partC"),
    ] {
        assert_field(
            &score_parts(&app, &c.council[2].token, &id, p, &[]).await,
            field,
        );
    }
    let body = score_parts(&app, &c.council[2].token, &id, (33.33, 10.01, 0.0), &[]).await;
    let s = data(&body, "submitOcopScores");
    assert_eq!(s["partA"], 33.33);
    assert_eq!(s["partB"], 10.01);
    assert_eq!(s["partC"], 0.0);
    assert_eq!(s["total"], 43.34);
    let e = evaluation(&app, &c.national.token, &id).await;
    assert_eq!(e["provinceMean"], 47.78, "(100 + 0 + 43.34) / 3");
}

#[tokio::test]
async fn a_member_submitting_again_replaces_the_score() {
    let app = spawn_app().await;
    let c = cast(&app, BMT).await;
    let product = c.product(&app, "Cà phê Buôn Ma Thuột").await;
    let id = screened(&app, &c, &product).await;

    let body = score_parts(
        &app,
        &c.council[0].token,
        &id,
        (20.0, 10.0, 15.5),
        &["Nguồn gốc nguyên liệu"],
    )
    .await;
    let s = data(&body, "submitOcopScores");
    assert_eq!(s["total"], 45.5);
    assert_eq!(
        s["mandatoryCriteriaFailed"],
        json!(["Nguồn gốc nguyên liệu"])
    );

    let body = score_parts(&app, &c.council[0].token, &id, (32.0, 20.0, 28.0), &[]).await;
    let s = data(&body, "submitOcopScores");
    assert_eq!(s["total"], 80.0);
    assert_eq!(s["mandatoryCriteriaFailed"], json!([]));

    let e = evaluation(&app, &c.national.token, &id).await;
    let scores = e["provinceScores"].as_array().expect("scores");
    assert_eq!(scores.len(), 1, "one score per member: {e:#}");
    assert_eq!(
        scores[0]["member"]["username"],
        c.council[0].username.as_str()
    );
    assert_eq!(scores[0]["partA"], 32.0);
    assert_eq!(scores[0]["total"], 80.0);
    assert_eq!(scores[0]["mandatoryCriteriaFailed"], json!([]));

    // The withdrawn failure no longer counts.
    score_all(&app, &c.council[1..], &id, &[80.0, 80.0]).await;
    let e = evaluation(&app, &c.national.token, &id).await;
    assert_eq!(e["provinceScores"].as_array().map(Vec::len), Some(3));
    let e = decided(&app, &c.province, &id, &today().to_string()).await;
    assert_eq!(e["status"], "CERTIFIED");
    assert_eq!(e["stars"], 4);
}

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

// ---------------------------------------------------------------------------------------------
// The public catalogue

const CATALOG: &str = "query($f: PublicCatalogFilter, $n: Int, $a: String) { \
    publicCatalog(filter: $f, first: $n, after: $a) { totalCount \
    pageInfo { hasNextPage endCursor } nodes { productId productName establishmentName \
    provinceName communeName ocopStars ocopCertificateNumber ocopValidUntil \
    highestRecognition recognitionValidUntil } } }";

/// `publicCatalog` without a token (the whole connection).
async fn catalog(app: &TestApp, filter: Value, first: i64, after: Option<&str>) -> Value {
    let body = app
        .gql(
            None,
            CATALOG,
            json!({ "f": filter, "n": first, "a": after }),
        )
        .await;
    data(&body, "publicCatalog").clone()
}

/// Product ids in the anonymous catalogue with `filter`, sorted.
async fn catalogued(app: &TestApp, filter: Value) -> Vec<String> {
    let conn = catalog(app, filter, 100, None).await;
    let nodes = conn["nodes"].as_array().expect("nodes");
    assert_eq!(conn["totalCount"], nodes.len(), "{conn:#}");
    sorted(
        nodes
            .iter()
            .map(|n| n["productId"].as_str().expect("productId").to_owned()),
    )
}

#[tokio::test]
async fn the_public_catalogue_is_anonymous_and_lists_only_certified_or_recognised_products() {
    let app = spawn_app().await;
    let c = cast(&app, BMT).await;
    let (certified_p, cert) = certified(&app, &c, "Cà phê Buôn Ma Thuột", 4, "2026-01-05").await;
    let (revoked_p, revoked_cert) = certified(&app, &c, "Mật ong rừng", 3, "2026-01-05").await;
    assert_ok(
        &revoke(&app, &c.province.token, &revoked_cert, "Vi phạm").await,
        "request",
    );
    let (expired_p, _) = certified(&app, &c, "Hạt điều", 4, "2023-01-10").await;
    let (central_p, _) = at_the_centre(&app, &c, "Tiêu đen").await;
    let uncertified = c.product(&app, "Ca cao").await;
    let recognised = c.product(&app, "Rượu cần").await;
    run_round(
        &app,
        &c.province,
        Area::Province(DAK_LAK),
        "PROVINCIAL",
        today().year(),
        json!({}),
        &[(&recognised, [80; 3])],
        None,
    )
    .await;

    let conn = catalog(&app, json!({}), 100, None).await;
    let nodes = conn["nodes"].as_array().expect("nodes");
    let ids = sorted(
        nodes
            .iter()
            .map(|n| n["productId"].as_str().expect("id").to_owned()),
    );
    assert_eq!(ids, sorted_refs(&[&certified_p, &recognised]), "{conn:#}");
    for absent in [&revoked_p, &expired_p, &central_p, &uncertified] {
        assert!(!ids.contains(absent));
    }

    let node = |id: &str| {
        nodes
            .iter()
            .find(|n| n["productId"] == id)
            .unwrap_or_else(|| panic!("{id} in {conn:#}"))
            .clone()
    };
    let certified_node = node(&certified_p);
    let cert = certificate(&app, &c.national.token, &cert).await;
    assert_eq!(certified_node["productName"], "Cà phê Buôn Ma Thuột");
    assert!(
        certified_node["establishmentName"]
            .as_str()
            .is_some_and(|n| n.starts_with("Cơ sở thử"))
    );
    assert_eq!(certified_node["provinceName"], "Đắk Lắk");
    assert_eq!(certified_node["communeName"], "Phường Buôn Ma Thuột");
    assert_eq!(certified_node["ocopStars"], 4);
    assert_eq!(
        certified_node["ocopCertificateNumber"],
        cert["decisionNumber"]
    );
    assert_eq!(certified_node["ocopValidUntil"], "2029-01-05");
    assert!(certified_node["highestRecognition"].is_null());

    let recognised_node = node(&recognised);
    assert!(recognised_node["ocopStars"].is_null());
    assert!(recognised_node["ocopCertificateNumber"].is_null());
    assert_eq!(recognised_node["highestRecognition"], "PROVINCIAL");
    assert_eq!(
        recognised_node["recognitionValidUntil"],
        NaiveDate::from_ymd_opt(today().year() + 2, 12, 31)
            .expect("date")
            .to_string()
    );

    // A signed-in user sees the same catalogue.
    let body = app
        .gql(Some(&c.commune.token), CATALOG, json!({ "n": 100 }))
        .await;
    assert_eq!(data(&body, "publicCatalog")["nodes"], conn["nodes"]);
}

#[tokio::test]
async fn the_public_catalogue_is_searchable_paginated_and_filtered() {
    let app = spawn_app().await;
    let dl = cast(&app, BMT).await;
    let qt = cast(&app, TRUONG_PHU).await;
    let on = "2026-01-05";
    let (bmt_coffee, _) = certified(&app, &dl, "Cà phê Buôn Ma Thuột", 4, on).await;
    let (honey, _) = certified(&app, &dl, "Mật ong rừng", 3, on).await;
    let (hat, _) = certified(&app, &qt, "Nón lá Trường Phú", 3, on).await;
    let (qt_coffee, _) = certified(&app, &qt, "Cà Phê Khe Sanh", 4, on).await;

    for term in ["ca phe", "CA PHE", "Cà phê", "cà phê"] {
        assert_eq!(
            catalogued(&app, json!({ "search": term })).await,
            sorted_refs(&[&bmt_coffee, &qt_coffee]),
            "{term}"
        );
    }
    assert_eq!(
        catalogued(&app, json!({ "search": "ca phe buon ma thuot" })).await,
        vec![bmt_coffee.clone()]
    );
    assert_eq!(
        catalogued(&app, json!({ "search": "non la" })).await,
        vec![hat.clone()]
    );
    assert_eq!(
        catalogued(&app, json!({ "provinceCode": QUANG_TRI })).await,
        sorted_refs(&[&hat, &qt_coffee])
    );
    assert_eq!(
        catalogued(&app, json!({ "minStars": 4 })).await,
        sorted_refs(&[&bmt_coffee, &qt_coffee])
    );
    assert_eq!(
        catalogued(&app, json!({ "minStars": 4, "provinceCode": DAK_LAK })).await,
        vec![bmt_coffee.clone()]
    );
    assert_eq!(
        catalogued(
            &app,
            json!({ "minStars": 3, "provinceCode": DAK_LAK, "search": "mat ong" })
        )
        .await,
        vec![honey.clone()]
    );
    assert!(catalogued(&app, json!({ "minStars": 5 })).await.is_empty());
    let body = app
        .gql(None, CATALOG, json!({ "f": { "minStars": 0 }, "n": 10 }))
        .await;
    assert_field(&body, "minStars");

    // Pages of two.
    let first = catalog(&app, json!({}), 2, None).await;
    assert_eq!(first["totalCount"], 4);
    assert_eq!(first["nodes"].as_array().map(Vec::len), Some(2));
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let cursor = first["pageInfo"]["endCursor"].as_str().expect("cursor");
    let second = catalog(&app, json!({}), 2, Some(cursor)).await;
    assert_eq!(second["totalCount"], 4);
    assert_eq!(second["nodes"].as_array().map(Vec::len), Some(2));
    assert_eq!(second["pageInfo"]["hasNextPage"], false);
    let paged = sorted(
        first["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .chain(second["nodes"].as_array().expect("nodes"))
            .map(|n| n["productId"].as_str().expect("id").to_owned()),
    );
    assert_eq!(paged, sorted_refs(&[&bmt_coffee, &honey, &hat, &qt_coffee]));
    let body = app.gql(None, CATALOG, json!({ "n": 101 })).await;
    assert_code(&body, "BAD_USER_INPUT");
}

#[tokio::test]
async fn the_public_catalogue_shows_no_personal_data() {
    let app = spawn_app().await;
    let c = cast(&app, BMT).await;
    let e = app
        .establishment(
            &c.national.token,
            BMT,
            json!({
                "taxCode": "6001234567",
                "representative": "Nguyễn Thị Hoa",
                "phone": "0912345678",
                "email": "hoa.nguyen@example.vn",
                "address": "12 Lê Duẩn",
            }),
        )
        .await;
    let product = id_of(
        &app.product(&c.national.token, &id_of(&e), "Cà phê Buôn Ma Thuột")
            .await,
    );
    let id = screened(&app, &c, &product).await;
    score_all(&app, &c.council, &id, &[80.0, 80.0, 80.0]).await;
    decided(&app, &c.province, &id, "2026-01-05").await;

    let body = app.gql(None, CATALOG, json!({ "n": 100 })).await;
    let conn = data(&body, "publicCatalog");
    assert_eq!(conn["totalCount"], 1);
    assert_eq!(conn["nodes"][0]["productId"], product.as_str());
    let text = body.to_string();
    for secret in [
        "6001234567",
        "Nguyễn Thị Hoa",
        "0912345678",
        "hoa.nguyen@example.vn",
        "12 Lê Duẩn",
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }

    for field in [
        "taxCode",
        "phone",
        "email",
        "representative",
        "address",
        "establishment { taxCode }",
    ] {
        let q = format!("{{ publicCatalog(first: 5) {{ nodes {{ {field} }} }} }}");
        let body = app.gql(None, &q, json!({})).await;
        let errors = body["errors"].as_array().expect("a validation error");
        assert!(!errors.is_empty(), "{field}: {body:#}");
        assert!(
            body["data"].is_null() || body.get("data").is_none(),
            "{field}: {body:#}"
        );
        let name = field.split_whitespace().next().expect("name");
        assert!(
            errors[0]["message"]
                .as_str()
                .is_some_and(|m| m.contains(name)),
            "{field}: {body:#}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Audit

#[tokio::test]
async fn every_ocop_step_is_audited_and_refusals_are_not() {
    let app = spawn_app().await;
    let c = cast(&app, BMT).await;
    let product = c.product(&app, "Cà phê Buôn Ma Thuột").await;
    let id = id_of(&opened(&app, &c.commune.token, &product).await);
    screen(&app, &c.commune.token, &id, 1, false, Some("Bổ sung")).await;
    screen(&app, &c.province.token, &id, 2, true, None).await;
    score_all(&app, &c.council, &id, &[95.0, 95.0, 95.0]).await;
    scored(&app, &c.council[2], &id, 96.0).await; // a replacement is audited too
    decided(&app, &c.province, &id, "2026-01-05").await;
    score_all(&app, &c.centre, &id, &[80.0, 80.0, 80.0]).await;
    decided(&app, &c.national, &id, "2026-01-05").await;
    let e = decided(&app, &c.province, &id, "2026-01-06").await;
    assert_eq!(e["status"], "CERTIFIED");
    let cert = id_of(&e["certificate"]);
    let body = revoke(&app, &c.national.token, &cert, "Vi phạm").await;
    assert_ok(&body, "request");

    let rows = audit_rows(&app, "OcopEvaluation", row_id(&id)).await;
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "create",
            "screen",
            "screen",
            "submitScores",
            "submitScores",
            "submitScores",
            "submitScores",
            "certify",
            "submitScores",
            "submitScores",
            "submitScores",
            "certify",
            "certify",
        ]
    );
    let actors: Vec<Option<i64>> = rows.iter().map(|r| r.actor_id).collect();
    let who = |u: &TestUser| Some(row_id(&u.id));
    assert_eq!(
        actors,
        [
            who(&c.commune),
            who(&c.commune),
            who(&c.province),
            who(&c.council[0]),
            who(&c.council[1]),
            who(&c.council[2]),
            who(&c.council[2]),
            who(&c.province),
            who(&c.centre[0]),
            who(&c.centre[1]),
            who(&c.centre[2]),
            who(&c.national),
            who(&c.province),
        ]
    );
    assert_eq!(rows[0].actor_role, Some(Role::Commune));
    assert_eq!(rows[7].actor_role, Some(Role::Province));
    assert_eq!(rows[11].actor_role, Some(Role::National));
    for r in &rows {
        assert_eq!(r.province_code.as_deref(), Some(DAK_LAK));
        assert_eq!(r.commune_code.as_deref(), Some(BMT));
    }
    let status_change = |i: usize| {
        let v: Value = serde_json::from_str(&rows[i].changes).expect("changes are JSON");
        (
            v["status"]["before"].as_str().map(str::to_owned),
            v["status"]["after"].as_str().map(str::to_owned),
        )
    };
    let s = |a: &str, b: &str| (Some(a.to_owned()), Some(b.to_owned()));
    assert_eq!(status_change(1), s("SUBMITTED", "RETURNED"));
    assert_eq!(status_change(2), s("RETURNED", "SCREENED"));
    assert_eq!(status_change(3), s("SCREENED", "PROVINCE_SCORING"));
    assert_eq!(status_change(7), s("PROVINCE_SCORING", "CENTRAL_SCORING"));
    assert_eq!(
        status_change(11),
        s("CENTRAL_SCORING", "CENTRAL_NOT_RECOGNIZED")
    );
    assert_eq!(status_change(12), s("CENTRAL_NOT_RECOGNIZED", "CERTIFIED"));

    let rows = audit_rows(&app, "OcopCertificate", row_id(&cert)).await;
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert!(actions.contains(&"revoke"), "{actions:?}");
    let revoke_row = rows.iter().find(|r| r.action == "revoke").expect("revoke");
    assert_eq!(revoke_row.actor_id, who(&c.national));
    assert_eq!(revoke_row.province_code.as_deref(), Some(DAK_LAK));

    // Refused steps write nothing.
    let product = c.product(&app, "Mật ong rừng").await;
    let id = id_of(&opened(&app, &c.commune.token, &product).await);
    let before = audit_count(&app).await;
    assert_code(
        &create(&app, &c.commune.token, &product, 2026, "NEW", None).await,
        "CONFLICT",
    );
    assert_code(
        &screen(&app, &c.commune.token, &id, 5, true, None).await,
        "CONFLICT",
    );
    assert_code(
        &screen(&app, &c.national.token, &id, 1, true, None).await,
        "FORBIDDEN",
    );
    assert_code(
        &score(&app, &c.council[0].token, &id, 80.0).await,
        "INVALID_TRANSITION",
    );
    assert_code(
        &certify_now(&app, &c.province, &id, "2026-01-05").await,
        "INVALID_TRANSITION",
    );
    assert_code(
        &revoke(&app, &c.national.token, &cert, "Lần nữa").await,
        "INVALID_TRANSITION",
    );
    assert_eq!(audit_count(&app).await, before);
}

// ---------------------------------------------------------------------------------------------
// Batched loading

const NESTED: &str = "{ ocopCertificates(first: 50) { nodes { product { name establishment { \
    name } currentOcopCertificate { stars } } evaluation { provinceScores { member { username } \
    total } } } } }";

/// SQL statements run by one [`NESTED`] request; checks the rows came back.
async fn statements(app: &TestApp, token: &str, count: usize) -> f64 {
    let (data, statements) = app.ok_counting(token, NESTED, json!({})).await;
    let nodes = data["ocopCertificates"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone();
    assert_eq!(nodes.len(), count);
    for n in &nodes {
        assert!(n["product"]["name"].is_string(), "{n:#}");
        assert!(n["product"]["establishment"]["name"].is_string(), "{n:#}");
        assert!(
            n["product"]["currentOcopCertificate"]["stars"].is_i64(),
            "{n:#}"
        );
        let scores = n["evaluation"]["provinceScores"]
            .as_array()
            .expect("scores");
        assert_eq!(scores.len(), 3, "{n:#}");
        assert!(scores[0]["member"]["username"].is_string(), "{n:#}");
    }
    statements
}

#[tokio::test]
async fn statements_for_certificates_do_not_grow_with_the_rows() {
    let app = spawn_app().await;
    let c = cast(&app, BMT).await;
    for i in 0..2 {
        certified(
            &app,
            &c,
            &format!("Sản phẩm {i}"),
            3 + (i % 2),
            "2026-01-05",
        )
        .await;
    }
    statements(&app, &c.national.token, 2).await;
    let for_two = statements(&app, &c.national.token, 2).await;
    for i in 2..6 {
        certified(
            &app,
            &c,
            &format!("Sản phẩm {i}"),
            3 + (i % 2),
            "2026-01-05",
        )
        .await;
    }
    statements(&app, &c.national.token, 6).await;
    let for_six = statements(&app, &c.national.token, 6).await;
    assert!(for_two > 0.0, "statements are counted");
    assert_eq!(
        for_two, for_six,
        "2 certificates: {for_two} statements, 6 certificates: {for_six}"
    );
}
