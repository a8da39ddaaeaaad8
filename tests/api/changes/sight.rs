//! A project leaving and entering a commune's sight without moving: a commune sees the
//! projects that benefit one of its establishments, so removing its last beneficiary there,
//! or moving that establishment away, takes the project (with its allocations and
//! disbursements) out of the commune's feed, `projects` and `node`, and the commune reads
//! that once; a commune that gains a beneficiary reads the project with its record. Also the
//! place before a move seen by a commune that still sees the project, and the feed's rows
//! written before the column that names the commune left.

use async_graphql::ID;
use khuyencong::{graphql::ids, kind::EntityKind};
use migration::{Migrator, MigratorTrait};
use sea_orm::{Database, EntityTrait};
use serde_json::{Value, json};

use super::{Seen, changes_since, export, lines, pull, seen};
use crate::helpers::{
    TestApp,
    common::{assert_ok, id_of},
    flows::project::{
        YEAR, add_read_by, allocated, disburse_raw, get_project, new_project, new_source,
        project_input, remove_raw, transitioned, update_raw, version_as,
    },
    fresh_database, place, spawn_app, spawn_instance,
};

/// Support and own investment of each beneficiary (within every cap of the category).
const SUPPORT: i64 = 100_000_000;

/// Whether `token` sees the record `id` through `node(id)`; for a project, `projects` must
/// agree with `node`.
async fn sees(app: &TestApp, token: &str, id: &str) -> bool {
    let data = app
        .ok(
            Some(token),
            "query($id: ID!) { node(id: $id) { id } projects(first: 100) { nodes { id } } }",
            json!({ "id": id }),
        )
        .await;
    let by_node = !data["node"].is_null();
    if ids::parse(&ID(id.to_owned())).is_some_and(|(t, _)| t == EntityKind::Project) {
        let listed = data["projects"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .any(|n| n["id"] == id);
        assert_eq!(listed, by_node, "`projects` and `node` agree on {id}");
    }
    by_node
}

/// A project change as `seen` shows it: with its place and record, or as a departure.
fn project_row(id: &str, version: i64, node: bool) -> Seen {
    let (province, commune, record) = if node {
        (
            json!(place::DAK_LAK),
            json!(place::DAK_LAK_OTHER),
            json!(id),
        )
    } else {
        (Value::Null, Value::Null, Value::Null)
    };
    (
        "PROJECT".into(),
        id.into(),
        "UPDATE".into(),
        json!(version),
        province,
        commune,
        record,
    )
}

/// Removes a beneficiary as `token` at the version the ministry reads (must succeed).
async fn remove(app: &TestApp, token: &str, reader: &str, project: &str, establishment: &str) {
    let v = version_as(app, reader, project).await;
    assert_ok(
        &remove_raw(app, token, project, v, establishment).await,
        "removeBeneficiary",
    );
}

/// Adds a beneficiary as `token` at the version the ministry reads (must succeed).
async fn add(app: &TestApp, token: &str, reader: &str, project: &str, establishment: &str) {
    let body = add_read_by(
        app,
        token,
        reader,
        project,
        (establishment, SUPPORT, SUPPORT),
    )
    .await;
    assert_ok(&body, "addBeneficiary");
}

#[tokio::test]
async fn a_commune_reads_once_that_a_project_left_its_sight_with_its_last_beneficiary() {
    let app = spawn_app().await;
    let national = app.national().await;
    let dak_lak = app.province(place::DAK_LAK).await;
    let bmt = app.commune(place::BMT).await;
    let other = app.commune(place::DAK_LAK_OTHER).await;
    let (n, m) = (&national.token, &national.token);
    let e1 = id_of(&app.establishment(&bmt.token, place::BMT, json!({})).await);
    let e2 = id_of(&app.establishment(&bmt.token, place::BMT, json!({})).await);
    let e3 = id_of(
        &app.establishment(&other.token, place::DAK_LAK_OTHER, json!({}))
            .await,
    );
    // Proposed by the other commune; the province adds two beneficiaries of Buôn Ma Thuột
    // and one of the proposing commune.
    let q = new_project(
        &app,
        &other.token,
        project_input(
            "LOCAL",
            place::DAK_LAK,
            json!({ "communeCode": place::DAK_LAK_OTHER }),
        ),
    )
    .await;
    for e in [&e1, &e2, &e3] {
        add(&app, &dak_lak.token, n, &q, e).await;
    }
    let (all, start) = changes_since(&app, n, None, 7).await;
    assert_eq!(
        all.len(),
        7,
        "three establishments, the project, three beneficiaries"
    );
    assert!(
        sees(&app, &bmt.token, &q).await,
        "through its beneficiaries"
    );
    let v = version_as(&app, n, &q).await;

    // One of its two beneficiaries goes: Buôn Ma Thuột still sees the project, and reads the
    // change with it.
    remove(&app, &dak_lak.token, m, &q, &e1).await;
    let (_, c1) = changes_since(&app, n, start.clone(), 1).await;
    let (rows, b1) = pull(&app, &bmt.token, start.clone(), 100, json!({})).await;
    assert_eq!(seen(&rows), vec![project_row(&q, v + 1, true)]);
    assert_eq!(b1, c1);

    // The proposing commune's own beneficiary goes: it proposed the project, so it still
    // sees it (and so does Buôn Ma Thuột).
    remove(&app, &dak_lak.token, m, &q, &e3).await;
    let (_, c2) = changes_since(&app, n, c1.clone(), 1).await;
    let (rows, _) = pull(&app, &bmt.token, b1.clone(), 100, json!({})).await;
    assert_eq!(seen(&rows), vec![project_row(&q, v + 2, true)]);
    let (rows, _) = pull(&app, &other.token, c1.clone(), 100, json!({})).await;
    assert_eq!(
        seen(&rows),
        vec![project_row(&q, v + 2, true)],
        "the proposer"
    );

    // The last beneficiary of Buôn Ma Thuột goes: the commune reads once that the project
    // left it (no record, no place), and no longer sees it anywhere.
    remove(&app, &dak_lak.token, m, &q, &e2).await;
    let (_, c3) = changes_since(&app, n, c2.clone(), 1).await;
    let (rows, b3) = pull(&app, &bmt.token, c2.clone(), 100, json!({})).await;
    let left = vec![project_row(&q, v + 3, false)];
    assert_eq!(seen(&rows), left);
    assert_eq!(b3, c3);
    let (rest, _) = pull(&app, &bmt.token, b3.clone(), 100, json!({})).await;
    assert!(rest.is_empty(), "once: {rest:#?}");
    assert!(!sees(&app, &bmt.token, &q).await);
    assert!(get_project(&app, &bmt.token, &q).await.is_null());

    // Everyone who still sees the project reads the three changes with it; those who never
    // saw it read none of them.
    let kept: Vec<Seen> = (1..=3).map(|i| project_row(&q, v + i, true)).collect();
    let quang_tri = app.province(place::QUANG_TRI).await;
    let truong_phu = app.commune(place::TRUONG_PHU).await;
    for (who, token, expected) in [
        ("national", n, kept.clone()),
        ("Đắk Lắk", &dak_lak.token, kept.clone()),
        ("the proposer", &other.token, kept.clone()),
        ("Quảng Trị", &quang_tri.token, vec![]),
        ("Trường Phú", &truong_phu.token, vec![]),
    ] {
        let (rows, _) = pull(&app, token, start.clone(), 100, json!({})).await;
        assert_eq!(seen(&rows), expected, "{who}");
    }
    // Read late, from before the three changes, Buôn Ma Thuột gets only the departure: the
    // project's rows are served to a commune while it sees the project.
    let (rows, _) = pull(&app, &bmt.token, start.clone(), 100, json!({})).await;
    assert_eq!(seen(&rows), left);

    // Filters narrow the departure through the project's place, as they narrowed the rows the
    // commune saw of it; the ministry finds nothing placed in Buôn Ma Thuột.
    for (token, filter, expected) in [
        (
            &bmt.token,
            json!({ "provinceCode": place::DAK_LAK }),
            left.clone(),
        ),
        (&bmt.token, json!({ "entities": ["PROJECT"] }), left.clone()),
        (&bmt.token, json!({ "communeCode": place::BMT }), vec![]),
        (&bmt.token, json!({ "entities": ["ALLOCATION"] }), vec![]),
        (n, json!({ "communeCode": place::BMT }), vec![]),
        (
            n,
            json!({ "communeCode": place::DAK_LAK_OTHER }),
            vec![project_row(&q, v + 3, true)],
        ),
    ] {
        let (rows, _) = pull(&app, token, c2.clone(), 100, filter.clone()).await;
        assert_eq!(seen(&rows), expected, "{filter}");
    }

    // The bulk export serves the same departure.
    let after = format!("?after={}", c2.as_deref().expect("a cursor"));
    let (status, body) = export(&app, Some(&bmt.token), &after).await;
    assert_eq!(status, 200, "{body}");
    let got = lines(&body);
    assert_eq!(got.len(), 2, "one change and the end line: {body}");
    assert_eq!(
        (
            &got[0]["entity"],
            &got[0]["id"],
            &got[0]["provinceCode"],
            &got[0]["communeCode"]
        ),
        (&json!("PROJECT"), &json!(q), &Value::Null, &Value::Null)
    );
    assert_eq!(got[1]["cursor"], json!(c3));

    // A beneficiary of Buôn Ma Thuột again: the commune reads the project with its record.
    add(&app, &dak_lak.token, m, &q, &e1).await;
    changes_since(&app, n, c3.clone(), 1).await;
    let (rows, _) = pull(&app, &bmt.token, b3, 100, json!({})).await;
    assert_eq!(seen(&rows), vec![project_row(&q, v + 4, true)]);
    assert!(sees(&app, &bmt.token, &q).await);
}

/// Records a disbursement of `amount` as `token` (must succeed); its id.
async fn disbursement(app: &TestApp, token: &str, allocation: &str, amount: i64) -> String {
    let body = disburse_raw(app, token, allocation, amount).await;
    assert_ok(&body, "recordDisbursement");
    id_of(&body["data"]["recordDisbursement"])
}

#[tokio::test]
async fn a_beneficiary_moving_away_takes_the_project_and_its_money_out_of_the_old_communes_sight() {
    let app = spawn_app().await;
    let national = app.national().await;
    let n = &national.token;
    let dak_lak = app.province(place::DAK_LAK).await;
    let quang_tri = app.province(place::QUANG_TRI).await;
    let bmt = app.commune(place::BMT).await;
    let other = app.commune(place::DAK_LAK_OTHER).await;
    let truong_phu = app.commune(place::TRUONG_PHU).await;
    let e = app.establishment(&bmt.token, place::BMT, json!({})).await;
    let e_id = id_of(&e);
    let source = new_source(&app, &dak_lak.token, "LOCAL", None, YEAR, 10 * SUPPORT).await;
    let q = new_project(
        &app,
        &other.token,
        project_input(
            "LOCAL",
            place::DAK_LAK,
            json!({ "communeCode": place::DAK_LAK_OTHER }),
        ),
    )
    .await;
    add(&app, &dak_lak.token, n, &q, &e_id).await;
    let a = allocated(&app, &dak_lak.token, &q, &source, SUPPORT).await;
    for (token, action) in [
        (&other.token, "SUBMIT"),
        (&dak_lak.token, "APPRAISE"),
        (&dak_lak.token, "APPROVE"),
    ] {
        transitioned(&app, token, n, &q, action, None).await;
    }
    let d1 = disbursement(&app, &dak_lak.token, &a, 10_000_000).await;
    // The establishment, the source, the project, its beneficiary, the allocation (with the
    // source and the project), three decisions, the disbursement (with the allocation, the
    // source and the project).
    let (all, start) = changes_since(&app, n, None, 14).await;
    assert_eq!(all.len(), 14, "{all:#?}");

    // Buôn Ma Thuột sees the project, its allocation and its disbursement through its
    // establishment.
    let (rows, b0) = pull(&app, &bmt.token, None, 1000, json!({})).await;
    assert!(
        rows.iter()
            .any(|r| r["entity"] == "ALLOCATION" && r["node"]["id"] == a.as_str()),
        "{rows:#?}"
    );
    assert!(
        rows.iter()
            .any(|r| r["entity"] == "DISBURSEMENT" && r["id"] == d1.as_str())
    );
    assert_eq!(b0, start);
    assert!(sees(&app, &bmt.token, &q).await);
    assert!(sees(&app, &bmt.token, &a).await);
    assert!(!sees(&app, &truong_phu.token, &q).await);

    // The ministry moves the establishment to Trường Phú (Quảng Trị); then the province pays
    // out more.
    app.ok(
        Some(n),
        "mutation($id: ID!, $v: Int!, $c: String!) { updateEstablishment(id: $id, expectedVersion: $v, input: { communeCode: $c }) { version } }",
        json!({ "id": e_id, "v": e["version"], "c": place::TRUONG_PHU }),
    )
    .await;
    let d2 = disbursement(&app, &dak_lak.token, &a, 10_000_000).await;
    let (all, _) = changes_since(&app, n, start.clone(), 6).await;
    assert_eq!(all.len(), 6, "{all:#?}");
    let v = version_as(&app, n, &q).await;

    let establishment = |there: bool| -> Seen {
        let (p, c, node) = if there {
            (
                json!(place::QUANG_TRI),
                json!(place::TRUONG_PHU),
                json!(e_id),
            )
        } else {
            (Value::Null, Value::Null, Value::Null)
        };
        (
            "ESTABLISHMENT".into(),
            e_id.clone(),
            "UPDATE".into(),
            json!(2),
            p,
            c,
            node,
        )
    };
    let money: Vec<Seen> = vec![
        (
            "DISBURSEMENT".into(),
            d2.clone(),
            "CREATE".into(),
            Value::Null,
            json!(place::DAK_LAK),
            json!(place::DAK_LAK_OTHER),
            Value::Null,
        ),
        (
            "ALLOCATION".into(),
            a.clone(),
            "UPDATE".into(),
            Value::Null,
            json!(place::DAK_LAK),
            json!(place::DAK_LAK_OTHER),
            json!(a),
        ),
        project_row(&q, v, true),
    ];
    // The old commune reads once that both left it, and nothing of the money paid after.
    let (rows, b1) = pull(&app, &bmt.token, b0.clone(), 100, json!({})).await;
    assert_eq!(
        seen(&rows),
        vec![establishment(false), project_row(&q, v, false)]
    );
    let (rest, _) = pull(&app, &bmt.token, b1, 100, json!({})).await;
    assert!(rest.is_empty(), "{rest:#?}");
    // The new commune reads the establishment and the project with their records, then the
    // money; the proposer reads the project's change and the money; Quảng Trị, which sees no
    // project of Đắk Lắk, reads the establishment.
    let mut there = vec![establishment(true), project_row(&q, v, true)];
    there.extend(money.iter().cloned());
    let mut proposer = vec![project_row(&q, v, true)];
    proposer.extend(money.iter().cloned());
    for (who, token, expected) in [
        ("Trường Phú", &truong_phu.token, there),
        ("the proposer", &other.token, proposer),
        ("Quảng Trị", &quang_tri.token, vec![establishment(true)]),
    ] {
        let (rows, _) = pull(&app, token, start.clone(), 100, json!({})).await;
        assert_eq!(seen(&rows), expected, "{who}");
    }
    let (rows, _) = pull(&app, &dak_lak.token, start.clone(), 100, json!({})).await;
    let got = seen(&rows);
    assert_eq!(got.len(), 6, "{got:#?}");
    assert_eq!(
        got[0],
        establishment(false),
        "Đắk Lắk: the establishment left"
    );
    assert_eq!(got[1], project_row(&q, v, true), "the project did not");

    // Neither the project nor its money exist for the old commune any more; all of it does
    // for the new one.
    for id in [&q, &a] {
        assert!(!sees(&app, &bmt.token, id).await, "{id}");
        assert!(sees(&app, &truong_phu.token, id).await, "{id}");
    }
    // Read from the start, the old commune's feed holds no allocation or disbursement, and
    // of the project only its departure: the old area drops them with the project.
    let (rows, _) = pull(&app, &bmt.token, None, 1000, json!({})).await;
    let projects: Vec<Seen> = seen(&rows)
        .into_iter()
        .filter(|r| r.0 != "ESTABLISHMENT")
        .collect();
    assert_eq!(projects, vec![project_row(&q, v, false)]);
}

#[tokio::test]
async fn a_commune_that_hands_its_project_on_but_keeps_a_beneficiary_still_sees_it() {
    let app = spawn_app().await;
    let national = app.national().await;
    let n = &national.token;
    let dak_lak = app.province(place::DAK_LAK).await;
    let bmt = app.commune(place::BMT).await;
    let e = id_of(&app.establishment(&bmt.token, place::BMT, json!({})).await);
    let q = new_project(
        &app,
        &dak_lak.token,
        project_input(
            "LOCAL",
            place::DAK_LAK,
            json!({ "communeCode": place::BMT }),
        ),
    )
    .await;
    add(&app, &dak_lak.token, n, &q, &e).await;
    let (_, start) = changes_since(&app, n, None, 3).await;
    let v = version_as(&app, n, &q).await;

    // Handed to the other commune: Buôn Ma Thuột still sees it through its establishment,
    // so it reads the change with the record and its new place, not as a departure.
    let body = update_raw(
        &app,
        &dak_lak.token,
        &q,
        v,
        json!({ "communeCode": place::DAK_LAK_OTHER }),
    )
    .await;
    assert_ok(&body, "updateProject");
    let (_, c1) = changes_since(&app, n, start.clone(), 1).await;
    let (rows, _) = pull(&app, &bmt.token, start, 100, json!({})).await;
    assert_eq!(seen(&rows), vec![project_row(&q, v + 1, true)]);
    assert!(sees(&app, &bmt.token, &q).await);

    // Its establishment removed, it no longer does.
    remove(&app, &dak_lak.token, n, &q, &e).await;
    changes_since(&app, n, c1.clone(), 1).await;
    let (rows, _) = pull(&app, &bmt.token, c1, 100, json!({})).await;
    assert_eq!(seen(&rows), vec![project_row(&q, v + 2, false)]);
    assert!(!sees(&app, &bmt.token, &q).await);
}

#[tokio::test]
async fn changes_written_before_the_left_commune_column_read_back_after_it() {
    use khuyencong::db::entities::change_event;
    use sea_orm::ActiveValue::Set;

    // A database as it was before the column: the last migration undone.
    let url = fresh_database().await;
    let db = Database::connect(&url).await.expect("connect");
    Migrator::down(&db, Some(1))
        .await
        .expect("the last migration undone");
    let row = |operation: &str, place: (&str, &str), previous: Option<(&str, &str)>| {
        change_event::ActiveModel {
            entity_type: Set("Establishment".into()),
            entity_id: Set(41),
            operation: Set(operation.into()),
            version: Set(Some(if previous.is_some() { 2 } else { 1 })),
            action: Set(operation.to_lowercase()),
            status_changed: Set(false),
            at: Set(chrono::Utc::now()),
            actor_id: Set(None),
            province_code: Set(Some(place.0.into())),
            commune_code: Set(Some(place.1.into())),
            previous_province_code: Set(previous.map(|p| p.0.into())),
            previous_commune_code: Set(previous.map(|p| p.1.into())),
            // The old table has no such column: left out of the INSERT.
            ..Default::default()
        }
    };
    for r in [
        row("CREATE", (place::DAK_LAK, place::BMT), None),
        row(
            "UPDATE",
            (place::QUANG_TRI, place::TRUONG_PHU),
            Some((place::DAK_LAK, place::BMT)),
        ),
    ] {
        change_event::Entity::insert(r)
            .exec_without_returning(&db)
            .await
            .expect("an old row");
    }
    db.close().await.ok();

    // The server migrates on start; the old rows read back as they were written.
    let app = spawn_instance(url).await;
    let stored = change_event::Entity::find()
        .all(&app.state.db)
        .await
        .expect("rows");
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|r| r.left_commune_code.is_none()));
    let national = app.national().await;
    let dak_lak = app.province(place::DAK_LAK).await;
    let bmt = app.commune(place::BMT).await;
    let quang_tri = app.province(place::QUANG_TRI).await;
    let gid = ids::encode(EntityKind::Establishment, 41).0;
    let at = |operation: &str, version: i64, p: Value, c: Value| -> Seen {
        (
            "ESTABLISHMENT".into(),
            gid.clone(),
            operation.into(),
            json!(version),
            p,
            c,
            Value::Null,
        )
    };
    let created = at("CREATE", 1, json!(place::DAK_LAK), json!(place::BMT));
    let moved = at(
        "UPDATE",
        2,
        json!(place::QUANG_TRI),
        json!(place::TRUONG_PHU),
    );
    let left = at("UPDATE", 2, Value::Null, Value::Null);
    for (who, token, expected) in [
        (
            "national",
            &national.token,
            vec![created.clone(), moved.clone()],
        ),
        (
            "Đắk Lắk",
            &dak_lak.token,
            vec![created.clone(), left.clone()],
        ),
        ("Buôn Ma Thuột", &bmt.token, vec![created, left]),
        ("Quảng Trị", &quang_tri.token, vec![moved]),
    ] {
        let (rows, _) = pull(&app, token, None, 100, json!({})).await;
        assert_eq!(seen(&rows), expected, "{who}");
    }
}

