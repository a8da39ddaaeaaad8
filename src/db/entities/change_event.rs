//! One committed change of one record: the change feed (see `domain::change`).

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "change_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    /// The writing transaction (PostgreSQL fills it in; 0 on SQLite).
    pub xid: i64,
    pub entity_type: String,
    pub entity_id: i64,
    pub operation: String,
    pub version: Option<i32>,
    pub action: String,
    pub status_changed: bool,
    pub at: ChronoDateTimeUtc,
    pub actor_id: Option<i64>,
    pub province_code: Option<String>,
    pub commune_code: Option<String>,
    /// Where the record was before, when the change moved it (else null).
    pub previous_province_code: Option<String>,
    pub previous_commune_code: Option<String>,
    /// The commune that stopped seeing the record with this change although the record did
    /// not move (a project whose last beneficiary in that commune left it), else null.
    pub left_commune_code: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
