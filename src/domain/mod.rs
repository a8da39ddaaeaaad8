//! The rules of the domain. Nothing here knows HTTP or GraphQL: functions take a database
//! connection (or transaction) and the [`Ctx`] of the caller, and return [`crate::error::Result`].

pub mod audit;
pub mod establishment;
pub mod idempotency;
pub mod page;
pub mod product;
pub mod scope;
pub mod session;
pub mod user;
pub mod validate;

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

/// The current time at the microsecond precision both databases keep, so a stored time
/// compares equal to itself after a round trip (keyset cursors depend on it).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
