//! `khuyencong generate`: a deterministic synthetic country the API reads like its own rows.

use khuyencong::generate::{Scale, generate};
use serde_json::json;

use crate::helpers::{TestApp, common::vnd, spawn_app};

async fn generated(seed: u64) -> TestApp {
    let app = spawn_app().await;
    let scale = Scale::named("xs").expect("xs");
    let w = generate(&app.state.db, &app.state.reference(), scale, seed, false)
        .await
        .expect("generate");
    assert_eq!(w.establishments, 1_000);
    assert_eq!(w.products, 1_500);
    assert_eq!(w.projects, 50);
    assert!(w.beneficiaries >= 50 && w.allocations > 0, "{w:?}");
    app
}

const PAGE: &str = "{ establishments(first: 20) { totalCount nodes { name province { code } \
    products { totalCount } } } }";

#[tokio::test]
async fn the_xs_scale_is_served_by_the_api_and_the_same_seed_writes_the_same_rows() {
    let app = generated(42).await;
    let national = app.national().await;
    let t = Some(national.token.as_str());

    let page = app.ok(t, PAGE, json!({})).await;
    assert_eq!(page["establishments"]["totalCount"], 1_000);
    let products = app
        .ok(t, "{ products(first: 1) { totalCount } }", json!({}))
        .await;
    assert_eq!(products["products"]["totalCount"], 1_500);

    // Search text is folded as the API folds it: a query without diacritics finds names
    // written with them.
    let found = app
        .ok(
            t,
            "{ establishments(first: 5, filter: { search: \"ca phe\" }) { totalCount nodes { name } } }",
            json!({}),
        )
        .await;
    assert!(found["establishments"]["totalCount"].as_i64().expect("n") > 0);
    for n in found["establishments"]["nodes"].as_array().expect("nodes") {
        let name = n["name"].as_str().expect("name");
        assert!(name.contains("Cà phê"), "{name}");
    }

    // Projects with beneficiaries and allocations, and a funding summary that adds up.
    let projects = app
        .ok(
            t,
            "{ projects(first: 50) { totalCount nodes { status supportVnd allocatedVnd \
             beneficiaries { supportVnd establishment { name } } \
             allocations { amountVnd fundingSource { name allocatedVnd } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(projects["projects"]["totalCount"], 50);
    let mut allocated = 0;
    for p in projects["projects"]["nodes"].as_array().expect("nodes") {
        let sum: i64 = p["beneficiaries"]
            .as_array()
            .expect("b")
            .iter()
            .map(|b| vnd(&b["supportVnd"]))
            .sum();
        assert_eq!(vnd(&p["supportVnd"]), sum);
        // Reports count the money of approved projects and later (SPEC §4).
        if !["DRAFT", "SUBMITTED", "APPRAISED", "REJECTED", "CANCELLED"]
            .contains(&p["status"].as_str().expect("status"))
        {
            allocated += vnd(&p["allocatedVnd"]);
        }
    }
    let summary = app
        .ok(
            t,
            "{ fundingSummary { projectCount publicVnd } }",
            json!({}),
        )
        .await;
    assert!(
        summary["fundingSummary"]["projectCount"]
            .as_i64()
            .expect("n")
            > 0
    );
    assert_eq!(vnd(&summary["fundingSummary"]["publicVnd"]), allocated);

    // The same seed writes the same rows; the API can still write after them.
    let again = generated(42).await;
    let other = again.national().await;
    assert_eq!(again.ok(Some(&other.token), PAGE, json!({})).await, page);
    let province = app.province("66").await;
    app.establishment(&province.token, "24133", json!({})).await;
}

/// Every generated record reads back as the rules would have left it: money that adds up
/// from disbursements to allocations to projects and sources, certificates whose stars the
/// council's scores earn, and records the API can carry on from.
#[tokio::test]
async fn generated_money_ocop_and_selection_obey_the_rules_and_the_api_carries_on_from_them() {
    let app = generated(7).await;
    let national = app.national().await;
    let t = Some(national.token.as_str());

    // Allocations: disbursements add up; a released allocation gave back what it did not pay.
    let projects = app
        .ok(
            t,
            "{ projects(first: 50) { nodes { id status programLevel province { code } \
             supportVnd allocatedVnd disbursedVnd \
             allocations { id amountVnd disbursedVnd released releasedVnd \
             fundingSource { id } disbursements { amountVnd } } } } }",
            json!({}),
        )
        .await;
    let mut by_source: std::collections::HashMap<String, (i64, i64)> = Default::default();
    let mut statuses = std::collections::BTreeSet::new();
    let mut room = None;
    let mut paid_some = 0;
    for p in projects["projects"]["nodes"].as_array().expect("nodes") {
        let status = p["status"].as_str().expect("status").to_owned();
        statuses.insert(status.clone());
        let (mut allocated, mut disbursed) = (0, 0);
        for a in p["allocations"].as_array().expect("allocations") {
            let paid: i64 = a["disbursements"]
                .as_array()
                .expect("d")
                .iter()
                .map(|d| vnd(&d["amountVnd"]))
                .sum();
            assert_eq!(vnd(&a["disbursedVnd"]), paid, "{a}");
            assert!(paid <= vnd(&a["amountVnd"]), "{a}");
            let released = vnd(&a["releasedVnd"]);
            if a["released"].as_bool().expect("released") {
                assert_eq!(released, vnd(&a["amountVnd"]) - paid, "{a}");
            } else {
                assert_eq!(released, 0, "{a}");
            }
            let net = vnd(&a["amountVnd"]) - released;
            allocated += net;
            disbursed += paid;
            let s = by_source
                .entry(a["fundingSource"]["id"].as_str().expect("id").to_owned())
                .or_default();
            s.0 += net;
            s.1 += paid;
            if paid > 0 {
                paid_some += 1;
            }
        }
        assert_eq!(vnd(&p["allocatedVnd"]), allocated, "{p}");
        assert_eq!(vnd(&p["disbursedVnd"]), disbursed, "{p}");
        assert!(allocated <= vnd(&p["supportVnd"]), "{p}");
        match status.as_str() {
            "ACCEPTED" | "SETTLED" => assert_eq!(disbursed, vnd(&p["supportVnd"]), "{p}"),
            "DRAFT" | "SUBMITTED" | "REJECTED" | "CANCELLED" => {
                assert_eq!(allocated, 0, "{p}")
            }
            "APPRAISED" => {
                assert!(allocated < vnd(&p["supportVnd"]), "{p}");
                room = Some(p.clone());
            }
            _ => {}
        }
    }
    assert!(
        statuses.len() >= 6,
        "projects in most statuses: {statuses:?}"
    );
    assert!(paid_some > 0, "some allocations were disbursed");
    let sources = app
        .ok(
            t,
            "{ fundingSources(first: 100) { nodes { id amountVnd allocatedVnd disbursedVnd } } }",
            json!({}),
        )
        .await;
    for s in sources["fundingSources"]["nodes"]
        .as_array()
        .expect("nodes")
    {
        let (allocated, disbursed) = by_source
            .get(s["id"].as_str().expect("id"))
            .copied()
            .unwrap_or_default();
        assert_eq!(vnd(&s["allocatedVnd"]), allocated, "{s}");
        assert_eq!(vnd(&s["disbursedVnd"]), disbursed, "{s}");
        assert!(allocated <= vnd(&s["amountVnd"]), "{s}");
    }

    // An appraised project's remaining room can be allocated through the API, by the
    // approving level.
    let p = room.expect("an appraised project with room left");
    let source = p["allocations"][0]["fundingSource"]["id"]
        .as_str()
        .expect("source");
    let approver = if p["programLevel"] == "NATIONAL" {
        national.clone()
    } else {
        app.province(p["province"]["code"].as_str().expect("province"))
            .await
    };
    app.ok(
        Some(&approver.token),
        "mutation($p: ID!, $s: ID!) { allocateFunding(projectId: $p, fundingSourceId: $s, \
         amountVnd: 1000) { amountVnd } }",
        json!({ "p": p["id"], "s": source }),
    )
    .await;

    // OCOP: certificates at 3 to 5 stars, each earned by its council's scores.
    let evaluations = app
        .ok(
            t,
            "{ ocopEvaluations(first: 100) { totalCount nodes { status stars provinceMean \
             centralMean provinceScores { total } centralScores { total } \
             certificate { stars issuingLevel status } } } }",
            json!({}),
        )
        .await;
    let nodes = evaluations["ocopEvaluations"]["nodes"]
        .as_array()
        .expect("nodes");
    assert!(!nodes.is_empty(), "OCOP evaluations were generated");
    for e in nodes {
        assert_eq!(e["status"], "CERTIFIED", "{e}");
        let stars = e["stars"].as_i64().expect("stars");
        assert_eq!(e["certificate"]["stars"], stars, "{e}");
        assert!(e["provinceScores"].as_array().expect("s").len() >= 3, "{e}");
        let mean = e["provinceMean"].as_f64().expect("mean");
        let band = |m: f64| match m {
            m if m >= 90.0 => 5,
            m if m >= 70.0 => 4,
            m if m >= 50.0 => 3,
            _ => 0,
        };
        assert_eq!(band(mean), stars, "{e}");
        if stars == 5 {
            assert_eq!(e["certificate"]["issuingLevel"], "NATIONAL", "{e}");
            assert!(
                band(e["centralMean"].as_f64().expect("central")) == 5,
                "{e}"
            );
        } else {
            assert_eq!(e["certificate"]["issuingLevel"], "PROVINCE", "{e}");
        }
    }

    // Selection: open provincial rounds whose nominations wait for scoring.
    let rounds = app
        .ok(
            t,
            "{ selectionRounds(first: 50) { totalCount nodes { level status province { code } \
             nominations(first: 100) { totalCount nodes { result } } } } }",
            json!({}),
        )
        .await;
    let rounds = rounds["selectionRounds"]["nodes"]
        .as_array()
        .expect("rounds");
    assert!(!rounds.is_empty(), "selection rounds were generated");
    for r in rounds {
        assert_eq!(r["level"], "PROVINCIAL");
        assert_eq!(r["status"], "OPEN");
        assert!(
            r["nominations"]["totalCount"].as_i64().expect("n") > 0,
            "{r}"
        );
        for n in r["nominations"]["nodes"].as_array().expect("n") {
            assert_eq!(n["result"], "PENDING");
        }
    }
}
