//! `KC_DATABASE_READ_URL`: reports, exports and read-only callers read a PostgreSQL streaming
//! replica within its lag limit; a caller who wrote reads its own writes from the primary;
//! past the lag limit everyone reads the primary.
//!
//! Needs a streaming replica of `TEST_DATABASE_URL`'s cluster at `TEST_REPLICA_URL` (default
//! `postgres://postgres@127.0.0.1:5433/postgres`); `.ci/replica` makes one with
//! `pg_basebackup` and `.ci/run` starts it and sets `TEST_REPLICA_REQUIRED=1`, which makes
//! its absence a failure rather than a skip.

use std::time::{Duration, Instant};

use khuyencong::{config::Config, enums::Role, preflight};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::json;

use crate::helpers::{TestApp, TestUser, fresh_database, spawn_app_with};

const MAX_LAG: Duration = Duration::from_millis(3000);

/// The database name at the end of a URL, moved onto another server's URL.
fn same_database_on(server_url: &str, database_url: &str) -> String {
    let name = database_url.rsplit('/').next().expect("db name");
    let base = server_url.rsplit_once('/').expect("url").0;
    format!("{base}/{name}")
}

/// The replica's root URL, when one answers and is in recovery.
async fn replica() -> Option<(String, DatabaseConnection)> {
    let url = std::env::var("TEST_REPLICA_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5433/postgres".into());
    let required = std::env::var("TEST_REPLICA_REQUIRED").is_ok_and(|v| v == "1");
    let found = match Database::connect(&url).await {
        Ok(db) => match db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT pg_is_in_recovery() AS r",
            ))
            .await
        {
            Ok(Some(row)) if row.try_get::<bool>("", "r").unwrap_or(false) => {
                Some((url.clone(), db))
            }
            _ => None,
        },
        Err(_) => None,
    };
    if found.is_none() {
        assert!(
            !required,
            "TEST_REPLICA_REQUIRED=1 but no streaming replica answers at {url}"
        );
        eprintln!(
            "replica test not run: no streaming replica at {url} (bash .ci/replica starts one)"
        );
    }
    found
}

/// Resumes replay however the test ends, so the replica never stays paused.
struct ResumeOnDrop(String);

impl Drop for ResumeOnDrop {
    fn drop(&mut self) {
        let _ = std::process::Command::new("psql")
            .args([self.0.as_str(), "-qtAc", "SELECT pg_wal_replay_resume()"])
            .output();
    }
}

async fn count_as(app: &TestApp, user: &TestUser) -> i64 {
    app.ok(
        Some(&user.token),
        "{ establishments(first: 1) { totalCount } }",
        json!({}),
    )
    .await["establishments"]["totalCount"]
        .as_i64()
        .expect("totalCount")
}

async fn exported(app: &TestApp, user: &TestUser) -> usize {
    let body = app
        .client
        .get(format!("{}/export/establishments.ndjson", app.address))
        .bearer_auth(&user.token)
        .send()
        .await
        .expect("export")
        .text()
        .await
        .expect("body");
    body.lines().filter(|l| l.contains("\"id\"")).count()
}

#[tokio::test]
async fn reads_go_to_the_replica_within_its_lag_and_writers_read_their_own_writes() {
    let Ok(admin) = std::env::var("TEST_DATABASE_URL") else {
        // SQLite has no replica: the setting is refused before anything starts.
        let config = Config {
            read_database_url: Some("postgres://127.0.0.1:5433/x".into()),
            jwt_secret: Some("x".repeat(40)),
            ..Default::default()
        };
        let serve = preflight::Needs {
            signs_tokens: true,
            creates_database: true,
        };
        let e = preflight::check(&config, serve).expect_err("a replica beside SQLite is refused");
        assert!(e.to_string().contains("KC_DATABASE_READ_URL"), "{e}");
        return;
    };
    let _ = admin;
    let Some((replica_root, replica_admin)) = replica().await else {
        return;
    };
    let primary_url = fresh_database().await;
    let replica_url = same_database_on(&replica_root, &primary_url);
    // The new database reaches the replica by replay.
    let deadline = Instant::now() + Duration::from_secs(20);
    while Database::connect(&replica_url).await.is_err() {
        assert!(Instant::now() < deadline, "{replica_url} never appeared");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let app = {
        let replica_url = replica_url.clone();
        let primary_url = primary_url.clone();
        spawn_app_with(move |c| {
            c.database_url = primary_url;
            c.read_database_url = Some(replica_url);
            c.read_max_lag = MAX_LAG;
        })
        .await
    };
    let writer = app.province("66").await;
    let ministry = app.user(Role::National, None, None, false, true).await;
    let analyst = app.national().await;

    app.establishment(&writer.token, "24133", json!({})).await;
    // Caught up: everyone sees the one establishment.
    let deadline = Instant::now() + Duration::from_secs(10);
    while count_as(&app, &ministry).await != 1 {
        assert!(Instant::now() < deadline, "the replica never caught up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(exported(&app, &analyst).await, 1);

    // The replica stops replaying; a province officer writes a second establishment.
    let _resume = ResumeOnDrop(replica_root.clone());
    replica_admin
        .execute_unprepared("SELECT pg_wal_replay_pause()")
        .await
        .expect("pause replay");
    let paused = Instant::now();
    app.establishment(&writer.token, "24133", json!({})).await;

    // Within the lag limit: the read-only caller's list and another caller's export come
    // from the replica and do not show it yet; the writer reads its own write.
    assert_eq!(
        count_as(&app, &ministry).await,
        1,
        "read-only list on the replica"
    );
    assert_eq!(exported(&app, &analyst).await, 1, "export on the replica");
    assert_eq!(
        exported(&app, &writer).await,
        2,
        "the writer reads its own write"
    );
    assert!(
        paused.elapsed() < MAX_LAG,
        "the checks above ran within the lag limit ({:?})",
        paused.elapsed()
    );

    // Past the lag limit, reads go to the primary: nobody sees data older than the limit.
    let deadline = Instant::now() + MAX_LAG + Duration::from_secs(10);
    while count_as(&app, &ministry).await != 2 {
        assert!(Instant::now() < deadline, "never fell back to the primary");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        paused.elapsed() >= MAX_LAG - Duration::from_millis(500),
        "fell back only once the lag passed the limit ({:?})",
        paused.elapsed()
    );
    assert_eq!(exported(&app, &analyst).await, 2);
    let lag = app
        .state
        .replica
        .as_ref()
        .expect("replica")
        .lag()
        .expect("lag measured");
    assert!(lag > MAX_LAG, "lag {lag:?}");

    // Replay resumes: the replica catches up and serves again.
    replica_admin
        .execute_unprepared("SELECT pg_wal_replay_resume()")
        .await
        .expect("resume replay");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = app.state.replica.as_ref().expect("replica");
        if r.lag().is_some_and(|l| l <= MAX_LAG) && r.usable().is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "the replica never came back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(count_as(&app, &ministry).await, 2);
}
