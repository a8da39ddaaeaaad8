//! The GraphQL layer: thin resolvers over `domain`, DataLoaders, limits, errors.

pub mod connection;
pub mod context;
pub mod enums;
pub mod error;
pub mod establishment;
pub mod ids;
pub mod loaders;
pub mod node;
pub mod product;
pub mod project;
pub mod reference;
pub mod root;
pub mod scalars;
pub mod user;

use async_graphql::{EmptySubscription, Schema, SchemaBuilder};

use crate::{config::Config, state::AppState};

/// The served schema.
pub type AppSchema = Schema<root::Query, root::Mutation, EmptySubscription>;

/// The schema without data or limits (for exporting the SDL).
pub fn schema_builder() -> SchemaBuilder<root::Query, root::Mutation, EmptySubscription> {
    Schema::build(
        root::Query::default(),
        root::Mutation::default(),
        EmptySubscription,
    )
    .register_output_type::<node::Node>()
}

/// The schema as served: with the application state and the limits of the configuration.
pub fn build_schema(state: AppState, config: &Config) -> AppSchema {
    schema_builder()
        .data(state)
        .limit_depth(config.max_depth)
        .limit_complexity(config.max_complexity)
        .limit_recursive_depth(64)
        .limit_directives(20)
        .finish()
}

/// The SDL of the served schema, as `khuyencong schema` prints and `schema.graphql` holds.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}
