//! A product nominated in a round, its score and result.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::enums::{NominationResult, SelectionProductGroup};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "nomination")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub round_id: i64,
    pub product_id: i64,
    pub establishment_id: i64,
    pub province_code: String,
    pub commune_code: String,
    pub group: SelectionProductGroup,
    pub score_sum: i64,
    pub score_count: i32,
    pub result: NominationResult,
    pub certificate_number: Option<String>,
    pub recognized_on: Option<Date>,
    pub valid_until: Option<Date>,
    pub created_by: Option<i64>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
