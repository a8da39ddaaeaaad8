//! Importing establishments and products from CSV and XLSX uploads (GraphQL multipart):
//! dry runs, row errors in the request's language, all-or-nothing and partial imports,
//! old addresses, re-imports that change nothing, the caller's area, and refused files.

use std::io::Write;

use serde_json::{Value, json};

use crate::helpers::{TestApp, place, spawn_app, upload::xlsx};

const COUNT: &str = "{ establishments { totalCount nodes { name taxCode commune { code } kind sector inCraftVillage employeeCount } } }";

async fn count(app: &TestApp, token: &str) -> i64 {
    app.ok(Some(token), COUNT, json!({})).await["establishments"]["totalCount"]
        .as_i64()
        .expect("count")
}

fn report(body: &Value) -> &Value {
    assert!(body.get("errors").is_none(), "{body:#}");
    &body["data"]["importFile"]
}

/// A CSV as an office saves it from Excel: BOM, semicolons, Vietnamese headers.
fn office_csv() -> Vec<u8> {
    let mut s = String::from(
        "\u{feff}STT;Tên cơ sở;Loại hình;Mã số thuế;Mã xã;Ngành nghề;Thuộc làng nghề;Số lao động\n",
    );
    s.push_str("1;Cơ sở chế biến cà phê Ea Tam;Hộ kinh doanh;6000123456;24133;Chế biến nông, lâm, thủy sản và thực phẩm;Có;12\n");
    s.push_str("2;HTX dệt thổ cẩm Buôn Đôn;COOPERATIVE;;24121;TEXTILE_GARMENT;không;30\n");
    s.push_str(";;;;;;;\n");
    s.into_bytes()
}

#[tokio::test]
async fn a_dry_run_writes_nothing_and_a_second_import_changes_nothing() {
    let app = spawn_app().await;
    let officer = app.province(place::DAK_LAK).await;

    let body = app
        .import(
            &officer.token,
            "ESTABLISHMENTS",
            "co-so.csv",
            office_csv(),
            true,
            false,
            "vi",
        )
        .await;
    let r = report(&body);
    assert_eq!(r["dryRun"], true);
    assert_eq!(r["rowsRead"], 2, "the blank row is skipped: {r:#}");
    assert_eq!(r["rowsValid"], 2);
    assert_eq!(r["created"], 2, "{r:#}");
    assert_eq!(r["errors"], json!([]));
    assert_eq!(
        count(&app, &officer.token).await,
        0,
        "a dry run writes nothing"
    );

    let body = app
        .import(
            &officer.token,
            "ESTABLISHMENTS",
            "co-so.csv",
            office_csv(),
            false,
            false,
            "vi",
        )
        .await;
    assert_eq!(report(&body)["created"], 2);
    let d = app.ok(Some(&officer.token), COUNT, json!({})).await;
    let nodes = d["establishments"]["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), 2);
    let cafe = nodes
        .iter()
        .find(|n| n["taxCode"] == "6000123456")
        .expect("the row with a tax code");
    assert_eq!(
        cafe["kind"], "BUSINESS_HOUSEHOLD",
        "Vietnamese labels are accepted"
    );
    assert_eq!(cafe["sector"], "AGRO_FORESTRY_FISHERY_FOOD");
    assert_eq!(cafe["inCraftVillage"], true);
    assert_eq!(cafe["employeeCount"], 12);

    // The same file again: matched by tax code, else by name and commune.
    let body = app
        .import(
            &officer.token,
            "ESTABLISHMENTS",
            "co-so.csv",
            office_csv(),
            false,
            false,
            "vi",
        )
        .await;
    let r = report(&body);
    assert_eq!(
        (r["created"].as_i64(), r["unchanged"].as_i64()),
        (Some(0), Some(2)),
        "{r:#}"
    );
    assert_eq!(count(&app, &officer.token).await, 2);

    // A changed cell updates the record, audited as the mutation is.
    let changed = String::from_utf8(office_csv())
        .expect("utf8")
        .replace(";12\n", ";15\n");
    let body = app
        .import(
            &officer.token,
            "ESTABLISHMENTS",
            "co-so.csv",
            changed.into_bytes(),
            false,
            false,
            "vi",
        )
        .await;
    let r = report(&body);
    assert_eq!(
        (r["updated"].as_i64(), r["unchanged"].as_i64()),
        (Some(1), Some(1)),
        "{r:#}"
    );
    let d = app
        .ok(
            Some(&officer.token),
            "{ auditEvents(filter: { entityType: \"Establishment\" }, first: 100) { nodes { action } } }",
            json!({}),
        )
        .await;
    let actions: Vec<&str> = d["auditEvents"]["nodes"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["action"].as_str().expect("action"))
        .collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "create").count(),
        2,
        "{actions:?}"
    );
    assert_eq!(
        actions.iter().filter(|a| **a == "update").count(),
        1,
        "{actions:?}"
    );
}

