//! Where generated rows go, in one transaction: PostgreSQL through `COPY … FROM STDIN` (CSV),
//! with the secondary indexes dropped for the load and built again before the commit;
//! SQLite through multi-row `INSERT`s.

use indicatif::ProgressBar;
use sea_orm::{ConnectionTrait, DatabaseBackend, EntityTrait, TransactionTrait};

use crate::error::{AppError, Result};

/// Rows per multi-row `INSERT` (SQLite).
const BATCH: usize = 500;

/// Where generated rows go: PostgreSQL through `COPY … FROM STDIN` inside one transaction,
/// SQLite through multi-row `INSERT`s inside one transaction. Both take sea-orm active
/// models, so a row is built once, the same way for both databases.
pub(super) enum Sink {
    Postgres {
        tx: sea_orm::sqlx::Transaction<'static, sea_orm::sqlx::Postgres>,
        /// Definitions of the secondary indexes dropped for the load, made again before
        /// commit (building a trigram index once is far cheaper than row by row).
        indexes: Vec<String>,
    },
    Sqlite(sea_orm::DatabaseTransaction),
}

/// The tables `generate` fills.
pub(super) const TABLES: &[&str] = &[
    "establishment",
    "product",
    "funding_source",
    "project",
    "project_beneficiary",
    "allocation",
    "disbursement",
    "app_user",
    "ocop_evaluation",
    "ocop_score",
    "ocop_certificate",
    "selection_round",
    "nomination",
];

