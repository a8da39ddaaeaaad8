//! Test helpers: `spawn_app()` starts the real server on port 0 over a fresh database of its
//! own (a copied SQLite file, or a PostgreSQL database cloned from a migrated template when
//! `TEST_DATABASE_URL` is set), and `gql()` talks to it over HTTP.

#![allow(dead_code)]

pub mod assert;
pub mod audit;
pub mod common;
pub mod connection;
pub mod flows;
pub mod guard;
pub mod ids;
pub mod people;
pub mod upload;
pub mod values;
pub mod ws;

use std::{
    sync::{
        OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use khuyencong::{
    config::Config,
    domain::user::{NewUser, insert},
    enums::Role,
    startup::{Application, prepare},
    state::AppState,
};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

/// The shared secret of test tokens.
pub const JWT_SECRET: &str = "test-secret-that-is-long-enough-for-hs256-0123456789";
/// The password of every test user.
pub const PASSWORD: &str = "mat-khau-thu-nghiem";

static COUNTER: AtomicU64 = AtomicU64::new(0);
static TEMPLATE: OnceLock<Template> = OnceLock::new();

enum Template {
    Sqlite(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

fn unique() -> String {
    format!(
        "{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        uuid::Uuid::new_v4().simple()
    )
}

fn base_config(database_url: String) -> Config {
    Config {
        database_url,
        bind: "127.0.0.1:0".parse().expect("addr"),
        jwt_secret: Some(JWT_SECRET.into()),
        requests_per_second: 100_000,
        login_attempts_per_minute: 10_000,
        db_max_connections: 5,
        // Documents of each test in a folder of their own (never the working directory).
        storage_dir: Some(std::env::temp_dir().join(format!("kc_files_{}", unique()))),
        ..Config::default()
    }
}

/// Builds the migrated template once per test binary, on its own runtime.
fn template() -> &'static Template {
    TEMPLATE.get_or_init(|| {
        std::thread::spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                match std::env::var("TEST_DATABASE_URL") {
                    Ok(admin_url) if admin_url.starts_with("postgres") => {
                        let name = format!("kc_tpl_{}", unique());
                        let admin = Database::connect(&admin_url).await.expect("connect admin");
                        admin
                            .execute_unprepared(&format!("CREATE DATABASE {name}"))
                            .await
                            .expect("create template");
                        let url = with_db(&admin_url, &name);
                        let state = prepare(base_config(url)).await.expect("migrate template");
                        state.db.close().await.ok();
                        admin.close().await.ok();
                        Template::Postgres { admin_url, name }
                    }
                    _ => {
                        let dir = std::env::temp_dir().join(format!("kc_tpl_{}", unique()));
                        std::fs::create_dir_all(&dir).expect("dir");
                        let file = dir.join("template.db");
                        let url = format!("sqlite://{}?mode=rwc", file.display());
                        let state = prepare(base_config(url)).await.expect("migrate template");
                        // Fold the WAL into the file so a plain copy holds everything.
                        state
                            .db
                            .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                            .await
                            .expect("checkpoint");
                        state.db.close().await.ok();
                        Template::Sqlite(file)
                    }
                }
            })
        })
        .join()
        .expect("template thread")
    })
}

fn with_db(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let prefix = base.rsplit_once('/').map(|(p, _)| p).unwrap_or(base);
    match query {
        Some(q) => format!("{prefix}/{db}?{q}"),
        None => format!("{prefix}/{db}"),
    }
}

/// A fresh database URL for one test.
pub async fn fresh_database() -> String {
    match template() {
        Template::Sqlite(file) => {
            let dir = std::env::temp_dir().join(format!("kc_test_{}", unique()));
            std::fs::create_dir_all(&dir).expect("dir");
            let copy = dir.join("test.db");
            std::fs::copy(file, &copy).expect("copy template");
            format!("sqlite://{}?mode=rwc", copy.display())
        }
        Template::Postgres { admin_url, name } => {
            let db = format!("kc_test_{}", unique());
            let admin = Database::connect(admin_url).await.expect("connect admin");
            // CREATE DATABASE … TEMPLATE needs the template to have no other sessions.
            let mut tries = 0;
            loop {
                match admin
                    .execute_unprepared(&format!("CREATE DATABASE {db} TEMPLATE {name}"))
                    .await
                {
                    Ok(_) => break,
                    Err(e) if tries < 50 => {
                        tries += 1;
                        let _ = e;
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    Err(e) => panic!("create test database: {e}"),
                }
            }
            admin.close().await.ok();
            with_db(admin_url, &db)
        }
    }
}

/// `setEstablishmentStatus` with an optional reason.
pub const SET_ESTABLISHMENT_STATUS: &str = "mutation($id: ID!, $v: Int!, \
    $s: EstablishmentStatus!, $r: String) { setEstablishmentStatus(id: $id, \
    expectedVersion: $v, status: $s, reason: $r) { id version status statusReason } }";

/// A running server for one test.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// The application state (database, reference data).
    pub state: AppState,
    /// An HTTP client.
    pub client: reqwest::Client,
}

