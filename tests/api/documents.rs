//! Evidence documents through real multipart requests: each accepted type stored and served
//! back, types judged from the bytes (a renamed executable is refused), the 20 MiB limit,
//! content-addressed storage shared between records, downloads only for those who see the
//! owner, the audit trail, and an S3-compatible bucket (moto's server, when it can run here).

use std::io::Write;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{
    TestApp,
    common::{assert_ok, audit_rows, id_of, row_id},
    flows::{
        ocop::opened_in,
        product_in,
        project::{new_project, project_input},
    },
    place, spawn_app, spawn_app_with,
    upload::xlsx,
};

const UPLOAD: &str = "mutation($o: ID!, $k: DocumentKind!, $file: Upload!, $key: String) { \
    uploadDocument(ownerId: $o, kind: $k, file: $file, idempotencyKey: $key) { \
    id kind fileName contentType sizeBytes sha256 uploadedAt uploadedBy { id } downloadUrl } }";

const DELETE: &str = "mutation($id: ID!) { deleteDocument(id: $id) }";

const PDF_MIME: &str = "application/pdf";
const DOCX_MIME: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn pdf(tag: &str) -> Vec<u8> {
    format!("%PDF-1.7\n1 0 obj <<>> endobj\n% {tag}\ntrailer <<>>\n%%EOF\n").into_bytes()
}

fn jpeg() -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    v.extend(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    v.extend([0xFF, 0xD9]);
    v
}

fn png() -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend([0, 0, 0, 13]);
    v.extend(b"IHDR");
    v.extend([
        0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0, 0x90, 0x77, 0x53, 0xDE,
    ]);
    v
}

fn webp() -> Vec<u8> {
    let mut v = b"RIFF".to_vec();
    v.extend(26u32.to_le_bytes());
    v.extend(b"WEBPVP8L");
    v.extend(13u32.to_le_bytes());
    v.extend([
        0x2f, 0, 0, 0, 0x10, 0x07, 0x10, 0x11, 0x11, 0x88, 0x88, 0xfe, 0x07, 0,
    ]);
    v
}

