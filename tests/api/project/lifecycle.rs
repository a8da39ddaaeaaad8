//! The lifecycle: every allowed transition, every other one refused, approval's conditions,
//! what may change in which state, and the history.

use super::*;

async fn allowed_transitions(level: &str) {
    let w = World::new().await;
    for (action, froms, to) in LIFECYCLE {
        for from in *froms {
            let (p, _) = w.at(level, from).await;
            let before = w.get(&p).await;
            let actor = w.actor_for(action, level);
            let comment = format!("{action} từ {from}: đồng ý");
            let body = w
                .act_with(&actor.token, &p, action, Some(&comment), None)
                .await;
            assert_ok(&body, &format!("{action} from {from} ({level})"));
            let after = &body["data"]["transitionProject"];
            assert_eq!(after["status"], *to, "{action} from {from}");
            assert_eq!(
                after["version"].as_i64(),
                before["version"].as_i64().map(|v| v + 1),
                "a transition bumps the version"
            );
            let history = w.get(&p).await["history"].clone();
            let history = history.as_array().expect("history");
            assert_eq!(
                history.len(),
                path(from).len() + 1,
                "one event per transition"
            );
            let last = history.last().expect("an event");
            assert_eq!(last["action"], *action);
            assert_eq!(last["fromStatus"], *from);
            assert_eq!(last["toStatus"], *to);
            assert_eq!(last["actor"]["id"], actor.id.as_str());
            assert_eq!(last["comment"], comment.as_str());
            assert!(last["at"].is_string());
        }
    }
}

#[tokio::test]
async fn allowed_transitions_of_a_local_project() {
    allowed_transitions("LOCAL").await;
}

#[tokio::test]
async fn allowed_transitions_of_a_national_project() {
    allowed_transitions("NATIONAL").await;
}

async fn invalid_transitions(level: &str) {
    let w = World::new().await;
    for status in STATUSES {
        let (p, _) = w.at(level, status).await;
        let before = w.get(&p).await;
        for (action, froms, _) in LIFECYCLE {
            if froms.contains(&status) {
                continue;
            }
            let body = w.act(&w.actor_for(action, level).token, &p, action).await;
            expect_code(
                &body,
                "INVALID_TRANSITION",
                &format!("{action} from {status} ({level})"),
            );
        }
        let after = w.get(&p).await;
        assert_eq!(
            before, after,
            "refused transitions change nothing ({status})"
        );
    }
}

#[tokio::test]
async fn every_other_transition_of_a_local_project_is_invalid() {
    invalid_transitions("LOCAL").await;
}

#[tokio::test]
async fn every_other_transition_of_a_national_project_is_invalid() {
    invalid_transitions("NATIONAL").await;
}

#[tokio::test]
async fn approval_needs_full_funding_and_a_beneficiary() {
    let w = World::new().await;
    for level in LEVELS {
        let approver = &w.approver(level).token;
        let source = w.source_for(level);

        // Partly funded: refused until the rest is allocated (possible in APPRAISED).
        let p = w.project(level, json!({})).await;
        assert_ok(
            &w.add(&w.commune.token, &p, &w.establishment, SUPPORT, SUPPORT)
                .await,
            "add",
        );
        w.allocated(approver, &p, source, 60_000_000).await;
        w.drive(&p, level, "APPRAISED").await;
        expect_code(
            &w.act(approver, &p, "APPROVE").await,
            "INVALID_TRANSITION",
            "approve with 60 % funded",
        );
        w.allocated(approver, &p, source, 40_000_000).await;
        assert_ok(
            &w.act(approver, &p, "APPROVE").await,
            "approve fully funded",
        );

        // Not funded at all.
        let p = w.project(level, json!({})).await;
        assert_ok(
            &w.add(&w.commune.token, &p, &w.establishment, SUPPORT, SUPPORT)
                .await,
            "add",
        );
        w.drive(&p, level, "APPRAISED").await;
        expect_code(
            &w.act(approver, &p, "APPROVE").await,
            "INVALID_TRANSITION",
            "approve unfunded",
        );

        // Fully funded general support but no beneficiary (INDIVIDUAL).
        let p = w
            .project(level, json!({ "generalSupportVnd": 50_000_000 }))
            .await;
        w.allocated(approver, &p, source, 50_000_000).await;
        w.drive(&p, level, "APPRAISED").await;
        expect_code(
            &w.act(approver, &p, "APPROVE").await,
            "INVALID_TRANSITION",
            "approve an individual project without beneficiaries",
        );
        assert_eq!(w.status(&p).await, "APPRAISED");

        // A GROUP project needs no beneficiary, but still full funding above zero.
        let p = w
            .project(
                level,
                json!({ "kind": "GROUP", "generalSupportVnd": 50_000_000 }),
            )
            .await;
        w.allocated(approver, &p, source, 50_000_000).await;
        w.drive(&p, level, "APPROVED").await;
        let p = w.project(level, json!({ "kind": "GROUP" })).await;
        w.drive(&p, level, "APPRAISED").await;
        expect_code(
            &w.act(approver, &p, "APPROVE").await,
            "INVALID_TRANSITION",
            "approve a group project with no support",
        );
    }
}

