//! Batched loading of nested lists and the query limits (depth and complexity).

use super::*;

// ---------------------------------------------------------------------------------------
// Batched loading and query limits
// ---------------------------------------------------------------------------------------

const NESTED: &str = "query Nested { establishments(first: 50) { nodes { name \
    commune { name province { name } } \
    products { totalCount nodes { name establishment { name } } } } } }";

/// Runs `NESTED` and returns the statements it executed and its data.
async fn statements_of_nested(app: &TestApp, token: &str) -> (f64, Value) {
    let (data, statements) = app.ok_counting(token, NESTED, json!({})).await;
    (statements, data)
}

async fn seed_with_products(app: &TestApp, token: &str, n: usize) {
    for i in 0..n {
        let commune = if i % 2 == 0 { BMT } else { DAK_LAK_OTHER };
        let e = app.establishment(token, commune, json!({})).await;
        let id = id_of(&e);
        app.product(token, &id, &format!("Sản phẩm A{i}")).await;
        app.product(token, &id, &format!("Sản phẩm B{i}")).await;
    }
}

#[tokio::test]
async fn statements_per_request_do_not_grow_with_the_rows_returned() {
    let app = spawn_app().await;
    let user = app.province(DAK_LAK).await;

    seed_with_products(&app, &user.token, 3).await;
    let (few, data) = statements_of_nested(&app, &user.token).await;
    let nodes = data["establishments"]["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), 3);

    seed_with_products(&app, &user.token, 9).await;
    let (many, data) = statements_of_nested(&app, &user.token).await;
    let nodes = data["establishments"]["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), 12);
    for n in nodes {
        assert_eq!(n["products"]["totalCount"], 2, "{n:#}");
        assert_eq!(
            n["commune"]["province"]["name"],
            nodes[0]["commune"]["province"]["name"]
        );
        for p in n["products"]["nodes"].as_array().expect("products") {
            assert_eq!(p["establishment"]["name"], n["name"]);
        }
    }

    assert!(few > 0.0, "the statements are counted");
    assert_eq!(few, many, "3 rows took {few} statements, 12 rows {many}");
}

/// `establishments → nodes → products → nodes → establishment → …` `cycles` times.
fn deep_query(cycles: usize) -> String {
    let mut q = String::from("query Deep { establishments(first: 1) { nodes { ");
    let mut close = String::from(" } } }");
    for _ in 0..cycles {
        q.push_str("products(first: 1) { nodes { establishment { ");
        close.push_str(" } } }");
    }
    q.push_str("name");
    q.push_str(&close);
    q
}

#[tokio::test]
async fn a_query_nested_deeper_than_12_is_refused_before_any_sql() {
    let app = spawn_app().await;
    let user = app.national().await;
    let e = app.establishment(&user.token, BMT, json!({})).await;
    app.product(&user.token, &id_of(&e), "Cà phê").await;

    // Three cycles: depth 12 at most is served.
    let ok = app.gql(Some(&user.token), &deep_query(3), json!({})).await;
    assert!(ok.get("errors").is_none(), "depth 12 is allowed: {ok:#}");

    let before = app.metric("db_statements_total").await;
    for cycles in [4, 6, 20] {
        let body = app
            .gql(Some(&user.token), &deep_query(cycles), json!({}))
            .await;
        assert_code(&body, "QUERY_TOO_COMPLEX");
        assert!(body["data"].is_null(), "{body:#}");
    }
    assert_eq!(
        app.metric("db_statements_total").await,
        before,
        "no SQL ran"
    );
}

#[tokio::test]
async fn a_query_over_the_complexity_budget_is_refused_before_any_sql() {
    let app = spawn_app().await;
    let user = app.national().await;
    app.establishment(&user.token, BMT, json!({})).await;
    let list = "establishments(first: 100) { nodes { products(first: 100) { \
        nodes { name establishment { name } } } } }";
    let query = format!("query Costly {{ a: {list} b: {list} c: {list} d: {list} }}");

    let before = app.metric("db_statements_total").await;
    let body = app.gql(Some(&user.token), &query, json!({})).await;
    assert_code(&body, "QUERY_TOO_COMPLEX");
    let body = app
        .gql(
            Some(&user.token),
            &format!("query One {{ {list} }}"),
            json!({}),
        )
        .await;
    assert_code(&body, "QUERY_TOO_COMPLEX");
    assert_eq!(
        app.metric("db_statements_total").await,
        before,
        "no SQL ran"
    );

    // A modest page of the same shape is served.
    let small = "query Small { establishments(first: 10) { nodes { products(first: 10) { \
        nodes { name establishment { name } } } } } }";
    let body = app.gql(Some(&user.token), small, json!({})).await;
    assert!(body.get("errors").is_none(), "{body:#}");
}
