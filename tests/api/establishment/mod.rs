//! Establishments: the area matrix (README "Roles and areas"), validation by field, tax-code uniqueness,
//! optimistic concurrency, idempotency keys, diacritic-insensitive search, keyset paging,
//! the audit trail, batched loading and the query limits.
//!
//! This module holds what they share (the queries, a valid input, create/get/list); each concern
//! is a child.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::Datelike;
use khuyencong::{domain::establishment::ENTITY, enums::Role, graphql::ids};
use serde_json::{Value, json};

use crate::helpers::common::{all_pages, audit_count, audit_rows, id_of, ids_of, row_id};
use crate::helpers::{
    SET_ESTABLISHMENT_STATUS, TestApp, assert_code, assert_field,
    place::{BMT, DAK_LAK, DAK_LAK_OTHER, QUANG_TRI, TRUONG_PHU},
    spawn_app,
};

mod area;
mod audit;
mod concurrency;
mod listing;
mod loading;
mod status;
mod validation;

const CREATE: &str = "mutation($i: CreateEstablishmentInput!, $k: String) { \
    createEstablishment(input: $i, idempotencyKey: $k) { \
    id version name taxCode status latitude longitude commune { code } province { code } } }";

const UPDATE: &str = "mutation($id: ID!, $v: Int!, $i: UpdateEstablishmentInput!) { \
    updateEstablishment(id: $id, expectedVersion: $v, input: $i) { \
    id version name taxCode email updatedAt commune { code } province { code } } }";

const GET: &str = "query($id: ID!) { establishment(id: $id) { \
    id name version status statusReason taxCode email createdAt updatedAt \
    commune { code } province { code } } }";

const NODE: &str = "query($id: ID!) { node(id: $id) { id ... on Establishment { name } } }";

const LIST: &str = "query($f: EstablishmentFilter, $first: Int, $after: String) { \
    establishments(filter: $f, first: $first, after: $after) { totalCount \
    nodes { id name } edges { cursor node { id } } \
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";

const CREATE_PRODUCT: &str =
    "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }";

static NAMES: AtomicU64 = AtomicU64::new(0);

/// A valid creation input in `commune`, with `extra` fields laid over it.
fn input(commune: &str, extra: Value) -> Value {
    let mut i = json!({
        "name": format!("Cơ sở kiểm thử {}", NAMES.fetch_add(1, Ordering::SeqCst)),
        "kind": "SME",
        "communeCode": commune,
        "sector": "AGRO_FORESTRY_FISHERY_FOOD",
    });
    if let (Some(obj), Value::Object(more)) = (i.as_object_mut(), extra) {
        obj.extend(more);
    }
    i
}

async fn create(app: &TestApp, token: &str, commune: &str, extra: Value) -> Value {
    app.gql(Some(token), CREATE, json!({ "i": input(commune, extra) }))
        .await
}

async fn update(app: &TestApp, token: &str, id: &str, version: i64, changes: Value) -> Value {
    app.gql(
        Some(token),
        UPDATE,
        json!({ "id": id, "v": version, "i": changes }),
    )
    .await
}

/// `establishment(id)` as `token` sees it (null when outside its area).
async fn get(app: &TestApp, token: &str, id: &str) -> Value {
    app.ok(Some(token), GET, json!({ "id": id })).await["establishment"].clone()
}

async fn list(app: &TestApp, token: &str, filter: Value, first: Option<i64>) -> Value {
    app.ok(Some(token), LIST, json!({ "f": filter, "first": first }))
        .await["establishments"]
        .clone()
}

async fn total(app: &TestApp, token: &str, filter: Value) -> i64 {
    list(app, token, filter, Some(0)).await["totalCount"]
        .as_i64()
        .expect("totalCount")
}
