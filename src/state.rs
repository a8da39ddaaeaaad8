//! The shared application state.

use std::sync::{Arc, RwLock};

use sea_orm::DatabaseConnection;

use crate::{
    auth::jwt::Keys, config::Config, error::Result, metrics::Metrics, reference::Reference,
};

/// What every request can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The database pool.
    pub db: DatabaseConnection,
    /// The configuration.
    pub config: Arc<Config>,
    /// Token keys.
    pub keys: Arc<Keys>,
    /// Provinces and communes, swapped whole when a region changes.
    pub reference: Arc<RwLock<Arc<Reference>>>,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// Rate limiters.
    pub limiters: Arc<crate::guard::limits::Limiters>,
    /// Wake-ups of live subscriptions and their connection limits.
    pub live: crate::live::Live,
    /// Back-pressure, token revocation, shared limits, persisted queries.
    pub guard: Arc<crate::guard::Guard>,
    /// The read replica, when `KC_DATABASE_READ_URL` is set.
    pub replica: Option<Arc<crate::db::replica::Replica>>,
    /// Where the bytes of uploaded documents live.
    pub storage: crate::storage::Storage,
}

impl AppState {
    /// The reference data as of now (a request keeps the snapshot it started with).
    pub fn reference(&self) -> Arc<Reference> {
        match self.reference.read() {
            Ok(r) => Arc::clone(&r),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Where a read-only caller reads: the replica when one is usable (`db::replica`).
    pub fn read_only_db(&self) -> &DatabaseConnection {
        self.replica
            .as_ref()
            .and_then(|r| r.usable())
            .unwrap_or(&self.db)
    }

    /// Where reports and exports read for `actor`: the replica when one is usable and the
    /// caller has not written within the lag limit (read-your-own-writes); else the primary.
    pub async fn report_db(
        &self,
        actor: Option<&crate::auth::actor::Actor>,
    ) -> &DatabaseConnection {
        let Some(replica) = &self.replica else {
            return &self.db;
        };
        match actor {
            Some(a) if !a.read_only => replica.for_writer(&self.db, a.user_id).await,
            _ => replica.usable(),
        }
        .unwrap_or(&self.db)
    }

    /// Reloads the reference data from the database (after a region changes). Other
    /// instances see the change on their next start; nominations read regions from the
    /// database, so the rules apply it at once everywhere.
    pub async fn reload_reference(&self) -> Result<()> {
        let fresh = Arc::new(Reference::load(&self.db).await?);
        match self.reference.write() {
            Ok(mut r) => *r = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
        Ok(())
    }
}
