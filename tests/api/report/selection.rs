//! `selectionSummary`: nominations and recognitions by level, in the caller's scope.

use super::*;

const SELECTION: &str = "query($f: SelectionSummaryFilter) { selectionSummary(filter: $f) { \
    byLevel { level nominated recognized } } }";

const LEVELS: [&str; 4] = ["COMMUNE", "PROVINCIAL", "REGIONAL", "NATIONAL"];

/// A nomination the selection summary must count.
struct Nominated {
    province: &'static str,
    commune: &'static str,
    level: &'static str,
    year: i64,
    recognized: bool,
}

fn expected_levels(items: &[&Nominated]) -> Value {
    Value::Array(
        LEVELS
            .iter()
            .map(|l| {
                let at: Vec<&&Nominated> = items.iter().filter(|n| n.level == *l).collect();
                json!({
                    "level": l,
                    "nominated": at.len(),
                    "recognized": at.iter().filter(|n| n.recognized).count(),
                })
            })
            .collect(),
    )
}

fn by_level(got: &Value) -> Value {
    let mut rows = got["selectionSummary"]["byLevel"]
        .as_array()
        .expect("byLevel")
        .clone();
    rows.sort_by_key(|r| {
        LEVELS
            .iter()
            .position(|l| r["level"] == *l)
            .unwrap_or_else(|| panic!("unknown level in {r}"))
    });
    Value::Array(rows)
}

#[tokio::test]
async fn selection_summary_counts_nominations_and_recognitions_by_level_in_scope() {
    let app = spawn_app().await;
    let p = People::new(&app).await;
    let t = &p.national.token;
    let a = product_in(&app, t, BMT, "Cà phê bột Buôn Ma Thuột").await;
    let b = product_in(&app, t, BMT, "Thổ cẩm Ê Đê").await;
    let c = product_in(&app, t, DAK_LAK_OTHER, "Hồ tiêu sạch").await;
    let q = product_in(&app, t, TRUONG_PHU, "Nón lá Quảng Trị").await;

    // Commune rounds of 2025: BMT recognises A (80) and not B (60); Trường Phú recognises Q.
    let none = json!({});
    let (a_, b_, c_, q_) = (a.as_str(), b.as_str(), c.as_str(), q.as_str());
    run_round(
        &app,
        &p.bmt,
        Area::Commune(BMT),
        "COMMUNE",
        2025,
        none.clone(),
        &[(a_, [80; 3]), (b_, [60; 3])],
        None,
    )
    .await;
    run_round(
        &app,
        &p.truong_phu,
        Area::Commune(TRUONG_PHU),
        "COMMUNE",
        2025,
        none.clone(),
        &[(q_, [75; 3])],
        None,
    )
    .await;
    // The provincial round of Đắk Lắk, 2025: A recognised (85), C not (50).
    run_round(
        &app,
        &p.dak_lak,
        Area::Province(DAK_LAK),
        "PROVINCIAL",
        2025,
        none.clone(),
        &[(a_, [85; 3]), (c_, [50; 3])],
        None,
    )
    .await;
    // A regional round of 2026 recognises A (72); an open provincial round of 2026 has B.
    let region = json!({ "region": "CENTRAL_HIGHLANDS" });
    run_round(
        &app,
        &p.national,
        Area::National,
        "REGIONAL",
        2026,
        region,
        &[(a_, [72; 3])],
        None,
    )
    .await;
    open_round(&app, &p.dak_lak, "PROVINCIAL", 2026, none, &[b_]).await;

    let all = [
        Nominated {
            province: DAK_LAK,
            commune: BMT,
            level: "COMMUNE",
            year: 2025,
            recognized: true,
        },
        Nominated {
            province: DAK_LAK,
            commune: BMT,
            level: "COMMUNE",
            year: 2025,
            recognized: false,
        },
        Nominated {
            province: QUANG_TRI,
            commune: TRUONG_PHU,
            level: "COMMUNE",
            year: 2025,
            recognized: true,
        },
        Nominated {
            province: DAK_LAK,
            commune: BMT,
            level: "PROVINCIAL",
            year: 2025,
            recognized: true,
        },
        Nominated {
            province: DAK_LAK,
            commune: DAK_LAK_OTHER,
            level: "PROVINCIAL",
            year: 2025,
            recognized: false,
        },
        Nominated {
            province: DAK_LAK,
            commune: BMT,
            level: "REGIONAL",
            year: 2026,
            recognized: true,
        },
        Nominated {
            province: DAK_LAK,
            commune: BMT,
            level: "PROVINCIAL",
            year: 2026,
            recognized: false,
        },
    ];

    // By hand, nationally.
    let got = app.ok(Some(t), SELECTION, json!({ "f": {} })).await;
    assert_eq!(
        by_level(&got),
        json!([
            { "level": "COMMUNE", "nominated": 3, "recognized": 2 },
            { "level": "PROVINCIAL", "nominated": 3, "recognized": 1 },
            { "level": "REGIONAL", "nominated": 1, "recognized": 1 },
            { "level": "NATIONAL", "nominated": 0, "recognized": 0 },
        ])
    );
    // Each area counts only its products' nominations; always four rows.
    for (user, area, what) in p.views() {
        let got = app
            .ok(Some(&user.token), SELECTION, json!({ "f": {} }))
            .await;
        let items: Vec<&Nominated> = all
            .iter()
            .filter(|n| area.covers(n.province, Some(n.commune)))
            .collect();
        assert_eq!(by_level(&got), expected_levels(&items), "{what}");
    }
    // Filters: years of the round, province of the product; never wider than the scope.
    let cases: Vec<Case<'_, Value, Nominated>> = vec![
        (
            &p.national,
            Area::National,
            json!({ "fromYear": 2026 }),
            Box::new(|n: &Nominated| n.year >= 2026),
        ),
        (
            &p.national,
            Area::National,
            json!({ "toYear": 2025 }),
            Box::new(|n: &Nominated| n.year <= 2025),
        ),
        (
            &p.national,
            Area::National,
            json!({ "provinceCode": QUANG_TRI }),
            Box::new(|n: &Nominated| n.province == QUANG_TRI),
        ),
        (
            &p.dak_lak,
            Area::Province(DAK_LAK),
            json!({ "provinceCode": QUANG_TRI }),
            Box::new(|_: &Nominated| false),
        ),
        (
            &p.bmt,
            Area::Commune(BMT),
            json!({ "fromYear": 2026, "toYear": 2026 }),
            Box::new(|n: &Nominated| n.year == 2026),
        ),
        (
            &p.truong_phu,
            Area::Commune(TRUONG_PHU),
            json!({ "provinceCode": DAK_LAK }),
            Box::new(|_: &Nominated| false),
        ),
    ];
    for (user, area, filter, keep) in &cases {
        let got = app
            .ok(Some(&user.token), SELECTION, json!({ "f": filter }))
            .await;
        let items: Vec<&Nominated> = all
            .iter()
            .filter(|n| area.covers(n.province, Some(n.commune)) && keep(n))
            .collect();
        assert_eq!(
            by_level(&got),
            expected_levels(&items),
            "{area:?} with {filter}"
        );
    }
}
