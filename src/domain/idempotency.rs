//! Idempotency keys of create mutations: the same key from the same user returns the first
//! result and creates nothing new (mobile retries). Keys live in the database, so every
//! instance behind a load balancer agrees.

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};

use crate::{
    db::entities::idempotency_key,
    error::{AppError, Code, Msg, Result},
    kind::UserId,
};

/// Checks a key's length.
pub fn validate(key: Option<&str>) -> Result<()> {
    match key {
        Some(k) if k.is_empty() || k.len() > 128 => Err(AppError::bad_input(
            "idempotencyKey",
            Msg::new(
                "The idempotency key must have 1 to 128 characters.",
                "Khóa idempotency phải có từ 1 đến 128 ký tự.",
            ),
        )),
        _ => Ok(()),
    }
}

/// The entity first created with this key by this user, if any.
pub async fn lookup(
    db: &impl ConnectionTrait,
    user_id: UserId,
    key: &str,
    operation: &str,
) -> Result<Option<i64>> {
    let found = idempotency_key::Entity::find_by_id((user_id.get(), key.to_owned()))
        .one(db)
        .await?;
    match found {
        None => Ok(None),
        Some(k) if k.operation == operation => Ok(Some(k.entity_id)),
        Some(k) => Err(AppError::conflict(Msg::new(
            format!(
                "This idempotency key was already used for {}; use a new key.",
                k.operation
            ),
            format!(
                "Khóa idempotency này đã dùng cho {}; hãy dùng khóa mới.",
                k.operation
            ),
        ))),
    }
}

/// Remembers the entity created with a key, inside the creating transaction. A concurrent
/// request with the same key makes this insert fail, rolling its transaction back.
pub async fn remember(
    db: &impl ConnectionTrait,
    user_id: UserId,
    key: &str,
    operation: &str,
    entity_id: i64,
) -> Result<()> {
    idempotency_key::ActiveModel {
        user_id: Set(user_id.get()),
        key: Set(key.to_owned()),
        operation: Set(operation.to_owned()),
        entity_id: Set(entity_id),
        created_at: Set(super::now()),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Checks a key and returns the id of the record it created before, if any.
pub async fn replay(
    db: &impl ConnectionTrait,
    user_id: UserId,
    key: Option<&str>,
    operation: &str,
) -> Result<Option<i64>> {
    validate(key)?;
    match key {
        Some(k) => lookup(db, user_id, k, operation).await,
        None => Ok(None),
    }
}

/// After a create failed: when another request with the same key created the record
/// meanwhile (its insert of the key won the race and rolled this one back), that record;
/// otherwise the error.
pub async fn or_winner<M, F, Fut>(
    db: &impl ConnectionTrait,
    user_id: UserId,
    key: Option<&str>,
    operation: &str,
    result: Result<M>,
    load: F,
) -> Result<M>
where
    F: FnOnce(i64) -> Fut,
    Fut: std::future::Future<Output = Result<Option<M>>>,
{
    match (result, key) {
        (Err(e), Some(k)) if matches!(e.code, Code::Conflict | Code::Internal) => {
            match lookup(db, user_id, k, operation).await {
                Ok(Some(id)) => load(id).await?.ok_or(e),
                _ => Err(e),
            }
        }
        (r, _) => r,
    }
}