fn zip_of(entries: &[(&str, &str)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in entries {
        w.start_file(*name, opts).expect("entry");
        w.write_all(text.as_bytes()).expect("write");
    }
    w.finish().expect("zip").into_inner()
}

fn docx() -> Vec<u8> {
    zip_of(&[
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#,
        ),
        ("_rels/.rels", r#"<?xml version="1.0"?><Relationships/>"#),
        (
            "word/document.xml",
            r#"<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Biên bản nghiệm thu</w:t></w:r></w:p></w:body></w:document>"#,
        ),
    ])
}

/// `uploadDocument` as `token` (status and body).
async fn upload_raw(
    app: &TestApp,
    token: &str,
    owner: &str,
    kind: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (u16, Value) {
    app.upload(
        Some(token),
        UPLOAD,
        json!({ "o": owner, "k": kind }),
        name,
        bytes,
        &[("accept-language", "en")],
    )
    .await
}

/// `uploadDocument` that must succeed; returns the document.
async fn upload(
    app: &TestApp,
    token: &str,
    owner: &str,
    kind: &str,
    name: &str,
    bytes: Vec<u8>,
) -> Value {
    let (status, body) = upload_raw(app, token, owner, kind, name, bytes).await;
    assert_eq!(status, 200, "{body:#}");
    assert_ok(&body, "uploadDocument");
    body["data"]["uploadDocument"].clone()
}

/// `GET` a download URL (status, headers, bytes).
async fn download(
    app: &TestApp,
    token: Option<&str>,
    url: &str,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut req = app.client.get(format!("{}{url}", app.address));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.expect("get");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let bytes = r.bytes().await.expect("body").to_vec();
    (status, headers, bytes)
}

async fn documents_of(app: &TestApp, token: &str, establishment: &str) -> Vec<Value> {
    let d = app
        .ok(
            Some(token),
            "query($id: ID!) { establishment(id: $id) { documents { id fileName sha256 } } }",
            json!({ "id": establishment }),
        )
        .await;
    d["establishment"]["documents"]
        .as_array()
        .expect("documents")
        .clone()
}

fn sha256_hex(bytes: &[u8]) -> String {
    khuyencong::domain::document::sha256_hex(bytes)
}

/// The files under the document folder of the app.
fn stored_files(app: &TestApp) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else {
                    out.push(p);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(&app.state.config.documents_dir(), &mut out);
    out
}

#[tokio::test]
async fn each_accepted_type_is_stored_and_served_back_with_its_type() {
    let app = spawn_app().await;
    let officer = app.province(place::DAK_LAK).await;
    let est = id_of(
        &app.establishment(&officer.token, place::BMT, json!({}))
            .await,
    );
    let cases: Vec<(&str, &str, Vec<u8>, &str, &str)> = vec![
        (
            "DECISION",
            "Quyết định 12.pdf",
            pdf("a"),
            PDF_MIME,
            "Quyết định 12.pdf",
        ),
        ("PHOTO", "anh.jpeg", jpeg(), "image/jpeg", "anh.jpeg"),
        ("PHOTO", "xuong.png", png(), "image/png", "xuong.png"),
        // The declared name does not decide: a WebP named .jpg keeps its real extension.
        (
            "PHOTO",
            "san-pham.jpg",
            webp(),
            "image/webp",
            "san-pham.jpg.webp",
        ),
        (
            "ACCEPTANCE_RECORD",
            "C:\\ho so\\bien-ban.docx",
            docx(),
            DOCX_MIME,
            "bien-ban.docx",
        ),
        (
            "INVOICE",
            "../../hoa-don.xlsx",
            xlsx(&[&["Hóa đơn"], &["1250000"]]),
            XLSX_MIME,
            "hoa-don.xlsx",
        ),
    ];
    let mut ids = Vec::new();
    for (kind, name, bytes, mime, stored_name) in &cases {
        let doc = upload(&app, &officer.token, &est, kind, name, bytes.clone()).await;
        assert_eq!(doc["kind"], *kind);
        assert_eq!(doc["contentType"], *mime, "{name}");
        assert_eq!(doc["fileName"], *stored_name);
        assert_eq!(doc["sizeBytes"], bytes.len());
        assert_eq!(doc["sha256"], sha256_hex(bytes));
        assert_eq!(doc["uploadedBy"]["id"], officer.id);
        let url = doc["downloadUrl"].as_str().expect("url").to_owned();
        assert_eq!(url, format!("/documents/{}", id_of(&doc)));
        let (status, headers, got) = download(&app, Some(&officer.token), &url).await;
        assert_eq!(status, 200, "{name}");
        assert_eq!(&got, bytes, "{name}: the bytes come back unchanged");
        assert_eq!(headers["content-type"], *mime);
        let disposition = headers["content-disposition"].to_str().expect("ascii");
        assert!(
            disposition.starts_with("attachment; filename=\""),
            "{disposition}"
        );
        assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");
        assert!(
            !disposition.contains('/') && !disposition.contains('\\'),
            "{disposition}"
        );
        ids.push(id_of(&doc));
    }
    let listed: Vec<String> = documents_of(&app, &officer.token, &est)
        .await
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(listed, ids, "oldest first");
    let pdf_disposition = download(
        &app,
        Some(&officer.token),
        &format!("/documents/{}", ids[0]),
    )
    .await
    .1["content-disposition"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_eq!(
        pdf_disposition,
        "attachment; filename=\"Quyet dinh 12.pdf\"; filename*=UTF-8''Quy%E1%BA%BFt%20%C4%91%E1%BB%8Bnh%2012.pdf"
    );

    // node(id) finds a document too.
    let d = app
        .ok(
            Some(&officer.token),
            "query($id: ID!) { node(id: $id) { ... on Document { fileName } } }",
            json!({ "id": ids[1] }),
        )
        .await;
    assert_eq!(d["node"]["fileName"], "anh.jpeg");

    // Every upload and download is in the audit trail, in the establishment's area.
    let rows = audit_rows(&app, "Document", row_id(&ids[0])).await;
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        ["uploadDocument", "downloadDocument", "downloadDocument"]
    );
    assert_eq!(rows[0].province_code.as_deref(), Some(place::DAK_LAK));
    assert_eq!(rows[0].commune_code.as_deref(), Some(place::BMT));
    assert_eq!(rows[0].actor_id, Some(row_id(&officer.id)));
    let changes: Value = serde_json::from_str(&rows[0].changes).expect("json");
    assert_eq!(changes["sha256"], sha256_hex(&pdf("a")));
    assert_eq!(changes["ownerType"], "Establishment");
}

#[tokio::test]
async fn projects_and_ocop_evaluations_take_documents_too() {
    let app = spawn_app().await;
    let national = app.national().await;
    let officer = app.province(place::DAK_LAK).await;
    let title = json!({ "title": "Đào tạo nghề dệt thổ cẩm" });
    let project = new_project(
        &app,
        &officer.token,
        project_input("LOCAL", place::DAK_LAK, title),
    )
    .await;
    let product = product_in(&app, &national.token, place::BMT, "Cà phê Ea Tam").await;
    let evaluation = id_of(&opened_in(&app, &officer.token, &product, 2026, "NEW").await);

    let p = upload(
        &app,
        &officer.token,
        &project,
        "DECISION",
        "qd.pdf",
        pdf("project"),
    )
    .await;
    let e = upload(
        &app,
        &officer.token,
        &evaluation,
        "PRODUCT_DOSSIER",
        "ho-so.docx",
        docx(),
    )
    .await;
    let d = app
        .ok(
            Some(&officer.token),
            "query($p: ID!, $e: ID!) { project(id: $p) { documents { id kind } } \
             evaluation: node(id: $e) { ... on OcopEvaluation { documents { id kind } } } }",
            json!({ "p": project, "e": evaluation }),
        )
        .await;
    assert_eq!(
        d["project"]["documents"],
        json!([{ "id": p["id"], "kind": "DECISION" }])
    );
    assert_eq!(
        d["evaluation"]["documents"],
        json!([{ "id": e["id"], "kind": "PRODUCT_DOSSIER" }])
    );
    // A product is not a record documents attach to.
    let (_, body) = upload_raw(&app, &officer.token, &product, "OTHER", "x.pdf", pdf("x")).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{body:#}"
    );
}

#[tokio::test]
async fn other_types_are_refused_by_their_content_whatever_their_name() {
    let app = spawn_app().await;
    let officer = app.province(place::DAK_LAK).await;
    let est = id_of(
        &app.establishment(&officer.token, place::BMT, json!({}))
            .await,
    );
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00".to_vec();
    exe.extend(b"This program cannot be run in DOS mode.\r\n");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("quyet-dinh.pdf", exe),
        ("anh.png", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec()),
        (
            "ho-so.docx",
            zip_of(&[("readme.txt", "not an office document")]),
        ),
        (
            "bao-cao.pdf",
            b"<html><script>alert(1)</script></html>".to_vec(),
        ),
        ("empty.pdf", Vec::new()),
    ];
    for (name, bytes) in cases {
        let (status, body) = upload_raw(&app, &officer.token, &est, "OTHER", name, bytes).await;
        assert_eq!(status, 200, "{name}: {body:#}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{name}: {body:#}"
        );
        assert_eq!(body["errors"][0]["extensions"]["field"], "file", "{name}");
    }
    let (_, body) = upload_raw(&app, &officer.token, &est, "OTHER", "setup.pdf", {
        let mut v = b"MZ".to_vec();
        v.extend([0u8; 64]);
        v
    })
    .await;
    let msg = body["errors"][0]["message"].as_str().expect("message");
    assert!(
        msg.contains("PDF, JPEG, PNG, WebP, DOCX or XLSX") && msg.contains("content"),
        "{msg}"
    );
    // In Vietnamese too.
    let (_, body) = app
        .upload(
            Some(&officer.token),
            UPLOAD,
            json!({ "o": est, "k": "OTHER" }),
            "setup.pdf",
            b"MZ\x90\x00".to_vec(),
            &[("accept-language", "vi")],
        )
        .await;
    let msg = body["errors"][0]["message"].as_str().expect("message");
    assert!(msg.contains("Tệp không phải PDF"), "{msg}");
    assert!(documents_of(&app, &officer.token, &est).await.is_empty());
    assert!(stored_files(&app).is_empty(), "nothing was stored");
}

#[tokio::test]
async fn twenty_mebibytes_is_the_limit_and_a_larger_body_is_refused_unread() {
    let app = spawn_app().await;
    let officer = app.province(place::DAK_LAK).await;
    let est = id_of(
        &app.establishment(&officer.token, place::BMT, json!({}))
            .await,
    );
    let limit = 20 * 1024 * 1024;
    let mut exact = pdf("big");
    exact.resize(limit, b' ');
    let doc = upload(&app, &officer.token, &est, "OTHER", "big.pdf", exact).await;
    assert_eq!(doc["sizeBytes"], limit);

    let mut over = pdf("bigger");
    over.resize(limit + 1, b' ');
    let (_, body) = upload_raw(&app, &officer.token, &est, "OTHER", "over.pdf", over).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body:#}"
    );
    let msg = body["errors"][0]["message"].as_str().expect("message");
    assert!(msg.contains("20 MiB"), "{msg}");
    // A body beyond the file and its envelope is refused by the edge (413).
    let (status, body) = upload_raw(
        &app,
        &officer.token,
        &est,
        "OTHER",
        "huge.pdf",
        vec![b'%'; limit + 300 * 1024],
    )
    .await;
    assert_eq!(status, 413, "{body:#}");

    // A body declared at 100 MiB is answered 413 at once, before any of it is sent.
    let addr = app.address.trim_start_matches("http://").to_owned();
    let mut s = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: {}\r\n\r\n",
        officer.token,
        100 * 1024 * 1024
    );
    s.write_all(head.as_bytes()).await.expect("write");
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), s.read(&mut buf))
        .await
        .expect("answered without waiting for the body")
        .expect("read");
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert_eq!(documents_of(&app, &officer.token, &est).await.len(), 1);
}

