//! `fundingSummary`: totals by source level, the caller's area, filters and sign-in.

use super::*;

#[tokio::test]
async fn funding_summary_counts_approved_and_later_projects_by_source_level() {
    let f = Funding::new().await;
    let got = f.summary(&f.people.national.token, json!({})).await;

    // By hand: P1 60 M local + 40 M other, 150 M own; P2 (settled) 60 M local of 80 M, 30 M
    // own, 60 M paid, 12 jobs, 35 trainees; P3 (stopped) 100 M national paid of 200 M, no own
    // money; P4 (accepted) 40 M national, 40 M own, 20 M paid, 5 jobs, 7 trainees; P8 70 M
    // local, 30 M own (Quảng Trị); P9 20 M national, 5 M own (2024); P12 stopped with nothing
    // paid; P13 25 M local, 25 M own. Rejected, cancelled, appraised, submitted and draft
    // projects do not count.
    let expected = json!({
        "projectCount": 8,
        "beneficiaryCount": 9,
        "establishmentCount": 4,
        "nationalVnd": 160 * M,
        "localVnd": 215 * M,
        "otherVnd": 40 * M,
        "publicVnd": 375 * M,
        "counterpartVnd": 280 * M,
        "totalVnd": 695 * M,
        "disbursedVnd": 180 * M,
        "jobsCreated": 17,
        "trainees": 42,
        "byYear": [
            { "key": "2024", "projectCount": 1, "nationalVnd": 20 * M, "localVnd": 0,
              "otherVnd": 0, "counterpartVnd": 5 * M, "totalVnd": 25 * M, "disbursedVnd": 0 },
            { "key": "2025", "projectCount": 7, "nationalVnd": 140 * M, "localVnd": 215 * M,
              "otherVnd": 40 * M, "counterpartVnd": 275 * M, "totalVnd": 670 * M,
              "disbursedVnd": 180 * M },
        ],
        "byProvince": [
            { "key": "44", "projectCount": 1, "nationalVnd": 0, "localVnd": 70 * M,
              "otherVnd": 0, "counterpartVnd": 30 * M, "totalVnd": 100 * M, "disbursedVnd": 0 },
            { "key": "66", "projectCount": 7, "nationalVnd": 160 * M, "localVnd": 145 * M,
              "otherVnd": 40 * M, "counterpartVnd": 250 * M, "totalVnd": 595 * M,
              "disbursedVnd": 180 * M },
        ],
        "byCategory": [
            { "key": "ADVANCED_MACHINERY", "projectCount": 1, "nationalVnd": 0,
              "localVnd": 60 * M, "otherVnd": 40 * M, "counterpartVnd": 150 * M,
              "totalVnd": 250 * M, "disbursedVnd": 0 },
            { "key": "TRADE_FAIR", "projectCount": 1, "nationalVnd": 0, "localVnd": 0,
              "otherVnd": 0, "counterpartVnd": 0, "totalVnd": 0, "disbursedVnd": 0 },
            { "key": "VOCATIONAL_TRAINING", "projectCount": 6, "nationalVnd": 160 * M,
              "localVnd": 155 * M, "otherVnd": 0, "counterpartVnd": 130 * M,
              "totalVnd": 445 * M, "disbursedVnd": 180 * M },
        ],
    });
    // The model the other tests use agrees with the hand count.
    let all: Vec<&Counted> = f.counted.iter().collect();
    assert_eq!(expected_summary(&all).0, expected, "the test's model");

    let (got, leverage) = normalised(got);
    assert_eq!(got, expected);
    assert_leverage(leverage, Some(280.0 / 375.0), "national");
}

#[tokio::test]
async fn funding_summary_counts_only_the_callers_area() {
    let f = Funding::new().await;
    for (user, area, what) in f.people.views() {
        let got = f.summary(&user.token, json!({})).await;
        let items = f.only(|c| area.sees(c));
        assert_summary(&got, &items, what);
    }
    // By hand for the commune of BMT: P1, P2, P4, P9, P12 (not the province's own P13).
    let got = f.summary(&f.people.bmt.token, json!({})).await;
    assert_eq!(got["projectCount"], 5, "{got:#}");
    assert_eq!(got["nationalVnd"], 60 * M);
    assert_eq!(got["localVnd"], 120 * M);
    assert_eq!(got["otherVnd"], 40 * M);
    assert_eq!(got["counterpartVnd"], 225 * M);
    assert_eq!(got["totalVnd"], 445 * M);
    assert_eq!(got["disbursedVnd"], 80 * M);
    assert_eq!(got["beneficiaryCount"], 6);
    assert_eq!(got["establishmentCount"], 2);
    // The other commune: the stopped P3 it proposed (public money but no counterpart) and
    // the province's own P13, whose beneficiary e3 is in the commune: 100 M national,
    // 25 M local and 25 M own, so 25 / 125 = 0.2 of own money per đồng of public money.
    let got = f.summary(&f.people.dak_lak_other.token, json!({})).await;
    assert_eq!(got["projectCount"], 2, "{got:#}");
    assert_eq!(got["nationalVnd"], 100 * M);
    assert_eq!(got["localVnd"], 25 * M);
    assert_eq!(got["counterpartVnd"], 25 * M);
    assert_eq!(got["beneficiaryCount"], 2);
    assert_eq!(got["establishmentCount"], 1);
    assert_eq!(got["leverageRatio"].as_f64(), Some(0.2), "{got:#}");
    // A province with nothing: zeros, no rows, and no leverage without public money.
    let got = f.summary(&f.people.ha_noi.token, json!({})).await;
    assert_eq!(got["projectCount"], 0, "{got:#}");
    assert_eq!(got["totalVnd"], 0);
    assert!(got["leverageRatio"].is_null(), "{got:#}");
    assert_eq!(got["byYear"], json!([]));
    assert_eq!(got["byProvince"], json!([]));
    assert_eq!(got["byCategory"], json!([]));
}

