//! Batched loading of certificates with their products and scores.

use super::*;

// ---------------------------------------------------------------------------------------------
// Batched loading

const NESTED: &str = "{ ocopCertificates(first: 50) { nodes { product { name establishment { \
    name } currentOcopCertificate { stars } } evaluation { provinceScores { member { username } \
    total } } } } }";

/// SQL statements run by one [`NESTED`] request; checks the rows came back.
async fn statements(app: &TestApp, token: &str, count: usize) -> f64 {
    let (data, statements) = app.ok_counting(token, NESTED, json!({})).await;
    let nodes = data["ocopCertificates"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone();
    assert_eq!(nodes.len(), count);
    for n in &nodes {
        assert!(n["product"]["name"].is_string(), "{n:#}");
        assert!(n["product"]["establishment"]["name"].is_string(), "{n:#}");
        assert!(
            n["product"]["currentOcopCertificate"]["stars"].is_i64(),
            "{n:#}"
        );
        let scores = n["evaluation"]["provinceScores"]
            .as_array()
            .expect("scores");
        assert_eq!(scores.len(), 3, "{n:#}");
        assert!(scores[0]["member"]["username"].is_string(), "{n:#}");
    }
    statements
}

#[tokio::test]
async fn statements_for_certificates_do_not_grow_with_the_rows() {
    let app = spawn_app().await;
    let c = cast(&app, BMT).await;
    for i in 0..2 {
        certified(
            &app,
            &c,
            &format!("Sản phẩm {i}"),
            3 + (i % 2),
            "2026-01-05",
        )
        .await;
    }
    statements(&app, &c.national.token, 2).await;
    let for_two = statements(&app, &c.national.token, 2).await;
    for i in 2..6 {
        certified(
            &app,
            &c,
            &format!("Sản phẩm {i}"),
            3 + (i % 2),
            "2026-01-05",
        )
        .await;
    }
    statements(&app, &c.national.token, 6).await;
    let for_six = statements(&app, &c.national.token, 6).await;
    assert!(for_two > 0.0, "statements are counted");
    assert_eq!(
        for_two, for_six,
        "2 certificates: {for_two} statements, 6 certificates: {for_six}"
    );
}
