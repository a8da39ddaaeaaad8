//! Revocation within seconds on every instance (token epochs), `logoutAll`, and signing-key
//! rotation with `kid`.

use std::time::{Duration, Instant};

use khuyencong::enums::Role;
use serde_json::{Value, json};

use crate::helpers::{
    JWT_SECRET, PASSWORD, TestApp, assert_code, guard::second_instance, place, spawn_app,
};

const ME: &str = "{ me { username } }";
const UPDATE_USER: &str =
    "mutation($id: ID!, $i: UpdateUserInput!) { updateUser(id: $id, input: $i) { id } }";
const REFRESH: &str = "mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken } }";

/// Polls `me` with `token` on `app` until it is refused; returns how long that took, or
/// panics after 5 s.
async fn refused_within(app: &TestApp, token: &str) -> Duration {
    let started = Instant::now();
    loop {
        let body = app.gql(Some(token), ME, json!({})).await;
        if body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED" {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "token still accepted after 5 s: {body:#}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn accepted(body: &Value, username: &str) {
    assert_eq!(body["data"]["me"]["username"], username, "{body:#}");
}

#[tokio::test]
async fn deactivating_a_user_ends_their_access_tokens_on_every_instance_within_seconds() {
    let app = spawn_app().await;
    let other = second_instance(&app, |_| {}).await;
    let admin = app.user(Role::National, None, None, true, false).await;
    let user = app.commune(place::BMT).await;
    // Both instances accept the token (and cache the user's epoch).
    accepted(
        &app.gql(Some(&user.token), ME, json!({})).await,
        &user.username,
    );
    accepted(
        &other.gql(Some(&user.token), ME, json!({})).await,
        &user.username,
    );

    app.ok(
        Some(&admin.token),
        UPDATE_USER,
        json!({ "id": user.id, "i": { "active": false } }),
    )
    .await;
    // At once on the instance that made the change, within seconds on the other.
    assert_code(
        &app.gql(Some(&user.token), ME, json!({})).await,
        "UNAUTHENTICATED",
    );
    refused_within(&other, &user.token).await;
    assert_code(
        &app.gql(None, REFRESH, json!({ "r": user.refresh })).await,
        "UNAUTHENTICATED",
    );
    // Others are untouched.
    accepted(
        &other
            .gql(Some(&admin.token), "{ me { username } }", json!({}))
            .await,
        &admin.username,
    );
}

#[tokio::test]
async fn a_password_change_ends_every_other_session_at_once() {
    let app = spawn_app().await;
    let other = second_instance(&app, |_| {}).await;
    let a = app.commune(place::BMT).await;
    let b = app.login(&a.username).await;
    accepted(&other.gql(Some(&b.token), ME, json!({})).await, &a.username);

    app.ok(
        Some(&a.token),
        UPDATE_USER,
        json!({ "id": a.id, "i": { "password": format!("{PASSWORD}-moi") } }),
    )
    .await;
    refused_within(&other, &b.token).await;
    refused_within(&app, &a.token).await;
    assert_code(
        &app.gql(None, REFRESH, json!({ "r": b.refresh })).await,
        "UNAUTHENTICATED",
    );
}

#[tokio::test]
async fn changing_rights_ends_the_tokens_that_carry_them() {
    let app = spawn_app().await;
    let other = second_instance(&app, |_| {}).await;
    let admin = app.user(Role::National, None, None, true, false).await;
    let user = app.province(place::DAK_LAK).await;
    accepted(
        &other.gql(Some(&user.token), ME, json!({})).await,
        &user.username,
    );
    app.ok(
        Some(&admin.token),
        UPDATE_USER,
        json!({ "id": user.id, "i": { "isAdmin": true } }),
    )
    .await;
    refused_within(&other, &user.token).await;
    // Signing in again gives a token with the new rights.
    let again = app.login(&user.username).await;
    accepted(
        &other.gql(Some(&again.token), ME, json!({})).await,
        &user.username,
    );
}

#[tokio::test]
async fn logout_all_ends_every_session_of_the_caller_only() {
    let app = spawn_app().await;
    let other = second_instance(&app, |_| {}).await;
    let a = app.national().await;
    let b = app.login(&a.username).await;
    let bystander = app.national().await;
    accepted(&other.gql(Some(&b.token), ME, json!({})).await, &a.username);

    let data = app
        .ok(Some(&a.token), "mutation { logoutAll }", json!({}))
        .await;
    assert_eq!(data["logoutAll"], true);
    refused_within(&other, &b.token).await;
    assert_code(
        &app.gql(Some(&a.token), ME, json!({})).await,
        "UNAUTHENTICATED",
    );
    for r in [&a.refresh, &b.refresh] {
        assert_code(
            &app.gql(None, REFRESH, json!({ "r": r })).await,
            "UNAUTHENTICATED",
        );
    }
    accepted(
        &other.gql(Some(&bystander.token), ME, json!({})).await,
        &bystander.username,
    );
    assert_code(
        &app.gql(None, "mutation { logoutAll }", json!({})).await,
        "UNAUTHENTICATED",
    );
}

#[tokio::test]
async fn a_rotated_secret_still_verifies_while_listed_as_previous() {
    let app = spawn_app().await;
    let user = app.national().await;
    // The token names its key.
    use base64::Engine;
    let header = user.token.split('.').next().expect("header");
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .expect("base64"),
    )
    .expect("json");
    assert!(
        header["kid"].as_str().is_some_and(|k| k.len() == 16),
        "{header}"
    );

    let new_secret = "a-brand-new-secret-after-rotation-0123456789abcdef";
    let rotated = second_instance(&app, |c| {
        c.jwt_secret = Some(new_secret.into());
        c.jwt_previous_secrets = vec![JWT_SECRET.into()];
    })
    .await;
    accepted(
        &rotated.gql(Some(&user.token), ME, json!({})).await,
        &user.username,
    );
    // Tokens it issues now carry the new key, which the old instance does not know.
    let fresh = rotated.login(&user.username).await;
    accepted(
        &rotated.gql(Some(&fresh.token), ME, json!({})).await,
        &user.username,
    );
    assert_code(
        &app.gql(Some(&fresh.token), ME, json!({})).await,
        "UNAUTHENTICATED",
    );

    let finished = second_instance(&app, |c| {
        c.jwt_secret = Some(new_secret.into());
        c.jwt_previous_secrets = Vec::new();
    })
    .await;
    assert_code(
        &finished.gql(Some(&user.token), ME, json!({})).await,
        "UNAUTHENTICATED",
    );
    accepted(
        &finished.gql(Some(&fresh.token), ME, json!({})).await,
        &user.username,
    );
}
