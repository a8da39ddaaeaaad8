//! Statements per request under concurrent load (issue #9): the to-many relations of
//! a page are fetched by the parent resolver from the query's look-ahead, so the statements a
//! request runs are the same whether it runs alone or among 50 concurrent requests. `/metrics`
//! counts every request's statements: the test runs N requests at once and divides.

use futures::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp,
    common::id_of,
    place::{BMT, DAK_LAK, DAK_LAK_OTHER},
};

/// W2a: a page of 50 establishments with their products.
const W2A: &str = "query W2a { establishments(first: 50) { totalCount nodes { id name \
    commune { name } products { totalCount nodes { id name establishment { name } } } } } }";

/// W2b: a page of 20 projects with beneficiaries (and their establishments) and allocations
/// (and their funding sources).
const W2B: &str = "query W2b { projects(first: 20) { nodes { id title supportVnd \
    beneficiaries { supportVnd establishment { name province { name } } } \
    allocations { amountVnd fundingSource { name } } } } }";

/// W4: one establishment by id with its products.
const W4: &str = "query W4($id: ID!) { establishment(id: $id) { id name \
    products { nodes { id name } } } }";

const CONCURRENCY: usize = 50;

/// Statements per request for `query` run `n` at a time, with a check of each response.
async fn per_request(
    app: &TestApp,
    token: &str,
    query: &str,
    vars: &Value,
    n: usize,
    check: impl Fn(&Value),
) -> f64 {
    let before = app.metric("db_statements_total").await;
    let bodies = join_all((0..n).map(|_| app.gql(Some(token), query, vars.clone()))).await;
    let after = app.metric("db_statements_total").await;
    for b in &bodies {
        assert!(b.get("errors").is_none(), "{b:#}");
        check(&b["data"]);
    }
    (after - before) / n as f64
}

/// The same query alone, then 50 at once (twice): the statements per request must be
/// `expected` every time.
async fn assert_flat(
    app: &TestApp,
    token: &str,
    query: &str,
    vars: Value,
    expected: f64,
    check: impl Fn(&Value) + Copy,
) {
    let alone = per_request(app, token, query, &vars, 1, check).await;
    assert_eq!(alone, expected, "{query} alone");
    for round in 0..2 {
        let loaded = per_request(app, token, query, &vars, CONCURRENCY, check).await;
        assert_eq!(
            loaded, expected,
            "{query}: {loaded} statements per request at c = {CONCURRENCY} (round {round}), \
             {alone} alone"
        );
    }
}

/// 50 establishments of Đắk Lắk with two products each; returns their ids.
async fn seed_establishments(app: &TestApp, token: &str) -> Vec<String> {
    let app = &app;
    let mut ids = Vec::new();
    for chunk in 0..5 {
        let made = join_all((0..10).map(|i| async move {
            let commune = if (chunk * 10 + i) % 2 == 0 {
                BMT
            } else {
                DAK_LAK_OTHER
            };
            let e = app.establishment(token, commune, json!({})).await;
            let id = id_of(&e);
            app.product(token, &id, &format!("Cà phê {chunk}-{i}"))
                .await;
            app.product(token, &id, &format!("Mắc ca {chunk}-{i}"))
                .await;
            id
        }))
        .await;
        ids.extend(made);
    }
    ids
}

#[tokio::test]
async fn w2a_and_w4_run_the_same_statements_alone_and_among_50_concurrent_requests() {
    let app = spawn_measured_app().await;
    let user = app.province(DAK_LAK).await;
    let ids = seed_establishments(&app, &user.token).await;

    // The page, its count, the products of the page (their establishment is the row).
    assert_flat(&app, &user.token, W2A, json!({}), 3.0, |d| {
        let nodes = d["establishments"]["nodes"].as_array().expect("nodes");
        assert_eq!(nodes.len(), 50);
        assert_eq!(d["establishments"]["totalCount"], 50);
        for n in nodes {
            assert_eq!(n["products"]["totalCount"], 2, "{n:#}");
            for p in n["products"]["nodes"].as_array().expect("products") {
                assert_eq!(p["establishment"]["name"], n["name"]);
            }
        }
    })
    .await;

    // The establishment and its products.
    assert_flat(&app, &user.token, W4, json!({ "id": ids[7] }), 2.0, |d| {
        assert_eq!(d["establishment"]["id"], ids[7].as_str());
        let products = d["establishment"]["products"]["nodes"]
            .as_array()
            .expect("products");
        assert_eq!(products.len(), 2);
    })
    .await;
}