/// English headers, lower case, comma-separated, no BOM; four rows with problems and one good.
fn faulty_csv() -> Vec<u8> {
    let mut s = String::from("name,kind,tax code,commune code,old address,sector,email\n");
    s.push_str("Good one,SME,,24133,,HANDICRAFT,\n");
    s.push_str("Bad tax,SME,12345,24133,,HANDICRAFT,\n");
    s.push_str("Elsewhere,SME,,19309,,HANDICRAFT,\n");
    s.push_str("Split,SME,,,\"Phường Điện Biên, Quận Ba Đình, Thành phố Hà Nội\",HANDICRAFT,\n");
    s.push_str("No kind,,,24133,,HANDICRAFT,not-an-email\n");
    s.into_bytes()
}

#[tokio::test]
async fn rows_with_errors_are_reported_and_nothing_is_written_unless_partial() {
    let app = spawn_app().await;
    let officer = app.province(place::DAK_LAK).await;
    let body = app
        .import(
            &officer.token,
            "ESTABLISHMENTS",
            "list.csv",
            faulty_csv(),
            false,
            false,
            "en",
        )
        .await;
    let r = report(&body);
    assert_eq!(r["rowsRead"], 5);
    assert_eq!(r["rowsValid"], 1, "{r:#}");
    assert_eq!(r["created"], 0, "all or nothing: {r:#}");
    assert_eq!(count(&app, &officer.token).await, 0);
    let errors = r["errors"].as_array().expect("errors");
    let find = |row: i64| -> Vec<&Value> { errors.iter().filter(|e| e["row"] == row).collect() };
    assert_eq!(find(3)[0]["column"], "tax code");
    assert_eq!(find(3)[0]["code"], "BAD_USER_INPUT");
    assert_eq!(
        find(4)[0]["code"],
        "FORBIDDEN",
        "another province's commune: {errors:#?}"
    );
    let split = find(5)[0];
    assert_eq!(split["code"], "AMBIGUOUS_ADDRESS");
    assert_eq!(split["column"], "old address");
    assert!(
        split["message"].as_str().expect("msg").contains("00070"),
        "{split:#}"
    );
    let no_kind: Vec<&str> = find(6)
        .iter()
        .map(|e| e["column"].as_str().unwrap_or(""))
        .collect();
    assert!(no_kind.contains(&"kind"), "{no_kind:?}");

    // In Vietnamese.
    let body = app
        .import(
            &officer.token,
            "ESTABLISHMENTS",
            "list.csv",
            faulty_csv(),
            true,
            false,
            "vi",
        )
        .await;
    let msg = report(&body)["errors"][0]["message"]
        .as_str()
        .expect("msg")
        .to_owned();
    assert!(msg.contains("Mã số thuế"), "{msg}");

    // Partial: the valid row is written, the others never.
    let body = app
        .import(
            &officer.token,
            "ESTABLISHMENTS",
            "list.csv",
            faulty_csv(),
            false,
            true,
            "en",
        )
        .await;
    assert_eq!(report(&body)["created"], 1);
    assert_eq!(count(&app, &officer.token).await, 1);
    let national = app.national().await;
    assert_eq!(
        count(&app, &national.token).await,
        1,
        "nothing written in Quảng Trị"
    );
}

