//! A selection round (đợt bình chọn sản phẩm công nghiệp nông thôn tiêu biểu).

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::enums::{Region, SelectionLevel, SelectionRoundStatus};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "selection_round")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub level: SelectionLevel,
    pub year: i32,
    pub province_code: Option<String>,
    pub commune_code: Option<String>,
    pub region: Option<Region>,
    pub status: SelectionRoundStatus,
    pub criteria_id: i64,
    pub created_by: Option<i64>,
    pub version: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
