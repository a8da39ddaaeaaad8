//! Traces: the real binary, given `OTEL_EXPORTER_OTLP_ENDPOINT`, sends one trace per request
//! over OTLP/HTTP to a receiver running in the test (decoded with `opentelemetry-proto`): the
//! edge's server span with the request id at the root, the GraphQL and domain spans and every
//! SQL statement under it. Without the variable nothing is sent.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{Router, body::Bytes, extract::State, http::StatusCode, routing::post};
use opentelemetry_proto::tonic::{
    collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse},
    common::v1::{KeyValue, any_value::Value as Any},
    trace::v1::{Span, span::SpanKind},
};
use prost::Message;
use serde_json::{Value, json};

use crate::helpers::{JWT_SECRET, fresh_database, place, process::Server};

/// What the receiver was sent.
#[derive(Default)]
struct Received {
    /// Export requests (each a batch).
    posts: usize,
    /// Every span, with its resource's `service.name`.
    spans: Vec<(String, Span)>,
}

/// An OTLP/HTTP receiver on 127.0.0.1:0 (`POST /v1/traces`, protobuf).
struct Receiver {
    endpoint: String,
    received: Arc<Mutex<Received>>,
}

impl Receiver {
    async fn start() -> Self {
        Self::start_on("127.0.0.1:0").await
    }

    /// On `address`, or on any free port when it is taken.
    async fn start_on(address: &str) -> Self {
        let received = Arc::new(Mutex::new(Received::default()));
        let app = Router::new()
            .route("/v1/traces", post(export))
            .with_state(received.clone());
        let listener = match tokio::net::TcpListener::bind(address).await {
            Ok(l) => l,
            Err(_) => tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind"),
        };
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { endpoint, received }
    }

    fn posts(&self) -> usize {
        self.received.lock().expect("received").posts
    }

    fn spans(&self) -> Vec<(String, Span)> {
        self.received.lock().expect("received").spans.clone()
    }
}

async fn export(
    State(received): State<Arc<Mutex<Received>>>,
    body: Bytes,
) -> (StatusCode, [(&'static str, &'static str); 1], Vec<u8>) {
    let Ok(request) = ExportTraceServiceRequest::decode(body) else {
        return (
            StatusCode::BAD_REQUEST,
            [("content-type", "text/plain")],
            b"not an ExportTraceServiceRequest".to_vec(),
        );
    };
    let mut r = received.lock().expect("received");
    r.posts += 1;
    for resource_spans in request.resource_spans {
        let service = resource_spans
            .resource
            .as_ref()
            .and_then(|res| text(&res.attributes, "service.name"))
            .unwrap_or_default();
        for scope in resource_spans.scope_spans {
            for span in scope.spans {
                r.spans.push((service.clone(), span));
            }
        }
    }
    (
        StatusCode::OK,
        [("content-type", "application/x-protobuf")],
        ExportTraceServiceResponse::default().encode_to_vec(),
    )
}

/// A string or integer attribute as text.
fn text(attributes: &[KeyValue], key: &str) -> Option<String> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref()?.value.as_ref())
        .and_then(|v| match v {
            Any::StringValue(s) => Some(s.clone()),
            Any::IntValue(i) => Some(i.to_string()),
            Any::BoolValue(b) => Some(b.to_string()),
            _ => None,
        })
}

/// Every string value of a span: its name, attributes and events' attributes.
fn strings(span: &Span) -> Vec<String> {
    let mut out = vec![span.name.clone()];
    let all = span
        .attributes
        .iter()
        .chain(span.events.iter().flat_map(|e| e.attributes.iter()));
    for kv in all {
        if let Some(Any::StringValue(s)) = kv.value.as_ref().and_then(|v| v.value.as_ref()) {
            out.push(s.clone());
        }
    }
    out
}

