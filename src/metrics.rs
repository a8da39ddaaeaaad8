//! Prometheus metrics: requests and latency by operation, errors by code, SQL statements,
//! pool state. Served by `http::metrics`; counted by `db` (statements) and `http` (requests).
//! Each application has its own registry, so tests running side by side in one
//! process never mix their counts.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

/// The application's metrics.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// `http_requests_total{operation,status}`.
    pub http_requests: IntCounterVec,
    /// `http_request_duration_seconds{operation}`.
    pub http_latency: HistogramVec,
    /// `graphql_errors_total{code}`.
    pub graphql_errors: IntCounterVec,
    /// `db_statements_total`: every SQL statement the server ran.
    pub db_statements: IntCounter,
    /// `db_statement_failures_total`.
    pub db_statement_failures: IntCounter,
    /// `db_pool_connections{state}`: `active` and `idle`, read at scrape time.
    pub db_pool: IntGaugeVec,
}

impl Metrics {
    /// Registers the metrics in a new registry.
    pub fn new() -> Self {
        let registry = Registry::new();
        let http_requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by GraphQL operation and status",
            ),
            &["operation", "status"],
        )
        .expect("valid metric");
        let http_latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Request latency by GraphQL operation",
            ),
            &["operation"],
        )
        .expect("valid metric");
        let graphql_errors = IntCounterVec::new(
            Opts::new("graphql_errors_total", "GraphQL errors by extensions.code"),
            &["code"],
        )
        .expect("valid metric");
        let db_statements = IntCounter::new("db_statements_total", "SQL statements executed")
            .expect("valid metric");
        let db_statement_failures =
            IntCounter::new("db_statement_failures_total", "SQL statements that failed")
                .expect("valid metric");
        let db_pool = IntGaugeVec::new(
            Opts::new("db_pool_connections", "Database pool connections by state"),
            &["state"],
        )
        .expect("valid metric");
        for c in [
            Box::new(http_requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(http_latency.clone()),
            Box::new(graphql_errors.clone()),
            Box::new(db_statements.clone()),
            Box::new(db_statement_failures.clone()),
            Box::new(db_pool.clone()),
        ] {
            registry.register(c).expect("metric registered once");
        }
        Self {
            registry,
            http_requests,
            http_latency,
            graphql_errors,
            db_statements,
            db_statement_failures,
            db_pool,
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Every metric in the Prometheus text format, with its content type.
    pub fn encode(&self) -> (String, Vec<u8>) {
        let mut buf = Vec::new();
        let encoder = TextEncoder::new();
        if let Err(e) = encoder.encode(&self.registry.gather(), &mut buf) {
            tracing::error!(error = %e, "metrics encoding failed");
        }
        (encoder.format_type().to_owned(), buf)
    }
}
