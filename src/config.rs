//! Configuration from the environment. Every field is documented in the README; secrets are
//! never logged (`Debug` hides them).

use std::{fmt, net::SocketAddr, time::Duration};

/// The server's configuration.
#[derive(Clone)]
pub struct Config {
    /// `DATABASE_URL`: `sqlite://…` (default `sqlite://khuyencong.db?mode=rwc`) or `postgres://…`.
    pub database_url: String,
    /// `KC_BIND`: the address to listen on (default `127.0.0.1:8080`).
    pub bind: SocketAddr,
    /// `KC_JWT_SECRET`: the HS256 secret. Without it, on SQLite, a random one is generated once
    /// and kept beside the database file; PostgreSQL (several instances) requires it.
    pub jwt_secret: Option<String>,
    /// `KC_JWT_PUBLIC_KEY_PEM`: optional public key (RSA or EC, PEM) of an external identity
    /// provider whose RS256/ES256 tokens are also accepted.
    pub jwt_public_key_pem: Option<String>,
    /// `KC_ACCESS_TOKEN_TTL_SECS`: access token lifetime (default 900 = 15 minutes).
    pub access_token_ttl: Duration,
    /// `KC_REFRESH_TOKEN_TTL_DAYS`: refresh token lifetime (default 30 days).
    pub refresh_token_ttl: Duration,
    /// `KC_MAX_DEPTH`: maximum query depth (default 12).
    pub max_depth: usize,
    /// `KC_MAX_COMPLEXITY`: complexity budget; list fields cost their `first` (default 20000).
    pub max_complexity: usize,
    /// `KC_LOGIN_ATTEMPTS_PER_MINUTE`: failed sign-ins allowed per username per minute before a
    /// one-minute lockout (default 10; an address gets five times as many).
    pub login_attempts_per_minute: u32,
    /// `KC_REQUESTS_PER_SECOND`: sustained GraphQL requests per user (default 100, bursts of four
    /// times as many); an address gets five times as many (an office shares one address).
    pub requests_per_second: u32,
    /// `KC_REQUEST_TIMEOUT_SECS`: a request running longer is cut (default 30).
    pub request_timeout: Duration,
    /// `KC_DB_MAX_CONNECTIONS`: database pool size (default 10).
    pub db_max_connections: u32,
    /// `KC_DATABASE_READ_URL`: an optional PostgreSQL streaming replica for reports, exports
    /// and the reads of read-only callers (see `db::replica`).
    pub read_database_url: Option<String>,
    /// `KC_READ_MAX_LAG_MS`: the most the replica may lag before reads go to the primary
    /// (default 2000).
    pub read_max_lag: Duration,
    /// `KC_TRUST_FORWARDED_FOR`: take the client address from `X-Forwarded-For` (behind a load
    /// balancer only; default false).
    pub trust_forwarded_for: bool,
    /// `KC_LOG_FORMAT=json` for JSON logs (default: compact text).
    pub log_json: bool,
    /// `KC_CORS_ORIGINS`: the browser origins allowed to call the API from another site,
    /// comma-separated (`https://portal.daklak.gov.vn,http://localhost:3000`), or `*` for any
    /// site, anonymously only (the public catalogue). Default: none (same origin only).
    pub cors_origins: CorsOrigins,
    /// `KC_GRAPHIQL`: serve the GraphiQL IDE at `GET /graphql` (default true; `false` in
    /// production if no one needs it).
    pub graphiql: bool,
    /// `KC_INTROSPECTION`: answer schema introspection (default true).
    pub introspection: bool,
    /// `KC_METRICS_TOKEN`: when set, `/metrics` wants `Authorization: Bearer <token>`.
    pub metrics_token: Option<String>,
    /// `KC_JWT_PREVIOUS_SECRETS`: comma-separated earlier HS256 secrets still accepted for
    /// verification during a key rotation (never used to sign).
    pub jwt_previous_secrets: Vec<String>,
    /// `KC_REDIS_URL`: when set, rate limits and sign-in lockouts are shared by every instance
    /// through this Redis; otherwise they are counted per instance.
    pub redis_url: Option<String>,
    /// `KC_MAX_IN_FLIGHT`: GraphQL and export requests served at once; more wait in a short
    /// queue (default four per database connection).
    pub max_in_flight: Option<u32>,
    /// `KC_QUEUE_TIMEOUT_MS`: how long a request waits for a slot before `UNAVAILABLE`
    /// (default 1000).
    pub queue_timeout: Duration,
    /// `KC_MAX_ALIASES`: aliased fields per document (default 50).
    pub max_aliases: usize,
    /// `KC_MAX_ROOT_FIELDS`: root fields per operation (default 20).
    pub max_root_fields: usize,
    /// `KC_PERSISTED_ONLY`: only documents of the manifest run for non-admin users.
    pub persisted_only: bool,
    /// `KC_PERSISTED_MANIFEST`: the persisted-query manifest (JSON) of the allow-list.
    pub persisted_manifest: Option<String>,
    /// `KC_PII_LOG_RETENTION_DAYS`: days the personal-data access log is kept (default 365).
    pub pii_log_retention_days: u32,
    /// `KC_STORAGE_DIR`: the folder of uploaded documents (default: `<database name>-storage`
    /// beside the SQLite file, or `./storage` with PostgreSQL). Unused when S3 is configured.
    pub storage_dir: Option<std::path::PathBuf>,
    /// `KC_S3_BUCKET` (and the other `KC_S3_*` or standard `AWS_*` variables): keep uploaded
    /// documents in this S3-compatible bucket instead of on the local disk.
    pub s3: Option<S3Config>,
}