#[tokio::test]
async fn an_xlsx_with_old_addresses_lands_in_todays_communes_and_products_follow() {
    let app = spawn_app().await;
    let officer = app.province(place::QUANG_TRI).await;
    let book = xlsx(&[
        &[
            "Tên cơ sở",
            "Loại hình",
            "Mã số thuế",
            "Địa chỉ cũ",
            "Ngành nghề",
        ],
        &[
            "Cơ sở nón lá Mai Thủy",
            "Nghệ nhân",
            "3100123456",
            "xa mai thuy, le thuy, quang binh",
            "Thủ công mỹ nghệ",
        ],
        &[
            "Cơ sở mây tre",
            "SME",
            "",
            "Xã Mai Thủy, huyện Lệ Thủy, tỉnh Quảng Bình",
            "HANDICRAFT",
        ],
    ]);
    let body = app
        .import(
            &officer.token,
            "ESTABLISHMENTS",
            "co-so.xlsx",
            book,
            false,
            false,
            "vi",
        )
        .await;
    let r = report(&body);
    assert_eq!(r["created"], 2, "{r:#}");
    let d = app.ok(Some(&officer.token), COUNT, json!({})).await;
    for n in d["establishments"]["nodes"].as_array().expect("nodes") {
        assert_eq!(n["commune"]["code"], place::TRUONG_PHU);
    }

    let products = xlsx(&[
        &[
            "Mã số thuế cơ sở",
            "Tên cơ sở",
            "Mã xã",
            "Tên sản phẩm",
            "Nhóm OCOP",
        ],
        &[
            "3100123456",
            "",
            "",
            "Nón lá bài thơ",
            "Thủ công mỹ nghệ, vải và may mặc",
        ],
        &["", "Cơ sở mây tre", "19309", "Giỏ mây", ""],
        &["9999999999", "", "", "Không có cơ sở", ""],
    ]);
    let body = app
        .import(
            &officer.token,
            "PRODUCTS",
            "sp.xlsx",
            products.clone(),
            false,
            true,
            "en",
        )
        .await;
    let r = report(&body);
    assert_eq!(r["created"], 2, "{r:#}");
    assert_eq!(r["errors"][0]["row"], 4);
    assert_eq!(r["errors"][0]["code"], "NOT_FOUND");
    let body = app
        .import(
            &officer.token,
            "PRODUCTS",
            "sp.xlsx",
            products,
            false,
            true,
            "en",
        )
        .await;
    let r = report(&body);
    assert_eq!(
        (r["created"].as_i64(), r["unchanged"].as_i64()),
        (Some(0), Some(2)),
        "{r:#}"
    );

    // Another province's officer cannot touch these through a file.
    let other = app.province(place::DAK_LAK).await;
    let products = xlsx(&[
        &["Mã số thuế cơ sở", "Tên sản phẩm"],
        &["3100123456", "Nón lá khác"],
    ]);
    let body = app
        .import(
            &other.token,
            "PRODUCTS",
            "sp.xlsx",
            products,
            false,
            false,
            "en",
        )
        .await;
    assert_eq!(report(&body)["errors"][0]["code"], "NOT_FOUND");
}

fn zip_bomb() -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    w.start_file("[Content_Types].xml", opts).expect("entry");
    w.write_all(b"<Types/>").expect("write");
    w.start_file("xl/workbook.xml", opts).expect("entry");
    let zeros = vec![b' '; 1024 * 1024];
    for _ in 0..64 {
        w.write_all(&zeros).expect("write");
    }
    w.finish().expect("zip").into_inner()
}

