//! Exports and funding source filters are scoped like the lists, per role.

use super::*;

#[tokio::test]
async fn exports_are_scoped_like_the_lists() {
    let app = spawn_app().await;
    let p = People::new(&app).await;
    let all = records(&app, &p).await;
    let read_only = app.user(Role::National, None, None, false, true).await;
    let mut views = p.views();
    views.push((
        &read_only,
        Area::National,
        "read-only national service account",
    ));

    for (user, area, what) in &views {
        for entity in ENTITIES {
            let got = exported_ids(&app, &user.token, entity, &[]).await;
            let what = format!("{what}: {entity}");
            if let Some(list) = list_of(entity) {
                assert_eq!(
                    got,
                    listed_ids(&app, &user.token, list).await,
                    "{what}: as the list"
                );
            }
            if entity == "fundingSources" {
                // National sources for everyone, a province's own for its people.
                for s in &all[entity] {
                    let visible = match (area, s.province) {
                        (_, None) | (Area::National, _) => true,
                        (Area::Province(p), Some(sp)) => *p == sp,
                        (Area::Commune(c), Some(sp)) => province_of(c) == sp,
                    };
                    assert_eq!(got.contains(&s.id), visible, "{what}: {s:?}");
                }
                continue;
            }
            let expected = sorted(
                all[entity]
                    .iter()
                    .filter(|r| area.covers(r.province.expect("placed"), r.commune))
                    .map(|r| r.id.clone()),
            );
            assert_eq!(got, expected, "{what}");
        }
    }

    // Query parameters narrow an export, never widen it.
    let cases: Vec<Case<'_, Vec<(&str, &str)>, Placed>> = vec![
        (
            &p.national,
            Area::National,
            vec![("province", QUANG_TRI)],
            Box::new(|r: &Placed| r.province == Some(QUANG_TRI)),
        ),
        (
            &p.national,
            Area::National,
            vec![("commune", BMT)],
            Box::new(|r: &Placed| r.commune == Some(BMT)),
        ),
        (
            &p.dak_lak,
            Area::Province(DAK_LAK),
            vec![("commune", DAK_LAK_OTHER)],
            Box::new(|r: &Placed| r.commune == Some(DAK_LAK_OTHER)),
        ),
        (
            &p.dak_lak,
            Area::Province(DAK_LAK),
            vec![("province", QUANG_TRI)],
            Box::new(|_: &Placed| false),
        ),
        (
            &p.dak_lak,
            Area::Province(DAK_LAK),
            vec![("commune", TRUONG_PHU)],
            Box::new(|_: &Placed| false),
        ),
        (
            &p.quang_tri,
            Area::Province(QUANG_TRI),
            vec![("province", DAK_LAK)],
            Box::new(|_: &Placed| false),
        ),
        (
            &p.bmt,
            Area::Commune(BMT),
            vec![("commune", DAK_LAK_OTHER)],
            Box::new(|_: &Placed| false),
        ),
        (
            &p.bmt,
            Area::Commune(BMT),
            vec![("province", DAK_LAK)],
            Box::new(|_: &Placed| true),
        ),
        (
            &p.truong_phu,
            Area::Commune(TRUONG_PHU),
            vec![("province", DAK_LAK)],
            Box::new(|_: &Placed| false),
        ),
    ];
    for (user, area, params, keep) in &cases {
        for entity in ENTITIES.iter().filter(|e| **e != "fundingSources") {
            let got = exported_ids(&app, &user.token, entity, params).await;
            let expected = sorted(
                all[entity]
                    .iter()
                    .filter(|r| area.covers(r.province.expect("placed"), r.commune) && keep(r))
                    .map(|r| r.id.clone()),
            );
            assert_eq!(got, expected, "{area:?} {entity} with {params:?}");
        }
    }
    // Funding sources by province, nationally.
    let qt_source = all["fundingSources"]
        .iter()
        .find(|s| s.province == Some(QUANG_TRI))
        .expect("a source of Quảng Trị");
    assert_eq!(
        exported_ids(
            &app,
            &p.national.token,
            "fundingSources",
            &[("province", QUANG_TRI)]
        )
        .await,
        vec![qt_source.id.clone()]
    );
}

