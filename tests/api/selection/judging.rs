//! Who judges a round at each level, score ranges, the scoring window and replaced scorecards.

use super::*;

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
