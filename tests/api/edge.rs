//! The one HTTP edge: tokens, addresses, rate limits, error bodies and statuses, content
//! negotiation, `UNAVAILABLE`, refresh-token messages, `/metrics` access, the request log.

use serde_json::{Value, json};

use crate::helpers::{
    JWT_SECRET, assert_code, fresh_database, process::Server, spawn_app, spawn_app_with,
};

async fn post(
    app: &crate::helpers::TestApp,
    headers: &[(&str, &str)],
    body: Value,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.expect("post")
}

#[tokio::test]
async fn rate_limited_requests_get_429_with_retry_after_on_graphql_and_export() {
    let app = spawn_app_with(|c| c.requests_per_second = 1).await;
    let user = app.national().await;
    let auth = format!("Bearer {}", user.token);
    let mut limited = None;
    for _ in 0..10 {
        let r = post(
            &app,
            &[("authorization", auth.as_str())],
            json!({ "query": "{ me { id } }" }),
        )
        .await;
        if r.status() == 429 {
            limited = Some(r);
            break;
        }
        assert_eq!(r.status(), 200);
    }
    let r = limited.expect("10 requests at once exceed a user's burst of 4");
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=5).contains(&retry), "Retry-After {retry}");
    let body: Value = r.json().await.expect("json");
    assert_code(&body, "RATE_LIMITED");
    assert_eq!(body["errors"][0]["extensions"]["retryAfterSeconds"], retry);
    assert!(
        body["errors"][0].get("locations").is_none(),
        "no place in the query: {body}"
    );
    let r = app
        .client
        .get(format!("{}/export/establishments.csv", app.address))
        .header("authorization", auth.as_str())
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn failed_sign_ins_lock_out_with_429_and_the_lockout_time() {
    let app = spawn_app_with(|c| c.login_attempts_per_minute = 2).await;
    let mut last = None;
    for _ in 0..4 {
        let r = post(
            &app,
            &[],
            json!({ "query": "mutation { login(username: \"nobody\", password: \"wrong\") { accessToken } }" }),
        )
        .await;
        last = Some(r);
    }
    let r = last.expect("response");
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "60");
    let body: Value = r.json().await.expect("json");
    assert_code(&body, "RATE_LIMITED");
    assert_eq!(body["errors"][0]["extensions"]["retryAfterSeconds"], 60);
}

#[tokio::test]
async fn a_bad_token_is_401_without_locations_on_every_endpoint() {
    let app = spawn_app().await;
    let r = post(
        &app,
        &[("authorization", "Bearer not-a-token")],
        json!({ "query": "{ provinces { code } }" }),
    )
    .await;
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let body: Value = r.json().await.expect("json");
    assert_code(&body, "UNAUTHENTICATED");
    assert!(body["errors"][0].get("locations").is_none(), "{body}");
    for auth in [None, Some("Bearer not-a-token"), Some("Basic abc")] {
        let mut req = app
            .client
            .get(format!("{}/export/establishments.csv", app.address))
            .header("accept-language", "vi");
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let r = req.send().await.expect("get");
        assert_eq!(r.status(), 401, "{auth:?}");
        let body: Value = r.json().await.expect("json");
        assert_code(&body, "UNAUTHENTICATED");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("đăng nhập")),
            "Vietnamese: {body}"
        );
    }
}

#[tokio::test]
async fn the_response_media_type_follows_accept() {
    let app = spawn_app().await;
    let q = json!({ "query": "{ provinces { code } }" });
    for (accept, expected) in [
        (Some("application/json"), "application/json"),
        (
            Some("application/graphql-response+json, application/json;q=0.9"),
            "application/graphql-response+json",
        ),
        (Some("*/*"), "application/graphql-response+json"),
    ] {
        let headers: Vec<(&str, &str)> = accept.iter().map(|a| ("accept", *a)).collect();
        let r = post(&app, &headers, q.clone()).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], expected, "Accept {accept:?}");
        let body: Value = r.json().await.expect("json");
        assert!(body["data"]["provinces"].is_array());
    }
    // Errors of the edge are negotiated the same way.
    let r = post(
        &app,
        &[
            ("accept", "application/json"),
            ("authorization", "Bearer x"),
        ],
        q,
    )
    .await;
    assert_eq!(r.headers()["content-type"], "application/json");
}