#[tokio::test]
async fn money_and_beneficiaries_change_only_while_draft_submitted_or_appraised() {
    let w = World::new().await;
    for level in LEVELS {
        let approver = &w.approver(level).token;
        let source = w.source_for(level);
        for status in STATUSES {
            let (p, a) = w.at(level, status).await;
            let e = w.new_establishment().await;
            if ["DRAFT", "SUBMITTED", "APPRAISED"].contains(&status) {
                let what = format!("{level} {status}");
                assert_ok(
                    &w.add(&w.province.token, &p, &e, 10_000_000, 10_000_000)
                        .await,
                    &what,
                );
                assert_ok(
                    &w.update(
                        &w.province.token,
                        &p,
                        json!({ "generalSupportVnd": 5_000_000 }),
                    )
                    .await,
                    &what,
                );
                assert_ok(&w.allocate(approver, &p, source, 5_000_000).await, &what);
                assert_ok(&w.remove(&w.province.token, &p, &e).await, &what);
                let got = w.get(&p).await;
                assert_eq!(vnd(&got["supportVnd"]), SUPPORT + 5_000_000, "{what}");
                assert_eq!(vnd(&got["allocatedVnd"]), SUPPORT + 5_000_000, "{what}");
                assert_ok(&release_raw(&w.app, approver, &a).await, &what);
            } else {
                let before = w.get(&p).await;
                let what = |m: &str| format!("{m} in {status} ({level})");
                expect_code(
                    &w.add(&w.province.token, &p, &e, 10_000_000, 10_000_000)
                        .await,
                    "INVALID_TRANSITION",
                    &what("addBeneficiary"),
                );
                expect_code(
                    &w.remove(&w.province.token, &p, &w.establishment).await,
                    "INVALID_TRANSITION",
                    &what("removeBeneficiary"),
                );
                expect_code(
                    &w.update(
                        &w.province.token,
                        &p,
                        json!({ "generalSupportVnd": 5_000_000 }),
                    )
                    .await,
                    "INVALID_TRANSITION",
                    &what("updateProject"),
                );
                expect_code(
                    &w.allocate(approver, &p, source, 1_000_000).await,
                    "INVALID_TRANSITION",
                    &what("allocateFunding"),
                );
                assert_eq!(before, w.get(&p).await, "{}", what("nothing changed"));
            }
        }
    }
}