#[tokio::test]
async fn the_same_bytes_are_kept_once_and_outlive_one_of_their_documents() {
    let app = spawn_app().await;
    let officer = app.province(place::DAK_LAK).await;
    let a = id_of(
        &app.establishment(&officer.token, place::BMT, json!({}))
            .await,
    );
    let b = id_of(
        &app.establishment(&officer.token, place::DAK_LAK_OTHER, json!({}))
            .await,
    );
    let bytes = pdf("shared");
    let da = upload(
        &app,
        &officer.token,
        &a,
        "DECISION",
        "qd-a.pdf",
        bytes.clone(),
    )
    .await;
    let db = upload(
        &app,
        &officer.token,
        &b,
        "DECISION",
        "qd-b.pdf",
        bytes.clone(),
    )
    .await;
    assert_ne!(da["id"], db["id"]);
    assert_eq!(da["sha256"], db["sha256"]);
    let files = stored_files(&app);
    assert_eq!(files.len(), 1, "content-addressed: one copy ({files:?})");
    assert!(
        files[0].ends_with(format!(
            "sha256/{}/{}",
            &sha256_hex(&bytes)[..2],
            sha256_hex(&bytes)
        )),
        "{files:?}"
    );

    // The same idempotency key returns the first document and stores nothing new.
    let first = app
        .upload(
            Some(&officer.token),
            UPLOAD,
            json!({ "o": a, "k": "PHOTO", "key": "retry-1" }),
            "anh.png",
            png(),
            &[],
        )
        .await
        .1;
    let again = app
        .upload(
            Some(&officer.token),
            UPLOAD,
            json!({ "o": a, "k": "PHOTO", "key": "retry-1" }),
            "anh.png",
            png(),
            &[],
        )
        .await
        .1;
    assert_ok(&again, "replay");
    assert_eq!(
        first["data"]["uploadDocument"]["id"],
        again["data"]["uploadDocument"]["id"]
    );
    assert_eq!(documents_of(&app, &officer.token, &a).await.len(), 2);

    let d = app
        .ok(Some(&officer.token), DELETE, json!({ "id": da["id"] }))
        .await;
    assert_eq!(d["deleteDocument"], true);
    let (status, _, got) = download(
        &app,
        Some(&officer.token),
        db["downloadUrl"].as_str().expect("url"),
    )
    .await;
    assert_eq!(
        status, 200,
        "the other record's document still has its bytes"
    );
    assert_eq!(got, bytes);
    let (status, _, _) = download(
        &app,
        Some(&officer.token),
        da["downloadUrl"].as_str().expect("url"),
    )
    .await;
    assert_eq!(status, 404, "the deleted document is gone");
    assert_eq!(stored_files(&app).len(), 2, "the PDF and the PNG");

    app.ok(Some(&officer.token), DELETE, json!({ "id": db["id"] }))
        .await;
    assert_eq!(
        stored_files(&app).len(),
        1,
        "the last reference took the PDF's bytes"
    );
    let body = app
        .gql(Some(&officer.token), DELETE, json!({ "id": db["id"] }))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");

    let rows = audit_rows(&app, "Document", row_id(&id_of(&da))).await;
    assert_eq!(rows.last().expect("row").action, "deleteDocument");
    let changes: Value = serde_json::from_str(&rows.last().expect("row").changes).expect("json");
    assert_eq!(changes["bytesKept"], true);
    let rows = audit_rows(&app, "Document", row_id(&id_of(&db))).await;
    let changes: Value = serde_json::from_str(&rows.last().expect("row").changes).expect("json");
    assert_eq!(changes["bytesKept"], false);
}

