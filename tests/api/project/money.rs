//! Allocations (programme, fiscal year, limits and 50-request races), releases,
//! disbursements and advances.

use super::*;

// ---------------------------------------------------------------------------------------------
// Allocations

#[tokio::test]
async fn a_project_is_funded_only_from_sources_of_its_programme() {
    let w = World::new().await;
    let national_other = new_source(&w.app, &w.national.token, "OTHER", None, YEAR, PLENTY).await;
    let province_other = new_source(&w.app, &w.province.token, "OTHER", None, YEAR, PLENTY).await;
    let quang_tri_local = new_source(&w.app, &w.other.token, "LOCAL", None, YEAR, PLENTY).await;
    let quang_tri_other = new_source(&w.app, &w.other.token, "OTHER", None, YEAR, PLENTY).await;

    let project = |level: &'static str| {
        let w = &w;
        async move {
            let p = w.project(level, json!({})).await;
            assert_ok(
                &w.add(&w.commune.token, &p, &w.establishment, SUPPORT, SUPPORT)
                    .await,
                "add",
            );
            p
        }
    };

    // LOCAL: its province's LOCAL sources, or OTHER ones.
    let p = project("LOCAL").await;
    let t = &w.province.token;
    assert_field(
        &w.allocate(t, &p, &w.national_source, 1_000_000).await,
        "fundingSourceId",
    );
    // Another province's sources do not exist for the Đắk Lắk province user.
    expect_code(
        &w.allocate(t, &p, &quang_tri_local, 1_000_000).await,
        "NOT_FOUND",
        "a LOCAL source of another province",
    );
    expect_code(
        &w.allocate(t, &p, &quang_tri_other, 1_000_000).await,
        "NOT_FOUND",
        "an OTHER source of another province",
    );
    assert_eq!(vnd(&w.get(&p).await["allocatedVnd"]), 0);
    assert_ok(
        &w.allocate(t, &p, &w.local_source, 1_000_000).await,
        "its LOCAL source",
    );
    assert_ok(
        &w.allocate(t, &p, &province_other, 1_000_000).await,
        "its province's OTHER source",
    );
    assert_ok(
        &w.allocate(t, &p, &national_other, 1_000_000).await,
        "a nationwide OTHER source",
    );
    assert_eq!(vnd(&w.get(&p).await["allocatedVnd"]), 3_000_000);

    // NATIONAL: NATIONAL or OTHER sources.
    let p = project("NATIONAL").await;
    let t = &w.national.token;
    assert_field(
        &w.allocate(t, &p, &w.local_source, 1_000_000).await,
        "fundingSourceId",
    );
    assert_field(
        &w.allocate(t, &p, &quang_tri_local, 1_000_000).await,
        "fundingSourceId",
    );
    assert_eq!(vnd(&w.get(&p).await["allocatedVnd"]), 0);
    assert_ok(
        &w.allocate(t, &p, &w.national_source, 1_000_000).await,
        "a NATIONAL source",
    );
    assert_ok(
        &w.allocate(t, &p, &national_other, 1_000_000).await,
        "an OTHER source",
    );
    assert_eq!(vnd(&w.get(&p).await["allocatedVnd"]), 2_000_000);
    assert_eq!(
        vnd(&w.source(&w.local_source).await["allocatedVnd"]),
        1_000_000
    );
}

#[tokio::test]
async fn the_fiscal_year_of_source_and_project_must_match() {
    let w = World::new().await;
    let local_2026 = new_source(&w.app, &w.province.token, "LOCAL", None, 2026, PLENTY).await;
    let national_2024 = new_source(&w.app, &w.national.token, "NATIONAL", None, 2024, PLENTY).await;
    for (level, source) in [("LOCAL", &local_2026), ("NATIONAL", &national_2024)] {
        let p = w.project(level, json!({})).await;
        assert_ok(
            &w.add(&w.commune.token, &p, &w.establishment, SUPPORT, SUPPORT)
                .await,
            "add",
        );
        assert_field(
            &w.allocate(&w.approver(level).token, &p, source, 1_000_000)
                .await,
            "fundingSourceId",
        );
        assert_eq!(vnd(&w.source(source).await["allocatedVnd"]), 0);
        assert_eq!(vnd(&w.get(&p).await["allocatedVnd"]), 0);
    }
}

