//! The selection of outstanding rural industrial products (bình chọn sản phẩm CNNT tiêu
//! biểu): a round is created, products are nominated, the round is advanced to SCORING,
//! judges submit scorecards and the round is closed.

use serde_json::{Value, json};

use crate::helpers::{
    TestApp, TestUser,
    common::{assert_ok, id_of},
    people::{Area, users},
};

/// `createSelectionRound`, returning the round.
pub const CREATE_ROUND: &str = "mutation($i: CreateSelectionRoundInput!) { \
    createSelectionRound(input: $i) { \
    id name level year status version region province { code } commune { code } } }";

/// `nominateProduct` in a product group, returning the nomination.
pub const NOMINATE: &str = "mutation($r: ID!, $p: ID!, $g: SelectionProductGroup!) { \
    nominateProduct(roundId: $r, productId: $p, group: $g) { \
    id group result finalScore certificateNumber product { id } round { id } } }";

/// `submitScorecard`, returning the scorecard.
pub const SCORE: &str = "mutation($n: ID!, $i: ScorecardInput!) { \
    submitScorecard(nominationId: $n, input: $i) { \
    id market economicTechnicalSocialEnvironmental cultureAesthetics other total \
    judge { username } } }";

/// `advanceSelectionRound`, with an optional recognition date.
pub const ADVANCE: &str = "mutation($id: ID!, $v: Int!, $on: Date) { \
    advanceSelectionRound(id: $id, expectedVersion: $v, recognizedOn: $on) { \
    id status version } }";

/// `selectionRound(id)` with its nominations and their scorecards.
pub const ROUND: &str = "query($id: ID!) { selectionRound(id: $id) { \
    id name level year status version region province { code } commune { code } \
    nominations(first: 50) { totalCount nodes { \
    id result finalScore certificateNumber recognizedOn validUntil product { id name } \
    scorecards { judge { username } market economicTechnicalSocialEnvironmental \
    cultureAesthetics other total } } } } }";

/// The round input for `level` in `year` with `extra` fields laid over it.
pub fn round_input(level: &str, year: i32, extra: Value) -> Value {
    let mut i =
        json!({ "name": format!("Bình chọn {level} {year}"), "level": level, "year": year });
    if let (Some(obj), Value::Object(more)) = (i.as_object_mut(), extra) {
        obj.extend(more);
    }
    i
}

/// Three judges of `area`.
pub async fn judges(app: &TestApp, area: Area) -> Vec<TestUser> {
    users(app, 3, area).await
}

/// `createSelectionRound` as `token` (the whole body).
pub async fn create_round(
    app: &TestApp,
    token: &str,
    level: &str,
    year: i32,
    extra: Value,
) -> Value {
    app.gql(
        Some(token),
        CREATE_ROUND,
        json!({ "i": round_input(level, year, extra) }),
    )
    .await
}

/// Creates a round that must succeed; returns it.
pub async fn new_round(app: &TestApp, token: &str, level: &str, year: i32, extra: Value) -> Value {
    let body = create_round(app, token, level, year, extra).await;
    assert_ok(&body, "createSelectionRound");
    body["data"]["createSelectionRound"].clone()
}

/// `nominateProduct` as `token` (the whole body).
pub async fn nominate(app: &TestApp, token: &str, round: &str, product: &str) -> Value {
    app.gql(
        Some(token),
        NOMINATE,
        json!({ "r": round, "p": product, "g": "PROCESSED_AGRO_FORESTRY_FISHERY_FOOD" }),
    )
    .await
}

/// Nominates a product (must succeed); returns the nomination id.
pub async fn nominated(app: &TestApp, token: &str, round: &str, product: &str) -> String {
    let body = nominate(app, token, round, product).await;
    assert_ok(&body, "nominateProduct");
    id_of(&body["data"]["nominateProduct"])
}

/// A scorecard input adding up to `total`, each criterion within its range.
pub fn scores(total: i32) -> Value {
    assert!((0..=100).contains(&total));
    let market = total.min(40);
    let economic = (total - market).min(40);
    let culture = (total - market - economic).min(10);
    let other = total - market - economic - culture;
    json!({
        "market": market,
        "economicTechnicalSocialEnvironmental": economic,
        "cultureAesthetics": culture,
        "other": other,
    })
}

