//! Regulation values are data: changing a rule's row changes what the server allows.

use khuyencong::db::entities::disbursement_rule;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};
use serde_json::json;

use crate::helpers::{assert_field, spawn_app};

#[tokio::test]
async fn the_advance_ceiling_comes_from_the_disbursement_rule() {
    let app = spawn_app().await;
    let province = app.province("66").await;
    let t = Some(province.token.as_str());
    let est = app.establishment(&province.token, "24133", json!({})).await;
    let source = app
        .ok(t, r#"mutation { createFundingSource(input: {name: "Nguồn", level: LOCAL, provinceCode: "66", fiscalYear: 2026, amountVnd: 1000000000}) { id } }"#, json!({}))
        .await["createFundingSource"]["id"]
        .clone();
    let project = app
        .ok(t, r#"mutation { createProject(input: {title: "Đào tạo", programLevel: LOCAL, kind: INDIVIDUAL, category: VOCATIONAL_TRAINING, provinceCode: "66", fiscalYear: 2026, generalSupportVnd: 100000000}) { id version } }"#, json!({}))
        .await["createProject"]
        .clone();
    let pid = project["id"].clone();
    let mut version = app
        .ok(t, "mutation($p: ID!, $e: ID!) { addBeneficiary(projectId: $p, expectedVersion: 1, input: {establishmentId: $e, supportVnd: 0, counterpartVnd: 0}) { version } }", json!({ "p": pid, "e": est["id"] }))
        .await["addBeneficiary"]["version"]
        .clone();
    let allocation = app
        .ok(t, "mutation($p: ID!, $s: ID!) { allocateFunding(projectId: $p, fundingSourceId: $s, amountVnd: 100000000) { id } }", json!({ "p": pid, "s": source }))
        .await["allocateFunding"]["id"]
        .clone();
    for action in ["SUBMIT", "APPRAISE", "APPROVE"] {
        version = app
            .ok(t, "mutation($p: ID!, $v: Int!, $a: ProjectAction!) { transitionProject(id: $p, expectedVersion: $v, action: $a) { version } }", json!({ "p": pid, "v": version, "a": action }))
            .await["transitionProject"]["version"]
            .clone();
    }
    let disburse = "mutation($a: ID!, $n: Vnd!) { recordDisbursement(allocationId: $a, amountVnd: $n, date: \"2026-03-01\") { id } }";
    // Under the shipped rule (70 %), 60 million of 100 is an allowed advance.
    app.ok(t, disburse, json!({ "a": allocation, "n": 60_000_000 }))
        .await;
    // A stricter rule in the table (50 %) refuses the next advance, naming its basis.
    let rule = disbursement_rule::Entity::find()
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("a rule is shipped");
    assert_eq!(rule.advance_percent, 70);
    let mut am = rule.into_active_model();
    am.advance_percent = Set(50);
    am.legal_basis = Set("Quy định thử nghiệm 50%".into());
    am.update(&app.state.db).await.expect("update rule");
    let body = app
        .gql(t, disburse, json!({ "a": allocation, "n": 1_000_000 }))
        .await;
    assert_field(&body, "amountVnd");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("Quy định thử nghiệm 50%"),
        "{body:#}"
    );
}
