//! Sessions (domain::session): sign-in, token refresh and sign-out.

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::graphql::user::User;
use crate::{
    domain::{self, session::Session},
    graphql::context::ContextExt,
};

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

/// Sign-in, token refresh and sign-out.
#[derive(Default)]
pub struct SessionMutation;

#[Object]
impl SessionMutation {
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
}
