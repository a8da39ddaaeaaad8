//! The advance ceiling of disbursements before acceptance, as versioned data.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DisbursementRule {
    Table,
    Id,
    LegalBasis,
    EffectiveFrom,
    AdvancePercent,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DisbursementRule::Table)
                    .if_not_exists()
                    .col(big_pk_auto(DisbursementRule::Id))
                    .col(text(DisbursementRule::LegalBasis))
                    .col(date(DisbursementRule::EffectiveFrom))
                    .col(integer(DisbursementRule::AdvancePercent))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DisbursementRule::Table).to_owned())
            .await
    }
}
