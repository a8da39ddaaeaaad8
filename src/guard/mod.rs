//! Protection of the request path that is not GraphQL itself: back-pressure in front of the
//! database, revocation of access tokens within seconds, and limits shared by every instance.
//!
//! One axum middleware ([`crate::http::admission`]) runs before `/graphql` (POST) and `/export`: it takes
//! one of `KC_MAX_IN_FLIGHT` slots, waiting at most `KC_QUEUE_TIMEOUT_MS`, or answers 503
//! `UNAVAILABLE` with `Retry-After` (no request queues until the 30 s timeout).
//!
//! Inside the slot, the HTTP edge ([`crate::http::edge`]) parses the bearer token once and
//! uses the rest of the guard: the token's epoch against the user's current one (cached
//! ≤ 2 s, [`epochs`]), so a deactivated user, changed rights or password, or `logoutAll` end
//! access tokens within seconds on every instance; and, with `KC_REDIS_URL`, the limits
//! shared by every instance ([`shared`]).

pub mod epochs;
pub mod limits;
pub mod manifest;
pub mod shared;

use std::{sync::Arc, time::Duration};

use tokio::sync::Semaphore;

use crate::{config::Config, error::AppError};

/// The guard's parts, shared by every request of an instance.
pub struct Guard {
    /// Slots for requests that reach the database.
    pub in_flight: Arc<Semaphore>,
    /// How many slots there are.
    pub max_in_flight: usize,
    /// How long a request waits for a slot.
    pub queue_timeout: Duration,
    /// The users' token epochs, cached briefly.
    pub epochs: epochs::Epochs,
    /// Limits shared through Redis (or this instance's only).
    pub shared: shared::Shared,
    /// The persisted-query manifest (`KC_PERSISTED_MANIFEST`), if any.
    pub manifest: Option<Arc<manifest::Manifest>>,
}

impl Guard {
    /// The guard of a configuration; connects to Redis when `KC_REDIS_URL` is set (and
    /// carries on per instance, loudly, when it cannot).
    pub async fn new(config: &Config) -> crate::error::Result<Self> {
        let max_in_flight = config
            .max_in_flight
            .map_or_else(
                || default_in_flight(config.db_max_connections),
                |n| n as usize,
            )
            .max(1);
        let manifest = match (&config.persisted_manifest, config.persisted_only) {
            (Some(path), _) => {
                let m = manifest::Manifest::load(path)?;
                tracing::info!(
                    documents = m.len(),
                    only = config.persisted_only,
                    "persisted-query manifest loaded"
                );
                Some(Arc::new(m))
            }
            (None, true) => {
                return Err(AppError::internal(
                    "KC_PERSISTED_ONLY=true needs KC_PERSISTED_MANIFEST (the allow-list)",
                ));
            }
            (None, false) => None,
        };
        Ok(Self {
            in_flight: Arc::new(Semaphore::new(max_in_flight)),
            max_in_flight,
            queue_timeout: config.queue_timeout,
            epochs: epochs::Epochs::new(epochs::TTL),
            shared: shared::Shared::connect(config).await,
            manifest,
        })
    }
}

/// Four requests per pooled connection: most of a request's time is spent outside its
/// statements (parsing, resolving, writing the response), so a few more requests than
/// connections keep the pool busy without letting a queue grow behind it.
pub fn default_in_flight(pool: u32) -> usize {
    (pool as usize).saturating_mul(4).max(4)
}
