//! Helpers of the reliability and security tests: raw requests (status, headers, body), a
//! second instance on the same database, and the real binary as a child process.

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use khuyencong::{config::Config, domain::user::NewUser, enums::Role, startup::Application};
use serde_json::Value;

use super::{JWT_SECRET, PASSWORD, TestApp, graphql_post};

/// A response as the client saw it.
pub struct Raw {
    /// HTTP status.
    pub status: u16,
    /// `Retry-After`, if any.
    pub retry_after: Option<String>,
    /// The body parsed as JSON (`Value::Null` when it is not JSON).
    pub body: Value,
}

/// Posts any body to `/graphql` with optional bearer token and headers.
pub async fn post_raw(
    client: &reqwest::Client,
    address: &str,
    token: Option<&str>,
    body: impl Into<reqwest::Body>,
    headers: &[(&str, &str)],
) -> Raw {
    let resp = graphql_post(client, address, token, headers)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("request sent");
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = resp.bytes().await.expect("body");
    Raw {
        status,
        retry_after,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

/// Another instance of the server on the same database as `app`, with a changed
/// configuration (in this process).
pub async fn second_instance(app: &TestApp, change: impl FnOnce(&mut Config)) -> TestApp {
    let mut config = (*app.state.config).clone();
    config.bind = "127.0.0.1:0".parse().expect("addr");
    change(&mut config);
    let built = Application::build(config)
        .await
        .expect("second instance builds");
    TestApp::serve(built, app.client.clone())
}

/// Creates a user whose name no other test (or earlier run) uses: state shared outside the
/// process (Redis) must not mix runs.
pub async fn unique_user(app: &TestApp, role: Role, province: Option<&str>) -> String {
    let username = format!("u{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
    app.insert_user(NewUser {
        username: username.clone(),
        password: PASSWORD.into(),
        display_name: format!("Người dùng {username}"),
        role,
        province_code: province.map(Into::into),
        commune_code: None,
        is_admin: false,
        read_only: false,
    })
    .await;
    username
}

/// The real binary serving `database_url` with extra environment; killed on drop.
pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub address: String,
}

impl ServerProcess {
    /// Starts `khuyencong serve` and waits until `/healthz` answers.
    pub async fn start(database_url: &str, env: &[(&str, &str)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_khuyencong"));
        cmd.arg("serve")
            .env("DATABASE_URL", database_url)
            .env("KC_BIND", format!("127.0.0.1:{port}"))
            .env("KC_JWT_SECRET", JWT_SECRET)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        // Owned at once, so the process is killed (on drop) whatever happens next.
        let process = Self {
            child: cmd.spawn().expect("server process starts"),
            address: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if client
                .get(format!("{}/healthz", process.address))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return process;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server process did not start");
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
