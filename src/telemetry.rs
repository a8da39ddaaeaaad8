//! The tracing subscriber: compact text for people, JSON for log collectors, and, when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, traces
//! sent over OTLP/HTTP (protobuf) to an OpenTelemetry collector. Without it no exporter,
//! thread or layer exists.
//!
//! A trace is one request: the edge's server span (`http::edge::request_span`, carrying
//! the request id), the GraphQL `request`/`validation`/`execute` spans of async-graphql
//! (`graphql::OperationTracing`), the domain operations (`#[instrument]`) and one
//! `sea_orm.*` span per SQL statement (`db.system`, `db.statement` without values).
//! async-graphql's per-field and `parse` spans (whose `source` holds the variables) are
//! never exported.

use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::{Resource, propagation::TraceContextPropagator, trace::SdkTracerProvider};
use tracing::{
    Level, Metadata,
    field::{Field, Visit},
    subscriber::Interest,
};
use tracing_subscriber::{
    EnvFilter, Layer, Registry,
    field::{RecordFields, VisitOutput},
    filter::{FilterExt, dynamic_filter_fn, filter_fn},
    fmt::{
        self, FormatFields, FormattedFields,
        format::{DefaultVisitor, Writer},
    },
    prelude::*,
};

/// The log filter when `RUST_LOG` is unset.
const DEFAULT_LOG_FILTER: &str = "info,sqlx=warn,sea_orm=warn";

/// How long shutting down may wait for the last spans to reach the collector.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// The installed telemetry. Dropping it (or [`Telemetry::shutdown`]) sends the spans still
/// queued: keep it until the runtime's last request is answered.
#[must_use = "dropping the telemetry guard shuts the trace exporter down"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Whether traces are exported.
    pub fn exporting(&self) -> bool {
        self.provider.is_some()
    }

    /// Sends the queued spans and stops the exporter (at most [`FLUSH_TIMEOUT`]).
    pub fn shutdown(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(e) = provider.shutdown_with_timeout(FLUSH_TIMEOUT)
        {
            eprintln!("warning: the last traces were not all sent: {e}");
        }
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Installs the global subscriber once; `RUST_LOG` filters the log (default `info`).
/// Colour only when standard output (where the log goes) is a terminal. With an OTLP
/// endpoint in the environment, traces are exported too; their HTTP requests run on
/// `runtime`, which must outlive the returned guard.
///
/// Errors name the variable at fault (`OTEL_EXPORTER_OTLP_PROTOCOL: …`).
pub fn init(json: bool, runtime: &tokio::runtime::Handle) -> Result<Telemetry, String> {
    use std::io::IsTerminal;
    let ansi = std::io::stdout().is_terminal();
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER))
        .and(filter_fn(|meta| !traces_only(meta)));
    let log: Box<dyn Layer<Registry> + Send + Sync> = if json {
        fmt::layer().json().with_filter(filter).boxed()
    } else {
        fmt::layer()
            .compact()
            .fmt_fields(LogFields)
            .with_ansi(ansi)
            .with_filter(filter)
            .boxed()
    };
    let Some(provider) = otlp_provider(runtime)? else {
        let _ = tracing_subscriber::registry().with(log).try_init();
        return Ok(Telemetry { provider: None });
    };
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let traces = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("khuyencong"))
        .with_threads(false)
        .with_filter(
            dynamic_filter_fn(|meta, cx| {
                // A statement outside any exported span (start-up migrations, readiness
                // probes) would be a trace of its own: not sent.
                exported(meta)
                    && (!meta.target().starts_with("sea_orm") || cx.lookup_current().is_some())
            })
            .with_callsite_filter(|meta| {
                if exported(meta) {
                    Interest::sometimes()
                } else {
                    Interest::never()
                }
            }),
        );
    let _ = tracing_subscriber::registry()
        .with(log)
        .with(traces)
        .try_init();
    tracing::info!("traces are exported over OTLP/HTTP");
    Ok(Telemetry {
        provider: Some(provider),
    })
}

