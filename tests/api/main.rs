//! The integration tests: one binary, the real server over HTTP, a fresh database per test,
//! on SQLite by default and on PostgreSQL with `TEST_DATABASE_URL`.

mod helpers;

mod auth;
mod demo;
mod establishment;
mod faults;
mod health;
mod ocop;
mod overload;
mod persisted;
mod personal_data;
mod product;
mod project;
mod query_limits;
mod region;
mod report;
mod revocation;
mod rules;
mod schema;
mod selection;
mod shared_limits;
mod user;