#[tokio::test]
async fn allocations_never_exceed_the_project_support() {
    let w = World::new().await;
    let other = new_source(&w.app, &w.province.token, "OTHER", None, YEAR, PLENTY).await;
    let t = &w.province.token;
    let p = w.project("LOCAL", json!({})).await;
    assert_ok(
        &w.add(&w.commune.token, &p, &w.establishment, SUPPORT, SUPPORT)
            .await,
        "add",
    );
    w.allocated(t, &p, &w.local_source, 60_000_000).await;
    // Across sources: Σ allocations ≤ support.
    expect_code(
        &w.allocate(t, &p, &other, 40_000_001).await,
        "BUDGET_EXCEEDED",
        "one đồng over the support",
    );
    assert_eq!(vnd(&w.source(&other).await["allocatedVnd"]), 0);
    w.allocated(t, &p, &other, 40_000_000).await;
    expect_code(
        &w.allocate(t, &p, &w.local_source, 1).await,
        "BUDGET_EXCEEDED",
        "anything beyond full funding",
    );
    assert_eq!(vnd(&w.get(&p).await["allocatedVnd"]), SUPPORT);
    // Nothing, or less than nothing, is not an allocation.
    assert_field(&w.allocate(t, &p, &other, 0).await, "amountVnd");
    // A project without support takes no money.
    let empty = w.project("LOCAL", json!({})).await;
    expect_code(
        &w.allocate(t, &empty, &w.local_source, 1).await,
        "BUDGET_EXCEEDED",
        "a project without support",
    );
}

#[tokio::test]
async fn allocations_never_exceed_the_source() {
    let w = World::new().await;
    let t = &w.province.token;
    let small = new_source(&w.app, t, "LOCAL", None, YEAR, 50_000_000).await;
    let p = w.project("LOCAL", json!({})).await;
    assert_ok(
        &w.add(&w.commune.token, &p, &w.establishment, SUPPORT, SUPPORT)
            .await,
        "add",
    );
    expect_code(
        &w.allocate(t, &p, &small, 50_000_001).await,
        "BUDGET_EXCEEDED",
        "one đồng over the source",
    );
    assert_eq!(vnd(&w.get(&p).await["allocatedVnd"]), 0, "rolled back");
    w.allocated(t, &p, &small, 30_000_000).await;
    w.allocated(t, &p, &small, 20_000_000).await;
    expect_code(
        &w.allocate(t, &p, &small, 1).await,
        "BUDGET_EXCEEDED",
        "an exhausted source",
    );
    let s = w.source(&small).await;
    assert_eq!(vnd(&s["allocatedVnd"]), 50_000_000);
    assert_eq!(vnd(&s["remainingVnd"]), 0);
    assert_eq!(vnd(&w.get(&p).await["allocatedVnd"]), 50_000_000);
}

/// Fires `n` allocateFunding requests of `amount` at once (one per project in `projects`,
/// cycling) and returns the bodies.
async fn race(
    app: &TestApp,
    token: &str,
    projects: &[String],
    source: &str,
    n: usize,
    amount: i64,
) -> Vec<Value> {
    let url = format!("{}/graphql", app.address);
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let vars = json!({ "p": projects[i % projects.len()], "s": source, "a": amount });
            tokio::spawn(post(
                app.client.clone(),
                url.clone(),
                token.to_owned(),
                ALLOCATE,
                vars,
            ))
        })
        .collect();
    join_all(handles)
        .await
        .into_iter()
        .map(|r| r.expect("task finished"))
        .collect()
}

