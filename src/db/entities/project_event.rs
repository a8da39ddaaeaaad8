//! One status transition of a project.

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::enums::{ProjectAction, ProjectStatus};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "project_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub project_id: i64,
    pub action: ProjectAction,
    pub from_status: ProjectStatus,
    pub to_status: ProjectStatus,
    pub actor_id: Option<i64>,
    pub comment: Option<String>,
    pub at: ChronoDateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
