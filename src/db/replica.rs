//! An optional PostgreSQL streaming replica for reads (`KC_DATABASE_READ_URL`).
//!
//! What goes to the replica: the reports (`fundingSummary`, `selectionSummary`,
//! `ocopSummary`, `ocopProvinceRanking`, … and their Excel files), the bulk exports, and
//! every list and lookup of a read-only caller (the ministry's pull account) in a query
//! operation. Everything else stays on the primary: mutations and what they return, the
//! change feed (its no-skip argument is made on the primary's snapshots), and the reads of
//! a caller who wrote recently.
//!
//! Read-your-own-writes: a caller whose last audited write (sign-ins and account changes
//! aside) is less than `KC_READ_MAX_LAG_MS` + 1 s old reads from the primary. The check asks
//! the primary (a look at the caller's last 20 audit events through the index
//! `audit_event(actor_id, id)`), so it holds across every
//! instance behind a load balancer; a read-only caller never writes and skips it. Staleness
//! is bounded: a monitor asks the replica every 250 ms how far behind it is (0 when it has
//! replayed all it received, otherwise the time since the last transaction it replayed);
//! while that is more than `KC_READ_MAX_LAG_MS`, or the replica does not answer, every read
//! goes to the primary. So what the replica serves is at most about `KC_READ_MAX_LAG_MS`
//! old, and a caller never sees its own write disappear.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::{config::Config, db, error::Result, metrics::Metrics};

/// How often the replica's lag is measured.
const PROBE_EVERY: Duration = Duration::from_millis(250);
/// Lag recorded while the replica cannot be asked.
const UNKNOWN: u64 = u64::MAX;

/// The replica's pool and its measured lag.
pub struct Replica {
    db: DatabaseConnection,
    max_lag: Duration,
    lag_ms: AtomicU64,
}

impl Replica {
    /// Connects to `url` with the primary's pool settings and starts measuring its lag.
    pub async fn connect(config: &Config, url: &str, metrics: &Metrics) -> Result<Arc<Self>> {
        let mut replica_config = config.clone();
        replica_config.database_url = url.to_owned();
        let db = db::connect(&replica_config, metrics).await?;
        let replica = Arc::new(Self {
            db,
            max_lag: config.read_max_lag,
            lag_ms: AtomicU64::new(UNKNOWN),
        });
        replica.probe().await;
        let weak = Arc::downgrade(&replica);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(PROBE_EVERY);
            loop {
                tick.tick().await;
                let Some(r) = weak.upgrade() else { break };
                r.probe().await;
            }
        });
        Ok(replica)
    }

    /// Measures the lag once.
    async fn probe(&self) {
        let sql = format!(
            "{}SELECT CAST(CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 \
             ELSE COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()) \
             * 1000, 0) END AS BIGINT) AS lag_ms",
            db::UNCOUNTED
        );
        let lag = match self
            .db
            .query_one_raw(Statement::from_string(self.db.get_database_backend(), sql))
            .await
        {
            Ok(Some(row)) => row
                .try_get::<i64>("", "lag_ms")
                .ok()
                .map_or(UNKNOWN, |v| v.max(0) as u64),
            Ok(None) => UNKNOWN,
            Err(e) => {
                tracing::warn!(error = %e, "the read replica does not answer; reads go to the primary");
                UNKNOWN
            }
        };
        self.lag_ms.store(lag, Ordering::Relaxed);
    }

    /// The last measured lag, or `None` while unknown.
    pub fn lag(&self) -> Option<Duration> {
        match self.lag_ms.load(Ordering::Relaxed) {
            UNKNOWN => None,
            ms => Some(Duration::from_millis(ms)),
        }
    }

    /// The replica, when it is within the lag limit.
    pub fn usable(&self) -> Option<&DatabaseConnection> {
        self.lag()
            .is_some_and(|l| l <= self.max_lag)
            .then_some(&self.db)
    }

    /// The replica for a caller who may write: when it is within the lag limit and the
    /// caller's last audited write (asked of `primary`) is older than the lag limit + 1 s.
    pub async fn for_writer(
        &self,
        primary: &DatabaseConnection,
        user_id: i64,
    ) -> Option<&DatabaseConnection> {
        let replica = self.usable()?;
        let window = (self.max_lag + Duration::from_secs(1)).as_millis();
        // The caller's last 20 audited events, sign-ins and account changes left out (they
        // change nothing a report reads).
        let sql = format!(
            "SELECT COUNT(*) AS recent FROM (SELECT at, entity_type FROM audit_event \
             WHERE actor_id = $1 ORDER BY id DESC LIMIT 20) t WHERE t.entity_type <> '{}' \
             AND t.at > CURRENT_TIMESTAMP - ({window} * INTERVAL '1 millisecond')",
            crate::kind::EntityKind::User.as_str()
        );
        let row = primary
            .query_one_raw(Statement::from_sql_and_values(
                primary.get_database_backend(),
                sql,
                [user_id.into()],
            ))
            .await;
        match row {
            Ok(Some(r)) => (r.try_get::<i64>("", "recent").ok() == Some(0)).then_some(replica),
            _ => None,
        }
    }
}
