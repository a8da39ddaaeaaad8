//! Industrial-promotion projects (đề án khuyến công): proposal, beneficiaries under the
//! decree's eligibility and the support caps, allocations and disbursements that keep every
//! budget rule atomically, and the project lifecycle with its history.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseTransaction, EntityTrait, ExprTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, sea_query::Expr,
};

use crate::{
    auth::actor::Actor,
    db::entities::{
        allocation, disbursement, disbursement_rule, establishment, funding_source, project,
        project_beneficiary, project_event, support_cap_rule,
    },
    domain::{
        Ctx, audit, begin_write, change,
        establishment::search_condition,
        funding::{self, check_vnd, check_year},
        idempotency, now,
        page::{self, Keyed, Page, PageArgs},
        scope, validate,
    },
    enums::{
        CommuneKind, EstablishmentKind, EstablishmentStatus, FundingLevel, ProgramLevel,
        ProjectAction, ProjectCategory, ProjectKind, ProjectStatus, ProvinceKind, Role,
    },
    error::{AppError, Code, Msg, Result},
    text,
};

/// Entity type name in the audit trail and global ids.
pub const ENTITY: &str = "Project";
/// Entity type name of allocations.
pub const ALLOCATION: &str = "Allocation";
/// Entity type name of disbursements.
pub const DISBURSEMENT: &str = "Disbursement";
const CREATE_OP: &str = "createProject";
const ALLOCATE_OP: &str = "allocateFunding";
const DISBURSE_OP: &str = "recordDisbursement";

/// The advance rule in force: the share of an allocation that may be disbursed before
/// acceptance, with its legal basis (data in `data/rules/disbursement.csv`).
pub async fn advance_rule(db: &impl ConnectionTrait) -> Result<disbursement_rule::Model> {
    use disbursement_rule::Column as C;
    disbursement_rule::Entity::find()
        .filter(C::EffectiveFrom.lte(chrono::Utc::now().date_naive()))
        .order_by_desc(C::EffectiveFrom)
        .order_by_desc(C::Id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("no disbursement rule in force"))
}

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

/// The project lifecycle (Decree 45/2012/NĐ-CP as amended by 235/2025/NĐ-CP): action,
/// states it may start from, the state it leads to, and who may take it.
const TRANSITIONS: &[(ProjectAction, &[ProjectStatus], ProjectStatus, Who)] = {
    use ProjectAction as A;
    use ProjectStatus as S;
    &[
        (A::Submit, &[S::Draft], S::Submitted, Who::Proposer),
        (A::Return, &[S::Submitted], S::Draft, Who::Province),
        (A::Appraise, &[S::Submitted], S::Appraised, Who::Province),
        (A::Approve, &[S::Appraised], S::Approved, Who::Approver),
        (
            A::Reject,
            &[S::Submitted, S::Appraised],
            S::Rejected,
            Who::Approver,
        ),
        (A::Start, &[S::Approved], S::InProgress, Who::Province),
        (A::Accept, &[S::InProgress], S::Accepted, Who::Approver),
        (A::Settle, &[S::Accepted], S::Settled, Who::Approver),
        (
            A::Stop,
            &[S::Approved, S::InProgress],
            S::Stopped,
            Who::Approver,
        ),
        (
            A::Cancel,
            &[S::Draft, S::Submitted],
            S::Cancelled,
            Who::ProposerOrAbove,
        ),
    ]
};

/// States in which money and beneficiaries may change.
const EDITABLE: &[ProjectStatus] = &[
    ProjectStatus::Draft,
    ProjectStatus::Submitted,
    ProjectStatus::Appraised,
];

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
    pub establishment_id: Option<i64>,
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

fn may(actor: &Actor, who: Who, m: &project::Model, level: ProgramLevel) -> bool {
    let in_province = actor.role == Role::Province
        && actor.province_code.as_deref() == Some(m.province_code.as_str());
    let in_commune = actor.role == Role::Commune
        && m.commune_code.is_some()
        && actor.commune_code == m.commune_code;
    match who {
        Who::Proposer => in_commune || in_province,
        Who::Province => in_province,
        Who::Approver => match level {
            ProgramLevel::Local => in_province,
            ProgramLevel::National => actor.role == Role::National,
        },
        Who::ProposerOrAbove => in_commune || in_province || actor.role == Role::National,
    }
}

fn status_of(m: &project::Model) -> Result<ProjectStatus> {
    ProjectStatus::from_db(&m.status)
}

