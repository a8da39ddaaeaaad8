//! The users' token epochs, cached for a short time so checking every request costs one
//! primary-key read per user per [`TTL`]. A change (deactivation, rights, password,
//! `logoutAll`) bumps the epoch in the database; every instance sees it once its cache entry
//! is older than [`TTL`], so an access token ends within that time everywhere.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use sea_orm::ConnectionTrait;

use crate::error::Result;

/// How long an instance trusts its cached epoch (the revocation delay; at most 5 s).
pub const TTL: Duration = Duration::from_secs(2);

/// Entries kept before the cache sheds stale ones.
const MAX_ENTRIES: usize = 100_000;

/// What the cache knows of a user: `(epoch, active)`, or `None` when the user is gone.
type Known = Option<(i64, bool)>;

/// The cache.
pub struct Epochs {
    ttl: Duration,
    cache: Mutex<HashMap<i64, (Known, Instant)>>,
}

impl Epochs {
    /// A cache trusting entries for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn cached(&self, user_id: i64) -> Option<Known> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(&user_id)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(k, _)| *k)
    }

    /// Whether a token of `user_id` issued under `token_epoch` still holds: the user exists,
    /// is active, and the epoch is current. Tokens without an epoch (an external identity
    /// provider's) are only checked for an active user.
    pub async fn is_current(
        &self,
        db: &impl ConnectionTrait,
        user_id: i64,
        token_epoch: Option<i64>,
    ) -> Result<bool> {
        let known = match self.cached(user_id) {
            Some(k) => k,
            None => {
                let sql = format!(
                    "{}SELECT token_epoch, active FROM app_user WHERE id = $1",
                    crate::db::UNCOUNTED
                );
                let row = db
                    .query_one_raw(sea_orm::Statement::from_sql_and_values(
                        db.get_database_backend(),
                        sql,
                        [user_id.into()],
                    ))
                    .await?;
                let row: Option<(i64, bool)> = match row {
                    Some(r) => Some((r.try_get("", "token_epoch")?, r.try_get("", "active")?)),
                    None => None,
                };
                let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
                if cache.len() >= MAX_ENTRIES {
                    let ttl = self.ttl;
                    cache.retain(|_, (_, at)| at.elapsed() < ttl);
                }
                cache.insert(user_id, (row, Instant::now()));
                row
            }
        };
        Ok(match known {
            None => false,
            Some((epoch, active)) => active && token_epoch.is_none_or(|t| t >= epoch),
        })
    }

    /// Drops a user's entry, so this instance sees a change at once.
    pub fn forget(&self, user_id: i64) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.remove(&user_id);
    }
}
