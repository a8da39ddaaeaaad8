//! The change feed (issue #11): `Query.changes` and `GET /export/changes.ndjson`.

use std::{
    collections::HashSet,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use khuyencong::{
    domain::{Ctx, audit, begin_write},
    enums::Role,
    graphql::ids,
    kind::EntityKind,
};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_field, place, spawn_app};

mod sight;

const FEED: &str = "query($after: String, $first: Int, $filter: ChangeFilter) {
  changes(after: $after, first: $first, filter: $filter) {
    nodes { cursor entity id operation version changedAt provinceCode communeCode
            actor { id } node { id } }
    edges { cursor }
    pageInfo { hasNextPage endCursor }
  }
}";

fn establishments_only() -> Value {
    json!({ "entities": ["ESTABLISHMENT"] })
}

/// Pages through the feed from `after` to its end (pages of `first`).
pub(crate) async fn pull(
    app: &TestApp,
    token: &str,
    after: Option<String>,
    first: i32,
    filter: Value,
) -> (Vec<Value>, Option<String>) {
    let mut cursor = after;
    let mut out = Vec::new();
    loop {
        let data = app
            .ok(
                Some(token),
                FEED,
                json!({ "after": cursor, "first": first, "filter": filter }),
            )
            .await;
        let page = &data["changes"];
        out.extend(page["nodes"].as_array().expect("nodes").iter().cloned());
        cursor = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        if page["pageInfo"]["hasNextPage"] != true {
            return (out, cursor);
        }
    }
}