#[tokio::test]
async fn a_removal_and_a_move_racing_for_a_communes_last_beneficiaries_tell_it_once() {
    let app = spawn_app().await;
    let national = app.national().await;
    let n = &national.token;
    let dak_lak = app.province(place::DAK_LAK).await;
    let bmt = app.commune(place::BMT).await;
    let other = app.commune(place::DAK_LAK_OTHER).await;
    for round in 0..4 {
        // Two establishments of Buôn Ma Thuột benefit from a project of the other commune.
        let e1 = app.establishment(&bmt.token, place::BMT, json!({})).await;
        let e2 = id_of(&app.establishment(&bmt.token, place::BMT, json!({})).await);
        let q = new_project(
            &app,
            &other.token,
            project_input(
                "LOCAL",
                place::DAK_LAK,
                json!({ "communeCode": place::DAK_LAK_OTHER }),
            ),
        )
        .await;
        for e in [&id_of(&e1), &e2] {
            add(&app, &dak_lak.token, n, &q, e).await;
        }
        // Five changes a round before the race, three in it (whichever order: the project's
        // change by each, the establishment's).
        let (_, start) = changes_since(&app, n, None, 8 * round + 5).await;
        let v = version_as(&app, n, &q).await;
        // At once: the province removes one, the ministry moves the other away.
        let remove = remove_raw(&app, &dak_lak.token, &q, v, &e2);
        let moved = app.gql(
            Some(n),
            "mutation($id: ID!, $v: Int!, $c: String!) { updateEstablishment(id: $id, expectedVersion: $v, input: { communeCode: $c }) { version } }",
            json!({ "id": id_of(&e1), "v": e1["version"], "c": place::TRUONG_PHU }),
        );
        let (removed, moved) = tokio::join!(remove, moved);
        assert_ok(&removed, "removeBeneficiary");
        assert_ok(&moved, "updateEstablishment");
        let (raced, _) = changes_since(&app, n, start.clone(), 3).await;
        assert_eq!(raced.len(), 3, "round {round}: {raced:?}");
        // Whichever committed first, the commune reads its establishment leaving and, once,
        // the project leaving.
        let (rows, _) = pull(&app, &bmt.token, start, 100, json!({})).await;
        let departures: Vec<Seen> = seen(&rows)
            .into_iter()
            .filter(|r| r.0 == "PROJECT")
            .collect();
        assert_eq!(departures.len(), 1, "round {round}: {rows:#?}");
        assert_eq!(
            (&departures[0].4, &departures[0].6),
            (&Value::Null, &Value::Null),
            "round {round}"
        );
        assert!(!sees(&app, &bmt.token, &q).await);
    }
}