#[tokio::test]
async fn a_group_project_takes_beneficiaries_until_it_starts() {
    let w = World::new().await;
    let level = "NATIONAL";
    let p = w
        .project(
            level,
            json!({ "kind": "GROUP", "generalSupportVnd": 50_000_000 }),
        )
        .await;
    w.allocated(&w.national.token, &p, &w.national_source, 50_000_000)
        .await;
    w.drive(&p, level, "APPROVED").await;

    // The province chooses the beneficiaries once the group project is approved.
    let e1 = w.new_establishment().await;
    let e2 = w.new_establishment().await;
    let body = w
        .add(&w.province.token, &p, &e1, 10_000_000, 10_000_000)
        .await;
    assert_ok(&body, "add to an approved group project");
    assert_ok(
        &w.add(&w.province.token, &p, &e2, 10_000_000, 10_000_000)
            .await,
        "add another",
    );
    assert_ok(
        &w.remove(&w.province.token, &p, &e2).await,
        "remove from an approved group project",
    );
    let got = w.get(&p).await;
    assert_eq!(got["beneficiaries"].as_array().expect("list").len(), 1);
    // Its money is fixed all the same.
    expect_code(
        &w.allocate(&w.national.token, &p, &w.national_source, 1_000_000)
            .await,
        "INVALID_TRANSITION",
        "allocate to an approved group project",
    );

    w.step(&p, level, "START").await;
    let e3 = w.new_establishment().await;
    expect_code(
        &w.add(&w.province.token, &p, &e3, 10_000_000, 10_000_000)
            .await,
        "INVALID_TRANSITION",
        "add to a group project in progress",
    );
    expect_code(
        &w.remove(&w.province.token, &p, &e1).await,
        "INVALID_TRANSITION",
        "remove from a group project in progress",
    );

    // An individual project takes none once approved.
    let (q, _) = w.at(level, "APPROVED").await;
    expect_code(
        &w.add(&w.province.token, &q, &e3, 10_000_000, 10_000_000)
            .await,
        "INVALID_TRANSITION",
        "add to an approved individual project",
    );
}

#[tokio::test]
async fn acceptance_records_outcomes_and_history_keeps_every_transition() {
    let w = World::new().await;
    for level in LEVELS {
        let (p, _) = w.at(level, "SUBMITTED").await;
        // Returned for changes, resubmitted, then the whole way to settlement.
        w.step(&p, level, "RETURN").await;
        w.step(&p, level, "SUBMIT").await;
        w.step(&p, level, "APPRAISE").await;
        w.step(&p, level, "APPROVE").await;
        w.step(&p, level, "START").await;
        let outcomes = json!({
            "jobsCreated": 12,
            "trainees": 35,
            "averageMonthlyIncomeVnd": 6_500_000,
            "notes": "Mô hình vận hành ổn định, sản lượng tăng 20 %.",
        });
        let body = w
            .act_with(
                &w.approver(level).token,
                &p,
                "ACCEPT",
                Some("Nghiệm thu đạt"),
                Some(outcomes.clone()),
            )
            .await;
        assert_ok(&body, "ACCEPT with outcomes");
        w.step(&p, level, "SETTLE").await;

        let got = w.get(&p).await;
        assert_eq!(got["status"], "SETTLED");
        assert_eq!(got["outcomes"], outcomes, "outcomes recorded on acceptance");
        let expected = [
            ("SUBMIT", "DRAFT", "SUBMITTED", &w.commune),
            ("RETURN", "SUBMITTED", "DRAFT", &w.province),
            ("SUBMIT", "DRAFT", "SUBMITTED", &w.commune),
            ("APPRAISE", "SUBMITTED", "APPRAISED", &w.province),
            ("APPROVE", "APPRAISED", "APPROVED", w.approver(level)),
            ("START", "APPROVED", "IN_PROGRESS", &w.province),
            ("ACCEPT", "IN_PROGRESS", "ACCEPTED", w.approver(level)),
            ("SETTLE", "ACCEPTED", "SETTLED", w.approver(level)),
        ];
        let history = got["history"].as_array().expect("history");
        assert_eq!(history.len(), expected.len(), "{history:#?}");
        for (event, (action, from, to, actor)) in history.iter().zip(expected) {
            assert_eq!(event["action"], action);
            assert_eq!(event["fromStatus"], from);
            assert_eq!(event["toStatus"], to);
            assert_eq!(event["actor"]["id"], actor.id.as_str());
            assert_eq!(event["actor"]["username"], actor.username.as_str());
        }
        assert_eq!(history[6]["comment"], "Nghiệm thu đạt");
        assert_eq!(history[0]["comment"], "Ý kiến khi SUBMIT");
        let times: Vec<chrono::DateTime<chrono::FixedOffset>> = history
            .iter()
            .map(|e| {
                chrono::DateTime::parse_from_rfc3339(e["at"].as_str().expect("at"))
                    .expect("RFC 3339")
            })
            .collect();
        assert!(
            times.windows(2).all(|p| p[0] <= p[1]),
            "history runs oldest first: {times:?}"
        );
    }
}
