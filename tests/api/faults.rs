//! Database faults during concurrent writes (PostgreSQL only): the test database stops
//! accepting connections and every connection of the server is terminated
//! (`pg_terminate_backend`), as in a restart; `/readyz` turns false, clients get
//! `UNAVAILABLE` (never `INTERNAL`), the pool recovers by itself once the database is back,
//! and every acknowledged write is in the database.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use sea_orm::{ConnectionTrait, Database};
use serde_json::json;

use crate::helpers::{TestApp, guard::post_raw, spawn_app};

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
    let codes = Arc::new(Mutex::new(Vec::<(u16, String)>::new()));
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
                    codes.lock().expect("lock").push((r.status, code));
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
    let cut = Instant::now();
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{db_name}' AND pid <> pg_backend_pid()"
        ))
        .await
        .expect("terminate");
    let mut not_ready_after = None;
    while cut.elapsed() < Duration::from_secs(5) {
        if !ready(&app).await {
            not_ready_after = Some(cut.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let not_ready_after = not_ready_after.expect("/readyz turned false during the outage");
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
    for (status, code) in &codes {
        assert_eq!(code, "UNAVAILABLE", "status {status}: {codes:?}");
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
    eprintln!(
        "outage: /readyz false after {not_ready_after:?}, recovered {recovered_after:?} after the database came back; \
         {} writes acknowledged, {} refused with UNAVAILABLE",
        acknowledged.len(),
        codes.len()
    );
    admin.close().await.ok();
}
