//! What the command line checks before it touches anything, and how it words start-up
//! failures: one plain line naming the variable or the connection, exit status 2 for the
//! configuration and 1 for everything that fails at run time.

use sea_orm::{DbErr, RuntimeErr, sqlx};

use crate::{
    auth::jwt::Keys,
    config::{Config, redact_url, sqlite_file},
    db,
    error::AppError,
};

/// A start-up failure: its one-line text and whether it is the configuration's fault.
#[derive(Debug)]
pub struct Failure {
    /// The line for standard error.
    pub message: String,
    /// Configuration (exit 2) or run time (exit 1).
    pub configuration: bool,
}

impl Failure {
    fn config(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            configuration: true,
        }
    }

    fn runtime(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            configuration: false,
        }
    }

    /// The process exit status.
    pub fn exit_code(&self) -> u8 {
        if self.configuration { 2 } else { 1 }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.configuration {
            write!(f, "configuration error: {}", self.message)
        } else {
            write!(f, "error: {}", self.message)
        }
    }
}

/// What a command needs of the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Needs {
    /// Signs tokens (`serve`): PostgreSQL requires a shared `KC_JWT_SECRET`.
    pub signs_tokens: bool,
    /// May create a new SQLite file (`serve`, `migrate`); the others read an existing one.
    pub creates_database: bool,
}

/// Checks every value before anything is opened, connected or written.
pub fn check(config: &Config, needs: Needs) -> Result<(), Failure> {
    let url = &config.database_url;
    let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
    if !(config.is_sqlite() || postgres) {
        return Err(Failure::config(format!(
            "DATABASE_URL must start with sqlite:// or postgres://, not {:?}",
            redact_url(url)
        )));
    }
    if let Some(secret) = &config.jwt_secret
        && secret.len() < 32
    {
        return Err(Failure::config(
            "KC_JWT_SECRET must be at least 32 characters",
        ));
    }
    if postgres && needs.signs_tokens && config.jwt_secret.is_none() {
        return Err(Failure::config(
            "KC_JWT_SECRET is required with PostgreSQL (at least 32 characters, the same on every instance)",
        ));
    }
    if let Some(pem) = &config.jwt_public_key_pem
        && let Err(e) = Keys::new(&[0u8; 32], Some(pem), config.access_token_ttl)
    {
        return Err(Failure::config(format!(
            "KC_JWT_PUBLIC_KEY_PEM: {}",
            e.source.map_or(e.msg.en, |s| s.to_string())
        )));
    }
    check_storage(config)?;
    if config.db_max_connections == 0 {
        return Err(Failure::config("KC_DB_MAX_CONNECTIONS must be at least 1"));
    }
    if let Some(read) = &config.read_database_url
        && !(postgres && (read.starts_with("postgres://") || read.starts_with("postgresql://")))
    {
        return Err(Failure::config(
            "KC_DATABASE_READ_URL must be a postgres:// URL of a streaming replica of the PostgreSQL DATABASE_URL",
        ));
    }
    if config.is_sqlite()
        && !needs.creates_database
        && let Some(file) = sqlite_file(url)
        && !std::path::Path::new(&file).exists()
    {
        let shown = if file.starts_with('/') || file.starts_with("./") {
            file
        } else {
            format!("./{file}")
        };
        return Err(Failure::config(format!(
            "no database at {shown}; set DATABASE_URL"
        )));
    }
    Ok(())
}

/// Where uploaded documents go: an S3 bucket with a sane name and endpoint, or a local
/// folder that is not a file.
fn check_storage(config: &Config) -> Result<(), Failure> {
    if let Some(s3) = &config.s3 {
        let b = &s3.bucket;
        let valid = (3..=63).contains(&b.len())
            && b.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'.');
        if !valid {
            return Err(Failure::config(format!(
                "KC_S3_BUCKET must be a bucket name (3 to 63 lower-case letters, digits, dots or hyphens), not {b:?}"
            )));
        }
        if let Some(e) = &s3.endpoint {
            let rest = e
                .strip_prefix("https://")
                .or_else(|| e.strip_prefix("http://"));
            if rest.is_none_or(|r| r.is_empty() || r.contains(['?', '#', ' '])) {
                return Err(Failure::config(format!(
                    "KC_S3_ENDPOINT must be http://host[:port] or https://host[:port], not {e:?}"
                )));
            }
        }
        return Ok(());
    }
    let dir = config.documents_dir();
    if dir.exists() && !dir.is_dir() {
        return Err(Failure::config(format!(
            "KC_STORAGE_DIR: {} exists and is not a folder",
            dir.display()
        )));
    }
    Ok(())
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => "connection refused".to_owned(),
        _ => e.to_string(),
    }
}