/// Ids of `fundingSources(filter)` as `token`.
async fn listed_sources(app: &TestApp, token: &str, filter: Value) -> Vec<String> {
    let data = app
        .ok(
            Some(token),
            "query($f: FundingSourceFilter) { fundingSources(filter: $f, first: 100) { nodes { id } } }",
            json!({ "f": filter }),
        )
        .await;
    sorted(
        data["fundingSources"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(id_of),
    )
}

#[tokio::test]
async fn funding_source_filters_narrow_and_never_widen_the_scope() {
    let app = spawn_app().await;
    let p = People::new(&app).await;
    let mut by_owner = HashMap::new();
    for (name, user, level) in [
        ("national", &p.national, "NATIONAL"),
        ("dak_lak", &p.dak_lak, "LOCAL"),
        ("dak_lak_other", &p.dak_lak, "OTHER"),
        ("quang_tri", &p.quang_tri, "LOCAL"),
        ("quang_tri_other", &p.quang_tri, "OTHER"),
    ] {
        let s = must(
            &app,
            &user.token,
            CREATE_SOURCE,
            json!({ "i": { "name": format!("Nguồn {name}"), "level": level,
                "fiscalYear": 2026, "amountVnd": PLENTY } }),
            "createFundingSource",
        )
        .await;
        by_owner.insert(name, id_of(&s));
    }
    let names = |ids: &[String]| -> Vec<&str> {
        let mut v: Vec<&str> = ids
            .iter()
            .map(|i| {
                by_owner
                    .iter()
                    .find(|(_, id)| *id == i)
                    .map(|(n, _)| *n)
                    .expect("a known source")
            })
            .collect();
        v.sort();
        v
    };
    let mut wrong = Vec::new();
    for (user, what, province, expected) in [
        (&p.dak_lak, "Đắk Lắk", QUANG_TRI, vec![]),
        (&p.bmt, "commune BMT", QUANG_TRI, vec![]),
        (&p.quang_tri, "Quảng Trị", DAK_LAK, vec![]),
        (
            &p.dak_lak,
            "Đắk Lắk",
            DAK_LAK,
            vec!["dak_lak", "dak_lak_other"],
        ),
        (
            &p.national,
            "national",
            QUANG_TRI,
            vec!["quang_tri", "quang_tri_other"],
        ),
    ] {
        let exported = exported_ids(
            &app,
            &user.token,
            "fundingSources",
            &[("province", province)],
        )
        .await;
        if names(&exported) != expected {
            wrong.push(format!(
                "{what}: GET /export/fundingSources.{{csv,ndjson}}?province={province} gave {:?}, expected {expected:?}",
                names(&exported)
            ));
        }
        let listed = listed_sources(&app, &user.token, json!({ "provinceCode": province })).await;
        if names(&listed) != expected {
            wrong.push(format!(
                "{what}: fundingSources(filter: {{provinceCode: \"{province}\"}}) gave {:?}, expected {expected:?}",
                names(&listed)
            ));
        }
    }
    // updatedSince (an hour ago, or later than everything) keeps to the scope as well.
    let past = rfc3339(Utc::now() - Duration::hours(1));
    let future = rfc3339(Utc::now() + Duration::hours(1));
    for (user, what, expected) in [
        (
            &p.dak_lak,
            "Đắk Lắk",
            vec!["dak_lak", "dak_lak_other", "national"],
        ),
        (
            &p.bmt,
            "commune BMT",
            vec!["dak_lak", "dak_lak_other", "national"],
        ),
        (
            &p.quang_tri,
            "Quảng Trị",
            vec!["national", "quang_tri", "quang_tri_other"],
        ),
    ] {
        for (since, expected) in [(&past, expected), (&future, vec![])] {
            let exported = exported_ids(
                &app,
                &user.token,
                "fundingSources",
                &[("updatedSince", since)],
            )
            .await;
            if names(&exported) != expected {
                wrong.push(format!(
                    "{what}: GET /export/fundingSources.{{csv,ndjson}}?updatedSince={since} gave {:?}, expected {expected:?}",
                    names(&exported)
                ));
            }
            let listed = listed_sources(&app, &user.token, json!({ "updatedSince": since })).await;
            if names(&listed) != expected {
                wrong.push(format!(
                    "{what}: fundingSources(filter: {{updatedSince: \"{since}\"}}) gave {:?}, expected {expected:?}",
                    names(&listed)
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "a filter on funding sources widens the list (other provinces leak, filters ignored):\n{}",
        wrong.join("\n")
    );
}