fn ensure_editable(m: &project::Model, beneficiaries_of_group: bool) -> Result<()> {
    let s = status_of(m)?;
    let group_open = beneficiaries_of_group
        && m.kind == ProjectKind::Group.as_str()
        && s == ProjectStatus::Approved;
    if EDITABLE.contains(&s) || group_open {
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
        .filter(area_condition(actor, txn.get_database_backend()))
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

/// Saves a project only at the expected version.
async fn save_versioned(
    txn: &DatabaseTransaction,
    mut am: project::ActiveModel,
    id: i64,
    expected: i32,
) -> Result<project::Model> {
    am.version = Set(expected + 1);
    am.updated_at = Set(now());
    let res = project::Entity::update_many()
        .set(am)
        .filter(project::Column::Id.eq(id))
        .filter(project::Column::Version.eq(expected))
        .exec(txn)
        .await?;
    let current = project::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(not_found)?;
    if res.rows_affected == 0 {
        return Err(AppError::stale_version(current.version));
    }
    Ok(current)
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

/// Creates a project in the caller's area (commune or province users).
pub async fn create(
    db: &impl super::Db,
    ctx: &Ctx,
    input: NewProject,
    idempotency_key: Option<String>,
) -> Result<project::Model> {
    let actor = ctx.actor()?;
    scope::ensure_writer(actor)?;
    if let Some(id) =
        idempotency::replay(db, actor.user_id, idempotency_key.as_deref(), CREATE_OP).await?
    {
        return project::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or_else(not_found);
    }
    if actor.role == Role::National {
        return Err(AppError::forbidden(Msg::new(
            "Projects are proposed by communes and provinces; national users approve them.",
            "Đề án do xã và tỉnh đề xuất; cấp trung ương phê duyệt.",
        )));
    }
    let title = validate::required_text("title", &input.title, 500)?;
    let description = validate::optional_text("description", input.description, 10_000)?;
    let unit = validate::optional_text("implementingUnit", input.implementing_unit, 300)?;
    let year = check_year("fiscalYear", input.fiscal_year)?;
    let general = check_vnd(
        "generalSupportVnd",
        input.general_support_vnd.unwrap_or(0),
        false,
    )?;
    check_dates(input.planned_start, input.planned_end)?;
    let province = ctx
        .reference
        .province(input.province_code.trim())
        .cloned()
        .ok_or_else(|| {
            AppError::bad_input(
                "provinceCode",
                Msg::new(
                    format!(
                        "There is no province with code \"{}\".",
                        input.province_code.trim()
                    ),
                    format!("Không có tỉnh mã \"{}\".", input.province_code.trim()),
                ),
            )
        })?;
    let commune = match input.commune_code.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(c) => {
            let c = ctx.reference.commune(c).cloned().ok_or_else(|| {
                AppError::bad_input(
                    "communeCode",
                    Msg::new(
                        format!("There is no commune with code \"{c}\"."),
                        format!("Không có xã/phường mã \"{c}\"."),
                    ),
                )
            })?;
            if c.province_code != province.code {
                return Err(AppError::bad_input(
                    "communeCode",
                    Msg::new(
                        format!("{} is not in {}.", c.name, province.name),
                        format!("{} không thuộc {}.", c.name, province.name),
                    ),
                ));
            }
            Some(c)
        }
    };
    // A commune proposes for itself; a province anywhere in the province.
    let commune = match (actor.role, commune) {
        (Role::Commune, None) => actor
            .commune_code
            .as_deref()
            .and_then(|c| ctx.reference.commune(c).cloned()),
        (_, c) => c,
    };
    // The commune (a commune user's own by default) must lie in the project's province.
    let commune_in_province = commune
        .as_ref()
        .is_none_or(|c| c.province_code == province.code);
    if !commune_in_province
        || !scope::covers(
            actor,
            &province.code,
            commune.as_ref().map(|c| c.code.as_str()),
        )
    {
        return Err(AppError::forbidden(Msg::new(
            format!("{} is outside your area.", province.name),
            format!("{} nằm ngoài địa bàn của bạn.", province.name),
        )));
    }
    let result = async {
        let txn = begin_write(db).await?;
        let t = now();
        let mut am = project::ActiveModel {
            code: Set(next_code(&txn, input.program_level, &province.code, year).await?),
            title: Set(title.clone()),
            description: Set(description.clone()),
            program_level: Set(input.program_level.as_str().to_owned()),
            kind: Set(input.kind.as_str().to_owned()),
            category: Set(input.category.as_str().to_owned()),
            province_code: Set(province.code.clone()),
            commune_code: Set(commune.as_ref().map(|c| c.code.clone())),
            implementing_unit: Set(unit.clone()),
            fiscal_year: Set(year),
            planned_start: Set(input.planned_start),
            planned_end: Set(input.planned_end),
            status: Set(ProjectStatus::Draft.as_str().to_owned()),
            general_support_vnd: Set(general),
            beneficiary_support_vnd: Set(0),
            support_vnd: Set(general),
            counterpart_vnd: Set(0),
            allocated_vnd: Set(0),
            disbursed_vnd: Set(0),
            jobs_created: Set(None),
            trainees: Set(None),
            average_monthly_income_vnd: Set(None),
            outcome_notes: Set(None),
            created_by: Set(Some(actor.user_id)),
            version: Set(1),
            created_at: Set(t),
            updated_at: Set(t),
            ..Default::default()
        };
        am.search_text = Set(search_text(&am));
        let model = am.insert(&txn).await?;
        if let Some(key) = &idempotency_key {
            idempotency::remember(&txn, actor.user_id, key, CREATE_OP, model.id).await?;
        }
        audit::record(
            &txn,
            ctx,
            "create",
            subject(&model),
            audit::diff(None, Some(&model)),
        )
        .await?;
        txn.commit().await?;
        Ok::<_, AppError>(model)
    }
    .await;
    idempotency::or_winner(
        db,
        actor.user_id,
        idempotency_key.as_deref(),
        CREATE_OP,
        result,
        |id| async move { Ok(project::Entity::find_by_id(id).one(db).await?) },
    )
    .await
}

/// Updates a project's description, dates, kind, category or general support.
pub async fn update(
    db: &impl super::Db,
    ctx: &Ctx,
    id: i64,
    expected_version: i32,
    patch: ProjectPatch,
) -> Result<project::Model> {
    let actor = ctx.actor()?;
    let txn = begin_write(db).await?;
    let before = load_for_write(&txn, actor, id).await?;
    check_version(&before, expected_version)?;
    ensure_editable(&before, false)?;
    let mut am = before.clone().into_active_model();
    if let Some(t) = patch.title {
        am.title = Set(validate::required_text("title", &t, 500)?);
    }
    am.description = Set(validate::optional_text(
        "description",
        patch.description.apply(before.description.clone()),
        10_000,
    )?);
    am.implementing_unit = Set(validate::optional_text(
        "implementingUnit",
        patch
            .implementing_unit
            .apply(before.implementing_unit.clone()),
        300,
    )?);
    if let Some(k) = patch.kind {
        am.kind = Set(k.as_str().to_owned());
    }
    if let Some(c) = patch.category {
        if c.as_str() != before.category
            && project_beneficiary::Entity::find()
                .filter(project_beneficiary::Column::ProjectId.eq(id))
                .count(&txn)
                .await?
                > 0
        {
            return Err(AppError::bad_input(
                "category",
                Msg::new(
                    "Remove the beneficiaries before changing the category: their support was checked against its caps.",
                    "Hãy gỡ các đối tượng thụ hưởng trước khi đổi nội dung: mức hỗ trợ đã được kiểm tra theo nội dung cũ.",
                ),
            ));
        }
        am.category = Set(c.as_str().to_owned());
    }
    let start = patch.planned_start.apply(before.planned_start);
    let end = patch.planned_end.apply(before.planned_end);
    check_dates(start, end)?;
    am.planned_start = Set(start);
    am.planned_end = Set(end);
    let commune = patch.commune_code.apply(before.commune_code.clone());
    if commune != before.commune_code {
        if let Some(c) = &commune {
            let c = ctx.reference.commune(c.trim()).cloned().ok_or_else(|| {
                AppError::bad_input(
                    "communeCode",
                    Msg::new("There is no such commune.", "Không có xã/phường này."),
                )
            })?;
            if c.province_code != before.province_code {
                return Err(AppError::bad_input(
                    "communeCode",
                    Msg::new(
                        "The commune is not in the project's province.",
                        "Xã/phường không thuộc tỉnh của đề án.",
                    ),
                ));
            }
            scope::ensure_commune_in_area(actor, &c)?;
            am.commune_code = Set(Some(c.code));
        } else if actor.role == Role::Commune {
            return Err(AppError::forbidden(Msg::new(
                "A commune cannot hand its project to the province.",
                "Xã không thể chuyển đề án lên tỉnh.",
            )));
        } else {
            am.commune_code = Set(None);
        }
    }
    if let Some(g) = patch.general_support_vnd {
        let g = check_vnd("generalSupportVnd", g, false)?;
        let support = before.beneficiary_support_vnd + g;
        if support < before.allocated_vnd {
            return Err(AppError::bad_input(
                "generalSupportVnd",
                Msg::new(
                    format!(
                        "{} đồng are allocated to this project; release allocations before lowering its support.",
                        before.allocated_vnd
                    ),
                    format!(
                        "Đề án đã được phân bổ {} đồng; hãy thu hồi phân bổ trước khi giảm kinh phí hỗ trợ.",
                        before.allocated_vnd
                    ),
                ),
            ));
        }
        am.general_support_vnd = Set(g);
        am.support_vnd = Set(support);
    }
    am.search_text = Set(search_text(&am));
    let after = save_versioned(&txn, am, id, expected_version).await?;
    // A new commune moves the project out of the old one's area (see `change`).
    audit::record_move(
        &txn,
        ctx,
        "update",
        subject(&after),
        change::Place {
            province_code: Some(&before.province_code),
            commune_code: before.commune_code.as_deref(),
        },
        audit::diff(Some(&before), Some(&after)),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

fn not_eligible(en: String, vi: String) -> AppError {
    AppError::new(Code::NotEligible, Msg::new(en, vi))
}

/// Checks the decree's eligibility of an establishment for a project (Decree 45/2012/NĐ-CP
/// Art. 2 as amended by 235/2025/NĐ-CP).
fn check_eligible(ctx: &Ctx, p: &project::Model, e: &establishment::Model) -> Result<()> {
    let kind = EstablishmentKind::from_db(&e.kind)?;
    if kind == EstablishmentKind::LargeEnterprise {
        return Err(not_eligible(
            format!(
                "{} is a large enterprise, which industrial promotion does not support.",
                e.name
            ),
            format!(
                "{} là doanh nghiệp lớn, không thuộc đối tượng hỗ trợ khuyến công.",
                e.name
            ),
        ));
    }
    if EstablishmentStatus::from_db(&e.status)? != EstablishmentStatus::Active {
        return Err(not_eligible(
            format!("{} is not active.", e.name),
            format!("{} không còn hoạt động.", e.name),
        ));
    }
    let commune = ctx.reference.commune(&e.commune_code);
    let city = ctx.reference.province(&e.province_code);
    if let (Some(c), Some(pr)) = (commune, city)
        && c.kind == CommuneKind::Ward
        && pr.kind == ProvinceKind::CentralCity
        && !e.in_craft_village
    {
        return Err(not_eligible(
            format!(
                "{} is in a ward of {} outside a recognised craft village.",
                e.name, pr.name
            ),
            format!(
                "{} ở phường thuộc {} và không nằm trong làng nghề được công nhận.",
                e.name, pr.name
            ),
        ));
    }
    if p.program_level == ProgramLevel::Local.as_str() && e.province_code != p.province_code {
        return Err(not_eligible(
            format!("{} is not in the province of this local project.", e.name),
            format!("{} không thuộc tỉnh của đề án địa phương này.", e.name),
        ));
    }
    Ok(())
}

/// The support-cap rule that applies: the province's own rule for a local project if it has
/// one, else the national one; the newest in force today.
async fn cap_rule(
    db: &impl ConnectionTrait,
    p: &project::Model,
) -> Result<Option<support_cap_rule::Model>> {
    use support_cap_rule::Column as C;
    let today = chrono::Utc::now().date_naive();
    let newest = |q: sea_orm::Select<support_cap_rule::Entity>| {
        q.filter(C::Category.eq(p.category.clone()))
            .filter(C::EffectiveFrom.lte(today))
            .order_by_desc(C::EffectiveFrom)
            .order_by_desc(C::Id)
    };
    if p.program_level == ProgramLevel::Local.as_str()
        && let Some(r) = newest(support_cap_rule::Entity::find())
            .filter(C::ProgramLevel.eq(ProgramLevel::Local.as_str()))
            .filter(C::ProvinceCode.eq(p.province_code.clone()))
            .one(db)
            .await?
    {
        return Ok(Some(r));
    }
    Ok(newest(support_cap_rule::Entity::find())
        .filter(C::ProgramLevel.eq(ProgramLevel::National.as_str()))
        .filter(C::ProvinceCode.is_null())
        .one(db)
        .await?)
}

fn check_cap(rule: &support_cap_rule::Model, support: i64, counterpart: i64) -> Result<()> {
    let total = i128::from(support) + i128::from(counterpart);
    let over_percent = i128::from(support) * 100 > i128::from(rule.max_percent) * total;
    if over_percent || support > rule.max_amount_vnd {
        return Err(AppError::bad_input(
            "supportVnd",
            Msg::new(
                format!(
                    "Support is capped at {}% of the total cost and {} đồng per {}: {}.",
                    rule.max_percent,
                    rule.max_amount_vnd,
                    if rule.per_unit == "MODEL" {
                        "model"
                    } else {
                        "establishment"
                    },
                    rule.legal_basis
                ),
                format!(
                    "Mức hỗ trợ tối đa {}% tổng chi phí và {} đồng mỗi {} ({}).",
                    rule.max_percent,
                    rule.max_amount_vnd,
                    if rule.per_unit == "MODEL" {
                        "mô hình"
                    } else {
                        "cơ sở"
                    },
                    rule.legal_basis
                ),
            ),
        ));
    }
    Ok(())
}

/// Adds a beneficiary with its support and own investment.
pub async fn add_beneficiary(
    db: &impl super::Db,
    ctx: &Ctx,
    project_id: i64,
    expected_version: i32,
    establishment_id: i64,
    support_vnd: i64,
    counterpart_vnd: i64,
) -> Result<project::Model> {
    let actor = ctx.actor()?;
    let support = check_vnd("supportVnd", support_vnd, false)?;
    let counterpart = check_vnd("counterpartVnd", counterpart_vnd, false)?;
    let txn = begin_write(db).await?;
    let before = load_for_write(&txn, actor, project_id).await?;
    check_version(&before, expected_version)?;
    ensure_editable(&before, true)?;
    let est = crate::domain::establishment::find_in_scope(&txn, ctx, establishment_id).await?;
    check_eligible(ctx, &before, &est)?;
    if project_beneficiary::Entity::find()
        .filter(project_beneficiary::Column::ProjectId.eq(project_id))
        .filter(project_beneficiary::Column::EstablishmentId.eq(establishment_id))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(AppError::conflict(Msg::new(
            format!("{} is already a beneficiary of this project.", est.name),
            format!("{} đã là đối tượng thụ hưởng của đề án này.", est.name),
        )));
    }
    let rule = cap_rule(&txn, &before).await?;
    if let Some(r) = &rule {
        check_cap(r, support, counterpart)?;
    }
    project_beneficiary::ActiveModel {
        project_id: Set(project_id),
        establishment_id: Set(establishment_id),
        support_vnd: Set(support),
        counterpart_vnd: Set(counterpart),
        cap_rule_id: Set(rule.as_ref().map(|r| r.id)),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut am = before.clone().into_active_model();
    let bsupport = before.beneficiary_support_vnd + support;
    am.beneficiary_support_vnd = Set(bsupport);
    am.support_vnd = Set(bsupport + before.general_support_vnd);
    am.counterpart_vnd = Set(before.counterpart_vnd + counterpart);
    let after = save_versioned(&txn, am, project_id, expected_version).await?;
    audit::record(
        &txn,
        ctx,
        "addBeneficiary",
        subject(&after),
        serde_json::json!({
            "beneficiary": { "before": null, "after": {
                "establishment_id": establishment_id, "support_vnd": support,
                "counterpart_vnd": counterpart, "cap_rule_id": rule.as_ref().map(|r| r.id) } },
            "support_vnd": { "before": before.support_vnd, "after": after.support_vnd },
            "counterpart_vnd": { "before": before.counterpart_vnd, "after": after.counterpart_vnd },
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Removes a beneficiary (its support may not be needed by allocations already made).
pub async fn remove_beneficiary(
    db: &impl super::Db,
    ctx: &Ctx,
    project_id: i64,
    expected_version: i32,
    establishment_id: i64,
) -> Result<project::Model> {
    let actor = ctx.actor()?;
    let txn = begin_write(db).await?;
    let before = load_for_write(&txn, actor, project_id).await?;
    check_version(&before, expected_version)?;
    ensure_editable(&before, true)?;
    let row = project_beneficiary::Entity::find()
        .filter(project_beneficiary::Column::ProjectId.eq(project_id))
        .filter(project_beneficiary::Column::EstablishmentId.eq(establishment_id))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("beneficiary", "đối tượng thụ hưởng"))?;
    let support = before.support_vnd - row.support_vnd;
    if support < before.allocated_vnd {
        return Err(AppError::bad_input(
            "establishmentId",
            Msg::new(
                "The project's allocations exceed its support without this beneficiary; release some first.",
                "Nếu gỡ đối tượng này, phân bổ sẽ vượt kinh phí hỗ trợ; hãy thu hồi phân bổ trước.",
            ),
        ));
    }
    project_beneficiary::Entity::delete_by_id(row.id)
        .exec(&txn)
        .await?;
    let mut am = before.clone().into_active_model();
    am.beneficiary_support_vnd = Set(before.beneficiary_support_vnd - row.support_vnd);
    am.support_vnd = Set(support);
    am.counterpart_vnd = Set(before.counterpart_vnd - row.counterpart_vnd);
    let after = save_versioned(&txn, am, project_id, expected_version).await?;
    audit::record(
        &txn,
        ctx,
        "removeBeneficiary",
        subject(&after),
        serde_json::json!({
            "beneficiary": { "before": { "establishment_id": establishment_id,
                "support_vnd": row.support_vnd, "counterpart_vnd": row.counterpart_vnd },
                "after": null },
            "support_vnd": { "before": before.support_vnd, "after": after.support_vnd },
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

fn budget_exceeded(en: String, vi: String) -> AppError {
    AppError::new(Code::BudgetExceeded, Msg::new(en, vi))
}

/// Allocates money of a funding source to a project, atomically within the source's amount
/// and the project's support.
pub async fn allocate(
    db: &impl super::Db,
    ctx: &Ctx,
    project_id: i64,
    source_id: i64,
    amount_vnd: i64,
    idempotency_key: Option<String>,
) -> Result<allocation::Model> {
    let actor = ctx.actor()?;
    scope::ensure_writer(actor)?;
    if let Some(id) =
        idempotency::replay(db, actor.user_id, idempotency_key.as_deref(), ALLOCATE_OP).await?
    {
        return allocation::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or_else(|| AppError::not_found("allocation", "phân bổ"));
    }
    let amount = check_vnd("amountVnd", amount_vnd, true)?;
    let result = async {
        let txn = begin_write(db).await?;
        let p = load_for_write(&txn, actor, project_id).await?;
        let level = ProgramLevel::from_db(&p.program_level)?;
        if !may(actor, Who::Approver, &p, level) {
            return Err(AppError::forbidden(Msg::new(
                "Funding is allocated by the approving level: the province for local projects, the Ministry for national ones.",
                "Kinh phí do cấp phê duyệt phân bổ: tỉnh với đề án địa phương, Bộ với đề án quốc gia.",
            )));
        }
        ensure_editable(&p, false)?;
        let source = funding_source::Entity::find_by_id(source_id)
            .one(&txn)
            .await?
            .filter(|s| funding::visible(actor, s))
            .ok_or_else(|| AppError::not_found("funding source", "nguồn kinh phí"))?;
        let slevel = FundingLevel::from_db(&source.level)?;
        let level_ok = match (level, slevel) {
            (ProgramLevel::National, FundingLevel::National | FundingLevel::Other) => true,
            (ProgramLevel::Local, FundingLevel::Local) => {
                source.province_code.as_deref() == Some(p.province_code.as_str())
            }
            (ProgramLevel::Local, FundingLevel::Other) => source
                .province_code
                .as_deref()
                .is_none_or(|c| c == p.province_code),
            _ => false,
        };
        if !level_ok {
            return Err(AppError::bad_input(
                "fundingSourceId",
                Msg::new(
                    "National projects are funded from national or other sources; local projects from their own province's local sources or other sources.",
                    "Đề án quốc gia dùng nguồn trung ương hoặc nguồn khác; đề án địa phương dùng nguồn địa phương của tỉnh mình hoặc nguồn khác.",
                ),
            ));
        }
        if source.fiscal_year != p.fiscal_year {
            return Err(AppError::bad_input(
                "fundingSourceId",
                Msg::new(
                    format!(
                        "The source is for fiscal year {}, the project for {}.",
                        source.fiscal_year, p.fiscal_year
                    ),
                    format!(
                        "Nguồn kinh phí năm {}, đề án năm {}.",
                        source.fiscal_year, p.fiscal_year
                    ),
                ),
            ));
        }
        // The project's side: allocations ≤ support, by a conditional update.
        let res = project::Entity::update_many()
            .col_expr(
                project::Column::AllocatedVnd,
                Expr::col(project::Column::AllocatedVnd).add(amount),
            )
            .col_expr(project::Column::UpdatedAt, Expr::value(now()))
            .filter(project::Column::Id.eq(project_id))
            .filter(
                Expr::col(project::Column::AllocatedVnd)
                    .add(amount)
                    .lte(Expr::col(project::Column::SupportVnd)),
            )
            .exec(&txn)
            .await?;
        if res.rows_affected == 0 {
            return Err(budget_exceeded(
                format!(
                    "The project's support is {} đồng and {} are allocated: {} more would exceed it.",
                    p.support_vnd, p.allocated_vnd, amount
                ),
                format!(
                    "Kinh phí hỗ trợ của đề án là {} đồng, đã phân bổ {}: thêm {} sẽ vượt.",
                    p.support_vnd, p.allocated_vnd, amount
                ),
            ));
        }
        // The source's side: allocated ≤ amount, by a conditional update.
        if !funding::reserve(&txn, source_id, amount).await? {
            let s = funding_source::Entity::find_by_id(source_id).one(&txn).await?;
            let remaining = s.map(|s| s.amount_vnd - s.allocated_vnd).unwrap_or(0);
            return Err(budget_exceeded(
                format!(
                    "The funding source has {remaining} đồng left; {amount} cannot be allocated."
                ),
                format!("Nguồn kinh phí còn {remaining} đồng; không thể phân bổ {amount}."),
            ));
        }
        let t = now();
        let model = allocation::ActiveModel {
            project_id: Set(project_id),
            funding_source_id: Set(source_id),
            amount_vnd: Set(amount),
            disbursed_vnd: Set(0),
            released: Set(false),
            released_vnd: Set(0),
            created_at: Set(t),
            updated_at: Set(t),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        if let Some(key) = &idempotency_key {
            idempotency::remember(&txn, actor.user_id, key, ALLOCATE_OP, model.id).await?;
        }
        audit::record(
            &txn,
            ctx,
            "allocate",
            audit::Subject {
                entity_type: ALLOCATION,
                entity_id: model.id,
                province_code: Some(&p.province_code),
                commune_code: p.commune_code.as_deref(),
            },
            audit::diff(None, Some(&model)),
        )
        .await?;
        // Both totals moved: the source's and the project's allocated amounts.
        let mut touched = change::Touched::default();
        touched.add(
            funding::ENTITY,
            source.id,
            Some(source.version),
            source.province_code.as_deref(),
            None,
            false,
        );
        touched.add(
            ENTITY,
            p.id,
            Some(p.version),
            Some(&p.province_code),
            p.commune_code.as_deref(),
            false,
        );
        touched
            .append_all(&txn, ctx, "allocate", (ALLOCATION, model.id))
            .await?;
        txn.commit().await?;
        Ok::<_, AppError>(model)
    }
    .await;
    idempotency::or_winner(
        db,
        actor.user_id,
        idempotency_key.as_deref(),
        ALLOCATE_OP,
        result,
        |id| async move { Ok(allocation::Entity::find_by_id(id).one(db).await?) },
    )
    .await
}

/// The allocation, its funding source and its project, whose totals a money mutation moved:
/// one UPDATE each in the change feed.
async fn touch_money(
    txn: &DatabaseTransaction,
    touched: &mut change::Touched,
    a: &allocation::Model,
    p: &project::Model,
) -> Result<()> {
    let source = funding_source::Entity::find_by_id(a.funding_source_id)
        .one(txn)
        .await?;
    let source_province = source.as_ref().and_then(|s| s.province_code.clone());
    let (province, commune) = (Some(p.province_code.as_str()), p.commune_code.as_deref());
    touched.add(ALLOCATION, a.id, None, province, commune, false);
    touched.add(
        funding::ENTITY,
        a.funding_source_id,
        source.as_ref().map(|s| s.version),
        source_province.as_deref(),
        None,
        false,
    );
    touched.add(ENTITY, p.id, Some(p.version), province, commune, false);
    Ok(())
}

/// Releases what an allocation has not disbursed back to its source.
/// The allocation, its source and its project are noted in `touched` for the change feed.
async fn release_rest(
    txn: &DatabaseTransaction,
    a: &allocation::Model,
    p: &project::Model,
    touched: &mut change::Touched,
) -> Result<i64> {
    if a.released {
        return Ok(0);
    }
    let rest = a.amount_vnd - a.disbursed_vnd;
    let res = allocation::Entity::update_many()
        .col_expr(allocation::Column::Released, Expr::value(true))
        .col_expr(allocation::Column::ReleasedVnd, Expr::value(rest))
        .col_expr(allocation::Column::UpdatedAt, Expr::value(now()))
        .filter(allocation::Column::Id.eq(a.id))
        .filter(allocation::Column::Released.eq(false))
        .exec(txn)
        .await?;
    if res.rows_affected == 0 {
        return Ok(0);
    }
    funding::give_back(txn, a.funding_source_id, rest).await?;
    project::Entity::update_many()
        .col_expr(
            project::Column::AllocatedVnd,
            Expr::col(project::Column::AllocatedVnd).sub(rest),
        )
        .col_expr(project::Column::UpdatedAt, Expr::value(now()))
        .filter(project::Column::Id.eq(a.project_id))
        .exec(txn)
        .await?;
    touch_money(txn, touched, a, p).await?;
    Ok(rest)
}

/// Releases an allocation: its undisbursed money returns to the source.
pub async fn release(
    db: &impl super::Db,
    ctx: &Ctx,
    allocation_id: i64,
) -> Result<allocation::Model> {
    let actor = ctx.actor()?;
    let txn = begin_write(db).await?;
    let a = allocation::Entity::find_by_id(allocation_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("allocation", "phân bổ"))?;
    let p = load_for_write(&txn, actor, a.project_id)
        .await
        .map_err(|e| match e.code {
            Code::NotFound => AppError::not_found("allocation", "phân bổ"),
            _ => e,
        })?;
    let level = ProgramLevel::from_db(&p.program_level)?;
    if !may(actor, Who::Approver, &p, level) {
        return Err(AppError::forbidden(Msg::new(
            "Allocations are released by the approving level.",
            "Phân bổ do cấp phê duyệt thu hồi.",
        )));
    }
    let s = status_of(&p)?;
    if !(EDITABLE.contains(&s) || matches!(s, ProjectStatus::Rejected | ProjectStatus::Cancelled)) {
        return Err(AppError::invalid_transition(Msg::new(
            format!("The project is {s}: its allocations are released by STOP or SETTLE."),
            format!("Đề án đang {s}: phân bổ được thu hồi khi dừng hoặc quyết toán."),
        )));
    }
    if a.released {
        return Err(AppError::invalid_transition(Msg::new(
            "The allocation is already released.",
            "Phân bổ đã được thu hồi.",
        )));
    }
    let mut touched = change::Touched::default();
    release_rest(&txn, &a, &p, &mut touched).await?;
    let after = allocation::Entity::find_by_id(allocation_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("allocation", "phân bổ"))?;
    audit::record(
        &txn,
        ctx,
        "release",
        audit::Subject {
            entity_type: ALLOCATION,
            entity_id: a.id,
            province_code: Some(&p.province_code),
            commune_code: p.commune_code.as_deref(),
        },
        audit::diff(Some(&a), Some(&after)),
    )
    .await?;
    touched
        .append_all(&txn, ctx, "release", (ALLOCATION, a.id))
        .await?;
    txn.commit().await?;
    Ok(after)
}

/// Records a disbursement against an allocation: Σ disbursed ≤ allocated; before acceptance
/// advances stay within the advance rule's share of the allocation (70 % under Circular
/// 28/2018/TT-BTC as amended).
pub async fn disburse(
    db: &impl super::Db,
    ctx: &Ctx,
    allocation_id: i64,
    amount_vnd: i64,
    date: NaiveDate,
    note: Option<String>,
    idempotency_key: Option<String>,
) -> Result<disbursement::Model> {
    let actor = ctx.actor()?;
    scope::ensure_writer(actor)?;
    if let Some(id) =
        idempotency::replay(db, actor.user_id, idempotency_key.as_deref(), DISBURSE_OP).await?
    {
        return disbursement::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or_else(|| AppError::not_found("disbursement", "giải ngân"));
    }
    let amount = check_vnd("amountVnd", amount_vnd, true)?;
    let note = validate::optional_text("note", note, 1000)?;
    let txn = begin_write(db).await?;
    let a = allocation::Entity::find_by_id(allocation_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("allocation", "phân bổ"))?;
    let p = load_for_write(&txn, actor, a.project_id)
        .await
        .map_err(|e| match e.code {
            Code::NotFound => AppError::not_found("allocation", "phân bổ"),
            _ => e,
        })?;
    let level = ProgramLevel::from_db(&p.program_level)?;
    if !(may(actor, Who::Approver, &p, level) || may(actor, Who::Province, &p, level)) {
        return Err(AppError::forbidden(Msg::new(
            "Disbursements are recorded by the province or the approving level.",
            "Giải ngân do tỉnh hoặc cấp phê duyệt ghi nhận.",
        )));
    }
    let s = status_of(&p)?;
    if !matches!(
        s,
        ProjectStatus::Approved | ProjectStatus::InProgress | ProjectStatus::Accepted
    ) {
        return Err(AppError::invalid_transition(Msg::new(
            format!(
                "The project is {s}: money is disbursed only once approved and before settlement."
            ),
            format!("Đề án đang {s}: chỉ giải ngân sau khi phê duyệt và trước khi quyết toán."),
        )));
    }
    if a.released {
        return Err(AppError::invalid_transition(Msg::new(
            "The allocation is released.",
            "Phân bổ đã được thu hồi.",
        )));
    }
    let before_acceptance = s != ProjectStatus::Accepted;
    let rule = advance_rule(&txn).await?;
    let advance_percent = i64::from(rule.advance_percent);
    let ceiling = if before_acceptance {
        a.amount_vnd * advance_percent / 100
    } else {
        a.amount_vnd
    };
    let res = allocation::Entity::update_many()
        .col_expr(
            allocation::Column::DisbursedVnd,
            Expr::col(allocation::Column::DisbursedVnd).add(amount),
        )
        .col_expr(allocation::Column::UpdatedAt, Expr::value(now()))
        .filter(allocation::Column::Id.eq(a.id))
        .filter(allocation::Column::Released.eq(false))
        .filter(
            Expr::col(allocation::Column::DisbursedVnd)
                .add(amount)
                .lte(ceiling),
        )
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        let current = allocation::Entity::find_by_id(a.id)
            .one(&txn)
            .await?
            .map(|x| x.disbursed_vnd)
            .unwrap_or(a.disbursed_vnd);
        if before_acceptance && current + amount <= a.amount_vnd {
            return Err(AppError::bad_input(
                "amountVnd",
                Msg::new(
                    format!(
                        "Before acceptance, advances may not exceed {advance_percent}% of the allocation ({ceiling} đồng; {current} already disbursed): {}.",
                        rule.legal_basis
                    ),
                    format!(
                        "Trước nghiệm thu, tạm ứng không vượt {advance_percent}% phân bổ ({ceiling} đồng; đã giải ngân {current}): {}.",
                        rule.legal_basis
                    ),
                ),
            ));
        }
        return Err(budget_exceeded(
            format!(
                "Only {} đồng of this allocation are left to disburse.",
                a.amount_vnd - current
            ),
            format!(
                "Phân bổ này chỉ còn {} đồng chưa giải ngân.",
                a.amount_vnd - current
            ),
        ));
    }
    funding::add_disbursed(&txn, a.funding_source_id, amount).await?;
    project::Entity::update_many()
        .col_expr(
            project::Column::DisbursedVnd,
            Expr::col(project::Column::DisbursedVnd).add(amount),
        )
        .col_expr(project::Column::UpdatedAt, Expr::value(now()))
        .filter(project::Column::Id.eq(p.id))
        .exec(&txn)
        .await?;
    let model = disbursement::ActiveModel {
        allocation_id: Set(a.id),
        amount_vnd: Set(amount),
        date: Set(date),
        note: Set(note),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if let Some(key) = &idempotency_key {
        idempotency::remember(&txn, actor.user_id, key, DISBURSE_OP, model.id).await?;
    }
    audit::record(
        &txn,
        ctx,
        "disburse",
        audit::Subject {
            entity_type: DISBURSEMENT,
            entity_id: model.id,
            province_code: Some(&p.province_code),
            commune_code: p.commune_code.as_deref(),
        },
        audit::diff(None, Some(&model)),
    )
    .await?;
    // The allocation's, the source's and the project's disbursed totals moved.
    let mut touched = change::Touched::default();
    touch_money(&txn, &mut touched, &a, &p).await?;
    touched
        .append_all(&txn, ctx, "disburse", (DISBURSEMENT, model.id))
        .await?;
    txn.commit().await?;
    Ok(model)
}

fn check_outcomes(o: Outcomes) -> Result<Outcomes> {
    Ok(Outcomes {
        jobs_created: validate::count("jobsCreated", o.jobs_created)?,
        trainees: validate::count("trainees", o.trainees)?,
        average_monthly_income_vnd: o
            .average_monthly_income_vnd
            .map(|v| check_vnd("averageMonthlyIncomeVnd", v, false))
            .transpose()?,
        notes: validate::optional_text("notes", o.notes, 5000)?,
    })
}

/// Takes a lifecycle action, recording it in the history.
pub async fn transition(
    db: &impl super::Db,
    ctx: &Ctx,
    id: i64,
    expected_version: i32,
    action: ProjectAction,
    comment: Option<String>,
    outcomes: Option<Outcomes>,
) -> Result<project::Model> {
    let actor = ctx.actor()?;
    let comment = validate::optional_text("comment", comment, 2000)?;
    let outcomes = outcomes.map(check_outcomes).transpose()?;
    let txn = begin_write(db).await?;
    let before = load_for_write(&txn, actor, id).await?;
    let level = ProgramLevel::from_db(&before.program_level)?;
    let from = status_of(&before)?;
    let Some((_, froms, to, who)) = TRANSITIONS.iter().find(|t| t.0 == action) else {
        return Err(AppError::internal(format!("no transition for {action}")));
    };
    if !may(actor, *who, &before, level) {
        return Err(AppError::forbidden(Msg::new(
            format!("Your role may not {action} this project."),
            format!("Vai trò của bạn không được thực hiện {action} với đề án này."),
        )));
    }
    check_version(&before, expected_version)?;
    if !froms.contains(&from) {
        return Err(AppError::invalid_transition(Msg::new(
            format!("{action} is not possible from {from}."),
            format!("Không thể {action} khi đề án đang ở trạng thái {from}."),
        )));
    }
    if action == ProjectAction::Approve {
        let kind = ProjectKind::from_db(&before.kind)?;
        let beneficiaries = project_beneficiary::Entity::find()
            .filter(project_beneficiary::Column::ProjectId.eq(id))
            .count(&txn)
            .await?;
        if kind != ProjectKind::Group && beneficiaries == 0 {
            return Err(AppError::invalid_transition(Msg::new(
                "A project needs at least one beneficiary before approval.",
                "Đề án cần ít nhất một đối tượng thụ hưởng trước khi phê duyệt.",
            )));
        }
        if before.support_vnd == 0 || before.allocated_vnd != before.support_vnd {
            return Err(AppError::invalid_transition(Msg::new(
                format!(
                    "The project is not fully funded: support {} đồng, allocated {}; allocate {} more first.",
                    before.support_vnd,
                    before.allocated_vnd,
                    before.support_vnd - before.allocated_vnd
                ),
                format!(
                    "Đề án chưa đủ kinh phí: hỗ trợ {} đồng, đã phân bổ {}; cần phân bổ thêm {}.",
                    before.support_vnd,
                    before.allocated_vnd,
                    before.support_vnd - before.allocated_vnd
                ),
            )));
        }
    }
    // Money that will not be spent goes back to its sources.
    let mut touched = change::Touched::default();
    if matches!(
        action,
        ProjectAction::Settle | ProjectAction::Stop | ProjectAction::Reject | ProjectAction::Cancel
    ) {
        let allocations = allocation::Entity::find()
            .filter(allocation::Column::ProjectId.eq(id))
            .filter(allocation::Column::Released.eq(false))
            .all(&txn)
            .await?;
        for a in &allocations {
            release_rest(&txn, a, &before, &mut touched).await?;
        }
    }
    let current = project::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(not_found)?;
    let mut am = current.into_active_model();
    am.status = Set(to.as_str().to_owned());
    if action == ProjectAction::Accept
        && let Some(o) = outcomes
    {
        am.jobs_created = Set(o.jobs_created);
        am.trainees = Set(o.trainees);
        am.average_monthly_income_vnd = Set(o.average_monthly_income_vnd);
        am.outcome_notes = Set(o.notes);
    }
    let after = save_versioned(&txn, am, id, expected_version).await?;
    project_event::ActiveModel {
        project_id: Set(id),
        action: Set(action.as_str().to_owned()),
        from_status: Set(from.as_str().to_owned()),
        to_status: Set(to.as_str().to_owned()),
        actor_id: Set(Some(actor.user_id)),
        comment: Set(comment.clone()),
        at: Set(now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut changes = audit::diff(Some(&before), Some(&after));
    changes["comment"] = serde_json::json!({ "before": null, "after": comment });
    audit::record(&txn, ctx, action.as_str(), subject(&after), changes).await?;
    touched
        .append_all(&txn, ctx, action.as_str(), (ENTITY, id))
        .await?;
    txn.commit().await?;
    Ok(after)
}

/// A project the caller may see.
pub async fn get(db: &impl ConnectionTrait, ctx: &Ctx, id: i64) -> Result<Option<project::Model>> {
    let actor = ctx.actor()?;
    Ok(project::Entity::find_by_id(id)
        .filter(area_condition(actor, db.get_database_backend()))
        .one(db)
        .await?)
}

/// The projects the actor sees: the one rule of [`scope::ProjectArea`].
fn area_condition(actor: &Actor, backend: sea_orm::DbBackend) -> Condition {
    scope::project_area(actor).condition(backend, "project")
}

/// Projects by id within the caller's area (for DataLoaders).
pub async fn get_many(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    ids: &[i64],
) -> Result<Vec<project::Model>> {
    let actor = ctx.actor()?;
    Ok(project::Entity::find()
        .filter(project::Column::Id.is_in(ids.iter().copied()))
        .filter(area_condition(actor, db.get_database_backend()))
        .all(db)
        .await?)
}

/// An allocation the caller may see (through its project).
pub async fn get_allocation(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    id: i64,
) -> Result<Option<allocation::Model>> {
    let Some(a) = allocation::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    Ok(get(db, ctx, a.project_id).await?.map(|_| a))
}

/// A page of projects.
pub async fn list(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    filter: ProjectFilter,
    args: &PageArgs,
) -> Result<Page<project::Entity>> {
    use project::Column as C;
    let actor = ctx.actor()?;
    let mut cond = area_condition(actor, db.get_database_backend());
    if let Some(v) = filter.province_code {
        cond = cond.add(C::ProvinceCode.eq(v));
    }
    if let Some(v) = filter.commune_code {
        cond = cond.add(C::CommuneCode.eq(v));
    }
    if let Some(v) = filter.program_level {
        cond = cond.add(C::ProgramLevel.eq(v.as_str()));
    }
    if let Some(v) = filter.kind {
        cond = cond.add(C::Kind.eq(v.as_str()));
    }
    if let Some(v) = filter.category {
        cond = cond.add(C::Category.eq(v.as_str()));
    }
    if let Some(v) = filter.status {
        cond = cond.add(C::Status.eq(v.as_str()));
    }
    if let Some(v) = filter.fiscal_year {
        cond = cond.add(C::FiscalYear.eq(v));
    }
    if let Some(e) = filter.establishment_id {
        cond = cond.add(
            C::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(project_beneficiary::Column::ProjectId)
                    .from(project_beneficiary::Entity)
                    .and_where(project_beneficiary::Column::EstablishmentId.eq(e))
                    .to_owned(),
            ),
        );
    }
    if let Some(term) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        validate::required_text("search", term, 200)?;
        cond = cond.add(search_condition(C::SearchText, term));
    }
    if let Some(t) = filter.updated_since {
        cond = cond.add(C::UpdatedAt.gte(t));
    }
    page::fetch(
        db,
        project::Entity::find().filter(cond),
        C::Id,
        C::UpdatedAt,
        filter.updated_since.is_some(),
        args,
    )
    .await
}

/// Beneficiaries of several projects.
pub async fn beneficiaries_of(
    db: &impl ConnectionTrait,
    project_ids: &[i64],
) -> Result<HashMap<i64, Vec<project_beneficiary::Model>>> {
    let rows = project_beneficiary::Entity::find()
        .filter(project_beneficiary::Column::ProjectId.is_in(project_ids.iter().copied()))
        .order_by_asc(project_beneficiary::Column::Id)
        .all(db)
        .await?;
    Ok(super::group_by(project_ids, rows, |r| r.project_id))
}

/// Allocations of several projects.
pub async fn allocations_of(
    db: &impl ConnectionTrait,
    project_ids: &[i64],
) -> Result<HashMap<i64, Vec<allocation::Model>>> {
    let rows = allocation::Entity::find()
        .filter(allocation::Column::ProjectId.is_in(project_ids.iter().copied()))
        .order_by_asc(allocation::Column::Id)
        .all(db)
        .await?;
    Ok(super::group_by(project_ids, rows, |r| r.project_id))
}

/// Disbursements of several allocations.
pub async fn disbursements_of(
    db: &impl ConnectionTrait,
    allocation_ids: &[i64],
) -> Result<HashMap<i64, Vec<disbursement::Model>>> {
    let rows = disbursement::Entity::find()
        .filter(disbursement::Column::AllocationId.is_in(allocation_ids.iter().copied()))
        .order_by_asc(disbursement::Column::Id)
        .all(db)
        .await?;
    Ok(super::group_by(allocation_ids, rows, |r| r.allocation_id))
}

/// Histories of several projects.
pub async fn history_of(
    db: &impl ConnectionTrait,
    project_ids: &[i64],
) -> Result<HashMap<i64, Vec<project_event::Model>>> {
    let rows = project_event::Entity::find()
        .filter(project_event::Column::ProjectId.is_in(project_ids.iter().copied()))
        .order_by_asc(project_event::Column::Id)
        .all(db)
        .await?;
    Ok(super::group_by(project_ids, rows, |r| r.project_id))
}

/// Projects of several establishments (as beneficiaries), within the caller's area.
pub async fn projects_of_establishments(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    establishment_ids: &[i64],
) -> Result<HashMap<i64, Vec<project::Model>>> {
    let actor = ctx.actor()?;
    let links = project_beneficiary::Entity::find()
        .filter(
            project_beneficiary::Column::EstablishmentId.is_in(establishment_ids.iter().copied()),
        )
        .all(db)
        .await?;
    let ids: Vec<i64> = links.iter().map(|l| l.project_id).collect();
    let projects: HashMap<i64, project::Model> = project::Entity::find()
        .filter(project::Column::Id.is_in(ids))
        .filter(area_condition(actor, db.get_database_backend()))
        .order_by_asc(project::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut out: HashMap<i64, Vec<project::Model>> =
        establishment_ids.iter().map(|k| (*k, Vec::new())).collect();
    for l in links {
        if let Some(p) = projects.get(&l.project_id) {
            out.entry(l.establishment_id).or_default().push(p.clone());
        }
    }
    for v in out.values_mut() {
        v.sort_by_key(|p| p.id);
    }
    Ok(out)
}

/// Loads the shipped advance rule into an empty table.
pub async fn seed_disbursement_rules(db: &impl ConnectionTrait) -> Result<()> {
    #[derive(serde::Deserialize)]
    struct Row {
        legal_basis: String,
        effective_from: NaiveDate,
        advance_percent: i32,
    }
    if disbursement_rule::Entity::find().count(db).await? > 0 {
        return Ok(());
    }
    let rows: Vec<Row> =
        csv::Reader::from_reader(include_str!("../../data/rules/disbursement.csv").as_bytes())
            .deserialize()
            .collect::<Result<_, _>>()
            .map_err(AppError::internal)?;
    for r in rows {
        disbursement_rule::ActiveModel {
            legal_basis: Set(r.legal_basis),
            effective_from: Set(r.effective_from),
            advance_percent: Set(r.advance_percent),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Loads the shipped support-cap rules into an empty table.
pub async fn seed_cap_rules(db: &impl ConnectionTrait) -> Result<()> {
    #[derive(serde::Deserialize)]
    struct Row {
        legal_basis: String,
        effective_from: NaiveDate,
        program_level: String,
        category: String,
        province_code: Option<String>,
        max_percent: i32,
        max_amount_vnd: i64,
        per_unit: String,
    }
    if support_cap_rule::Entity::find().count(db).await? > 0 {
        return Ok(());
    }
    let rows: Vec<Row> =
        csv::Reader::from_reader(include_str!("../../data/rules/support_caps.csv").as_bytes())
            .deserialize()
            .collect::<Result<_, _>>()
            .map_err(AppError::internal)?;
    for r in rows {
        ProgramLevel::from_db(&r.program_level)?;
        ProjectCategory::from_db(&r.category)?;
        support_cap_rule::ActiveModel {
            legal_basis: Set(r.legal_basis),
            effective_from: Set(r.effective_from),
            program_level: Set(r.program_level),
            category: Set(r.category),
            province_code: Set(r.province_code.filter(|p| !p.is_empty())),
            max_percent: Set(r.max_percent),
            max_amount_vnd: Set(r.max_amount_vnd),
            per_unit: Set(r.per_unit),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(pct: i32, max: i64) -> support_cap_rule::Model {
        support_cap_rule::Model {
            id: 1,
            legal_basis: "test".into(),
            effective_from: NaiveDate::from_ymd_opt(2025, 1, 1).expect("date"),
            program_level: "NATIONAL".into(),
            category: "ADVANCED_MACHINERY".into(),
            province_code: None,
            max_percent: pct,
            max_amount_vnd: max,
            per_unit: "ESTABLISHMENT".into(),
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
}