/// A user, signed in over HTTP; returns the access token.
async fn sign_in(
    client: &reqwest::Client,
    address: &str,
    dir: &std::path::Path,
    url: &str,
) -> String {
    let out = crate::helpers::process::run(
        dir,
        &[
            "users",
            "create",
            "--username",
            "tracer",
            "--role",
            "national",
        ],
        &[("DATABASE_URL", url), ("KC_PASSWORD", "mat-khau-dai-du-12")],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        crate::helpers::process::stderr(&out)
    );
    let body: Value = client
        .post(format!("{address}/graphql"))
        .header("x-request-id", "trace-login")
        .json(&json!({
            "query": "mutation($p: String!) { login(username: \"tracer\", password: $p) { accessToken } }",
            "variables": { "p": "mat-khau-dai-du-12" },
        }))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("JSON");
    body["data"]["login"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("a token: {body}"))
        .to_owned()
}

/// Posts a GraphQL request with a request id (and any other headers); returns `data`.
async fn gql(
    client: &reqwest::Client,
    address: &str,
    token: &str,
    request_id: &str,
    headers: &[(&str, &str)],
    query: &str,
    variables: Value,
) -> Value {
    let mut req = client
        .post(format!("{address}/graphql"))
        .bearer_auth(token)
        .header("x-request-id", request_id)
        .json(&json!({ "query": query, "variables": variables }));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let body: Value = req.send().await.expect("post").json().await.expect("JSON");
    assert!(body.get("errors").is_none(), "{body}");
    body["data"].clone()
}

/// The spans of one trace, by span id.
struct Trace {
    root: Span,
    spans: HashMap<Vec<u8>, Span>,
}

impl Trace {
    /// The trace whose root server span carries `request_id`; exactly one such root.
    fn of(spans: &[(String, Span)], request_id: &str) -> Trace {
        let roots: Vec<&Span> = spans
            .iter()
            .map(|(_, s)| s)
            .filter(|s| text(&s.attributes, "request_id").as_deref() == Some(request_id))
            .collect();
        assert_eq!(roots.len(), 1, "one server span for {request_id}");
        let root = roots[0].clone();
        let spans = spans
            .iter()
            .map(|(_, s)| s)
            .filter(|s| s.trace_id == root.trace_id)
            .map(|s| (s.span_id.clone(), s.clone()))
            .collect();
        Trace { root, spans }
    }

    /// Whether the span's parents lead to the root.
    fn reaches_root(&self, span: &Span) -> bool {
        let mut current = span;
        for _ in 0..64 {
            if current.span_id == self.root.span_id {
                return true;
            }
            match self.spans.get(&current.parent_span_id) {
                Some(parent) => current = parent,
                None => return false,
            }
        }
        false
    }

    fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Span> + 'a {
        self.spans.values().filter(move |s| s.name == name)
    }

    /// The SQL statements' spans.
    fn statements(&self) -> Vec<&Span> {
        self.spans
            .values()
            .filter(|s| text(&s.attributes, "db.statement").is_some())
            .collect()
    }

    /// Checks the shape every request's trace has.
    fn check(&self, request_id: &str, db_system: &str) {
        let root = &self.root;
        assert_eq!(root.name, "POST /graphql", "{request_id}");
        assert_eq!(root.kind, SpanKind::Server as i32, "{request_id}");
        assert_eq!(
            text(&root.attributes, "http.response.status_code").as_deref(),
            Some("200")
        );
        for span in self.spans.values() {
            assert!(
                self.reaches_root(span),
                "{request_id}: {} is cut off from the root",
                span.name
            );
        }
        for name in ["request", "validation", "execute"] {
            assert_eq!(
                self.named(name).count(),
                1,
                "{request_id}: one GraphQL {name} span"
            );
        }
        for hidden in ["parse", "field"] {
            assert_eq!(
                self.named(hidden).count(),
                0,
                "{request_id}: no {hidden} span"
            );
        }
        let statements = self.statements();
        assert!(!statements.is_empty(), "{request_id}: SQL spans");
        for s in &statements {
            assert!(s.name.starts_with("sea_orm."), "{}", s.name);
            assert_eq!(text(&s.attributes, "db.system").as_deref(), Some(db_system));
            assert_eq!(s.kind, SpanKind::Client as i32);
            assert!(s.end_time_unix_nano >= s.start_time_unix_nano);
        }
    }
}