/// Joins the span to the trace of a caller that sent a W3C `traceparent` header. Nothing
/// happens without the header or without traces.
pub fn join_caller_trace(span: &tracing::Span, headers: &axum::http::HeaderMap) {
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    if !headers.contains_key("traceparent") {
        return;
    }
    let cx = opentelemetry::global::get_text_map_propagator(|p| {
        p.extract(&opentelemetry_http::HeaderExtractor(headers))
    });
    // Fails only when traces are off (no OpenTelemetry layer): then there is nothing to join.
    let _ = span.set_parent(cx);
}

/// Spans and events for traces, never logged whatever `RUST_LOG` says: async-graphql's spans
/// (a span per field and per DataLoader call, at INFO) and its extension's lines (one per
/// field error), and one span per SQL statement. Their call sites are then off altogether
/// when traces are.
///
/// Besides volume: a span only the log saw (a DataLoader's `load_many`, current when the
/// loader spawns its batch) would hide the request's span from the batch's spans, which
/// would then start traces of their own.
fn traces_only(meta: &Metadata<'_>) -> bool {
    let target = meta.target();
    (target.starts_with("async_graphql")
        && (meta.is_span() || target.starts_with("async_graphql::graphql")))
        || (target.starts_with("sea_orm") && meta.is_span() && meta.name().starts_with("sea_orm."))
}

/// What reaches the collector: this crate's spans and events at INFO and above, the SQL
/// statements' spans, and async-graphql's operation spans, never `parse` (its `source`
/// field holds the variables, personal data), `field` (one per resolved object: many, for
/// little) or the DataLoader's.
fn exported(meta: &Metadata<'_>) -> bool {
    let target = meta.target();
    if target.starts_with("khuyencong") {
        *meta.level() <= Level::INFO
    } else if target.starts_with("sea_orm") {
        meta.is_span() && meta.name().starts_with("sea_orm.")
    } else if target.starts_with("async_graphql") {
        meta.is_span()
            && matches!(
                meta.name(),
                "request" | "validation" | "execute" | "subscribe"
            )
    } else {
        false
    }
}

/// The first of the variables that is set and not empty.
fn env(names: &[&str]) -> Option<String> {
    names
        .iter()
        .filter_map(|n| std::env::var(n).ok())
        .map(|v| v.trim().to_owned())
        .find(|v| !v.is_empty())
}

/// The tracer provider of the standard `OTEL_*` variables, or `None` when no OTLP endpoint
/// is set (or `OTEL_SDK_DISABLED=true`, or `OTEL_TRACES_EXPORTER=none`).
///
/// The exporter reads the endpoint, `OTEL_EXPORTER_OTLP_HEADERS` and `_COMPRESSION`; the
/// SDK reads `OTEL_TRACES_SAMPLER`(`_ARG`), `OTEL_BSP_*` and `OTEL_RESOURCE_ATTRIBUTES`.
fn otlp_provider(runtime: &tokio::runtime::Handle) -> Result<Option<SdkTracerProvider>, String> {
    let endpoint = env(&[
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
    ]);
    let disabled = env(&["OTEL_SDK_DISABLED"]).is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let exporter = env(&["OTEL_TRACES_EXPORTER"]).unwrap_or_else(|| "otlp".into());
    if endpoint.is_none() || disabled || exporter.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    if !exporter.eq_ignore_ascii_case("otlp") {
        return Err(format!(
            "OTEL_TRACES_EXPORTER: only otlp (or none) is supported, not {exporter:?}"
        ));
    }
    for var in [
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
    ] {
        if let Some(p) = env(&[var])
            && p != "http/protobuf"
        {
            return Err(format!("{var}: only http/protobuf is supported, not {p:?}"));
        }
    }
    let timeout = env(&[
        "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
        "OTEL_EXPORTER_OTLP_TIMEOUT",
    ])
    .map(|ms| {
        ms.parse::<u64>()
            .map(Duration::from_millis)
            .map_err(|_| format!("OTEL_EXPORTER_OTLP_TIMEOUT: milliseconds, not {ms:?}"))
    })
    .transpose()?
    .unwrap_or(Duration::from_secs(10));
    let http = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| format!("the OTLP HTTP client: {e}"))?;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_timeout(timeout)
        .with_http_client(OnRuntime {
            http,
            runtime: runtime.clone(),
        })
        .build()
        .map_err(|e| format!("OTEL_EXPORTER_OTLP_ENDPOINT: {e}"))?;
    let named = env(&["OTEL_SERVICE_NAME"]).is_some()
        || env(&["OTEL_RESOURCE_ATTRIBUTES"]).is_some_and(|a| a.contains("service.name="));
    let mut resource = Resource::builder().with_attribute(opentelemetry::KeyValue::new(
        "service.version",
        env!("CARGO_PKG_VERSION"),
    ));
    if !named {
        resource = resource.with_service_name("khuyencong");
    }
    Ok(Some(
        SdkTracerProvider::builder()
            .with_resource(resource.build())
            .with_batch_exporter(exporter)
            .build(),
    ))
}

