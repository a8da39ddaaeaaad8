//! The audit trail of selection mutations (nothing for a refusal) and the change feed of a
//! closed round.

use super::*;

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
