//! `GET /export/{entity}.{csv,ndjson}`: the token, unknown entities, a bad `updatedSince`,
//! the BOM and header, one line per row, NDJSON, and more rows than a page.

mod scope;

use super::*;

/// One export call: status, content type and body.
async fn export_raw(
    app: &TestApp,
    token: Option<&str>,
    file: &str,
    params: &[(&str, &str)],
) -> (u16, String, Vec<u8>) {
    let mut req = app
        .client
        .get(format!("{}/export/{file}", app.address))
        .query(params);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.expect("export request");
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = resp.bytes().await.expect("export body").to_vec();
    (status, content_type, body)
}

/// An export that must succeed.
pub(super) async fn export_ok(
    app: &TestApp,
    token: &str,
    file: &str,
    params: &[(&str, &str)],
) -> Vec<u8> {
    let (status, _, body) = export_raw(app, Some(token), file, params).await;
    assert_eq!(
        status,
        200,
        "{file} {params:?}: {}",
        String::from_utf8_lossy(&body)
    );
    body
}

/// A CSV export: checks the BOM, returns the header and the rows (by column name).
pub(super) fn parse_csv(body: &[u8], what: &str) -> (Vec<String>, Vec<HashMap<String, String>>) {
    assert!(
        body.starts_with(BOM),
        "{what}: CSV starts with the UTF-8 BOM"
    );
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(&body[BOM.len()..]);
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            let r = r.unwrap_or_else(|e| panic!("{what}: a CSV record: {e}"));
            assert_eq!(r.len(), header.len(), "{what}: every row has every column");
            header
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_owned))
                .collect()
        })
        .collect();
    (header, rows)
}

/// An NDJSON export: one JSON object per line.
fn parse_ndjson(body: &[u8], what: &str) -> Vec<Map<String, Value>> {
    let text = std::str::from_utf8(body).unwrap_or_else(|e| panic!("{what}: UTF-8: {e}"));
    if text.is_empty() {
        return Vec::new();
    }
    assert!(
        text.ends_with('\n'),
        "{what}: every line ends with a newline"
    );
    text.trim_end_matches('\n')
        .split('\n')
        .map(|line| match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(o)) => o,
            other => panic!("{what}: not a JSON object per line: {line:?} ({other:?})"),
        })
        .collect()
}

/// The `id`s of an export in both formats; they must agree and hold no duplicates.
async fn exported_ids(
    app: &TestApp,
    token: &str,
    entity: &str,
    params: &[(&str, &str)],
) -> Vec<String> {
    let what = format!("{entity} {params:?}");
    let csv = export_ok(app, token, &format!("{entity}.csv"), params).await;
    let (header, rows) = parse_csv(&csv, &what);
    assert_eq!(header.first().map(String::as_str), Some("id"), "{what}");
    let from_csv: Vec<String> = rows.iter().map(|r| r["id"].clone()).collect();
    let nd = export_ok(app, token, &format!("{entity}.ndjson"), params).await;
    let from_nd: Vec<String> = parse_ndjson(&nd, &what)
        .iter()
        .map(|o| o["id"].as_str().expect("id").to_owned())
        .collect();
    let ids = sorted(from_csv);
    assert_eq!(
        ids,
        sorted(from_nd),
        "{what}: CSV and NDJSON hold the same rows"
    );
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "{what}: no duplicates");
    ids
}

/// Every id of a top-level list as `token` sees it.
async fn listed_ids(app: &TestApp, token: &str, list: &str) -> Vec<String> {
    let q = format!(
        "query($a: String) {{ {list}(first: 100, after: $a) {{ \
         pageInfo {{ hasNextPage endCursor }} nodes {{ id }} }} }}"
    );
    let pages =
        all_pages(async |after| app.ok(Some(token), &q, json!({ "a": after })).await[list].clone())
            .await;
    sorted(pages.iter().flat_map(ids_of))
}

