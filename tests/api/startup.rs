//! Start-up through the real binary: configuration checked before anything is touched, one
//! plain line per failure on standard error, exit status 2 (configuration) or 1 (run time).

use std::process::Output;

use sea_orm::{ConnectionTrait, Database};

use crate::helpers::{
    JWT_SECRET, fresh_database,
    process::{run, stderr},
};

#[track_caller]
fn assert_one_line(out: &Output, status: i32, expected: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(status), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(err.contains(expected), "{expected:?} in {err:?}");
    for bad in ["INTERNAL", "at line", "\u{1b}["] {
        assert!(!err.contains(bad), "{bad:?} in {err:?}");
    }
}

fn postgres_admin() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
}

#[test]
fn wrong_variables_are_configuration_errors_with_status_2() {
    let dir = tempfile::tempdir().expect("dir");
    let db = format!("sqlite://{}/kc.db?mode=rwc", dir.path().display());
    for (env, expected) in [
        (
            ("KC_JWT_SECRET", "short"),
            "configuration error: KC_JWT_SECRET must be at least 32 characters",
        ),
        (
            ("DATABASE_URL", "garbage"),
            "configuration error: DATABASE_URL must start with sqlite:// or postgres://",
        ),
        (
            ("KC_LOG_FORMAT", "xml"),
            "configuration error: KC_LOG_FORMAT: must be text or json",
        ),
        (("KC_BIND", "nowhere"), "configuration error: KC_BIND"),
        (
            ("KC_CORS_ORIGINS", "localhost:3000"),
            "configuration error: KC_CORS_ORIGINS",
        ),
        (
            ("KC_GRAPHIQL", "maybe"),
            "configuration error: KC_GRAPHIQL: must be true or false",
        ),
        (
            ("KC_TRUST_FORWARDED_FOR", "sometimes"),
            "configuration error: KC_TRUST_FORWARDED_FOR",
        ),
    ] {
        let mut envs = vec![("DATABASE_URL", db.as_str())];
        envs.retain(|(k, _)| *k != env.0);
        envs.push(env);
        let out = run(dir.path(), &["serve"], &envs);
        assert_one_line(&out, 2, expected);
    }
    assert!(
        !dir.path().join("kc.db").exists(),
        "nothing was created before the configuration was checked"
    );
}

