//! OCOP star rating (đánh giá, phân hạng sản phẩm OCOP): an application is opened and
//! screened, the provincial council scores it and the province decides; 5★ goes on to the
//! central council. A [`Cast`] holds the people of one commune's applications.

use serde_json::{Value, json};

use crate::helpers::{
    TestApp, TestUser,
    common::{data, id_of, today},
    flows::product_in,
    place::province_of,
};

/// The fields of a certificate the tests read.
pub const CERT: &str = "id stars decisionNumber issuingLevel issuedOn validUntil status \
    revokedReason revokeDecisionNumber product { id } evaluation { id }";

/// The fields of a council member's score.
pub const SCORE_FIELDS: &str =
    "member { username } partA partB partC total mandatoryCriteriaFailed";

/// The fields of an evaluation the tests read, with its scores and certificate.
pub fn eval_fields() -> String {
    format!(
        "id status version year type stars criteriaVersion screeningNote provinceMean \
         centralMean product {{ id }} provinceScores {{ {SCORE_FIELDS} }} \
         centralScores {{ {SCORE_FIELDS} }} certificate {{ {CERT} }}"
    )
}

/// The people of one area: a national officer and two more for the central council, a
/// provincial officer, a commune officer and three provincial council members.
pub struct Cast {
    /// The commune of the cast's products.
    pub commune_code: &'static str,
    /// A national officer (also the first member of `centre`).
    pub national: TestUser,
    /// The central council: three national users.
    pub centre: Vec<TestUser>,
    /// The provincial officer who decides.
    pub province: TestUser,
    /// The commune officer who opens and screens applications.
    pub commune: TestUser,
    /// The provincial council: three province users.
    pub council: Vec<TestUser>,
}

/// The cast of `commune`: new users of the commune, its province and the centre.
pub async fn cast(app: &TestApp, commune: &'static str) -> Cast {
    let province = province_of(commune);
    let mut centre = Vec::new();
    for _ in 0..3 {
        centre.push(app.national().await);
    }
    let mut council = Vec::new();
    for _ in 0..3 {
        council.push(app.province(province).await);
    }
    Cast {
        commune_code: commune,
        national: centre[0].clone(),
        centre,
        province: app.province(province).await,
        commune: app.commune(commune).await,
        council,
    }
}

impl Cast {
    /// A product of a new establishment of the cast's commune.
    pub async fn product(&self, app: &TestApp, name: &str) -> String {
        product_in(app, &self.national.token, self.commune_code, name).await
    }
}

/// `createOcopEvaluation` as `token` (the whole body).
pub async fn create(
    app: &TestApp,
    token: &str,
    product: &str,
    year: i32,
    kind: &str,
    key: Option<&str>,
) -> Value {
    let q = format!(
        "mutation($i: CreateOcopEvaluationInput!, $k: String) {{ \
         createOcopEvaluation(input: $i, idempotencyKey: $k) {{ {} }} }}",
        eval_fields()
    );
    app.gql(
        Some(token),
        &q,
        json!({ "i": { "productId": product, "year": year, "type": kind }, "k": key }),
    )
    .await
}

/// Opens a NEW application of 2026 (must succeed); returns the evaluation.
pub async fn opened(app: &TestApp, token: &str, product: &str) -> Value {
    opened_in(app, token, product, 2026, "NEW").await
}

/// Opens an application of `year` and `kind` (must succeed); returns the evaluation.
pub async fn opened_in(app: &TestApp, token: &str, product: &str, year: i32, kind: &str) -> Value {
    let body = create(app, token, product, year, kind, None).await;
    data(&body, "createOcopEvaluation").clone()
}

/// `screenOcopEvaluation` as `token` (the whole body).
pub async fn screen(
    app: &TestApp,
    token: &str,
    id: &str,
    version: i64,
    forward: bool,
    note: Option<&str>,
) -> Value {
    let q = format!(
        "mutation($id: ID!, $v: Int!, $f: Boolean!, $n: String) {{ \
         screenOcopEvaluation(id: $id, expectedVersion: $v, forward: $f, note: $n) {{ {} }} }}",
        eval_fields()
    );
    app.gql(
        Some(token),
        &q,
        json!({ "id": id, "v": version, "f": forward, "n": note }),
    )
    .await
}

/// An evaluation as `token` sees it (`null` out of sight).
pub async fn evaluation(app: &TestApp, token: &str, id: &str) -> Value {
    let q = format!(
        "query($id: ID!) {{ node(id: $id) {{ ... on OcopEvaluation {{ {} }} }} }}",
        eval_fields()
    );
    app.ok(Some(token), &q, json!({ "id": id })).await["node"].clone()
}

