//! The shared application state.

use std::{
    num::NonZeroU32,
    sync::{Arc, RwLock},
};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sea_orm::DatabaseConnection;

use crate::{
    auth::jwt::Keys,
    config::Config,
    error::{AppError, Result},
    http::metrics::Metrics,
    reference::Reference,
};

/// What every request can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The database pool.
    pub db: DatabaseConnection,
    /// The configuration.
    pub config: Arc<Config>,
    /// Token keys.
    pub keys: Arc<Keys>,
    /// Provinces and communes, swapped whole when a region changes.
    pub reference: Arc<RwLock<Arc<Reference>>>,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// Rate limiters.
    pub limiters: Arc<Limiters>,
}

impl AppState {
    /// The reference data as of now (a request keeps the snapshot it started with).
    pub fn reference(&self) -> Arc<Reference> {
        match self.reference.read() {
            Ok(r) => Arc::clone(&r),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Reloads the reference data from the database (after a region changes). Other
    /// instances see the change on their next start; nominations read regions from the
    /// database, so the rules apply it at once everywhere.
    pub async fn reload_reference(&self) -> Result<()> {
        let fresh = Arc::new(Reference::load(&self.db).await?);
        match self.reference.write() {
            Ok(mut r) => *r = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
        Ok(())
    }
}

/// Rate limiters keyed by username and by address. They live in each instance's memory:
/// behind a load balancer, the limit a client meets is per instance.
pub struct Limiters {
    login: DefaultKeyedRateLimiter<String>,
    requests: DefaultKeyedRateLimiter<String>,
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

impl Limiters {
    /// Limiters from the configuration.
    pub fn new(config: &Config) -> Self {
        Self {
            login: RateLimiter::keyed(Quota::per_minute(nz(config.login_attempts_per_minute))),
            requests: RateLimiter::keyed(
                Quota::per_second(nz(config.requests_per_second))
                    .allow_burst(nz(config.requests_per_second.saturating_mul(4))),
            ),
        }
    }

    /// One sign-in attempt for a username from an address (`RATE_LIMITED` when over).
    pub fn check_login(&self, username: &str, ip: &str) -> Result<()> {
        let by_ip = self.login.check_key(&format!("ip:{ip}")).is_ok();
        let by_user = username.is_empty() || self.login.check_key(&format!("u:{username}")).is_ok();
        if by_ip && by_user {
            Ok(())
        } else {
            Err(AppError::rate_limited())
        }
    }

    /// One request from a key (`user:<id>` or `ip:<address>`).
    pub fn check_request(&self, key: &str) -> Result<()> {
        self.requests
            .check_key(&key.to_owned())
            .map_err(|_| AppError::rate_limited())
    }

    /// Forgets keys that are back to full capacity (called periodically).
    pub fn shrink(&self) {
        self.login.retain_recent();
        self.requests.retain_recent();
    }
}

/// The pool's size and idle connections.
pub fn pool_state(db: &DatabaseConnection) -> (i64, i64) {
    match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            let p = db.get_postgres_connection_pool();
            (i64::from(p.size()), p.num_idle() as i64)
        }
        _ => {
            let p = db.get_sqlite_connection_pool();
            (i64::from(p.size()), p.num_idle() as i64)
        }
    }
}
