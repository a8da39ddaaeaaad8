//! A person or service account that signs in.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::enums::Role;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "app_user")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub username: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: Role,
    pub province_code: Option<String>,
    pub commune_code: Option<String>,
    pub is_admin: bool,
    pub read_only: bool,
    pub active: bool,
    #[serde(skip)]
    pub search_text: String,
    pub version: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
    /// Access tokens issued under an older epoch are refused.
    #[serde(skip)]
    pub token_epoch: i64,
}

impl ActiveModelBehavior for ActiveModel {}
