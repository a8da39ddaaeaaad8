//! Rate limits kept in each instance's memory: failed sign-ins (with lock-outs) and
//! requests, per user and per address. [`super::shared`] adds the limits shared through Redis.

use std::{
    collections::HashMap,
    num::NonZeroU32,
    sync::Mutex,
    time::{Duration, Instant},
};

use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};

use crate::{
    config::Config,
    error::{AppError, Result},
};

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
