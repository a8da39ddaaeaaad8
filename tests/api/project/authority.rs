//! The authority matrices: who may take each money, beneficiary and lifecycle action on a
//! project of commune BMT, and read-only accounts.

use super::*;

// ---------------------------------------------------------------------------------------------
// Authority matrix of the money and beneficiary mutations: [commune, province, other, national]

#[tokio::test]
async fn authority_update_project() {
    let w = World::new().await;
    for level in LEVELS {
        let p = w.project(level, json!({})).await;
        for (who, exp) in WHO.into_iter().zip([Y, Y, NF, Y]) {
            let title = format!("Đề án sửa bởi {who:?}");
            let body = w
                .update(&w.user(who).token, &p, json!({ "title": title }))
                .await;
            expect(&body, exp, &format!("{who:?} updates a {level} project"));
            if exp == Y {
                assert_eq!(body["data"]["updateProject"]["title"], title.as_str());
            }
        }
    }
}

#[tokio::test]
async fn authority_add_beneficiary() {
    let w = World::new().await;
    for level in LEVELS {
        let p = w.project(level, json!({})).await;
        for (who, exp) in WHO.into_iter().zip([Y, Y, NF, Y]) {
            let e = w.new_establishment().await;
            let body = w
                .add(&w.user(who).token, &p, &e, 10_000_000, 10_000_000)
                .await;
            expect(&body, exp, &format!("{who:?} adds to a {level} project"));
        }
        let p = w.get(&p).await;
        assert_eq!(p["beneficiaries"].as_array().expect("list").len(), 3);
        assert_eq!(vnd(&p["supportVnd"]), 30_000_000);
        assert_eq!(vnd(&p["counterpartVnd"]), 30_000_000);
        assert_eq!(vnd(&p["totalVnd"]), 60_000_000);
    }
}

#[tokio::test]
async fn authority_remove_beneficiary() {
    let w = World::new().await;
    for level in LEVELS {
        let p = w.project(level, json!({})).await;
        let mut es = Vec::new();
        for _ in 0..3 {
            let e = w.new_establishment().await;
            assert_ok(
                &w.add(&w.commune.token, &p, &e, 10_000_000, 10_000_000)
                    .await,
                "add",
            );
            es.push(e);
        }
        let mut next = es.iter();
        for (who, exp) in WHO.into_iter().zip([Y, Y, NF, Y]) {
            let e = if exp == Y {
                next.next().expect("one per allowed role")
            } else {
                &es[2]
            };
            let body = w.remove(&w.user(who).token, &p, e).await;
            expect(
                &body,
                exp,
                &format!("{who:?} removes from a {level} project"),
            );
        }
        let p = w.get(&p).await;
        assert_eq!(p["beneficiaries"].as_array().expect("list").len(), 0);
        assert_eq!(vnd(&p["supportVnd"]), 0);
    }
}

#[tokio::test]
async fn authority_allocate_funding() {
    let w = World::new().await;
    for (level, row) in [("LOCAL", [F, Y, NF, F]), ("NATIONAL", [F, F, NF, Y])] {
        let p = w.project(level, json!({})).await;
        assert_ok(
            &w.add(&w.commune.token, &p, &w.establishment, SUPPORT, SUPPORT)
                .await,
            "add",
        );
        for (who, exp) in WHO.into_iter().zip(row) {
            let body = w
                .allocate(&w.user(who).token, &p, w.source_for(level), 10_000_000)
                .await;
            expect(
                &body,
                exp,
                &format!("{who:?} allocates to a {level} project"),
            );
        }
        assert_eq!(vnd(&w.get(&p).await["allocatedVnd"]), 10_000_000);
    }
}

#[tokio::test]
async fn authority_release_allocation() {
    let w = World::new().await;
    for (level, row) in [("LOCAL", [F, Y, NF, F]), ("NATIONAL", [F, F, NF, Y])] {
        let p = w.project(level, json!({})).await;
        assert_ok(
            &w.add(&w.commune.token, &p, &w.establishment, SUPPORT, SUPPORT)
                .await,
            "add",
        );
        let a = w
            .allocated(&w.approver(level).token, &p, w.source_for(level), SUPPORT)
            .await;
        for (who, exp) in WHO.into_iter().zip(row) {
            if exp == Y {
                continue;
            }
            let body = release_raw(&w.app, &w.user(who).token, &a).await;
            expect(
                &body,
                exp,
                &format!("{who:?} releases on a {level} project"),
            );
        }
        assert_eq!(w.allocation(&p, &a).await["released"], false);
        for (who, exp) in WHO.into_iter().zip(row) {
            if exp != Y {
                continue;
            }
            let body = release_raw(&w.app, &w.user(who).token, &a).await;
            expect(
                &body,
                exp,
                &format!("{who:?} releases on a {level} project"),
            );
            assert_eq!(body["data"]["releaseAllocation"]["released"], true);
        }
    }
}