/// A certificate as `token` sees it.
pub async fn certificate(app: &TestApp, token: &str, id: &str) -> Value {
    let q =
        format!("query($id: ID!) {{ node(id: $id) {{ ... on OcopCertificate {{ {CERT} }} }} }}");
    app.ok(Some(token), &q, json!({ "id": id })).await["node"].clone()
}

/// The current version of an evaluation as `token` sees it.
pub async fn version_of(app: &TestApp, token: &str, id: &str) -> i64 {
    evaluation(app, token, id).await["version"]
        .as_i64()
        .expect("version")
}

/// The status of an evaluation as `token` sees it.
pub async fn status_of(app: &TestApp, token: &str, id: &str) -> String {
    evaluation(app, token, id).await["status"]
        .as_str()
        .expect("status")
        .to_owned()
}

/// Opens a NEW application of 2026 for `product` as the cast's commune officer and forwards
/// it; returns the evaluation id.
pub async fn screened(app: &TestApp, c: &Cast, product: &str) -> String {
    screened_in(app, c, product, 2026, "NEW").await
}

/// Opens an application of `year` and `kind` for `product` as the cast's commune officer and
/// forwards it; returns the evaluation id.
pub async fn screened_in(app: &TestApp, c: &Cast, product: &str, year: i32, kind: &str) -> String {
    let e = opened_in(app, &c.commune.token, product, year, kind).await;
    let body = screen(app, &c.commune.token, &id_of(&e), 1, true, None).await;
    let e = data(&body, "screenOcopEvaluation");
    assert_eq!(e["status"], "SCREENED", "{e:#}");
    id_of(e)
}

/// Parts A, B and C adding up to `total` (to the hundredth), each within its range.
pub fn parts(total: f64) -> (f64, f64, f64) {
    let t = (total * 100.0).round() as i64;
    assert!((0..=10_000).contains(&t), "total {total}");
    let a = t.min(4000);
    let b = (t - a).min(2500);
    let c = t - a - b;
    (a as f64 / 100.0, b as f64 / 100.0, c as f64 / 100.0)
}

/// `submitOcopScores` as `token` (the whole body).
pub async fn score_parts(
    app: &TestApp,
    token: &str,
    id: &str,
    (a, b, c): (f64, f64, f64),
    failed: &[&str],
) -> Value {
    app.gql(
        Some(token),
        &format!(
            "mutation($e: ID!, $i: OcopScoreInput!) {{ \
             submitOcopScores(evaluationId: $e, input: $i) {{ {SCORE_FIELDS} }} }}"
        ),
        json!({
            "e": id,
            "i": { "partA": a, "partB": b, "partC": c, "mandatoryCriteriaFailed": failed },
        }),
    )
    .await
}

/// A score of `total` by `token` (the whole body).
pub async fn score(app: &TestApp, token: &str, id: &str, total: f64) -> Value {
    score_parts(app, token, id, parts(total), &[]).await
}

/// A score of `total` that must succeed.
pub async fn scored(app: &TestApp, member: &TestUser, id: &str, total: f64) -> Value {
    let body = score(app, &member.token, id, total).await;
    data(&body, "submitOcopScores").clone()
}

/// One score per member with the given totals.
pub async fn score_all(app: &TestApp, members: &[TestUser], id: &str, totals: &[f64]) {
    assert_eq!(members.len(), totals.len());
    for (m, t) in members.iter().zip(totals) {
        scored(app, m, id, *t).await;
    }
}

/// `certifyOcop` as `token` (the whole body).
pub async fn certify(
    app: &TestApp,
    token: &str,
    id: &str,
    version: i64,
    number: &str,
    issued_on: &str,
) -> Value {
    let q = format!(
        "mutation($e: ID!, $v: Int!, $i: CertifyOcopInput!) {{ \
         certifyOcop(evaluationId: $e, expectedVersion: $v, input: $i) {{ {} }} }}",
        eval_fields()
    );
    app.gql(
        Some(token),
        &q,
        json!({ "e": id, "v": version, "i": { "decisionNumber": number, "issuedOn": issued_on } }),
    )
    .await
}

/// `certifyOcop` at the current version as `user` (the whole body).
pub async fn certify_now(app: &TestApp, user: &TestUser, id: &str, issued_on: &str) -> Value {
    let v = version_of(app, &user.token, id).await;
    certify(app, &user.token, id, v, "123/QĐ-UBND", issued_on).await
}

