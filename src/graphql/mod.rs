//! The GraphQL layer: thin resolvers over `domain`, DataLoaders, limits, errors.

pub mod audit;
pub mod catalog;
pub mod change;
pub mod connection;
pub mod context;
pub mod document;
pub mod enums;
pub mod error;
pub mod establishment;
pub mod funding;
pub mod guard;
pub mod ids;
pub mod import;
pub mod input;
pub mod legacy;
pub mod limits;
pub mod loaders;
pub mod node;
pub mod ocop;
pub mod prefetch;
pub mod product;
pub mod project;
pub mod reference;
pub mod report;
pub mod root;
pub mod scalars;
pub mod selection;
pub mod session;
pub mod subscription;
pub mod user;

use std::sync::Arc;

use async_graphql::{
    Response, Schema, SchemaBuilder, ServerError, ValidationResult,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextExecute, NextRequest, NextSubscribe,
        NextValidation,
    },
    futures_util::stream::BoxStream,
};

use crate::{config::Config, state::AppState};

/// The served schema.
pub type AppSchema = Schema<root::Query, root::Mutation, subscription::Subscription>;

/// The schema without data or limits (for exporting the SDL).
pub fn schema_builder() -> SchemaBuilder<root::Query, root::Mutation, subscription::Subscription> {
    Schema::build(
        root::Query::default(),
        root::Mutation::default(),
        subscription::Subscription,
    )
    .register_output_type::<node::Node>()
}

/// The schema as served: with the application state and the limits of the configuration.
pub fn build_schema(state: AppState, config: &Config) -> AppSchema {
    use async_graphql::extensions::apollo_persisted_queries::{
        ApolloPersistedQueries, LruCacheStorage,
    };
    let manifest = state.guard.manifest.clone();
    let builder = with_introspection(schema_builder(), config.introspection)
        .data(state)
        .limit_recursive_depth(64)
        .limit_directives(20)
        // Outermost, so its spans cover the other extensions (see `OperationTracing`).
        .extension(OperationTracing)
        .extension(query_limits(config))
        .extension(guard::PiiLog);
    // The allow-list runs before Automatic Persisted Queries, which it feeds.
    builder
        .extension(guard::Persisted {
            manifest,
            only: config.persisted_only,
        })
        .extension(ApolloPersistedQueries::new(LruCacheStorage::new(1024)))
        .finish()
}

/// async-graphql's [`Tracing`](async_graphql::extensions::Tracing) extension for the
/// operation only: its `request`, `validation` and `execute` spans (`subscribe` for a
/// subscription), the GraphQL part of a request's trace (`crate::telemetry`). Its `parse`
/// span is left out, as it prints the whole document with its variables into a field on
/// every request, and so is its per-field work (a type lookup for every field, a span for
/// every object field), which cost about 9 % more CPU on a query of 50 establishments with
/// their products (debug build), for spans never exported.
struct OperationTracing;

impl ExtensionFactory for OperationTracing {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(OperationTracingExtension(
            async_graphql::extensions::Tracing.create(),
        ))
    }
}

struct OperationTracingExtension(Arc<dyn Extension>);

#[async_graphql::async_trait::async_trait]
impl Extension for OperationTracingExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        self.0.request(ctx, next).await
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        self.0.subscribe(ctx, stream, next)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        self.0.validation(ctx, next).await
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        self.0.execute(ctx, operation_name, next).await
    }
}

/// `KC_INTROSPECTION=false` switches schema introspection off (`__typename` still works).
fn with_introspection<Q, M, S>(
    builder: SchemaBuilder<Q, M, S>,
    enabled: bool,
) -> SchemaBuilder<Q, M, S> {
    if enabled {
        builder
    } else {
        builder.disable_introspection()
    }
}

fn query_limits(config: &Config) -> limits::QueryLimits {
    limits::QueryLimits {
        max_aliases: config.max_aliases,
        max_root_fields: config.max_root_fields,
        max_depth: Some(config.max_depth),
        max_complexity: Some(config.max_complexity),
    }
}

/// The schema for introspection-only requests (GraphiQL's schema fetch nests `ofType` deeper
/// than the depth limit): no depth or complexity limit, but introspection reads no data.
pub fn build_introspection_schema(state: AppState) -> AppSchema {
    let enabled = state.config.introspection;
    let limits = limits::QueryLimits {
        max_depth: None,
        max_complexity: None,
        ..query_limits(&state.config)
    };
    // The allow-list covers introspection too.
    let persisted = guard::Persisted {
        manifest: state.guard.manifest.clone(),
        only: state.config.persisted_only,
    };
    with_introspection(schema_builder(), enabled)
        .data(state)
        .limit_recursive_depth(64)
        .limit_directives(20)
        .extension(limits)
        .extension(persisted)
        .finish()
}

/// Whether a document only asks introspection fields (`__schema`, `__type`, `__typename`) at
/// the root of every operation.
pub fn is_introspection_only(query: &str) -> bool {
    use async_graphql::parser::{parse_query, types::Selection};
    if !(query.contains("__schema") || query.contains("__type")) {
        return false;
    }
    let Ok(doc) = parse_query(query) else {
        return false;
    };
    let mut any = false;
    for (_, op) in doc.operations.iter() {
        any = true;
        let only = op
            .node
            .selection_set
            .node
            .items
            .iter()
            .all(|item| match &item.node {
                Selection::Field(f) => f.node.name.node.starts_with("__"),
                _ => false,
            });
        if !only {
            return false;
        }
    }
    any
}

/// The SDL of the served schema, as `khuyencong schema` prints and `schema.graphql` holds.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}

#[cfg(test)]
mod tests {
    use super::is_introspection_only;

    #[test]
    fn only_introspection_documents_skip_the_limits() {
        assert!(is_introspection_only(
            "query IntrospectionQuery { __schema { types { name } } }"
        ));
        assert!(!is_introspection_only(
            "{ __schema { types { name } } establishments { totalCount } }"
        ));
        assert!(!is_introspection_only("{ establishments { totalCount } }"));
        assert!(!is_introspection_only(
            "{ ...F } fragment F on Query { __schema { types { name } } }"
        ));
    }
}