const CREATE_SOURCE: &str = "mutation($i: CreateFundingSourceInput!) { \
    createFundingSource(input: $i) { id } }";
const CREATE_PROJECT: &str = "mutation($i: CreateProjectInput!) { \
    createProject(input: $i) { id version } }";
const ADD: &str = "mutation($p: ID!, $v: Int!, $i: BeneficiaryInput!) { \
    addBeneficiary(projectId: $p, expectedVersion: $v, input: $i) { version } }";
const ALLOCATE: &str = "mutation($p: ID!, $s: ID!, $a: Vnd!) { \
    allocateFunding(projectId: $p, fundingSourceId: $s, amountVnd: $a) { id } }";

#[tokio::test]
async fn w2b_runs_the_same_statements_alone_and_among_50_concurrent_requests() {
    let app = spawn_measured_app().await;
    let user = app.province(DAK_LAK).await;
    let t = user.token.as_str();
    let establishments = seed_establishments(&app, t).await;
    let mut sources = Vec::new();
    for i in 0..3 {
        let s = app
            .ok(
                Some(t),
                CREATE_SOURCE,
                json!({ "i": { "name": format!("Nguồn địa phương {i}"), "level": "LOCAL",
                    "provinceCode": DAK_LAK, "fiscalYear": 2025, "amountVnd": 100_000_000_000i64 } }),
            )
            .await;
        sources.push(id_of(&s["createFundingSource"]));
    }
    let app = &app;
    // One at a time: project codes are numbered per province and year.
    for i in 0..20 {
        let p = app
            .ok(
                Some(t),
                CREATE_PROJECT,
                json!({ "i": { "title": format!("Đề án thử {i}"), "programLevel": "LOCAL",
                    "kind": "INDIVIDUAL", "category": "VOCATIONAL_TRAINING",
                    "provinceCode": DAK_LAK, "communeCode": BMT, "fiscalYear": 2025 } }),
            )
            .await["createProject"]
            .clone();
        let id = id_of(&p);
        let mut v = p["version"].as_i64().expect("version");
        for k in 0..2 {
            let e = &establishments[(i * 2 + k) % establishments.len()];
            v = app
                .ok(
                    Some(t),
                    ADD,
                    json!({ "p": id, "v": v, "i": { "establishmentId": e,
                        "supportVnd": 10_000_000, "counterpartVnd": 10_000_000 } }),
                )
                .await["addBeneficiary"]["version"]
                .as_i64()
                .expect("version");
        }
        app.ok(
            Some(t),
            ALLOCATE,
            json!({ "p": id, "s": sources[i % sources.len()], "a": 20_000_000 }),
        )
        .await;
    }

    // The page; beneficiaries and their establishments; allocations and their sources.
    assert_flat(app, t, W2B, json!({}), 5.0, |d| {
        let nodes = d["projects"]["nodes"].as_array().expect("nodes");
        assert_eq!(nodes.len(), 20);
        for n in nodes {
            let b = n["beneficiaries"].as_array().expect("beneficiaries");
            assert_eq!(b.len(), 2, "{n:#}");
            assert_eq!(b[0]["establishment"]["province"]["name"], "Đắk Lắk");
            assert!(n["allocations"][0]["fundingSource"]["name"].is_string());
        }
    })
    .await;
}

const ROW: &str = "key projectCount nationalVnd localVnd otherVnd counterpartVnd disbursedVnd \
    totalVnd";

/// Statements and data of one `fundingSummary` selection.
async fn summary(app: &TestApp, token: &str, selection: &str) -> (f64, Value) {
    let query = format!("{{ fundingSummary {{ {selection} }} }}");
    let (data, statements) = app.ok_counting(token, &query, json!({})).await;
    (statements, data["fundingSummary"].clone())
}