/// Counts successes; every other answer must be BUDGET_EXCEEDED.
fn tally(bodies: &[Value]) -> usize {
    let mut ok = 0;
    for b in bodies {
        match code_of(b) {
            None => {
                assert!(b["data"]["allocateFunding"]["id"].is_string(), "{b:#}");
                ok += 1;
            }
            Some("BUDGET_EXCEEDED") => {}
            Some(other) => panic!("a racing allocation failed with {other}: {b:#}"),
        }
    }
    ok
}

async fn allocations_of_source(app: &TestApp, source: &str) -> Vec<allocation::Model> {
    allocation::Entity::find()
        .filter(allocation::Column::FundingSourceId.eq(row_id(source)))
        .all(&app.state.db)
        .await
        .expect("allocations")
}

async fn allocate_audits(app: &TestApp) -> usize {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("allocate"))
        .all(&app.state.db)
        .await
        .expect("audit")
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_allocations_across_projects_never_overcommit_a_source() {
    let app = crate::helpers::spawn_app_admitting_all().await;
    let province = app.province(DAK_LAK).await;
    let t = &province.token;
    let src = new_source(&app, t, "LOCAL", None, YEAR, 300_000_000).await;
    let mut projects = Vec::new();
    for _ in 0..50 {
        projects.push(
            new_project(
                &app,
                t,
                project_input("LOCAL", DAK_LAK, json!({ "generalSupportVnd": 20_000_000 })),
            )
            .await,
        );
    }
    let audits = allocate_audits(&app).await;

    let bodies = race(&app, t, &projects, &src, 50, 10_000_000).await;
    assert_eq!(
        tally(&bodies),
        30,
        "exactly 300,000,000 / 10,000,000 succeed"
    );

    let s = source(&app, t, &src).await;
    assert_eq!(vnd(&s["amountVnd"]), 300_000_000);
    assert_eq!(vnd(&s["allocatedVnd"]), 300_000_000);
    assert_eq!(vnd(&s["remainingVnd"]), 0);
    let rows = allocations_of_source(&app, &src).await;
    assert_eq!(rows.len(), 30);
    assert_eq!(rows.iter().map(|a| a.amount_vnd).sum::<i64>(), 300_000_000);
    let list = app.ok(Some(t), LIST, json!({ "f": {} })).await;
    let projected: i64 = list["projects"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| vnd(&n["allocatedVnd"]))
        .sum();
    assert_eq!(projected, 300_000_000, "the projects' side agrees");
    assert_eq!(
        allocate_audits(&app).await - audits,
        30,
        "failed ones left no trace"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_allocations_to_one_project_never_overcommit_a_source() {
    let app = crate::helpers::spawn_app_admitting_all().await;
    let province = app.province(DAK_LAK).await;
    let t = &province.token;
    let src = new_source(&app, t, "LOCAL", None, YEAR, 300_000_000).await;
    let p = new_project(
        &app,
        t,
        project_input(
            "LOCAL",
            DAK_LAK,
            json!({ "generalSupportVnd": 1_000_000_000 }),
        ),
    )
    .await;
    let bodies = race(&app, t, std::slice::from_ref(&p), &src, 50, 10_000_000).await;
    assert_eq!(tally(&bodies), 30);
    let s = source(&app, t, &src).await;
    assert_eq!(vnd(&s["allocatedVnd"]), 300_000_000);
    assert_eq!(vnd(&s["remainingVnd"]), 0);
    assert_eq!(
        vnd(&get_project(&app, t, &p).await["allocatedVnd"]),
        300_000_000
    );
    let rows = allocations_of_source(&app, &src).await;
    assert_eq!(rows.iter().map(|a| a.amount_vnd).sum::<i64>(), 300_000_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_allocations_never_exceed_a_project_support() {
    let app = crate::helpers::spawn_app_admitting_all().await;
    let province = app.province(DAK_LAK).await;
    let t = &province.token;
    let src = new_source(&app, t, "LOCAL", None, YEAR, 1_000_000_000).await;
    let p = new_project(
        &app,
        t,
        project_input(
            "LOCAL",
            DAK_LAK,
            json!({ "generalSupportVnd": 250_000_000 }),
        ),
    )
    .await;
    let bodies = race(&app, t, std::slice::from_ref(&p), &src, 50, 10_000_000).await;
    assert_eq!(tally(&bodies), 25);
    assert_eq!(
        vnd(&get_project(&app, t, &p).await["allocatedVnd"]),
        250_000_000
    );
    assert_eq!(
        vnd(&source(&app, t, &src).await["allocatedVnd"]),
        250_000_000
    );
}

// ---------------------------------------------------------------------------------------------
// Releases and disbursements

#[tokio::test]
async fn release_allocation_returns_the_money_to_the_source() {
    let w = World::new().await;
    let t = &w.province.token;
    let src = new_source(&w.app, t, "LOCAL", None, YEAR, 200_000_000).await;
    let p = w.project("LOCAL", json!({})).await;
    assert_ok(
        &w.add(&w.commune.token, &p, &w.establishment, SUPPORT, SUPPORT)
            .await,
        "add",
    );
    let a1 = w.allocated(t, &p, &src, 60_000_000).await;
    let a2 = w.allocated(t, &p, &src, 40_000_000).await;
    assert_eq!(vnd(&w.source(&src).await["remainingVnd"]), 100_000_000);

    let body = release_raw(&w.app, t, &a1).await;
    assert_ok(&body, "release");
    let r = &body["data"]["releaseAllocation"];
    assert_eq!(r["released"], true);
    assert_eq!(vnd(&r["releasedVnd"]), 60_000_000);
    assert_eq!(vnd(&r["amountVnd"]), 60_000_000);
    let s = w.source(&src).await;
    assert_eq!(vnd(&s["remainingVnd"]), 160_000_000);
    assert_eq!(vnd(&s["allocatedVnd"]), 40_000_000);
    assert_eq!(vnd(&w.get(&p).await["allocatedVnd"]), 40_000_000);
    assert_eq!(w.allocation(&p, &a1).await["released"], true);
    assert_eq!(w.allocation(&p, &a2).await["released"], false);

    // Once only.
    expect_code(
        &release_raw(&w.app, t, &a1).await,
        "INVALID_TRANSITION",
        "release twice",
    );
    assert_eq!(vnd(&w.source(&src).await["remainingVnd"]), 160_000_000);
    // The money may be allocated again.
    w.allocated(t, &p, &src, 60_000_000).await;
    assert_eq!(vnd(&w.source(&src).await["remainingVnd"]), 100_000_000);

    // Once approved, money leaves a project only by STOP or SETTLE.
    w.drive(&p, "LOCAL", "APPROVED").await;
    expect_code(
        &release_raw(&w.app, t, &a2).await,
        "INVALID_TRANSITION",
        "release on an approved project",
    );
    assert_eq!(vnd(&w.source(&src).await["remainingVnd"]), 100_000_000);
}

#[tokio::test]
async fn settlement_releases_what_was_not_disbursed() {
    let w = World::new().await;
    for level in LEVELS {
        let owner = w.approver(level);
        let src = match level {
            "LOCAL" => new_source(&w.app, &owner.token, "LOCAL", None, YEAR, 500_000_000).await,
            _ => new_source(&w.app, &owner.token, "NATIONAL", None, YEAR, 500_000_000).await,
        };
        let (p, a) = w.funded_from(level, &src).await;
        w.drive(&p, level, "IN_PROGRESS").await;
        assert_ok(
            &disburse_raw(&w.app, &w.province.token, &a, 70_000_000).await,
            "advance",
        );
        w.step(&p, level, "ACCEPT").await;
        assert_ok(
            &disburse_raw(&w.app, &w.province.token, &a, 10_000_000).await,
            "payment after acceptance",
        );
        let s = w.source(&src).await;
        assert_eq!(vnd(&s["remainingVnd"]), 400_000_000);
        assert_eq!(vnd(&s["disbursedVnd"]), 80_000_000);

        w.step(&p, level, "SETTLE").await;
        let s = w.source(&src).await;
        assert_eq!(vnd(&s["remainingVnd"]), 420_000_000, "20,000,000 came back");
        assert_eq!(vnd(&s["allocatedVnd"]), 80_000_000);
        assert_eq!(vnd(&s["disbursedVnd"]), 80_000_000);
        let alloc = w.allocation(&p, &a).await;
        assert_eq!(alloc["released"], true);
        assert_eq!(vnd(&alloc["releasedVnd"]), 20_000_000);
        assert_eq!(vnd(&alloc["disbursedVnd"]), 80_000_000);
        let got = w.get(&p).await;
        assert_eq!(vnd(&got["disbursedVnd"]), 80_000_000);
        expect_code(
            &disburse_raw(&w.app, &w.province.token, &a, 1).await,
            "INVALID_TRANSITION",
            "pay a settled project",
        );
    }
}

#[tokio::test]
async fn stopping_releases_what_was_not_disbursed() {
    let w = World::new().await;
    for level in LEVELS {
        let owner = w.approver(level);
        for (stop_in, paid) in [
            ("APPROVED", 0),
            ("APPROVED", 30_000_000),
            ("IN_PROGRESS", 45_000_000),
        ] {
            let src = match level {
                "LOCAL" => new_source(&w.app, &owner.token, "LOCAL", None, YEAR, 500_000_000).await,
                _ => new_source(&w.app, &owner.token, "NATIONAL", None, YEAR, 500_000_000).await,
            };
            let (p, a) = w.funded_from(level, &src).await;
            w.drive(&p, level, stop_in).await;
            if paid > 0 {
                assert_ok(
                    &disburse_raw(&w.app, &w.province.token, &a, paid).await,
                    "advance",
                );
            }
            assert_eq!(vnd(&w.source(&src).await["remainingVnd"]), 400_000_000);
            w.step(&p, level, "STOP").await;
            let s = w.source(&src).await;
            let what = format!("STOP in {stop_in} after {paid} ({level})");
            assert_eq!(
                vnd(&s["remainingVnd"]),
                400_000_000 + SUPPORT - paid,
                "{what}"
            );
            assert_eq!(vnd(&s["allocatedVnd"]), paid, "{what}");
            let alloc = w.allocation(&p, &a).await;
            assert_eq!(alloc["released"], true, "{what}");
            assert_eq!(vnd(&alloc["releasedVnd"]), SUPPORT - paid, "{what}");
            expect_code(
                &disburse_raw(&w.app, &w.province.token, &a, 1).await,
                "INVALID_TRANSITION",
                "pay a stopped project",
            );
        }
    }
}

#[tokio::test]
async fn rejection_and_cancellation_release_everything() {
    let w = World::new().await;
    for level in LEVELS {
        let owner = w.approver(level);
        let paths: [(&str, &str); 4] = [
            ("SUBMITTED", "REJECT"),
            ("APPRAISED", "REJECT"),
            ("DRAFT", "CANCEL"),
            ("SUBMITTED", "CANCEL"),
        ];
        for (from, action) in paths {
            let src = match level {
                "LOCAL" => new_source(&w.app, &owner.token, "LOCAL", None, YEAR, 500_000_000).await,
                _ => new_source(&w.app, &owner.token, "NATIONAL", None, YEAR, 500_000_000).await,
            };
            let (p, a) = w.funded_from(level, &src).await;
            w.drive(&p, level, from).await;
            assert_eq!(vnd(&w.source(&src).await["remainingVnd"]), 400_000_000);
            w.step(&p, level, action).await;
            let what = format!("{action} from {from} ({level})");
            let s = w.source(&src).await;
            assert_eq!(vnd(&s["remainingVnd"]), 500_000_000, "{what}");
            assert_eq!(vnd(&s["allocatedVnd"]), 0, "{what}");
            let alloc = w.allocation(&p, &a).await;
            assert_eq!(alloc["released"], true, "{what}");
            assert_eq!(vnd(&alloc["releasedVnd"]), SUPPORT, "{what}");
            assert_eq!(vnd(&w.get(&p).await["allocatedVnd"]), 0, "{what}");
        }
    }
}

#[tokio::test]
async fn advances_stay_within_70_percent_until_acceptance() {
    let w = World::new().await;
    for level in LEVELS {
        let p_token = &w.province.token;
        let (p, a) = w.at(level, "APPROVED").await;
        // 70 % of 100,000,000 is 70,000,000.
        assert_field(
            &disburse_raw(&w.app, p_token, &a, 70_000_001).await,
            "amountVnd",
        );
        assert_field(&disburse_raw(&w.app, p_token, &a, 0).await, "amountVnd");
        let body = disburse_raw(&w.app, p_token, &a, 50_000_000).await;
        assert_ok(&body, "an advance");
        let d = &body["data"]["recordDisbursement"];
        assert_eq!(vnd(&d["amountVnd"]), 50_000_000);
        assert_eq!(d["date"], "2025-06-15");
        assert_eq!(d["note"], "tạm ứng");
        w.step(&p, level, "START").await;
        assert_field(
            &disburse_raw(&w.app, p_token, &a, 20_000_001).await,
            "amountVnd",
        );
        assert_ok(
            &disburse_raw(&w.app, p_token, &a, 20_000_000).await,
            "up to exactly 70 %",
        );
        assert_field(&disburse_raw(&w.app, p_token, &a, 1).await, "amountVnd");
        assert_eq!(vnd(&w.get(&p).await["disbursedVnd"]), 70_000_000);

        // After acceptance: the whole allocation, and not a đồng more.
        w.step(&p, level, "ACCEPT").await;
        expect_code(
            &disburse_raw(&w.app, p_token, &a, 30_000_001).await,
            "BUDGET_EXCEEDED",
            "over the allocation",
        );
        assert_ok(
            &disburse_raw(&w.app, p_token, &a, 30_000_000).await,
            "up to 100 %",
        );
        expect_code(
            &disburse_raw(&w.app, p_token, &a, 1).await,
            "BUDGET_EXCEEDED",
            "beyond the allocation",
        );
        let got = w.get(&p).await;
        assert_eq!(vnd(&got["disbursedVnd"]), SUPPORT);
        let alloc = w.allocation(&p, &a).await;
        assert_eq!(vnd(&alloc["disbursedVnd"]), SUPPORT);
        // Settling a fully paid project returns nothing.
        let remaining = vnd(&w.source(w.source_for(level)).await["remainingVnd"]);
        w.step(&p, level, "SETTLE").await;
        assert_eq!(
            vnd(&w.source(w.source_for(level)).await["remainingVnd"]),
            remaining
        );
        assert_eq!(vnd(&w.allocation(&p, &a).await["releasedVnd"]), 0);
    }
}

#[tokio::test]
async fn money_is_disbursed_only_while_approved_in_progress_or_accepted() {
    let w = World::new().await;
    for level in LEVELS {
        for status in STATUSES {
            let (p, a) = w.at(level, status).await;
            let body = disburse_raw(&w.app, &w.province.token, &a, 1_000_000).await;
            let what = format!("disburse in {status} ({level})");
            if ["APPROVED", "IN_PROGRESS", "ACCEPTED"].contains(&status) {
                assert_ok(&body, &what);
                assert_eq!(vnd(&w.get(&p).await["disbursedVnd"]), 1_000_000, "{what}");
            } else {
                expect_code(&body, "INVALID_TRANSITION", &what);
                assert_eq!(vnd(&w.get(&p).await["disbursedVnd"]), 0, "{what}");
            }
        }
    }
}
