//! Rural industrial establishments and their products.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Establishment {
    Table,
    Id,
    Name,
    Kind,
    TaxCode,
    CommuneCode,
    ProvinceCode,
    Address,
    InCraftVillage,
    Sector,
    MainProducts,
    EmployeeCount,
    FoundedYear,
    Representative,
    Phone,
    Email,
    Latitude,
    Longitude,
    WomenOwned,
    EthnicMinorityOwned,
    Status,
    StatusReason,
    SearchText,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Product {
    Table,
    Id,
    EstablishmentId,
    CommuneCode,
    ProvinceCode,
    Name,
    Description,
    Brand,
    SelectionGroup,
    OcopGroup,
    SearchText,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Commune {
    Table,
    Code,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Establishment::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Establishment::Id))
                    .col(string(Establishment::Name))
                    .col(string(Establishment::Kind))
                    // NULLs never collide in a unique index, on SQLite and PostgreSQL alike.
                    .col(string_len_null(Establishment::TaxCode, 14).unique_key())
                    .col(string_len(Establishment::CommuneCode, 5))
                    .col(string_len(Establishment::ProvinceCode, 2))
                    .col(text_null(Establishment::Address))
                    .col(boolean(Establishment::InCraftVillage))
                    .col(string(Establishment::Sector))
                    .col(text_null(Establishment::MainProducts))
                    .col(integer_null(Establishment::EmployeeCount))
                    .col(integer_null(Establishment::FoundedYear))
                    .col(string_null(Establishment::Representative))
                    .col(string_null(Establishment::Phone))
                    .col(string_null(Establishment::Email))
                    .col(double_null(Establishment::Latitude))
                    .col(double_null(Establishment::Longitude))
                    .col(boolean(Establishment::WomenOwned))
                    .col(boolean(Establishment::EthnicMinorityOwned))
                    .col(string(Establishment::Status))
                    .col(text_null(Establishment::StatusReason))
                    .col(text(Establishment::SearchText))
                    .col(integer(Establishment::Version))
                    .col(timestamp_with_time_zone(Establishment::CreatedAt))
                    .col(timestamp_with_time_zone(Establishment::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Establishment::Table, Establishment::CommuneCode)
                            .to(Commune::Table, Commune::Code),
                    )
                    .to_owned(),
            )
            .await?;
        for (suffix, cols) in [
            ("province", &["province_code", "id"][..]),
            ("commune", &["commune_code", "id"][..]),
            ("updated", &["updated_at", "id"][..]),
            (
                "province_updated",
                &["province_code", "updated_at", "id"][..],
            ),
            ("kind", &["kind", "id"][..]),
            ("sector", &["sector", "id"][..]),
            ("status", &["status", "id"][..]),
        ] {
            manager
                .create_index(index(Establishment::Table, suffix, cols))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Product::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Product::Id))
                    .col(big_integer(Product::EstablishmentId))
                    // Copied from the establishment (and moved with it) so area filters use an index.
                    .col(string_len(Product::CommuneCode, 5))
                    .col(string_len(Product::ProvinceCode, 2))
                    .col(string(Product::Name))
                    .col(text_null(Product::Description))
                    .col(string_null(Product::Brand))
                    .col(string_null(Product::SelectionGroup))
                    .col(string_null(Product::OcopGroup))
                    .col(text(Product::SearchText))
                    .col(integer(Product::Version))
                    .col(timestamp_with_time_zone(Product::CreatedAt))
                    .col(timestamp_with_time_zone(Product::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Product::Table, Product::EstablishmentId)
                            .to(Establishment::Table, Establishment::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (suffix, cols) in [
            ("establishment", &["establishment_id", "id"][..]),
            ("province", &["province_code", "id"][..]),
            ("commune", &["commune_code", "id"][..]),
            ("updated", &["updated_at", "id"][..]),
        ] {
            manager
                .create_index(index(Product::Table, suffix, cols))
                .await?;
        }

        // Substring search over a million rows wants trigram indexes on PostgreSQL; SQLite
        // (one office) scans, which is fine at its size.
        if manager.get_database_backend() == DbBackend::Postgres {
            let db = manager.get_connection();
            db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                .await?;
            db.execute_unprepared(
                "CREATE INDEX IF NOT EXISTS idx_establishment_search_trgm \
                 ON establishment USING gin (search_text gin_trgm_ops)",
            )
            .await?;
            db.execute_unprepared(
                "CREATE INDEX IF NOT EXISTS idx_product_search_trgm \
                 ON product USING gin (search_text gin_trgm_ops)",
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Product::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Establishment::Table).to_owned())
            .await
    }
}