/// Records of every exportable entity in BMT, the other commune of Đắk Lắk and Trường Phú
/// (and a project of the province of Đắk Lắk itself), by entity.
async fn records(app: &TestApp, p: &People) -> BTreeMap<&'static str, Vec<Placed>> {
    let mut out: BTreeMap<&'static str, Vec<Placed>> = BTreeMap::new();
    let mut products = HashMap::new();
    for commune in [BMT, DAK_LAK_OTHER, TRUONG_PHU] {
        let user = p.commune(commune);
        let province = province_of(commune);
        let e = app
            .establishment(
                &user.token,
                commune,
                json!({ "name": format!("Hợp tác xã Đắk Lắk – Quảng Trị {commune}") }),
            )
            .await;
        out.entry("establishments")
            .or_default()
            .push(placed(id_of(&e), province, Some(commune)));
        let pr = app
            .product(&user.token, &id_of(&e), &format!("Sản phẩm {commune}"))
            .await;
        products.insert(commune, id_of(&pr));
        out.entry("products")
            .or_default()
            .push(placed(id_of(&pr), province, Some(commune)));
        let pj = must(
            app,
            &user.token,
            CREATE_PROJECT,
            json!({ "i": { "title": "Đề án đào tạo nghề", "programLevel": "LOCAL",
                "kind": "INDIVIDUAL", "category": "VOCATIONAL_TRAINING",
                "provinceCode": province, "fiscalYear": 2026 } }),
            "createProject",
        )
        .await;
        out.entry("projects")
            .or_default()
            .push(placed(id_of(&pj), province, Some(commune)));
    }
    let pj = must(
        app,
        &p.dak_lak.token,
        CREATE_PROJECT,
        json!({ "i": { "title": "Đề án của tỉnh", "programLevel": "LOCAL", "kind": "INDIVIDUAL",
            "category": "TRADE_FAIR", "provinceCode": DAK_LAK, "fiscalYear": 2026 } }),
        "createProject",
    )
    .await;
    out.entry("projects")
        .or_default()
        .push(placed(id_of(&pj), DAK_LAK, None));
    for (user, level) in [
        (&p.national, "NATIONAL"),
        (&p.dak_lak, "LOCAL"),
        (&p.quang_tri, "LOCAL"),
    ] {
        let s = must(
            app,
            &user.token,
            CREATE_SOURCE,
            json!({ "i": { "name": "Nguồn khuyến công 2026", "level": level,
                "fiscalYear": 2026, "amountVnd": PLENTY } }),
            "createFundingSource",
        )
        .await;
        let province = match level {
            "NATIONAL" => None,
            _ => Some(if user.id == p.dak_lak.id {
                DAK_LAK
            } else {
                QUANG_TRI
            }),
        };
        out.entry("fundingSources").or_default().push(Placed {
            id: id_of(&s),
            province,
            commune: None,
        });
    }
    // OCOP certificates in BMT and Trường Phú.
    let now = today().to_string();
    for commune in [BMT, TRUONG_PHU] {
        let c = cast(app, commune).await;
        let cert = grade(app, &c, &products[commune], (2026, "NEW"), 3, &now).await;
        out.entry("ocopCertificates").or_default().push(placed(
            cert,
            province_of(commune),
            Some(commune),
        ));
    }
    // Nominations: commune rounds of BMT and Trường Phú, the provincial round of Đắk Lắk.
    for (organiser, level, commune) in [
        (&p.bmt, "COMMUNE", BMT),
        (&p.truong_phu, "COMMUNE", TRUONG_PHU),
        (&p.dak_lak, "PROVINCIAL", DAK_LAK_OTHER),
    ] {
        let (_, n) = open_round(
            app,
            organiser,
            level,
            2026,
            json!({}),
            &[&products[commune]],
        )
        .await;
        out.entry("nominations").or_default().push(placed(
            n[0].clone(),
            province_of(commune),
            Some(commune),
        ));
    }
    out
}

/// The list query of an exportable entity, if there is one.
fn list_of(entity: &str) -> Option<&'static str> {
    match entity {
        "establishments" => Some("establishments"),
        "products" => Some("products"),
        "projects" => Some("projects"),
        "fundingSources" => Some("fundingSources"),
        "ocopCertificates" => Some("ocopCertificates"),
        _ => None,
    }
}

