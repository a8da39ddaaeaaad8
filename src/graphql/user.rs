//! Users, sign-in and user administration.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};

use crate::kind::UserId;
use crate::{
    db::entities::app_user,
    domain::{self, page::PageArgs},
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
    async fn role(&self) -> Role {
        self.0.role.into()
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
        let id = ids::require::<UserId>(&id, "user", "người dùng")?;
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
        ctx.state()?.guard.epochs.forget(id.get());
        Ok(User(m))
    }
}

/// Resolves a user reference (who acted) through the batch loader.
pub async fn user_ref(ctx: &Context<'_>, id: i64) -> async_graphql::Result<Option<User>> {
    Ok(ctx.loaders()?.user.load_one(id).await?.map(User))
}
