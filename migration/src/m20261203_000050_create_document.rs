//! Evidence documents: the files attached to establishments, projects and OCOP evaluations.
//! The bytes are stored once per SHA-256 (`document_blob`), however many records refer to
//! them; `document` rows are the attachments.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DocumentBlob {
    Table,
    Sha256,
    SizeBytes,
    ContentType,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Document {
    Table,
    Id,
    OwnerType,
    OwnerId,
    Kind,
    FileName,
    ContentType,
    SizeBytes,
    Sha256,
    UploadedAt,
    UploadedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DocumentBlob::Table)
                    .if_not_exists()
                    // Lower-case hex of the content's SHA-256: the object's name in the store.
                    .col(string_len(DocumentBlob::Sha256, 64).primary_key())
                    .col(big_integer(DocumentBlob::SizeBytes))
                    .col(string(DocumentBlob::ContentType))
                    .col(timestamp_with_time_zone(DocumentBlob::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Document::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Document::Id))
                    // `Establishment`, `Project` or `OcopEvaluation`.
                    .col(string(Document::OwnerType))
                    .col(big_integer(Document::OwnerId))
                    .col(string(Document::Kind))
                    .col(string(Document::FileName))
                    .col(string(Document::ContentType))
                    .col(big_integer(Document::SizeBytes))
                    .col(string_len(Document::Sha256, 64))
                    .col(timestamp_with_time_zone(Document::UploadedAt))
                    .col(big_integer_null(Document::UploadedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_document_blob")
                            .from(Document::Table, Document::Sha256)
                            .to(DocumentBlob::Table, DocumentBlob::Sha256),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                Document::Table,
                "owner",
                &["owner_type", "owner_id", "id"],
            ))
            .await?;
        manager
            .create_index(index(Document::Table, "sha256", &["sha256"]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Document::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(DocumentBlob::Table).to_owned())
            .await
    }
}
