//! A version of the selection's criteria and thresholds, with its legal basis.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "selection_criteria")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub legal_basis: String,
    pub effective_from: Date,
    pub max_market: i32,
    pub max_economic: i32,
    pub max_culture: i32,
    pub max_other: i32,
    pub threshold: i32,
    pub min_scorecards: i32,
    pub validity_years: i32,
}

impl ActiveModelBehavior for ActiveModel {}