#[tokio::test]
async fn authority_record_disbursement() {
    let w = World::new().await;
    for (level, row) in [("LOCAL", [F, Y, NF, F]), ("NATIONAL", [F, Y, NF, Y])] {
        let (p, a) = w.at(level, "APPROVED").await;
        for (who, exp) in WHO.into_iter().zip(row) {
            let body = disburse_raw(&w.app, &w.user(who).token, &a, 1_000_000).await;
            expect(
                &body,
                exp,
                &format!("{who:?} disburses on a {level} project"),
            );
        }
        let allowed = row.iter().filter(|e| **e == Y).count() as i64;
        assert_eq!(vnd(&w.get(&p).await["disbursedVnd"]), allowed * 1_000_000);
    }
}

// ---------------------------------------------------------------------------------------------
// Authority matrix of the lifecycle: [commune, province, other province, national] per level

async fn transition_authority(action: &str, from: &str, local: [Exp; 4], national: [Exp; 4]) {
    let to = LIFECYCLE
        .iter()
        .find(|t| t.0 == action)
        .expect("an action of the table")
        .2;
    let w = World::new().await;
    for (level, row) in [("LOCAL", local), ("NATIONAL", national)] {
        // The refused roles, on one project in the right state: nothing moves.
        let (p, _) = w.at(level, from).await;
        let v = w.version(&p).await;
        for (who, exp) in WHO.into_iter().zip(row) {
            if exp == Y {
                continue;
            }
            let body = w.act(&w.user(who).token, &p, action).await;
            expect(
                &body,
                exp,
                &format!("{who:?} {action} a {level} project in {from}"),
            );
        }
        assert_eq!(w.status(&p).await, from);
        assert_eq!(w.version(&p).await, v);
        // Each allowed role, on a project of its own.
        for (who, exp) in WHO.into_iter().zip(row) {
            if exp != Y {
                continue;
            }
            let (p, _) = w.at(level, from).await;
            let body = w.act(&w.user(who).token, &p, action).await;
            expect(
                &body,
                exp,
                &format!("{who:?} {action} a {level} project in {from}"),
            );
            assert_eq!(body["data"]["transitionProject"]["status"], to);
            let h = w.get(&p).await["history"].clone();
            let last = h.as_array().and_then(|h| h.last()).expect("history");
            assert_eq!(last["action"], action);
            assert_eq!(last["actor"]["id"], w.user(who).id.as_str());
        }
    }
}

#[tokio::test]
async fn authority_submit() {
    transition_authority("SUBMIT", "DRAFT", [Y, Y, NF, F], [Y, Y, NF, F]).await;
}

#[tokio::test]
async fn authority_return() {
    transition_authority("RETURN", "SUBMITTED", [F, Y, NF, F], [F, Y, NF, F]).await;
}

#[tokio::test]
async fn authority_appraise() {
    transition_authority("APPRAISE", "SUBMITTED", [F, Y, NF, F], [F, Y, NF, F]).await;
}

#[tokio::test]
async fn authority_approve() {
    transition_authority("APPROVE", "APPRAISED", [F, Y, NF, F], [F, F, NF, Y]).await;
}

#[tokio::test]
async fn authority_reject_submitted() {
    transition_authority("REJECT", "SUBMITTED", [F, Y, NF, F], [F, F, NF, Y]).await;
}

#[tokio::test]
async fn authority_reject_appraised() {
    transition_authority("REJECT", "APPRAISED", [F, Y, NF, F], [F, F, NF, Y]).await;
}

#[tokio::test]
async fn authority_start() {
    transition_authority("START", "APPROVED", [F, Y, NF, F], [F, Y, NF, F]).await;
}

#[tokio::test]
async fn authority_accept() {
    transition_authority("ACCEPT", "IN_PROGRESS", [F, Y, NF, F], [F, F, NF, Y]).await;
}

#[tokio::test]
async fn authority_settle() {
    transition_authority("SETTLE", "ACCEPTED", [F, Y, NF, F], [F, F, NF, Y]).await;
}

