//! The change feed: one row per committed change of a record, written in the transaction of
//! the change (see `src/domain/change.rs` for why it is ordered by transaction id).

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChangeEvent {
    Table,
    Seq,
    Xid,
    EntityType,
    EntityId,
    Operation,
    Version,
    Action,
    StatusChanged,
    At,
    ActorId,
    ProvinceCode,
    CommuneCode,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The writing transaction's id, filled in by PostgreSQL itself so no write path can
        // forget it. SQLite serialises writers, so the sequence alone is commit order there.
        let mut xid = ColumnDef::new(ChangeEvent::Xid);
        xid.big_integer().not_null();
        if manager.get_database_backend() == sea_orm_migration::sea_orm::DatabaseBackend::Postgres {
            xid.default(Expr::cust("(pg_current_xact_id()::text::bigint)"));
        } else {
            xid.default(0);
        }
        manager
            .create_table(
                Table::create()
                    .table(ChangeEvent::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ChangeEvent::Seq))
                    .col(&mut xid)
                    .col(string(ChangeEvent::EntityType))
                    .col(big_integer(ChangeEvent::EntityId))
                    .col(string_len(ChangeEvent::Operation, 8))
                    .col(integer_null(ChangeEvent::Version))
                    .col(string(ChangeEvent::Action))
                    .col(boolean(ChangeEvent::StatusChanged))
                    .col(timestamp_with_time_zone(ChangeEvent::At))
                    .col(big_integer_null(ChangeEvent::ActorId))
                    .col(string_len_null(ChangeEvent::ProvinceCode, 2))
                    .col(string_len_null(ChangeEvent::CommuneCode, 5))
                    .to_owned(),
            )
            .await?;
        for (suffix, cols) in [
            ("order", &["xid", "seq"][..]),
            ("province", &["province_code", "xid", "seq"][..]),
            ("commune", &["commune_code", "xid", "seq"][..]),
            ("entity", &["entity_type", "entity_id", "seq"][..]),
        ] {
            manager
                .create_index(index(ChangeEvent::Table, suffix, cols))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ChangeEvent::Table).to_owned())
            .await
    }
}
