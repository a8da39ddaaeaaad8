//! khuyencong: the GraphQL API server of Vietnam's industrial-promotion (khuyến công) offices.
//!
//! A request walks one way: `http` → `graphql` → `domain` → `db`. The domain holds the rules
//! and the area scoping of `domain::scope`; GraphQL resolvers are thin; `db` has the sea-orm entities
//! and `migration` (a sibling crate) the schema.

pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod enums;
pub mod error;
pub mod generate;
pub mod graphql;
pub mod guard;
pub mod http;
pub mod kind;
pub mod live;
pub mod metrics;
pub mod preflight;
pub mod reference;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod text;
