//! Industrial-promotion projects (đề án khuyến công): proposal, beneficiaries under the
//! decree's eligibility and the support caps, allocations and disbursements that keep every
//! budget rule atomically, and the project lifecycle with its history.
//!
//! Split by concern: [`lifecycle`], [`beneficiaries`], [`money`] and [`read`]; this file
//! holds the types and the checks they share.

mod beneficiaries;
mod lifecycle;
mod money;
mod read;

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseTransaction, EntityTrait, ExprTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, sea_query::Expr,
};

use crate::kind::{EntityKind, EstablishmentId};
use crate::{
    auth::actor::Actor,
    db::entities::{
        allocation, disbursement, disbursement_rule, establishment, funding_source, project,
        project_beneficiary, project_event, support_cap_rule,
    },
    domain::{
        Ctx, audit, change,
        funding::{self, check_vnd, check_year},
        now,
        page::search_condition,
        page::{self, Keyed, Page, PageArgs},
        rules, scope, validate, write,
    },
    enums::{
        CapUnit, CommuneKind, EstablishmentKind, EstablishmentStatus, ProgramLevel, ProjectAction,
        ProjectCategory, ProjectKind, ProjectStatus, ProvinceKind, Role,
    },
    error::{AppError, Code, Msg, Result},
    text,
};

pub use beneficiaries::{add_beneficiary, remove_beneficiary};
pub use lifecycle::{create, transition, update};
pub use money::{advance_rule, allocate, disburse, release};
pub use read::{
    allocations_of, beneficiaries_of, disbursements_of, get, get_allocation, get_many, history_of,
    list, projects_of_establishments,
};

/// Entity type name in the audit trail and global ids.
pub const ENTITY: EntityKind = EntityKind::Project;
/// Entity type name of allocations.
pub const ALLOCATION: EntityKind = EntityKind::Allocation;
/// Entity type name of disbursements.
pub const DISBURSEMENT: EntityKind = EntityKind::Disbursement;
const CREATE_OP: &str = "createProject";
const ALLOCATE_OP: &str = "allocateFunding";
const DISBURSE_OP: &str = "recordDisbursement";

impl Keyed for project::Model {
    fn key_id(&self) -> i64 {
        self.id
    }
    fn key_updated(&self) -> chrono::DateTime<chrono::Utc> {
        self.updated_at
    }
}

/// Who may take a lifecycle action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    /// The area that proposed it: a user of its commune, or of its province.
    Proposer,
    /// Province users of the project's province.
    Province,
    /// The level that approves: the province for LOCAL, national users for NATIONAL.
    Approver,
    /// The proposer's area or any level above.
    ProposerOrAbove,
}

/// A new project.
#[derive(Clone, Debug)]
pub struct NewProject {
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Programme.
    pub program_level: ProgramLevel,
    /// Kind.
    pub kind: ProjectKind,
    /// Activity content.
    pub category: ProjectCategory,
    /// Province.
    pub province_code: String,
    /// Commune, if the project is a commune's.
    pub commune_code: Option<String>,
    /// Implementing unit.
    pub implementing_unit: Option<String>,
    /// Fiscal year.
    pub fiscal_year: i32,
    /// Planned start.
    pub planned_start: Option<NaiveDate>,
    /// Planned end.
    pub planned_end: Option<NaiveDate>,
    /// Support not tied to a beneficiary.
    pub general_support_vnd: Option<i64>,
}

/// An update of a project.
#[derive(Clone, Debug, Default)]
pub struct ProjectPatch {
    /// Title.
    pub title: Option<String>,
    /// Description.
    pub description: validate::Patch<String>,
    /// Kind.
    pub kind: Option<ProjectKind>,
    /// Activity content.
    pub category: Option<ProjectCategory>,
    /// Commune.
    pub commune_code: validate::Patch<String>,
    /// Implementing unit.
    pub implementing_unit: validate::Patch<String>,
    /// Planned start.
    pub planned_start: validate::Patch<NaiveDate>,
    /// Planned end.
    pub planned_end: validate::Patch<NaiveDate>,
    /// Support not tied to a beneficiary.
    pub general_support_vnd: Option<i64>,
}