/// Reaches PostgreSQL's port once before the pool is built: a closed port is reported at
/// once ("connection refused") rather than after the pool's retries.
pub async fn reach(config: &Config) -> Result<(), Failure> {
    let url = &config.database_url;
    if config.is_sqlite() || url.contains("host=") {
        return Ok(());
    }
    let target = pg_target(url);
    match tokio::time::timeout(db::CONNECT_TIMEOUT, tokio::net::TcpStream::connect(&target)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(Failure::runtime(format!(
            "cannot connect to PostgreSQL at {target}: {}",
            io_reason(&e)
        ))),
        Err(_) => Err(Failure::runtime(format!(
            "cannot connect to PostgreSQL at {target}: no answer within {} s",
            db::CONNECT_TIMEOUT.as_secs()
        ))),
    }
}

fn pg_target(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    let host = rest.split(['/', '?']).next().unwrap_or(rest);
    if host.is_empty() {
        "localhost:5432".into()
    } else if host.contains(':') {
        host.into()
    } else {
        format!("{host}:5432")
    }
}

fn sqlx_of(e: &DbErr) -> Option<&sqlx::Error> {
    match e {
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => Some(e),
        _ => None,
    }
}

/// The line for a failure while connecting, migrating or loading reference data.
pub fn describe(err: &AppError, config: &Config) -> Failure {
    let db = err
        .source
        .as_deref()
        .and_then(|s| s.downcast_ref::<DbErr>());
    let Some(db) = db else {
        return Failure::runtime(
            err.source
                .as_ref()
                .map_or_else(|| err.msg.en.clone(), |s| s.to_string()),
        );
    };
    let place = if config.is_sqlite() {
        format!(
            "the SQLite database {}",
            sqlite_file(&config.database_url).unwrap_or_else(|| "in memory".into())
        )
    } else {
        format!("PostgreSQL at {}", pg_target(&config.database_url))
    };
    let message = match (db, sqlx_of(db)) {
        (DbErr::ConnectionAcquire(_), _) | (_, Some(sqlx::Error::PoolTimedOut)) => format!(
            "cannot connect to {place}: no answer within {} s",
            db::CONNECT_TIMEOUT.as_secs()
        ),
        (_, Some(sqlx::Error::Io(io))) => format!("cannot connect to {place}: {}", io_reason(io)),
        (_, Some(sqlx::Error::Database(d))) => {
            if config.is_sqlite() {
                format!("cannot open {place}: {}", d.message())
            } else {
                // PostgreSQL's own words (`database "x" does not exist`, `role "y" does not
                // exist`, `password authentication failed …`), without driver details.
                format!(
                    "{} (PostgreSQL at {})",
                    d.message(),
                    pg_target(&config.database_url)
                )
            }
        }
        (_, Some(e)) => format!("cannot connect to {place}: {e}"),
        (DbErr::Migration(m), _) => format!("migrating {place} failed: {m}"),
        (other, None) => format!("{place}: {other}"),
    };
    Failure::runtime(message)
}

/// `khuyencong health`: `GET /readyz` on the configured address (the loopback address when
/// it listens on all of them), answered within a few seconds with status 200.
pub fn health(bind: std::net::SocketAddr) -> Result<(), String> {
    use std::io::{Read, Write};
    let mut addr = bind;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let fail =
        |e: std::io::Error| format!("no answer from http://{addr}/readyz: {}", io_reason(&e));
    let mut stream =
        std::net::TcpStream::connect_timeout(&addr, db::CONNECT_TIMEOUT).map_err(fail)?;
    stream
        .set_read_timeout(Some(db::CONNECT_TIMEOUT))
        .map_err(fail)?;
    stream
        .set_write_timeout(Some(db::CONNECT_TIMEOUT))
        .map_err(fail)?;
    // HTTP/1.0 with `Connection: close`: the answer ends when the server closes.
    write!(
        stream,
        "GET /readyz HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .map_err(fail)?;
    let mut head = String::new();
    stream.take(4096).read_to_string(&mut head).map_err(fail)?;
    let status = head.lines().next().unwrap_or("");
    if status.split_whitespace().nth(1) == Some("200") {
        Ok(())
    } else {
        Err(format!("http://{addr}/readyz answered {status:?}"))
    }
}
