//! One council member's scores of an evaluation, in hundredths of a point.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "ocop_score")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub evaluation_id: i64,
    pub member_id: i64,
    pub stage: String,
    pub part_a_centi: i32,
    pub part_b_centi: i32,
    pub part_c_centi: i32,
    pub total_centi: i32,
    pub mandatory_failed: String,
    pub submitted_at: ChronoDateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
