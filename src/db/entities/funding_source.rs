//! A budget line for one fiscal year (nguồn kinh phí khuyến công).

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::enums::FundingLevel;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "funding_source")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub level: FundingLevel,
    pub province_code: Option<String>,
    pub fiscal_year: i32,
    pub amount_vnd: i64,
    pub allocated_vnd: i64,
    pub disbursed_vnd: i64,
    pub legal_basis: Option<String>,
    pub version: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