#[tokio::test]
async fn only_those_who_see_the_owner_may_download_and_only_its_editors_change() {
    let app = spawn_app().await;
    let province = app.province(place::DAK_LAK).await;
    let commune = app.commune(place::BMT).await;
    let other_commune = app.commune(place::DAK_LAK_OTHER).await;
    let other_province = app.province(place::QUANG_TRI).await;
    let national = app.national().await;
    let reader = app
        .user(
            khuyencong::enums::Role::Province,
            Some(place::DAK_LAK),
            None,
            false,
            true,
        )
        .await;
    let est = id_of(
        &app.establishment(&province.token, place::BMT, json!({}))
            .await,
    );
    let doc = upload(
        &app,
        &commune.token,
        &est,
        "CONTRACT",
        "hop-dong.pdf",
        pdf("c"),
    )
    .await;
    let url = doc["downloadUrl"].as_str().expect("url").to_owned();

    for who in [&province, &commune, &national, &reader] {
        let (status, _, got) = download(&app, Some(&who.token), &url).await;
        assert_eq!(status, 200, "{}", who.username);
        assert_eq!(got, pdf("c"));
    }
    let (outsider_status, outsider_headers, _) =
        download(&app, Some(&other_province.token), &url).await;
    let (missing_status, missing_headers, _) = download(
        &app,
        Some(&other_province.token),
        "/documents/RG9jdW1lbnQ6OTk5OTk",
    )
    .await;
    assert_eq!(outsider_status, 404);
    assert_eq!(
        missing_status, 404,
        "an outsider cannot tell a document from none"
    );
    assert_eq!(
        outsider_headers["content-type"],
        missing_headers["content-type"]
    );
    for url in [
        url.as_str(),
        "/documents/..%2F..%2Fetc%2Fpasswd",
        "/documents/not-an-id",
    ] {
        let (status, _, _) = download(&app, Some(&other_commune.token), url).await;
        assert_eq!(status, 404, "{url}");
    }
    let (status, _, _) = download(&app, None, &url).await;
    assert_eq!(status, 401, "anonymous callers are asked to sign in");

    // Outsiders can neither attach to nor delete from the record; a read-only account can
    // read but not change.
    let (_, body) = upload_raw(
        &app,
        &other_province.token,
        &est,
        "OTHER",
        "x.pdf",
        pdf("x"),
    )
    .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{body:#}"
    );
    let (_, body) = upload_raw(&app, &reader.token, &est, "OTHER", "x.pdf", pdf("x")).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body:#}"
    );
    for who in [&other_province, &other_commune] {
        let body = app
            .gql(Some(&who.token), DELETE, json!({ "id": doc["id"] }))
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "NOT_FOUND",
            "{body:#}"
        );
    }
    let body = app
        .gql(Some(&reader.token), DELETE, json!({ "id": doc["id"] }))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let d = app
        .gql(
            Some(&other_province.token),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": doc["id"] }),
        )
        .await;
    assert_eq!(d["data"]["node"], Value::Null);

    // Downloads by the four who could are audited; the refused ones are not.
    let rows = audit_rows(&app, "Document", row_id(&id_of(&doc))).await;
    let downloads = rows
        .iter()
        .filter(|r| r.action == "downloadDocument")
        .count();
    assert_eq!(downloads, 4);
    assert_eq!(rows.len(), 5);
}

