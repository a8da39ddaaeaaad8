//! `khuyencong generate`: a deterministic synthetic country the API reads like its own rows.

use khuyencong::generate::{Scale, generate};
use serde_json::json;

use crate::helpers::{TestApp, spawn_app};

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

/// A `Vnd` value (a number or a string of digits).
fn vnd(v: &serde_json::Value) -> i64 {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or_else(|| panic!("not a Vnd: {v}"))
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
        allocated += vnd(&p["allocatedVnd"]);
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