/// The OTLP exporter's HTTP client: the server's reqwest, its requests run on the server's
/// runtime (the SDK exports from a thread of its own, outside any runtime).
#[derive(Debug)]
struct OnRuntime {
    http: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

#[async_trait::async_trait]
impl opentelemetry_http::HttpClient for OnRuntime {
    async fn send_bytes(
        &self,
        request: opentelemetry_http::Request<opentelemetry_http::Bytes>,
    ) -> Result<
        opentelemetry_http::Response<opentelemetry_http::Bytes>,
        opentelemetry_http::HttpError,
    > {
        let request = reqwest::Request::try_from(request)?;
        let http = self.http.clone();
        self.runtime
            .spawn(async move {
                let resp = http.execute(request).await?;
                let mut answer = opentelemetry_http::Response::builder().status(resp.status());
                if let Some(headers) = answer.headers_mut() {
                    headers.extend(resp.headers().clone());
                }
                let body = resp.bytes().await?;
                Ok(answer.body(body)?)
            })
            .await?
    }
}

/// The text log's fields: tracing's own format without the `otel.*` fields, which name and
/// classify spans for the collector and would repeat on every line of a request.
struct LogFields;

fn for_log(field: &Field) -> bool {
    !field.name().starts_with("otel.")
}

impl<'w> FormatFields<'w> for LogFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'w>, fields: R) -> std::fmt::Result {
        let mut visitor = LogVisitor(DefaultVisitor::new(writer, true));
        fields.record(&mut visitor);
        visitor.0.finish()
    }

    fn add_fields(
        &self,
        current: &'w mut FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> std::fmt::Result {
        let mut shown = false;
        fields.record(&mut |f: &Field, _: &dyn std::fmt::Debug| shown |= for_log(f));
        if !shown {
            return Ok(());
        }
        if !current.fields.is_empty() {
            current.fields.push(' ');
        }
        self.format_fields(current.as_writer(), fields)
    }
}

/// [`DefaultVisitor`] without the fields [`for_log`] leaves out.
struct LogVisitor<'a>(DefaultVisitor<'a>);

impl Visit for LogVisitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if for_log(field) {
            self.0.record_debug(field, value);
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if for_log(field) {
            self.0.record_str(field, value);
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if for_log(field) {
            self.0.record_i64(field, value);
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if for_log(field) {
            self.0.record_u64(field, value);
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if for_log(field) {
            self.0.record_bool(field, value);
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if for_log(field) {
            self.0.record_f64(field, value);
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        if for_log(field) {
            self.0.record_error(field, value);
        }
    }
}
