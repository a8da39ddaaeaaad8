//! The audit trail and the idempotency keys of create mutations.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvent {
    Table,
    Id,
    At,
    ActorId,
    ActorRole,
    Action,
    EntityType,
    EntityId,
    ProvinceCode,
    CommuneCode,
    Changes,
    RequestId,
}

#[derive(DeriveIden)]
enum IdempotencyKey {
    Table,
    UserId,
    Key,
    Operation,
    EntityId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditEvent::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AuditEvent::Id))
                    .col(timestamp_with_time_zone(AuditEvent::At))
                    .col(big_integer_null(AuditEvent::ActorId))
                    .col(string_null(AuditEvent::ActorRole))
                    .col(string(AuditEvent::Action))
                    .col(string(AuditEvent::EntityType))
                    .col(big_integer(AuditEvent::EntityId))
                    // The area of the entity, so the trail can be scoped like the records.
                    .col(string_len_null(AuditEvent::ProvinceCode, 2))
                    .col(string_len_null(AuditEvent::CommuneCode, 5))
                    .col(text(AuditEvent::Changes))
                    .col(string_null(AuditEvent::RequestId))
                    .to_owned(),
            )
            .await?;
        for (suffix, cols) in [
            ("entity", &["entity_type", "entity_id", "id"][..]),
            ("actor", &["actor_id", "id"][..]),
            ("at", &["at", "id"][..]),
            ("province", &["province_code", "id"][..]),
            ("commune", &["commune_code", "id"][..]),
        ] {
            manager
                .create_index(index(AuditEvent::Table, suffix, cols))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKey::Table)
                    .if_not_exists()
                    .col(big_integer(IdempotencyKey::UserId))
                    .col(string_len(IdempotencyKey::Key, 128))
                    .col(string(IdempotencyKey::Operation))
                    .col(big_integer(IdempotencyKey::EntityId))
                    .col(timestamp_with_time_zone(IdempotencyKey::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(IdempotencyKey::UserId)
                            .col(IdempotencyKey::Key),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(IdempotencyKey::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AuditEvent::Table).to_owned())
            .await
    }
}
