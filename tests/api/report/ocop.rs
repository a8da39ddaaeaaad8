//! `ocopSummary` (valid certificates, prizes) and `ocopProvinceRanking` (34 provinces, ties
//! share a rank).

use super::*;

const OCOP_SUMMARY: &str = "query($f: OcopSummaryFilter) { ocopSummary(filter: $f) { \
    certifiedProducts byStars { stars count } prizeVnd } }";

const RANKING: &str = "{ ocopProvinceRanking { rank certifiedProducts province { code name } } }";

/// A product certified in the summary's eyes.
struct Certified {
    province: &'static str,
    commune: &'static str,
    /// Stars of its valid certificate, if any.
    valid: Option<i64>,
    /// The prize it earned: by the highest stars of its non-revoked certificates.
    prize: i64,
}

fn expected_ocop(items: &[&Certified]) -> Value {
    let stars = |s: i64| items.iter().filter(|c| c.valid == Some(s)).count();
    json!({
        "certifiedProducts": items.iter().filter(|c| c.valid.is_some()).count(),
        "byStars": [
            { "stars": 3, "count": stars(3) },
            { "stars": 4, "count": stars(4) },
            { "stars": 5, "count": stars(5) },
        ],
        "prizeVnd": items.iter().map(|c| c.prize).sum::<i64>(),
    })
}

fn ocop_of(got: &Value) -> Value {
    let mut s = got["ocopSummary"].clone();
    if let Some(Value::Array(rows)) = s.get_mut("byStars") {
        rows.sort_by_key(|r| r["stars"].as_i64());
    }
    s
}

/// The OCOP fixture: in Đắk Lắk a 3★, a 4★, a 3★ upgraded to 4★, a revoked 4★, an expired 3★
/// (all in BMT) and a 5★ in the other commune; in Quảng Trị three 3★ and a 4★. Both provinces
/// have four products with a valid certificate.
async fn ocop_fixture(app: &TestApp, p: &People) -> Vec<Certified> {
    let bmt = cast(app, BMT).await;
    let other = cast(app, DAK_LAK_OTHER).await;
    let truong_phu = cast(app, TRUONG_PHU).await;
    let now = today().to_string();
    let mut out = Vec::new();
    certified(app, &bmt, "Cà phê Buôn Ma Thuột", 3, &now).await;
    out.push(Certified {
        province: DAK_LAK,
        commune: BMT,
        valid: Some(3),
        prize: 8 * M,
    });
    certified(app, &bmt, "Hồ tiêu Đắk Lắk", 4, &now).await;
    out.push(Certified {
        province: DAK_LAK,
        commune: BMT,
        valid: Some(4),
        prize: 10 * M,
    });
    // Upgraded: 3★ in 2025, 4★ now; the prize of the highest level only.
    let upgraded = bmt.product(app, "Mật ong hoa cà phê").await;
    grade(app, &bmt, &upgraded, (2025, "NEW"), 3, "2025-03-15").await;
    grade(app, &bmt, &upgraded, (2026, "UPGRADE"), 4, &now).await;
    out.push(Certified {
        province: DAK_LAK,
        commune: BMT,
        valid: Some(4),
        prize: 10 * M,
    });
    // Revoked: no valid certificate and no prize.
    let (_, revoked) = certified(app, &bmt, "Rượu cần Buôn Đôn", 4, &now).await;
    let body = revoke(app, &p.dak_lak.token, &revoked, "Vi phạm chất lượng").await;
    assert_eq!(data(&body, "revokeOcopCertificate")["status"], "REVOKED");
    out.push(Certified {
        province: DAK_LAK,
        commune: BMT,
        valid: None,
        prize: 0,
    });
    // Expired (issued 2023-01-10, valid until 2026-01-10): not certified now, prize earned.
    certified(app, &bmt, "Sầu riêng Krông Pắc", 3, "2023-01-10").await;
    out.push(Certified {
        province: DAK_LAK,
        commune: BMT,
        valid: None,
        prize: 8 * M,
    });
    certified(app, &other, "Cà phê Arabica", 5, &now).await;
    out.push(Certified {
        province: DAK_LAK,
        commune: DAK_LAK_OTHER,
        valid: Some(5),
        prize: 15 * M,
    });
    for (name, stars, prize) in [
        ("Khoai deo Quảng Trị", 3, 8 * M),
        ("Hồ tiêu Vĩnh Linh", 4, 10 * M),
        ("Nước mắm Cửa Tùng", 3, 8 * M),
        ("Bánh lọc Quảng Trị", 3, 8 * M),
    ] {
        certified(app, &truong_phu, name, stars, &now).await;
        out.push(Certified {
            province: QUANG_TRI,
            commune: TRUONG_PHU,
            valid: Some(stars),
            prize,
        });
    }
    out
}

