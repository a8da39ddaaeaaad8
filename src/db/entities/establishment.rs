//! A rural industrial establishment (cơ sở công nghiệp nông thôn).

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::enums::{EstablishmentKind, EstablishmentStatus, Sector};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "establishment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub kind: EstablishmentKind,
    #[sea_orm(unique)]
    pub tax_code: Option<String>,
    pub commune_code: String,
    pub province_code: String,
    pub address: Option<String>,
    pub in_craft_village: bool,
    pub sector: Sector,
    pub main_products: Option<String>,
    pub employee_count: Option<i32>,
    pub founded_year: Option<i32>,
    pub representative: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub women_owned: bool,
    pub ethnic_minority_owned: bool,
    pub status: EstablishmentStatus,
    pub status_reason: Option<String>,
    #[serde(skip)]
    pub search_text: String,
    pub version: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
