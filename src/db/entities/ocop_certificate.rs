//! An OCOP star certificate.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "ocop_certificate")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub product_id: i64,
    pub evaluation_id: Option<i64>,
    pub province_code: String,
    pub commune_code: String,
    pub stars: i32,
    pub decision_number: String,
    pub issuing_level: String,
    pub issued_on: Date,
    pub valid_until: Date,
    pub superseded: bool,
    pub revoked_at: Option<ChronoDateTimeUtc>,
    pub revoked_reason: Option<String>,
    pub revoke_decision_number: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
