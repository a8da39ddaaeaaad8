//! CORS (`KC_CORS_ORIGINS`), the security headers, and the production switches
//! `KC_GRAPHIQL=false` and `KC_INTROSPECTION=false`.

use khuyencong::config::CorsOrigins;
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with};

async fn preflight(
    app: &crate::helpers::TestApp,
    path: &str,
    origin: &str,
    headers: &str,
) -> reqwest::Response {
    app.client
        .request(reqwest::Method::OPTIONS, format!("{}{path}", app.address))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", headers)
        .send()
        .await
        .expect("options")
}

#[tokio::test]
async fn listed_origins_get_preflights_answered_on_graphql_and_export() {
    let app = spawn_app_with(|c| {
        c.cors_origins = CorsOrigins::List(vec!["http://localhost:3000".into()])
    })
    .await;
    for path in ["/graphql", "/export/establishments.csv"] {
        let r = preflight(
            &app,
            path,
            "http://localhost:3000",
            "authorization,content-type,accept-language,idempotency-key",
        )
        .await;
        assert!(r.status().is_success(), "{path}: {}", r.status());
        let h = r.headers();
        assert_eq!(h["access-control-allow-origin"], "http://localhost:3000");
        let allowed = h["access-control-allow-headers"]
            .to_str()
            .expect("ascii")
            .to_ascii_lowercase();
        for name in [
            "authorization",
            "content-type",
            "accept-language",
            "idempotency-key",
        ] {
            assert!(allowed.contains(name), "{name} in {allowed}");
        }
        assert!(
            h["access-control-allow-methods"]
                .to_str()
                .expect("ascii")
                .contains("POST")
        );
        assert!(
            !h.contains_key("access-control-allow-credentials"),
            "no credentials"
        );
    }
    // The actual request, and an error of the edge, carry the header too.
    for token in [None, Some("bad-token")] {
        let mut req = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("origin", "http://localhost:3000")
            .json(&json!({ "query": "{ provinces { code } }" }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.expect("post");
        assert_eq!(
            r.headers()["access-control-allow-origin"],
            "http://localhost:3000",
            "token {token:?}"
        );
        assert!(
            r.headers()["access-control-expose-headers"]
                .to_str()
                .expect("ascii")
                .to_ascii_lowercase()
                .contains("retry-after")
        );
    }
    // Another origin gets no permission.
    let r = preflight(&app, "/graphql", "https://evil.example", "content-type").await;
    assert!(!r.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn any_origin_is_anonymous_only_and_without_credentials() {
    let app = spawn_app_with(|c| c.cors_origins = CorsOrigins::Any).await;
    let r = preflight(&app, "/graphql", "https://portal.example", "content-type").await;
    assert!(r.status().is_success());
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert!(!r.headers().contains_key("access-control-allow-credentials"));
    let allowed = r.headers()["access-control-allow-headers"]
        .to_str()
        .expect("ascii")
        .to_ascii_lowercase();
    assert!(
        !allowed.contains("authorization"),
        "with *, a browser cannot send a token: {allowed}"
    );
}

#[tokio::test]
async fn without_cors_origins_no_cross_origin_access_is_granted() {
    let app = spawn_app().await;
    let r = preflight(&app, "/graphql", "http://localhost:3000", "content-type").await;
    assert!(!r.headers().contains_key("access-control-allow-origin"));
    let r = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("origin", "http://localhost:3000")
        .json(&json!({ "query": "{ provinces { code } }" }))
        .send()
        .await
        .expect("post");
    assert!(!r.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    for (method, path) in [
        ("POST", "/graphql"),
        ("GET", "/graphql"),
        ("GET", "/healthz"),
        ("GET", "/export/establishments.csv"),
        ("GET", "/graphql/assets/graphiql.min.js"),
    ] {
        let req = if method == "POST" {
            app.client
                .post(format!("{}{path}", app.address))
                .json(&json!({ "query": "{ provinces { code } }" }))
        } else {
            app.get(path)
        };
        let r = req.send().await.expect("send");
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        let csp = h["content-security-policy"].to_str().expect("ascii");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        if path == "/graphql" && method == "GET" {
            assert!(csp.contains("script-src 'self'"), "{csp}");
            assert!(!csp.contains("unsafe-eval"), "{csp}");
        } else {
            assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        }
    }
    let page = app.get_text("/graphql").await;
    assert!(
        !page.contains("<script>"),
        "no inline script the CSP would block"
    );
}

#[tokio::test]
async fn graphiql_and_introspection_can_be_switched_off() {
    let app = spawn_app_with(|c| {
        c.graphiql = false;
        c.introspection = false;
    })
    .await;
    for path in ["/graphql", "/graphql/assets/graphiql.min.js"] {
        let r = app.get(path).send().await.expect("get");
        assert_eq!(r.status(), 404, "{path}");
    }
    let body = app
        .gql(None, "{ __schema { queryType { name } } }", json!({}))
        .await;
    // async-graphql answers disabled introspection with null, not an error.
    assert!(
        body["data"]["__schema"].is_null(),
        "introspection refused: {body}"
    );
    let body = app
        .gql(None, "{ __type(name: \"Query\") { name } }", json!({}))
        .await;
    assert!(body["data"]["__type"].is_null(), "{body}");
    // Queries still work.
    let body = app
        .gql(None, "{ provinces { code } __typename }", json!({}))
        .await;
    assert!(body["data"]["provinces"].is_array(), "{body}");

    let on = spawn_app().await;
    let body = on
        .gql(None, "{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
}
