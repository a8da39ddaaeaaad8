//! One judge's scores of one nomination.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "scorecard")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub nomination_id: i64,
    pub judge_id: i64,
    pub market: i32,
    pub economic: i32,
    pub culture: i32,
    pub other: i32,
    pub total: i32,
    pub submitted_at: ChronoDateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
