//! A commune, ward or special zone (xã, phường, đặc khu).

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::enums::CommuneKind;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "commune")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub name: String,
    pub kind: CommuneKind,
    pub province_code: String,
    pub codename: String,
    pub search_name: String,
}

impl ActiveModelBehavior for ActiveModel {}