/// `submitScorecard` as `token` (the whole body).
pub async fn score(app: &TestApp, token: &str, nomination: &str, input: Value) -> Value {
    app.gql(Some(token), SCORE, json!({ "n": nomination, "i": input }))
        .await
}

/// A scorecard of `total` (must succeed).
pub async fn scored(app: &TestApp, judge: &TestUser, nomination: &str, total: i32) {
    assert_ok(
        &score(app, &judge.token, nomination, scores(total)).await,
        "submitScorecard",
    );
}

/// One scorecard per judge with the given totals.
pub async fn score_all(app: &TestApp, judges: &[TestUser], nomination: &str, totals: &[i32]) {
    for (judge, total) in judges.iter().zip(totals) {
        scored(app, judge, nomination, *total).await;
    }
}

/// `selectionRound(id)` as `token` (null when out of sight).
pub async fn get_round(app: &TestApp, token: &str, id: &str) -> Value {
    app.ok(Some(token), ROUND, json!({ "id": id })).await["selectionRound"].clone()
}

/// `advanceSelectionRound` as `token` (the whole body).
pub async fn advance(
    app: &TestApp,
    token: &str,
    id: &str,
    version: i64,
    on: Option<&str>,
) -> Value {
    app.gql(
        Some(token),
        ADVANCE,
        json!({ "id": id, "v": version, "on": on }),
    )
    .await
}

/// The current version of a round as `token` sees it.
pub async fn version_of(app: &TestApp, token: &str, id: &str) -> i64 {
    get_round(app, token, id).await["version"]
        .as_i64()
        .expect("version")
}

/// Moves a round one step as `token` (must succeed); returns `{ id status version }`.
pub async fn advanced(app: &TestApp, token: &str, id: &str, on: Option<&str>) -> Value {
    let v = version_of(app, token, id).await;
    let body = advance(app, token, id, v, on).await;
    assert_ok(&body, "advanceSelectionRound");
    body["data"]["advanceSelectionRound"].clone()
}

/// Closes a round in SCORING as `token`; returns the round with its results.
pub async fn close(app: &TestApp, token: &str, id: &str, on: Option<&str>) -> Value {
    let r = advanced(app, token, id, on).await;
    assert_eq!(r["status"], "CLOSED", "{r:#}");
    get_round(app, token, id).await
}

/// The nomination `id` in a round read with [`ROUND`].
#[track_caller]
pub fn nomination_in<'a>(round: &'a Value, id: &str) -> &'a Value {
    round["nominations"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .find(|n| n["id"] == id)
        .unwrap_or_else(|| panic!("nomination {id} in {round:#}"))
}

/// An OPEN round created by `organiser` with each product nominated by it. Returns the round
/// id and the nomination ids.
pub async fn open_round(
    app: &TestApp,
    organiser: &TestUser,
    level: &str,
    year: i32,
    extra: Value,
    products: &[&str],
) -> (String, Vec<String>) {
    let round = id_of(&new_round(app, &organiser.token, level, year, extra).await);
    let mut nominations = Vec::new();
    for product in products {
        nominations.push(nominated(app, &organiser.token, &round, product).await);
    }
    (round, nominations)
}

/// Runs a whole round: created and advanced by `organiser`, each product nominated by it and
/// scored by three judges of `judges_area` with the given totals, closed on `on`. Returns the
/// round id and the nomination ids.
#[expect(
    clippy::too_many_arguments,
    reason = "a test helper that reads like the round it runs"
)]
pub async fn run_round(
    app: &TestApp,
    organiser: &TestUser,
    judges_area: Area,
    level: &str,
    year: i32,
    extra: Value,
    entries: &[(&str, [i32; 3])],
    on: Option<&str>,
) -> (String, Vec<String>) {
    let products: Vec<&str> = entries.iter().map(|(p, _)| *p).collect();
    let (round, nominations) = open_round(app, organiser, level, year, extra, &products).await;
    let r = advanced(app, &organiser.token, &round, None).await;
    assert_eq!(r["status"], "SCORING", "{r:#}");
    let js = judges(app, judges_area).await;
    for (n, (_, totals)) in nominations.iter().zip(entries) {
        score_all(app, &js, n, totals).await;
    }
    close(app, &organiser.token, &round, on).await;
    (round, nominations)
}
