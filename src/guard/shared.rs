//! Rate limits and sign-in lockouts shared by every instance through Redis
//! (`KC_REDIS_URL`). Without Redis, or while it is unreachable, each instance counts alone
//! (the in-memory limiters of [`crate::guard::limits::Limiters`], which always count as well), and the
//! log says so loudly: an attacker spreading guesses over N instances then gets N times the
//! allowance until Redis is back.
//!
//! Redis keys (all expiring): `kc:fail:u:<username>` / `kc:fail:ip:<address>` count failed
//! sign-ins in a one-minute window; `kc:lock:…` mark a one-minute lockout;
//! `kc:rq:u:<user>:<second>` / `kc:rq:ip:<address>:<second>` count requests per second.

use std::{
    sync::{
        Mutex,
        atomic::{AtomicI64, Ordering},
    },
    time::{Duration, Instant},
};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::{
    config::Config,
    error::{AppError, Result},
    guard::limits::Limiters,
};

/// The longest a Redis call may take before this instance falls back to its own counts.
const REDIS_TIMEOUT: Duration = Duration::from_millis(300);
/// How often a lost Redis is tried again.
const RECONNECT_EVERY: Duration = Duration::from_secs(5);
/// Window of failed sign-ins and length of a lockout, seconds.
const WINDOW_SECS: u64 = 60;

/// The shared limits.
pub struct Shared {
    client: Option<redis::Client>,
    conn: tokio::sync::Mutex<Option<ConnectionManager>>,
    last_attempt: Mutex<Option<Instant>>,
    last_warning: AtomicI64,
    login_per_minute: u64,
    requests_per_second: u64,
}

impl Shared {
    /// Connects to `KC_REDIS_URL` if set. A Redis that cannot be reached is logged as an
    /// error and tried again every few seconds; limits are per instance meanwhile.
    pub async fn connect(config: &Config) -> Self {
        let client = match config.redis_url.as_deref().map(redis::Client::open) {
            None => None,
            Some(Ok(c)) => Some(c),
            Some(Err(e)) => {
                tracing::error!(error = %e, "KC_REDIS_URL is not a valid Redis URL: rate limits and sign-in lockouts are per instance");
                None
            }
        };
        let shared = Self {
            client,
            conn: tokio::sync::Mutex::new(None),
            last_attempt: Mutex::new(None),
            last_warning: AtomicI64::new(0),
            login_per_minute: u64::from(config.login_attempts_per_minute.max(1)),
            requests_per_second: u64::from(config.requests_per_second.max(1)),
        };
        if shared.client.is_some() {
            if shared.connection().await.is_some() {
                tracing::info!("rate limits and sign-in lockouts are shared through Redis");
            }
        } else {
            tracing::info!(
                "KC_REDIS_URL not set: rate limits and sign-in lockouts are per instance"
            );
        }
        shared
    }

    /// Whether limits are shared right now (Redis configured and reachable at last try).
    pub async fn is_shared(&self) -> bool {
        self.conn.lock().await.is_some()
    }

