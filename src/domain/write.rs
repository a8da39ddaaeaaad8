//! One write path (issue #13). A data-changing mutation keeps only its rules: it checks its
//! input, then hands a body to [`run`] (or, for a create with an idempotency key, to
//! [`Create::run`]). The body reads and writes inside the write transaction and returns the
//! record with its audit [`Event`]; the helper owns everything else, in one order:
//!
//! 1. the idempotency replay, before any validation ([`Create::replay`]), so a retry gets the
//!    first answer even when the rules would now refuse the input;
//! 2. the write transaction ([`super::begin_write`]);
//! 3. the body;
//! 4. the idempotency key, remembered for the audited record;
//! 5. the audit event (which puts the subject in the change feed), then one feed entry per
//!    other record the body touched;
//! 6. the commit;
//! 7. when the write failed because a concurrent request with the same key won the race,
//!    the winner's record.
//!
//! [`save_versioned`] is the optimistic version check every update uses.

use std::marker::PhantomData;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PrimaryKeyTrait, QueryFilter,
};
use serde_json::Value;

use crate::{
    auth::actor::Actor,
    db::entities::{
        establishment, funding_source, ocop_evaluation, product, project, selection_round,
    },
    domain::{Ctx, Db, audit, begin_write, change, idempotency, now},
    error::{AppError, Result},
    kind::{EntityKind, UserId},
};

/// What a write records about itself: one audit event on its subject, and the other
/// records it changed, which reach the change feed with it.
pub struct Event {
    action: &'static str,
    entity_type: EntityKind,
    entity_id: i64,
    province_code: Option<String>,
    commune_code: Option<String>,
    changes: Value,
    touched: change::Touched,
    /// The subject's place before a change that may move it (province, commune).
    from: Option<(Option<String>, Option<String>)>,
    /// A commune that stopped seeing the subject, which did not move.
    left_commune: Option<String>,
}

impl Event {
    /// The audit event `action` on `subject` with its `changes`.
    pub fn new(action: &'static str, subject: audit::Subject<'_>, changes: Value) -> Self {
        Self {
            action,
            entity_type: subject.entity_type,
            entity_id: subject.entity_id,
            province_code: subject.province_code.map(str::to_owned),
            commune_code: subject.commune_code.map(str::to_owned),
            changes,
            touched: change::Touched::default(),
            from: None,
            left_commune: None,
        }
    }

    /// The same event, of a change that may have moved its subject out of `from`: the
    /// change feed then keeps that place, so the old area learns the record left it
    /// ([`audit::record_departure`]).
    pub fn moved_from(self, from: change::Place<'_>) -> Self {
        Self {
            from: Some((
                from.province_code.map(str::to_owned),
                from.commune_code.map(str::to_owned),
            )),
            ..self
        }
    }

    /// The same event, of a change after which `commune` (when given) no longer sees the
    /// subject although the subject did not move (a project that lost its last beneficiary
    /// there): the change feed names it, so that commune learns the record left its sight.
    pub fn left_commune(self, commune: Option<&str>) -> Self {
        Self {
            left_commune: commune.map(str::to_owned),
            ..self
        }
    }

    /// The same event, with the other records the write changed.
    pub fn touching(self, touched: change::Touched) -> Self {
        Self { touched, ..self }
    }

    /// Writes the audit event in `txn`, then the change-feed entries of the records touched
    /// besides the subject. The write paths that run inside a caller's transaction (the
    /// importer) call it themselves.
    pub async fn record(self, txn: &impl ConnectionTrait, ctx: &Ctx) -> Result<()> {
        let subject = audit::Subject {
            entity_type: self.entity_type,
            entity_id: self.entity_id,
            province_code: self.province_code.as_deref(),
            commune_code: self.commune_code.as_deref(),
        };
        let departure = change::Departure {
            from: self.from.as_ref().map(|(province, commune)| change::Place {
                province_code: province.as_deref(),
                commune_code: commune.as_deref(),
            }),
            left_commune: self.left_commune.as_deref(),
        };
        audit::record_departure(txn, ctx, self.action, subject, departure, self.changes).await?;
        self.touched
            .append_all(txn, ctx, self.action, (self.entity_type, self.entity_id))
            .await
    }
}

/// Runs a write: `body` inside a write transaction, then its audit event, then the commit.
/// An error anywhere rolls everything back.
pub async fn run<M>(
    db: &impl Db,
    ctx: &Ctx,
    body: impl AsyncFnOnce(&DatabaseTransaction) -> Result<(M, Event)>,
) -> Result<M> {
    in_transaction(db, ctx, None, body).await
}

/// The idempotency key to remember: user, key, operation.
type Remember<'k> = (UserId, &'k str, &'static str);

async fn in_transaction<M>(
    db: &impl Db,
    ctx: &Ctx,
    remember: Option<Remember<'_>>,
    body: impl AsyncFnOnce(&DatabaseTransaction) -> Result<(M, Event)>,
) -> Result<M> {
    let txn = begin_write(db).await?;
    let (model, event) = body(&txn).await?;
    if let Some((user_id, key, operation)) = remember {
        idempotency::remember(&txn, user_id, key, operation, event.entity_id).await?;
    }
    event.record(&txn, ctx).await?;
    txn.commit().await?;
    Ok(model)
}