/// Outcomes recorded on acceptance.
#[derive(Clone, Debug, Default)]
pub struct Outcomes {
    /// Jobs created.
    pub jobs_created: Option<i32>,
    /// People trained.
    pub trainees: Option<i32>,
    /// Average monthly income of workers, đồng.
    pub average_monthly_income_vnd: Option<i64>,
    /// Free text.
    pub notes: Option<String>,
}

/// List filters.
#[derive(Clone, Debug, Default)]
pub struct ProjectFilter {
    /// Province.
    pub province_code: Option<String>,
    /// Commune.
    pub commune_code: Option<String>,
    /// Programme.
    pub program_level: Option<ProgramLevel>,
    /// Kind.
    pub kind: Option<ProjectKind>,
    /// Activity content.
    pub category: Option<ProjectCategory>,
    /// Status.
    pub status: Option<ProjectStatus>,
    /// Fiscal year.
    pub fiscal_year: Option<i32>,
    /// With this establishment among the beneficiaries.
    pub establishment_id: Option<EstablishmentId>,
    /// Text in the code, title or description.
    pub search: Option<String>,
    /// Changed at or after.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

fn not_found() -> AppError {
    AppError::not_found("project", "đề án")
}

fn subject(m: &project::Model) -> audit::Subject<'_> {
    audit::Subject {
        entity_type: ENTITY,
        entity_id: m.id,
        province_code: Some(&m.province_code),
        commune_code: m.commune_code.as_deref(),
    }
}

/// Whether the actor may change a project: its province, or the commune that proposed it
/// (a commune sees more projects than it may change: see [`scope::ProjectArea`]).
fn covers(actor: &Actor, m: &project::Model) -> bool {
    scope::covers(actor, &m.province_code, m.commune_code.as_deref())
}

fn may(actor: &Actor, who: Who, m: &project::Model) -> bool {
    let in_province = actor.role == Role::Province
        && actor.province_code.as_deref() == Some(m.province_code.as_str());
    let in_commune = actor.role == Role::Commune
        && m.commune_code.is_some()
        && actor.commune_code == m.commune_code;
    match who {
        Who::Proposer => in_commune || in_province,
        Who::Province => in_province,
        Who::Approver => match m.program_level {
            ProgramLevel::Local => in_province,
            ProgramLevel::National => actor.role == Role::National,
        },
        Who::ProposerOrAbove => in_commune || in_province || actor.role == Role::National,
    }
}

fn ensure_editable(m: &project::Model, beneficiaries_of_group: bool) -> Result<()> {
    let s = m.status;
    let group_open =
        beneficiaries_of_group && m.kind == ProjectKind::Group && s == ProjectStatus::Approved;
    if rules::money_may_change(s) || group_open {
        return Ok(());
    }
    Err(AppError::invalid_transition(Msg::new(
        format!("The project is {s}: its money and beneficiaries can no longer change."),
        format!("Đề án đang ở trạng thái {s}: không thể thay đổi kinh phí và đối tượng thụ hưởng."),
    )))
}

/// Loads a project for a write: inside the area (else `NOT_FOUND`), writable account.
async fn load_for_write(
    txn: &DatabaseTransaction,
    actor: &Actor,
    id: i64,
) -> Result<project::Model> {
    scope::ensure_writer(actor)?;
    let m = project::Entity::find_by_id(id)
        .filter(read::area_condition(actor, txn.get_database_backend()))
        .one(txn)
        .await?
        .ok_or_else(not_found)?;
    if !covers(actor, &m) {
        // Seen (one of its beneficiaries is in the commune) but proposed by someone else.
        return Err(AppError::forbidden(Msg::new(
            format!(
                "Project {} was not proposed by your commune: you may read it, not change it.",
                m.code
            ),
            format!(
                "Đề án {} không do xã của bạn đề xuất: bạn chỉ được xem, không được thay đổi.",
                m.code
            ),
        )));
    }
    Ok(m)
}

