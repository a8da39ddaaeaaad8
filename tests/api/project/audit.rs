//! What a project mutation leaves behind: audit events, conflicts on a stale version,
//! idempotent replays, and the change feed.

use super::*;

// ---------------------------------------------------------------------------------------------
// Audit trail, optimistic concurrency, idempotency

#[tokio::test]
async fn every_project_mutation_writes_an_audit_event() {
    let w = World::new().await;
    let level = "LOCAL";
    let user_row = |u: &TestUser| row_id(&u.id);
    // (project, action, actor) in the order taken.
    let mut expected: Vec<(String, &str, &TestUser)> = Vec::new();

    let p = w.project(level, json!({})).await;
    expected.push((p.clone(), "create", &w.commune));
    assert_ok(
        &w.add(&w.commune.token, &p, &w.establishment, SUPPORT, SUPPORT)
            .await,
        "add",
    );
    expected.push((p.clone(), "addBeneficiary", &w.commune));
    let a = w
        .allocated(&w.province.token, &p, &w.local_source, SUPPORT)
        .await;
    for action in ["SUBMIT", "APPRAISE", "APPROVE"] {
        w.step(&p, level, action).await;
        expected.push((p.clone(), action, w.actor_for(action, level)));
    }
    let body = disburse_raw(&w.app, &w.province.token, &a, 10_000_000).await;
    assert_ok(&body, "disburse");
    let d = id_of(&body["data"]["recordDisbursement"]);
    for action in ["START", "ACCEPT", "SETTLE"] {
        w.step(&p, level, action).await;
        expected.push((p.clone(), action, w.actor_for(action, level)));
    }
    // The other transitions, on other projects.
    let (q, _) = w.funded(level).await;
    for action in ["SUBMIT", "RETURN", "CANCEL"] {
        w.step(&q, level, action).await;
        expected.push((q.clone(), action, w.actor_for(action, level)));
    }
    let (r, _) = w.at(level, "SUBMITTED").await;
    w.step(&r, level, "REJECT").await;
    expected.push((r.clone(), "REJECT", &w.province));
    let (s, _) = w.at(level, "APPROVED").await;
    w.step(&s, level, "STOP").await;
    expected.push((s.clone(), "STOP", &w.province));

    for project in [&p, &q, &r, &s] {
        let want: Vec<(&str, i64)> = expected
            .iter()
            .filter(|(id, _, _)| id == project)
            .map(|(_, action, actor)| (*action, user_row(actor)))
            .collect();
        let rows = audit_rows(&w.app, "Project", row_id(project)).await;
        let got: Vec<(&str, i64)> = rows
            .iter()
            .filter(|r| want.iter().any(|(a, _)| *a == r.action))
            .map(|r| (r.action.as_str(), r.actor_id.unwrap_or(-1)))
            .collect();
        if project == &p {
            assert_eq!(got, want, "audit of the full lifecycle");
        } else {
            for item in &want {
                assert!(got.contains(item), "{item:?} audited: {got:?}");
            }
        }
        for row in &rows {
            if LIFECYCLE.iter().any(|t| t.0 == row.action) {
                let changes: Value = serde_json::from_str(&row.changes).expect("JSON changes");
                assert!(
                    changes["status"]["before"].is_string()
                        && changes["status"]["after"].is_string(),
                    "a transition records the status before and after: {changes:#}"
                );
                assert_eq!(row.province_code.as_deref(), Some(DAK_LAK));
            }
        }
    }
    let create = &audit_rows(&w.app, "Project", row_id(&p)).await[0];
    assert_eq!(create.action, "create");
    assert_eq!(create.actor_role, Some(Role::Commune));
    assert_eq!(create.commune_code.as_deref(), Some(BMT));

    let rows = audit_rows(&w.app, "Allocation", row_id(&a)).await;
    assert_eq!(
        rows.iter().filter(|r| r.action == "allocate").count(),
        1,
        "{rows:?}"
    );
    assert_eq!(rows[0].actor_id, Some(user_row(&w.province)));
    let changes: Value = serde_json::from_str(&rows[0].changes).expect("JSON");
    assert_eq!(changes["amount_vnd"]["after"], SUPPORT, "{changes:#}");

    let rows = audit_rows(&w.app, "Disbursement", row_id(&d)).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].action, "disburse");
    assert_eq!(rows[0].actor_id, Some(user_row(&w.province)));
}