/// A decision that must succeed; returns the evaluation.
pub async fn decided(app: &TestApp, user: &TestUser, id: &str, issued_on: &str) -> Value {
    let body = certify_now(app, user, id, issued_on).await;
    data(&body, "certifyOcop").clone()
}

/// A new product of the cast's commune, screened and scored by the council with `totals`.
pub async fn scored_product(
    app: &TestApp,
    c: &Cast,
    name: &str,
    totals: &[f64],
) -> (String, String) {
    let product = c.product(app, name).await;
    let e = screened(app, c, &product).await;
    score_all(app, &c.council, &e, totals).await;
    (product, e)
}

/// A new product scored with `totals` and decided by the province on `issued_on`; returns
/// the product id and the evaluation.
pub async fn decided_product(
    app: &TestApp,
    c: &Cast,
    name: &str,
    totals: &[f64],
    issued_on: &str,
) -> (String, Value) {
    let (product, e) = scored_product(app, c, name, totals).await;
    (product, decided(app, &c.province, &e, issued_on).await)
}

/// An application of `year` and `kind` for `product`, screened, scored 95 by the provincial
/// council and forwarded by the province (today) to the central council; the evaluation id.
pub async fn forwarded_to_centre(
    app: &TestApp,
    c: &Cast,
    product: &str,
    year: i32,
    kind: &str,
) -> String {
    let e = screened_in(app, c, product, year, kind).await;
    score_all(app, &c.council, &e, &[95.0; 3]).await;
    let ev = decided(app, &c.province, &e, &today().to_string()).await;
    assert_eq!(ev["status"], "CENTRAL_SCORING", "{ev:#}");
    e
}

/// Certifies an existing product of the cast's commune with `stars` on `issued_on`, through
/// an application of `year` and `kind`: 3★ and 4★ by the province (the council scores 60 or
/// 80), 5★ by the central council (92, 93, 94) after the province forwarded it. Returns the
/// certificate id.
pub async fn grade(
    app: &TestApp,
    c: &Cast,
    product: &str,
    (year, kind): (i32, &str),
    stars: i64,
    issued_on: &str,
) -> String {
    let ev = match stars {
        3 | 4 => {
            let e = screened_in(app, c, product, year, kind).await;
            let total = if stars == 3 { 60.0 } else { 80.0 };
            score_all(app, &c.council, &e, &[total; 3]).await;
            decided(app, &c.province, &e, issued_on).await
        }
        5 => {
            let e = forwarded_to_centre(app, c, product, year, kind).await;
            score_all(app, &c.centre, &e, &[92.0, 93.0, 94.0]).await;
            decided(app, &c.national, &e, issued_on).await
        }
        s => panic!("no certificate of {s} stars"),
    };
    assert_eq!(ev["status"], "CERTIFIED", "{ev:#}");
    assert_eq!(ev["certificate"]["stars"], stars, "{ev:#}");
    id_of(&ev["certificate"])
}

/// A new product of the cast's commune certified with `stars` on `issued_on` (a NEW
/// application of 2026); returns the product and certificate ids.
pub async fn certified(
    app: &TestApp,
    c: &Cast,
    name: &str,
    stars: i64,
    issued_on: &str,
) -> (String, String) {
    let product = c.product(app, name).await;
    let cert = grade(app, c, &product, (2026, "NEW"), stars, issued_on).await;
    (product, cert)
}

/// A new product of the cast's commune forwarded to the central council (province mean 95);
/// returns the product and evaluation ids.
pub async fn at_the_centre(app: &TestApp, c: &Cast, name: &str) -> (String, String) {
    let product = c.product(app, name).await;
    let e = forwarded_to_centre(app, c, &product, 2026, "NEW").await;
    (product, e)
}

/// A new product certified 5★ by the central council; returns the product and certificate
/// ids.
pub async fn five_star(app: &TestApp, c: &Cast, name: &str, issued_on: &str) -> (String, String) {
    certified(app, c, name, 5, issued_on).await
}

/// `revokeOcopCertificate` as `token` (the whole body).
pub async fn revoke(app: &TestApp, token: &str, id: &str, reason: &str) -> Value {
    app.gql(
        Some(token),
        &format!(
            "mutation($c: ID!, $r: String!, $d: String!) {{ \
             revokeOcopCertificate(certificateId: $c, reason: $r, decisionNumber: $d) {{ {CERT} }} }}"
        ),
        json!({ "c": id, "r": reason, "d": "45/QĐ-THU-HOI" }),
    )
    .await
}
