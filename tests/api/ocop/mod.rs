//! OCOP star rating: who opens, screens, scores and decides an application at each
//! level, inside and outside the area, and the states each step is refused in; score ranges
//! and replacement; the band edges of the provincial decision, mandatory failures, the central
//! council's 5★ and the province's 4★ after it; certificates (36 months, supersession, expiry,
//! the renewal filter, revocation by the right level); `products(minOcopStars)`; the anonymous
//! public catalogue without personal data; the audit trail and batched loading.
//!
//! This module holds what they share (listing certificates and evaluations, the current
//! certificate of a product); each concern is a child.

use chrono::{Datelike, Duration, Months, NaiveDate, Utc};
use khuyencong::enums::Role;
use serde_json::{Value, json};

use crate::helpers::common::{
    assert_ok, audit_count, audit_rows, data, id_of, row_id, sorted, today,
};
use crate::helpers::{
    TestApp, TestUser, assert_code, assert_field,
    flows::{
        ocop::{
            CERT, at_the_centre, cast, certificate, certified, certify, certify_now, create,
            decided, decided_product, evaluation, five_star, opened, opened_in, parts, revoke,
            score, score_all, score_parts, scored, screen, screened, status_of, version_of,
        },
        selection::run_round,
    },
    people::Area,
    place::{BMT, DAK_LAK, DAK_LAK_OTHER, QUANG_TRI, TRUONG_PHU},
    spawn_app,
};

mod application;
mod audit;
mod catalog;
mod certificates;
mod decision;
mod loading;
mod scores;

/// The criteria version shipped in `data/rules/ocop_criteria.csv`.
const CRITERIA: &str = "148/QĐ-TTg+1489/QĐ-TTg";

// ---------------------------------------------------------------------------------------------
// Helpers

fn plus_36_months(d: NaiveDate) -> NaiveDate {
    d.checked_add_months(Months::new(36)).expect("date")
}

/// Certificates listed by `ocopCertificates(filter)` as `token`.
async fn certificates(app: &TestApp, token: &str, filter: Value) -> Vec<Value> {
    let data = app
        .ok(
            Some(token),
            &format!(
                "query($f: OcopCertificateFilter) {{ ocopCertificates(filter: $f, first: 100) {{ \
                 totalCount nodes {{ {CERT} }} }} }}"
            ),
            json!({ "f": filter }),
        )
        .await;
    let conn = &data["ocopCertificates"];
    let nodes = conn["nodes"].as_array().expect("nodes").clone();
    assert_eq!(conn["totalCount"], nodes.len(), "{conn:#}");
    nodes
}

/// Ids of certificates listed by `ocopCertificates(filter)`, sorted.
async fn certificate_ids(app: &TestApp, token: &str, filter: Value) -> Vec<String> {
    sorted(certificates(app, token, filter).await.iter().map(id_of))
}

/// Ids of evaluations listed by `ocopEvaluations(filter)`, sorted.
async fn evaluation_ids(app: &TestApp, token: &str, filter: Value) -> Vec<String> {
    let data = app
        .ok(
            Some(token),
            "query($f: OcopEvaluationFilter) { ocopEvaluations(filter: $f, first: 100) { \
             totalCount nodes { id } } }",
            json!({ "f": filter }),
        )
        .await;
    let nodes = data["ocopEvaluations"]["nodes"].as_array().expect("nodes");
    assert_eq!(data["ocopEvaluations"]["totalCount"], nodes.len());
    sorted(nodes.iter().map(id_of))
}

fn sorted_refs(ids: &[&String]) -> Vec<String> {
    sorted(ids.iter().map(|s| (*s).clone()))
}

/// The product's `currentOcopCertificate` as `token` sees it.
async fn current(app: &TestApp, token: &str, product: &str) -> Value {
    app.ok(
        Some(token),
        "query($id: ID!) { product(id: $id) { currentOcopCertificate { id stars status } } }",
        json!({ "id": product }),
    )
    .await["product"]["currentOcopCertificate"]
        .clone()
}
