//! Signing in and out: access tokens from passwords, refresh tokens that rotate.
//!
//! A refresh token works once. Using it again, after it was rotated, means it was stolen or
//! copied: the whole family of tokens descending from that sign-in is revoked.

use crate::kind::UserId;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, sea_query::Expr,
};
use sha2::{Digest, Sha256};

use crate::{
    auth::{actor::Actor, jwt::Keys, password},
    db::entities::{app_user, refresh_token},
    domain::{Ctx, audit, now},
    error::{AppError, Msg, Result},
};

/// What a successful sign-in returns.
pub struct Session {
    /// The JWT access token.
    pub access_token: String,
    /// The refresh token (shown once; only its hash is stored).
    pub refresh_token: String,
    /// When the access token expires.
    pub expires_at: DateTime<Utc>,
    /// The user.
    pub user: app_user::Model,
}

/// The actor a user row stands for.
pub fn actor_of(u: &app_user::Model) -> Actor {
    Actor {
        user_id: u.id,
        role: u.role,
        province_code: u.province_code.clone(),
        commune_code: u.commune_code.clone(),
        is_admin: u.is_admin,
        read_only: u.read_only,
    }
}

fn bad_credentials() -> AppError {
    AppError::new(
        crate::error::Code::Unauthenticated,
        Msg::new(
            "Wrong username or password, or the account is disabled.",
            "Sai tên đăng nhập hoặc mật khẩu, hoặc tài khoản đã bị khóa.",
        ),
    )
}

fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

async fn issue(
    db: &impl ConnectionTrait,
    keys: &Keys,
    refresh_ttl: std::time::Duration,
    user: app_user::Model,
    family_id: String,
) -> Result<Session> {
    let (access_token, expires_at) =
        keys.issue_at_epoch(&actor_of(&user), Some(user.token_epoch))?;
    let refresh = new_token();
    let t = now();
    refresh_token::ActiveModel {
        user_id: Set(user.id),
        family_id: Set(family_id),
        token_hash: Set(hash_token(&refresh)),
        expires_at: Set(t + chrono::Duration::from_std(refresh_ttl).map_err(AppError::internal)?),
        used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(t),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(Session {
        access_token,
        refresh_token: refresh,
        expires_at,
        user,
    })
}

/// Signs in with a username and password.
#[tracing::instrument(name = "session.login", skip_all)]
pub async fn login(
    db: &DatabaseConnection,
    ctx: &Ctx,
    keys: &Keys,
    refresh_ttl: std::time::Duration,
    username: &str,
    password_text: String,
) -> Result<Session> {
    let username = username.trim().to_lowercase();
    if username.len() > 64 || password_text.len() > 1024 {
        return Err(bad_credentials());
    }
    let user = app_user::Entity::find()
        .filter(app_user::Column::Username.eq(username))
        .one(db)
        .await?;
    let Some(user) = user else {
        // Spend the same time as a wrong password, so usernames cannot be probed.
        let _ = password::verify(password_text, password::dummy_hash().await?).await?;
        return Err(bad_credentials());
    };
    if !password::verify(password_text, user.password_hash.clone()).await? || !user.active {
        return Err(bad_credentials());
    }
    let txn = crate::domain::begin_write(db).await?;
    let session = issue(
        &txn,
        keys,
        refresh_ttl,
        user,
        uuid::Uuid::new_v4().to_string(),
    )
    .await?;
    let ctx = Ctx {
        actor: Some(actor_of(&session.user)),
        ..ctx.clone()
    };
    audit::record(
        &txn,
        &ctx,
        "login",
        audit::Subject {
            entity_type: crate::kind::EntityKind::User,
            entity_id: session.user.id,
            province_code: session.user.province_code.as_deref(),
            commune_code: session.user.commune_code.as_deref(),
        },
        serde_json::json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(session)
}

async fn revoke_family(db: &impl ConnectionTrait, family_id: &str) -> Result<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Some(now())))
        .filter(refresh_token::Column::FamilyId.eq(family_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// `UNAUTHENTICATED` for a refresh token that cannot be exchanged, saying why.
fn refresh_refused(en: &str, vi: &str) -> AppError {
    AppError::new(crate::error::Code::Unauthenticated, Msg::new(en, vi))
}

/// Exchanges a refresh token for a new pair; the old one dies.
#[tracing::instrument(name = "session.refresh", skip_all)]
pub async fn refresh(
    db: &DatabaseConnection,
    keys: &Keys,
    refresh_ttl: std::time::Duration,
    token: &str,
) -> Result<Session> {
    let txn = crate::domain::begin_write(db).await?;
    let Some(row) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash_token(token)))
        .one(&txn)
        .await?
    else {
        return Err(refresh_refused(
            "This refresh token is unknown; sign in again.",
            "Mã làm mới này không tồn tại; vui lòng đăng nhập lại.",
        ));
    };
    if row.revoked_at.is_some() {
        return Err(refresh_refused(
            "This sign-in has ended (signed out, or one of its refresh tokens was reused); sign in again.",
            "Phiên đăng nhập này đã kết thúc (đã đăng xuất hoặc mã làm mới đã bị dùng lại); vui lòng đăng nhập lại.",
        ));
    }
    if row.used_at.is_some() {
        tracing::warn!(
            user.id = row.user_id,
            "refresh token reused; revoking its family"
        );
        revoke_family(&txn, &row.family_id).await?;
        txn.commit().await?;
        return Err(refresh_refused(
            "This refresh token was already used; for safety the whole sign-in has been ended. Sign in again.",
            "Mã làm mới này đã được dùng; để an toàn, cả phiên đăng nhập đã bị kết thúc. Vui lòng đăng nhập lại.",
        ));
    }
    if row.expires_at < Utc::now() {
        return Err(refresh_refused(
            "This refresh token has expired; sign in again.",
            "Mã làm mới này đã hết hạn; vui lòng đăng nhập lại.",
        ));
    }
    // Mark used only if still unused: of two racing refreshes, exactly one wins.
    let marked = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(Some(now())))
        .filter(refresh_token::Column::Id.eq(row.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if marked.rows_affected != 1 {
        return Err(refresh_refused(
            "This refresh token was already used; sign in again.",
            "Mã làm mới này đã được dùng; vui lòng đăng nhập lại.",
        ));
    }
    let user = app_user::Entity::find_by_id(row.user_id)
        .one(&txn)
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| {
            refresh_refused(
                "The account of this sign-in is deactivated.",
                "Tài khoản của phiên đăng nhập này đã bị khóa.",
            )
        })?;
    let session = issue(&txn, keys, refresh_ttl, user, row.family_id).await?;
    txn.commit().await?;
    Ok(session)
}

