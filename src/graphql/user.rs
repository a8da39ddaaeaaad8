//! Users, sign-in and user administration.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::{
    db::entities::app_user,
    domain::{self, page::PageArgs, session::Session},
    enums,
    graphql::{
        connection::{connection, list_cost},
        context::ContextExt,
        enums::Role,
        ids,
        reference::{Commune, Province, commune_of, province_of},
    },
};

/// A person or service account that signs in.
#[derive(Clone)]
pub struct User(pub app_user::Model);

impl From<app_user::Model> for User {
    fn from(m: app_user::Model) -> Self {
        Self(m)
    }
}

#[Object]
impl User {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        ids::encode(domain::user::ENTITY, self.0.id)
    }
    /// Login name.
    async fn username(&self) -> &str {
        &self.0.username
    }
    /// Name shown to colleagues.
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    /// Commune, province or national.
    async fn role(&self) -> async_graphql::Result<Role> {
        Ok(enums::Role::from_db(&self.0.role)?.into())
    }
    /// Province of a province or commune user.
    async fn province(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Province>> {
        self.0
            .province_code
            .as_deref()
            .map(|c| province_of(ctx, c))
            .transpose()
    }
    /// Commune of a commune user.
    async fn commune(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Commune>> {
        self.0
            .commune_code
            .as_deref()
            .map(|c| commune_of(ctx, c))
            .transpose()
    }
    /// May manage the users of its area.
    async fn is_admin(&self) -> bool {
        self.0.is_admin
    }
    /// May not change anything (service account, auditor).
    async fn read_only(&self) -> bool {
        self.0.read_only
    }
    /// May sign in.
    async fn active(&self) -> bool {
        self.0.active
    }
    /// Version for optimistic concurrency.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When the account was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the account last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

connection!(
    UserConnection,
    UserEdge,
    User,
    app_user::Entity,
    "A page of users."
);

/// The result of signing in or refreshing.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// JWT for `Authorization: Bearer …`; lives 15 minutes by default.
    pub access_token: String,
    /// Exchange it with `refreshToken` for a new pair; it works once.
    pub refresh_token: String,
    /// When the access token expires.
    pub expires_at: DateTime<Utc>,
    /// The signed-in user.
    pub user: User,
}

impl From<Session> for AuthPayload {
    fn from(s: Session) -> Self {
        Self {
            access_token: s.access_token,
            refresh_token: s.refresh_token,
            expires_at: s.expires_at,
            user: User(s.user),
        }
    }
}

/// A new user.
#[derive(InputObject)]
pub struct CreateUserInput {
    /// 3–64 letters, digits, `.`, `_`, `-`.
    pub username: String,
    /// 10–200 characters.
    pub password: String,
    /// Name shown to colleagues.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Province of a province user.
    pub province_code: Option<String>,
    /// Commune of a commune user.
    pub commune_code: Option<String>,
    /// Administrator of its area.
    pub is_admin: Option<bool>,
    /// Read-only account.
    pub read_only: Option<bool>,
}

/// Changes to a user.
#[derive(InputObject)]
pub struct UpdateUserInput {
    /// Name shown to colleagues.
    pub display_name: Option<String>,
    /// New password (ends every session of the user).
    pub password: Option<String>,
    /// Administrator of its area.
    pub is_admin: Option<bool>,
    /// Read-only account.
    pub read_only: Option<bool>,
    /// May sign in.
    pub active: Option<bool>,
}

/// Filters of `users`.
#[derive(InputObject, Default)]
pub struct UserFilter {
    /// Role.
    pub role: Option<Role>,
    /// Province code.
    pub province_code: Option<String>,
    /// Commune code.
    pub commune_code: Option<String>,
    /// Text in the username or display name (diacritics ignored).
    pub search: Option<String>,
}

/// User queries.
#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// The signed-in user, or null without a token.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        Ok(domain::session::me(ctx.db()?, ctx.dctx()?).await?.map(User))
    }

    /// Users of the caller's area.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        filter: Option<UserFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<UserConnection> {
        let args = PageArgs::new(first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let page = domain::user::list(
            ctx.db()?,
            ctx.dctx()?,
            domain::user::UserFilter {
                role: f.role.map(Into::into),
                province_code: f.province_code,
                commune_code: f.commune_code,
                search: f.search,
            },
            &args,
        )
        .await?;
        Ok(UserConnection::from_page(page))
    }
}

