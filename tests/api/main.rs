//! The integration tests: one binary, the real server over HTTP, a fresh database per test,
//! on SQLite by default and on PostgreSQL with `TEST_DATABASE_URL`.

mod helpers;

mod auth;
mod demo;
mod establishment;
mod health;
mod import;
mod legacy;
mod ocop;
mod product;
mod project;
mod region;
mod report;
mod report_xlsx;
mod rules;
mod schema;
mod selection;
mod user;
