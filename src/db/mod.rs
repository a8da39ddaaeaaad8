//! Connecting to the database, migrating it, and counting its statements.

pub mod entities;
pub mod replica;

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

use crate::{config::Config, error::Result, metrics::Metrics};

/// How long a first connection may take before start-up gives up (a closed port fails at
/// once; a host that drops packets would otherwise hang).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The prefix of statements left out of `db_statements_total`.
pub const UNCOUNTED: &str = "/* kc:uncounted */ ";

/// Opens the pool. SQLite files get WAL, a busy timeout and foreign keys; every statement
/// the server runs is counted in `db_statements_total`.
pub async fn connect(config: &Config, metrics: &Metrics) -> Result<DatabaseConnection> {
    let mut opts = ConnectOptions::new(config.database_url.clone());
    opts.max_connections(config.db_max_connections)
        .min_connections(1)
        // A database that does not answer fails start-up in a few seconds, saying so.
        .connect_timeout(CONNECT_TIMEOUT)
        .acquire_timeout(CONNECT_TIMEOUT)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    if config.is_sqlite() {
        // Keep one connection open so an in-memory database lives as long as the pool.
        opts.idle_timeout(None::<Duration>)
            .max_lifetime(None::<Duration>);
    }
    let mut db = Database::connect(opts).await?;
    let counter = metrics.db_statements.clone();
    let failures = metrics.db_statement_failures.clone();
    db.set_metric_callback(move |info| {
        // Book-keeping that is not a request's own work (the per-user revocation check, at
        // most one per user every two seconds) is marked and left out, so the count per
        // request measures what the query asked for and can be asserted exactly.
        if info.statement.sql.starts_with(UNCOUNTED) {
            return;
        }
        counter.inc();
        if info.failed {
            failures.inc();
        }
    });
    Ok(db)
}

/// Applies pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> Result<()> {
    Migrator::up(db, None).await?;
    Ok(())
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
