//! An industrial-promotion project (đề án khuyến công).

use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::enums::{ProgramLevel, ProjectCategory, ProjectKind, ProjectStatus};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "project")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub code: String,
    pub title: String,
    pub description: Option<String>,
    pub program_level: ProgramLevel,
    pub kind: ProjectKind,
    pub category: ProjectCategory,
    pub province_code: String,
    pub commune_code: Option<String>,
    pub implementing_unit: Option<String>,
    pub fiscal_year: i32,
    pub planned_start: Option<Date>,
    pub planned_end: Option<Date>,
    pub status: ProjectStatus,
    pub general_support_vnd: i64,
    pub beneficiary_support_vnd: i64,
    pub support_vnd: i64,
    pub counterpart_vnd: i64,
    pub allocated_vnd: i64,
    pub disbursed_vnd: i64,
    pub jobs_created: Option<i32>,
    pub trainees: Option<i32>,
    pub average_monthly_income_vnd: Option<i64>,
    pub outcome_notes: Option<String>,
    pub created_by: Option<i64>,
    #[serde(skip)]
    pub search_text: String,
    pub version: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