#[tokio::test]
async fn ocop_summary_counts_valid_certificates_and_prizes_in_scope() {
    let app = spawn_app().await;
    let p = People::new(&app).await;
    let all = ocop_fixture(&app, &p).await;

    // By hand, nationally: valid A 3★, B 4★, C 4★, E 5★, F H I 3★, G 4★; prizes 8 + 10 + 10
    // (upgrade: the 4★ prize only) + 0 (revoked) + 8 (expired) + 15 + 8 + 10 + 8 + 8.
    let got = app
        .ok(Some(&p.national.token), OCOP_SUMMARY, json!({ "f": {} }))
        .await;
    assert_eq!(
        ocop_of(&got),
        json!({
            "certifiedProducts": 8,
            "byStars": [
                { "stars": 3, "count": 4 },
                { "stars": 4, "count": 3 },
                { "stars": 5, "count": 1 },
            ],
            "prizeVnd": 85 * M,
        })
    );
    let got = app
        .ok(Some(&p.dak_lak.token), OCOP_SUMMARY, json!({ "f": {} }))
        .await;
    assert_eq!(ocop_of(&got)["prizeVnd"], 51 * M);
    assert_eq!(ocop_of(&got)["certifiedProducts"], 4);

    for (user, area, what) in p.views() {
        let got = app
            .ok(Some(&user.token), OCOP_SUMMARY, json!({ "f": {} }))
            .await;
        let items: Vec<&Certified> = all
            .iter()
            .filter(|c| area.covers(c.province, Some(c.commune)))
            .collect();
        assert_eq!(ocop_of(&got), expected_ocop(&items), "{what}");
    }
    // The province filter, never wider than the scope.
    for (user, area, province) in [
        (&p.national, Area::National, QUANG_TRI),
        (&p.national, Area::National, DAK_LAK),
        (&p.national, Area::National, HA_NOI),
        (&p.dak_lak, Area::Province(DAK_LAK), QUANG_TRI),
        (&p.dak_lak, Area::Province(DAK_LAK), DAK_LAK),
        (&p.bmt, Area::Commune(BMT), QUANG_TRI),
        (&p.truong_phu, Area::Commune(TRUONG_PHU), QUANG_TRI),
    ] {
        let got = app
            .ok(
                Some(&user.token),
                OCOP_SUMMARY,
                json!({ "f": { "provinceCode": province } }),
            )
            .await;
        let items: Vec<&Certified> = all
            .iter()
            .filter(|c| area.covers(c.province, Some(c.commune)) && c.province == province)
            .collect();
        assert_eq!(
            ocop_of(&got),
            expected_ocop(&items),
            "{area:?} asking for {province}"
        );
    }
}

#[tokio::test]
async fn ocop_province_ranking_lists_all_34_provinces_and_ties_share_a_rank() {
    let app = spawn_app().await;
    let p = People::new(&app).await;
    ocop_fixture(&app, &p).await;
    let read_only = app.user(Role::National, None, None, false, true).await;

    let mut first: Option<Value> = None;
    for user in [
        &p.truong_phu,
        &p.bmt,
        &p.ha_noi,
        &p.dak_lak,
        &p.national,
        &read_only,
    ] {
        let got =
            app.ok(Some(&user.token), RANKING, json!({})).await["ocopProvinceRanking"].clone();
        let rows = got.as_array().expect("rows");
        assert_eq!(rows.len(), 34, "every province, whoever asks: {got:#}");
        let codes: BTreeSet<&str> = rows
            .iter()
            .map(|r| r["province"]["code"].as_str().expect("code"))
            .collect();
        assert_eq!(codes.len(), 34, "each province once");
        // Đắk Lắk and Quảng Trị tie with four products each at rank 1; the rest share rank 3.
        for r in rows {
            let code = r["province"]["code"].as_str().expect("code");
            let (rank, count) = match code {
                DAK_LAK | QUANG_TRI => (1, 4),
                _ => (3, 0),
            };
            assert_eq!(r["rank"], rank, "{r}");
            assert_eq!(r["certifiedProducts"], count, "{r}");
        }
        // Highest first; a rank is one more than the rows before it, or its tie's.
        for (i, w) in rows.windows(2).enumerate() {
            let (a, b) = (&w[0], &w[1]);
            assert!(
                a["certifiedProducts"].as_i64() >= b["certifiedProducts"].as_i64(),
                "ordered: {a} before {b}"
            );
            let expected = if a["certifiedProducts"] == b["certifiedProducts"] {
                a["rank"].as_i64()
            } else {
                Some(i as i64 + 2)
            };
            assert_eq!(b["rank"].as_i64(), expected, "{a} then {b}");
        }
        match &first {
            None => first = Some(got),
            Some(f) => assert_eq!(&got, f, "the same ranking for every signed-in user"),
        }
    }

    // One more valid certificate in Quảng Trị breaks the tie.
    let truong_phu = cast(&app, TRUONG_PHU).await;
    let now = today().to_string();
    certified(&app, &truong_phu, "Gạo hữu cơ Hải Lăng", 3, &now).await;
    let got = app.ok(Some(&p.bmt.token), RANKING, json!({})).await["ocopProvinceRanking"].clone();
    let rows = got.as_array().expect("rows");
    assert_eq!(rows[0]["province"]["code"], QUANG_TRI, "{got:#}");
    assert_eq!(rows[0]["rank"], 1);
    assert_eq!(rows[0]["certifiedProducts"], 5);
    assert_eq!(rows[1]["province"]["code"], DAK_LAK);
    assert_eq!(rows[1]["rank"], 2);
    assert_eq!(rows[1]["certifiedProducts"], 4);
    assert!(
        rows[2..]
            .iter()
            .all(|r| r["rank"] == 3 && r["certifiedProducts"] == 0),
        "{got:#}"
    );
}
