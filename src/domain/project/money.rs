//! Money: allocations from funding sources within their budgets, releases, and
//! disbursements within the advance rule, each atomic with the balances it moves.

use super::*;
use crate::kind::{AllocationId, FundingSourceId, ProjectId};

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

fn allocation_not_found() -> AppError {
    AppError::not_found("allocation", "phân bổ")
}

pub(super) fn budget_exceeded(en: String, vi: String) -> AppError {
    AppError::new(Code::BudgetExceeded, Msg::new(en, vi))
}

/// Allocates money of a funding source to a project, atomically within the source's amount
/// and the project's support.
#[tracing::instrument(name = "project.allocate", skip_all, fields(project.id = project_id.get(), funding_source.id = source_id.get()))]
pub async fn allocate(
    db: &impl crate::domain::Db,
    ctx: &Ctx,
    project_id: ProjectId,
    source_id: FundingSourceId,
    amount_vnd: i64,
    idempotency_key: Option<String>,
) -> Result<allocation::Model> {
    let actor = ctx.actor()?;
    scope::ensure_writer(actor)?;
    let create = write::Create::<allocation::Entity>::new(
        actor,
        ALLOCATE_OP,
        idempotency_key.as_deref(),
        allocation_not_found,
    );
    if let Some(first) = create.replay(db).await? {
        return Ok(first);
    }
    let amount = check_vnd("amountVnd", amount_vnd, true)?;
    create.run(db, ctx, async |txn| {
        let p = load_for_write(txn, actor, project_id.get()).await?;
        if !may(actor, Who::Approver, &p) {
            return Err(AppError::forbidden(Msg::new(
                "Funding is allocated by the approving level: the province for local projects, the Ministry for national ones.",
                "Kinh phí do cấp phê duyệt phân bổ: tỉnh với đề án địa phương, Bộ với đề án quốc gia.",
            )));
        }
        ensure_editable(&p, false)?;
        let source = funding_source::Entity::find_by_id(source_id)
            .one(txn)
            .await?
            .filter(|s| funding::visible(actor, s))
            .ok_or_else(|| AppError::not_found("funding source", "nguồn kinh phí"))?;
        let level_ok = rules::source_may_fund(
            p.program_level,
            &p.province_code,
            source.level,
            source.province_code.as_deref(),
        );
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
            .exec(txn)
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
        if !funding::reserve(txn, source_id, amount).await? {
            let s = funding_source::Entity::find_by_id(source_id).one(txn).await?;
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
            project_id: Set(project_id.get()),
            funding_source_id: Set(source_id.get()),
            amount_vnd: Set(amount),
            disbursed_vnd: Set(0),
            released: Set(false),
            released_vnd: Set(0),
            created_at: Set(t),
            updated_at: Set(t),
            ..Default::default()
        }
        .insert(txn)
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
        let subject = audit::Subject {
            entity_type: ALLOCATION,
            entity_id: model.id,
            province_code: Some(&p.province_code),
            commune_code: p.commune_code.as_deref(),
        };
        let event = write::Event::new("allocate", subject, audit::diff(None, Some(&model)))
            .touching(touched);
        Ok((model, event))
    })
    .await
}

