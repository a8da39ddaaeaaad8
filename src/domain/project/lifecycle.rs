//! The project lifecycle: proposal (`create`), edits while the project may still change, and
//! the actions of Decree 45/2012/NĐ-CP (as amended by 235/2025/NĐ-CP) with their history.

use super::{money::release_rest, *};
use crate::kind::ProjectId;

/// The project lifecycle (Decree 45/2012/NĐ-CP as amended by 235/2025/NĐ-CP): action,
/// states it may start from, the state it leads to, and who may take it.
pub(super) const TRANSITIONS: &[(ProjectAction, &[ProjectStatus], ProjectStatus, Who)] = {
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

/// Creates a project in the caller's area (commune or province users).
#[tracing::instrument(name = "project.create", skip_all)]
pub async fn create(
    db: &impl crate::domain::Db,
    ctx: &Ctx,
    input: NewProject,
    idempotency_key: Option<String>,
) -> Result<project::Model> {
    let actor = ctx.actor()?;
    scope::ensure_writer(actor)?;
    let create = write::Create::<project::Entity>::new(
        actor,
        CREATE_OP,
        idempotency_key.as_deref(),
        not_found,
    );
    if let Some(first) = create.replay(db).await? {
        return Ok(first);
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
    let province = validate::province(&ctx.reference, input.province_code.trim())?.clone();
    let commune = match input.commune_code.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(c) => {
            let c = validate::commune(&ctx.reference, c)?.clone();
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
    create
        .run(db, ctx, async |txn| {
            let t = now();
            let mut am = project::ActiveModel {
                code: Set(next_code(txn, input.program_level, &province.code, year).await?),
                title: Set(title),
                description: Set(description),
                program_level: Set(input.program_level),
                kind: Set(input.kind),
                category: Set(input.category),
                province_code: Set(province.code.clone()),
                commune_code: Set(commune.as_ref().map(|c| c.code.clone())),
                implementing_unit: Set(unit),
                fiscal_year: Set(year),
                planned_start: Set(input.planned_start),
                planned_end: Set(input.planned_end),
                status: Set(ProjectStatus::Draft),
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
            let model = am.insert(txn).await?;
            let event =
                write::Event::new("create", subject(&model), audit::diff(None, Some(&model)));
            Ok((model, event))
        })
        .await
}

/// Updates a project's description, dates, kind, category or general support.
#[tracing::instrument(name = "project.update", skip_all, fields(project.id = id.get()))]
pub async fn update(
    db: &impl crate::domain::Db,
    ctx: &Ctx,
    id: ProjectId,
    expected_version: i32,
    patch: ProjectPatch,
) -> Result<project::Model> {
    let actor = ctx.actor()?;
    write::run(db, ctx, async |txn| {
        let before = load_for_write(txn, actor, id.get()).await?;
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
            am.kind = Set(k);
        }
        if let Some(c) = patch.category {
            if c != before.category
                && project_beneficiary::Entity::find()
                    .filter(project_beneficiary::Column::ProjectId.eq(id))
                    .count(txn)
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
            am.category = Set(c);
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
        let after = write::save_versioned(txn, am, id.get(), expected_version, not_found).await?;
        let changes = audit::diff(Some(&before), Some(&after));
        // A new commune moves the project out of the old one's area (see `change`).
        let event = write::Event::new("update", subject(&after), changes).moved_from(
            change::Place {
                province_code: Some(&before.province_code),
                commune_code: before.commune_code.as_deref(),
            },
        );
        Ok((after, event))
    })
    .await
}

pub(super) fn check_outcomes(o: Outcomes) -> Result<Outcomes> {
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
#[tracing::instrument(name = "project.transition", skip_all, fields(project.id = id.get(), action = %action))]
pub async fn transition(
    db: &impl crate::domain::Db,
    ctx: &Ctx,
    id: ProjectId,
    expected_version: i32,
    action: ProjectAction,
    comment: Option<String>,
    outcomes: Option<Outcomes>,
) -> Result<project::Model> {
    let actor = ctx.actor()?;
    let comment = validate::optional_text("comment", comment, 2000)?;
    let outcomes = outcomes.map(check_outcomes).transpose()?;
    write::run(db, ctx, async |txn| {
        let before = load_for_write(txn, actor, id.get()).await?;
        let from = before.status;
        let Some((_, froms, to, who)) = TRANSITIONS.iter().find(|t| t.0 == action) else {
            return Err(AppError::internal(format!("no transition for {action}")));
        };
        if !may(actor, *who, &before) {
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
            let kind = before.kind;
            let beneficiaries = project_beneficiary::Entity::find()
                .filter(project_beneficiary::Column::ProjectId.eq(id))
                .count(txn)
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
                .all(txn)
                .await?;
            for a in &allocations {
                release_rest(txn, a, &before, &mut touched).await?;
            }
        }
        let current = project::Entity::find_by_id(id)
            .one(txn)
            .await?
            .ok_or_else(not_found)?;
        let mut am = current.into_active_model();
        am.status = Set(*to);
        if action == ProjectAction::Accept
            && let Some(o) = outcomes
        {
            am.jobs_created = Set(o.jobs_created);
            am.trainees = Set(o.trainees);
            am.average_monthly_income_vnd = Set(o.average_monthly_income_vnd);
            am.outcome_notes = Set(o.notes);
        }
        let after = write::save_versioned(txn, am, id.get(), expected_version, not_found).await?;
        project_event::ActiveModel {
            project_id: Set(id.get()),
            action: Set(action),
            from_status: Set(from),
            to_status: Set(*to),
            actor_id: Set(Some(actor.user_id)),
            comment: Set(comment.clone()),
            at: Set(now()),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        let mut changes = audit::diff(Some(&before), Some(&after));
        changes["comment"] = serde_json::json!({ "before": null, "after": comment });
        let event = write::Event::new(action.as_str(), subject(&after), changes).touching(touched);
        Ok((after, event))
    })
    .await
}
