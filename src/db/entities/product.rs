//! A product of an establishment, nominated in selections and rated in OCOP.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::enums::{OcopProductGroup, SelectionProductGroup};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "product")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub establishment_id: i64,
    pub commune_code: String,
    pub province_code: String,
    pub name: String,
    pub description: Option<String>,
    pub brand: Option<String>,
    pub selection_group: Option<SelectionProductGroup>,
    pub ocop_group: Option<OcopProductGroup>,
    #[serde(skip)]
    pub search_text: String,
    pub version: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