/// The allocation, its funding source and its project, whose totals a money mutation moved:
/// one UPDATE each in the change feed.
pub(super) async fn touch_money(
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
pub(super) async fn release_rest(
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
    funding::give_back(txn, a.funding_source_id.into(), rest).await?;
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
#[tracing::instrument(name = "project.release", skip_all, fields(allocation.id = allocation_id.get()))]
pub async fn release(
    db: &impl crate::domain::Db,
    ctx: &Ctx,
    allocation_id: AllocationId,
) -> Result<allocation::Model> {
    let actor = ctx.actor()?;
    write::run(db, ctx, async |txn| {
        let a = allocation::Entity::find_by_id(allocation_id)
            .one(txn)
            .await?
            .ok_or_else(|| AppError::not_found("allocation", "phân bổ"))?;
        let p = load_for_write(txn, actor, a.project_id)
            .await
            .map_err(|e| match e.code {
                Code::NotFound => AppError::not_found("allocation", "phân bổ"),
                _ => e,
            })?;
        if !may(actor, Who::Approver, &p) {
            return Err(AppError::forbidden(Msg::new(
                "Allocations are released by the approving level.",
                "Phân bổ do cấp phê duyệt thu hồi.",
            )));
        }
        let s = p.status;
        if !(rules::money_may_change(s)
            || matches!(s, ProjectStatus::Rejected | ProjectStatus::Cancelled))
        {
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
        release_rest(txn, &a, &p, &mut touched).await?;
        let after = allocation::Entity::find_by_id(allocation_id)
            .one(txn)
            .await?
            .ok_or_else(|| AppError::not_found("allocation", "phân bổ"))?;
        let changes = audit::diff(Some(&a), Some(&after));
        let event = write::Event::new(
            "release",
            audit::Subject {
                entity_type: ALLOCATION,
                entity_id: a.id,
                province_code: Some(&p.province_code),
                commune_code: p.commune_code.as_deref(),
            },
            changes,
        )
        .touching(touched);
        Ok((after, event))
    })
    .await
}

/// Records a disbursement against an allocation: Σ disbursed ≤ allocated; before acceptance
/// advances stay within the advance rule's share of the allocation (70 % under Circular
/// 28/2018/TT-BTC as amended).
#[tracing::instrument(name = "project.disburse", skip_all, fields(allocation.id = allocation_id.get()))]
pub async fn disburse(
    db: &impl crate::domain::Db,
    ctx: &Ctx,
    allocation_id: AllocationId,
    amount_vnd: i64,
    date: NaiveDate,
    note: Option<String>,
    idempotency_key: Option<String>,
) -> Result<disbursement::Model> {
    let actor = ctx.actor()?;
    scope::ensure_writer(actor)?;
    let create = write::Create::<disbursement::Entity>::new(
        actor,
        DISBURSE_OP,
        idempotency_key.as_deref(),
        || AppError::not_found("disbursement", "giải ngân"),
    );
    if let Some(first) = create.replay(db).await? {
        return Ok(first);
    }
    let amount = check_vnd("amountVnd", amount_vnd, true)?;
    let note = validate::optional_text("note", note, 1000)?;
    create.run(db, ctx, async |txn| {
        let a = allocation::Entity::find_by_id(allocation_id)
            .one(txn)
            .await?
            .ok_or_else(|| AppError::not_found("allocation", "phân bổ"))?;
        let p = load_for_write(txn, actor, a.project_id)
            .await
            .map_err(|e| match e.code {
                Code::NotFound => AppError::not_found("allocation", "phân bổ"),
                _ => e,
            })?;
        if !(may(actor, Who::Approver, &p) || may(actor, Who::Province, &p)) {
            return Err(AppError::forbidden(Msg::new(
                "Disbursements are recorded by the province or the approving level.",
                "Giải ngân do tỉnh hoặc cấp phê duyệt ghi nhận.",
            )));
        }
        let s = p.status;
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
        let rule = advance_rule(txn).await?;
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
            .exec(txn)
            .await?;
        if res.rows_affected == 0 {
            let current = allocation::Entity::find_by_id(a.id)
                .one(txn)
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
        funding::add_disbursed(txn, a.funding_source_id.into(), amount).await?;
        project::Entity::update_many()
            .col_expr(
                project::Column::DisbursedVnd,
                Expr::col(project::Column::DisbursedVnd).add(amount),
            )
            .col_expr(project::Column::UpdatedAt, Expr::value(now()))
            .filter(project::Column::Id.eq(p.id))
            .exec(txn)
            .await?;
        let model = disbursement::ActiveModel {
            allocation_id: Set(a.id),
            amount_vnd: Set(amount),
            date: Set(date),
            note: Set(note),
            created_at: Set(now()),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        // The allocation's, the source's and the project's disbursed totals moved.
        let mut touched = change::Touched::default();
        touch_money(txn, &mut touched, &a, &p).await?;
        let subject = audit::Subject {
            entity_type: DISBURSEMENT,
            entity_id: model.id,
            province_code: Some(&p.province_code),
            commune_code: p.commune_code.as_deref(),
        };
        let changes = audit::diff(None, Some(&model));
        let event = write::Event::new("disburse", subject, changes).touching(touched);
        Ok((model, event))
    })
    .await
}
