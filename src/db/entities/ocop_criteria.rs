//! A version of the OCOP criteria, bands and validity, with its legal basis.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "ocop_criteria")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub version: String,
    pub legal_basis: String,
    pub effective_from: Date,
    pub max_part_a: i32,
    pub max_part_b: i32,
    pub max_part_c: i32,
    pub min_members: i32,
    pub star2_from: i32,
    pub star3_from: i32,
    pub star4_from: i32,
    pub star5_from: i32,
    pub validity_months: i32,
}

impl ActiveModelBehavior for ActiveModel {}
