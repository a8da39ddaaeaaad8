//! Every user-facing message says the real thing in both languages: no `Some(..)`, `None`
//! or other Debug formatting, and GraphQL validation errors carry their detail in Vietnamese
//! too. The scan drives each reachable error path over HTTP.

use serde_json::{Value, json};

use crate::helpers::{place, spawn_app};

/// Debug traces that must never reach a person.
#[track_caller]
fn assert_plain(body: &Value, what: &str) {
    let errors = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: an error expected, got {body}"));
    for e in errors {
        let m = e["message"].as_str().expect("message");
        for trace in [
            "Some(", "None", "Ok(", "Err(", "\\\"", "{:?}", "{}", "DbErr", "sqlx",
        ] {
            assert!(!m.contains(trace), "{what}: {trace:?} in {m:?}");
        }
        assert!(!m.trim().is_empty(), "{what}: empty message");
    }
}

#[tokio::test]
async fn error_messages_carry_no_debug_formatting_in_either_language() {
    let app = spawn_app().await;
    let admin = app
        .user(khuyencong::enums::Role::National, None, None, true, false)
        .await;
    let national = app.national().await;
    let est = app
        .establishment(&national.token, place::BMT, json!({}))
        .await;
    let cases: Vec<(&str, &str, Value)> = vec![
        (
            "commune outside the province",
            "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
            json!({ "i": { "username": "xa.sai", "password": "mat-khau-dai-du-12", "displayName": "X",
                "role": "COMMUNE", "provinceCode": place::DAK_LAK, "communeCode": place::TRUONG_PHU } }),
        ),
        (
            "unknown province of a user",
            "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
            json!({ "i": { "username": "tinh.sai", "password": "mat-khau-dai-du-12", "displayName": "X",
                "role": "PROVINCE", "provinceCode": "999" } }),
        ),
        (
            "unknown commune of a user",
            "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
            json!({ "i": { "username": "xa.khong", "password": "mat-khau-dai-du-12", "displayName": "X",
                "role": "COMMUNE", "communeCode": "00000" } }),
        ),
        (
            "unknown commune of an establishment",
            "mutation($i: CreateEstablishmentInput!) { createEstablishment(input: $i) { id } }",
            json!({ "i": { "name": "Cơ sở", "kind": "SME", "communeCode": "00000",
                "sector": "AGRO_FORESTRY_FISHERY_FOOD" } }),
        ),
        (
            "unknown province of a project",
            "mutation($i: CreateProjectInput!) { createProject(input: $i) { id } }",
            json!({ "i": { "title": "Đề án", "programLevel": "LOCAL", "kind": "INDIVIDUAL",
                "category": "VOCATIONAL_TRAINING", "provinceCode": "999", "fiscalYear": 2025 } }),
        ),
        (
            "unknown commune of a project",
            "mutation($i: CreateProjectInput!) { createProject(input: $i) { id } }",
            json!({ "i": { "title": "Đề án", "programLevel": "LOCAL", "kind": "INDIVIDUAL",
                "category": "VOCATIONAL_TRAINING", "provinceCode": place::DAK_LAK,
                "communeCode": "00000", "fiscalYear": 2025 } }),
        ),
        (
            "unknown province of a funding source",
            "mutation($i: CreateFundingSourceInput!) { createFundingSource(input: $i) { id } }",
            json!({ "i": { "name": "Nguồn", "level": "LOCAL", "provinceCode": "999",
                "fiscalYear": 2025, "amountVnd": "1000000" } }),
        ),
        (
            "stale version",
            "mutation($id: ID!) { updateEstablishment(id: $id, expectedVersion: 99, input: { name: \"Mới\" }) { id } }",
            json!({ "id": est["id"] }),
        ),
        (
            "a validation error",
            "{ provinces { noSuchField } }",
            json!({}),
        ),
        ("a parse error", "{ provinces { code ", json!({})),
        (
            "a wrong variable type",
            "query($n: Int!) { establishments(first: $n) { totalCount } }",
            json!({ "n": "many" }),
        ),
    ];
    for (what, query, vars) in &cases {
        for lang in ["en", "vi"] {
            let body = app
                .gql_with(
                    Some(&admin.token),
                    query,
                    vars.clone(),
                    &[("accept-language", lang)],
                )
                .await;
            assert_plain(&body, &format!("{what} ({lang})"));
        }
    }
    let body = app
        .gql_with(
            None,
            "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
            cases[0].2.clone(),
            &[("accept-language", "vi")],
        )
        .await;
    assert_plain(&body, "anonymous");
    // The commune-outside-province case names the province plainly.
    let body = app
        .gql(Some(&admin.token), cases[0].1, cases[0].2.clone())
        .await;
    let m = body["errors"][0]["message"].as_str().expect("message");
    assert!(m.contains("province 66"), "{m}");
}

#[tokio::test]
async fn vietnamese_validation_errors_carry_the_detail() {
    let app = spawn_app().await;
    let body = app
        .gql_with(
            None,
            "{ provinces { noSuchField } }",
            json!({}),
            &[("accept-language", "vi")],
        )
        .await;
    let m = body["errors"][0]["message"].as_str().expect("message");
    assert!(m.contains("Truy vấn GraphQL không hợp lệ"), "{m}");
    assert!(
        m.contains("noSuchField"),
        "the detail is in the message: {m}"
    );
    assert!(
        !m.contains("tiếng Anh"),
        "no pointer to a missing text: {m}"
    );
}
