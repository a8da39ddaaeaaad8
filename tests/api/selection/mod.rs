//! The selection of outstanding rural industrial products: who organises, nominates
//! and judges at each level inside and outside the area, the entry rules across levels
//! (valid, missing, expired and out-of-region recognitions), score ranges, exact results at
//! the threshold, the scorecard quorum, replacement of a scorecard, a frozen closed round,
//! certificate validity, visibility of rounds, the audit trail and batched loading.
//!
//! This module holds what they share (the queries, recognitions at a lower level, a regional
//! round); each concern is a child.

use chrono::{Datelike, Duration, NaiveDate};
use khuyencong::enums::Role;
use serde_json::{Value, json};

use crate::helpers::common::{assert_ok, audit_count, audit_rows, id_of, row_id, today};
use crate::helpers::{
    TestApp, TestUser, assert_code, assert_field,
    flows::{
        fresh_product,
        selection::{
            advance, advanced, close, create_round, get_round, judges, new_round, nominate,
            nominated, nomination_in, run_round, score, score_all, scored, scores, version_of,
        },
    },
    people::Area,
    place::{BMT, DAK_LAK, DAK_LAK_OTHER, QUANG_TRI, TRUONG_PHU},
    spawn_app,
};

mod audit;
mod judging;
mod loading;
mod nomination;
mod organisers;
mod results;
mod visibility;

/// Hà Nội (region NORTH) and one of its communes.
const HA_NOI: &str = "01";
const HA_NOI_COMMUNE: &str = "00004";

const ROUNDS: &str = "query($f: SelectionRoundFilter) { selectionRounds(filter: $f, first: 100) { \
    totalCount nodes { id } } }";

const RECOGNITIONS: &str = "query($id: ID!) { product(id: $id) { recognitions { \
    id result certificateNumber recognizedOn validUntil round { id level } } } }";

// ---------------------------------------------------------------------------------------------
// Helpers

/// Ids of `selectionRounds` as `token`.
async fn listed(app: &TestApp, token: &str) -> Vec<String> {
    app.ok(Some(token), ROUNDS, json!({ "f": {} })).await["selectionRounds"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(id_of)
        .collect()
}

/// Recognises `product` (of Đắk Lắk) at a provincial round of Đắk Lắk of `year`, closed on
/// `on`; returns the nomination id.
async fn recognise_provincially(
    app: &TestApp,
    product: &str,
    year: i32,
    on: Option<&str>,
) -> String {
    let organiser = app.province(DAK_LAK).await;
    let (_, n) = run_round(
        app,
        &organiser,
        Area::Province(DAK_LAK),
        "PROVINCIAL",
        year,
        json!({}),
        &[(product, [80, 80, 80])],
        on,
    )
    .await;
    n[0].clone()
}

/// Recognises `product` at a regional CENTRAL_HIGHLANDS round of this year.
async fn recognise_regionally(app: &TestApp, product: &str) -> String {
    let organiser = app.national().await;
    let (_, n) = run_round(
        app,
        &organiser,
        Area::National,
        "REGIONAL",
        today().year(),
        json!({ "region": "CENTRAL_HIGHLANDS" }),
        &[(product, [75, 75, 75])],
        None,
    )
    .await;
    n[0].clone()
}

/// A regional CENTRAL_HIGHLANDS round of this year, OPEN.
async fn regional_round(app: &TestApp, organiser: &TestUser) -> String {
    id_of(
        &new_round(
            app,
            &organiser.token,
            "REGIONAL",
            today().year(),
            json!({ "region": "CENTRAL_HIGHLANDS" }),
        )
        .await,
    )
}
