//! The provincial council's scores: whose, in which ranges, and replaced on a new submission.

use super::*;

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
