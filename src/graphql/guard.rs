//! Security extensions of the GraphQL layer and their fields:
//! - persisted queries: Automatic Persisted Queries (the Apollo protocol) for mobile
//!   bandwidth, and with `KC_PERSISTED_ONLY=true` an allow-list (`KC_PERSISTED_MANIFEST`) of
//!   the only documents non-admin callers may run;
//! - the personal-data access log: resolvers of personal fields note what they return, and
//!   one row per request is written when it ends;
//! - `logoutAll` and `personalDataAccessLog`.

use std::{
    any::TypeId,
    collections::{BTreeMap, BTreeSet},
    sync::{Arc, Mutex},
};

use async_graphql::{
    Context, ErrorExtensionValues, ID, Object, Response, ServerError, ServerResult,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute, NextPrepareRequest},
};
use chrono::{DateTime, Utc};

use crate::kind::UserId;
use crate::{
    db::entities::pii_access_log,
    domain::{self, page::PageArgs},
    error::{AppError, Code, Msg},
    graphql::{
        connection::connection,
        context::{ContextExt, RequestData},
        error::error_response,
        ids,
    },
    guard::manifest::Manifest,
    kind::EntityKind,
    state::AppState,
};

// ---------------------------------------------------------------------------------------
// Persisted queries

/// Runs before Automatic Persisted Queries: fills a registered document in from its hash,
/// enforces the allow-list, and gives the protocol's errors a stable code.
pub struct Persisted {
    /// The registered documents (`KC_PERSISTED_MANIFEST`), if any.
    pub manifest: Option<Arc<Manifest>>,
    /// Only registered documents run for callers other than administrators.
    pub only: bool,
}

impl ExtensionFactory for Persisted {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PersistedExtension {
            manifest: self.manifest.clone(),
            only: self.only,
        })
    }
}

struct PersistedExtension {
    manifest: Option<Arc<Manifest>>,
    only: bool,
}

fn coded(message: &str, code: &str, vi: &str) -> ServerError {
    let mut e = ServerError::new(message, None);
    let mut ext = ErrorExtensionValues::default();
    ext.set("code", code);
    ext.set("__vi", vi);
    e.extensions = Some(ext);
    e
}

fn request_data(request: &async_graphql::Request) -> Option<&RequestData> {
    request
        .data
        .get(&TypeId::of::<RequestData>())
        .and_then(|d| d.downcast_ref::<RequestData>())
}

#[async_graphql::async_trait::async_trait]
impl Extension for PersistedExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: async_graphql::Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<async_graphql::Request> {
        let hash = if request.query.is_empty() {
            request
                .extensions
                .get("persistedQuery")
                .and_then(|v| match v {
                    async_graphql::Value::Object(o) => match o.get("sha256Hash") {
                        Some(async_graphql::Value::String(h)) => Some(h.to_ascii_lowercase()),
                        _ => None,
                    },
                    _ => None,
                })
        } else {
            Some(crate::guard::manifest::sha256_hex(&request.query))
        };
        let registered = hash.as_ref().and_then(|h| self.manifest.as_ref()?.get(h));
        if let Some(body) = registered
            && request.query.is_empty()
        {
            // A registered document runs from its hash alone, even on a cold cache.
            request.query = body.clone();
        }
        if self.only && registered.is_none() {
            let admin = request_data(&request)
                .and_then(|r| r.ctx.actor.as_ref())
                .is_some_and(|a| a.is_admin);
            if !admin {
                return Err(coded(
                    "Only registered (persisted) queries run on this server; send the hash of a document of the manifest.",
                    Code::Forbidden.as_str(),
                    "Máy chủ chỉ chạy các truy vấn đã đăng ký (persisted); hãy gửi mã băm của một truy vấn trong danh mục.",
                ));
            }
        }
        next.run(ctx, request).await.map_err(|e| {
            if e.message == "PersistedQueryNotFound" {
                // Apollo clients read this message and resend the document with its hash.
                coded(
                    "PersistedQueryNotFound",
                    "PERSISTED_QUERY_NOT_FOUND",
                    "PersistedQueryNotFound",
                )
            } else {
                e
            }
        })
    }
}

// ---------------------------------------------------------------------------------------
// Personal-data access log