#[tokio::test]
async fn a_stale_expected_version_is_a_conflict_and_changes_nothing() {
    let w = World::new().await;
    let p = w.project("LOCAL", json!({})).await;
    assert_ok(
        &w.add(&w.commune.token, &p, &w.establishment, SUPPORT, SUPPORT)
            .await,
        "add",
    );
    let current = w.version(&p).await;
    let stale = current - 1;
    let before = w.get(&p).await;
    let t = &w.commune.token;
    let e = w.new_establishment().await;

    assert_code(
        &update_raw(&w.app, t, &p, stale, json!({ "title": "Cũ" })).await,
        "CONFLICT",
    );
    assert_code(
        &add_raw(&w.app, t, &p, stale, &e, 1_000_000, 1_000_000).await,
        "CONFLICT",
    );
    assert_code(
        &remove_raw(&w.app, t, &p, stale, &w.establishment).await,
        "CONFLICT",
    );
    assert_code(
        &transition_raw(&w.app, t, &p, stale, "SUBMIT", None, None).await,
        "CONFLICT",
    );
    assert_code(
        &transition_raw(&w.app, t, &p, current + 1, "SUBMIT", None, None).await,
        "CONFLICT",
    );
    assert_eq!(before, w.get(&p).await, "nothing changed");

    // The current version works.
    let body = transition_raw(&w.app, t, &p, current, "SUBMIT", None, None).await;
    assert_ok(&body, "submit at the current version");
    assert_eq!(body["data"]["transitionProject"]["version"], current + 1);
}

#[tokio::test]
async fn an_idempotency_key_on_create_project_returns_the_first_result() {
    let w = World::new().await;
    let t = &w.commune.token;
    let first = create_project_raw(
        &w.app,
        t,
        project_input("LOCAL", DAK_LAK, json!({ "title": "Lần đầu" })),
        Some("tao-de-an-1"),
    )
    .await;
    assert_ok(&first, "first");
    let again = create_project_raw(
        &w.app,
        t,
        project_input("LOCAL", DAK_LAK, json!({ "title": "Gửi lại" })),
        Some("tao-de-an-1"),
    )
    .await;
    assert_ok(&again, "retry");
    assert_eq!(
        again["data"]["createProject"], first["data"]["createProject"],
        "the retry returns the first project"
    );
    let total = |token: &str| {
        let app = &w.app;
        let token = token.to_owned();
        async move {
            app.ok(Some(&token), LIST, json!({ "f": {} })).await["projects"]["totalCount"]
                .as_i64()
                .expect("totalCount")
        }
    };
    assert_eq!(total(t).await, 1, "one project");
    // Another user's key is its own.
    let other = create_project_raw(
        &w.app,
        &w.province.token,
        project_input("LOCAL", DAK_LAK, json!({})),
        Some("tao-de-an-1"),
    )
    .await;
    assert_ok(&other, "another user, same key");
    assert_ne!(
        other["data"]["createProject"]["id"],
        first["data"]["createProject"]["id"]
    );
    assert_eq!(total(&w.national.token).await, 2);
    let p = id_of(&first["data"]["createProject"]);
    let creates = audit_rows(&w.app, "Project", row_id(&p))
        .await
        .into_iter()
        .filter(|r| r.action == "create")
        .count();
    assert_eq!(creates, 1);
}

#[tokio::test]
async fn an_idempotency_key_on_allocate_funding_returns_the_first_allocation() {
    let w = World::new().await;
    let t = &w.province.token;
    let p = w.project("LOCAL", json!({})).await;
    assert_ok(
        &w.add(&w.commune.token, &p, &w.establishment, SUPPORT, SUPPORT)
            .await,
        "add",
    );
    let first = allocate_raw(
        &w.app,
        t,
        &p,
        &w.local_source,
        40_000_000,
        Some("phan-bo-1"),
    )
    .await;
    assert_ok(&first, "first");
    let again = allocate_raw(
        &w.app,
        t,
        &p,
        &w.local_source,
        40_000_000,
        Some("phan-bo-1"),
    )
    .await;
    assert_ok(&again, "retry");
    assert_eq!(
        again["data"]["allocateFunding"],
        first["data"]["allocateFunding"]
    );
    assert_eq!(vnd(&w.get(&p).await["allocatedVnd"]), 40_000_000);
    assert_eq!(
        vnd(&w.source(&w.local_source).await["allocatedVnd"]),
        40_000_000
    );
    assert_eq!(
        w.get(&p).await["allocations"]
            .as_array()
            .expect("list")
            .len(),
        1
    );
    // A new key is a new allocation.
    assert_ok(
        &allocate_raw(
            &w.app,
            t,
            &p,
            &w.local_source,
            40_000_000,
            Some("phan-bo-2"),
        )
        .await,
        "new key",
    );
    assert_eq!(vnd(&w.get(&p).await["allocatedVnd"]), 80_000_000);
}

