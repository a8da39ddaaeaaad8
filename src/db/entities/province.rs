//! A province or centrally-run city (tỉnh, thành phố trực thuộc trung ương).

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::enums::{ProvinceKind, Region};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "province")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub name: String,
    pub kind: ProvinceKind,
    pub codename: String,
    pub region: Region,
    pub search_name: String,
}

impl ActiveModelBehavior for ActiveModel {}