#[tokio::test]
async fn funding_summary_filters_by_province_years_and_programme() {
    let f = Funding::new().await;
    let p = &f.people;
    let cases: Vec<Case<'_, Value, Counted>> = vec![
        (
            &p.national,
            Area::National,
            json!({ "provinceCode": QUANG_TRI }),
            Box::new(|c: &Counted| c.province == QUANG_TRI),
        ),
        (
            &p.national,
            Area::National,
            json!({ "provinceCode": DAK_LAK }),
            Box::new(|c: &Counted| c.province == DAK_LAK),
        ),
        (
            &p.national,
            Area::National,
            json!({ "fromYear": 2025 }),
            Box::new(|c: &Counted| c.year >= 2025),
        ),
        (
            &p.national,
            Area::National,
            json!({ "toYear": 2024 }),
            Box::new(|c: &Counted| c.year <= 2024),
        ),
        (
            &p.national,
            Area::National,
            json!({ "fromYear": 2025, "toYear": 2025, "programLevel": "NATIONAL" }),
            Box::new(|c: &Counted| c.year == 2025 && c.level == "NATIONAL"),
        ),
        (
            &p.national,
            Area::National,
            json!({ "programLevel": "LOCAL" }),
            Box::new(|c: &Counted| c.level == "LOCAL"),
        ),
        (
            &p.national,
            Area::National,
            json!({ "fromYear": 2026 }),
            Box::new(|_: &Counted| false),
        ),
        // A filter never widens the scope.
        (
            &p.dak_lak,
            Area::Province(DAK_LAK),
            json!({ "provinceCode": QUANG_TRI }),
            Box::new(|_: &Counted| false),
        ),
        (
            &p.quang_tri,
            Area::Province(QUANG_TRI),
            json!({ "provinceCode": DAK_LAK }),
            Box::new(|_: &Counted| false),
        ),
        (
            &p.dak_lak,
            Area::Province(DAK_LAK),
            json!({ "programLevel": "NATIONAL" }),
            Box::new(|c: &Counted| c.level == "NATIONAL"),
        ),
        (
            &p.bmt,
            Area::Commune(BMT),
            json!({ "programLevel": "NATIONAL" }),
            Box::new(|c: &Counted| c.level == "NATIONAL"),
        ),
        (
            &p.bmt,
            Area::Commune(BMT),
            json!({ "fromYear": 2025, "provinceCode": DAK_LAK }),
            Box::new(|c: &Counted| c.year >= 2025),
        ),
        (
            &p.truong_phu,
            Area::Commune(TRUONG_PHU),
            json!({ "provinceCode": DAK_LAK }),
            Box::new(|_: &Counted| false),
        ),
    ];
    for (user, area, filter, keep) in &cases {
        let got = f.summary(&user.token, filter.clone()).await;
        let items = f.only(|c| area.sees(c) && keep(c));
        assert_summary(&got, &items, &format!("{area:?} with {filter}"));
    }
    // By hand: national projects of 2025 are P3 (stopped, 100 M paid) and P4 (40 M).
    let got = f
        .summary(
            &p.national.token,
            json!({ "fromYear": 2025, "toYear": 2025, "programLevel": "NATIONAL" }),
        )
        .await;
    assert_eq!(got["projectCount"], 2, "{got:#}");
    assert_eq!(got["nationalVnd"], 140 * M);
    assert_eq!(got["counterpartVnd"], 40 * M);
    assert_eq!(got["disbursedVnd"], 120 * M);
    assert_eq!(got["jobsCreated"], 5);
    assert_eq!(got["trainees"], 7);
}

#[tokio::test]
async fn reports_need_a_signed_in_user() {
    let app = spawn_app().await;
    for q in [
        "{ fundingSummary { projectCount } }",
        "{ selectionSummary { byLevel { level } } }",
        "{ ocopSummary { certifiedProducts } }",
        "{ ocopProvinceRanking { rank } }",
        "{ auditEvents { totalCount } }",
    ] {
        let body = app.gql(None, q, json!({})).await;
        assert_code(&body, "UNAUTHENTICATED");
    }
}