    fn warn_fallback(&self, error: &dyn std::fmt::Display) {
        // Loud, but at most once every 30 seconds.
        let now = chrono::Utc::now().timestamp();
        let last = self.last_warning.load(Ordering::Relaxed);
        if now - last >= 30
            && self
                .last_warning
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::error!(error = %error, "Redis unreachable: rate limits and sign-in lockouts fall back to this instance only");
        }
    }

    async fn connection(&self) -> Option<ConnectionManager> {
        let client = self.client.as_ref()?;
        let mut guard = self.conn.lock().await;
        if let Some(c) = guard.as_ref() {
            return Some(c.clone());
        }
        {
            let mut last = self.last_attempt.lock().unwrap_or_else(|p| p.into_inner());
            if last.is_some_and(|t| t.elapsed() < RECONNECT_EVERY) {
                return None;
            }
            *last = Some(Instant::now());
        }
        let cfg = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(REDIS_TIMEOUT))
            .set_response_timeout(Some(REDIS_TIMEOUT))
            .set_number_of_retries(1);
        match tokio::time::timeout(
            REDIS_TIMEOUT * 2,
            ConnectionManager::new_with_config(client.clone(), cfg),
        )
        .await
        {
            Ok(Ok(c)) => {
                *guard = Some(c.clone());
                Some(c)
            }
            Ok(Err(e)) => {
                self.warn_fallback(&e);
                None
            }
            Err(_) => {
                self.warn_fallback(&"connection timed out");
                None
            }
        }
    }

    /// Runs a pipeline on Redis; `None` (logged) when Redis is missing or failing.
    async fn run<T: redis::FromRedisValue>(&self, pipe: &redis::Pipeline) -> Option<T> {
        let mut conn = self.connection().await?;
        match tokio::time::timeout(REDIS_TIMEOUT, pipe.query_async::<T>(&mut conn)).await {
            Ok(Ok(v)) => Some(v),
            Ok(Err(e)) => {
                self.warn_fallback(&e);
                if e.is_connection_dropped() || e.is_io_error() {
                    *self.conn.lock().await = None;
                }
                None
            }
            Err(_) => {
                self.warn_fallback(&"command timed out");
                None
            }
        }
    }

    /// Refuses a sign-in while the username or the address is locked out, on any instance.
    pub async fn ensure_login_allowed(
        &self,
        local: &Limiters,
        username: &str,
        ip: &str,
    ) -> Result<()> {
        local.ensure_login_allowed(username, ip)?;
        let mut pipe = redis::pipe();
        pipe.cmd("EXISTS")
            .arg(format!("kc:lock:u:{username}"))
            .arg(format!("kc:lock:ip:{ip}"));
        match self.run::<(i64,)>(&pipe).await {
            Some((n,)) if n > 0 => Err(AppError::rate_limited()),
            _ => Ok(()),
        }
    }

    /// Counts a failed sign-in on every instance; returns whether the username or address is
    /// now locked out (here or, through Redis, everywhere).
    pub async fn login_failed(&self, local: &Limiters, username: &str, ip: &str) -> bool {
        let locally = local.login_failed(username, ip);
        let user_key = format!("kc:fail:u:{username}");
        let ip_key = format!("kc:fail:ip:{ip}");
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("SET")
            .arg(&user_key)
            .arg(0)
            .arg("EX")
            .arg(WINDOW_SECS)
            .arg("NX")
            .ignore()
            .cmd("INCR")
            .arg(&user_key)
            .cmd("SET")
            .arg(&ip_key)
            .arg(0)
            .arg("EX")
            .arg(WINDOW_SECS)
            .arg("NX")
            .ignore()
            .cmd("INCR")
            .arg(&ip_key);
        let Some((by_user, by_ip)) = self.run::<(u64, u64)>(&pipe).await else {
            return locally;
        };
        let mut lock = redis::pipe();
        let mut any = false;
        if by_user > self.login_per_minute {
            lock.cmd("SET")
                .arg(format!("kc:lock:u:{username}"))
                .arg(1)
                .arg("EX")
                .arg(WINDOW_SECS)
                .ignore();
            any = true;
        }
        if by_ip > self.login_per_minute.saturating_mul(5) {
            lock.cmd("SET")
                .arg(format!("kc:lock:ip:{ip}"))
                .arg(1)
                .arg("EX")
                .arg(WINDOW_SECS)
                .ignore();
            any = true;
        }
        if any {
            let _ = self.run::<()>(&lock).await;
        }
        locally || any
    }

    /// Counts one request against the shared per-user and per-address allowances (a one-second
    /// window as large as the local burst). Does nothing without Redis: the handler's
    /// per-instance limiters apply in any case.
    pub async fn check_request(&self, ip: &str, user: Option<i64>) -> Result<()> {
        if self.client.is_none() {
            return Ok(());
        }
        let second = chrono::Utc::now().timestamp();
        let ip_key = format!("kc:rq:ip:{ip}:{second}");
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("INCR")
            .arg(&ip_key)
            .cmd("EXPIRE")
            .arg(&ip_key)
            .arg(2)
            .ignore();
        let user_key = user.map(|u| format!("kc:rq:u:{u}:{second}"));
        if let Some(k) = &user_key {
            pipe.cmd("INCR").arg(k).cmd("EXPIRE").arg(k).arg(2).ignore();
        }
        let counts: Option<Vec<u64>> = self.run(&pipe).await;
        let Some(counts) = counts else {
            return Ok(());
        };
        let ip_over = counts
            .first()
            .is_some_and(|n| *n > self.requests_per_second.saturating_mul(20));
        let user_over = counts
            .get(1)
            .is_some_and(|n| *n > self.requests_per_second.saturating_mul(4));
        if ip_over || user_over {
            Err(AppError::rate_limited())
        } else {
            Ok(())
        }
    }
}
