//! Prize money per OCOP star level, with its legal basis.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "ocop_prize")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub stars: i32,
    pub amount_vnd: i64,
    pub legal_basis: String,
    pub effective_from: Date,
}

impl ActiveModelBehavior for ActiveModel {}
