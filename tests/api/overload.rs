//! Back-pressure: at most `KC_MAX_IN_FLIGHT` requests reach the database; the rest wait at
//! most `KC_QUEUE_TIMEOUT_MS` and get 503 `UNAVAILABLE` with `Retry-After`, never a 30 s wait.
//! And 10,000 hostile or malformed requests through the real server: no 5xx but
//! `UNAVAILABLE`, and normal answers afterwards.

use std::time::{Duration, Instant};

use futures::{StreamExt, stream};
use serde_json::json;

use crate::helpers::{guard::post_raw, spawn_app, spawn_app_with};

#[tokio::test]
async fn requests_beyond_the_slots_get_unavailable_quickly_with_retry_after() {
    let app = spawn_app_with(|c| {
        c.max_in_flight = Some(2);
        c.queue_timeout = Duration::from_millis(200);
    })
    .await;
    assert_eq!(app.state.guard.max_in_flight, 2);
    let user = app.national().await;
    let query = json!({ "query": "{ establishments { totalCount } }" }).to_string();

    // Two requests in flight hold both slots (taken here, as slow requests would).
    let held = app
        .state
        .guard
        .in_flight
        .clone()
        .acquire_many_owned(2)
        .await
        .expect("slots");
    let started = Instant::now();
    let excess: Vec<_> = stream::iter(0..8)
        .map(|_| {
            post_raw(
                &app.client,
                &app.address,
                Some(&user.token),
                query.clone(),
                &[],
            )
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let waited = started.elapsed();
    for r in &excess {
        assert_eq!(r.status, 503, "{:#}", r.body);
        assert_eq!(r.retry_after.as_deref(), Some("1"));
        assert_eq!(r.body["errors"][0]["extensions"]["code"], "UNAVAILABLE");
    }
    assert!(
        waited < Duration::from_secs(10),
        "refused after the queue timeout, not the 30 s request timeout ({waited:?})"
    );
    // Health and metrics are not behind the slots.
    let ready = app
        .client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status().as_u16(), 200);

    drop(held);
    let r = post_raw(&app.client, &app.address, Some(&user.token), query, &[]).await;
    assert_eq!(r.status, 200);
    assert!(
        r.body["data"]["establishments"]["totalCount"].is_number(),
        "{:#}",
        r.body
    );
}

#[tokio::test]
async fn the_default_slots_follow_the_pool_size() {
    let app = spawn_app_with(|c| c.db_max_connections = 3).await;
    assert_eq!(app.state.guard.max_in_flight, 12);
}

/// A small deterministic generator (no dependency for this).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// One hostile or malformed body.
fn hostile(rng: &mut Lcg) -> Vec<u8> {
    let valid = [
        "{ establishments(first: 5) { nodes { id name phone } totalCount } }",
        "query($id: ID!) { node(id: $id) { id } }",
        "mutation { logout(refreshToken: \"x\") }",
        "{ publicCatalog { nodes { productName } } }",
        "{ me { username } }",
    ];
    let pick = valid[rng.below(valid.len() as u64) as usize];
    let body = match rng.below(16) {
        0 => String::new(),
        1 => {
            let full = json!({ "query": pick }).to_string();
            full[..rng.below(full.len() as u64) as usize].to_owned()
        }
        2 => {
            let d = 1 + rng.below(2000) as usize;
            json!({ "query": format!("{}{}", "{ me ".repeat(d), "}".repeat(d)) }).to_string()
        }
        3 => {
            let n = 1 + rng.below(3000) as usize;
            let f: Vec<String> = (0..n).map(|i| format!("a{i}: __typename")).collect();
            json!({ "query": format!("{{ {} }}", f.join(" ")) }).to_string()
        }
        4 => json!({ "query": "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }" })
            .to_string(),
        5 => json!({ "query": pick, "variables": { "id": rng.next(), "first": "many" } }).to_string(),
        6 => json!({ "query": "{ establishments(first: \"x\") { totalCount } }" }).to_string(),
        7 => json!({ "query": "{ establishments(first: 100000000000) { totalCount } }" }).to_string(),
        8 => (0..rng.below(512)).map(|_| (rng.below(95) as u8 + 32) as char).collect(),
        9 => json!([{ "query": pick }, { "query": pick }]).to_string(),
        10 => json!({ "query": 42, "variables": [1, 2] }).to_string(),
        11 => json!({ "query": pick, "operationName": "Nope" }).to_string(),
        12 => json!({ "query": format!("{{ me {{ username {} }} }}", "@skip(if: false) ".repeat(1 + rng.below(50) as usize)) }).to_string(),
        13 => json!({ "query": "{ establishments(first: 100) { nodes { products(first: 100) { nodes { establishment { products(first: 100) { totalCount } } } } } } }" }).to_string(),
        14 => json!({ "query": pick, "extensions": { "persistedQuery": { "version": rng.below(3), "sha256Hash": "00" } } }).to_string(),
        _ => json!({ "query": format!("{{ establishments(filter: {{ search: \"{}\" }}) {{ totalCount }} }}", "\\u0000'\"; DROP TABLE app_user; --".repeat(1 + rng.below(20) as usize)) }).to_string(),
    };
    let mut bytes = body.into_bytes();
    if rng.below(20) == 0 && !bytes.is_empty() {
        // Not UTF-8 any more.
        let at = rng.below(bytes.len() as u64) as usize;
        bytes[at] = 0xff;
    }
    bytes
}

#[tokio::test]
async fn ten_thousand_hostile_requests_leave_the_server_answering_normally() {
    let app = spawn_app().await;
    let user = app.national().await;
    let mut rng = Lcg(0x6b68_7579_656e_636f);
    let bodies: Vec<(Vec<u8>, bool)> = (0..10_000)
        .map(|_| (hostile(&mut rng), rng.below(2) == 0))
        .collect();
    let token = user.token.clone();
    let results: Vec<(u16, String)> = stream::iter(bodies)
        .map(|(body, signed)| {
            let app = &app;
            let token = token.clone();
            async move {
                let r = post_raw(
                    &app.client,
                    &app.address,
                    signed.then_some(token.as_str()),
                    body,
                    &[],
                )
                .await;
                let code = r.body["errors"][0]["extensions"]["code"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                (r.status, code)
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let mut by_status = std::collections::BTreeMap::new();
    for (status, code) in &results {
        *by_status.entry(*status).or_insert(0) += 1;
        if *status >= 500 {
            assert!(
                *status == 503 && code == "UNAVAILABLE",
                "a 5xx other than UNAVAILABLE: {status} {code}"
            );
        }
    }
    eprintln!("hostile requests by status: {by_status:?}");
    assert_eq!(results.len(), 10_000);

    // Normal answers afterwards.
    let data = app
        .ok(
            Some(&user.token),
            "{ me { username } establishments { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(data["me"]["username"], user.username);
    let healthy = app
        .client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .expect("readyz");
    assert_eq!(healthy.status().as_u16(), 200);
}
