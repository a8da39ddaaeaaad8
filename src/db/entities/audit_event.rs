//! One data-changing mutation: who, when, what, before and after.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::enums::Role;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "audit_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: ChronoDateTimeUtc,
    pub actor_id: Option<i64>,
    pub actor_role: Option<Role>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: i64,
    pub province_code: Option<String>,
    pub commune_code: Option<String>,
    pub changes: String,
    pub request_id: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
