//! Provinces and communes after the July 2025 reform (no district level).

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Province {
    Table,
    Code,
    Name,
    Kind,
    Codename,
    Region,
    SearchName,
}

#[derive(DeriveIden)]
enum Commune {
    Table,
    Code,
    Name,
    Kind,
    ProvinceCode,
    Codename,
    SearchName,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Province::Table)
                    .if_not_exists()
                    .col(string_len(Province::Code, 2).primary_key())
                    .col(string(Province::Name))
                    .col(string(Province::Kind))
                    .col(string(Province::Codename))
                    // The region of the regional selection (Circular 26/2014/TT-BCT): data, editable.
                    .col(string(Province::Region))
                    .col(string(Province::SearchName))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Commune::Table)
                    .if_not_exists()
                    .col(string_len(Commune::Code, 5).primary_key())
                    .col(string(Commune::Name))
                    .col(string(Commune::Kind))
                    .col(string_len(Commune::ProvinceCode, 2))
                    .col(string(Commune::Codename))
                    .col(string(Commune::SearchName))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Commune::Table, Commune::ProvinceCode)
                            .to(Province::Table, Province::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                Commune::Table,
                "province",
                &["province_code", "code"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Commune::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Province::Table).to_owned())
            .await
    }
}