/// Sign-in and user administration.
#[derive(Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    /// Signs in; rate-limited per username and per address.
    async fn login(
        &self,
        ctx: &Context<'_>,
        username: String,
        password: String,
    ) -> async_graphql::Result<AuthPayload> {
        let state = ctx.state()?;
        let req = ctx.request()?;
        let name = username.trim().to_lowercase();
        state
            .guard
            .shared
            .ensure_login_allowed(&state.limiters, &name, &req.client_ip)
            .await?;
        match domain::session::login(
            &state.db,
            &req.ctx,
            &state.keys,
            state.config.refresh_token_ttl,
            &username,
            password,
        )
        .await
        {
            Ok(s) => Ok(s.into()),
            Err(e) if e.code == crate::error::Code::Unauthenticated => {
                tracing::info!(
                    username = %name,
                    client_ip = %req.client_ip,
                    request_id = req.ctx.request_id.as_deref().unwrap_or(""),
                    "sign-in failed"
                );
                if state
                    .guard
                    .shared
                    .login_failed(&state.limiters, &name, &req.client_ip)
                    .await
                {
                    return Err(crate::error::AppError::rate_limited_for(
                        crate::guard::limits::LOCKOUT.as_secs(),
                    )
                    .into());
                }
                Err(e.into())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Exchanges a refresh token for a new pair. A token works once: reusing a rotated one
    /// ends the whole sign-in.
    async fn refresh_token(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> async_graphql::Result<AuthPayload> {
        let state = ctx.state()?;
        let s = domain::session::refresh(
            &state.db,
            &state.keys,
            state.config.refresh_token_ttl,
            &refresh_token,
        )
        .await?;
        Ok(s.into())
    }

    /// Ends the sign-in the refresh token belongs to.
    async fn logout(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> async_graphql::Result<bool> {
        Ok(domain::session::logout(ctx.db()?, &refresh_token).await?)
    }

    /// Creates a user inside the admin's area.
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        input: CreateUserInput,
    ) -> async_graphql::Result<User> {
        let m = domain::user::create(
            ctx.db()?,
            ctx.dctx()?,
            domain::user::NewUser {
                username: input.username,
                password: input.password,
                display_name: input.display_name,
                role: input.role.into(),
                province_code: input.province_code,
                commune_code: input.commune_code,
                is_admin: input.is_admin.unwrap_or(false),
                read_only: input.read_only.unwrap_or(false),
            },
        )
        .await?;
        Ok(User(m))
    }

    /// Updates a user (admins of its area; a user its own name and password).
    async fn update_user(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateUserInput,
    ) -> async_graphql::Result<User> {
        let id = ids::require(domain::user::ENTITY, &id, "user", "người dùng")?;
        let m = domain::user::update(
            ctx.db()?,
            ctx.dctx()?,
            id,
            domain::user::UserPatch {
                display_name: input.display_name,
                password: input.password,
                is_admin: input.is_admin,
                read_only: input.read_only,
                active: input.active,
            },
        )
        .await?;
        // This instance sees a revocation at once; others within the epoch cache's lifetime.
        ctx.state()?.guard.epochs.forget(id);
        Ok(User(m))
    }
}

/// Resolves a user reference (who acted) through the batch loader.
pub async fn user_ref(ctx: &Context<'_>, id: i64) -> async_graphql::Result<Option<User>> {
    Ok(ctx.loaders()?.user.load_one(id).await?.map(User))
}