#[tokio::test]
async fn an_export_needs_a_token_a_known_entity_and_a_valid_updated_since() {
    let app = spawn_app().await;
    let user = app.national().await;
    for token in [None, Some("not-a-token")] {
        let (status, content_type, body) = export_raw(&app, token, "establishments.csv", &[]).await;
        assert_eq!(status, 401, "{}", String::from_utf8_lossy(&body));
        assert!(
            content_type.starts_with("application/json"),
            "{content_type}"
        );
        let body: Value = serde_json::from_slice(&body).expect("a JSON error body");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
            "{body:#}"
        );
    }
    for file in [
        "widgets.csv",
        "users.csv",
        "auditEvents.ndjson",
        "establishments",
    ] {
        let (status, _, body) = export_raw(&app, Some(&user.token), file, &[]).await;
        assert_eq!(status, 404, "{file}: {}", String::from_utf8_lossy(&body));
    }
    for bad in ["yesterday", "2025-13-01T00:00:00Z", "2025-07-01"] {
        let (status, _, body) = export_raw(
            &app,
            Some(&user.token),
            "establishments.ndjson",
            &[("updatedSince", bad)],
        )
        .await;
        assert_eq!(status, 400, "{bad}: {}", String::from_utf8_lossy(&body));
        let body: Value = serde_json::from_slice(&body).expect("a JSON error body");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body:#}"
        );
        assert_eq!(
            body["errors"][0]["extensions"]["field"], "updatedSince",
            "{body:#}"
        );
    }
    // Every entity exports, even empty: a CSV header alone, an empty NDJSON.
    for entity in ENTITIES {
        let csv = export_ok(&app, &user.token, &format!("{entity}.csv"), &[]).await;
        let (header, rows) = parse_csv(&csv, entity);
        assert_eq!(header[0], "id", "{entity}");
        assert!(rows.is_empty(), "{entity}");
        let nd = export_ok(&app, &user.token, &format!("{entity}.ndjson"), &[]).await;
        assert!(parse_ndjson(&nd, entity).is_empty(), "{entity}");
    }
}

#[tokio::test]
async fn a_csv_export_has_a_bom_a_header_and_one_line_per_row_in_vietnamese() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    let names = [
        "Cơ sở chế biến cà phê Đắk Lắk",
        "Hợp tác xã dệt thổ cẩm Buôn Ma Thuột, \"Ê Đê\"",
        "Làng nghề gốm Yang Tao; đồ gỗ mỹ nghệ",
    ];
    let mut ids = Vec::new();
    for name in names {
        let e = app
            .establishment(
                &user.token,
                BMT,
                json!({ "name": name, "mainProducts": "Cà phê, hồ tiêu, sầu riêng" }),
            )
            .await;
        ids.push(id_of(&e));
    }
    let (status, content_type, body) =
        export_raw(&app, Some(&user.token), "establishments.csv", &[]).await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    assert_eq!(&body[..3], BOM, "the UTF-8 BOM comes first");
    let text = std::str::from_utf8(&body[3..]).expect("UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        1 + names.len(),
        "a header and one line per row:\n{text}"
    );
    assert!(lines[0].starts_with("id,"), "{}", lines[0]);
    assert!(!text.contains('\u{FFFD}'), "no replacement characters");
    for name in names {
        let plain = name.replace('"', "\"\"");
        assert!(text.contains(&plain), "{name} intact in\n{text}");
    }
    let (header, rows) = parse_csv(&body, "establishments");
    for col in ["id", "name", "province_code", "commune_code", "status"] {
        assert!(
            header.iter().any(|h| h == col),
            "column {col} in {header:?}"
        );
    }
    assert_eq!(rows.len(), names.len());
    assert_eq!(sorted(rows.iter().map(|r| r["id"].clone())), sorted(ids));
    for (row, name) in rows.iter().zip(names) {
        assert_eq!(row["name"], name);
        assert_eq!(row["province_code"], DAK_LAK);
        assert_eq!(row["commune_code"], BMT);
        assert_eq!(row["main_products"], "Cà phê, hồ tiêu, sầu riêng");
    }
}

