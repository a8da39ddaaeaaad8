//! Property test over the request path, run by every `cargo test` (the cargo-fuzz target in
//! `fuzz/` needs nightly): bodies built from the committed seeds (`fuzz/corpus/request`,
//! `fuzz/corpus/multipart`) and from a small GraphQL grammar, then mutated (cut, flipped,
//! spliced, repeated), are posted to the real server — the edge's token parse, the JSON and
//! multipart readers, parsing, the shape limits, validation and execution. Every answer
//! must be GraphQL: data, or errors that all carry a stable `extensions.code`; no 5xx
//! except 503 `UNAVAILABLE` with `Retry-After`; and the server answers normally afterwards.
//!
//! Bounded: `KC_FUZZ_CASES` cases (default 2,000: two thirds JSON, one third multipart), from the fixed seed
//! `KC_FUZZ_SEED` (default 14) so a failure reproduces; proptest shrinks a failing input
//! and prints it.

use std::time::Instant;

use proptest::{
    collection::{btree_map, vec},
    prelude::*,
    sample::{Index, select},
    test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner},
};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

/// The codes a client may meet (src/error.rs `Code::as_str`, and the Apollo protocol's
/// for an unknown persisted-query hash).
const CODES: &[&str] = &[
    "PERSISTED_QUERY_NOT_FOUND",
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "BAD_USER_INPUT",
    "CONFLICT",
    "INVALID_TRANSITION",
    "BUDGET_EXCEEDED",
    "NOT_ELIGIBLE",
    "RATE_LIMITED",
    "QUERY_TOO_COMPLEX",
    "UNAVAILABLE",
    "INTERNAL",
];

/// Debug renderings of the readers' errors, which must never reach a client.
const DEBUG_TEXTS: &[&str] = &[
    "InvalidRequest(",
    "InvalidFilesMap(",
    "InvalidMultipart(",
    "MissingOperatorsPart",
    "UnsupportedBatch",
    "Custom {",
];

/// Pieces spliced into bodies and documents.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "\"",
    "\\",
    ":",
    ",",
    "...",
    "... on Query { __typename } ",
    "...F ",
    " fragment F on Query { ...F } ",
    "@skip(if: true) ",
    "@include(if: $b) ",
    "$id",
    "query Q($id: ID!, $b: Boolean = true) ",
    "mutation ",
    "subscription ",
    "__schema { types { name fields { name } } } ",
    "__type(name: \"Query\") { name } ",
    "a: __typename ",
    "establishments(first: 100) { nodes { id name phone email representative } totalCount } ",
    "node(id: \"RXN0YWJsaXNobWVudDox\") { id } ",
    "me { username } ",
    "first: -1",
    "first: 2147483648",
    "1e309",
    "-0",
    "null",
    "\u{0}",
    "\\u0000",
    "\\ud800",
    "\u{FEFF}",
    "\u{1F600}",
    "\"extensions\":{\"persistedQuery\":{\"version\":1,\"sha256Hash\":\"x\"}},",
    "\"variables\":{\"id\":[]},",
    "\"operationName\":\"Q\",",
    "#",
    "\r\n",
    "--",
    "Content-Disposition: form-data; name=\"map\"\r\n\r\n",
    "{\"0\":[\"variables.file\"]}",
];