// ---------------------------------------------------------------------------------------------
// The change feed (issue #11): every record a money mutation changes, once

/// `(entity, global id, operation)` of a change.
fn change(entity: &str, id: &str, operation: &str) -> (String, String, String) {
    (entity.to_owned(), id.to_owned(), operation.to_owned())
}

#[tokio::test]
async fn every_record_a_money_mutation_changes_reaches_the_feed_once_in_its_transaction() {
    use crate::changes::changes_since;
    let w = World::new().await;
    let token = &w.national.token;
    let p = w.project("LOCAL", json!({})).await;
    let body = w
        .add(&w.commune.token, &p, &w.establishment, SUPPORT, SUPPORT)
        .await;
    assert_ok(&body, "addBeneficiary");
    let (_, start) = changes_since(&w.app, token, None, 1).await;
    let src = w.local_source.clone();

    // Allocating creates the allocation and moves the source's and the project's totals.
    let a = w.allocated(&w.province.token, &p, &src, SUPPORT).await;
    let (rows, after_allocate) = changes_since(&w.app, token, start.clone(), 3).await;
    assert_eq!(
        rows,
        vec![
            change("ALLOCATION", &a, "CREATE"),
            change("FUNDING_SOURCE", &src, "UPDATE"),
            change("PROJECT", &p, "UPDATE"),
        ]
    );
    // The commune sees its project's changes, not the province's source.
    let (seen, _) = changes_since(&w.app, &w.commune.token, start, 2).await;
    assert_eq!(
        seen,
        vec![
            change("ALLOCATION", &a, "CREATE"),
            change("PROJECT", &p, "UPDATE")
        ]
    );

    // A disbursement moves the allocation's, the source's and the project's totals.
    w.drive(&p, "LOCAL", "APPROVED").await;
    let (rows, before_disburse) = changes_since(&w.app, token, after_allocate, 3).await;
    assert_eq!(
        rows,
        vec![change("PROJECT", &p, "UPDATE"); 3],
        "three steps"
    );
    let body = disburse_raw(&w.app, &w.province.token, &a, SUPPORT / 10).await;
    assert_ok(&body, "recordDisbursement");
    let d = id_of(&body["data"]["recordDisbursement"]);
    let (rows, before_stop) = changes_since(&w.app, token, before_disburse, 4).await;
    assert_eq!(
        rows,
        vec![
            change("DISBURSEMENT", &d, "CREATE"),
            change("ALLOCATION", &a, "UPDATE"),
            change("FUNDING_SOURCE", &src, "UPDATE"),
            change("PROJECT", &p, "UPDATE"),
        ]
    );
    let (after_disburse, _) = changes_since(&w.app, token, before_stop.clone(), 0).await;
    assert!(after_disburse.is_empty(), "{after_disburse:?}");

    // Stopping releases the rest: the project changes once although its status and its
    // allocated total both moved; the allocation and the source change with it.
    let body = w.act(&w.province.token, &p, "STOP").await;
    assert_ok(&body, "STOP");
    let (rows, before_release) = changes_since(&w.app, token, before_stop, 3).await;
    assert_eq!(
        rows,
        vec![
            change("PROJECT", &p, "UPDATE"),
            change("ALLOCATION", &a, "UPDATE"),
            change("FUNDING_SOURCE", &src, "UPDATE"),
        ]
    );

    // Releasing an allocation of a draft project gives its money back to the source.
    let p2 = w.project("LOCAL", json!({})).await;
    let body = w
        .add(&w.commune.token, &p2, &w.establishment, SUPPORT, SUPPORT)
        .await;
    assert_ok(&body, "addBeneficiary");
    let a2 = w.allocated(&w.province.token, &p2, &src, SUPPORT).await;
    let (_, before) = changes_since(&w.app, token, before_release, 5).await;
    assert_ok(
        &release_raw(&w.app, &w.province.token, &a2).await,
        "releaseAllocation",
    );
    let (rows, _) = changes_since(&w.app, token, before, 3).await;
    assert_eq!(
        rows,
        vec![
            change("ALLOCATION", &a2, "UPDATE"),
            change("FUNDING_SOURCE", &src, "UPDATE"),
            change("PROJECT", &p2, "UPDATE"),
        ]
    );
    // The project's served totals are what the feed announced.
    let project = w.get(&p2).await;
    assert_eq!(vnd(&project["allocatedVnd"]), 0);
}
