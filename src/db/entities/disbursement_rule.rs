//! How much of an allocation may be advanced before acceptance, with its legal basis.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "disbursement_rule")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub legal_basis: String,
    pub effective_from: Date,
    pub advance_percent: i32,
}

impl ActiveModelBehavior for ActiveModel {}