#[tokio::test]
async fn serve_on_postgresql_without_a_secret_touches_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let Some(admin_url) = postgres_admin() else {
        // Without PostgreSQL, the check still comes before any connection: a closed port is
        // never reached.
        let out = run(
            dir.path(),
            &["serve"],
            &[("DATABASE_URL", "postgres://kc@127.0.0.1:1/kc")],
        );
        assert_one_line(&out, 2, "configuration error: KC_JWT_SECRET is required");
        return;
    };
    let name = format!("kc_empty_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(&admin_url).await.expect("admin");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create");
    let url = format!(
        "{}/{name}",
        admin_url.rsplit_once('/').expect("url with a database").0
    );
    let out = run(dir.path(), &["serve"], &[("DATABASE_URL", &url)]);
    assert_one_line(&out, 2, "configuration error: KC_JWT_SECRET is required");
    let db = Database::connect(&url).await.expect("connect");
    let tables = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
        ))
        .await
        .expect("tables");
    assert!(
        tables.is_empty(),
        "no table written: {} tables",
        tables.len()
    );
    db.close().await.ok();
    // `migrate` signs no token: it works without the secret.
    let out = run(dir.path(), &["migrate"], &[("DATABASE_URL", &url)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .ok();
}

#[test]
fn unreachable_postgresql_is_a_runtime_error_naming_the_connection() {
    let dir = tempfile::tempdir().expect("dir");
    let out = run(
        dir.path(),
        &["migrate"],
        &[("DATABASE_URL", "postgres://kc:secret@127.0.0.1:1/kc")],
    );
    assert_one_line(
        &out,
        1,
        "error: cannot connect to PostgreSQL at 127.0.0.1:1: connection refused",
    );
    assert!(!stderr(&out).contains("secret"), "no password shown");
}

#[test]
fn a_missing_postgresql_database_or_role_is_named() {
    let dir = tempfile::tempdir().expect("dir");
    let Some(admin_url) = postgres_admin() else {
        return; // Needs a PostgreSQL server (TEST_DATABASE_URL).
    };
    let base = admin_url.rsplit_once('/').expect("url").0.to_owned();
    let out = run(
        dir.path(),
        &["migrate"],
        &[("DATABASE_URL", &format!("{base}/kc_no_such_database"))],
    );
    assert_one_line(&out, 1, "database \"kc_no_such_database\" does not exist");
    let host = base.rsplit_once('@').map_or_else(
        || base.split_once("://").map_or(base.as_str(), |(_, h)| h),
        |(_, h)| h,
    );
    let no_role = format!("postgres://kc_no_such_role@{host}");
    let out = run(
        dir.path(),
        &["migrate"],
        &[("DATABASE_URL", &format!("{no_role}/postgres"))],
    );
    assert_one_line(&out, 1, "role \"kc_no_such_role\" does not exist");
}

#[test]
fn an_unopenable_sqlite_file_is_named() {
    let dir = tempfile::tempdir().expect("dir");
    let out = run(
        dir.path(),
        &["migrate"],
        &[("DATABASE_URL", "sqlite:///nonexistent-dir/kc.db?mode=rwc")],
    );
    assert_one_line(
        &out,
        1,
        "error: cannot open the SQLite database /nonexistent-dir/kc.db",
    );
}

#[test]
fn commands_that_read_a_database_refuse_to_create_one() {
    let dir = tempfile::tempdir().expect("dir");
    for args in [
        &["export", "establishments"][..],
        &[
            "users",
            "create",
            "--username",
            "admin",
            "--role",
            "national",
        ][..],
    ] {
        let out = run(dir.path(), args, &[("KC_PASSWORD", "mat-khau-dai-du-12")]);
        assert_one_line(
            &out,
            2,
            "configuration error: no database at ./khuyencong.db; set DATABASE_URL",
        );
    }
    let files: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
    assert!(files.is_empty(), "no file created: {files:?}");
}

#[tokio::test]
async fn users_and_export_work_without_a_jwt_secret_on_both_databases() {
    let dir = tempfile::tempdir().expect("dir");
    let url = fresh_database().await;
    let out = run(
        dir.path(),
        &[
            "users",
            "create",
            "--username",
            "chief",
            "--role",
            "national",
        ],
        &[
            ("DATABASE_URL", &url),
            ("KC_PASSWORD", "mat-khau-dai-du-12"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run(
        dir.path(),
        &["export", "establishments", "--output", "e.csv"],
        &[("DATABASE_URL", &url)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(dir.path().join("e.csv").exists());
    if let Some(file) = khuyencong::config::sqlite_file(&url) {
        assert!(
            !std::path::Path::new(&format!("{file}.jwt-secret")).exists(),
            "no secret file written by commands that sign no token"
        );
    }
}

#[tokio::test]
async fn an_address_in_use_is_named() {
    let dir = tempfile::tempdir().expect("dir");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let url = fresh_database().await;
    let out = run(
        dir.path(),
        &["serve"],
        &[
            ("DATABASE_URL", &url),
            ("KC_JWT_SECRET", JWT_SECRET),
            ("KC_BIND", &addr),
        ],
    );
    assert_one_line(
        &out,
        1,
        &format!("error: cannot listen on {addr} (KC_BIND): address in use"),
    );
}

#[tokio::test]
async fn the_health_command_probes_the_running_server() {
    let dir = tempfile::tempdir().expect("dir");
    let url = fresh_database().await;
    let server = crate::helpers::process::Server::start(
        dir.path(),
        &["serve"],
        &[("DATABASE_URL", &url), ("KC_JWT_SECRET", JWT_SECRET)],
    );
    let bind = server
        .address
        .strip_prefix("http://")
        .expect("address")
        .to_owned();
    let out = run(dir.path(), &["health"], &[("KC_BIND", &bind)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    drop(server);
    let out = run(dir.path(), &["health"], &[("KC_BIND", &bind)]);
    assert_one_line(&out, 1, "no answer from http://");
}