/// A create that a mobile client may retry: the operation's name and the caller's
/// idempotency key. The key is remembered for the record the create audits.
pub struct Create<'k, E> {
    user_id: UserId,
    key: Option<&'k str>,
    operation: &'static str,
    not_found: fn() -> AppError,
    entity: PhantomData<E>,
}

impl<'k, E> Create<'k, E>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i64>,
{
    /// The create `operation` of `actor` with `key`; `not_found` is the error when the record
    /// a key names is gone.
    pub fn new(
        actor: &Actor,
        operation: &'static str,
        key: Option<&'k str>,
        not_found: fn() -> AppError,
    ) -> Self {
        Self {
            user_id: actor.user_id.into(),
            key,
            operation,
            not_found,
            entity: PhantomData,
        }
    }

    /// Checks the key; the record it created before, if any. Call it before validating the
    /// input: a retry returns the first answer.
    pub async fn replay(&self, db: &impl ConnectionTrait) -> Result<Option<E::Model>> {
        match idempotency::replay(db, self.user_id, self.key, self.operation).await? {
            Some(id) => Ok(Some(
                E::find_by_id(id)
                    .one(db)
                    .await?
                    .ok_or_else(self.not_found)?,
            )),
            None => Ok(None),
        }
    }

    /// Runs the create like [`run`], remembering the key before the audit event; if it
    /// fails because a concurrent request with the same key created the record first (its
    /// key won, this transaction rolled back), returns that record.
    pub async fn run(
        self,
        db: &impl Db,
        ctx: &Ctx,
        body: impl AsyncFnOnce(&DatabaseTransaction) -> Result<(E::Model, Event)>,
    ) -> Result<E::Model> {
        let remember = self.key.map(|k| (self.user_id, k, self.operation));
        let result = in_transaction(db, ctx, remember, body).await;
        idempotency::or_winner(
            db,
            self.user_id,
            self.key,
            self.operation,
            result,
            |id| async move { Ok(E::find_by_id(id).one(db).await?) },
        )
        .await
    }
}

/// An entity updated under optimistic concurrency: its id, version and last-change columns.
pub trait Versioned: EntityTrait {
    /// The id column.
    const ID: Self::Column;
    /// The version column, one more at every update.
    const VERSION: Self::Column;
    /// The time of the last change.
    const UPDATED_AT: Self::Column;
    /// A row's version.
    fn version(m: &Self::Model) -> i32;
}

macro_rules! versioned {
    ($($entity:ident),*) => {$(
        impl Versioned for $entity::Entity {
            const ID: Self::Column = $entity::Column::Id;
            const VERSION: Self::Column = $entity::Column::Version;
            const UPDATED_AT: Self::Column = $entity::Column::UpdatedAt;
            fn version(m: &Self::Model) -> i32 {
                m.version
            }
        }
    )*};
}

versioned!(
    establishment,
    product,
    funding_source,
    project,
    ocop_evaluation,
    selection_round
);

/// Writes `am` (one version more, changed now) only if row `id` is still at version
/// `expected` and `also` holds, in one conditional UPDATE. Returns the row as it is after
/// the statement and whether it was written.
pub async fn update_if<A>(
    txn: &impl ConnectionTrait,
    mut am: A,
    id: i64,
    expected: i32,
    also: Option<Condition>,
    not_found: fn() -> AppError,
) -> Result<(<A::Entity as EntityTrait>::Model, bool)>
where
    A: ActiveModelTrait + Send,
    A::Entity: Versioned,
    <<A::Entity as EntityTrait>::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i64>,
{
    am.try_set(<A::Entity as Versioned>::VERSION, (expected + 1).into())?;
    am.try_set(<A::Entity as Versioned>::UPDATED_AT, now().into())?;
    let mut update = A::Entity::update_many()
        .set(am)
        .filter(<A::Entity as Versioned>::ID.eq(id))
        .filter(<A::Entity as Versioned>::VERSION.eq(expected));
    if let Some(c) = also {
        update = update.filter(c);
    }
    let res = update.exec(txn).await?;
    let current = A::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(not_found)?;
    Ok((current, res.rows_affected > 0))
}

/// Saves `am` only if row `id` is still at version `expected` (optimistic concurrency);
/// otherwise `STALE_VERSION` with the version it has now.
pub async fn save_versioned<A>(
    txn: &impl ConnectionTrait,
    am: A,
    id: i64,
    expected: i32,
    not_found: fn() -> AppError,
) -> Result<<A::Entity as EntityTrait>::Model>
where
    A: ActiveModelTrait + Send,
    A::Entity: Versioned,
    <<A::Entity as EntityTrait>::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i64>,
{
    let (current, written) = update_if(txn, am, id, expected, None, not_found).await?;
    if !written {
        return Err(AppError::stale_version(A::Entity::version(&current)));
    }
    Ok(current)
}