impl Sink {
    pub(super) async fn begin(db: &sea_orm::DatabaseConnection) -> Result<Self> {
        Ok(match db.get_database_backend() {
            DatabaseBackend::Postgres => {
                use sea_orm::sqlx::Row;
                let mut tx = db
                    .get_postgres_connection_pool()
                    .begin()
                    .await
                    .map_err(AppError::internal)?;
                // Secondary indexes only: those behind primary keys and unique constraints
                // stay (they check the rows as they arrive).
                let rows = sea_orm::sqlx::query(
                    "SELECT i.indexname, i.indexdef FROM pg_indexes i \
                     WHERE i.schemaname = current_schema() AND i.tablename = ANY($1) \
                     AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                )
                .bind(TABLES)
                .fetch_all(&mut *tx)
                .await
                .map_err(AppError::internal)?;
                let mut indexes = Vec::with_capacity(rows.len());
                for r in rows {
                    let name: String = r.try_get(0).map_err(AppError::internal)?;
                    indexes.push(r.try_get::<String, _>(1).map_err(AppError::internal)?);
                    sea_orm::sqlx::raw_sql(sea_orm::sqlx::AssertSqlSafe(format!(
                        "DROP INDEX \"{name}\""
                    )))
                    .execute(&mut *tx)
                    .await
                    .map_err(AppError::internal)?;
                }
                Self::Postgres { tx, indexes }
            }
            _ => Self::Sqlite(db.begin().await?),
        })
    }

    /// Writes `rows` of one entity; every column of each row must be set.
    pub(super) async fn write<E, A>(&mut self, rows: Vec<A>, bar: &ProgressBar) -> Result<()>
    where
        E: EntityTrait,
        A: sea_orm::ActiveModelTrait<Entity = E> + Send,
    {
        if rows.is_empty() {
            return Ok(());
        }
        let n = rows.len() as u64;
        match self {
            Self::Sqlite(txn) => {
                let mut rows = rows.into_iter().peekable();
                while rows.peek().is_some() {
                    let chunk: Vec<A> = rows.by_ref().take(BATCH).collect();
                    let k = chunk.len() as u64;
                    E::insert_many(chunk).exec_without_returning(&*txn).await?;
                    bar.inc(k);
                }
            }
            Self::Postgres { tx, .. } => {
                use sea_orm::{IdenStatic, Iterable};
                let columns: Vec<E::Column> = E::Column::iter().collect();
                let names: Vec<String> = columns
                    .iter()
                    .map(|c| format!("\"{}\"", c.as_str()))
                    .collect();
                let statement = format!(
                    "COPY \"{}\" ({}) FROM STDIN WITH (FORMAT csv)",
                    E::default().to_string(),
                    names.join(", ")
                );
                let mut buf = String::with_capacity(rows.len() * 256);
                for row in &rows {
                    for (i, c) in columns.iter().enumerate() {
                        if i > 0 {
                            buf.push(',');
                        }
                        match row.get(*c) {
                            sea_orm::ActiveValue::Set(v) | sea_orm::ActiveValue::Unchanged(v) => {
                                csv_field(&mut buf, &v)?
                            }
                            sea_orm::ActiveValue::NotSet => {
                                return Err(AppError::internal(format!(
                                    "generate: column {} not set",
                                    c.as_str()
                                )));
                            }
                        }
                    }
                    buf.push('\n');
                }
                let mut copy = tx
                    .copy_in_raw(&statement)
                    .await
                    .map_err(AppError::internal)?;
                copy.send(buf.as_bytes())
                    .await
                    .map_err(AppError::internal)?;
                copy.finish().await.map_err(AppError::internal)?;
                bar.inc(n);
            }
        }
        Ok(())
    }

    pub(super) async fn execute(&mut self, sql: &str) -> Result<()> {
        match self {
            Self::Sqlite(txn) => {
                txn.execute_unprepared(sql).await?;
            }
            Self::Postgres { tx, .. } => {
                sea_orm::sqlx::raw_sql(sea_orm::sqlx::AssertSqlSafe(sql.to_owned()))
                    .execute(&mut **tx)
                    .await
                    .map_err(AppError::internal)?;
            }
        }
        Ok(())
    }

    pub(super) async fn commit(self) -> Result<()> {
        match self {
            Self::Sqlite(txn) => txn.commit().await?,
            Self::Postgres { mut tx, indexes } => {
                for def in indexes {
                    sea_orm::sqlx::raw_sql(sea_orm::sqlx::AssertSqlSafe(def))
                        .execute(&mut *tx)
                        .await
                        .map_err(AppError::internal)?;
                }
                tx.commit().await.map_err(AppError::internal)?
            }
        }
        Ok(())
    }
}

/// One value as a field of PostgreSQL's CSV format: NULL is an empty unquoted field, text is
/// always quoted (so an empty string stays an empty string).
fn csv_field(buf: &mut String, v: &sea_orm::Value) -> Result<()> {
    use sea_orm::Value as V;
    use std::fmt::Write;
    let w = |buf: &mut String, d: &dyn std::fmt::Display| {
        let _ = write!(buf, "{d}");
    };
    match v {
        V::Bool(Some(b)) => buf.push(if *b { 't' } else { 'f' }),
        V::TinyInt(Some(x)) => w(buf, x),
        V::SmallInt(Some(x)) => w(buf, x),
        V::Int(Some(x)) => w(buf, x),
        V::BigInt(Some(x)) => w(buf, x),
        V::Float(Some(x)) => w(buf, x),
        V::Double(Some(x)) => w(buf, x),
        V::String(Some(s)) => {
            buf.push('"');
            for ch in s.chars() {
                if ch == '"' {
                    buf.push('"');
                }
                buf.push(ch);
            }
            buf.push('"');
        }
        V::ChronoDate(Some(d)) => w(buf, d),
        V::ChronoDateTimeUtc(Some(t)) => buf.push_str(&t.to_rfc3339()),
        V::Bool(None)
        | V::TinyInt(None)
        | V::SmallInt(None)
        | V::Int(None)
        | V::BigInt(None)
        | V::Float(None)
        | V::Double(None)
        | V::String(None)
        | V::ChronoDate(None)
        | V::ChronoDateTimeUtc(None) => {}
        other => {
            return Err(AppError::internal(format!(
                "generate: no COPY form for {other:?}"
            )));
        }
    }
    Ok(())
}

pub(super) async fn next_id(db: &impl ConnectionTrait, table: &str) -> Result<i64> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS m FROM {table}"),
        ))
        .await?
        .ok_or_else(|| AppError::internal("no max id"))?;
    Ok(row.try_get::<i64>("", "m").map_err(AppError::internal)? + 1)
}

pub(super) fn txn_backend_is_pg(db: &impl ConnectionTrait) -> bool {
    db.get_database_backend() == DatabaseBackend::Postgres
}