/// A moto S3 server on a free port, stopped when dropped.
struct Moto {
    child: std::process::Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_moto() -> Result<Moto, String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let child = std::process::Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| {
            format!("moto_server cannot start ({e}); install it with pip install 'moto[server]'")
        })?;
    let moto = Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client.get(&moto.endpoint).send().await.is_ok() {
            return Ok(moto);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err("moto_server did not answer within 10 s".into())
}

#[tokio::test]
async fn documents_live_in_an_s3_compatible_bucket_when_one_is_configured() {
    let moto = match start_moto().await {
        Ok(m) => m,
        Err(reason) => {
            eprintln!("SKIPPED documents_live_in_an_s3_compatible_bucket: {reason}");
            return;
        }
    };
    let client = reqwest::Client::new();
    let bucket = "kc-documents";
    let r = client
        .put(format!("{}/{bucket}", moto.endpoint))
        .send()
        .await
        .expect("create bucket");
    assert!(r.status().is_success(), "{}", r.status());
    let endpoint = moto.endpoint.clone();
    let app = spawn_app_with(|c| {
        c.s3 = Some(khuyencong::config::S3Config {
            bucket: bucket.into(),
            endpoint: Some(endpoint),
            region: Some("us-east-1".into()),
            access_key_id: Some("testing".into()),
            secret_access_key: Some("testing".into()),
            prefix: Some("kc".into()),
        });
    })
    .await;
    let officer = app.province(place::DAK_LAK).await;
    let a = id_of(
        &app.establishment(&officer.token, place::BMT, json!({}))
            .await,
    );
    let b = id_of(
        &app.establishment(&officer.token, place::BMT, json!({}))
            .await,
    );
    let bytes = xlsx(&[&["Hóa đơn"], &["1250000"]]);
    let sha = sha256_hex(&bytes);
    // The bucket seen with its own credentials, as an operator would.
    let bucket_view = object_store::aws::AmazonS3Builder::new()
        .with_endpoint(&moto.endpoint)
        .with_allow_http(true)
        .with_bucket_name(bucket)
        .with_region("us-east-1")
        .with_access_key_id("testing")
        .with_secret_access_key("testing")
        .build()
        .expect("bucket client");
    let object = object_store::path::Path::from(format!("kc/sha256/{}/{sha}", &sha[..2]));
    let in_bucket = || async {
        use object_store::ObjectStoreExt;
        match bucket_view.get(&object).await {
            Ok(r) => Some(r.bytes().await.expect("bytes").to_vec()),
            Err(object_store::Error::NotFound { .. }) => None,
            Err(e) => panic!("bucket: {e}"),
        }
    };
    let da = upload(
        &app,
        &officer.token,
        &a,
        "INVOICE",
        "hoa-don.xlsx",
        bytes.clone(),
    )
    .await;
    let db = upload(
        &app,
        &officer.token,
        &b,
        "INVOICE",
        "hoa-don.xlsx",
        bytes.clone(),
    )
    .await;
    assert!(stored_files(&app).is_empty(), "nothing on the local disk");
    assert_eq!(
        in_bucket().await,
        Some(bytes.clone()),
        "the object is in the bucket under its hash"
    );

    let (status, headers, got) = download(
        &app,
        Some(&officer.token),
        da["downloadUrl"].as_str().expect("url"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], XLSX_MIME);
    assert_eq!(got, bytes);

    app.ok(Some(&officer.token), DELETE, json!({ "id": da["id"] }))
        .await;
    assert!(in_bucket().await.is_some(), "still shared");
    app.ok(Some(&officer.token), DELETE, json!({ "id": db["id"] }))
        .await;
    assert_eq!(in_bucket().await, None, "removed with its last document");
}
