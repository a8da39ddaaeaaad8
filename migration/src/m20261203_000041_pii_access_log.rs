//! The personal-data access log (Decree 13/2023/NĐ-CP): one row per request that read
//! personal fields, naming the reader, the time and the records.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PiiAccessLog {
    Table,
    Id,
    At,
    UserId,
    RequestId,
    EntityType,
    RecordIds,
    Fields,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PiiAccessLog::Table)
                    .if_not_exists()
                    .col(big_pk_auto(PiiAccessLog::Id))
                    .col(timestamp_with_time_zone(PiiAccessLog::At))
                    .col(big_integer(PiiAccessLog::UserId))
                    .col(string_null(PiiAccessLog::RequestId))
                    .col(string(PiiAccessLog::EntityType))
                    // Comma-separated ids of the records read (compact: one row per request).
                    .col(text(PiiAccessLog::RecordIds))
                    // Comma-separated names of the personal fields read.
                    .col(string(PiiAccessLog::Fields))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(PiiAccessLog::Table, "at", &["at"]))
            .await?;
        manager
            .create_index(index(PiiAccessLog::Table, "user", &["user_id", "id"]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PiiAccessLog::Table).to_owned())
            .await
    }
}
