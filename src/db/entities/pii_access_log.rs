//! One request's reads of personal data: who, when, which records and fields.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "pii_access_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: ChronoDateTimeUtc,
    pub user_id: i64,
    pub request_id: Option<String>,
    pub entity_type: String,
    pub record_ids: String,
    pub fields: String,
}

impl ActiveModelBehavior for ActiveModel {}
