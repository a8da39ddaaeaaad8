//! The request path without a database: JSON body → GraphQL request → persisted-query
//! manifest parsing → document parsing → shape limits → validation and execution against
//! the served schema (resolvers find no application state and fail cleanly, so no SQL);
//! a body starting with `--` goes through the multipart reader (the GraphQL upload
//! specification) with the boundary of its first line. Any panic, hang or crash is a finding.
//!
//! Seeds: `corpus/request` and `corpus/multipart`, shared with the stable property test
//! `tests/api/fuzz.rs` that every `cargo test` runs.

#![no_main]

use std::sync::OnceLock;

use khuyencong::graphql::{self, AppSchema, guard::Manifest, limits::QueryLimits};
use libfuzzer_sys::fuzz_target;

const LIMITS: QueryLimits = QueryLimits {
    max_aliases: 50,
    max_root_fields: 20,
};

fn schema() -> &'static AppSchema {
    static SCHEMA: OnceLock<AppSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        graphql::schema_builder()
            .limit_depth(12)
            .limit_complexity(20_000)
            .limit_recursive_depth(64)
            .limit_directives(20)
            .extension(LIMITS)
            .finish()
    })
}

fuzz_target!(|data: &[u8]| {
    if let Some(rest) = data.strip_prefix(b"--") {
        let boundary = rest.split(|b| *b == b'\r').next().unwrap_or_default();
        let content_type = format!(
            "multipart/form-data; boundary={}",
            String::from_utf8_lossy(boundary)
        );
        let opts = async_graphql::http::MultipartOptions::default()
            .max_file_size(1 << 20)
            .max_num_files(1);
        let _ = futures::executor::block_on(async_graphql::http::receive_batch_body(
            Some(content_type),
            futures::io::Cursor::new(data.to_vec()),
            opts,
        ));
        return;
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Manifest::parse(text);
    let _ = graphql::is_introspection_only(text);
    if let Ok(doc) = async_graphql::parser::parse_query(text) {
        let _ = LIMITS.check(&doc);
    }
    if let Ok(req) = serde_json::from_str::<async_graphql::Request>(text) {
        let _ = futures::executor::block_on(schema().execute(req));
    } else {
        let _ = futures::executor::block_on(schema().execute(async_graphql::Request::new(text)));
    }
});
