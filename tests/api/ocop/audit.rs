//! The audit trail of every OCOP step; refusals write nothing.

use super::*;

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
