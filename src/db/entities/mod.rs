//! sea-orm entities, one file per table. Rows, not API types: GraphQL views live in `graphql/`.

pub mod app_user;
pub mod audit_event;
pub mod commune;
pub mod establishment;
pub mod idempotency_key;
pub mod product;
pub mod province;
pub mod refresh_token;
