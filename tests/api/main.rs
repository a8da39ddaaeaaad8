//! The integration tests: one binary, the real server over HTTP, a fresh database per test,
//! on SQLite by default and on PostgreSQL with `TEST_DATABASE_URL`.

mod helpers;

mod auth;
mod changes;
mod cors;
mod demo;
mod edge;
mod establishment;
mod generate;
mod health;
mod messages;
mod import;
mod legacy;
mod ocop;
mod perf;
mod product;
mod project;
mod region;
mod report;
mod report_xlsx;
mod rules;
mod schema;
mod selection;
mod startup;
mod subscription;
mod user;