fn check_version(m: &project::Model, expected: i32) -> Result<()> {
    if m.version != expected {
        return Err(AppError::stale_version(m.version));
    }
    Ok(())
}

fn check_dates(start: Option<NaiveDate>, end: Option<NaiveDate>) -> Result<()> {
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        return Err(AppError::bad_input(
            "plannedEnd",
            Msg::new(
                "The planned end is before the planned start.",
                "Ngày kết thúc dự kiến trước ngày bắt đầu.",
            ),
        ));
    }
    Ok(())
}

fn search_text(m: &project::ActiveModel) -> String {
    let get = |v: &sea_orm::ActiveValue<String>| match v {
        Set(s) | sea_orm::ActiveValue::Unchanged(s) => Some(s.clone()),
        _ => None,
    };
    let code = get(&m.code);
    let title = get(&m.title);
    let desc = match &m.description {
        Set(d) | sea_orm::ActiveValue::Unchanged(d) => d.clone(),
        _ => None,
    };
    let unit = match &m.implementing_unit {
        Set(d) | sea_orm::ActiveValue::Unchanged(d) => d.clone(),
        _ => None,
    };
    text::search_text(&[
        code.as_deref(),
        title.as_deref(),
        desc.as_deref(),
        unit.as_deref(),
    ])
}

async fn next_code(
    db: &impl ConnectionTrait,
    level: ProgramLevel,
    province: &str,
    year: i32,
) -> Result<String> {
    // KCQG (quốc gia) or KCDP (địa phương), province, year, sequence: KCDP-66-2025-0007.
    let prefix = format!(
        "{}-{province}-{year}-",
        match level {
            ProgramLevel::National => "KCQG",
            ProgramLevel::Local => "KCDP",
        }
    );
    let n = project::Entity::find()
        .filter(project::Column::Code.starts_with(prefix.clone()))
        .count(db)
        .await?;
    Ok(format!("{prefix}{:04}", n + 1))
}

#[cfg(test)]
mod tests {
    use super::{beneficiaries::check_cap, lifecycle::TRANSITIONS, *};

    fn rule(pct: i32, max: i64) -> support_cap_rule::Model {
        support_cap_rule::Model {
            id: 1,
            legal_basis: "test".into(),
            effective_from: NaiveDate::from_ymd_opt(2025, 1, 1).expect("date"),
            program_level: ProgramLevel::National,
            category: ProjectCategory::AdvancedMachinery,
            province_code: None,
            max_percent: pct,
            max_amount_vnd: max,
            per_unit: CapUnit::Establishment,
        }
    }

    #[test]
    fn caps_bound_the_share_and_the_amount() {
        let r = rule(50, 300_000_000);
        assert!(check_cap(&r, 300_000_000, 300_000_000).is_ok());
        assert!(
            check_cap(&r, 300_000_001, 400_000_000).is_err(),
            "over the amount"
        );
        assert!(
            check_cap(&r, 200_000_000, 199_999_999).is_err(),
            "over 50 %"
        );
        assert!(
            check_cap(&r, 200_000_000, 200_000_000).is_ok(),
            "exactly 50 %"
        );
    }

    #[test]
    fn every_action_has_one_transition() {
        for a in ProjectAction::ALL {
            assert_eq!(TRANSITIONS.iter().filter(|t| t.0 == *a).count(), 1, "{a}");
        }
    }

    /// SPEC §4's lifecycle table, written out independently of `TRANSITIONS`.
    const SPEC_TABLE: &str = "
        SUBMIT   DRAFT                 SUBMITTED    proposer
        RETURN   SUBMITTED             DRAFT        province
        APPRAISE SUBMITTED             APPRAISED    province
        APPROVE  APPRAISED             APPROVED     approver
        REJECT   SUBMITTED,APPRAISED   REJECTED     approver
        START    APPROVED              IN_PROGRESS  province
        ACCEPT   IN_PROGRESS           ACCEPTED     approver
        SETTLE   ACCEPTED              SETTLED      approver
        STOP     APPROVED,IN_PROGRESS  STOPPED      approver
        CANCEL   DRAFT,SUBMITTED       CANCELLED    proposer-or-above";