const ROOT_FIELDS: &[&str] = &[
    "me",
    "users",
    "node",
    "provinces",
    "communes",
    "establishments",
    "establishment",
    "products",
    "fundingSources",
    "projects",
    "selectionRounds",
    "ocopEvaluations",
    "ocopCertificates",
    "publicCatalog",
    "fundingSummary",
    "ocopProvinceRanking",
    "auditEvents",
    "changes",
    "legacyProvinces",
    "resolveLegacyAddress",
    "personalDataAccessLog",
    "__schema",
    "__type",
    "createFundingSource",
    "createEstablishment",
    "logoutAll",
    "nope",
];
const FIELDS: &[&str] = &[
    "nodes",
    "edges",
    "node",
    "pageInfo",
    "products",
    "establishment",
    "province",
    "types",
    "fields",
    "ofType",
    "commune",
    "beneficiaries",
    "allocations",
];
const LEAVES: &[&str] = &[
    "id",
    "name",
    "totalCount",
    "username",
    "phone",
    "email",
    "representative",
    "taxCode",
    "__typename",
    "hasNextPage",
    "endCursor",
    "code",
    "amountVnd",
    "status",
    "productName",
    "kind",
    "unknownField",
];
const ARGS: &[&str] = &[
    "",
    "",
    "(first: 5)",
    "(first: 100)",
    "(first: -1)",
    "(first: \"x\")",
    "(first: 99999999999)",
    "(after: \"Y3Vyc29y\")",
    "(id: $id)",
    "(id: \"RXN0YWJsaXNobWVudDox\")",
    "(id: \"not base64\")",
    "(filter: { search: \"' OR 1=1; --\" })",
    "(filter: { provinceCode: \"01\" })",
    "(name: \"Query\")",
    "(input: { name: \"x\", level: NATIONAL, fiscalYear: 2026, amountVnd: 1000 })",
    "(input: { amountVnd: 1.5 })",
    "(code: $b)",
];
const DIRECTIVES: &[&str] = &[
    "",
    "",
    "",
    "@skip(if: false)",
    "@include(if: $b)",
    "@skip(if: true) @skip(if: true)",
    "@deprecated",
    "@unknown",
];
const OPERATIONS: &[&str] = &[
    "",
    "query ",
    "query Q($id: ID, $b: Boolean!) ",
    "query Q($id: ID!) ",
    "mutation ",
    "mutation M ",
    "subscription ",
    "query Q($b: [[[Int]]]) ",
];
const VARIABLE_NAMES: &[&str] = &["id", "b", "first", "file", "input", "x"];

/// A body to post.
#[derive(Clone, Debug)]
struct Case {
    /// `Content-Type` of the request.
    content_type: String,
    /// `Authorization`: none, the national user's token, or something else.
    auth: Auth,
    body: Vec<u8>,
}

#[derive(Clone, Copy, Debug)]
enum Auth {
    None,
    Valid,
    Garbage,
    Basic,
}

#[derive(Clone, Debug)]
enum Op {
    Truncate(Index),
    Flip(Index, u8),
    Insert(Index, Index),
    Delete(Index, Index),
    Repeat(Index, Index, u8),
}

fn mutate(mut bytes: Vec<u8>, ops: &[Op]) -> Vec<u8> {
    for op in ops {
        let len = bytes.len();
        match op {
            Op::Truncate(at) if len > 0 => bytes.truncate(at.index(len)),
            Op::Flip(at, b) if len > 0 => bytes[at.index(len)] = *b,
            Op::Insert(at, token) => {
                let t = TOKENS[token.index(TOKENS.len())].as_bytes();
                let at = at.index(len + 1);
                bytes.splice(at..at, t.iter().copied());
            }
            Op::Delete(a, b) if len > 0 => {
                let (a, b) = (a.index(len), b.index(len));
                bytes.drain(a.min(b)..a.max(b));
            }
            Op::Repeat(a, b, times) if len > 0 => {
                let (a, b) = (a.index(len), b.index(len));
                let piece = bytes[a.min(b)..a.max(b)].to_vec();
                if piece.len() * usize::from(*times) < 64 * 1024 {
                    let at = a.max(b);
                    for _ in 0..*times {
                        bytes.splice(at..at, piece.iter().copied());
                    }
                }
            }
            _ => {}
        }
    }
    bytes
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => any::<Index>().prop_map(Op::Truncate),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(a, b)| Op::Flip(a, b)),
        4 => (any::<Index>(), any::<Index>()).prop_map(|(a, t)| Op::Insert(a, t)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Op::Delete(a, b)),
        1 => (any::<Index>(), any::<Index>(), 1..200u8).prop_map(|(a, b, n)| Op::Repeat(a, b, n)),
    ]
}