/// Record ids and field names read, by kind of record.
type Reads = BTreeMap<EntityKind, (BTreeSet<i64>, BTreeSet<&'static str>)>;

/// Personal fields a request returned, by kind of record: record ids and field names.
#[derive(Default)]
pub struct PiiReads {
    reads: Mutex<Reads>,
}

impl PiiReads {
    fn note(&self, entity_type: EntityKind, id: i64, field: &'static str) {
        let mut reads = self.reads.lock().unwrap_or_else(|p| p.into_inner());
        let (ids, fields) = reads.entry(entity_type).or_default();
        ids.insert(id);
        fields.insert(field);
    }

    fn take(&self) -> Reads {
        std::mem::take(&mut *self.reads.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Notes that a resolver returns a personal field of a record (called by the resolvers of
/// `representative`, `phone`, `email` and a household's `taxCode`).
pub fn note_personal_read(
    ctx: &Context<'_>,
    entity_type: EntityKind,
    id: i64,
    field: &'static str,
) {
    if let Some(reads) = ctx.data_opt::<Arc<PiiReads>>() {
        reads.note(entity_type, id, field);
    }
}

/// The extension that collects a request's personal reads and writes them in one go.
pub struct PiiLog;

impl ExtensionFactory for PiiLog {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PiiLogExtension {
            reads: Arc::new(PiiReads::default()),
        })
    }
}

struct PiiLogExtension {
    reads: Arc<PiiReads>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for PiiLogExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: async_graphql::Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<async_graphql::Request> {
        request.data.insert(Arc::clone(&self.reads));
        next.run(ctx, request).await
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let resp = next.run(ctx, operation_name).await;
        let reads = self.reads.take();
        if reads.is_empty() {
            return resp;
        }
        let (Some(state), Some(req)) = (ctx.data_opt::<AppState>(), ctx.data_opt::<RequestData>())
        else {
            return resp;
        };
        let Some(actor) = &req.ctx.actor else {
            return resp;
        };
        for (entity_type, (ids, fields)) in &reads {
            if let Err(e) = domain::pii::record(
                &state.db,
                actor.user_id.into(),
                req.ctx.request_id.clone(),
                *entity_type,
                ids,
                fields,
            )
            .await
            {
                // Personal data leaves only with its trace: no log, no data.
                tracing::error!(error = %e, "personal-data access log not written; response withheld");
                let code_is_unavailable = matches!(e.code, Code::Unavailable { .. });
                let err = if code_is_unavailable {
                    e
                } else {
                    AppError::internal("personal-data access log not written")
                };
                return error_response(err, crate::error::Lang::En);
            }
        }
        resp
    }
}

// ---------------------------------------------------------------------------------------
// Fields

/// Who read which personal data, when (one request, one kind of record).
#[derive(Clone)]
pub struct PersonalDataAccess(pub pii_access_log::Model);

impl From<pii_access_log::Model> for PersonalDataAccess {
    fn from(m: pii_access_log::Model) -> Self {
        Self(m)
    }
}

#[Object]
impl PersonalDataAccess {
    /// When the data was read.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// The reader (a `User` id).
    async fn user_id(&self) -> ID {
        ids::encode(domain::user::ENTITY, self.0.user_id)
    }
    /// The request (`X-Request-Id`), to find it in the logs.
    async fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }
    /// The kind of record (`Establishment`).
    async fn entity_type(&self) -> &str {
        &self.0.entity_type
    }
    /// The records read (global ids).
    async fn record_ids(&self) -> async_graphql::Result<Vec<ID>> {
        let kind = EntityKind::from_db(&self.0.entity_type)?;
        Ok(self
            .0
            .record_ids
            .split(',')
            .filter_map(|s| s.parse().ok())
            .map(|id| ids::encode(kind, id))
            .collect())
    }
    /// The personal fields read (`representative`, `phone`, `email`, `taxCode`).
    async fn fields(&self) -> Vec<&str> {
        self.0.fields.split(',').filter(|s| !s.is_empty()).collect()
    }
}

connection!(
    PersonalDataAccessConnection,
    PersonalDataAccessEdge,
    PersonalDataAccess,
    pii_access_log::Entity,
    "A page of the personal-data access log."
);

/// Security queries.
#[derive(Default)]
pub struct GuardQuery;

#[Object]
impl GuardQuery {
    /// The personal-data access log (Decree 13/2023/NĐ-CP), oldest first; national
    /// administrators only. `userId` narrows it to one reader.
    async fn personal_data_access_log(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        user_id: Option<ID>,
    ) -> async_graphql::Result<PersonalDataAccessConnection> {
        let args = PageArgs::new(first, after.as_deref())?;
        let user = match &user_id {
            None => None,
            Some(id) => Some(ids::decode::<UserId>(id).ok_or_else(|| {
                AppError::bad_input(
                    "userId",
                    Msg::new("Not a user id.", "Không phải mã người dùng."),
                )
            })?),
        };
        let page = domain::pii::list(ctx.db()?, ctx.dctx()?, user, &args).await?;
        Ok(PersonalDataAccessConnection::from_page(page))
    }
}

/// Security mutations.
#[derive(Default)]
pub struct GuardMutation;

#[Object]
impl GuardMutation {
    /// Ends every session of the caller on every device: access tokens stop working within
    /// seconds on every instance, refresh tokens at once.
    async fn logout_all(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let state = ctx.state()?;
        let dctx = ctx.dctx()?;
        domain::session::logout_all(&state.db, dctx).await?;
        if let Some(a) = &dctx.actor {
            state.guard.epochs.forget(a.user_id);
        }
        Ok(true)
    }
}