    fn project_of(level: ProgramLevel) -> project::Model {
        let t = chrono::Utc::now();
        project::Model {
            id: 1,
            code: "KCDP-66-2025-0001".into(),
            title: "t".into(),
            description: None,
            program_level: level,
            kind: ProjectKind::Individual,
            category: ProjectCategory::AdvancedMachinery,
            province_code: "66".into(),
            commune_code: Some("24121".into()),
            implementing_unit: None,
            fiscal_year: 2025,
            planned_start: None,
            planned_end: None,
            status: ProjectStatus::Draft,
            general_support_vnd: 0,
            beneficiary_support_vnd: 0,
            support_vnd: 0,
            counterpart_vnd: 0,
            allocated_vnd: 0,
            disbursed_vnd: 0,
            jobs_created: None,
            trainees: None,
            average_monthly_income_vnd: None,
            outcome_notes: None,
            created_by: None,
            search_text: String::new(),
            version: 1,
            created_at: t,
            updated_at: t,
        }
    }

    fn actor(role: Role, province: Option<&str>, commune: Option<&str>) -> Actor {
        Actor {
            user_id: 1,
            role,
            province_code: province.map(Into::into),
            commune_code: commune.map(Into::into),
            is_admin: false,
            read_only: false,
        }
    }

    #[test]
    fn every_action_from_every_state_follows_the_spec_table() {
        let rows: Vec<Vec<&str>> = SPEC_TABLE
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .filter(|r| !r.is_empty())
            .collect();
        assert_eq!(rows.len(), ProjectAction::ALL.len());
        for a in ProjectAction::ALL {
            let row = rows
                .iter()
                .find(|r| r[0] == a.as_str())
                .unwrap_or_else(|| panic!("{a} in the table"));
            let (_, from, to, _) = TRANSITIONS
                .iter()
                .find(|t| t.0 == *a)
                .expect("a transition");
            for s in ProjectStatus::ALL {
                let spec_allows = row[1].split(',').any(|f| f == s.as_str());
                assert_eq!(from.contains(s), spec_allows, "{a} from {s}");
            }
            assert_eq!(to.as_str(), row[2], "{a} leads to");
        }
    }

    #[test]
    fn who_may_take_each_action_by_role_area_and_level() {
        let rows: Vec<Vec<&str>> = SPEC_TABLE
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .filter(|r| !r.is_empty())
            .collect();
        let callers = [
            (
                "commune of the project",
                actor(Role::Commune, Some("66"), Some("24121")),
            ),
            (
                "another commune",
                actor(Role::Commune, Some("66"), Some("24125")),
            ),
            (
                "province of the project",
                actor(Role::Province, Some("66"), None),
            ),
            ("another province", actor(Role::Province, Some("01"), None)),
            ("national", actor(Role::National, None, None)),
        ];
        for level in ProgramLevel::ALL {
            let m = project_of(*level);
            for (a, _, _, who) in TRANSITIONS {
                let spec_who = rows.iter().find(|r| r[0] == a.as_str()).expect("row")[3];
                for (name, caller) in &callers {
                    let expected = match (spec_who, *name) {
                        ("proposer", n) => n.ends_with("of the project"),
                        ("province", n) => n == "province of the project",
                        ("approver", n) => match level {
                            ProgramLevel::Local => n == "province of the project",
                            ProgramLevel::National => n == "national",
                        },
                        ("proposer-or-above", n) => {
                            n.ends_with("of the project") || n == "national"
                        }
                        (other, _) => panic!("unknown who {other}"),
                    };
                    assert_eq!(
                        may(caller, *who, &m),
                        expected,
                        "{a} of a {level} project by the {name}"
                    );
                }
            }
        }
    }
}