fn auth() -> impl Strategy<Value = Auth> {
    prop_oneof![
        4 => Just(Auth::None),
        4 => Just(Auth::Valid),
        1 => Just(Auth::Garbage),
        1 => Just(Auth::Basic),
    ]
}

/// The committed seeds of one corpus folder, sorted by name.
fn seeds(folder: &str) -> Vec<(String, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(folder);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("corpus folder")
        .map(|e| {
            let path = e.expect("entry").path();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, std::fs::read(&path).expect("seed"))
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds in {}", dir.display());
    out
}

/// A seed as a JSON body: `.graphql` seeds become `{"query": …}`.
fn as_body((name, bytes): &(String, Vec<u8>)) -> Vec<u8> {
    if name.ends_with(".graphql") {
        json!({ "query": String::from_utf8_lossy(bytes) })
            .to_string()
            .into_bytes()
    } else {
        bytes.clone()
    }
}

fn selection() -> impl Strategy<Value = String> {
    let leaf = select(LEAVES).prop_map(str::to_owned);
    leaf.prop_recursive(4, 40, 5, |inner| {
        (
            prop_oneof![select(FIELDS), select(ROOT_FIELDS)],
            select(ARGS),
            select(DIRECTIVES),
            proptest::option::weighted(0.2, select(&["a", "b", "x1", "__typename"][..])),
            vec(inner, 1..5),
        )
            .prop_map(|(field, args, dir, alias, subs)| {
                let alias = alias.map(|a| format!("{a}: ")).unwrap_or_default();
                format!("{alias}{field}{args} {dir} {{ {} }}", subs.join(" "))
            })
    })
}

fn document() -> impl Strategy<Value = String> {
    (
        select(OPERATIONS),
        vec(
            (
                select(ROOT_FIELDS),
                select(ARGS),
                select(DIRECTIVES),
                selection(),
            ),
            1..4,
        ),
        proptest::option::weighted(0.2, selection()),
    )
        .prop_map(|(op, roots, fragment)| {
            let roots: Vec<String> = roots
                .into_iter()
                .map(|(f, a, d, s)| format!("{f}{a} {d} {{ {s} }}"))
                .collect();
            let fragment = fragment
                .map(|s| format!(" fragment F on Query {{ {s} }}"))
                .unwrap_or_default();
            format!("{op}{{ {} }}{fragment}", roots.join(" "))
        })
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
        Just(Value::from("RXN0YWJsaXNobWVudDox")),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map(select(VARIABLE_NAMES).prop_map(str::to_owned), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// JSON bodies: a mutated seed, or a generated document with generated variables, whose
/// query text (while it is still a JSON object with a string `query`) or raw bytes are
/// mutated.
fn json_case(corpus: Vec<(String, Vec<u8>)>) -> impl Strategy<Value = Case> {
    let seeded = select(corpus).prop_map(|s| as_body(&s));
    let generated = (document(), json_value(), proptest::option::of(".{0,8}")).prop_map(
        |(query, variables, operation)| {
            let mut body = json!({ "query": query, "variables": variables });
            if let Some(op) = operation {
                body["operationName"] = op.into();
            }
            body.to_string().into_bytes()
        },
    );
    (
        prop_oneof![1 => seeded, 2 => generated],
        vec(op(), 0..4),
        any::<bool>(),
        auth(),
        0..8u8,
    )
        .prop_map(|(body, ops, inside_query, auth, content_type)| {
            let parsed = serde_json::from_slice::<Value>(&body).ok();
            let body = match parsed {
                Some(mut v) if inside_query && v["query"].is_string() => {
                    let query = v["query"].as_str().unwrap_or_default().as_bytes().to_vec();
                    v["query"] = String::from_utf8_lossy(&mutate(query, &ops))
                        .into_owned()
                        .into();
                    v.to_string().into_bytes()
                }
                _ => mutate(body, &ops),
            };
            let content_type = match content_type {
                0 => "text/plain",
                1 => "application/graphql",
                2 => "application/json; charset=latin1",
                _ => "application/json",
            };
            Case {
                content_type: content_type.into(),
                auth,
                body,
            }
        })
}

/// Multipart bodies (the GraphQL upload specification): a mutated seed, or one built from
/// an operations part, a map part and files, in any order, with a right or wrong boundary.
fn multipart_case(corpus: Vec<(String, Vec<u8>)>) -> impl Strategy<Value = Case> {
    const BOUNDARY: &str = "kcfuzzboundary";
    const QUERIES: &[&str] = &[
        "mutation($file: Upload!) { importFile(entity: ESTABLISHMENTS, file: $file, dryRun: true) { __typename } }",
        "mutation($file: Upload!) { importFile(entity: PRODUCTS, file: $file, dryRun: false, partial: true) { __typename } }",
        "{ me { username } }",
        "mutation($file: Upload!, $b: Upload) { importFile(entity: PRODUCTS, file: $b, dryRun: true) { __typename } }",
    ];
    const MAPS: &[&str] = &[
        r#"{"0":["variables.file"]}"#,
        r#"{"0":["variables.file"],"1":["variables.b"]}"#,
        r#"{"0":["variables.file","variables.file"]}"#,
        r#"{"0":["variables.x.y.z"]}"#,
        r#"{"0":["query"]}"#,
        r#"{"9":["variables.file"]}"#,
        r#"["variables.file"]"#,
        r#"{"0":"variables.file"}"#,
        "",
    ];
    let part = |name: &str, file: Option<&str>, content: &[u8]| {
        let mut p = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"");
        if let Some(f) = file {
            p.push_str(&format!(
                "; filename=\"{f}\"\r\nContent-Type: application/octet-stream"
            ));
        }
        p.push_str("\r\n\r\n");
        let mut bytes = p.into_bytes();
        bytes.extend_from_slice(content);
        bytes.extend_from_slice(b"\r\n");
        bytes
    };
    let built = (
        select(QUERIES),
        json_value(),
        select(MAPS),
        vec(
            (
                select(&["0", "1", "9", "file"][..]),
                select(&["a.csv", "b.xlsx", "", "../../etc/passwd"][..]),
                vec(any::<u8>(), 0..256),
            ),
            0..3,
        ),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(move |(query, variables, map, files, map_first, close)| {
            let ops = json!({ "query": query, "variables": variables }).to_string();
            let ops = part("operations", None, ops.as_bytes());
            let map = part("map", None, map.as_bytes());
            let mut body = if map_first {
                [map, ops].concat()
            } else {
                [ops, map].concat()
            };
            for (name, file, content) in files {
                body.extend(part(name, Some(file), &content));
            }
            if close {
                body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
            }
            body
        });
    let seeded = select(corpus).prop_map(|(_, b)| b);
    (
        prop_oneof![1 => seeded, 2 => built],
        vec(op(), 0..3),
        auth(),
        0..6u8,
    )
        .prop_map(|(body, ops, auth, header)| {
            let content_type = match header {
                0 => "multipart/form-data".to_owned(),
                1 => "multipart/form-data; boundary=other".to_owned(),
                2 => format!("multipart/form-data; boundary=\"{BOUNDARY}\""),
                _ => format!("multipart/form-data; boundary={BOUNDARY}"),
            };
            Case {
                content_type,
                auth,
                body: mutate(body, &ops),
            }
        })
}

/// What came back for one case.
struct Answer {
    status: u16,
    retry_after: bool,
    body: Vec<u8>,
}

fn fresh_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("client")
}

async fn send(app: &TestApp, token: &str, case: &Case) -> Answer {
    // A fresh connection per case: a closed connection then means the server dropped this
    // request, never a keep-alive connection it closed while the client reused it.
    let mut req = fresh_client()
        .post(format!("{}/graphql", app.address))
        .header("content-type", case.content_type.as_str())
        .body(case.body.clone());
    req = match case.auth {
        Auth::None => req,
        Auth::Valid => req.bearer_auth(token),
        Auth::Garbage => req.bearer_auth("eyJhbGciOiJub25lIn0.e30."),
        Auth::Basic => req.header("authorization", "Basic dXNlcjpwYXNz"),
    };
    let resp = req.send().await.expect("the server answers");
    Answer {
        status: resp.status().as_u16(),
        retry_after: resp.headers().contains_key("retry-after"),
        body: resp.bytes().await.expect("body").to_vec(),
    }
}

/// The property: a GraphQL answer with stable codes, and no 5xx but `UNAVAILABLE`.
fn check(a: &Answer) -> Result<(), String> {
    let text = String::from_utf8_lossy(&a.body);
    let body: Value = serde_json::from_slice(&a.body)
        .map_err(|e| format!("status {}: the body is not JSON ({e}): {text}", a.status))?;
    let errors = body.get("errors").and_then(Value::as_array);
    if body.get("data").is_none() && errors.is_none_or(|e| e.is_empty()) {
        return Err(format!(
            "status {}: neither data nor errors: {text}",
            a.status
        ));
    }
    let mut codes = Vec::new();
    for e in errors.into_iter().flatten() {
        let code = e["extensions"]["code"].as_str().unwrap_or_default();
        if !CODES.contains(&code) {
            return Err(format!(
                "status {}: an error without a stable code: {e}",
                a.status
            ));
        }
        let message = e["message"].as_str().unwrap_or_default();
        if message.is_empty() || DEBUG_TEXTS.iter().any(|d| message.contains(d)) {
            return Err(format!(
                "status {}: a message no person can act on: {e}",
                a.status
            ));
        }
        codes.push(code);
    }
    if codes.contains(&"INTERNAL") {
        return Err(format!("status {}: INTERNAL: {text}", a.status));
    }
    if a.status >= 500 && !(a.status == 503 && codes.contains(&"UNAVAILABLE") && a.retry_after) {
        return Err(format!(
            "status {}: a 5xx other than UNAVAILABLE with Retry-After: {text}",
            a.status
        ));
    }
    Ok(())
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn runner(cases: u32, stream: u8) -> TestRunner {
    let mut seed = [stream; 32];
    seed[..8].copy_from_slice(&env_number("KC_FUZZ_SEED", 14).to_le_bytes());
    let config = Config {
        cases,
        // Failures are reproduced from the fixed seed; nothing is written next to the tests.
        failure_persistence: None,
        max_shrink_iters: 2_000,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed))
}

#[test]
fn generated_and_mutated_requests_get_graphql_answers_with_stable_codes() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let app = rt.block_on(spawn_app());
    let user = rt.block_on(app.national());
    let cases = u32::try_from(env_number("KC_FUZZ_CASES", 2_000)).unwrap_or(2_000);
    let started = Instant::now();
    let by_status = std::cell::RefCell::new(std::collections::BTreeMap::<u16, u32>::new());
    let property = |case: Case| -> Result<(), TestCaseError> {
        let answer = rt.block_on(send(&app, &user.token, &case));
        *by_status.borrow_mut().entry(answer.status).or_default() += 1;
        check(&answer).map_err(TestCaseError::fail)
    };

    let json_cases = cases - cases / 3;
    runner(json_cases, 1)
        .run(&json_case(seeds("request")), property)
        .expect("JSON bodies: GraphQL answers with stable codes");
    runner(cases / 3, 2)
        .run(&multipart_case(seeds("multipart")), property)
        .expect("multipart bodies: GraphQL answers with stable codes");
    eprintln!(
        "request-path property: {cases} cases in {:?}, answers by status {:?}",
        started.elapsed(),
        by_status.borrow()
    );

    // The server still answers normally.
    let data = rt.block_on(app.ok(Some(&user.token), "{ me { username } }", json!({})));
    assert_eq!(data["me"]["username"], user.username);
    // How long the run takes is printed above, never asserted: on a loaded machine a timed
    // assertion fails for reasons that are not the server's (speed is the benchmark's job).
}
