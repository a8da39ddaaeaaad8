//! The Excel reports: `GET /reports/{name}.xlsx` with the GraphQL filters as query parameters,
//! in the caller's scope, with Vietnamese or English headers, numbers stored as numbers.

use calamine::{Data, Reader, Xlsx};

use crate::helpers::{
    TestApp,
    flows::project::{new_project, project_input},
    place, spawn_app,
};

async fn get(app: &TestApp, token: Option<&str>, path: &str, lang: &str) -> (u16, Vec<u8>) {
    let mut req = app
        .client
        .get(format!("{}{path}", app.address))
        .header("accept-language", lang);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.expect("get");
    (
        r.status().as_u16(),
        r.bytes().await.expect("bytes").to_vec(),
    )
}

fn sheet(bytes: Vec<u8>) -> calamine::Range<Data> {
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("a workbook");
    let name = wb.sheet_names()[0].clone();
    wb.worksheet_range(&name).expect("sheet")
}

fn find_row(range: &calamine::Range<Data>, label: &str) -> Option<Vec<Data>> {
    range
        .rows()
        .find(|r| r.first().map(|d| d.to_string()) == Some(label.to_owned()))
        .map(<[Data]>::to_vec)
}

#[tokio::test]
async fn report_workbooks_follow_the_language_filters_and_scope() {
    let app = spawn_app().await;
    let officer = app.province(place::DAK_LAK).await;
    let (status, bytes) = get(
        &app,
        Some(&officer.token),
        "/reports/fundingSummary.xlsx?provinceCode=66&fromYear=2024&toYear=2025",
        "vi",
    )
    .await;
    assert_eq!(status, 200);
    let range = sheet(bytes);
    assert_eq!(
        range.get((0, 0)).map(|d| d.to_string()).as_deref(),
        Some("Tổng hợp kinh phí khuyến công")
    );
    let filters = range.get((1, 0)).map(|d| d.to_string()).unwrap_or_default();
    assert!(
        filters.contains("Đắk Lắk") && filters.contains("2024"),
        "{filters}"
    );
    let total = find_row(&range, "Tổng cộng").expect("a totals row");
    assert!(
        matches!(total[1], Data::Float(_) | Data::Int(_)),
        "numbers: {total:?}"
    );

    // English by ?lang=, whatever the header says.
    let (status, bytes) = get(
        &app,
        Some(&officer.token),
        "/reports/ocopProvinceRanking.xlsx?lang=en",
        "vi",
    )
    .await;
    assert_eq!(status, 200);
    let range = sheet(bytes);
    assert!(find_row(&range, "Total").is_some());
    assert!(find_row(&range, "Province").is_some(), "header row");
    let ranked = range
        .rows()
        .filter(|r| matches!(r.get(1), Some(Data::Float(_))))
        .count();
    assert!(ranked >= 34, "every province ranked, as numbers: {ranked}");

    for name in ["selectionSummary", "ocopSummary"] {
        let (status, bytes) = get(
            &app,
            Some(&officer.token),
            &format!("/reports/{name}.xlsx"),
            "en",
        )
        .await;
        assert_eq!(status, 200, "{name}");
        assert!(find_row(&sheet(bytes), "Total").is_some(), "{name}");
    }

    // Unauthenticated, bad filters, unknown reports.
    let (status, _) = get(&app, None, "/reports/ocopSummary.xlsx", "en").await;
    assert_eq!(status, 401);
    let (status, _) = get(
        &app,
        Some(&officer.token),
        "/reports/fundingSummary.xlsx?fromYear=abc",
        "en",
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = get(&app, Some(&officer.token), "/reports/secrets.xlsx", "en").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn establishment_and_project_exports_come_as_workbooks_in_the_callers_scope() {
    let app = spawn_app().await;
    let national = app.national().await;
    let officer = app.province(place::DAK_LAK).await;
    for (commune, employees) in [
        (place::BMT, 12),
        (place::DAK_LAK_OTHER, 30),
        (place::TRUONG_PHU, 7),
    ] {
        app.establishment(
            &national.token,
            commune,
            serde_json::json!({ "employeeCount": employees }),
        )
        .await;
    }
    let title = serde_json::json!({ "title": "Đào tạo nghề dệt thổ cẩm" });
    new_project(
        &app,
        &officer.token,
        project_input("LOCAL", place::DAK_LAK, title),
    )
    .await;

    // `.xlsx` and `?format=xlsx` give the same workbook.
    for path in [
        "/export/establishments.xlsx",
        "/export/establishments.csv?format=xlsx",
    ] {
        let r = app
            .client
            .get(format!("{}{path}", app.address))
            .bearer_auth(&officer.token)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(
            r.headers()["content-type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        let range = sheet(r.bytes().await.expect("bytes").to_vec());
        let header: Vec<String> = range
            .rows()
            .next()
            .expect("header")
            .iter()
            .map(|d| d.to_string())
            .collect();
        assert_eq!(header[..4], ["id", "name", "kind", "tax_code"], "{path}");
        assert_eq!(
            range.height(),
            3,
            "{path}: the header and Đắk Lắk's two establishments"
        );
        let col = header
            .iter()
            .position(|h| h == "employee_count")
            .expect("employee_count");
        let mut employees: Vec<f64> = range
            .rows()
            .skip(1)
            .map(|r| match r[col] {
                Data::Float(f) => f,
                Data::Int(i) => i as f64,
                ref other => panic!("employee_count is a number, not {other:?}"),
            })
            .collect();
        employees.sort_by(f64::total_cmp);
        assert_eq!(employees, [12.0, 30.0]);
    }
    let (status, bytes) = get(&app, Some(&officer.token), "/export/projects.xlsx", "vi").await;
    assert_eq!(status, 200);
    let range = sheet(bytes);
    assert_eq!(range.height(), 2, "the header and the project");
    let (status, _) = get(&app, None, "/export/projects.xlsx", "vi").await;
    assert_eq!(status, 401);
}
