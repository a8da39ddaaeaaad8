//! Database migrations for khuyencong, in the order they apply.
//!
//! This crate never imports the application's entities: each migration describes its tables
//! with SeaQuery alone, so an old migration keeps meaning what it meant when it shipped.

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_create_reference;
mod m20261126_000002_create_user;
mod m20261126_000003_create_establishment_product;
mod m20261126_000004_create_audit_idempotency;
mod m20261126_000005_create_funding_project;
mod m20261126_000006_create_selection;
mod m20261126_000007_create_ocop;
mod m20261126_000008_create_disbursement_rule;
mod m20261203_000020_create_change_event;
mod m20261203_000040_user_token_epoch;
mod m20261203_000041_pii_access_log;
mod m20261203_000050_create_document;
mod m20261203_000060_add_change_event_previous_area;
mod m20261203_000070_add_change_event_left_commune;

/// The ordered list of migrations.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_create_reference::Migration),
            Box::new(m20261126_000002_create_user::Migration),
            Box::new(m20261126_000003_create_establishment_product::Migration),
            Box::new(m20261126_000004_create_audit_idempotency::Migration),
            Box::new(m20261126_000005_create_funding_project::Migration),
            Box::new(m20261126_000006_create_selection::Migration),
            Box::new(m20261126_000007_create_ocop::Migration),
            Box::new(m20261126_000008_create_disbursement_rule::Migration),
            Box::new(m20261203_000020_create_change_event::Migration),
            Box::new(m20261203_000040_user_token_epoch::Migration),
            Box::new(m20261203_000041_pii_access_log::Migration),
            Box::new(m20261203_000050_create_document::Migration),
            Box::new(m20261203_000060_add_change_event_previous_area::Migration),
            Box::new(m20261203_000070_add_change_event_left_commune::Migration),
        ]
    }
}

/// Creates a plain (non-unique) index named `idx_<table>_<suffix>` over `cols`.
pub(crate) fn index<T: IntoIden>(
    table: T,
    suffix: &str,
    cols: &[&'static str],
) -> IndexCreateStatement {
    let table = table.into_iden();
    let name = format!("idx_{table}_{suffix}");
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for c in cols {
        stmt.col(Alias::new(*c));
    }
    stmt.to_owned()
}