/// An S3-compatible bucket for documents. Values not set here come from the standard `AWS_*`
/// variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT`…).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct S3Config {
    /// `KC_S3_BUCKET`: the bucket.
    pub bucket: String,
    /// `KC_S3_ENDPOINT`: the server of an S3-compatible store (MinIO, Ceph…), `http(s)://host[:port]`;
    /// default AWS.
    pub endpoint: Option<String>,
    /// `KC_S3_REGION` (default `AWS_REGION`, else `us-east-1`).
    pub region: Option<String>,
    /// `KC_S3_ACCESS_KEY_ID`.
    pub access_key_id: Option<String>,
    /// `KC_S3_SECRET_ACCESS_KEY`.
    pub secret_access_key: Option<String>,
    /// `KC_S3_PREFIX`: a folder inside the bucket (default none).
    pub prefix: Option<String>,
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field(
                "access_key_id",
                &self.access_key_id.as_ref().map(|_| "<set>"),
            )
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "<set>"),
            )
            .field("prefix", &self.prefix)
            .finish()
    }
}

/// The origins CORS allows (`KC_CORS_ORIGINS`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum CorsOrigins {
    /// Same origin only: no CORS headers at all.
    #[default]
    None,
    /// Any origin, without the `Authorization` header (anonymous reads only).
    Any,
    /// These origins (`scheme://host[:port]`), with `Authorization`.
    List(Vec<String>),
}

impl CorsOrigins {
    /// Parses `*` or a comma-separated list of `http(s)://host[:port]` origins.
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        if value == "*" {
            return Ok(Self::Any);
        }
        let mut list = Vec::new();
        for origin in value.split(',').map(str::trim).filter(|o| !o.is_empty()) {
            if origin == "*" {
                return Err("`*` cannot be combined with other origins".into());
            }
            let origin = origin.trim_end_matches('/');
            let rest = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"))
                .ok_or_else(|| {
                    format!(
                        "{origin:?} is not an origin (http://host[:port] or https://host[:port])"
                    )
                })?;
            if rest.is_empty() || rest.contains(['/', '?', '#', ' ', '*']) {
                return Err(format!(
                    "{origin:?} is not an origin (scheme and host only, no path)"
                ));
            }
            list.push(origin.to_ascii_lowercase());
        }
        Ok(if list.is_empty() {
            Self::None
        } else {
            Self::List(list)
        })
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("bind", &self.bind)
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "<set>"))
            .field("jwt_public_key_pem", &self.jwt_public_key_pem.is_some())
            .field("access_token_ttl", &self.access_token_ttl)
            .field("refresh_token_ttl", &self.refresh_token_ttl)
            .field("max_depth", &self.max_depth)
            .field("max_complexity", &self.max_complexity)
            .field("login_attempts_per_minute", &self.login_attempts_per_minute)
            .field("requests_per_second", &self.requests_per_second)
            .field("request_timeout", &self.request_timeout)
            .field("db_max_connections", &self.db_max_connections)
            .field(
                "read_database_url",
                &self.read_database_url.as_deref().map(redact_url),
            )
            .field("read_max_lag", &self.read_max_lag)
            .field("trust_forwarded_for", &self.trust_forwarded_for)
            .field("cors_origins", &self.cors_origins)
            .field("graphiql", &self.graphiql)
            .field("introspection", &self.introspection)
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "<set>"),
            )
            .field("jwt_previous_secrets", &self.jwt_previous_secrets.len())
            .field("redis_url", &self.redis_url.as_deref().map(redact_url))
            .field("max_in_flight", &self.max_in_flight)
            .field("queue_timeout", &self.queue_timeout)
            .field("persisted_only", &self.persisted_only)
            .field("storage_dir", &self.storage_dir)
            .field("s3", &self.s3)
            .finish()
    }
}

