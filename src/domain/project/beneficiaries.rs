//! Beneficiary establishments: eligibility under the decree and the support caps in force.

use super::*;
use crate::kind::{EstablishmentId, ProjectId};

pub(super) fn not_eligible(en: String, vi: String) -> AppError {
    AppError::new(Code::NotEligible, Msg::new(en, vi))
}

/// Checks the decree's eligibility of an establishment for a project (Decree 45/2012/NĐ-CP
/// Art. 2 as amended by 235/2025/NĐ-CP).
pub(super) fn check_eligible(
    ctx: &Ctx,
    p: &project::Model,
    e: &establishment::Model,
) -> Result<()> {
    if e.kind == EstablishmentKind::LargeEnterprise {
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
    if e.status != EstablishmentStatus::Active {
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
    if p.program_level == ProgramLevel::Local && e.province_code != p.province_code {
        return Err(not_eligible(
            format!("{} is not in the province of this local project.", e.name),
            format!("{} không thuộc tỉnh của đề án địa phương này.", e.name),
        ));
    }
    Ok(())
}

/// The support-cap rule that applies: the province's own rule for a local project if it has
/// one, else the national one; the newest in force today.
pub(super) async fn cap_rule(
    db: &impl ConnectionTrait,
    p: &project::Model,
) -> Result<Option<support_cap_rule::Model>> {
    use support_cap_rule::Column as C;
    let today = chrono::Utc::now().date_naive();
    let newest = |q: sea_orm::Select<support_cap_rule::Entity>| {
        q.filter(C::Category.eq(p.category))
            .filter(C::EffectiveFrom.lte(today))
            .order_by_desc(C::EffectiveFrom)
            .order_by_desc(C::Id)
    };
    if p.program_level == ProgramLevel::Local
        && let Some(r) = newest(support_cap_rule::Entity::find())
            .filter(C::ProgramLevel.eq(ProgramLevel::Local))
            .filter(C::ProvinceCode.eq(p.province_code.clone()))
            .one(db)
            .await?
    {
        return Ok(Some(r));
    }
    Ok(newest(support_cap_rule::Entity::find())
        .filter(C::ProgramLevel.eq(ProgramLevel::National))
        .filter(C::ProvinceCode.is_null())
        .one(db)
        .await?)
}

pub(super) fn check_cap(
    rule: &support_cap_rule::Model,
    support: i64,
    counterpart: i64,
) -> Result<()> {
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
                    if rule.per_unit == CapUnit::Model {
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
                    if rule.per_unit == CapUnit::Model {
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
#[tracing::instrument(name = "project.add_beneficiary", skip_all, fields(project.id = project_id.get(), establishment.id = establishment_id.get()))]
pub async fn add_beneficiary(
    db: &impl crate::domain::Db,
    ctx: &Ctx,
    project_id: ProjectId,
    expected_version: i32,
    establishment_id: EstablishmentId,
    support_vnd: i64,
    counterpart_vnd: i64,
) -> Result<project::Model> {
    let actor = ctx.actor()?;
    let support = check_vnd("supportVnd", support_vnd, false)?;
    let counterpart = check_vnd("counterpartVnd", counterpart_vnd, false)?;
    write::run(db, ctx, async |txn| {
        let before = load_for_write(txn, actor, project_id.get()).await?;
        check_version(&before, expected_version)?;
        ensure_editable(&before, true)?;
        let est = crate::domain::establishment::find_in_scope(txn, ctx, establishment_id).await?;
        check_eligible(ctx, &before, &est)?;
        if project_beneficiary::Entity::find()
            .filter(project_beneficiary::Column::ProjectId.eq(project_id))
            .filter(project_beneficiary::Column::EstablishmentId.eq(establishment_id))
            .one(txn)
            .await?
            .is_some()
        {
            return Err(AppError::conflict(Msg::new(
                format!("{} is already a beneficiary of this project.", est.name),
                format!("{} đã là đối tượng thụ hưởng của đề án này.", est.name),
            )));
        }
        let rule = cap_rule(txn, &before).await?;
        if let Some(r) = &rule {
            check_cap(r, support, counterpart)?;
        }
        project_beneficiary::ActiveModel {
            project_id: Set(project_id.get()),
            establishment_id: Set(establishment_id.get()),
            support_vnd: Set(support),
            counterpart_vnd: Set(counterpart),
            cap_rule_id: Set(rule.as_ref().map(|r| r.id)),
            created_at: Set(now()),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        let mut am = before.clone().into_active_model();
        let bsupport = before.beneficiary_support_vnd + support;
        am.beneficiary_support_vnd = Set(bsupport);
        am.support_vnd = Set(bsupport + before.general_support_vnd);
        am.counterpart_vnd = Set(before.counterpart_vnd + counterpart);
        let after =
            write::save_versioned(txn, am, project_id.get(), expected_version, not_found).await?;
        let changes = serde_json::json!({
            "beneficiary": { "before": null, "after": {
                "establishment_id": establishment_id.get(), "support_vnd": support,
                "counterpart_vnd": counterpart, "cap_rule_id": rule.as_ref().map(|r| r.id) } },
            "support_vnd": { "before": before.support_vnd, "after": after.support_vnd },
            "counterpart_vnd": { "before": before.counterpart_vnd, "after": after.counterpart_vnd },
        });
        let event = write::Event::new("addBeneficiary", subject(&after), changes);
        Ok((after, event))
    })
    .await
}

/// Removes a beneficiary (its support may not be needed by allocations already made).
#[tracing::instrument(name = "project.remove_beneficiary", skip_all, fields(project.id = project_id.get(), establishment.id = establishment_id.get()))]
pub async fn remove_beneficiary(
    db: &impl crate::domain::Db,
    ctx: &Ctx,
    project_id: ProjectId,
    expected_version: i32,
    establishment_id: EstablishmentId,
) -> Result<project::Model> {
    let actor = ctx.actor()?;
    write::run(db, ctx, async |txn| {
        let before = load_for_write(txn, actor, project_id.get()).await?;
        check_version(&before, expected_version)?;
        ensure_editable(&before, true)?;
        let row = project_beneficiary::Entity::find()
            .filter(project_beneficiary::Column::ProjectId.eq(project_id))
            .filter(project_beneficiary::Column::EstablishmentId.eq(establishment_id))
            .one(txn)
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
            .exec(txn)
            .await?;
        let mut am = before.clone().into_active_model();
        am.beneficiary_support_vnd = Set(before.beneficiary_support_vnd - row.support_vnd);
        am.support_vnd = Set(support);
        am.counterpart_vnd = Set(before.counterpart_vnd - row.counterpart_vnd);
        let after = write::save_versioned(txn, am, project_id.get(), expected_version, not_found).await?;
        let left = left_commune(txn, project_id.get(), establishment_id.get()).await?;
        let changes = serde_json::json!({
                "beneficiary": { "before": { "establishment_id": establishment_id.get(),
                    "support_vnd": row.support_vnd, "counterpart_vnd": row.counterpart_vnd },
                    "after": null },
                "support_vnd": { "before": before.support_vnd, "after": after.support_vnd },
            });
        let event = write::Event::new("removeBeneficiary", subject(&after), changes)
            .left_commune(left.as_deref());
        Ok((after, event))
    })
    .await
}

/// The commune of a removed beneficiary when the project left its sight with it (the commune
/// neither proposed the project nor has another of its establishments among the
/// beneficiaries): the change feed tells that commune the project is no longer its own.
async fn left_commune(
    txn: &DatabaseTransaction,
    project_id: i64,
    establishment_id: i64,
) -> Result<Option<String>> {
    let Some(e) = establishment::Entity::find_by_id(establishment_id)
        .one(txn)
        .await?
    else {
        return Ok(None);
    };
    let still_seen = scope::ProjectArea::Commune(e.commune_code.clone())
        .among(txn, &[project_id])
        .await?
        .contains(&project_id);
    Ok((!still_seen).then_some(e.commune_code))
}
