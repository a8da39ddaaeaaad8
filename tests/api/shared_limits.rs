//! Sign-in lockouts shared by every instance through Redis (`KC_REDIS_URL`), per instance
//! without it, and per instance (loudly) when Redis is down. The shared case runs two server
//! processes of the real binary on one database and the Redis at 127.0.0.1:6379.

use khuyencong::enums::Role;
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, assert_code,
    guard::{ServerProcess, post_raw, second_instance, unique_user},
    spawn_app, spawn_app_with,
};

const REDIS: &str = "redis://127.0.0.1:6379";
const LOGIN: &str =
    "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken } }";

async fn login_at(
    client: &reqwest::Client,
    address: &str,
    user: &str,
    password: &str,
    ip: &str,
) -> Value {
    let body = json!({ "query": LOGIN, "variables": { "u": user, "p": password } });
    post_raw(
        client,
        address,
        None,
        body.to_string(),
        &[("x-forwarded-for", ip)],
    )
    .await
    .body
}

/// An address of its own for each test run, so counts in Redis never mix runs.
fn fresh_ip() -> String {
    let b = uuid::Uuid::new_v4().into_bytes();
    format!("10.{}.{}.{}", b[0], b[1], b[2])
}

#[tokio::test]
async fn a_lockout_holds_across_two_server_processes_sharing_redis() {
    let app = spawn_app().await;
    let user = unique_user(&app, Role::National, None).await;
    let env = [
        ("KC_REDIS_URL", REDIS),
        ("KC_LOGIN_ATTEMPTS_PER_MINUTE", "3"),
        ("KC_TRUST_FORWARDED_FOR", "true"),
    ];
    let a = ServerProcess::start(&app.state.config.database_url, &env).await;
    let b = ServerProcess::start(&app.state.config.database_url, &env).await;
    let client = reqwest::Client::new();

    // Two wrong passwords on each process: four failures, over the allowance of three.
    let mut codes = Vec::new();
    for p in [&a, &b, &a, &b] {
        let body = login_at(&client, &p.address, &user, "sai-mat-khau", &fresh_ip()).await;
        codes.push(body["errors"][0]["extensions"]["code"].clone());
    }
    assert!(
        codes[..3].iter().all(|c| c == "UNAUTHENTICATED"),
        "{codes:?}"
    );
    assert_eq!(codes[3], json!("RATE_LIMITED"), "{codes:?}");
    // The right password is refused on both processes while locked.
    for p in [&a, &b] {
        let body = login_at(&client, &p.address, &user, PASSWORD, &fresh_ip()).await;
        assert_code(&body, "RATE_LIMITED");
    }
}

#[tokio::test]
async fn without_redis_each_instance_counts_alone() {
    let app = spawn_app_with(|c| {
        c.login_attempts_per_minute = 3;
        c.trust_forwarded_for = true;
    })
    .await;
    let other = second_instance(&app, |_| {}).await;
    let user = unique_user(&app, Role::National, None).await;
    for target in [&app, &other, &app, &other] {
        let body = login_at(&app.client, &target.address, &user, "sai", &fresh_ip()).await;
        assert_code(&body, "UNAUTHENTICATED");
    }
    // Two failures per instance stay under each instance's three.
    let body = login_at(&app.client, &app.address, &user, PASSWORD, &fresh_ip()).await;
    assert!(body["data"]["login"]["accessToken"].is_string(), "{body:#}");
}

#[tokio::test]
async fn with_redis_down_limits_fall_back_to_the_instance() {
    let app = spawn_app_with(|c| {
        c.login_attempts_per_minute = 3;
        c.trust_forwarded_for = true;
        // Nothing listens on port 1.
        c.redis_url = Some("redis://127.0.0.1:1".into());
    })
    .await;
    assert!(!app.state.guard.shared.is_shared().await);
    let user = unique_user(&app, Role::National, None).await;
    let ip = fresh_ip();
    let mut codes = Vec::new();
    for _ in 0..4 {
        let body = login_at(&app.client, &app.address, &user, "sai", &ip).await;
        codes.push(body["errors"][0]["extensions"]["code"].clone());
    }
    assert_eq!(codes[3], json!("RATE_LIMITED"), "{codes:?}");
    // Other requests keep working.
    let body = app.gql(None, "{ __typename }", json!({})).await;
    assert_eq!(body["data"]["__typename"], "Query");
}

#[tokio::test]
async fn in_process_instances_share_a_lockout_through_redis() {
    let app = spawn_app_with(|c| {
        c.login_attempts_per_minute = 3;
        c.trust_forwarded_for = true;
        c.redis_url = Some(REDIS.into());
    })
    .await;
    assert!(app.state.guard.shared.is_shared().await, "Redis at {REDIS}");
    let other = second_instance(&app, |_| {}).await;
    let user = unique_user(&app, Role::National, None).await;
    for target in [&app, &other, &app] {
        let body = login_at(&app.client, &target.address, &user, "sai", &fresh_ip()).await;
        assert_code(&body, "UNAUTHENTICATED");
    }
    let body = login_at(&app.client, &other.address, &user, "sai", &fresh_ip()).await;
    assert_code(&body, "RATE_LIMITED");
    let body = login_at(&app.client, &app.address, &user, PASSWORD, &fresh_ip()).await;
    assert_code(&body, "RATE_LIMITED");
}
