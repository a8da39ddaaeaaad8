//! Batched loading of a round, its nominations and their scorecards.

use super::*;

// ---------------------------------------------------------------------------------------------
// Batched loading

const NESTED: &str = "query($id: ID!) { selectionRound(id: $id) { nominations(first: 50) { \
    nodes { product { name establishment { name } } scorecards { judge { username } total } \
    round { name } } } } }";

/// A provincial round of Đắk Lắk in SCORING with `count` nominations (each product of its own
/// establishment) scored by three judges.
async fn scored_round(app: &TestApp, organiser: &TestUser, count: usize) -> String {
    let round = id_of(&new_round(app, &organiser.token, "PROVINCIAL", 2026, json!({})).await);
    let mut nominations = Vec::new();
    for i in 0..count {
        let commune = if i % 2 == 0 { BMT } else { DAK_LAK_OTHER };
        let product = fresh_product(app, commune, &format!("Sản phẩm {i}")).await;
        nominations.push(nominated(app, &organiser.token, &round, &product).await);
    }
    advanced(app, &organiser.token, &round, None).await;
    let js = judges(app, Area::Province(DAK_LAK)).await;
    for n in &nominations {
        score_all(app, &js, n, &[70, 80, 90]).await;
    }
    round
}

/// SQL statements run by one [`NESTED`] request; checks the rows came back.
async fn statements(app: &TestApp, token: &str, round: &str, count: usize) -> f64 {
    let (data, statements) = app.ok_counting(token, NESTED, json!({ "id": round })).await;
    let nodes = data["selectionRound"]["nominations"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone();
    assert_eq!(nodes.len(), count);
    for n in &nodes {
        assert!(n["product"]["establishment"]["name"].is_string(), "{n:#}");
        assert_eq!(n["scorecards"].as_array().map(Vec::len), Some(3), "{n:#}");
        assert!(n["scorecards"][0]["judge"]["username"].is_string(), "{n:#}");
        assert!(n["round"]["name"].is_string(), "{n:#}");
    }
    statements
}

#[tokio::test]
async fn statements_for_a_round_and_its_nominations_do_not_grow_with_the_rows() {
    let app = spawn_app().await;
    let organiser = app.province(DAK_LAK).await;
    let small = scored_round(&app, &organiser, 2).await;
    let large = scored_round(&app, &organiser, 6).await;
    let reader = app.national().await;

    // Warm up once, then measure.
    statements(&app, &reader.token, &small, 2).await;
    statements(&app, &reader.token, &large, 6).await;
    let for_small = statements(&app, &reader.token, &small, 2).await;
    let for_large = statements(&app, &reader.token, &large, 6).await;
    assert!(for_small > 0.0, "statements are counted");
    assert_eq!(
        for_small, for_large,
        "2 nominations: {for_small} statements, 6 nominations: {for_large}"
    );
}
