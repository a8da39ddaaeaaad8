//! A file attached to an establishment, a project or an OCOP evaluation.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "document")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub owner_type: String,
    pub owner_id: i64,
    pub kind: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_at: ChronoDateTimeUtc,
    pub uploaded_by: Option<i64>,
}

impl ActiveModelBehavior for ActiveModel {}
