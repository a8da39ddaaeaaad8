//! A support cap of a regulation, as versioned data.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::enums::{CapUnit, ProgramLevel, ProjectCategory};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "support_cap_rule")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub legal_basis: String,
    pub effective_from: Date,
    pub program_level: ProgramLevel,
    pub category: ProjectCategory,
    pub province_code: Option<String>,
    pub max_percent: i32,
    pub max_amount_vnd: i64,
    pub per_unit: CapUnit,
}

impl ActiveModelBehavior for ActiveModel {}
