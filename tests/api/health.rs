//! Health, readiness, metrics, GraphiQL and the HTTP limits.

use serde_json::json;

use crate::helpers::{assert_code, spawn_app};

#[tokio::test]
async fn healthz_and_readyz_answer_while_the_database_is_up() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let r = app.get(path).send().await.expect("get");
        assert_eq!(r.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn readyz_fails_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.state.db.close_by_ref().await.expect("close pool");
    let r = app.get("/readyz").send().await.expect("get");
    assert_eq!(r.status(), 503);
    let live = app.get("/healthz").send().await.expect("get");
    assert_eq!(live.status(), 200, "the process still lives");
}

#[tokio::test]
async fn graphiql_is_served_from_the_binary() {
    let app = spawn_app().await;
    let page = app.get("/graphql").send().await.expect("get");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("/graphql/assets/graphiql.min.js"));
    assert!(!html.contains("unpkg.com") && !html.contains("jsdelivr"));
    for asset in [
        "graphiql.min.js",
        "graphiql.min.css",
        "react.production.min.js",
        "react-dom.production.min.js",
    ] {
        let r = app
            .get(&format!("/graphql/assets/{asset}"))
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 200, "{asset}");
        assert!(r.bytes().await.expect("bytes").len() > 1000, "{asset}");
    }
}

#[tokio::test]
async fn metrics_count_requests_errors_and_statements() {
    let app = spawn_app().await;
    let before = app.metric("db_statements_total").await;
    let body = app
        .gql(
            None,
            "query Provinces { establishments { totalCount } }",
            json!({}),
        )
        .await;
    assert_code(&body, "UNAUTHENTICATED");
    let user = app.national().await;
    app.ok(
        Some(&user.token),
        "query Mine { me { username } }",
        json!({}),
    )
    .await;
    let text = app.get_text("/metrics").await;
    assert!(
        text.contains("http_requests_total{operation=\"Mine\",status=\"200\"}"),
        "{text}"
    );
    assert!(text.contains("http_request_duration_seconds_bucket{operation=\"Mine\""));
    assert!(
        text.contains("graphql_errors_total{code=\"UNAUTHENTICATED\"} 1"),
        "{text}"
    );
    assert!(text.contains("db_pool_connections{state=\"idle\"}"));
    assert!(app.metric("db_statements_total").await > before);
}

#[tokio::test]
async fn bodies_over_one_mebibyte_are_refused() {
    let app = spawn_app().await;
    let big = "x".repeat(1024 * 1024 + 10);
    let r = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": format!("{{ provinces {{ code }} }} # {big}") }))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 413);
}

#[tokio::test]
async fn requests_over_the_rate_are_refused_per_user_and_per_address() {
    // One request a second per user, bursts of 4; an address gets five times as much.
    let app = crate::helpers::spawn_app_with(|c| c.requests_per_second = 1).await;
    let user = app.national().await;
    let mut limited = 0;
    for _ in 0..8 {
        let body = app.gql(Some(&user.token), "{ me { id } }", json!({})).await;
        if body["errors"][0]["extensions"]["code"] == "RATE_LIMITED" {
            limited += 1;
        }
    }
    assert!(limited > 0, "8 requests at once exceed a user's burst of 4");
    let mut limited = 0;
    for _ in 0..30 {
        let body = app.gql(None, "{ provinces { code } }", json!({})).await;
        if body["errors"][0]["extensions"]["code"] == "RATE_LIMITED" {
            limited += 1;
        }
    }
    assert!(
        limited > 0,
        "30 requests at once exceed an address's burst of 20"
    );
}

#[tokio::test]
async fn graphiqls_deep_introspection_query_is_answered() {
    let app = spawn_app().await;
    // The shape of GraphiQL's schema fetch: `ofType` nested past the depth limit of 12.
    let of_type = (0..9).fold(String::from("name"), |inner, _| {
        format!("kind name ofType {{ {inner} }}")
    });
    let query = format!(
        "query IntrospectionQuery {{ __schema {{ queryType {{ name }} types {{ name fields {{ name type {{ {of_type} }} }} }} }} }}"
    );
    let body = app.gql(None, &query, json!({})).await;
    assert!(body.get("errors").is_none(), "{body:#}");
    assert!(
        body["data"]["__schema"]["types"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t["name"] == "Establishment"))
    );
    // Mixing data fields in keeps the limits.
    let mixed = format!(
        "{{ __schema {{ types {{ fields {{ type {{ {of_type} }} }} }} }} provinces {{ code }} }}"
    );
    assert_code(&app.gql(None, &mixed, json!({})).await, "QUERY_TOO_COMPLEX");
}
