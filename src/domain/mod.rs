//! The rules of the domain. Nothing here knows HTTP or GraphQL: functions take a database
//! connection (or transaction) and the [`Ctx`] of the caller, and return [`crate::error::Result`].

pub mod audit;
pub mod catalog;
pub mod change;
pub mod changed;
pub mod document;
pub mod establishment;
pub mod export;
pub mod filetype;
pub mod funding;
pub mod idempotency;
pub mod import;
pub mod ocop;
pub mod page;
pub mod pii;
pub mod product;
pub mod project;
pub mod reference;
pub mod report;
pub mod rules;
pub mod scope;
pub mod selection;
pub mod session;
pub mod user;
pub mod validate;
pub mod write;

use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};

use crate::{auth::actor::Actor, reference::Reference};

/// Who is asking, and the request it belongs to.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// The signed-in caller, or `None` for the public.
    pub actor: Option<Actor>,
    /// The request id, for the audit trail.
    pub request_id: Option<String>,
    /// Provinces and communes.
    pub reference: Arc<Reference>,
}

impl Ctx {
    /// The signed-in actor, or `UNAUTHENTICATED`.
    pub fn actor(&self) -> crate::error::Result<&Actor> {
        self.actor
            .as_ref()
            .ok_or_else(crate::error::AppError::unauthenticated)
    }
}

/// Begins a transaction that will write. On SQLite it takes the write lock at `BEGIN`
/// (`IMMEDIATE`), so concurrent writers queue on the busy timeout instead of failing when a
/// read inside the transaction is followed by a write; PostgreSQL ignores the option.
pub async fn begin_write(
    db: &impl sea_orm::TransactionTrait<Transaction = sea_orm::DatabaseTransaction>,
) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions};
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// What the write paths run on: the connection pool, or a transaction wrapped around many
/// of them (the demo load is one transaction: each write path's own transaction becomes a
/// savepoint inside it).
pub trait Db:
    sea_orm::ConnectionTrait + sea_orm::TransactionTrait<Transaction = sea_orm::DatabaseTransaction>
{
}

impl<T> Db for T where
    T: sea_orm::ConnectionTrait
        + sea_orm::TransactionTrait<Transaction = sea_orm::DatabaseTransaction>
{
}

/// The current time at the microsecond precision both databases keep, so a stored time
/// compares equal to itself after a round trip (keyset cursors depend on it).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Groups rows under their key, with an empty list for every key asked: a DataLoader batch
/// answers for each of its keys.
pub fn group_by<M>(
    keys: &[i64],
    rows: Vec<M>,
    key: impl Fn(&M) -> i64,
) -> std::collections::HashMap<i64, Vec<M>> {
    let mut out: std::collections::HashMap<i64, Vec<M>> =
        keys.iter().map(|k| (*k, Vec::new())).collect();
    for r in rows {
        out.entry(key(&r)).or_default().push(r);
    }
    out
}
