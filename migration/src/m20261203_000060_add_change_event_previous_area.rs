//! Where a record was before a change that moved it (issue #11): a change is scoped by the
//! record's place after it, so without the place before it the callers of the old area would
//! never learn that the record left them. Null on every change that moves nothing.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum ChangeEvent {
    Table,
    Xid,
    Seq,
    PreviousProvinceCode,
    PreviousCommuneCode,
}

/// The partial indexes: only moves are in them, so they stay small and cost nothing on the
/// other writes.
const INDEXES: [(&str, ChangeEvent); 2] = [
    (
        "idx_change_event_previous_province",
        ChangeEvent::PreviousProvinceCode,
    ),
    (
        "idx_change_event_previous_commune",
        ChangeEvent::PreviousCommuneCode,
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        for col in [
            string_len_null(ChangeEvent::PreviousProvinceCode, 2),
            string_len_null(ChangeEvent::PreviousCommuneCode, 5),
        ] {
            let mut col = col;
            manager
                .alter_table(
                    Table::alter()
                        .table(ChangeEvent::Table)
                        .add_column(&mut col)
                        .to_owned(),
                )
                .await?;
        }
        for (name, col) in INDEXES {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(ChangeEvent::Table)
                        .col(col)
                        .col(ChangeEvent::Xid)
                        .col(ChangeEvent::Seq)
                        .and_where(Expr::col(col).is_not_null())
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(name).to_owned())
                .await?;
        }
        for col in [
            ChangeEvent::PreviousProvinceCode,
            ChangeEvent::PreviousCommuneCode,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ChangeEvent::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
