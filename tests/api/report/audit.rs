//! The scope of `auditEvents`: every event inside the caller's area, none outside.

use super::*;

const AUDIT: &str = "query($f: AuditEventFilter, $n: Int, $a: String) { \
    auditEvents(filter: $f, first: $n, after: $a) { totalCount \
    pageInfo { hasNextPage endCursor } \
    nodes { id at action entityType entityId actor { id } changes requestId } } }";

/// Every audit event `token` sees with `filter`, paging `n` at a time.
async fn audit_all(app: &TestApp, token: &str, filter: Value, n: i64) -> Vec<Value> {
    let pages = all_pages(async |after| {
        let vars = json!({ "f": filter, "n": n, "a": after });
        app.ok(Some(token), AUDIT, vars).await["auditEvents"].clone()
    })
    .await;
    let total = pages[0]["totalCount"].as_u64();
    assert!(total.is_some(), "totalCount: {:#}", pages[0]);
    let mut out = Vec::new();
    for page in &pages {
        out.extend(page["nodes"].as_array().expect("nodes").iter().cloned());
    }
    assert_eq!(
        Some(out.len() as u64),
        total,
        "totalCount matches the pages"
    );
    out
}

#[tokio::test]
async fn audit_events_stay_inside_the_callers_area() {
    let app = spawn_app().await;
    let p = People::new(&app).await;
    // Where every entity of the trail is.
    let mut area: HashMap<String, Placed> = HashMap::new();
    for (u, province, commune) in [
        (&p.national, None, None),
        (&p.dak_lak, Some(DAK_LAK), None),
        (&p.quang_tri, Some(QUANG_TRI), None),
        (&p.ha_noi, Some(HA_NOI), None),
        (&p.bmt, Some(DAK_LAK), Some(BMT)),
        (&p.dak_lak_other, Some(DAK_LAK), Some(DAK_LAK_OTHER)),
        (&p.truong_phu, Some(QUANG_TRI), Some(TRUONG_PHU)),
    ] {
        area.insert(
            u.id.clone(),
            Placed {
                id: u.id.clone(),
                province,
                commune,
            },
        );
    }
    let mut created: Vec<Placed> = Vec::new();
    let mut establishments = HashMap::new();
    for commune in [BMT, DAK_LAK_OTHER, TRUONG_PHU] {
        let user = p.commune(commune);
        let province = province_of(commune);
        let e = app.establishment(&user.token, commune, json!({})).await;
        establishments.insert(commune, e.clone());
        let pr = app.product(&user.token, &id_of(&e), "Sản phẩm thử").await;
        let pj = must(
            &app,
            &user.token,
            CREATE_PROJECT,
            json!({ "i": { "title": "Đề án thử", "programLevel": "LOCAL", "kind": "INDIVIDUAL",
                "category": "VOCATIONAL_TRAINING", "provinceCode": province, "fiscalYear": 2026 } }),
            "createProject",
        )
        .await;
        for id in [id_of(&e), id_of(&pr), id_of(&pj)] {
            created.push(placed(id, province, Some(commune)));
        }
    }
    // A change with a request id, a funding source of each province.
    let bmt_e = &establishments[BMT];
    let old_name = bmt_e["name"].as_str().expect("name").to_owned();
    let body = app
        .gql_with(
            Some(&p.bmt.token),
            UPDATE,
            json!({ "id": bmt_e["id"], "v": bmt_e["version"], "i": { "name": "Cơ sở đổi tên" } }),
            &[("x-request-id", "kiem-thu-nhat-ky-1")],
        )
        .await;
    assert_ok(&body, "updateEstablishment");
    for (u, province) in [(&p.dak_lak, DAK_LAK), (&p.quang_tri, QUANG_TRI)] {
        let s = must(
            &app,
            &u.token,
            CREATE_SOURCE,
            json!({ "i": { "name": "Nguồn địa phương", "level": "LOCAL", "fiscalYear": 2026,
                "amountVnd": PLENTY } }),
            "createFundingSource",
        )
        .await;
        created.push(placed(id_of(&s), province, None));
    }
    for c in &created {
        area.insert(c.id.clone(), c.clone());
    }

    let national = audit_all(&app, &p.national.token, json!({}), 100).await;
    for (user, view, what) in p.views() {
        let events = audit_all(&app, &user.token, json!({}), 100).await;
        // Never an entity outside the area.
        for ev in &events {
            let id = ev["entityId"].as_str().expect("entityId");
            let place = area
                .get(id)
                .unwrap_or_else(|| panic!("{what}: an event about an unknown entity {ev:#}"));
            let inside = match (view, place.province) {
                (Area::National, _) => true,
                (_, None) => false,
                (v, Some(pr)) => v.covers(pr, place.commune),
            };
            assert!(inside, "{what} sees {ev:#} about {place:?}");
            assert!(
                ev["action"].is_string() && ev["entityType"].is_string(),
                "{ev:#}"
            );
        }
        // And every entity created inside it.
        let about: BTreeSet<&str> = events
            .iter()
            .map(|e| e["entityId"].as_str().expect("entityId"))
            .collect();
        for c in &created {
            if view.covers(c.province.expect("placed"), c.commune) {
                assert!(
                    about.contains(c.id.as_str()),
                    "{what} sees the trail of {c:?}"
                );
            }
        }
        // A subset of the national trail, in the same order.
        let ids: Vec<&Value> = events.iter().map(|e| &e["id"]).collect();
        let nat: Vec<&Value> = national
            .iter()
            .map(|e| &e["id"])
            .filter(|i| ids.contains(i))
            .collect();
        assert_eq!(ids, nat, "{what}");
        // Paging five at a time gives the same events, each once.
        let paged = audit_all(&app, &user.token, json!({}), 5).await;
        assert_eq!(paged, events, "{what}: pages of five");
    }

    // The update: entity id, actor, changes before and after, request id.
    let trail = audit_all(
        &app,
        &p.dak_lak.token,
        json!({ "entityId": bmt_e["id"] }),
        100,
    )
    .await;
    let update = trail
        .iter()
        .find(|e| e["changes"]["name"]["after"] == "Cơ sở đổi tên")
        .unwrap_or_else(|| panic!("the update in {trail:#?}"));
    assert_eq!(update["entityType"], "Establishment");
    assert_eq!(update["entityId"], bmt_e["id"]);
    assert_eq!(update["actor"]["id"], p.bmt.id.as_str());
    assert_eq!(update["changes"]["name"]["before"], old_name.as_str());
    assert_eq!(update["requestId"], "kiem-thu-nhat-ky-1");
    assert!(
        trail.iter().all(|e| e["entityId"] == bmt_e["id"]),
        "{trail:#?}"
    );

    // Asking for another area's entity finds nothing.
    let tp_e = id_of(&establishments[TRUONG_PHU]);
    for user in [&p.dak_lak, &p.bmt, &p.dak_lak_other] {
        let got = audit_all(&app, &user.token, json!({ "entityId": tp_e }), 100).await;
        assert!(got.is_empty(), "{got:#?}");
    }
    assert!(
        !audit_all(&app, &p.quang_tri.token, json!({ "entityId": tp_e }), 100)
            .await
            .is_empty()
    );
    // Filters by type, actor and time keep to the area too.
    let got = audit_all(
        &app,
        &p.bmt.token,
        json!({ "entityType": "Establishment" }),
        100,
    )
    .await;
    assert!(!got.is_empty());
    assert!(got.iter().all(|e| e["entityType"] == "Establishment"
        && area[e["entityId"].as_str().expect("id")].commune == Some(BMT)));
    let got = audit_all(
        &app,
        &p.dak_lak.token,
        json!({ "actorId": p.truong_phu.id }),
        100,
    )
    .await;
    assert!(
        got.is_empty(),
        "Trường Phú's user acted only in Quảng Trị: {got:#?}"
    );
    let got = audit_all(
        &app,
        &p.quang_tri.token,
        json!({ "actorId": p.truong_phu.id }),
        100,
    )
    .await;
    assert!(!got.is_empty());
    assert!(
        got.iter()
            .all(|e| e["actor"]["id"] == p.truong_phu.id.as_str())
    );
    // An id that names no user, or no record, matches nothing (and is no error).
    let bmt_id = bmt_e["id"].as_str().expect("id");
    for filter in [
        json!({ "actorId": bmt_id }),
        json!({ "actorId": "garbage" }),
        json!({ "entityId": "garbage" }),
    ] {
        assert!(
            audit_all(&app, &p.national.token, filter.clone(), 100)
                .await
                .is_empty(),
            "{filter}"
        );
    }
    let later = rfc3339(Utc::now() + Duration::minutes(5));
    assert!(
        audit_all(&app, &p.national.token, json!({ "since": later }), 100)
            .await
            .is_empty()
    );
}