/// Hides the password of a database URL.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..s + 3], user, &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// An invalid environment variable.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {reason}")]
pub struct ConfigError {
    name: &'static str,
    reason: String,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parsed<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, ConfigError>
where
    T::Err: fmt::Display,
{
    match var(name) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|e: T::Err| ConfigError {
            name,
            reason: e.to_string(),
        }),
    }
}

/// A switch: `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`).
fn flag(name: &'static str, default: bool) -> Result<bool, ConfigError> {
    match var(name).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) => match v.as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err(ConfigError {
                name,
                reason: format!("must be true or false, not {v:?}"),
            }),
        },
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "sqlite://khuyencong.db?mode=rwc".into(),
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            jwt_secret: None,
            jwt_public_key_pem: None,
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            max_depth: 12,
            max_complexity: 20_000,
            login_attempts_per_minute: 10,
            requests_per_second: 100,
            request_timeout: Duration::from_secs(30),
            db_max_connections: 10,
            read_database_url: None,
            read_max_lag: Duration::from_millis(2000),
            trust_forwarded_for: false,
            log_json: false,
            cors_origins: CorsOrigins::None,
            graphiql: true,
            introspection: true,
            metrics_token: None,
            jwt_previous_secrets: Vec::new(),
            redis_url: None,
            max_in_flight: None,
            queue_timeout: Duration::from_millis(1000),
            max_aliases: 50,
            max_root_fields: 20,
            persisted_only: false,
            persisted_manifest: None,
            pii_log_retention_days: 365,
            storage_dir: None,
            s3: None,
        }
    }
}

