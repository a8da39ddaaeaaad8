//! The request path without a database: JSON body → GraphQL request → persisted-query
//! manifest parsing → document parsing → shape limits → validation and execution against
//! the served schema (resolvers find no application state and fail cleanly, so no SQL).
//! Any panic, hang or crash is a finding.

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