#[tokio::test]
async fn authority_stop_approved() {
    transition_authority("STOP", "APPROVED", [F, Y, NF, F], [F, F, NF, Y]).await;
}

#[tokio::test]
async fn authority_stop_in_progress() {
    transition_authority("STOP", "IN_PROGRESS", [F, Y, NF, F], [F, F, NF, Y]).await;
}

#[tokio::test]
async fn authority_cancel_draft() {
    transition_authority("CANCEL", "DRAFT", [Y, Y, NF, Y], [Y, Y, NF, Y]).await;
}

#[tokio::test]
async fn authority_cancel_submitted() {
    transition_authority("CANCEL", "SUBMITTED", [Y, Y, NF, Y], [Y, Y, NF, Y]).await;
}

#[tokio::test]
async fn the_role_is_checked_before_the_state() {
    let w = World::new().await;
    let (p, _) = w.at("LOCAL", "SETTLED").await;
    // A commune may never approve: FORBIDDEN even where APPROVE is impossible anyway.
    expect_code(
        &w.act(&w.commune.token, &p, "APPROVE").await,
        "FORBIDDEN",
        "commune approves a settled project",
    );
    expect_code(
        &w.act(&w.province.token, &p, "APPROVE").await,
        "INVALID_TRANSITION",
        "province approves a settled project",
    );
}

#[tokio::test]
async fn read_only_accounts_are_forbidden_every_project_mutation() {
    let w = World::new().await;
    let ro_province = w
        .app
        .user(Role::Province, Some(DAK_LAK), None, false, true)
        .await;
    let ro_national = w.app.user(Role::National, None, None, false, true).await;
    let ro_commune = w
        .app
        .user(Role::Commune, None, Some(BMT), false, true)
        .await;
    let (draft, draft_alloc) = w.funded("LOCAL").await;
    let (approved, approved_alloc) = w.at("LOCAL", "APPROVED").await;
    let (national, _) = w.at("NATIONAL", "APPRAISED").await;
    let e = w.new_establishment().await;
    let before = [
        w.get(&draft).await,
        w.get(&approved).await,
        w.get(&national).await,
    ];

    for ro in [&ro_province, &ro_commune] {
        let t = &ro.token;
        let who = &ro.username;
        expect_code(
            &create_project_raw(&w.app, t, project_input("LOCAL", DAK_LAK, json!({})), None).await,
            "FORBIDDEN",
            who,
        );
        expect_code(
            &w.update(t, &draft, json!({ "title": "x" })).await,
            "FORBIDDEN",
            who,
        );
        expect_code(
            &w.add(t, &draft, &e, 1_000_000, 1_000_000).await,
            "FORBIDDEN",
            who,
        );
        expect_code(
            &w.remove(t, &draft, &w.establishment).await,
            "FORBIDDEN",
            who,
        );
        expect_code(&w.act(t, &draft, "SUBMIT").await, "FORBIDDEN", who);
    }
    let t = &ro_province.token;
    expect_code(
        &w.allocate(t, &draft, &w.local_source, 1).await,
        "FORBIDDEN",
        "read-only province allocates",
    );
    expect_code(
        &release_raw(&w.app, t, &draft_alloc).await,
        "FORBIDDEN",
        "read-only province releases",
    );
    expect_code(
        &disburse_raw(&w.app, t, &approved_alloc, 1).await,
        "FORBIDDEN",
        "read-only province disburses",
    );
    expect_code(
        &w.act(t, &approved, "START").await,
        "FORBIDDEN",
        "read-only province starts",
    );
    expect_code(
        &create_source_raw(&w.app, t, source_input("LOCAL", None, YEAR, 1)).await,
        "FORBIDDEN",
        "read-only province creates a source",
    );
    let t = &ro_national.token;
    expect_code(
        &w.act(t, &national, "APPROVE").await,
        "FORBIDDEN",
        "read-only national approves",
    );
    expect_code(
        &w.allocate(t, &national, &w.national_source, 1).await,
        "FORBIDDEN",
        "read-only national allocates",
    );
    expect_code(
        &create_source_raw(&w.app, t, source_input("NATIONAL", None, YEAR, 1)).await,
        "FORBIDDEN",
        "read-only national creates a source",
    );

    let after = [
        w.get(&draft).await,
        w.get(&approved).await,
        w.get(&national).await,
    ];
    assert_eq!(before, after, "read-only accounts changed nothing");
    // Reading is fine.
    assert!(!get_project(&w.app, t, &draft).await.is_null());
}
