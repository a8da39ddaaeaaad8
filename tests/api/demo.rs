//! The demo data set reproduces the seed articles' figures in the reports.

use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn reports_over_the_demo_data_show_the_articles_figures() {
    let app = spawn_app().await;
    khuyencong::demo::load(&app.state)
        .await
        .expect("demo loads");
    // Loading twice changes nothing.
    khuyencong::demo::load(&app.state)
        .await
        .expect("demo loads again");
    let login = app
        .ok(
            None,
            "mutation($p: String!) { login(username: \"ministry.pull\", password: $p) { accessToken } }",
            json!({ "p": khuyencong::demo::PASSWORD }),
        )
        .await;
    let token = login["login"]["accessToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let data = app
        .ok(
            Some(&token),
            r#"{
              dl: fundingSummary(filter: {provinceCode: "66", fromYear: 2012, toYear: 2024}) {
                projectCount nationalVnd localVnd counterpartVnd totalVnd trainees
                byCategory { key projectCount }
              }
              ld: fundingSummary(filter: {provinceCode: "68", fromYear: 2024, toYear: 2025}) {
                projectCount nationalVnd localVnd
                byYear { key projectCount nationalVnd localVnd }
              }
              ldNational: fundingSummary(filter: {provinceCode: "68", fromYear: 2025, toYear: 2025, programLevel: NATIONAL}) {
                projectCount nationalVnd beneficiaryCount
              }
              qt: fundingSummary(filter: {provinceCode: "44", fromYear: 2025, toYear: 2025}) {
                projectCount localVnd counterpartVnd establishmentCount jobsCreated
              }
              all: selectionSummary(filter: {provinceCode: "66"}) { byLevel { level nominated recognized } }
              y2022: selectionSummary(filter: {provinceCode: "66", fromYear: 2022, toYear: 2022}) {
                byLevel { level recognized }
              }
              ocopCertificates(filter: {expiringWithinDays: 30}) { totalCount }
              revoked: ocopCertificates(filter: {status: REVOKED}) { totalCount }
              five: ocopCertificates(filter: {stars: 5, status: VALID}) { totalCount }
            }"#,
            json!({}),
        )
        .await;
    // Seed 000: Đắk Lắk 2012–2024.
    let dl = &data["dl"];
    assert_eq!(dl["projectCount"], 242);
    assert_eq!(dl["nationalVnd"], 5_586_000_000i64);
    assert_eq!(dl["localVnd"], 21_895_000_000i64);
    assert_eq!(dl["counterpartVnd"], 80_024_000_000i64);
    assert_eq!(dl["totalVnd"], 107_505_000_000i64);
    assert_eq!(dl["trainees"], 80 + 2_309);
    let by_cat = |k: &str| {
        dl["byCategory"]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["key"] == k))
            .map(|r| r["projectCount"].clone())
    };
    assert_eq!(by_cat("ADVANCED_MACHINERY"), Some(json!(195)));
    assert_eq!(by_cat("CAPACITY_BUILDING"), Some(json!(45)));
    assert_eq!(by_cat("VOCATIONAL_TRAINING"), Some(json!(2)));
    // Seed 001: Lâm Đồng 2024–2025: 67 projects, 11.5 billion.
    let ld = &data["ld"];
    assert_eq!(ld["projectCount"], 67);
    assert_eq!(
        ld["nationalVnd"].as_i64().unwrap_or(0) + ld["localVnd"].as_i64().unwrap_or(0),
        11_500_000_000
    );
    assert_eq!(
        ld["byYear"],
        json!([
            { "key": "2024", "projectCount": 29, "nationalVnd": 0, "localVnd": 4_800_000_000i64 },
            { "key": "2025", "projectCount": 38, "nationalVnd": 3_700_000_000i64, "localVnd": 3_000_000_000i64 }
        ])
    );
    assert_eq!(data["ldNational"]["projectCount"], 5);
    assert_eq!(data["ldNational"]["beneficiaryCount"], 13);
    // Seed 004: Quảng Bình (now Quảng Trị) 2025, first round.
    let qt = &data["qt"];
    assert_eq!(qt["localVnd"], 700_000_000);
    assert_eq!(qt["establishmentCount"], 5);
    assert!(qt["counterpartVnd"].as_i64().unwrap_or(0) > 7_600_000_000);
    assert!(qt["jobsCreated"].as_i64().unwrap_or(0) > 50);
    // Seeds 000 and 003: recognitions.
    let level = |v: &serde_json::Value, l: &str| {
        v["byLevel"]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["level"] == l))
            .map(|r| r["recognized"].clone())
    };
    assert_eq!(level(&data["all"], "PROVINCIAL"), Some(json!(61)));
    assert_eq!(level(&data["all"], "REGIONAL"), Some(json!(31)));
    assert_eq!(level(&data["all"], "NATIONAL"), Some(json!(10)));
    assert_eq!(level(&data["y2022"], "PROVINCIAL"), Some(json!(15)));
    assert_eq!(level(&data["y2022"], "REGIONAL"), Some(json!(11)));
    // OCOP: one due for renewal, one revoked, one 5-star.
    assert_eq!(data["ocopCertificates"]["totalCount"], 1);
    assert_eq!(data["revoked"]["totalCount"], 1);
    assert_eq!(data["five"]["totalCount"], 1);
    // Each beneficiary records the support-cap rule its support was checked against.
    let caps = app
        .ok(
            Some(&token),
            r#"{ projects(filter: {provinceCode: "66", category: ADVANCED_MACHINERY}, first: 1) {
                 nodes { beneficiaries { capRule { legalBasis maxPercent maxAmountVnd } } } } }"#,
            json!({}),
        )
        .await;
    let rule = &caps["projects"]["nodes"][0]["beneficiaries"][0]["capRule"];
    assert!(
        rule["legalBasis"]
            .as_str()
            .unwrap_or("")
            .contains("Circular 28/2018/TT-BTC"),
        "{caps:#}"
    );
    assert_eq!(rule["maxPercent"], 50);
    assert_eq!(rule["maxAmountVnd"], 300_000_000);
    // Nam Trường Sơn cocoa and Damaca macadamia are recognised nationally.
    let national = app
        .ok(
            Some(&token),
            r#"{ products(filter: {search: "nam truong son"}) { nodes { name recognitions { round { level } } } } }"#,
            json!({}),
        )
        .await;
    let recognitions = national["products"]["nodes"][0]["recognitions"].to_string();
    assert!(recognitions.contains("NATIONAL"), "{national:#}");
}
