//! The selection of outstanding rural industrial products: criteria versions (data), rounds,
//! nominations and judges' scorecards.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SelectionCriteria {
    Table,
    Id,
    LegalBasis,
    EffectiveFrom,
    MaxMarket,
    MaxEconomic,
    MaxCulture,
    MaxOther,
    Threshold,
    MinScorecards,
    ValidityYears,
}

#[derive(DeriveIden)]
enum SelectionRound {
    Table,
    Id,
    Name,
    Level,
    Year,
    ProvinceCode,
    CommuneCode,
    Region,
    Status,
    CriteriaId,
    CreatedBy,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Nomination {
    Table,
    Id,
    RoundId,
    ProductId,
    EstablishmentId,
    ProvinceCode,
    CommuneCode,
    Group,
    ScoreSum,
    ScoreCount,
    Result,
    CertificateNumber,
    RecognizedOn,
    ValidUntil,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Scorecard {
    Table,
    Id,
    NominationId,
    JudgeId,
    Market,
    Economic,
    Culture,
    Other,
    Total,
    SubmittedAt,
}

#[derive(DeriveIden)]
enum Product {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SelectionCriteria::Table)
                    .if_not_exists()
                    .col(big_pk_auto(SelectionCriteria::Id))
                    .col(text(SelectionCriteria::LegalBasis))
                    .col(date(SelectionCriteria::EffectiveFrom))
                    .col(integer(SelectionCriteria::MaxMarket))
                    .col(integer(SelectionCriteria::MaxEconomic))
                    .col(integer(SelectionCriteria::MaxCulture))
                    .col(integer(SelectionCriteria::MaxOther))
                    .col(integer(SelectionCriteria::Threshold))
                    .col(integer(SelectionCriteria::MinScorecards))
                    .col(integer(SelectionCriteria::ValidityYears))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SelectionRound::Table)
                    .if_not_exists()
                    .col(big_pk_auto(SelectionRound::Id))
                    .col(string(SelectionRound::Name))
                    .col(string(SelectionRound::Level))
                    .col(integer(SelectionRound::Year))
                    .col(string_len_null(SelectionRound::ProvinceCode, 2))
                    .col(string_len_null(SelectionRound::CommuneCode, 5))
                    .col(string_null(SelectionRound::Region))
                    .col(string(SelectionRound::Status))
                    .col(big_integer(SelectionRound::CriteriaId))
                    .col(big_integer_null(SelectionRound::CreatedBy))
                    .col(integer(SelectionRound::Version))
                    .col(timestamp_with_time_zone(SelectionRound::CreatedAt))
                    .col(timestamp_with_time_zone(SelectionRound::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SelectionRound::Table, SelectionRound::CriteriaId)
                            .to(SelectionCriteria::Table, SelectionCriteria::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (suffix, cols) in [
            ("province", &["province_code", "id"][..]),
            ("commune", &["commune_code", "id"][..]),
            ("level_year", &["level", "year", "id"][..]),
            ("updated", &["updated_at", "id"][..]),
        ] {
            manager
                .create_index(index(SelectionRound::Table, suffix, cols))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Nomination::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Nomination::Id))
                    .col(big_integer(Nomination::RoundId))
                    .col(big_integer(Nomination::ProductId))
                    .col(big_integer(Nomination::EstablishmentId))
                    .col(string_len(Nomination::ProvinceCode, 2))
                    .col(string_len(Nomination::CommuneCode, 5))
                    .col(string(Nomination::Group))
                    // The mean is kept as sum and count so "≥ 70" is decided exactly.
                    .col(big_integer(Nomination::ScoreSum))
                    .col(integer(Nomination::ScoreCount))
                    .col(string(Nomination::Result))
                    .col(string_null(Nomination::CertificateNumber))
                    .col(date_null(Nomination::RecognizedOn))
                    .col(date_null(Nomination::ValidUntil))
                    .col(big_integer_null(Nomination::CreatedBy))
                    .col(timestamp_with_time_zone(Nomination::CreatedAt))
                    .col(timestamp_with_time_zone(Nomination::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Nomination::Table, Nomination::RoundId)
                            .to(SelectionRound::Table, SelectionRound::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Nomination::Table, Nomination::ProductId)
                            .to(Product::Table, Product::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_nomination_round_product")
                    .table(Nomination::Table)
                    .col(Nomination::RoundId)
                    .col(Nomination::ProductId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        for (suffix, cols) in [
            ("product", &["product_id", "id"][..]),
            ("province", &["province_code", "id"][..]),
            ("commune", &["commune_code", "id"][..]),
            ("updated", &["updated_at", "id"][..]),
        ] {
            manager
                .create_index(index(Nomination::Table, suffix, cols))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Scorecard::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Scorecard::Id))
                    .col(big_integer(Scorecard::NominationId))
                    .col(big_integer(Scorecard::JudgeId))
                    .col(integer(Scorecard::Market))
                    .col(integer(Scorecard::Economic))
                    .col(integer(Scorecard::Culture))
                    .col(integer(Scorecard::Other))
                    .col(integer(Scorecard::Total))
                    .col(timestamp_with_time_zone(Scorecard::SubmittedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Scorecard::Table, Scorecard::NominationId)
                            .to(Nomination::Table, Nomination::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_scorecard_nomination_judge")
                    .table(Scorecard::Table)
                    .col(Scorecard::NominationId)
                    .col(Scorecard::JudgeId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Scorecard::Table.into_iden(),
            Nomination::Table.into_iden(),
            SelectionRound::Table.into_iden(),
            SelectionCriteria::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
