//! Automatic Persisted Queries and the allow-list mode (`KC_PERSISTED_ONLY`).

use khuyencong::enums::Role;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, assert_code, guard::post_raw, spawn_app, spawn_app_with};

fn sha(q: &str) -> String {
    Sha256::digest(q.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn persisted(app: &TestApp, token: Option<&str>, query: Option<&str>, hash: &str) -> Value {
    let mut body = json!({
        "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } }
    });
    if let Some(q) = query {
        body["query"] = json!(q);
    }
    post_raw(&app.client, &app.address, token, body.to_string(), &[])
        .await
        .body
}

#[tokio::test]
async fn automatic_persisted_queries_register_then_run_by_hash() {
    let app = spawn_app().await;
    let user = app.national().await;
    let q = "query Mine { me { username } }";
    let h = sha(q);
    // Unknown hash: the client is told to send the document.
    let body = persisted(&app, Some(&user.token), None, &h).await;
    assert_code(&body, "PERSISTED_QUERY_NOT_FOUND");
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");
    // Document and hash: runs and registers.
    let body = persisted(&app, Some(&user.token), Some(q), &h).await;
    assert_eq!(body["data"]["me"]["username"], user.username, "{body:#}");
    // The hash alone now runs.
    let body = persisted(&app, Some(&user.token), None, &h).await;
    assert_eq!(body["data"]["me"]["username"], user.username, "{body:#}");
    // A hash that does not match the document is refused.
    let body = persisted(&app, Some(&user.token), Some(q), &sha("other")).await;
    assert!(body["errors"][0]["message"].is_string(), "{body:#}");
    assert!(
        body["data"].is_null() || body.get("data").is_none(),
        "{body:#}"
    );
}

/// The document the test helpers sign in with: it must be registered in allow-list mode.
const HELPER_LOGIN: &str = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken refreshToken user { id } } }";
const REGISTERED: &str = "query Mine { me { username } }";

#[tokio::test]
async fn in_allow_list_mode_only_registered_documents_run_for_non_admins() {
    let dir = tempfile::tempdir().expect("dir");
    let manifest = dir.path().join("manifest.json");
    std::fs::write(
        &manifest,
        json!({
            "format": "apollo-persisted-query-manifest",
            "version": 1,
            "operations": [
                { "id": "login", "name": "login", "type": "mutation", "body": HELPER_LOGIN },
                { "id": "mine", "name": "Mine", "type": "query", "body": REGISTERED },
            ]
        })
        .to_string(),
    )
    .expect("manifest written");
    let app = spawn_app_with(|c| {
        c.persisted_only = true;
        c.persisted_manifest = Some(manifest.display().to_string());
    })
    .await;
    let user = app.national().await;
    let admin = app.user(Role::National, None, None, true, false).await;

    // Registered: by text, and by hash alone on a cold cache.
    let body = app.gql(Some(&user.token), REGISTERED, json!({})).await;
    assert_eq!(body["data"]["me"]["username"], user.username, "{body:#}");
    let body = persisted(&app, Some(&user.token), None, &sha(REGISTERED)).await;
    assert_eq!(body["data"]["me"]["username"], user.username, "{body:#}");

    // Anything else is refused for users and the public, before it runs.
    let before = app.metric("db_statements_total").await;
    let other = "{ me { username displayName } }";
    assert_code(
        &app.gql(Some(&user.token), other, json!({})).await,
        "FORBIDDEN",
    );
    assert_code(
        &app.gql(None, "{ __typename }", json!({})).await,
        "FORBIDDEN",
    );
    assert_code(
        &persisted(&app, Some(&user.token), Some(other), &sha(other)).await,
        "FORBIDDEN",
    );
    // (The epoch check of the signed-in calls may read the user; nothing else ran.)
    assert!(app.metric("db_statements_total").await - before <= 2.0);

    // Administrators may run any document.
    let body = app.gql(Some(&admin.token), other, json!({})).await;
    assert_eq!(body["data"]["me"]["username"], admin.username, "{body:#}");
}
