//! Success checks: a response without errors, and the field of one that must succeed.

use serde_json::Value;

use super::TestApp;

/// Asserts a response carries no errors; `what` names the request in the failure message.
#[track_caller]
pub fn assert_ok(body: &Value, what: &str) {
    assert!(
        body.get("errors").is_none(),
        "{what}: expected success, got {body:#}"
    );
}

/// `data.<field>` of a response that must have succeeded.
#[track_caller]
pub fn data<'a>(body: &'a Value, field: &str) -> &'a Value {
    assert_ok(body, field);
    &body["data"][field]
}

/// Sends a request as `token` that must succeed and returns `data.<field>`.
pub async fn must(app: &TestApp, token: &str, query: &str, vars: Value, field: &str) -> Value {
    let body = app.gql(Some(token), query, vars).await;
    data(&body, field).clone()
}