/// A signed-in test user.
#[derive(Clone, Debug)]
pub struct TestUser {
    /// Login name.
    pub username: String,
    /// Global id.
    pub id: String,
    /// Access token.
    pub token: String,
    /// Refresh token.
    pub refresh: String,
}

/// Starts the app on a fresh database with the test configuration.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app with a changed configuration.
pub async fn spawn_app_with(change: impl FnOnce(&mut Config)) -> TestApp {
    let mut config = base_config(fresh_database().await);
    change(&mut config);
    // A database that does not answer within the pool's 5 s (a loaded CI machine running
    // two suites) is asked again, twice; any other failure to build fails the test.
    let mut attempt = 0;
    let app = loop {
        match Application::build(config.clone()).await {
            Ok(app) => break app,
            Err(e) if attempt < 2 && e.retry_after().is_some() => {
                attempt += 1;
                eprintln!("app build retried: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => panic!("app builds: {e:?}"),
        }
    };
    TestApp::serve(app, client())
}

/// Starts the app admitting every concurrent request at once (200 in flight, a 30 s queue):
/// for tests of rules under concurrency (budget races, statement counts), not of the
/// back-pressure of `KC_MAX_IN_FLIGHT` (tested in `overload`).
pub async fn spawn_app_admitting_all() -> TestApp {
    spawn_app_with(|c| {
        c.max_in_flight = Some(200);
        c.queue_timeout = Duration::from_secs(30);
    })
    .await
}

/// Starts another instance of the app on an existing database (two instances behind one
/// load balancer share a database).
pub async fn spawn_instance(database_url: String) -> TestApp {
    let app = Application::build(base_config(database_url))
        .await
        .expect("app builds");
    TestApp::serve(app, client())
}

/// The HTTP client of a test: a request that takes a minute has failed.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client")
}

/// A POST to `{address}/graphql` with the bearer `token`, when given, and extra headers.
pub fn graphql_post(
    client: &reqwest::Client,
    address: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> reqwest::RequestBuilder {
    let mut req = client.post(format!("{address}/graphql"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req
}

impl TestApp {
    /// Runs a built application in the background and talks to it with `client`.
    pub fn serve(app: Application, client: reqwest::Client) -> TestApp {
        let port = app.port();
        let state = app.state().clone();
        tokio::spawn(app.run_until_stopped());
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            state,
            client,
        }
    }

    /// Posts a GraphQL request and returns the JSON body.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        self.gql_with(token, query, variables, &[]).await
    }

    /// Posts a GraphQL request with extra headers.
    pub async fn gql_with(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
        headers: &[(&str, &str)],
    ) -> Value {
        let resp = graphql_post(&self.client, &self.address, token, headers)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request sent");
        resp.json().await.expect("JSON body")
    }

    /// Posts a GraphQL request that must succeed; returns `data`.
    pub async fn ok(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let body = self.gql(token, query, variables).await;
        assert!(
            body.get("errors").is_none(),
            "unexpected errors: {body:#}\nquery: {query}"
        );
        body["data"].clone()
    }

    /// `ok()`, with the SQL statements the request ran (from `/metrics`: every statement of
    /// this test's app, so nothing else may run meanwhile).
    pub async fn ok_counting(&self, token: &str, query: &str, variables: Value) -> (Value, f64) {
        let before = self.metric("db_statements_total").await;
        let data = self.ok(Some(token), query, variables).await;
        let after = self.metric("db_statements_total").await;
        (data, after - before)
    }

    /// Creates a user directly (as the CLI would) and signs it in over HTTP.
    pub async fn user(
        &self,
        role: Role,
        province: Option<&str>,
        commune: Option<&str>,
        admin: bool,
        read_only: bool,
    ) -> TestUser {
        let username = format!("user{}", COUNTER.fetch_add(1, Ordering::SeqCst));
        self.insert_user(NewUser {
            username: username.clone(),
            password: PASSWORD.into(),
            display_name: format!("Người dùng {username}"),
            role,
            province_code: province.map(Into::into),
            commune_code: commune.map(Into::into),
            is_admin: admin,
            read_only,
        })
        .await;
        self.login(&username).await
    }

    /// Inserts a user directly into the database, as the CLI would.
    pub async fn insert_user(&self, user: NewUser) {
        insert(&self.state.db, &self.state.reference(), user)
            .await
            .expect("user inserted");
    }

    /// Signs in a user over HTTP.
    pub async fn login(&self, username: &str) -> TestUser {
        let data = self
            .ok(
                None,
                "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken refreshToken user { id } } }",
                json!({ "u": username, "p": PASSWORD }),
            )
            .await;
        TestUser {
            username: username.into(),
            id: data["login"]["user"]["id"].as_str().expect("id").into(),
            token: data["login"]["accessToken"].as_str().expect("token").into(),
            refresh: data["login"]["refreshToken"]
                .as_str()
                .expect("refresh")
                .into(),
        }
    }

    /// A national user.
    pub async fn national(&self) -> TestUser {
        self.user(Role::National, None, None, false, false).await
    }

    /// A province user of `province`.
    pub async fn province(&self, province: &str) -> TestUser {
        self.user(Role::Province, Some(province), None, false, false)
            .await
    }

    /// A commune user of `commune`.
    pub async fn commune(&self, commune: &str) -> TestUser {
        self.user(Role::Commune, None, Some(commune), false, false)
            .await
    }

    /// Creates an establishment (must succeed) and returns it with `id`, `version`, `name`.
    pub async fn establishment(&self, token: &str, commune: &str, extra: Value) -> Value {
        let mut input = json!({
            "name": format!("Cơ sở thử {}", COUNTER.fetch_add(1, Ordering::SeqCst)),
            "kind": "SME",
            "communeCode": commune,
            "sector": "AGRO_FORESTRY_FISHERY_FOOD",
        });
        if let (Some(obj), Value::Object(more)) = (input.as_object_mut(), extra) {
            obj.extend(more);
        }
        self.ok(
            Some(token),
            "mutation($i: CreateEstablishmentInput!) { createEstablishment(input: $i) { id version name taxCode } }",
            json!({ "i": input }),
        )
        .await["createEstablishment"]
            .clone()
    }

    /// `setEstablishmentStatus` as `token` at `version`, with an optional reason (the whole
    /// body; the data holds `id version status statusReason`).
    pub async fn set_establishment_status(
        &self,
        token: &str,
        id: &str,
        version: i64,
        status: &str,
        reason: Option<&str>,
    ) -> Value {
        self.gql(
            Some(token),
            SET_ESTABLISHMENT_STATUS,
            json!({ "id": id, "v": version, "s": status, "r": reason }),
        )
        .await
    }

    /// Creates a product of an establishment (must succeed).
    pub async fn product(&self, token: &str, establishment_id: &str, name: &str) -> Value {
        self.ok(
            Some(token),
            "mutation($i: CreateProductInput!) { createProduct(input: $i) { id version name } }",
            json!({ "i": { "establishmentId": establishment_id, "name": name } }),
        )
        .await["createProduct"]
            .clone()
    }

    /// A GET of `path` (such as `/readyz`) on this server, to send.
    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(format!("{}{path}", self.address))
    }

    /// The body of a GET of `path` (such as `/metrics`) without a token, as text.
    pub async fn get_text(&self, path: &str) -> String {
        self.get(path)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
            .text()
            .await
            .unwrap_or_else(|e| panic!("GET {path} body: {e}"))
    }

    /// The value of a Prometheus counter on `/metrics`.
    pub async fn metric(&self, name: &str) -> f64 {
        let text = self.get_text("/metrics").await;
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or(0.0)
    }
}

/// The `extensions.code` of the first error.
pub fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {body:#}"))
}

/// Asserts the body failed with `expected` (and no data was returned for the field).
#[track_caller]
pub fn assert_code(body: &Value, expected: &str) {
    assert_eq!(code(body), expected, "body: {body:#}");
}

/// Asserts a `BAD_USER_INPUT` naming `field`.
#[track_caller]
pub fn assert_field(body: &Value, field: &str) {
    assert_code(body, "BAD_USER_INPUT");
    assert_eq!(
        body["errors"][0]["extensions"]["field"].as_str(),
        Some(field),
        "body: {body:#}"
    );
}

/// Communes used by the tests: two in Đắk Lắk (66), one in Quảng Trị (44), a Hà Nội ward.
pub mod place {
    /// Phường Buôn Ma Thuột, Đắk Lắk.
    pub const BMT: &str = "24133";
    /// Another commune of Đắk Lắk.
    pub const DAK_LAK_OTHER: &str = "24121";
    /// Xã Trường Phú, Quảng Trị (former Quảng Bình).
    pub const TRUONG_PHU: &str = "19309";
    /// Đắk Lắk.
    pub const DAK_LAK: &str = "66";
    /// Quảng Trị.
    pub const QUANG_TRI: &str = "44";

    /// The province of a test commune.
    #[track_caller]
    pub fn province_of(commune: &str) -> &'static str {
        match commune {
            BMT | DAK_LAK_OTHER => DAK_LAK,
            TRUONG_PHU => QUANG_TRI,
            other => panic!("unknown test commune {other}"),
        }
    }
}

/// The real binary as a child process.
pub mod process;
