//! Industrial promotion: funding sources, support-cap rules (versioned data), projects, their
//! beneficiaries, allocations, disbursements and status history.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FundingSource {
    Table,
    Id,
    Name,
    Level,
    ProvinceCode,
    FiscalYear,
    AmountVnd,
    AllocatedVnd,
    DisbursedVnd,
    LegalBasis,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SupportCapRule {
    Table,
    Id,
    LegalBasis,
    EffectiveFrom,
    ProgramLevel,
    Category,
    ProvinceCode,
    MaxPercent,
    MaxAmountVnd,
    PerUnit,
}

#[derive(DeriveIden)]
enum Project {
    Table,
    Id,
    Code,
    Title,
    Description,
    ProgramLevel,
    Kind,
    Category,
    ProvinceCode,
    CommuneCode,
    ImplementingUnit,
    FiscalYear,
    PlannedStart,
    PlannedEnd,
    Status,
    GeneralSupportVnd,
    BeneficiarySupportVnd,
    SupportVnd,
    CounterpartVnd,
    AllocatedVnd,
    DisbursedVnd,
    JobsCreated,
    Trainees,
    AverageMonthlyIncomeVnd,
    OutcomeNotes,
    CreatedBy,
    SearchText,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProjectBeneficiary {
    Table,
    Id,
    ProjectId,
    EstablishmentId,
    SupportVnd,
    CounterpartVnd,
    CapRuleId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Allocation {
    Table,
    Id,
    ProjectId,
    FundingSourceId,
    AmountVnd,
    DisbursedVnd,
    Released,
    ReleasedVnd,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Disbursement {
    Table,
    Id,
    AllocationId,
    AmountVnd,
    Date,
    Note,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ProjectEvent {
    Table,
    Id,
    ProjectId,
    Action,
    FromStatus,
    ToStatus,
    ActorId,
    Comment,
    At,
}

#[derive(DeriveIden)]
enum Establishment {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FundingSource::Table)
                    .if_not_exists()
                    .col(big_pk_auto(FundingSource::Id))
                    .col(string(FundingSource::Name))
                    .col(string(FundingSource::Level))
                    .col(string_len_null(FundingSource::ProvinceCode, 2))
                    .col(integer(FundingSource::FiscalYear))
                    .col(big_integer(FundingSource::AmountVnd))
                    // Running totals, changed only by conditional updates that keep
                    // allocated ≤ amount whatever the concurrency.
                    .col(big_integer(FundingSource::AllocatedVnd))
                    .col(big_integer(FundingSource::DisbursedVnd))
                    .col(text_null(FundingSource::LegalBasis))
                    .col(integer(FundingSource::Version))
                    .col(timestamp_with_time_zone(FundingSource::CreatedAt))
                    .col(timestamp_with_time_zone(FundingSource::UpdatedAt))
                    .check(
                        Expr::col(FundingSource::AllocatedVnd)
                            .lte(Expr::col(FundingSource::AmountVnd)),
                    )
                    .check(Expr::col(FundingSource::AllocatedVnd).gte(0))
                    .to_owned(),
            )
            .await?;
        for (suffix, cols) in [
            ("province", &["province_code", "id"][..]),
            ("year", &["fiscal_year", "id"][..]),
            ("level", &["level", "id"][..]),
            ("updated", &["updated_at", "id"][..]),
        ] {
            manager
                .create_index(index(FundingSource::Table, suffix, cols))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(SupportCapRule::Table)
                    .if_not_exists()
                    .col(big_pk_auto(SupportCapRule::Id))
                    .col(text(SupportCapRule::LegalBasis))
                    .col(date(SupportCapRule::EffectiveFrom))
                    .col(string(SupportCapRule::ProgramLevel))
                    .col(string(SupportCapRule::Category))
                    .col(string_len_null(SupportCapRule::ProvinceCode, 2))
                    .col(integer(SupportCapRule::MaxPercent))
                    .col(big_integer(SupportCapRule::MaxAmountVnd))
                    .col(string(SupportCapRule::PerUnit))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Project::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Project::Id))
                    .col(string_len_uniq(Project::Code, 40))
                    .col(string(Project::Title))
                    .col(text_null(Project::Description))
                    .col(string(Project::ProgramLevel))
                    .col(string(Project::Kind))
                    .col(string(Project::Category))
                    .col(string_len(Project::ProvinceCode, 2))
                    .col(string_len_null(Project::CommuneCode, 5))
                    .col(string_null(Project::ImplementingUnit))
                    .col(integer(Project::FiscalYear))
                    .col(date_null(Project::PlannedStart))
                    .col(date_null(Project::PlannedEnd))
                    .col(string(Project::Status))
                    .col(big_integer(Project::GeneralSupportVnd))
                    .col(big_integer(Project::BeneficiarySupportVnd))
                    .col(big_integer(Project::SupportVnd))
                    .col(big_integer(Project::CounterpartVnd))
                    .col(big_integer(Project::AllocatedVnd))
                    .col(big_integer(Project::DisbursedVnd))
                    .col(integer_null(Project::JobsCreated))
                    .col(integer_null(Project::Trainees))
                    .col(big_integer_null(Project::AverageMonthlyIncomeVnd))
                    .col(text_null(Project::OutcomeNotes))
                    .col(big_integer_null(Project::CreatedBy))
                    .col(text(Project::SearchText))
                    .col(integer(Project::Version))
                    .col(timestamp_with_time_zone(Project::CreatedAt))
                    .col(timestamp_with_time_zone(Project::UpdatedAt))
                    .check(Expr::col(Project::AllocatedVnd).lte(Expr::col(Project::SupportVnd)))
                    .to_owned(),
            )
            .await?;
        for (suffix, cols) in [
            ("province", &["province_code", "id"][..]),
            ("commune", &["commune_code", "id"][..]),
            ("status", &["status", "id"][..]),
            ("year", &["fiscal_year", "id"][..]),
            ("category", &["category", "id"][..]),
            ("updated", &["updated_at", "id"][..]),
        ] {
            manager
                .create_index(index(Project::Table, suffix, cols))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ProjectBeneficiary::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ProjectBeneficiary::Id))
                    .col(big_integer(ProjectBeneficiary::ProjectId))
                    .col(big_integer(ProjectBeneficiary::EstablishmentId))
                    .col(big_integer(ProjectBeneficiary::SupportVnd))
                    .col(big_integer(ProjectBeneficiary::CounterpartVnd))
                    // The support-cap rule version the amount was checked against.
                    .col(big_integer_null(ProjectBeneficiary::CapRuleId))
                    .col(timestamp_with_time_zone(ProjectBeneficiary::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ProjectBeneficiary::Table, ProjectBeneficiary::ProjectId)
                            .to(Project::Table, Project::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                ProjectBeneficiary::Table,
                                ProjectBeneficiary::EstablishmentId,
                            )
                            .to(Establishment::Table, Establishment::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_project_beneficiary")
                    .table(ProjectBeneficiary::Table)
                    .col(ProjectBeneficiary::ProjectId)
                    .col(ProjectBeneficiary::EstablishmentId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                ProjectBeneficiary::Table,
                "establishment",
                &["establishment_id", "project_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Allocation::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Allocation::Id))
                    .col(big_integer(Allocation::ProjectId))
                    .col(big_integer(Allocation::FundingSourceId))
                    .col(big_integer(Allocation::AmountVnd))
                    .col(big_integer(Allocation::DisbursedVnd))
                    .col(boolean(Allocation::Released))
                    .col(big_integer(Allocation::ReleasedVnd))
                    .col(timestamp_with_time_zone(Allocation::CreatedAt))
                    .col(timestamp_with_time_zone(Allocation::UpdatedAt))
                    .check(
                        Expr::col(Allocation::DisbursedVnd).lte(Expr::col(Allocation::AmountVnd)),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Allocation::Table, Allocation::ProjectId)
                            .to(Project::Table, Project::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Allocation::Table, Allocation::FundingSourceId)
                            .to(FundingSource::Table, FundingSource::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(Allocation::Table, "project", &["project_id", "id"]))
            .await?;
        manager
            .create_index(index(
                Allocation::Table,
                "source",
                &["funding_source_id", "id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Disbursement::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Disbursement::Id))
                    .col(big_integer(Disbursement::AllocationId))
                    .col(big_integer(Disbursement::AmountVnd))
                    .col(date(Disbursement::Date))
                    .col(text_null(Disbursement::Note))
                    .col(timestamp_with_time_zone(Disbursement::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Disbursement::Table, Disbursement::AllocationId)
                            .to(Allocation::Table, Allocation::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                Disbursement::Table,
                "allocation",
                &["allocation_id", "id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ProjectEvent::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ProjectEvent::Id))
                    .col(big_integer(ProjectEvent::ProjectId))
                    .col(string(ProjectEvent::Action))
                    .col(string(ProjectEvent::FromStatus))
                    .col(string(ProjectEvent::ToStatus))
                    .col(big_integer_null(ProjectEvent::ActorId))
                    .col(text_null(ProjectEvent::Comment))
                    .col(timestamp_with_time_zone(ProjectEvent::At))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ProjectEvent::Table, ProjectEvent::ProjectId)
                            .to(Project::Table, Project::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(ProjectEvent::Table, "project", &["project_id", "id"]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            ProjectEvent::Table.into_iden(),
            Disbursement::Table.into_iden(),
            Allocation::Table.into_iden(),
            ProjectBeneficiary::Table.into_iden(),
            Project::Table.into_iden(),
            SupportCapRule::Table.into_iden(),
            FundingSource::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
