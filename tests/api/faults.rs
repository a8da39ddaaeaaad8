//! Database faults during concurrent writes (PostgreSQL only; the machine's shared server is
//! never restarted, other tests use it): the test database stops accepting connections and
//! every connection of the server is terminated (`pg_terminate_backend`), as in a restart;
//! `/readyz` (which pings the database on every probe, with a 1 s timeout) turns false
//! within a second, clients get 503 `UNAVAILABLE` with `Retry-After` (never `INTERNAL`),
//! the pool recovers by itself within 5 s once the database is back, and every
//! acknowledged write is in the database. Then a plain cut (connections terminated, the
//! database still up) is recovered from within 5 s.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use sea_orm::{ConnectionTrait, Database};
use serde_json::json;

use crate::helpers::{
    TestApp, fresh_database,
    guard::{Raw, post_raw},
    spawn_app, spawn_app_with, spawn_instance,
};

async fn ready(app: &TestApp) -> bool {
    app.client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}

#[tokio::test]
async fn cut_connections_during_writes_lose_no_acknowledged_write() {
    let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("PostgreSQL only (TEST_DATABASE_URL): skipped");
        return;
    };
    if !admin_url.starts_with("postgres") {
        return;
    }
    let app = spawn_app().await;
    let user = app.national().await;
    let db_name = app
        .state
        .config
        .database_url
        .rsplit('/')
        .next()
        .and_then(|s| s.split('?').next())
        .expect("database name")
        .to_owned();
    let admin = Database::connect(&admin_url)
        .await
        .expect("admin connection");

    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let codes = Arc::new(Mutex::new(Vec::<(u16, String, Option<String>)>::new()));
    let stop = Instant::now() + Duration::from_secs(8);
    let mut writers = Vec::new();
    for w in 0..8 {
        let (client, address, token) =
            (app.client.clone(), app.address.clone(), user.token.clone());
        let (acknowledged, codes) = (Arc::clone(&acknowledged), Arc::clone(&codes));
        writers.push(tokio::spawn(async move {
            let mut i = 0;
            while Instant::now() < stop {
                i += 1;
                let name = format!("Nguồn {w}-{i}");
                let body = json!({
                    "query": "mutation($i: CreateFundingSourceInput!) { createFundingSource(input: $i) { id name } }",
                    "variables": { "i": { "name": name, "level": "NATIONAL", "fiscalYear": 2026, "amountVnd": 1000 } },
                });
                let r = post_raw(&client, &address, Some(&token), body.to_string(), &[]).await;
                if r.body["data"]["createFundingSource"]["name"] == name.as_str() {
                    acknowledged.lock().expect("lock").push(name);
                } else {
                    let code = r.body["errors"][0]["extensions"]["code"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned();
                    codes
                        .lock()
                        .expect("lock")
                        .push((r.status, code, r.retry_after));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }));
    }

    tokio::time::sleep(Duration::from_secs(1)).await;
    // The outage: no new connections, every existing one cut.
    admin
        .execute_unprepared(&format!("ALTER DATABASE {db_name} ALLOW_CONNECTIONS false"))
        .await
        .expect("block");
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{db_name}' AND pid <> pg_backend_pid()"
        ))
        .await
        .expect("terminate");
    // Readiness is probe-driven: every probe pings the database (1 s timeout). The first
    // probe asked after the cut must say "not ready".
    let cut = Instant::now();
    let mut not_ready = None;
    while cut.elapsed() < Duration::from_secs(5) {
        let asked = cut.elapsed();
        if !ready(&app).await {
            not_ready = Some((asked, cut.elapsed()));
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (asked, not_ready_after) = not_ready.expect("/readyz turned false during the outage");
    assert!(
        asked < Duration::from_secs(1),
        "a probe asked within a second of the cut says not ready (asked at {asked:?})"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;

    // The database is back; the pool recovers by itself.
    admin
        .execute_unprepared(&format!("ALTER DATABASE {db_name} ALLOW_CONNECTIONS true"))
        .await
        .expect("unblock");
    let back = Instant::now();
    while !ready(&app).await {
        assert!(
            back.elapsed() < Duration::from_secs(5),
            "pool did not recover in 5 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let recovered_after = back.elapsed();
    for w in writers {
        w.await.expect("writer");
    }

    let codes = codes.lock().expect("lock").clone();
    assert!(!codes.is_empty(), "some writes met the outage");
    for (status, code, retry_after) in &codes {
        assert_eq!(code, "UNAVAILABLE", "status {status}: {codes:?}");
        assert_eq!(*status, 503, "{codes:?}");
        let secs: u64 = retry_after
            .as_deref()
            .and_then(|s| s.parse().ok())
            .expect("Retry-After in seconds");
        assert!((1..=5).contains(&secs), "Retry-After {secs}");
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert!(!acknowledged.is_empty());
    for name in &acknowledged {
        let row = app
            .state
            .db
            .query_one_raw(sea_orm::Statement::from_sql_and_values(
                sea_orm::DatabaseBackend::Postgres,
                "SELECT COUNT(*) AS n FROM funding_source WHERE name = $1",
                [name.clone().into()],
            ))
            .await
            .expect("query")
            .expect("row");
        let n: i64 = row.try_get("", "n").expect("n");
        assert_eq!(n, 1, "acknowledged write {name} is in the database");
    }

    // A plain cut: every connection terminated, the database up. The next writes succeed
    // within 5 s without any help.
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{db_name}' AND pid <> pg_backend_pid()"
        ))
        .await
        .expect("terminate");
    let cut = Instant::now();
    let mut refused_after_cut = 0;
    loop {
        let name = format!("Sau khi cắt {refused_after_cut}");
        let body = json!({
            "query": "mutation($i: CreateFundingSourceInput!) { createFundingSource(input: $i) { name } }",
            "variables": { "i": { "name": name, "level": "NATIONAL", "fiscalYear": 2026, "amountVnd": 1 } },
        });
        let r = post_raw(
            &app.client,
            &app.address,
            Some(&user.token),
            body.to_string(),
            &[],
        )
        .await;
        if r.body["data"]["createFundingSource"]["name"] == name.as_str() {
            break;
        }
        assert_eq!(
            r.body["errors"][0]["extensions"]["code"], "UNAVAILABLE",
            "{:#}",
            r.body
        );
        refused_after_cut += 1;
        assert!(
            cut.elapsed() < Duration::from_secs(5),
            "no write succeeded within 5 s of the cut"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let write_after_cut = cut.elapsed();
    eprintln!(
        "outage: /readyz false after {not_ready_after:?}, recovered {recovered_after:?} after the database came back; \
         {} writes acknowledged (all found), {} refused with 503 UNAVAILABLE + Retry-After; \
         plain cut: first write acknowledged after {write_after_cut:?} ({refused_after_cut} refused)",
        acknowledged.len(),
        codes.len()
    );
    admin.close().await.ok();
}

/// Creates a funding source named `name` through `/graphql`.
async fn create_source(app: &TestApp, token: &str, name: &str, headers: &[(&str, &str)]) -> Raw {
    let body = json!({
        "query": "mutation($i: CreateFundingSourceInput!) { createFundingSource(input: $i) { name } }",
        "variables": { "i": { "name": name, "level": "NATIONAL", "fiscalYear": 2026, "amountVnd": 1000 } },
    });
    post_raw(
        &app.client,
        &app.address,
        Some(token),
        body.to_string(),
        headers,
    )
    .await
}

fn acknowledged(r: &Raw, name: &str) -> bool {
    r.status == 200 && r.body["data"]["createFundingSource"]["name"] == name
}

/// The names of every funding source in the database.
async fn stored_sources(app: &TestApp) -> std::collections::BTreeSet<String> {
    app.state
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT name FROM funding_source",
        ))
        .await
        .expect("read funding sources")
        .iter()
        .map(|row| row.try_get::<String>("", "name").expect("name"))
        .collect()
}

/// Asserts a refusal of a database that cannot store changes: 503 `UNAVAILABLE` with
/// `Retry-After`, and a message saying what happened and what an administrator must do.
fn assert_storage_refusal(r: &Raw, en: &str, vi: &str) {
    assert_eq!(r.status, 503, "{:#}", r.body);
    assert_eq!(r.body["errors"][0]["extensions"]["code"], "UNAVAILABLE");
    assert_eq!(r.retry_after.as_deref(), Some("60"));
    let message = r.body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(en) || message.contains(vi),
        "an actionable message: {message}"
    );
    assert!(message.contains("administrator") || message.contains("quản trị viên"));
}

fn sqlite_file(url: &str) -> std::path::PathBuf {
    let path = url.trim_start_matches("sqlite://");
    std::path::PathBuf::from(path.split('?').next().unwrap_or(path))
}

fn on_postgres() -> bool {
    std::env::var("TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres"))
}

#[tokio::test]
async fn a_read_only_sqlite_database_refuses_writes_clearly_and_keeps_acknowledged_ones() {
    if on_postgres() {
        return; // SQLite only.
    }
    let app = spawn_app().await;
    let user = app.national().await;
    let mut names = Vec::new();
    for i in 0..5 {
        let name = format!("Trước khi chỉ đọc {i}");
        assert!(acknowledged(
            &create_source(&app, &user.token, &name, &[]).await,
            &name
        ));
        names.push(name);
    }

    // The same file opened read-only, as a server whose file or mount does not allow
    // writing (`mode=ro` needs no privileges in a test; SQLite answers SQLITE_READONLY
    // the same way for a file it cannot write).
    let url = app.state.config.database_url.replace("mode=rwc", "mode=ro");
    assert!(url.contains("mode=ro"), "{url}");
    let ro = spawn_instance(url).await;
    for (lang, en, vi) in [
        ("en", "read-only", "chỉ đọc"),
        ("vi", "read-only", "chỉ đọc"),
    ] {
        let r = create_source(
            &ro,
            &user.token,
            "Khi chỉ đọc",
            &[("accept-language", lang)],
        )
        .await;
        assert_storage_refusal(&r, en, vi);
        if lang == "vi" {
            let m = r.body["errors"][0]["message"].as_str().unwrap_or_default();
            assert!(m.contains("chỉ đọc"), "{m}");
        }
    }
    // Reads still work there, and nothing acknowledged is missing.
    let data = ro
        .ok(
            Some(&user.token),
            "{ fundingSources(first: 100) { nodes { name } } }",
            json!({}),
        )
        .await;
    let read: Vec<&str> = data["fundingSources"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter_map(|n| n["name"].as_str())
        .collect();
    for name in &names {
        assert!(read.contains(&name.as_str()), "{name} in {read:?}");
    }
    let stored = stored_sources(&app).await;
    assert!(
        !stored.contains("Khi chỉ đọc"),
        "the refused write left nothing"
    );
    for name in &names {
        assert!(stored.contains(name));
    }
}

/// A small tmpfs, unmounted (lazily: the server may still hold its files) when dropped.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    /// Mounts a tmpfs of `bytes`; `None` when this process may not mount (not root).
    fn mount(bytes: u64) -> Option<Self> {
        let dir = std::env::temp_dir().join(format!(
            "kc_test_full_{}_{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).expect("dir");
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Self(dir))
    }

    fn resize(&self, bytes: u64) {
        let ok = std::process::Command::new("mount")
            .args(["-o", &format!("remount,size={bytes}")])
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "remount {}", self.0.display());
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn a_full_disk_under_sqlite_refuses_writes_clearly_and_keeps_acknowledged_ones() {
    if on_postgres() {
        return; // SQLite only.
    }
    let template = sqlite_file(&fresh_database().await);
    let size = std::fs::metadata(&template).expect("template").len();
    // Room for the file, its WAL index and a few hundred small writes.
    let Some(disk) = SmallDisk::mount(size + 1536 * 1024) else {
        // Mounting a tmpfs needs root (CI runs as root, so it runs there).
        eprintln!("a full disk needs a tmpfs mount (root): skipped");
        return;
    };
    let file = disk.0.join("full.db");
    std::fs::copy(&template, &file).expect("copy onto the small disk");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let app = spawn_app_with(|c| c.database_url = url).await;
    let user = app.national().await;

    let mut names = Vec::new();
    let mut refusal = None;
    for i in 0..5_000 {
        // Long names fill the disk sooner.
        let name = format!("Nguồn vốn đầy đĩa {i} {}", "x".repeat(250));
        let r = create_source(&app, &user.token, &name, &[]).await;
        if acknowledged(&r, &name) {
            names.push(name);
        } else {
            refusal = Some(r);
            break;
        }
    }
    let refusal = refusal.expect("the disk filled up");
    assert!(
        !names.is_empty(),
        "some writes fitted before the disk filled: {:#}",
        refusal.body
    );
    assert_storage_refusal(&refusal, "disk is full", "ổ đĩa đã đầy");
    // Still full: refused the same way, never INTERNAL.
    let r = create_source(&app, &user.token, "Vẫn đầy", &[("accept-language", "vi")]).await;
    assert_storage_refusal(&r, "disk is full", "ổ đĩa đã đầy");

    // Nothing acknowledged is lost, and reads still work.
    let stored = stored_sources(&app).await;
    for name in &names {
        assert!(stored.contains(name), "acknowledged write lost");
    }
    assert!(!stored.contains("Vẫn đầy"));
    let data = app
        .ok(
            Some(&user.token),
            "{ fundingSources { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(data["fundingSources"]["totalCount"], stored.len());

    // Space freed: writes work again, without a restart.
    disk.resize(size + 64 * 1024 * 1024);
    let r = create_source(&app, &user.token, "Sau khi giải phóng", &[]).await;
    assert!(acknowledged(&r, "Sau khi giải phóng"), "{:#}", r.body);
    eprintln!(
        "full disk: {} writes acknowledged before the refusal, all stored",
        names.len()
    );
}
