//! The integration tests: one binary, the real server over HTTP, a fresh database per test,
//! on SQLite by default and on PostgreSQL with `TEST_DATABASE_URL`.

mod architecture;
mod helpers;

mod auth;
mod changes;
mod cors;
mod demo;
mod documents;
mod edge;
mod establishment;
mod faults;
mod fuzz;
mod generate;
mod health;
mod import;
mod legacy;
mod messages;
mod ocop;
mod overload;
mod perf;
mod persisted;
mod personal_data;
mod product;
mod project;
mod query_limits;
mod region;
mod replica;
mod report;
mod report_xlsx;
mod revocation;
mod rules;
mod schema;
mod selection;
mod shared_limits;
mod startup;
mod subscription;
mod telemetry;
mod user;
