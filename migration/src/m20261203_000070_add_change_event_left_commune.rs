//! The commune a record left without moving (issue #11): a commune sees the projects that
//! benefit one of its establishments, so a project leaves a commune's sight when its last
//! beneficiary there is removed or moves away, although the project's own place stays the
//! same. The row of that change names the commune, so that commune learns the project is no
//! longer its own. Null on every other change, and on every row written before.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum ChangeEvent {
    Table,
    Xid,
    Seq,
    LeftCommuneCode,
}

/// A partial index, like those of the place before a move: only such rows are in it.
const INDEX: &str = "idx_change_event_left_commune";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ChangeEvent::Table)
                    .add_column(string_len_null(ChangeEvent::LeftCommuneCode, 5))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(ChangeEvent::Table)
                    .col(ChangeEvent::LeftCommuneCode)
                    .col(ChangeEvent::Xid)
                    .col(ChangeEvent::Seq)
                    .and_where(Expr::col(ChangeEvent::LeftCommuneCode).is_not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ChangeEvent::Table)
                    .drop_column(ChangeEvent::LeftCommuneCode)
                    .to_owned(),
            )
            .await
    }
}
