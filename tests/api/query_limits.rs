//! Limits on aliases, root fields, batches and directives: refused before any SQL runs.

use serde_json::json;

use crate::helpers::{assert_code, guard::post_raw, spawn_app};

fn aliases(n: usize) -> String {
    let fields: Vec<String> = (0..n).map(|i| format!("a{i}: __typename")).collect();
    format!("{{ {} }}", fields.join(" "))
}

#[tokio::test]
async fn too_many_aliases_or_root_fields_are_query_too_complex_before_any_sql() {
    let app = spawn_app().await;
    let before = app.metric("db_statements_total").await;

    // 21 root fields (limit 20).
    let body = app.gql(None, &aliases(21), json!({})).await;
    assert_code(&body, "QUERY_TOO_COMPLEX");
    // Aliases below the root count too.
    let nested: Vec<String> = (0..51).map(|i| format!("n{i}: __typename")).collect();
    let q = format!("{{ me {{ {} }} }}", nested.join(" "));
    let body = app.gql(None, &q, json!({})).await;
    assert_code(&body, "QUERY_TOO_COMPLEX");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("aliases")),
        "{body:#}"
    );
    // Through fragments as well.
    let q = format!(
        "{{ ...F }} fragment F on Query {{ {} }}",
        (0..21)
            .map(|i| format!("r{i}: __typename"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    assert_code(&app.gql(None, &q, json!({})).await, "QUERY_TOO_COMPLEX");

    // Within the limits, the same shape runs.
    let body = app.gql(None, &aliases(20), json!({})).await;
    assert!(body.get("errors").is_none(), "{body:#}");

    assert_eq!(
        app.metric("db_statements_total").await,
        before,
        "no statement ran for refused or SQL-free documents"
    );
}

#[tokio::test]
async fn a_batch_or_repeated_directives_are_refused_before_any_sql() {
    let app = spawn_app().await;
    let before = app.metric("db_statements_total").await;

    let batch = json!([
        { "query": "{ establishments { totalCount } }" },
        { "query": "{ establishments { totalCount } }" }
    ]);
    let r = post_raw(&app.client, &app.address, None, batch.to_string(), &[]).await;
    assert_eq!(r.status, 400, "one operation per request");

    let body = app
        .gql(
            None,
            "{ establishments @skip(if: false) @skip(if: false) { totalCount } }",
            json!({}),
        )
        .await;
    assert_code(&body, "BAD_USER_INPUT");

    assert_eq!(app.metric("db_statements_total").await, before);
}

#[tokio::test]
async fn money_is_whole_dong_and_never_rounded() {
    let app = spawn_app().await;
    let national = app.national().await;
    for amount in [
        json!(1000.5),
        json!(1.0e3),
        json!("1000"),
        json!(9_007_199_254_740_992_i64),
    ] {
        let body = app
            .gql(
                Some(&national.token),
                "mutation($i: CreateFundingSourceInput!) { createFundingSource(input: $i) { id amountVnd } }",
                json!({ "i": { "level": "NATIONAL", "fiscalYear": 2026, "amountVnd": amount, "name": "Nguồn thử" } }),
            )
            .await;
        assert_code(&body, "BAD_USER_INPUT");
    }
    let body = app
        .gql(
            Some(&national.token),
            "mutation($i: CreateFundingSourceInput!) { createFundingSource(input: $i) { id amountVnd } }",
            json!({ "i": { "level": "NATIONAL", "fiscalYear": 2026, "amountVnd": 1000, "name": "Nguồn thử" } }),
        )
        .await;
    assert_eq!(
        body["data"]["createFundingSource"]["amountVnd"], 1000,
        "{body:#}"
    );
}