/// The establishment changes of the feed once at least `n` are exposed. On PostgreSQL a
/// change is exposed once every older transaction of the cluster has ended (the feed's
/// no-skip rule), which under the parallel tests can take a moment.
pub async fn wait_for_feed(app: &TestApp, token: &str, n: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (all, _) = pull(app, token, None, 1000, establishments_only()).await;
        if all.len() >= n || tokio::time::Instant::now() > deadline {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The changes after `after` (all kinds) as `(entity, global id, operation)`, once at least
/// `n` are exposed (or 20 s passed), with the cursor to resume from.
pub async fn changes_since(
    app: &TestApp,
    token: &str,
    after: Option<String>,
    n: usize,
) -> (Vec<(String, String, String)>, Option<String>) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (rows, cursor) = pull(app, token, after.clone(), 1000, json!({})).await;
        if rows.len() >= n || tokio::time::Instant::now() > deadline {
            let summary = rows
                .iter()
                .map(|c| {
                    let s = |k: &str| c[k].as_str().expect("a string field").to_owned();
                    (s("entity"), s("id"), s("operation"))
                })
                .collect();
            return (summary, cursor.or(after));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_feed_carries_creates_updates_and_status_changes_oldest_first_within_the_area() {
    let app = spawn_app().await;
    let national = app.national().await;
    let e1 = app
        .establishment(&national.token, place::BMT, json!({}))
        .await;
    let e2 = app
        .establishment(&national.token, place::TRUONG_PHU, json!({}))
        .await;
    let e1_id = e1["id"].as_str().expect("id");
    app.ok(
        Some(&national.token),
        "mutation($id: ID!, $v: Int!) { updateEstablishment(id: $id, expectedVersion: $v, input: { employeeCount: 12 }) { version } }",
        json!({ "id": e1_id, "v": e1["version"] }),
    )
    .await;
    app.ok(
        Some(&national.token),
        "mutation($id: ID!) { setEstablishmentStatus(id: $id, expectedVersion: 2, status: SUSPENDED, reason: \"Tạm dừng sản xuất\") { version } }",
        json!({ "id": e1_id }),
    )
    .await;

    let all = wait_for_feed(&app, &national.token, 4).await;
    let summary: Vec<(String, String, i64)> = all
        .iter()
        .map(|c| {
            (
                c["id"].as_str().expect("id").to_owned(),
                c["operation"].as_str().expect("op").to_owned(),
                c["version"].as_i64().expect("version"),
            )
        })
        .collect();
    let e2_id = e2["id"].as_str().expect("id").to_owned();
    assert_eq!(
        summary,
        vec![
            (e1_id.to_owned(), "CREATE".into(), 1),
            (e2_id.clone(), "CREATE".into(), 1),
            (e1_id.to_owned(), "UPDATE".into(), 2),
            (e1_id.to_owned(), "UPDATE".into(), 3),
        ]
    );
    assert_eq!(all[0]["entity"], "ESTABLISHMENT");
    assert_eq!(all[0]["provinceCode"], place::DAK_LAK);
    assert_eq!(all[0]["communeCode"], place::BMT);
    assert_eq!(all[0]["node"]["id"], e1_id);
    assert_eq!(all[0]["actor"]["id"], national.id.as_str());

    // Paging with small pages and resuming from the last cursor gives the same list.
    let (first_two, cursor) = pull(&app, &national.token, None, 2, establishments_only()).await;
    assert_eq!(first_two, all, "small pages end at the same list");
    let (rest, end) = pull(
        &app,
        &national.token,
        cursor.clone(),
        2,
        establishments_only(),
    )
    .await;
    assert!(rest.is_empty(), "nothing after the end: {rest:#?}");
    assert_eq!(end, cursor, "an empty page keeps the resume cursor");

    // Scoping: a province sees its province, a commune its commune, the ministry all.
    let dak_lak = app.province(place::DAK_LAK).await;
    let (seen, _) = pull(&app, &dak_lak.token, None, 100, establishments_only()).await;
    assert_eq!(seen.len(), 3);
    assert!(seen.iter().all(|c| c["id"] == e1_id));
    let quang_tri = app.province(place::QUANG_TRI).await;
    let (seen, _) = pull(&app, &quang_tri.token, None, 100, establishments_only()).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["id"], e2_id.as_str());
    let bmt = app.commune(place::BMT).await;
    let (seen, _) = pull(&app, &bmt.token, None, 100, establishments_only()).await;
    assert_eq!(seen.len(), 3);
    let other = app.commune(place::DAK_LAK_OTHER).await;
    let (seen, _) = pull(&app, &other.token, None, 100, establishments_only()).await;
    assert!(seen.is_empty(), "another commune sees nothing: {seen:#?}");
    let ministry = app.user(Role::National, None, None, false, true).await;
    let (seen, _) = pull(&app, &ministry.token, None, 100, establishments_only()).await;
    assert_eq!(
        seen.len(),
        4,
        "the read-only ministry account sees everything"
    );
    // A filter narrows inside the area, never widens it.
    let (seen, _) = pull(
        &app,
        &dak_lak.token,
        None,
        100,
        json!({ "entities": ["ESTABLISHMENT"], "provinceCode": place::QUANG_TRI }),
    )
    .await;
    assert!(seen.is_empty());

    let bad = app
        .gql(
            Some(&national.token),
            FEED,
            json!({ "after": "not-a-cursor" }),
        )
        .await;
    assert_field(&bad, "after");
    let anonymous = app.gql(None, FEED, json!({})).await;
    assert_eq!(crate::helpers::code(&anonymous), "UNAUTHENTICATED");
}

#[tokio::test]
async fn eight_concurrent_writers_and_a_resuming_puller_see_every_acknowledged_write_once() {
    let app = Arc::new(spawn_app().await);
    let national = app.national().await;
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let done = Arc::new(AtomicBool::new(false));

    // The puller pages with a small `first`, keeping only its last cursor, while the writers
    // run; it must never need an overlap.
    let puller = {
        let (app, token, done, acknowledged) = (
            app.clone(),
            national.token.clone(),
            done.clone(),
            acknowledged.clone(),
        );
        tokio::spawn(async move {
            let mut cursor: Option<String> = None;
            let mut seen: Vec<String> = Vec::new();
            let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
            loop {
                let finished = done.load(Ordering::SeqCst);
                let (page, next) =
                    pull(&app, &token, cursor.clone(), 3, establishments_only()).await;
                seen.extend(
                    page.iter()
                        .map(|c| c["id"].as_str().expect("id").to_owned()),
                );
                cursor = next;
                if finished {
                    let expected = acknowledged.lock().expect("lock").len();
                    if seen.len() >= expected || tokio::time::Instant::now() > deadline {
                        // One more read after a pause: nothing further may appear.
                        tokio::time::sleep(Duration::from_millis(300)).await;
                        let (extra, _) =
                            pull(&app, &token, cursor.clone(), 3, establishments_only()).await;
                        seen.extend(
                            extra
                                .iter()
                                .map(|c| c["id"].as_str().expect("id").to_owned()),
                        );
                        return seen;
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };

    let mut writers = Vec::new();
    for w in 0..8i64 {
        let (app, token, acknowledged) =
            (app.clone(), national.token.clone(), acknowledged.clone());
        writers.push(tokio::spawn(async move {
            for i in 0..5i64 {
                if w % 3 == 0 {
                    // A transaction that takes its place in the feed early and commits late,
                    // after others that started after it (the case a plain sequence loses).
                    let id = 1_000_000 + w * 100 + i;
                    let ctx = Ctx {
                        actor: None,
                        request_id: None,
                        reference: app.state.reference(),
                    };
                    let txn = begin_write(&app.state.db).await.expect("begin");
                    audit::record(
                        &txn,
                        &ctx,
                        "update",
                        audit::Subject {
                            entity_type: EntityKind::Establishment,
                            entity_id: id,
                            province_code: Some(place::DAK_LAK),
                            commune_code: Some(place::BMT),
                        },
                        json!({}),
                    )
                    .await
                    .expect("recorded");
                    tokio::time::sleep(Duration::from_millis(150 + 50 * (i % 3) as u64)).await;
                    if w == 3 && i == 4 {
                        // Rolled back: never acknowledged, never in the feed.
                        txn.rollback().await.expect("rollback");
                    } else {
                        txn.commit().await.expect("commit");
                        acknowledged
                            .lock()
                            .expect("lock")
                            .push(ids::encode(EntityKind::Establishment, id).0);
                    }
                } else {
                    let e = app.establishment(&token, place::BMT, json!({})).await;
                    acknowledged
                        .lock()
                        .expect("lock")
                        .push(e["id"].as_str().expect("id").to_owned());
                }
            }
        }));
    }
    for w in writers {
        w.await.expect("writer");
    }
    done.store(true, Ordering::SeqCst);
    let seen = puller.await.expect("puller");

    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert_eq!(acknowledged.len(), 39);
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a change was repeated: {seen:#?}");
    let expected: HashSet<&String> = acknowledged.iter().collect();
    let missing: Vec<_> = expected.difference(&unique).collect();
    let extra: Vec<_> = unique.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, not acknowledged {extra:?}"
    );
}

async fn export(app: &TestApp, token: Option<&str>, query: &str) -> (u16, String) {
    let mut req = app
        .client
        .get(format!("{}/export/changes.ndjson{query}", app.address));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.expect("export");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

fn lines(body: &str) -> Vec<Value> {
    body.lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// A puller's loop over the export: resumes from the end line's cursor until it holds `n`
/// changes (or 20 s pass); returns the change lines and the last cursor.
async fn pull_export(
    app: &TestApp,
    token: &str,
    after: Option<String>,
    query: &str,
    n: usize,
) -> (Vec<Value>, Option<String>) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut cursor = after;
    let mut out = Vec::new();
    loop {
        let after = cursor
            .as_deref()
            .map(|c| format!("&after={c}"))
            .unwrap_or_default();
        let (status, body) = export(app, Some(token), &format!("{query}{after}")).await;
        assert_eq!(status, 200, "{body}");
        let mut got = lines(&body);
        let end = got.pop().expect("an end line");
        assert_eq!(end["end"], true, "{body}");
        assert_eq!(end["count"], got.len());
        if let Some(last) = got.last() {
            assert_eq!(end["cursor"], last["cursor"]);
        }
        out.extend(got);
        cursor = end["cursor"].as_str().map(str::to_owned);
        if out.len() >= n || tokio::time::Instant::now() > deadline {
            return (out, cursor);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_change_export_streams_the_feed_and_resumes_from_its_cursor() {
    let app = spawn_app().await;
    let national = app.national().await;
    for _ in 0..3 {
        app.establishment(&national.token, place::BMT, json!({}))
            .await;
    }
    let q = "?entities=ESTABLISHMENT";
    let (first, cursor) = pull_export(&app, &national.token, None, q, 3).await;
    assert_eq!(first.len(), 3, "{first:#?}");
    assert!(first.iter().all(|l| l["operation"] == "CREATE"));

    // The same rows as the GraphQL feed.
    let feed = wait_for_feed(&app, &national.token, 3).await;
    let ids_feed: Vec<&Value> = feed.iter().map(|c| &c["id"]).collect();
    let ids_export: Vec<&Value> = first.iter().map(|c| &c["id"]).collect();
    assert_eq!(ids_feed, ids_export);

    let quang_tri_est = app
        .establishment(&national.token, place::TRUONG_PHU, json!({}))
        .await;
    let (next, _) = pull_export(&app, &national.token, cursor, q, 1).await;
    assert_eq!(next.len(), 1, "only the new change: {next:#?}");
    assert_eq!(next[0]["id"], quang_tri_est["id"]);

    // Scoped like the feed; errors are stable codes.
    let dak_lak = app.province(place::DAK_LAK).await;
    let (_, body) = export(&app, Some(&dak_lak.token), q).await;
    assert_eq!(lines(&body).len(), 4, "Đắk Lắk sees its three: {body}");
    let (status, _) = export(&app, None, "").await;
    assert_eq!(status, 401);
    let (status, body) = export(&app, Some(&national.token), "?entities=NOPE").await;
    assert_eq!(status, 400);
    assert!(body.contains("BAD_USER_INPUT"));
    let (status, _) = export(&app, Some(&national.token), "?after=zzz").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn products_moving_with_their_establishment_reach_the_feed_in_its_new_place() {
    let app = spawn_app().await;
    let national = app.national().await;
    let e = app
        .establishment(&national.token, place::BMT, json!({}))
        .await;
    let e_id = e["id"].as_str().expect("id").to_owned();
    let p1 = app.product(&national.token, &e_id, "Cà phê rang").await;
    let p2 = app.product(&national.token, &e_id, "Hạt điều").await;
    let (_, start) = changes_since(&app, &national.token, None, 3).await;
    app.ok(
        Some(&national.token),
        "mutation($id: ID!, $v: Int!, $c: String!) { updateEstablishment(id: $id, expectedVersion: $v, input: { communeCode: $c }) { version } }",
        json!({ "id": e_id, "v": e["version"], "c": place::DAK_LAK_OTHER }),
    )
    .await;
    let (rows, _) = pull(&app, &national.token, start.clone(), 100, json!({})).await;
    let summary: Vec<(String, String, String, String)> = rows
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().expect("a string field").to_owned();
            (s("entity"), s("id"), s("operation"), s("communeCode"))
        })
        .collect();
    let row = |entity: &str, id: &str| {
        (
            entity.to_owned(),
            id.to_owned(),
            "UPDATE".to_owned(),
            place::DAK_LAK_OTHER.to_owned(),
        )
    };
    assert_eq!(
        summary,
        vec![
            row("ESTABLISHMENT", &e_id),
            row("PRODUCT", p1["id"].as_str().expect("id")),
            row("PRODUCT", p2["id"].as_str().expect("id")),
        ]
    );
    // A change that moves nothing touches only its subject.
    app.ok(
        Some(&national.token),
        "mutation($id: ID!, $v: Int!) { updateEstablishment(id: $id, expectedVersion: $v, input: { employeeCount: 7 }) { version } }",
        json!({ "id": e_id, "v": e["version"].as_i64().expect("version") + 1 }),
    )
    .await;
    let (rows, _) = changes_since(&app, &national.token, start, 4).await;
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert_eq!(rows[3].0, "ESTABLISHMENT");
}

#[tokio::test]
async fn certificates_entering_the_expiry_window_reach_the_feed_once() {
    use khuyencong::{
        db::entities::ocop_certificate, domain::change::announce_expiring_certificates,
        enums::OcopIssuingLevel,
    };
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};

    let app = spawn_app().await;
    let national = app.national().await;
    let e = app
        .establishment(&national.token, place::BMT, json!({}))
        .await;
    let e_id = e["id"].as_str().expect("id").to_owned();
    let product = app.product(&national.token, &e_id, "Cà phê bột").await;
    let product_id = crate::helpers::common::row_id(product["id"].as_str().expect("id"));
    let today = chrono::Utc::now().date_naive();
    let db = &app.state.db;
    let certificate = |valid_days: i64, superseded: bool| {
        let t = chrono::Utc::now();
        ocop_certificate::ActiveModel {
            product_id: Set(product_id),
            evaluation_id: Set(None),
            province_code: Set(place::DAK_LAK.to_owned()),
            commune_code: Set(place::BMT.to_owned()),
            stars: Set(4),
            decision_number: Set(format!("{valid_days}/QĐ-UBND")),
            issuing_level: Set(OcopIssuingLevel::Province.as_str().to_owned()),
            issued_on: Set(today - chrono::Duration::days(1000)),
            valid_until: Set(today + chrono::Duration::days(valid_days)),
            superseded: Set(superseded),
            revoked_at: Set(None),
            revoked_reason: Set(None),
            revoke_decision_number: Set(None),
            created_at: Set(t),
            updated_at: Set(t),
            ..Default::default()
        }
        .insert(db)
    };
    let soon = certificate(10, false).await.expect("certificate");
    let later = certificate(40, false).await.expect("certificate");
    certificate(5, true)
        .await
        .expect("a superseded certificate");
    certificate(-1, false)
        .await
        .expect("an expired certificate");
    let (_, start) = changes_since(&app, &national.token, None, 2).await;
    let gid = |id: i64| ids::encode(EntityKind::OcopCertificate, id).0;
    let system = Ctx {
        actor: None,
        request_id: None,
        reference: app.state.reference(),
    };

    // Today only the valid certificate within 30 days of its expiry, once however often the
    // hourly task runs.
    let n = announce_expiring_certificates(db, &system, today)
        .await
        .expect("announced");
    assert_eq!(n, 1);
    let again = announce_expiring_certificates(db, &system, today)
        .await
        .expect("announced");
    assert_eq!(again, 0, "idempotent");
    let (rows, _) = pull(&app, &national.token, start.clone(), 100, json!({})).await;
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(rows[0]["entity"], "OCOP_CERTIFICATE");
    assert_eq!(rows[0]["id"], gid(soon.id).as_str());
    assert_eq!(rows[0]["operation"], "UPDATE");
    assert_eq!(rows[0]["communeCode"], place::BMT);
    assert!(rows[0]["actor"].is_null(), "the server's own change");
    assert_eq!(rows[0]["node"]["id"], gid(soon.id).as_str());
    // The certificate matches `expiringWithinDays: 30` as the change says.
    let listed = app
        .ok(
            Some(&national.token),
            "{ ocopCertificates(filter: { expiringWithinDays: 30 }, first: 10) { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed["ocopCertificates"]["nodes"],
        json!([{ "id": gid(soon.id) }])
    );

    // Eleven days on, the other one enters its window; the first is not announced again.
    let n = announce_expiring_certificates(db, &system, today + chrono::Duration::days(11))
        .await
        .expect("announced");
    assert_eq!(n, 1);
    let (rows, _) = changes_since(&app, &national.token, start, 2).await;
    assert_eq!(
        rows,
        vec![
            ("OCOP_CERTIFICATE".into(), gid(soon.id), "UPDATE".into()),
            ("OCOP_CERTIFICATE".into(), gid(later.id), "UPDATE".into()),
        ]
    );
    // Outside the area nothing shows.
    let other = app.commune(place::DAK_LAK_OTHER).await;
    let (seen, _) = pull(&app, &other.token, None, 100, json!({})).await;
    assert!(seen.is_empty(), "{seen:#?}");
}

/// `(entity, id, operation, version, provinceCode, communeCode, node id)` of each change.
type Seen = (String, String, String, Value, Value, Value, Value);

fn seen(rows: &[Value]) -> Vec<Seen> {
    rows.iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().expect("a string field").to_owned();
            (
                s("entity"),
                s("id"),
                s("operation"),
                c["version"].clone(),
                c["provinceCode"].clone(),
                c["communeCode"].clone(),
                c["node"]["id"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_establishment_moved_to_another_province_leaves_the_old_area_once_without_its_new_place()
{
    let app = spawn_app().await;
    let national = app.national().await;
    let e = app
        .establishment(&national.token, place::BMT, json!({}))
        .await;
    let e_id = e["id"].as_str().expect("id").to_owned();
    let p1 = app.product(&national.token, &e_id, "Cà phê rang").await;
    let p2 = app.product(&national.token, &e_id, "Hạt điều").await;
    let p1_id = p1["id"].as_str().expect("id").to_owned();
    let p2_id = p2["id"].as_str().expect("id").to_owned();
    let (_, start) = changes_since(&app, &national.token, None, 3).await;

    // The ministry moves it from Buôn Ma Thuột (Đắk Lắk) to Trường Phú (Quảng Trị); its
    // products follow it.
    app.ok(
        Some(&national.token),
        "mutation($id: ID!, $v: Int!, $c: String!) { updateEstablishment(id: $id, expectedVersion: $v, input: { communeCode: $c }) { version province { code } } }",
        json!({ "id": e_id, "v": e["version"], "c": place::TRUONG_PHU }),
    )
    .await;
    let (all, _) = changes_since(&app, &national.token, start.clone(), 3).await;
    assert_eq!(all.len(), 3, "{all:?}");

    // The new area, and the ministry (which covers both places, and reads each change once),
    // read the changes with the record and its new place.
    let there = |id: &str, version: i64| {
        (
            if id == e_id {
                "ESTABLISHMENT"
            } else {
                "PRODUCT"
            }
            .to_owned(),
            id.to_owned(),
            "UPDATE".to_owned(),
            json!(version),
            json!(place::QUANG_TRI),
            json!(place::TRUONG_PHU),
            json!(id),
        )
    };
    // Products keep their version: following the establishment is a side effect.
    let expected_there = vec![there(&e_id, 2), there(&p1_id, 1), there(&p2_id, 1)];
    let quang_tri = app.province(place::QUANG_TRI).await;
    let truong_phu = app.commune(place::TRUONG_PHU).await;
    let ministry = app.user(Role::National, None, None, false, true).await;
    for (who, token) in [
        ("national", &national.token),
        ("ministry", &ministry.token),
        ("Quảng Trị", &quang_tri.token),
        ("Trường Phú", &truong_phu.token),
    ] {
        let (rows, _) = pull(&app, token, start.clone(), 100, json!({})).await;
        assert_eq!(seen(&rows), expected_there, "{who}");
    }

    // The old area reads the same changes once each: an UPDATE with no record (it is no
    // longer theirs) and no place (where it went is outside their area).
    let gone = |id: &str, version: i64| {
        (
            if id == e_id {
                "ESTABLISHMENT"
            } else {
                "PRODUCT"
            }
            .to_owned(),
            id.to_owned(),
            "UPDATE".to_owned(),
            json!(version),
            Value::Null,
            Value::Null,
            Value::Null,
        )
    };
    let expected_gone = vec![gone(&e_id, 2), gone(&p1_id, 1), gone(&p2_id, 1)];
    let dak_lak = app.province(place::DAK_LAK).await;
    let bmt = app.commune(place::BMT).await;
    for (who, token) in [("Đắk Lắk", &dak_lak.token), ("Buôn Ma Thuột", &bmt.token)] {
        let (rows, end) = pull(&app, token, start.clone(), 100, json!({})).await;
        assert_eq!(seen(&rows), expected_gone, "{who}");
        assert_eq!(
            end.as_deref(),
            rows.last().and_then(|c| c["cursor"].as_str()),
            "{who} resumes after the move"
        );
        let (rest, _) = pull(&app, token, end, 100, json!({})).await;
        assert!(rest.is_empty(), "{who}: nothing repeated: {rest:#?}");
    }
    // A commune of the old province the record never was in sees nothing.
    let other = app.commune(place::DAK_LAK_OTHER).await;
    let (rows, _) = pull(&app, &other.token, start.clone(), 100, json!({})).await;
    assert!(rows.is_empty(), "{rows:#?}");

    // The area filter matches through either place, but only through a place the caller may
    // see: the ministry finds the move under the old province (with the new place), the old
    // province cannot find out where the record went by filtering on the new one.
    let under = |token: &str, filter: Value| {
        let (app, start) = (&app, start.clone());
        let token = token.to_owned();
        async move { seen(&pull(app, &token, start, 100, filter).await.0) }
    };
    assert_eq!(
        under(&national.token, json!({ "provinceCode": place::DAK_LAK })).await,
        expected_there
    );
    assert_eq!(
        under(&national.token, json!({ "communeCode": place::BMT })).await,
        expected_there
    );
    assert_eq!(
        under(&national.token, json!({ "communeCode": place::TRUONG_PHU })).await,
        expected_there
    );
    assert_eq!(
        under(&dak_lak.token, json!({ "communeCode": place::BMT })).await,
        expected_gone
    );
    assert_eq!(
        under(
            &dak_lak.token,
            json!({ "entities": ["ESTABLISHMENT"], "provinceCode": place::DAK_LAK })
        )
        .await,
        expected_gone[..1]
    );
    for filter in [
        json!({ "provinceCode": place::QUANG_TRI }),
        json!({ "communeCode": place::TRUONG_PHU }),
        json!({ "communeCode": place::DAK_LAK_OTHER }),
    ] {
        assert!(
            under(&dak_lak.token, filter.clone()).await.is_empty(),
            "{filter}"
        );
    }
    assert!(
        under(&quang_tri.token, json!({ "provinceCode": place::DAK_LAK }))
            .await
            .is_empty(),
        "the new area does not see the old place's filter match"
    );

    // The bulk export serves the same feed, with the same rule.
    let after = format!("?after={}", start.as_deref().expect("a cursor"));
    let (status, body) = export(&app, Some(&dak_lak.token), &after).await;
    assert_eq!(status, 200, "{body}");
    let mut got = lines(&body);
    let end = got.pop().expect("an end line");
    assert_eq!(end["count"], 3, "{body}");
    let line = |l: &Value| {
        (
            l["entity"].as_str().expect("entity").to_owned(),
            l["id"].as_str().expect("id").to_owned(),
            l["operation"].as_str().expect("operation").to_owned(),
            l["version"].clone(),
            l["provinceCode"].clone(),
            l["communeCode"].clone(),
        )
    };
    let drop_node = |rows: Vec<Seen>| -> Vec<_> {
        rows.into_iter()
            .map(|(a, b, c, d, e, f, _)| (a, b, c, d, e, f))
            .collect()
    };
    assert_eq!(
        got.iter().map(line).collect::<Vec<_>>(),
        drop_node(expected_gone.clone())
    );
    let (_, body) = export(&app, Some(&quang_tri.token), &after).await;
    let mut got = lines(&body);
    got.pop();
    assert_eq!(
        got.iter().map(line).collect::<Vec<_>>(),
        drop_node(expected_there.clone())
    );
    let (_, body) = export(&app, Some(&national.token), &format!("{after}&province=66")).await;
    let mut got = lines(&body);
    got.pop();
    assert_eq!(
        got.iter().map(line).collect::<Vec<_>>(),
        drop_node(expected_there)
    );
    let (_, body) = export(&app, Some(&dak_lak.token), &format!("{after}&province=44")).await;
    assert_eq!(lines(&body).len(), 1, "only the end line: {body}");
}

#[tokio::test]
async fn a_project_handed_to_another_commune_leaves_the_commune_that_proposed_it_with_its_money() {
    use crate::helpers::flows::project::{YEAR, allocated, new_source, update_raw};
    let app = spawn_app().await;
    let dak_lak = app.province(place::DAK_LAK).await;
    let project = app
        .ok(
            Some(&dak_lak.token),
            "mutation($i: CreateProjectInput!) { createProject(input: $i) { id version } }",
            json!({ "i": {
                "title": "Đề án hỗ trợ máy sấy cà phê",
                "programLevel": "LOCAL",
                "kind": "INDIVIDUAL",
                "category": "VOCATIONAL_TRAINING",
                "provinceCode": place::DAK_LAK,
                "communeCode": place::BMT,
                "fiscalYear": 2025,
            }}),
        )
        .await["createProject"]
        .clone();
    let id = project["id"].as_str().expect("id").to_owned();
    // Money for it: general support, and half of it allocated from the province's source.
    let body = update_raw(
        &app,
        &dak_lak.token,
        &id,
        1,
        json!({ "generalSupportVnd": 100_000_000 }),
    )
    .await;
    assert_eq!(body["data"]["updateProject"]["version"], 2, "{body:#}");
    let source = new_source(&app, &dak_lak.token, "LOCAL", None, YEAR, 1_000_000_000).await;
    let a1 = allocated(&app, &dak_lak.token, &id, &source, 50_000_000).await;
    let national = app.national().await;
    let bmt = app.commune(place::BMT).await;
    let node = |token: &str, id: &str| {
        let (app, token, id) = (&app, token.to_owned(), id.to_owned());
        async move {
            app.ok(
                Some(&token),
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await["node"]
                .clone()
        }
    };
    // The project, its update, the source, the allocation with the source and the project.
    let (_, start) = changes_since(&app, &national.token, None, 6).await;
    let (rows, b0) = pull(&app, &bmt.token, None, 100, json!({})).await;
    assert!(
        rows.iter()
            .any(|r| r["entity"] == "ALLOCATION" && r["node"]["id"] == a1.as_str()),
        "the proposing commune sees the allocation: {rows:#?}"
    );
    assert_eq!(b0, start);
    app.ok(
        Some(&dak_lak.token),
        "mutation($id: ID!, $v: Int!, $c: String!) { updateProject(id: $id, expectedVersion: $v, input: { communeCode: $c }) { version } }",
        json!({ "id": id, "v": 2, "c": place::DAK_LAK_OTHER }),
    )
    .await;
    let (all, moved_at) = changes_since(&app, &national.token, start.clone(), 1).await;
    assert_eq!(all.len(), 1, "{all:?}");

    let moved = |codes: bool, node: bool| {
        vec![(
            "PROJECT".to_owned(),
            id.clone(),
            "UPDATE".to_owned(),
            json!(3),
            if codes {
                json!(place::DAK_LAK)
            } else {
                Value::Null
            },
            if codes {
                json!(place::DAK_LAK_OTHER)
            } else {
                Value::Null
            },
            if node { json!(id) } else { Value::Null },
        )]
    };
    let other = app.commune(place::DAK_LAK_OTHER).await;
    for (who, token, expected) in [
        ("the province", &dak_lak.token, moved(true, true)),
        ("the new commune", &other.token, moved(true, true)),
        ("the proposing commune", &bmt.token, moved(false, false)),
    ] {
        let (rows, _) = pull(&app, token, start.clone(), 100, json!({})).await;
        assert_eq!(seen(&rows), expected, "{who}");
    }

    // Money allocated after the move reaches the new commune only; the old one can read
    // neither allocation any more.
    let a2 = allocated(&app, &dak_lak.token, &id, &source, 50_000_000).await;
    let (all, _) = changes_since(&app, &national.token, moved_at.clone(), 3).await;
    assert_eq!(all.len(), 3, "{all:?}");
    let (rows, _) = pull(&app, &bmt.token, moved_at.clone(), 100, json!({})).await;
    assert!(rows.is_empty(), "{rows:#?}");
    let (rows, _) = pull(&app, &other.token, moved_at, 100, json!({})).await;
    let entities: Vec<(&Value, &Value)> = rows
        .iter()
        .map(|r| (&r["entity"], &r["node"]["id"]))
        .collect();
    assert_eq!(
        entities,
        vec![
            (&json!("ALLOCATION"), &json!(a2)),
            (&json!("PROJECT"), &json!(id)),
        ]
    );
    for a in [&a1, &a2] {
        assert!(node(&bmt.token, a).await.is_null(), "{a}");
        assert_eq!(node(&other.token, a).await["id"], a.as_str());
    }
}