#[tokio::test]
async fn an_unreachable_database_is_503_unavailable_with_retry_after() {
    let app = spawn_app().await;
    let user = app.national().await;
    app.state.db.close_by_ref().await.expect("close pool");
    let auth = format!("Bearer {}", user.token);
    let r = post(
        &app,
        &[("authorization", auth.as_str())],
        json!({ "query": "{ establishments(first: 1) { totalCount } }" }),
    )
    .await;
    assert_eq!(r.status(), 503);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(retry >= 1);
    let body: Value = r.json().await.expect("json");
    assert_code(&body, "UNAVAILABLE");
    assert_eq!(body["errors"][0]["extensions"]["retryAfterSeconds"], retry);
    assert!(!body.to_string().contains("INTERNAL"), "{body}");
    let r = app
        .client
        .get(format!("{}/export/establishments.ndjson", app.address))
        .header("authorization", auth.as_str())
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    let body: Value = r.json().await.expect("json");
    assert_code(&body, "UNAVAILABLE");
}

#[tokio::test]
async fn reused_and_unknown_refresh_tokens_say_so() {
    let app = spawn_app().await;
    let user = app.national().await;
    let refresh = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }";
    app.ok(None, refresh, json!({ "t": user.refresh })).await;
    let body = app.gql(None, refresh, json!({ "t": user.refresh })).await;
    assert_code(&body, "UNAUTHENTICATED");
    let msg = body["errors"][0]["message"].as_str().expect("message");
    assert!(msg.contains("already used"), "{msg}");
    assert!(!msg.contains("access token"), "{msg}");
    let body = app
        .gql(None, refresh, json!({ "t": "no-such-token" }))
        .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("unknown")),
        "{body}"
    );
}

#[tokio::test]
async fn forwarded_addresses_count_only_when_trusted_on_every_endpoint() {
    for trusted in [true, false] {
        let app = spawn_app_with(|c| {
            c.requests_per_second = 1;
            c.trust_forwarded_for = trusted;
        })
        .await;
        // An address gets bursts of 20 at one request a second per user → 5 per address.
        let mut limited = false;
        for _ in 0..30 {
            let r = app
                .client
                .get(format!("{}/export/establishments.csv", app.address))
                .header("x-forwarded-for", "10.0.0.1")
                .send()
                .await
                .expect("get");
            if r.status() == 429 {
                limited = true;
                break;
            }
            assert_eq!(r.status(), 401);
        }
        assert!(limited, "30 requests at once exceed an address's burst");
        let r = app
            .client
            .get(format!("{}/export/establishments.csv", app.address))
            .header("x-forwarded-for", "10.0.0.2")
            .send()
            .await
            .expect("get");
        let expected = if trusted { 401 } else { 429 };
        assert_eq!(r.status(), expected, "trusted: {trusted}");
    }
}

#[tokio::test]
async fn metrics_need_the_metrics_token_when_one_is_set() {
    let app = spawn_app_with(|c| c.metrics_token = Some("scrape-secret-123".into())).await;
    let url = format!("{}/metrics", app.address);
    let r = app.client.get(&url).send().await.expect("get");
    assert_eq!(r.status(), 401);
    let r = app
        .client
        .get(&url)
        .bearer_auth("wrong")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 401);
    let r = app
        .client
        .get(&url)
        .bearer_auth("scrape-secret-123")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    assert!(
        r.text()
            .await
            .expect("text")
            .contains("db_pool_connections")
    );
}

#[tokio::test]
async fn the_binary_logs_one_line_per_request_and_per_failed_sign_in_without_query_text() {
    let dir = tempfile::tempdir().expect("dir");
    let url = fresh_database().await;
    let server = Server::start(
        dir.path(),
        &["serve"],
        &[("DATABASE_URL", &url), ("KC_JWT_SECRET", JWT_SECRET)],
    );
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{}/graphql", server.address))
        .header("x-request-id", "req-edge-test-1")
        .json(&json!({
            "query": "query Secretive($v: String!) { provinces { code name } __typename @include(if: true) } # SECRET-QUERY-TEXT",
            "variables": { "v": "SECRET-VARIABLE" },
        }))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    let r = client
        .post(format!("{}/graphql", server.address))
        .json(&json!({
            "query": "mutation { login(username: \"intruder\", password: \"SECRET-PASSWORD\") { accessToken } }",
        }))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    let mut out = String::new();
    for _ in 0..50 {
        out = server.output();
        if out.contains("sign-in failed") && out.matches("req-edge-test-1").count() >= 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let line = out
        .lines()
        .find(|l| l.contains("req-edge-test-1"))
        .unwrap_or_else(|| panic!("a request line: {out}"));
    assert!(
        !out.contains('\u{1b}'),
        "no colour codes into a pipe: {out}"
    );
    for part in ["Secretive", "status=200", "duration_ms", "POST", "/graphql"] {
        assert!(line.contains(part), "{part} in {line}");
    }
    assert!(
        out.lines()
            .any(|l| l.contains("sign-in failed") && l.contains("intruder")),
        "{out}"
    );
    for secret in ["SECRET-QUERY-TEXT", "SECRET-VARIABLE", "SECRET-PASSWORD"] {
        assert!(!out.contains(secret), "{secret} logged: {out}");
    }
}
