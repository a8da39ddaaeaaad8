//! Results: the threshold to the hundredth, the scorecard quorum, a frozen closed round and
//! the validity and date of a recognition.

use super::*;

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
