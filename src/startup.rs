//! Building and running the application: `Application::build(config)` binds (port 0 in
//! tests), `port()` tells where, `run_until_stopped()` serves until SIGINT/SIGTERM.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{Router, extract::DefaultBodyLimit, http::HeaderName, response::Redirect, routing::get};
use tokio::net::TcpListener;
use tower_http::{
    catch_panic::CatchPanicLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

use crate::{
    auth::jwt::{Keys, secret_for},
    config::Config,
    db,
    error::{AppError, Result},
    graphql::build_schema,
    guard::limits::Limiters,
    http::{self, HttpState},
    metrics::Metrics,
    reference::{self, Reference},
    state::AppState,
};

/// Connects, migrates, loads the reference data and builds the state.
pub async fn prepare(config: Config) -> Result<AppState> {
    let metrics = Metrics::new();
    let db = db::connect(&config, &metrics).await?;
    db::migrate(&db).await?;
    reference::seed(&db).await?;
    crate::domain::rules::seed(&db).await?;
    let reference = Reference::load(&db).await?;
    let secret = secret_for(config.jwt_secret.as_deref(), &config.database_url)?;
    let keys = Keys::new(
        &secret,
        config.jwt_public_key_pem.as_deref(),
        config.access_token_ttl,
    )?
    .with_previous(&config.jwt_previous_secrets)?;
    let guard = Arc::new(crate::guard::Guard::new(&config).await?);
    let replica = match &config.read_database_url {
        Some(url) => Some(db::replica::Replica::connect(&config, url, &metrics).await?),
        None => None,
    };
    let storage = crate::storage::Storage::from_config(&config)?;
    Ok(AppState {
        storage,
        guard,
        replica,
        db,
        limiters: Arc::new(Limiters::new(&config)),
        config: Arc::new(config),
        keys: Arc::new(keys),
        reference: Arc::new(std::sync::RwLock::new(Arc::new(reference))),
        metrics,
        live: crate::live::Live::new(),
    })
}

/// The router over a prepared state.
pub fn router(state: AppState) -> Router {
    let schema = build_schema(state.clone(), &state.config);
    let timeout = state.config.request_timeout;
    let request_id = HeaderName::from_static("x-request-id");
    let introspection = crate::graphql::build_introspection_schema(state.clone());
    let guard_state = state.clone();
    let http_state = HttpState {
        app: state,
        schema,
        introspection,
    };
    let edge = axum::middleware::from_fn_with_state(http_state.app.clone(), http::edge::edge);
    let cors = http::security::cors(&http_state.app.config.cors_origins);
    let router = Router::new()
        .route(
            "/graphql",
            get(http::graphiql::page).post(http::graphql::graphql),
        )
        .route("/graphql/assets/{file}", get(http::graphiql::asset))
        .route("/export/changes.ndjson", get(http::changes_export::export))
        .route("/export/{file}", get(http::export::export))
        .route("/graphql/ws", get(http::ws::ws))
        .route("/healthz", get(http::health::healthz))
        .route("/readyz", get(http::health::readyz))
        .route("/metrics", get(http::metrics::metrics))
        .route("/templates/{file}", get(http::templates::template))
        .route("/reports/{file}", get(http::reports::report_xlsx))
        .route("/documents/{id}", get(http::documents::download))
        .route("/", get(|| async { Redirect::temporary("/graphql") }))
        .with_state(http_state)
        // The HTTP edge (token, address, rate limits, request log) for every endpoint but
        // the probes and static files; see `http::edge`.
        .layer(edge)
        .layer(axum::middleware::from_fn_with_state(
            guard_state,
            crate::http::admission::middleware,
        ))
        .layer(DefaultBodyLimit::max(http::MAX_BODY_BYTES))
        // 1 MiB, or 20 MiB for a multipart upload (see http::upload::body_limit).
        .layer(axum::middleware::from_fn(http::upload::body_limit))
        // KC_REQUEST_TIMEOUT_SECS, but at least 90 s for an import or upload (60 s of work).
        .layer(axum::middleware::from_fn_with_state(
            timeout,
            http::upload::timeout,
        ))
        .layer(CatchPanicLayer::new())
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        // The request's span (its id on every log line; the trace's root): see `http::edge`.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(http::edge::request_span)
                .on_response(http::edge::record_response),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid));
    // CORS outside the edge: a preflight is answered before authentication, and refusals
    // of the edge (401, 429) still carry the CORS headers a browser needs to read them.
    let router = match cors {
        Some(cors) => router.layer(cors),
        None => router,
    };
    router.layer(axum::middleware::map_response(http::security::headers))
}

/// A bound, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl Application {
    /// Prepares the state and binds the configured address.
    pub async fn build(config: Config) -> Result<Self> {
        let bind = config.bind;
        let state = prepare(config).await?;
        Self::with_state(state, bind).await
    }

    /// Binds an already prepared state (after loading demo data, say).
    pub async fn with_state(state: AppState, bind: SocketAddr) -> Result<Self> {
        let listener = TcpListener::bind(bind).await.map_err(|e| {
            let reason = match e.kind() {
                std::io::ErrorKind::AddrInUse => "address in use".to_owned(),
                std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
                _ => e.to_string(),
            };
            AppError::internal(format!("cannot listen on {bind} (KC_BIND): {reason}"))
        })?;
        Ok(Self {
            router: router(state.clone()),
            listener,
            state,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The state, for tests and the CLI.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGINT or SIGTERM, finishing requests in flight.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let limiters = self.state.limiters.clone();
        let pii_db = self.state.db.clone();
        let pii_days = self.state.config.pii_log_retention_days;
        let system = crate::domain::Ctx {
            actor: None,
            request_id: None,
            reference: self.state.reference(),
        };
        let sweeper = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            // The first purge a minute after start, then hourly.
            let mut n: u64 = 59;
            loop {
                tick.tick().await;
                limiters.shrink();
                // The personal-data access log keeps its retention period (hourly sweep).
                if n.is_multiple_of(60)
                    && n > 59
                    && let Err(e) = crate::domain::pii::purge(&pii_db, pii_days).await
                {
                    tracing::warn!(error = %e, "personal-data access log not purged");
                }
                // Certificates entering the 30-day expiry window reach the change feed
                // (issue #11): six minutes after start, then hourly; once per certificate.
                if n % 60 == 5
                    && let Err(e) = crate::domain::change::announce_expiring_certificates(
                        &pii_db,
                        &system,
                        chrono::Utc::now().date_naive(),
                    )
                    .await
                {
                    tracing::warn!(error = %e, "expiring certificates not announced");
                }
                n += 1;
            }
        });
        let watcher = tokio::spawn(self.state.live.clone().watch(self.state.db.clone()));
        let result = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await;
        sweeper.abort();
        watcher.abort();
        self.state.db.clone().close().await.ok();
        result
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
