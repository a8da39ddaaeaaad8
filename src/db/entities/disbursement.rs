//! A payment made against an allocation.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "disbursement")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub allocation_id: i64,
    pub amount_vnd: i64,
    pub date: Date,
    pub note: Option<String>,
    pub created_at: ChronoDateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
