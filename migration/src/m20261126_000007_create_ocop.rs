//! OCOP star rating: criteria versions and prizes (data), evaluations, council scores and
//! certificates.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OcopCriteria {
    Table,
    Id,
    Version,
    LegalBasis,
    EffectiveFrom,
    MaxPartA,
    MaxPartB,
    MaxPartC,
    MinMembers,
    Star2From,
    Star3From,
    Star4From,
    Star5From,
    ValidityMonths,
}

#[derive(DeriveIden)]
enum OcopPrize {
    Table,
    Id,
    Stars,
    AmountVnd,
    LegalBasis,
    EffectiveFrom,
}

#[derive(DeriveIden)]
enum OcopEvaluation {
    Table,
    Id,
    ProductId,
    EstablishmentId,
    ProvinceCode,
    CommuneCode,
    Year,
    Kind,
    Status,
    CriteriaId,
    ScreeningNote,
    Stars,
    CertificateId,
    CreatedBy,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OcopScore {
    Table,
    Id,
    EvaluationId,
    MemberId,
    Stage,
    PartACenti,
    PartBCenti,
    PartCCenti,
    TotalCenti,
    MandatoryFailed,
    SubmittedAt,
}

#[derive(DeriveIden)]
enum OcopCertificate {
    Table,
    Id,
    ProductId,
    EvaluationId,
    ProvinceCode,
    CommuneCode,
    Stars,
    DecisionNumber,
    IssuingLevel,
    IssuedOn,
    ValidUntil,
    Superseded,
    RevokedAt,
    RevokedReason,
    RevokeDecisionNumber,
    CreatedAt,
    UpdatedAt,
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
                    .table(OcopCriteria::Table)
                    .if_not_exists()
                    .col(big_pk_auto(OcopCriteria::Id))
                    .col(string(OcopCriteria::Version))
                    .col(text(OcopCriteria::LegalBasis))
                    .col(date(OcopCriteria::EffectiveFrom))
                    .col(integer(OcopCriteria::MaxPartA))
                    .col(integer(OcopCriteria::MaxPartB))
                    .col(integer(OcopCriteria::MaxPartC))
                    .col(integer(OcopCriteria::MinMembers))
                    .col(integer(OcopCriteria::Star2From))
                    .col(integer(OcopCriteria::Star3From))
                    .col(integer(OcopCriteria::Star4From))
                    .col(integer(OcopCriteria::Star5From))
                    .col(integer(OcopCriteria::ValidityMonths))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OcopPrize::Table)
                    .if_not_exists()
                    .col(big_pk_auto(OcopPrize::Id))
                    .col(integer(OcopPrize::Stars))
                    .col(big_integer(OcopPrize::AmountVnd))
                    .col(text(OcopPrize::LegalBasis))
                    .col(date(OcopPrize::EffectiveFrom))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OcopEvaluation::Table)
                    .if_not_exists()
                    .col(big_pk_auto(OcopEvaluation::Id))
                    .col(big_integer(OcopEvaluation::ProductId))
                    .col(big_integer(OcopEvaluation::EstablishmentId))
                    .col(string_len(OcopEvaluation::ProvinceCode, 2))
                    .col(string_len(OcopEvaluation::CommuneCode, 5))
                    .col(integer(OcopEvaluation::Year))
                    .col(string(OcopEvaluation::Kind))
                    .col(string(OcopEvaluation::Status))
                    .col(big_integer(OcopEvaluation::CriteriaId))
                    .col(text_null(OcopEvaluation::ScreeningNote))
                    .col(integer_null(OcopEvaluation::Stars))
                    .col(big_integer_null(OcopEvaluation::CertificateId))
                    .col(big_integer_null(OcopEvaluation::CreatedBy))
                    .col(integer(OcopEvaluation::Version))
                    .col(timestamp_with_time_zone(OcopEvaluation::CreatedAt))
                    .col(timestamp_with_time_zone(OcopEvaluation::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OcopEvaluation::Table, OcopEvaluation::ProductId)
                            .to(Product::Table, Product::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(OcopEvaluation::Table, OcopEvaluation::CriteriaId)
                            .to(OcopCriteria::Table, OcopCriteria::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (suffix, cols) in [
            ("product", &["product_id", "id"][..]),
            ("province", &["province_code", "id"][..]),
            ("commune", &["commune_code", "id"][..]),
            ("status", &["status", "id"][..]),
            ("updated", &["updated_at", "id"][..]),
        ] {
            manager
                .create_index(index(OcopEvaluation::Table, suffix, cols))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(OcopScore::Table)
                    .if_not_exists()
                    .col(big_pk_auto(OcopScore::Id))
                    .col(big_integer(OcopScore::EvaluationId))
                    .col(big_integer(OcopScore::MemberId))
                    .col(string(OcopScore::Stage))
                    // Points in hundredths, so band edges (49.99, 50) are decided exactly.
                    .col(integer(OcopScore::PartACenti))
                    .col(integer(OcopScore::PartBCenti))
                    .col(integer(OcopScore::PartCCenti))
                    .col(integer(OcopScore::TotalCenti))
                    .col(text(OcopScore::MandatoryFailed))
                    .col(timestamp_with_time_zone(OcopScore::SubmittedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OcopScore::Table, OcopScore::EvaluationId)
                            .to(OcopEvaluation::Table, OcopEvaluation::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_ocop_score_member")
                    .table(OcopScore::Table)
                    .col(OcopScore::EvaluationId)
                    .col(OcopScore::Stage)
                    .col(OcopScore::MemberId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OcopCertificate::Table)
                    .if_not_exists()
                    .col(big_pk_auto(OcopCertificate::Id))
                    .col(big_integer(OcopCertificate::ProductId))
                    .col(big_integer_null(OcopCertificate::EvaluationId))
                    .col(string_len(OcopCertificate::ProvinceCode, 2))
                    .col(string_len(OcopCertificate::CommuneCode, 5))
                    .col(integer(OcopCertificate::Stars))
                    .col(string(OcopCertificate::DecisionNumber))
                    .col(string(OcopCertificate::IssuingLevel))
                    .col(date(OcopCertificate::IssuedOn))
                    .col(date(OcopCertificate::ValidUntil))
                    .col(boolean(OcopCertificate::Superseded))
                    .col(timestamp_with_time_zone_null(OcopCertificate::RevokedAt))
                    .col(text_null(OcopCertificate::RevokedReason))
                    .col(string_null(OcopCertificate::RevokeDecisionNumber))
                    .col(timestamp_with_time_zone(OcopCertificate::CreatedAt))
                    .col(timestamp_with_time_zone(OcopCertificate::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OcopCertificate::Table, OcopCertificate::ProductId)
                            .to(Product::Table, Product::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (suffix, cols) in [
            ("product", &["product_id", "id"][..]),
            ("province", &["province_code", "id"][..]),
            ("commune", &["commune_code", "id"][..]),
            ("valid_until", &["valid_until", "id"][..]),
            ("updated", &["updated_at", "id"][..]),
        ] {
            manager
                .create_index(index(OcopCertificate::Table, suffix, cols))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            OcopCertificate::Table.into_iden(),
            OcopScore::Table.into_iden(),
            OcopEvaluation::Table.into_iden(),
            OcopPrize::Table.into_iden(),
            OcopCriteria::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
