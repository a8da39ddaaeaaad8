//! An OCOP application and its evaluation.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "ocop_evaluation")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub product_id: i64,
    pub establishment_id: i64,
    pub province_code: String,
    pub commune_code: String,
    pub year: i32,
    pub kind: String,
    pub status: String,
    pub criteria_id: i64,
    pub screening_note: Option<String>,
    pub stars: Option<i32>,
    pub certificate_id: Option<i64>,
    pub created_by: Option<i64>,
    pub version: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