#[tokio::test]
async fn each_request_is_one_trace_from_the_edge_down_to_its_sql() {
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let url = fresh_database().await;
    let db_system = if url.starts_with("postgres") {
        "postgresql"
    } else {
        "sqlite"
    };
    let server = Server::start(
        dir.path(),
        &["serve"],
        &[
            ("DATABASE_URL", &url),
            ("KC_JWT_SECRET", JWT_SECRET),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
    );
    let client = reqwest::Client::new();
    let token = sign_in(&client, &server.address, dir.path(), &url).await;
    let name = "Cơ sở dấu vết RIENG-TU";
    let created = gql(
        &client,
        &server.address,
        &token,
        "trace-mutation",
        &[],
        "mutation Create($i: CreateEstablishmentInput!) { createEstablishment(input: $i) { id } }",
        json!({ "i": {
            "name": name,
            "kind": "SME",
            "communeCode": place::BMT,
            "sector": "AGRO_FORESTRY_FISHERY_FOOD",
        } }),
    )
    .await;
    let establishment_id = created["createEstablishment"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    gql(
        &client,
        &server.address,
        &token,
        "trace-product",
        &[],
        "mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }",
        json!({ "i": { "establishmentId": establishment_id, "name": "Sản phẩm dấu vết" } }),
    )
    .await;
    // A product's valid OCOP certificate comes through a DataLoader (nothing fetches it
    // ahead), whose batches run in tasks of their own.
    let caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let listed = gql(
        &client,
        &server.address,
        &token,
        "trace-query",
        &[(
            "traceparent",
            &format!("00-{caller_trace}-{caller_span}-01"),
        )],
        "query List { establishments(first: 10) { nodes { name \
         products { nodes { name currentOcopCertificate { id } } } } } }",
        json!({}),
    )
    .await;
    assert_eq!(listed["establishments"]["nodes"][0]["name"], name);

    let wanted = ["trace-login", "trace-mutation", "trace-query"];
    for _ in 0..200 {
        let roots = receiver
            .spans()
            .iter()
            .filter_map(|(_, s)| text(&s.attributes, "request_id"))
            .collect::<HashSet<_>>();
        if wanted.iter().all(|w| roots.contains(*w)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The last spans of a request end after its root; give the batch that carries them time.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let spans = receiver.spans();
    assert!(
        spans.iter().all(|(service, _)| service == "khuyencong"),
        "service.name"
    );

    let mutation = Trace::of(&spans, "trace-mutation");
    let query = Trace::of(&spans, "trace-query");
    let login = Trace::of(&spans, "trace-login");
    mutation.check("trace-mutation", db_system);
    assert!(
        mutation.root.parent_span_id.is_empty(),
        "a trace of its own"
    );
    query.check("trace-query", db_system);
    let traces: HashSet<_> = [&mutation, &query, &login]
        .iter()
        .map(|t| t.root.trace_id.clone())
        .collect();
    assert_eq!(traces.len(), 3, "one trace per request");

    // The mutation: the domain operation under the GraphQL execution, its INSERT under it.
    let create = mutation
        .spans
        .values()
        .find(|s| {
            s.name == "establishment.create"
                && text(&s.attributes, "commune.code").as_deref() == Some(place::BMT)
        })
        .expect("the domain span of createEstablishment");
    let insert = mutation
        .statements()
        .into_iter()
        .find(|s| {
            text(&s.attributes, "db.statement")
                .is_some_and(|q| q.starts_with("INSERT INTO \"establishment\""))
        })
        .expect("the INSERT of the establishment");
    let mut parent = insert.parent_span_id.clone();
    while parent != create.span_id {
        parent = mutation
            .spans
            .get(&parent)
            .unwrap_or_else(|| panic!("the INSERT runs inside the domain span"))
            .parent_span_id
            .clone();
    }
    let user_id = text(&mutation.root.attributes, "user_id").expect("user_id on the root");
    assert!(user_id.parse::<i64>().is_ok(), "{user_id}");

    // The query joined the caller's trace: the root's parent is the caller's span.
    assert_eq!(hex(&query.root.trace_id), caller_trace);
    assert_eq!(hex(&query.root.parent_span_id), caller_span);
    assert!(
        query.named("establishment.list").next().is_some(),
        "the domain span of establishments"
    );
    assert!(
        query.statements().iter().any(|s| {
            text(&s.attributes, "db.statement").is_some_and(|q| q.contains("\"ocop_certificate\""))
        }),
        "the DataLoader's batch is in the request's trace: {:?}",
        query
            .spans
            .values()
            .map(|s| (s.name.clone(), text(&s.attributes, "db.statement")))
            .collect::<Vec<_>>()
    );

    // Statement texts only: no value, and no span carries the query's variables.
    for (_, span) in &spans {
        for s in strings(span) {
            assert!(!s.contains("RIENG-TU"), "a value reached the trace: {s}");
            assert!(!s.contains("mat-khau"), "a password reached the trace: {s}");
        }
    }
    // Every statement sent belongs to a request's trace (none from start-up, probes).
    let request_traces: HashSet<_> = spans
        .iter()
        .filter(|(_, s)| text(&s.attributes, "request_id").is_some())
        .map(|(_, s)| s.trace_id.clone())
        .collect();
    for (_, s) in &spans {
        assert!(
            request_traces.contains(&s.trace_id),
            "{} is outside every request",
            s.name
        );
    }
    // Every log line of the request carries its id.
    let out = server.output();

    assert!(
        out.lines()
            .filter(|l| l.contains("trace-mutation"))
            .any(|l| l.contains("status=200")),
        "{out}"
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn the_last_spans_are_sent_when_the_server_stops() {
    let receiver = Receiver::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let url = fresh_database().await;
    // A batch every minute: only the shutdown can send this request's spans in time.
    let mut server = Server::start(
        dir.path(),
        &["serve"],
        &[
            ("DATABASE_URL", &url),
            ("KC_JWT_SECRET", JWT_SECRET),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint),
            ("OTEL_BSP_SCHEDULE_DELAY", "60000"),
        ],
    );
    let client = reqwest::Client::new();
    let token = sign_in(&client, &server.address, dir.path(), &url).await;
    gql(
        &client,
        &server.address,
        &token,
        "trace-last",
        &[],
        "query { establishments(first: 1) { totalCount } }",
        json!({}),
    )
    .await;
    assert_eq!(receiver.posts(), 0, "nothing sent before the batch is due");
    // The receiver answers on this runtime while the test thread waits for the exit.
    let stopped = tokio::task::spawn_blocking(move || {
        let ok = server.stop();
        (ok, server)
    })
    .await
    .expect("stop");
    assert!(stopped.0, "a clean exit: {}", stopped.1.output());
    let spans = receiver.spans();
    let last = Trace::of(&spans, "trace-last");
    assert!(!last.statements().is_empty(), "its SQL too");
}

/// The threads of a process, by name (Linux).
fn threads(pid: u32) -> Vec<String> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|dir| {
            dir.filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
                .map(|name| name.trim().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Starts the server with `envs`, sends a query, and tells whether anything reached the
/// receiver within 2 s; asserts the server runs no exporter thread.
async fn exports_anything(receiver: &Receiver, envs: &[(&str, &str)]) -> bool {
    let dir = tempfile::tempdir().expect("dir");
    let url = fresh_database().await;
    let mut all = vec![
        ("DATABASE_URL", url.as_str()),
        ("KC_JWT_SECRET", JWT_SECRET),
    ];
    all.extend_from_slice(envs);
    let server = Server::start(dir.path(), &["serve"], &all);
    let client = reqwest::Client::new();
    let token = sign_in(&client, &server.address, dir.path(), &url).await;
    gql(
        &client,
        &server.address,
        &token,
        "untraced",
        &[],
        "query { establishments(first: 1) { totalCount } }",
        json!({}),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    if cfg!(target_os = "linux") {
        let names = threads(server.pid());
        assert!(!names.is_empty(), "the server's threads are listed");
        assert!(
            !names.iter().any(|n| n.starts_with("OpenTelemetry")),
            "no exporter thread: {names:?}"
        );
    }
    assert!(!server.output().contains("traces are exported"));
    receiver.posts() > 0
}

#[tokio::test]
async fn without_an_endpoint_nothing_is_exported() {
    // On the default OTLP/HTTP port when it is free, so an exporter on by default would
    // find it.
    let receiver = Receiver::start_on("127.0.0.1:4318").await;
    assert!(
        !exports_anything(
            &receiver,
            &[
                ("OTEL_BSP_SCHEDULE_DELAY", "100"),
                ("OTEL_SERVICE_NAME", "khuyencong-untraced"),
            ],
        )
        .await
    );
    // OTEL_SDK_DISABLED wins over an endpoint.
    let endpoint = receiver.endpoint.clone();
    assert!(
        !exports_anything(
            &receiver,
            &[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
                ("OTEL_BSP_SCHEDULE_DELAY", "100"),
                ("OTEL_SDK_DISABLED", "true"),
            ],
        )
        .await
    );
}

#[tokio::test]
async fn an_internal_error_is_logged_once_with_the_request_id_and_its_causes() {
    let dir = tempfile::tempdir().expect("dir");
    let url = fresh_database().await;
    let server = Server::start(
        dir.path(),
        &["serve"],
        &[("DATABASE_URL", &url), ("KC_JWT_SECRET", JWT_SECRET)],
    );
    let client = reqwest::Client::new();
    let token = sign_in(&client, &server.address, dir.path(), &url).await;
    // The audit trail's table goes away under the running server: the next write fails in
    // a way no client input explains.
    let db = sea_orm::Database::connect(&url).await.expect("connect");
    sea_orm::ConnectionTrait::execute_unprepared(
        &db,
        "ALTER TABLE audit_event RENAME TO audit_event_gone",
    )
    .await
    .expect("rename");
    db.close().await.ok();
    let body: Value = client
        .post(format!("{}/graphql", server.address))
        .bearer_auth(&token)
        .header("x-request-id", "trace-broken")
        .json(&json!({
            "query": "mutation($i: CreateEstablishmentInput!) { createEstablishment(input: $i) { id } }",
            "variables": { "i": {
                "name": "Cơ sở hỏng",
                "kind": "SME",
                "communeCode": place::BMT,
                "sector": "AGRO_FORESTRY_FISHERY_FOOD",
            } },
        }))
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "INTERNAL",
        "{body}"
    );
    assert!(
        !body.to_string().contains("audit_event"),
        "no cause to the client: {body}"
    );
    let mut lines = Vec::new();
    for _ in 0..50 {
        lines = server
            .output()
            .lines()
            .filter(|l| l.contains("internal error"))
            .map(str::to_owned)
            .collect();
        if !lines.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(lines.len(), 1, "logged once: {lines:?}");
    let line = &lines[0];
    assert!(line.contains("trace-broken"), "the request id: {line}");
    // The database's own words, from the bottom of the cause chain.
    assert!(
        line.contains("no such table: audit_event")
            || line.contains("\"audit_event\" does not exist"),
        "the cause: {line}"
    );
}