#[tokio::test]
async fn funding_summary_computes_only_the_groupings_selected_in_one_statement_each() {
    let app = spawn_measured_app().await;
    khuyencong::demo::load(&app.state).await.expect("demo");
    let user = app.national().await;
    let t = user.token.as_str();
    let everything = format!(
        "projectCount beneficiaryCount establishmentCount nationalVnd localVnd otherVnd \
         publicVnd counterpartVnd totalVnd disbursedVnd leverageRatio jobsCreated trainees \
         byYear {{ {ROW} }} byProvince {{ {ROW} }} byCategory {{ {ROW} }}"
    );
    let (n, all) = summary(&app, t, &everything).await;
    assert_eq!(n, 4.0, "three groupings and the beneficiary counts");
    assert!(
        all["projectCount"].as_i64().expect("count") > 200,
        "{all:#}"
    );

    let (n, by_province) = summary(&app, t, &format!("byProvince {{ {ROW} }}")).await;
    assert_eq!(n, 1.0);
    assert_eq!(by_province["byProvince"], all["byProvince"]);

    // Totals with a grouping are summed from it: still one statement.
    let (n, part) = summary(
        &app,
        t,
        &format!("projectCount nationalVnd counterpartVnd byYear {{ {ROW} }}"),
    )
    .await;
    assert_eq!(n, 1.0);
    assert_eq!(part["byYear"], all["byYear"]);
    for f in ["projectCount", "nationalVnd", "counterpartVnd"] {
        assert_eq!(part[f], all[f], "{f}");
    }

    // Totals alone: one statement without grouping.
    let (n, part) = summary(&app, t, "projectCount totalVnd leverageRatio trainees").await;
    assert_eq!(n, 1.0);
    for f in ["projectCount", "totalVnd", "leverageRatio", "trainees"] {
        assert_eq!(part[f], all[f], "{f}");
    }

    let (n, part) = summary(&app, t, "beneficiaryCount establishmentCount").await;
    assert_eq!(n, 1.0);
    assert_eq!(part["beneficiaryCount"], all["beneficiaryCount"]);
    assert_eq!(part["establishmentCount"], all["establishmentCount"]);
}

/// These tests count statements under concurrency, not the back-pressure of
/// `KC_MAX_IN_FLIGHT` (tested in `overload`).
async fn spawn_measured_app() -> crate::helpers::TestApp {
    crate::helpers::spawn_app_admitting_all().await
}

/// A page of the change feed with each change's record and actor (issue #11).
const CHANGES: &str = "query Changes($first: Int) { changes(first: $first) { \
    nodes { id entity operation actor { id username } node { id } } \
    pageInfo { hasNextPage } } }";

#[tokio::test]
async fn a_page_of_changes_reads_its_records_and_actors_in_a_bounded_number_of_statements() {
    let app = spawn_measured_app().await;
    khuyencong::demo::load(&app.state).await.expect("demo");
    let user = app.national().await;
    let t = user.token.as_str();
    // Every change's record is the one it names; every change has an actor the ministry sees.
    let check = |d: &Value| {
        let nodes = d["changes"]["nodes"].as_array().expect("nodes");
        assert!(!nodes.is_empty());
        for c in nodes {
            assert!(c["actor"]["id"].is_string(), "{c:#}");
            if c["entity"] != "DISBURSEMENT" && c["operation"] != "DELETE" {
                assert_eq!(c["node"]["id"], c["id"], "{c:#}");
            }
        }
    };
    let mut counts = Vec::new();
    for first in [10, 100, 1000] {
        let n = per_request(&app, t, CHANGES, &json!({ "first": first }), 1, check).await;
        counts.push(n);
        // The page, one statement per kind of record on it (allocations and nominations
        // with their projects and rounds), the users: never one per change.
        assert!(n <= 12.0, "{n} statements for a page of {first} changes");
    }
    let kinds = app.ok(Some(t), CHANGES, json!({ "first": 1000 })).await["changes"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|c| c["entity"].as_str().expect("entity").to_owned())
        .collect::<std::collections::HashSet<_>>();
    assert!(kinds.len() >= 5, "the demo's feed mixes kinds: {kinds:?}");
    eprintln!("statements for pages of 10, 100, 1000 changes: {counts:?} ({kinds:?})");
    // Many at once cost the same per request as one alone.
    let loaded = per_request(
        &app,
        t,
        CHANGES,
        &json!({ "first": 100 }),
        CONCURRENCY,
        check,
    )
    .await;
    assert_eq!(
        loaded, counts[1],
        "statements per request at c = {CONCURRENCY}"
    );
}
