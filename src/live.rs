//! Live updates: a wake-up signal for subscribers, fed by every instance's commits, and the
//! per-user connection limit of `GET /graphql/ws`.
//!
//! The wake-up carries no data. A woken subscriber reads the change feed after its own
//! cursor (`domain::change`), so a lost or doubled wake-up loses or repeats nothing: it only
//! delays. On PostgreSQL each committed change sends `NOTIFY khuyencong_changes` (from the
//! writing transaction, so only on commit) and every instance `LISTEN`s, which reaches
//! subscribers of every instance; a periodic wake-up covers a dropped listener connection.
//! On SQLite (one instance) a watcher polls the feed's last sequence number.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use sea_orm::{DatabaseBackend, DatabaseConnection, EntityTrait};
use tokio::sync::watch;

/// Open `/graphql/ws` connections one user may hold on one instance.
pub const MAX_CONNECTIONS_PER_USER: usize = 8;
/// Active subscriptions on one connection.
pub const MAX_SUBSCRIPTIONS_PER_CONNECTION: usize = 20;
/// How often subscribers are woken without a notification (a safety net, not the path).
const FALLBACK_WAKE: Duration = Duration::from_secs(5);
/// How often the SQLite watcher looks for new changes.
const SQLITE_POLL: Duration = Duration::from_millis(200);

/// The wake-up hub of one instance. Cheap to clone.
#[derive(Clone)]
pub struct Live {
    wake: Arc<watch::Sender<u64>>,
    connections: Arc<Mutex<HashMap<i64, usize>>>,
}

impl Default for Live {
    fn default() -> Self {
        Self::new()
    }
}

impl Live {
    /// A hub with nobody listening yet.
    pub fn new() -> Self {
        let (tx, _) = watch::channel(0);
        Self {
            wake: Arc::new(tx),
            connections: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// A receiver that sees every later wake-up.
    pub fn receiver(&self) -> watch::Receiver<u64> {
        self.wake.subscribe()
    }

    /// Wakes every subscriber of this instance.
    pub fn wake(&self) {
        self.wake.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Counts a connection of `user_id`; `None` when the user already holds the maximum.
    pub fn connect(&self, user_id: i64) -> Option<ConnectionGuard> {
        let mut map = match self.connections.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        let n = map.entry(user_id).or_insert(0);
        if *n >= MAX_CONNECTIONS_PER_USER {
            return None;
        }
        *n += 1;
        Some(ConnectionGuard {
            user_id,
            connections: Arc::clone(&self.connections),
        })
    }

    /// Runs the watcher that turns commits (of any instance) into wake-ups, until aborted.
    pub async fn watch(self, db: DatabaseConnection) {
        if db.get_database_backend() == DatabaseBackend::Postgres {
            self.listen_postgres(db).await
        } else {
            self.poll_sqlite(db).await
        }
    }

    async fn listen_postgres(self, db: DatabaseConnection) {
        use sea_orm::sqlx::postgres::PgListener;
        let pool = db.get_postgres_connection_pool().clone();
        let mut fallback = tokio::time::interval(FALLBACK_WAKE);
        loop {
            let mut listener = match PgListener::connect_with(&pool).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "change listener cannot connect; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if let Err(e) = listener.listen(crate::domain::change::CHANNEL).await {
                tracing::warn!(error = %e, "LISTEN failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            // Changes committed while no listener was connected are found by reading the feed.
            self.wake();
            loop {
                tokio::select! {
                    n = listener.try_recv() => match n {
                        Ok(Some(_)) => self.wake(),
                        // The connection dropped; `try_recv` reconnects on the next call.
                        Ok(None) => self.wake(),
                        Err(e) => {
                            tracing::warn!(error = %e, "change listener failed; reconnecting");
                            break;
                        }
                    },
                    _ = fallback.tick() => self.wake(),
                }
            }
        }
    }

    async fn poll_sqlite(self, db: DatabaseConnection) {
        let mut last: Option<i64> = None;
        let mut tick = tokio::time::interval(SQLITE_POLL);
        loop {
            tick.tick().await;
            // Read through the raw pool, not sea-orm: this background poll is not work a
            // request asked for, so it must not count in `db_statements_total` (the tests of
            // statements per request read that counter).
            let head: Result<Option<i64>, _> =
                sea_orm::sqlx::query_scalar("SELECT MAX(seq) FROM change_event")
                    .fetch_one(db.get_sqlite_connection_pool())
                    .await;
            match head {
                Ok(h) if h != last => {
                    last = h;
                    self.wake();
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "change watcher failed to read"),
            }
        }
    }
}

/// Whether a user exists and is active (a deactivated user's connections are closed).
pub async fn user_active(db: &DatabaseConnection, user_id: i64) -> crate::error::Result<bool> {
    Ok(crate::db::entities::app_user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .is_some_and(|u| u.active))
}

/// One open connection of a user; dropping it frees the place.
pub struct ConnectionGuard {
    user_id: i64,
    connections: Arc<Mutex<HashMap<i64, usize>>>,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        let mut map = match self.connections.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        if let Some(n) = map.get_mut(&self.user_id) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.user_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_per_user_are_limited_and_freed() {
        let live = Live::new();
        let guards: Vec<_> = (0..MAX_CONNECTIONS_PER_USER)
            .map(|_| live.connect(7).expect("room"))
            .collect();
        assert!(live.connect(7).is_none());
        assert!(live.connect(8).is_some());
        drop(guards);
        assert!(live.connect(7).is_some());
    }
}