impl Config {
    /// Reads the configuration from the environment, with the defaults above.
    pub fn from_env() -> Result<Self, ConfigError> {
        let d = Self::default();
        Ok(Self {
            database_url: var("DATABASE_URL").unwrap_or(d.database_url),
            bind: parsed("KC_BIND", d.bind)?,
            jwt_secret: var("KC_JWT_SECRET"),
            jwt_public_key_pem: var("KC_JWT_PUBLIC_KEY_PEM"),
            access_token_ttl: Duration::from_secs(parsed("KC_ACCESS_TOKEN_TTL_SECS", 900u64)?),
            refresh_token_ttl: Duration::from_secs(
                parsed("KC_REFRESH_TOKEN_TTL_DAYS", 30u64)? * 24 * 3600,
            ),
            max_depth: parsed("KC_MAX_DEPTH", d.max_depth)?,
            max_complexity: parsed("KC_MAX_COMPLEXITY", d.max_complexity)?,
            login_attempts_per_minute: parsed(
                "KC_LOGIN_ATTEMPTS_PER_MINUTE",
                d.login_attempts_per_minute,
            )?,
            requests_per_second: parsed("KC_REQUESTS_PER_SECOND", d.requests_per_second)?,
            request_timeout: Duration::from_secs(parsed("KC_REQUEST_TIMEOUT_SECS", 30u64)?),
            db_max_connections: parsed("KC_DB_MAX_CONNECTIONS", d.db_max_connections)?,
            read_database_url: var("KC_DATABASE_READ_URL"),
            read_max_lag: Duration::from_millis(parsed("KC_READ_MAX_LAG_MS", 2000u64)?),
            trust_forwarded_for: flag("KC_TRUST_FORWARDED_FOR", false)?,
            log_json: match var("KC_LOG_FORMAT").map(|v| v.trim().to_ascii_lowercase()) {
                None => false,
                Some(v) if v == "json" => true,
                Some(v) if v == "text" => false,
                Some(v) => {
                    return Err(ConfigError {
                        name: "KC_LOG_FORMAT",
                        reason: format!("must be text or json, not {v:?}"),
                    });
                }
            },
            cors_origins: match var("KC_CORS_ORIGINS") {
                None => CorsOrigins::None,
                Some(v) => CorsOrigins::parse(&v).map_err(|reason| ConfigError {
                    name: "KC_CORS_ORIGINS",
                    reason,
                })?,
            },
            graphiql: flag("KC_GRAPHIQL", true)?,
            introspection: flag("KC_INTROSPECTION", true)?,
            metrics_token: var("KC_METRICS_TOKEN"),
            jwt_previous_secrets: var("KC_JWT_PREVIOUS_SECRETS")
                .map(|v| {
                    v.split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            redis_url: var("KC_REDIS_URL"),
            max_in_flight: var("KC_MAX_IN_FLIGHT")
                .map(|_| parsed("KC_MAX_IN_FLIGHT", 0u32))
                .transpose()?,
            queue_timeout: Duration::from_millis(parsed("KC_QUEUE_TIMEOUT_MS", 1000u64)?),
            max_aliases: parsed("KC_MAX_ALIASES", d.max_aliases)?,
            max_root_fields: parsed("KC_MAX_ROOT_FIELDS", d.max_root_fields)?,
            persisted_only: parsed("KC_PERSISTED_ONLY", false)?,
            persisted_manifest: var("KC_PERSISTED_MANIFEST"),
            pii_log_retention_days: parsed("KC_PII_LOG_RETENTION_DAYS", d.pii_log_retention_days)?,
            storage_dir: var("KC_STORAGE_DIR").map(|v| std::path::PathBuf::from(v.trim())),
            s3: var("KC_S3_BUCKET").map(|bucket| S3Config {
                bucket: bucket.trim().to_owned(),
                endpoint: var("KC_S3_ENDPOINT").map(|v| v.trim().to_owned()),
                region: var("KC_S3_REGION").map(|v| v.trim().to_owned()),
                access_key_id: var("KC_S3_ACCESS_KEY_ID"),
                secret_access_key: var("KC_S3_SECRET_ACCESS_KEY"),
                prefix: var("KC_S3_PREFIX").map(|v| v.trim().trim_matches('/').to_owned()),
            }),
        })
    }

    /// The folder of uploaded documents on the local disk: `KC_STORAGE_DIR`, else
    /// `<database name>-storage` beside the SQLite file, else `./storage`.
    pub fn documents_dir(&self) -> std::path::PathBuf {
        if let Some(dir) = &self.storage_dir {
            return dir.clone();
        }
        match sqlite_file(&self.database_url) {
            Some(file) => {
                let file = std::path::Path::new(&file);
                let stem = file
                    .file_stem()
                    .map_or_else(|| "khuyencong".into(), |s| s.to_string_lossy());
                file.with_file_name(format!("{stem}-storage"))
            }
            None => std::path::PathBuf::from("storage"),
        }
    }

    /// Whether the database is SQLite.
    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

/// The file of a `sqlite://` URL, or `None` for an in-memory database.
pub fn sqlite_file(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let file = rest.split('?').next().unwrap_or("");
    if file.is_empty() || file == ":memory:" || rest.contains("mode=memory") {
        None
    } else {
        Some(file.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://kc:secret@db:5432/kc"),
            "postgres://kc:***@db:5432/kc"
        );
        assert_eq!(redact_url("sqlite://x.db"), "sqlite://x.db");
    }
}
