//! The personal-data access log (Decree 13/2023/NĐ-CP): reads of representative, phone,
//! e-mail and a household's tax code are recorded per request; national administrators read
//! the log; the public catalogue carries no personal field.

use std::collections::{BTreeSet, VecDeque};

use khuyencong::enums::Role;
use serde_json::{Value, json};

use crate::helpers::{assert_code, place, spawn_app};

const LOG: &str = "query($u: ID) { personalDataAccessLog(userId: $u, first: 50) { totalCount \
    nodes { at userId requestId entityType recordIds fields } } }";

#[tokio::test]
async fn personal_reads_are_logged_once_per_request_and_only_national_admins_read_the_log() {
    let app = spawn_app().await;
    let officer = app.province(place::DAK_LAK).await;
    let admin = app.user(Role::National, None, None, true, false).await;
    let a = app
        .establishment(
            &officer.token,
            place::BMT,
            json!({ "representative": "Nguyễn Văn A", "phone": "0912345678", "email": "a@example.vn" }),
        )
        .await;
    let b = app
        .establishment(
            &officer.token,
            place::BMT,
            json!({ "kind": "BUSINESS_HOUSEHOLD", "taxCode": "0101234567", "phone": "0262385212" }),
        )
        .await;
    let c = app
        .establishment(
            &officer.token,
            place::BMT,
            json!({ "kind": "SME", "taxCode": "0201234567" }),
        )
        .await;

    // Creating the household returned its tax code: that read is logged already.
    let count = |log: &Value| {
        log["personalDataAccessLog"]["totalCount"]
            .as_i64()
            .expect("count")
    };
    let n0 = count(
        &app.ok(Some(&admin.token), LOG, json!({ "u": officer.id }))
            .await,
    );
    assert_eq!(
        n0, 1,
        "the household's tax code in createEstablishment's answer"
    );
    // Without personal fields, nothing is logged.
    app.ok(
        Some(&officer.token),
        "{ establishments(first: 50) { nodes { id name } } }",
        json!({}),
    )
    .await;
    let log = app
        .ok(Some(&admin.token), LOG, json!({ "u": officer.id }))
        .await;
    assert_eq!(count(&log), n0, "{log:#}");

    // One request reading every personal field of three establishments: one row.
    app.ok(
        Some(&officer.token),
        "{ establishments(first: 50) { nodes { id representative phone email taxCode } } }",
        json!({}),
    )
    .await;
    let log = app
        .ok(Some(&admin.token), LOG, json!({ "u": officer.id }))
        .await;
    let log = &log["personalDataAccessLog"];
    assert_eq!(log["totalCount"], n0 + 1, "{log:#}");
    let row = &log["nodes"][1];
    assert_eq!(row["userId"], officer.id);
    assert_eq!(row["entityType"], "Establishment");
    assert!(row["requestId"].is_string());
    let ids: BTreeSet<&str> = row["recordIds"]
        .as_array()
        .expect("ids")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let want: BTreeSet<&str> = [&a, &b]
        .iter()
        .map(|e| e["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        ids, want,
        "the SME without personal data ({}) is not listed",
        c["id"]
    );
    assert_eq!(
        row["fields"],
        json!(["email", "phone", "representative", "taxCode"])
    );

    // The log is for national administrators.
    for t in [&officer.token, &app.national().await.token] {
        assert_code(&app.gql(Some(t), LOG, json!({})).await, "FORBIDDEN");
    }
    assert_code(&app.gql(None, LOG, json!({})).await, "UNAUTHENTICATED");
}

const PERSONAL: [&str; 4] = ["representative", "phone", "email", "taxCode"];

#[tokio::test]
async fn the_public_catalogue_reaches_no_personal_field() {
    let app = spawn_app().await;
    // Walk every type reachable from `publicCatalog` by introspection.
    let mut todo = VecDeque::from(["PublicProductConnection".to_owned()]);
    let mut seen = BTreeSet::new();
    while let Some(name) = todo.pop_front() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let body = app
            .ok(
                None,
                "query($n: String!) { __type(name: $n) { fields { name \
                 type { name ofType { name ofType { name ofType { name } } } } } } }",
                json!({ "n": name }),
            )
            .await;
        for f in body["__type"]["fields"].as_array().into_iter().flatten() {
            let field = f["name"].as_str().unwrap_or_default();
            assert!(!PERSONAL.contains(&field), "{name}.{field} is personal");
            let mut t = &f["type"];
            while t["name"].is_null() && !t["ofType"].is_null() {
                t = &t["ofType"];
            }
            if let Some(n) = t["name"].as_str()
                && !n.starts_with("__")
            {
                todo.push_back(n.to_owned());
            }
        }
    }
    assert!(seen.contains("PublicProduct"), "{seen:?}");
    assert!(!seen.contains("Establishment"), "{seen:?}");
    // And the response: every field of the catalogue, no personal key anywhere.
    let body = app
        .ok(
            None,
            "{ publicCatalog(first: 100) { nodes { productId productName establishmentName \
             provinceName communeName ocopStars ocopCertificateNumber ocopValidUntil \
             highestRecognition recognitionValidUntil } } }",
            json!({}),
        )
        .await;
    let text = body.to_string();
    for p in PERSONAL {
        assert!(!text.contains(&format!("\"{p}\"")), "{text}");
    }
}
