//! The shared application state.

use std::{
    collections::HashMap,
    num::NonZeroU32,
    sync::{Arc, Mutex, RwLock},
    time::{Duration, Instant},
};

use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};
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
    /// Wake-ups of live subscriptions and their connection limits.
    pub live: crate::live::Live,
    /// Back-pressure, token revocation, shared limits, persisted queries.
    pub guard: Arc<crate::guard::Guard>,
    /// The read replica, when `KC_DATABASE_READ_URL` is set.
    pub replica: Option<Arc<crate::db::replica::Replica>>,
    /// Where the bytes of uploaded documents live.
    pub storage: crate::storage::Storage,
}

impl AppState {
    /// The reference data as of now (a request keeps the snapshot it started with).
    pub fn reference(&self) -> Arc<Reference> {
        match self.reference.read() {
            Ok(r) => Arc::clone(&r),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Where a read-only caller reads: the replica when one is usable (`db::replica`).
    pub fn read_only_db(&self) -> &DatabaseConnection {
        self.replica
            .as_ref()
            .and_then(|r| r.usable())
            .unwrap_or(&self.db)
    }

    /// Where reports and exports read for `actor`: the replica when one is usable and the
    /// caller has not written within the lag limit (read-your-own-writes); else the primary.
    pub async fn report_db(
        &self,
        actor: Option<&crate::auth::actor::Actor>,
    ) -> &DatabaseConnection {
        let Some(replica) = &self.replica else {
            return &self.db;
        };
        match actor {
            Some(a) if !a.read_only => replica.for_writer(&self.db, a.user_id).await,
            _ => replica.usable(),
        }
        .unwrap_or(&self.db)
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

/// Rate limiters keyed by user, username and address. They live in each instance's memory:
/// behind a load balancer, the limit a client meets is per instance.
pub struct Limiters {
    /// Failed sign-ins per username.
    failed_by_user: DefaultKeyedRateLimiter<String>,
    /// Failed sign-ins per address (five times the per-username allowance: an office's
    /// officers share one address).
    failed_by_ip: DefaultKeyedRateLimiter<String>,
    /// Keys over their failure allowance, and until when.
    locked: Mutex<HashMap<String, Instant>>,
    /// GraphQL requests per user.
    by_user: DefaultKeyedRateLimiter<String>,
    /// GraphQL requests per address (five times the per-user allowance).
    by_ip: DefaultKeyedRateLimiter<String>,
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

/// Whole seconds, rounded up (a `Retry-After` of 0 would invite an immediate retry).
fn secs_ceil(d: Duration) -> u64 {
    let whole = d.as_secs();
    if d.subsec_nanos() > 0 {
        whole + 1
    } else {
        whole
    }
    .max(1)
}

/// How long a username or address stays locked after too many failed sign-ins.
pub const LOCKOUT: Duration = Duration::from_secs(60);

impl Limiters {
    /// Limiters from the configuration.
    pub fn new(config: &Config) -> Self {
        let per_minute = config.login_attempts_per_minute;
        let rps = config.requests_per_second;
        Self {
            failed_by_user: RateLimiter::keyed(Quota::per_minute(nz(per_minute))),
            failed_by_ip: RateLimiter::keyed(Quota::per_minute(nz(per_minute.saturating_mul(5)))),
            locked: Mutex::new(HashMap::new()),
            by_user: RateLimiter::keyed(
                Quota::per_second(nz(rps)).allow_burst(nz(rps.saturating_mul(4))),
            ),
            by_ip: RateLimiter::keyed(
                Quota::per_second(nz(rps.saturating_mul(5)))
                    .allow_burst(nz(rps.saturating_mul(20))),
            ),
        }
    }

    fn keys(username: &str, ip: &str) -> [String; 2] {
        [format!("u:{username}"), format!("ip:{ip}")]
    }

    /// Refuses a sign-in while the username or the address is locked out (`RATE_LIMITED`).
    pub fn ensure_login_allowed(&self, username: &str, ip: &str) -> Result<()> {
        let now = Instant::now();
        let locked = match self.locked.lock() {
            Ok(l) => l,
            Err(poisoned) => poisoned.into_inner(),
        };
        let until = Self::keys(username, ip)
            .iter()
            .filter_map(|k| locked.get(k).copied())
            .filter(|until| *until > now)
            .max();
        match until {
            Some(until) => Err(AppError::rate_limited_for(secs_ceil(until - now))),
            None => Ok(()),
        }
    }

    /// Counts a failed sign-in; returns whether the username or address is now locked out.
    /// Successful sign-ins are never counted, so busy offices are not slowed down.
    pub fn login_failed(&self, username: &str, ip: &str) -> bool {
        let [user_key, ip_key] = Self::keys(username, ip);
        let mut over = Vec::new();
        if self.failed_by_user.check_key(&user_key).is_err() {
            over.push(user_key);
        }
        if self.failed_by_ip.check_key(&ip_key).is_err() {
            over.push(ip_key);
        }
        if over.is_empty() {
            return false;
        }
        let mut locked = match self.locked.lock() {
            Ok(l) => l,
            Err(poisoned) => poisoned.into_inner(),
        };
        let until = Instant::now() + LOCKOUT;
        for k in over {
            locked.insert(k, until);
        }
        true
    }

    /// One request from an address, and from a user when signed in.
    /// When refused, the error carries the seconds until the limiter lets the caller in.
    pub fn check_request(&self, ip: &str, user: Option<i64>) -> Result<()> {
        let now = DefaultClock::default().now();
        let by_ip = self.by_ip.check_key(&format!("ip:{ip}")).err();
        let by_user = user.and_then(|u| self.by_user.check_key(&format!("user:{u}")).err());
        let wait = [by_ip, by_user]
            .into_iter()
            .flatten()
            .map(|not_until| not_until.wait_time_from(now))
            .max();
        match wait {
            None => Ok(()),
            Some(wait) => Err(AppError::rate_limited_for(secs_ceil(wait))),
        }
    }

    /// Forgets keys that are back to full capacity and lockouts that ended.
    pub fn shrink(&self) {
        self.failed_by_user.retain_recent();
        self.failed_by_ip.retain_recent();
        self.by_user.retain_recent();
        self.by_ip.retain_recent();
        let now = Instant::now();
        if let Ok(mut locked) = self.locked.lock() {
            locked.retain(|_, until| *until > now);
        }
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