/// Ends the sign-in a refresh token belongs to; `false` when the token is unknown.
#[tracing::instrument(name = "session.logout", skip_all)]
pub async fn logout(db: &DatabaseConnection, token: &str) -> Result<bool> {
    let Some(row) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash_token(token)))
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    revoke_family(db, &row.family_id).await?;
    Ok(true)
}

/// The signed-in user's own record.
#[tracing::instrument(name = "session.me", skip_all)]
pub async fn me(db: &impl ConnectionTrait, ctx: &Ctx) -> Result<Option<app_user::Model>> {
    let Some(actor) = &ctx.actor else {
        return Ok(None);
    };
    Ok(app_user::Entity::find_by_id(actor.user_id).one(db).await?)
}

/// Ends every access and refresh token of a user at once: the token epoch moves on (access
/// tokens stop working within the epoch cache's lifetime on every instance) and every
/// refresh token is revoked. Run inside the transaction of the change that calls for it.
pub async fn end_all_sessions(db: &impl ConnectionTrait, user_id: UserId) -> Result<()> {
    app_user::Entity::update_many()
        .col_expr(
            app_user::Column::TokenEpoch,
            sea_orm::sea_query::ExprTrait::add(Expr::col(app_user::Column::TokenEpoch), 1),
        )
        .filter(app_user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Some(now())))
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// `logoutAll`: the caller ends every one of their sessions, on every device.
#[tracing::instrument(name = "session.logout_all", skip_all)]
pub async fn logout_all(db: &DatabaseConnection, ctx: &Ctx) -> Result<()> {
    let actor = ctx.actor()?;
    let txn = crate::domain::begin_write(db).await?;
    end_all_sessions(&txn, actor.user_id.into()).await?;
    let user = app_user::Entity::find_by_id(actor.user_id)
        .one(&txn)
        .await?
        .ok_or_else(AppError::unauthenticated)?;
    audit::record(
        &txn,
        ctx,
        "logoutAll",
        audit::Subject {
            entity_type: crate::kind::EntityKind::User,
            entity_id: user.id,
            province_code: user.province_code.as_deref(),
            commune_code: user.commune_code.as_deref(),
        },
        serde_json::json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