#[tokio::test]
async fn an_ndjson_export_has_one_json_object_per_line() {
    let app = spawn_app().await;
    let p = People::new(&app).await;
    let all = records(&app, &p).await;
    for entity in ENTITIES {
        let body = export_ok(&app, &p.national.token, &format!("{entity}.ndjson"), &[]).await;
        let text = std::str::from_utf8(&body).expect("UTF-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), all[entity].len(), "{entity}:\n{text}");
        let csv_body = export_ok(&app, &p.national.token, &format!("{entity}.csv"), &[]).await;
        let (header, csv_rows) = parse_csv(&csv_body, entity);
        for line in &lines {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{entity}: {line:?} is not JSON: {e}"));
            let o = v
                .as_object()
                .unwrap_or_else(|| panic!("{entity}: {line} is not an object"));
            assert!(o["id"].is_string(), "{entity}: {line}");
            // The same columns as the CSV, and the same values.
            let keys: Vec<&String> = o.keys().collect();
            assert_eq!(keys, header.iter().collect::<Vec<_>>(), "{entity}");
            let row = csv_rows
                .iter()
                .find(|r| r["id"] == o["id"])
                .unwrap_or_else(|| panic!("{entity}: {line} in the CSV too"));
            for (k, v) in o {
                let cell = match v {
                    Value::Null => String::new(),
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                assert_eq!(row[k], cell, "{entity}.{k}");
            }
        }
    }
    // Vietnamese intact in NDJSON too.
    let body = export_ok(&app, &p.national.token, "establishments.ndjson", &[]).await;
    let rows = parse_ndjson(&body, "establishments");
    assert!(
        rows.iter()
            .any(|r| r["name"] == format!("Hợp tác xã Đắk Lắk – Quảng Trị {BMT}")),
        "{rows:#?}"
    );
}

#[tokio::test]
async fn an_export_of_more_rows_than_a_page_streams_every_row_once() {
    let app = spawn_app().await;
    let p = People::new(&app).await;
    let base = (Utc::now() - Duration::hours(2)).trunc_subsecs(0) + Duration::microseconds(123_456);
    let ids = insert_establishments(
        &app,
        1_200,
        &[BMT, DAK_LAK_OTHER],
        base,
        Duration::milliseconds(1),
    )
    .await;
    assert_eq!(ids.len(), 1_200);
    // A few in Quảng Trị that a Đắk Lắk export must leave out.
    for _ in 0..3 {
        app.establishment(&p.truong_phu.token, TRUONG_PHU, json!({}))
            .await;
    }

    // CSV as the national user, narrowed to Đắk Lắk: a header and 1,200 lines, each id once.
    let body = export_ok(
        &app,
        &p.national.token,
        "establishments.csv",
        &[("province", DAK_LAK)],
    )
    .await;
    assert!(body.starts_with(BOM));
    let text = std::str::from_utf8(&body[3..]).expect("UTF-8");
    assert_eq!(text.lines().count(), 1 + 1_200, "header + 1,200 rows");
    let (_, rows) = parse_csv(&body, "1,200 establishments");
    let got: Vec<String> = rows.iter().map(|r| r["id"].clone()).collect();
    let unique: BTreeSet<&String> = got.iter().collect();
    assert_eq!(unique.len(), 1_200, "no duplicates across pages");
    assert_eq!(sorted(got), sorted(ids.clone()));
    // Everything nationally.
    let body = export_ok(&app, &p.national.token, "establishments.csv", &[]).await;
    assert_eq!(parse_csv(&body, "all").1.len(), 1_203);

    // NDJSON as the province: the same 1,200.
    let body = export_ok(&app, &p.dak_lak.token, "establishments.ndjson", &[]).await;
    let rows = parse_ndjson(&body, "province");
    assert_eq!(rows.len(), 1_200);
    let got: BTreeSet<String> = rows
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(got.len(), 1_200);
    // The commune: its 600, over two pages.
    let body = export_ok(&app, &p.bmt.token, "establishments.ndjson", &[]).await;
    let rows = parse_ndjson(&body, "commune");
    assert_eq!(rows.len(), 600);
    assert!(rows.iter().all(|r| r["commune_code"] == BMT));
    let got: BTreeSet<String> = rows
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(got.len(), 600);

    // updatedSince: the last 700 changes, oldest first, across pages, each once.
    let since = rfc3339(base + Duration::milliseconds(500));
    let body = export_ok(
        &app,
        &p.national.token,
        "establishments.ndjson",
        &[("updatedSince", &since), ("province", DAK_LAK)],
    )
    .await;
    let rows = parse_ndjson(&body, "updatedSince");
    let got: Vec<String> = rows
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(
        got,
        ids[500..].to_vec(),
        "oldest change first, nothing missing or repeated"
    );
}
