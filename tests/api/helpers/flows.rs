//! The flows several test files walk through, written once: a project from proposal to
//! settlement with its money (`project`), a selection round from opening to recognition
//! (`selection`) and an OCOP application from opening to certificate (`ocop`). Each step comes
//! raw (the whole response, for tests of refusals) and checked (must succeed).

pub mod ocop;
pub mod project;
pub mod selection;

use serde_json::json;

use super::{TestApp, common::id_of};

/// A product of a new establishment of `commune`, both registered by `token`; the product id.
pub async fn product_in(app: &TestApp, token: &str, commune: &str, name: &str) -> String {
    let e = app.establishment(token, commune, json!({})).await;
    id_of(&app.product(token, &id_of(&e), name).await)
}

/// A product of a new establishment of `commune`, registered by a new national user.
pub async fn fresh_product(app: &TestApp, commune: &str, name: &str) -> String {
    let setup = app.national().await;
    product_in(app, &setup.token, commune, name).await
}