#[tokio::test]
async fn bad_files_get_a_clear_error_and_write_nothing() {
    let app = spawn_app().await;
    let officer = app.province(place::DAK_LAK).await;
    let mut formula = rust_xlsxwriter::Workbook::new();
    let ws = formula.add_worksheet();
    for (c, h) in ["Tên cơ sở", "Loại hình", "Mã xã", "Ngành nghề"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).expect("cell");
    }
    ws.write_formula(1, 0, "=\"Cơ sở \"&\"A\"")
        .expect("formula");
    let formula = formula.save_to_buffer().expect("xlsx");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "image.png",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
            "neither a CSV",
        ),
        (
            "garbage.csv",
            (0..=255u8).cycle().take(4096).collect(),
            "neither a CSV",
        ),
        ("bomb.xlsx", zip_bomb(), "ZIP bomb"),
        ("formula.xlsx", formula, "formula"),
        (
            "csv-formula.csv",
            b"name,kind,commune code,sector\n=1+1,SME,24133,OTHER\n".to_vec(),
            "formula",
        ),
        (
            "no-header.csv",
            b"kind,commune code\nSME,24133\n".to_vec(),
            "lacks the column",
        ),
        ("empty.csv", Vec::new(), "neither a CSV"),
    ];
    for (name, bytes, expected) in cases {
        let body = app
            .import(
                &officer.token,
                "ESTABLISHMENTS",
                name,
                bytes,
                false,
                true,
                "en",
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{name}: {body:#}"
        );
        assert_eq!(body["errors"][0]["extensions"]["field"], "file", "{name}");
        let msg = body["errors"][0]["message"].as_str().expect("message");
        assert!(msg.contains(expected), "{name}: {msg}");
    }
    assert_eq!(count(&app, &officer.token).await, 0);

    // A body over 20 MiB is refused from its declared length, before it is read.
    let (status, _) = app
        .upload(
            Some(&officer.token),
            "mutation($file: Upload!) { importFile(entity: ESTABLISHMENTS, file: $file, dryRun: true) { rowsRead } }",
            json!({}),
            "big.csv",
            vec![b'a'; 21 * 1024 * 1024],
            &[],
        )
        .await;
    assert_eq!(status, 413);
    // A read-only account cannot import.
    let ministry = app
        .user(khuyencong::enums::Role::National, None, None, false, true)
        .await;
    let body = app
        .import(
            &ministry.token,
            "ESTABLISHMENTS",
            "co-so.csv",
            office_csv(),
            true,
            false,
            "en",
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
}

#[tokio::test]
async fn templates_are_workbooks_with_vietnamese_headers_and_notes() {
    use calamine::{Reader, Xlsx};
    let app = spawn_app().await;
    for (entity, first) in [
        ("establishments", "Tên cơ sở"),
        ("products", "Mã số thuế cơ sở"),
    ] {
        let r = app
            .client
            .get(format!("{}/templates/{entity}.xlsx", app.address))
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .expect("type")
                .contains("spreadsheetml")
        );
        let bytes = r.bytes().await.expect("bytes").to_vec();
        let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.clone())).expect("xlsx");
        assert_eq!(wb.sheet_names()[1], "Hướng dẫn");
        let sheet = wb.sheet_names()[0].clone();
        let range = wb.worksheet_range(&sheet).expect("sheet");
        assert_eq!(
            range.get((0, 0)).map(|d| d.to_string()),
            Some(first.to_owned())
        );
        // The empty template imports as a file with no rows.
        let officer = app.province(place::DAK_LAK).await;
        let e = if entity == "products" {
            "PRODUCTS"
        } else {
            "ESTABLISHMENTS"
        };
        let body = app
            .import(&officer.token, e, "t.xlsx", bytes, true, false, "vi")
            .await;
        assert_eq!(report(&body)["rowsRead"], 0);
    }
    let r = app
        .client
        .get(format!("{}/templates/users.xlsx", app.address))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn large_files_are_written_in_batches_with_every_audit_event_and_change() {
    use khuyencong::db::entities::{audit_event, change_event};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let app = spawn_app().await;
    let officer = app.province(place::DAK_LAK).await;
    let mut s = String::from("Tên cơ sở;Loại hình;Mã số thuế;Mã xã;Ngành nghề;Số lao động\n");
    for i in 0..1200 {
        let commune = if i % 2 == 0 { "24133" } else { "24121" };
        s.push_str(&format!(
            "Cơ sở số {i};SME;{};{commune};HANDICRAFT;5\n",
            6100000000u64 + i
        ));
    }
    // The last row names (without a tax code) one created in the same, not yet written, batch.
    s.push_str("Cơ sở số 1100;SME;;24133;HANDICRAFT;40\n");
    let started = std::time::Instant::now();
    let body = app
        .import(
            &officer.token,
            "ESTABLISHMENTS",
            "lon.csv",
            s.into_bytes(),
            false,
            false,
            "en",
        )
        .await;
    eprintln!("1,201 rows imported in {:?}", started.elapsed());
    let r = report(&body);
    assert_eq!(r["errors"], json!([]), "{r:#}");
    assert_eq!(
        (r["created"].as_i64(), r["updated"].as_i64()),
        (Some(1200), Some(1))
    );
    assert_eq!(count(&app, &officer.token).await, 1200);
    let d = app
        .ok(
            Some(&officer.token),
            "{ establishments(filter: { search: \"Cơ sở số 1100\" }) { nodes { employeeCount version } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        d["establishments"]["nodes"],
        json!([{ "employeeCount": 40, "version": 2 }]),
        "found and updated, not created twice"
    );
    let creates = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("create"))
        .filter(audit_event::Column::EntityType.eq("Establishment"))
        .filter(audit_event::Column::ActorId.is_not_null())
        .count(&app.state.db)
        .await
        .expect("count");
    assert_eq!(creates, 1200);
    let changes = change_event::Entity::find()
        .filter(change_event::Column::EntityType.eq("Establishment"))
        .count(&app.state.db)
        .await
        .expect("count");
    assert_eq!(
        changes, 1201,
        "1,200 creations and one update in the change feed"
    );
}
