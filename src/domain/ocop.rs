//! OCOP star rating (Mỗi xã một sản phẩm): applications, commune screening, council scores,
//! the provincial and central decisions, certificates and their validity, under the criteria
//! version in force (Decision 148/QĐ-TTg as amended by Decision 1489/QĐ-TTg).

use std::collections::HashMap;

use chrono::{Months, NaiveDate};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseTransaction, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};

use crate::kind::{CertificateId, EntityKind, EvaluationId, ProductId};
use crate::{
    auth::actor::Actor,
    db::entities::{ocop_certificate, ocop_criteria, ocop_evaluation, ocop_prize, ocop_score},
    domain::{
        Ctx, audit,
        catalog::valid_condition,
        change, now,
        page::{self, Keyed, Page, PageArgs},
        rules, scope, validate, write,
    },
    enums::{CertificateStatus, OcopApplicationType, OcopEvaluationStatus, OcopIssuingLevel, Role},
    error::{AppError, Msg, Result},
};

/// Entity type name of evaluations.
pub const EVALUATION: EntityKind = EntityKind::OcopEvaluation;
/// Entity type name of certificates.
pub const CERTIFICATE: EntityKind = EntityKind::OcopCertificate;
const CREATE_OP: &str = "createOcopEvaluation";
/// Stage of a score given by the provincial council.
pub const STAGE_PROVINCE: &str = "PROVINCE";
/// Stage of a score given by the central council.
pub const STAGE_CENTRAL: &str = "CENTRAL";

impl Keyed for ocop_evaluation::Model {
    fn key_id(&self) -> i64 {
        self.id
    }
    fn key_updated(&self) -> chrono::DateTime<chrono::Utc> {
        self.updated_at
    }
}

impl Keyed for ocop_certificate::Model {
    fn key_id(&self) -> i64 {
        self.id
    }
    fn key_updated(&self) -> chrono::DateTime<chrono::Utc> {
        self.updated_at
    }
}

/// A council member's scores.
#[derive(Clone, Debug)]
pub struct ScoreInput {
    /// Part A, product and community strength (≤ 40).
    pub part_a: f64,
    /// Part B, marketing capacity (≤ 25).
    pub part_b: f64,
    /// Part C, product quality (≤ 35).
    pub part_c: f64,
    /// Mandatory criteria the product fails.
    pub mandatory_failed: Vec<String>,
}

/// Evaluation filters.
#[derive(Clone, Debug, Default)]
pub struct EvaluationFilter {
    /// Province.
    pub province_code: Option<String>,
    /// Commune.
    pub commune_code: Option<String>,
    /// Status.
    pub status: Option<OcopEvaluationStatus>,
    /// Year.
    pub year: Option<i32>,
    /// Changed at or after.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// Certificate filters.
#[derive(Clone, Debug, Default)]
pub struct CertificateFilter {
    /// Province.
    pub province_code: Option<String>,
    /// Commune.
    pub commune_code: Option<String>,
    /// Stars.
    pub stars: Option<i32>,
    /// Status.
    pub status: Option<CertificateStatus>,
    /// Valid and expiring within this many days.
    pub expiring_within_days: Option<i32>,
    /// Changed at or after.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

fn evaluation_not_found() -> AppError {
    AppError::not_found("OCOP evaluation", "hồ sơ đánh giá OCOP")
}

fn certificate_not_found() -> AppError {
    AppError::not_found("OCOP certificate", "giấy chứng nhận OCOP")
}

/// The stars a mean (in hundredths) earns under a criteria version.
pub fn stars_for(c: &ocop_criteria::Model, mean_centi: i64) -> i32 {
    let bands = [
        (c.star5_from, 5),
        (c.star4_from, 4),
        (c.star3_from, 3),
        (c.star2_from, 2),
    ];
    bands
        .iter()
        .find(|(from, _)| mean_centi >= i64::from(*from) * 100)
        .map(|(_, s)| *s)
        .unwrap_or(1)
}

/// The status of a certificate today.
pub fn certificate_status(c: &ocop_certificate::Model, today: NaiveDate) -> CertificateStatus {
    if c.revoked_at.is_some() {
        CertificateStatus::Revoked
    } else if c.superseded {
        CertificateStatus::Superseded
    } else if c.valid_until < today {
        CertificateStatus::Expired
    } else {
        CertificateStatus::Valid
    }
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

async fn criteria_in_force(db: &impl ConnectionTrait) -> Result<ocop_criteria::Model> {
    use ocop_criteria::Column as C;
    ocop_criteria::Entity::find()
        .filter(C::EffectiveFrom.lte(today()))
        .order_by_desc(C::EffectiveFrom)
        .order_by_desc(C::Id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("no OCOP criteria in force"))
}

fn covers(actor: &Actor, e: &ocop_evaluation::Model) -> bool {
    scope::covers(actor, &e.province_code, Some(&e.commune_code))
}

fn in_province(actor: &Actor, province: &str) -> bool {
    actor.role == Role::Province && actor.province_code.as_deref() == Some(province)
}

fn subject(e: &ocop_evaluation::Model) -> audit::Subject<'_> {
    audit::Subject {
        entity_type: EVALUATION,
        entity_id: e.id,
        province_code: Some(&e.province_code),
        commune_code: Some(&e.commune_code),
    }
}

fn status_of(e: &ocop_evaluation::Model) -> Result<OcopEvaluationStatus> {
    OcopEvaluationStatus::from_db(&e.status)
}

fn wrong_state(e: &ocop_evaluation::Model, what_en: &str, what_vi: &str) -> AppError {
    AppError::invalid_transition(Msg::new(
        format!("The evaluation is {}: {what_en}.", e.status),
        format!("Hồ sơ đang ở trạng thái {}: {what_vi}.", e.status),
    ))
}

async fn load(txn: &DatabaseTransaction, actor: &Actor, id: i64) -> Result<ocop_evaluation::Model> {
    scope::ensure_writer(actor)?;
    ocop_evaluation::Entity::find_by_id(id)
        .one(txn)
        .await?
        .filter(|e| covers(actor, e))
        .ok_or_else(evaluation_not_found)
}

/// Opens an OCOP application for a product of the caller's commune or province.
#[tracing::instrument(name = "ocop.create", skip_all, fields(product.id = product_id.get(), year = year))]
pub async fn create(
    db: &impl super::Db,
    ctx: &Ctx,
    product_id: ProductId,
    year: i32,
    kind: OcopApplicationType,
    idempotency_key: Option<String>,
) -> Result<ocop_evaluation::Model> {
    let actor = ctx.actor()?;
    scope::ensure_writer(actor)?;
    let create = write::Create::<ocop_evaluation::Entity>::new(
        actor,
        CREATE_OP,
        idempotency_key.as_deref(),
        evaluation_not_found,
    );
    if let Some(first) = create.replay(db).await? {
        return Ok(first);
    }
    if actor.role == Role::National {
        return Err(AppError::forbidden(Msg::new(
            "OCOP applications are opened by the product's commune or province.",
            "Hồ sơ OCOP do xã hoặc tỉnh của sản phẩm lập.",
        )));
    }
    if !(2000..=2100).contains(&year) {
        return Err(AppError::bad_input(
            "year",
            Msg::new(
                "The year must be between 2000 and 2100.",
                "Năm phải từ 2000 đến 2100.",
            ),
        ));
    }
    let p = crate::domain::product::get(db, ctx, product_id)
        .await?
        .ok_or_else(|| AppError::not_found("product", "sản phẩm"))?;
    let criteria = criteria_in_force(db).await?;
    create
        .run(db, ctx, async |txn| {
            let open = ocop_evaluation::Entity::find()
                .filter(ocop_evaluation::Column::ProductId.eq(product_id))
                .filter(ocop_evaluation::Column::Year.eq(year))
                .filter(ocop_evaluation::Column::Status.is_in([
                    OcopEvaluationStatus::Submitted.as_str(),
                    OcopEvaluationStatus::Returned.as_str(),
                    OcopEvaluationStatus::Screened.as_str(),
                    OcopEvaluationStatus::ProvinceScoring.as_str(),
                    OcopEvaluationStatus::CentralScoring.as_str(),
                    OcopEvaluationStatus::CentralNotRecognized.as_str(),
                ]))
                .count(txn)
                .await?;
            if open > 0 {
                return Err(AppError::conflict(Msg::new(
                    "The product already has an evaluation in progress this year.",
                    "Sản phẩm đã có hồ sơ đang đánh giá trong năm.",
                )));
            }
            let t = now();
            let model = ocop_evaluation::ActiveModel {
                product_id: Set(p.id),
                establishment_id: Set(p.establishment_id),
                province_code: Set(p.province_code.clone()),
                commune_code: Set(p.commune_code.clone()),
                year: Set(year),
                kind: Set(kind.as_str().to_owned()),
                status: Set(OcopEvaluationStatus::Submitted.as_str().to_owned()),
                criteria_id: Set(criteria.id),
                screening_note: Set(None),
                stars: Set(None),
                certificate_id: Set(None),
                created_by: Set(Some(actor.user_id)),
                version: Set(1),
                created_at: Set(t),
                updated_at: Set(t),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            let event =
                write::Event::new("create", subject(&model), audit::diff(None, Some(&model)));
            Ok((model, event))
        })
        .await
}

/// The commune's screening: forward to the provincial council or return the dossier.
#[tracing::instrument(name = "ocop.screen", skip_all, fields(ocop_evaluation.id = id.get()))]
pub async fn screen(
    db: &impl super::Db,
    ctx: &Ctx,
    id: EvaluationId,
    expected_version: i32,
    forward: bool,
    note: Option<String>,
) -> Result<ocop_evaluation::Model> {
    let actor = ctx.actor()?;
    let note = validate::optional_text("note", note, 2000)?;
    write::run(db, ctx, async |txn| {
        let before = load(txn, actor, id.get()).await?;
        if actor.role == Role::National {
            return Err(AppError::forbidden(Msg::new(
                "Screening is done by the product's commune (or its province).",
                "Việc rà soát do xã (hoặc tỉnh) của sản phẩm thực hiện.",
            )));
        }
        if before.version != expected_version {
            return Err(AppError::stale_version(before.version));
        }
        if !matches!(
            status_of(&before)?,
            OcopEvaluationStatus::Submitted | OcopEvaluationStatus::Returned
        ) {
            return Err(wrong_state(
                &before,
                "only a submitted or returned dossier is screened",
                "chỉ rà soát hồ sơ mới nộp hoặc bị trả lại",
            ));
        }
        let mut am = before.clone().into_active_model();
        am.status = Set(if forward {
            OcopEvaluationStatus::Screened
        } else {
            OcopEvaluationStatus::Returned
        }
        .as_str()
        .to_owned());
        am.screening_note = Set(note);
        let after =
            write::save_versioned(txn, am, id.get(), expected_version, evaluation_not_found)
                .await?;
        let changes = audit::diff(Some(&before), Some(&after));
        let event = write::Event::new("screen", subject(&after), changes);
        Ok((after, event))
    })
    .await
}

fn centi(field: &str, v: f64, max: i32) -> Result<i32> {
    let bad = || {
        AppError::bad_input(
            field,
            Msg::new(
                format!("`{field}` is scored from 0 to {max}."),
                format!("`{field}` được chấm từ 0 đến {max}."),
            ),
        )
    };
    if !v.is_finite() || v < 0.0 || v > f64::from(max) {
        return Err(bad());
    }
    crate::domain::validate::at_most_two_decimals(field, v)?;
    let c = (v * 100.0).round();
    // Bounded above by `max` × 100, so the cast cannot overflow.
    Ok(c as i32)
}

/// Submits (or replaces) a council member's scores.
#[tracing::instrument(name = "ocop.submit_scores", skip_all, fields(ocop_evaluation.id = evaluation_id.get()))]
pub async fn submit_scores(
    db: &impl super::Db,
    ctx: &Ctx,
    evaluation_id: EvaluationId,
    input: ScoreInput,
) -> Result<ocop_score::Model> {
    let actor = ctx.actor()?;
    if input.mandatory_failed.len() > 50
        || input
            .mandatory_failed
            .iter()
            .any(|m| m.trim().is_empty() || m.chars().count() > 200)
    {
        return Err(AppError::bad_input(
            "mandatoryCriteriaFailed",
            Msg::new(
                "List at most 50 unmet mandatory criteria, each 1 to 200 characters.",
                "Liệt kê tối đa 50 tiêu chí bắt buộc không đạt, mỗi tiêu chí 1 đến 200 ký tự.",
            ),
        ));
    }
    write::run(db, ctx, async |txn| {
        let e = load(txn, actor, evaluation_id.get()).await?;
        let status = status_of(&e)?;
        let stage = match actor.role {
            Role::Commune => {
                return Err(AppError::forbidden(Msg::new(
                    "Communes screen OCOP dossiers; councils of the province and the centre score them.",
                    "Xã rà soát hồ sơ; hội đồng cấp tỉnh và trung ương chấm điểm.",
                )));
            }
            Role::Province => {
                if !matches!(
                    status,
                    OcopEvaluationStatus::Screened | OcopEvaluationStatus::ProvinceScoring
                ) {
                    return Err(wrong_state(
                        &e,
                        "the provincial council scores screened dossiers",
                        "hội đồng cấp tỉnh chấm hồ sơ đã rà soát",
                    ));
                }
                STAGE_PROVINCE
            }
            Role::National => {
                if status != OcopEvaluationStatus::CentralScoring {
                    return Err(wrong_state(
                        &e,
                        "the central council scores potential 5-star products",
                        "hội đồng trung ương chấm sản phẩm tiềm năng 5 sao",
                    ));
                }
                STAGE_CENTRAL
            }
        };
        let criteria = ocop_criteria::Entity::find_by_id(e.criteria_id)
            .one(txn)
            .await?
            .ok_or_else(|| AppError::internal("criteria of an evaluation missing"))?;
        let a = centi("partA", input.part_a, criteria.max_part_a)?;
        let b = centi("partB", input.part_b, criteria.max_part_b)?;
        let c = centi("partC", input.part_c, criteria.max_part_c)?;
        let failed: Vec<String> = input
            .mandatory_failed
            .iter()
            .map(|m| m.trim().to_owned())
            .collect();
        let existing = ocop_score::Entity::find()
            .filter(ocop_score::Column::EvaluationId.eq(evaluation_id))
            .filter(ocop_score::Column::Stage.eq(stage))
            .filter(ocop_score::Column::MemberId.eq(actor.user_id))
            .one(txn)
            .await?;
        let before = existing.clone();
        let t = now();
        let model = match existing {
            Some(s) => {
                let mut am = s.into_active_model();
                am.part_a_centi = Set(a);
                am.part_b_centi = Set(b);
                am.part_c_centi = Set(c);
                am.total_centi = Set(a + b + c);
                am.mandatory_failed = Set(serde_json::to_string(&failed).map_err(AppError::internal)?);
                am.submitted_at = Set(t);
                am.update(txn).await?
            }
            None => {
                ocop_score::ActiveModel {
                    evaluation_id: Set(evaluation_id.get()),
                    member_id: Set(actor.user_id),
                    stage: Set(stage.to_owned()),
                    part_a_centi: Set(a),
                    part_b_centi: Set(b),
                    part_c_centi: Set(c),
                    total_centi: Set(a + b + c),
                    mandatory_failed: Set(serde_json::to_string(&failed).map_err(AppError::internal)?),
                    submitted_at: Set(t),
                    ..Default::default()
                }
                .insert(txn)
                .await?
            }
        };
        let mut am = e.clone().into_active_model();
        if status == OcopEvaluationStatus::Screened {
            am.status = Set(OcopEvaluationStatus::ProvinceScoring.as_str().to_owned());
        }
        let after = write::save_versioned(txn, am, e.id, e.version, evaluation_not_found).await?;
        let mut changes = audit::diff(before.as_ref(), Some(&model));
        if after.status != e.status {
            changes["status"] = serde_json::json!({ "before": e.status, "after": after.status });
        }
        let event = write::Event::new("submitScores", subject(&after), changes);
        Ok((model, event))
    })
    .await
}

/// Sum (hundredths), count and whether any member listed an unmet mandatory criterion.
async fn tally(
    db: &impl ConnectionTrait,
    evaluation_id: i64,
    stage: &str,
) -> Result<(i64, i64, bool)> {
    let scores = ocop_score::Entity::find()
        .filter(ocop_score::Column::EvaluationId.eq(evaluation_id))
        .filter(ocop_score::Column::Stage.eq(stage))
        .all(db)
        .await?;
    let sum = scores.iter().map(|s| i64::from(s.total_centi)).sum();
    let failed = scores.iter().any(|s| s.mandatory_failed != "[]");
    Ok((sum, scores.len() as i64, failed))
}

/// A decision number and date of issue.
#[derive(Clone, Debug)]
pub struct Decision {
    /// Decision number.
    pub decision_number: String,
    /// Issue date.
    pub issued_on: NaiveDate,
}

async fn issue(
    txn: &DatabaseTransaction,
    ctx: &Ctx,
    e: &ocop_evaluation::Model,
    criteria: &ocop_criteria::Model,
    stars: i32,
    level: OcopIssuingLevel,
    d: &Decision,
) -> Result<ocop_certificate::Model> {
    // A product has at most one valid certificate: the new one supersedes the old.
    let superseded: Vec<ocop_certificate::Model> = ocop_certificate::Entity::find()
        .filter(ocop_certificate::Column::ProductId.eq(e.product_id))
        .filter(ocop_certificate::Column::Superseded.eq(false))
        .filter(ocop_certificate::Column::RevokedAt.is_null())
        .all(txn)
        .await?;
    ocop_certificate::Entity::update_many()
        .col_expr(ocop_certificate::Column::Superseded, Expr::value(true))
        .col_expr(ocop_certificate::Column::UpdatedAt, Expr::value(now()))
        .filter(ocop_certificate::Column::ProductId.eq(e.product_id))
        .filter(ocop_certificate::Column::Superseded.eq(false))
        .filter(ocop_certificate::Column::RevokedAt.is_null())
        .exec(txn)
        .await?;
    // The certificates are changed besides the evaluation the decision is audited on: they
    // reach the change feed here, in the same transaction.
    let feed = |id: i64, operation: change::Operation, c: &ocop_certificate::Model| {
        (
            id,
            operation,
            c.province_code.clone(),
            c.commune_code.clone(),
        )
    };
    let mut feed_rows: Vec<_> = superseded
        .iter()
        .map(|c| feed(c.id, change::Operation::Update, c))
        .collect();
    let valid_until = d
        .issued_on
        .checked_add_months(Months::new(criteria.validity_months.max(0) as u32))
        .ok_or_else(|| AppError::internal("certificate validity overflows"))?;
    let t = now();
    let created = ocop_certificate::ActiveModel {
        product_id: Set(e.product_id),
        evaluation_id: Set(Some(e.id)),
        province_code: Set(e.province_code.clone()),
        commune_code: Set(e.commune_code.clone()),
        stars: Set(stars),
        decision_number: Set(d.decision_number.clone()),
        issuing_level: Set(level.as_str().to_owned()),
        issued_on: Set(d.issued_on),
        valid_until: Set(valid_until),
        superseded: Set(false),
        revoked_at: Set(None),
        revoked_reason: Set(None),
        revoke_decision_number: Set(None),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    feed_rows.push(feed(created.id, change::Operation::Create, &created));
    for (id, operation, province, commune) in feed_rows {
        change::append(
            txn,
            ctx,
            change::Written {
                entity_type: CERTIFICATE,
                entity_id: id,
                operation,
                action: if operation == change::Operation::Create {
                    "issue"
                } else {
                    "supersede"
                },
                status_changed: true,
                province_code: Some(&province),
                commune_code: Some(&commune),
                previous: None,
                left_commune: None,
            },
        )
        .await?;
    }
    Ok(created)
}

/// The level that issues a certificate of `stars` (`data/rules/ocop_issuing.csv`).
fn issuer(stars: i32) -> Result<OcopIssuingLevel> {
    rules::ocop_issuer(stars)
        .ok_or_else(|| AppError::internal(format!("no issuing level for {stars} stars")))
}

/// The decision on an evaluation: the province certifies 3★/4★ or forwards ≥ 90 to the
/// central council (or, after the centre declines 5★, certifies 4★); the centre alone
/// certifies 5★.
#[tracing::instrument(name = "ocop.certify", skip_all, fields(ocop_evaluation.id = id.get()))]
pub async fn certify(
    db: &impl super::Db,
    ctx: &Ctx,
    id: EvaluationId,
    expected_version: i32,
    decision: Decision,
) -> Result<ocop_evaluation::Model> {
    let actor = ctx.actor()?;
    let decision = Decision {
        decision_number: validate::required_text("decisionNumber", &decision.decision_number, 100)?,
        issued_on: decision.issued_on,
    };
    if decision.issued_on > today() {
        return Err(AppError::bad_input(
            "issuedOn",
            Msg::new(
                "The issue date cannot be in the future.",
                "Ngày cấp không thể ở tương lai.",
            ),
        ));
    }
    write::run(db, ctx, async |txn| {
        let before = load(txn, actor, id.get()).await?;
        let status = status_of(&before)?;
        let criteria = ocop_criteria::Entity::find_by_id(before.criteria_id)
            .one(txn)
            .await?
            .ok_or_else(|| AppError::internal("criteria of an evaluation missing"))?;
        let forbidden = || {
            AppError::forbidden(Msg::new(
                "The province decides 3 and 4 stars; only the central council certifies 5 stars; communes certify nothing.",
                "Tỉnh quyết định 3 và 4 sao; chỉ hội đồng trung ương công nhận 5 sao; xã không công nhận.",
            ))
        };
        let province_user = in_province(actor, &before.province_code);
        let mut am = before.clone().into_active_model();
        let mut certificate = None;
        match (actor.role, status) {
            (Role::Province, OcopEvaluationStatus::ProvinceScoring) if province_user => {
                let (sum, count, failed) = tally(txn, id.get(), STAGE_PROVINCE).await?;
                if count < i64::from(criteria.min_members) {
                    return Err(AppError::invalid_transition(Msg::new(
                        format!(
                            "{count} council members have scored; at least {} are needed.",
                            criteria.min_members
                        ),
                        format!(
                            "Mới có {count} thành viên chấm; cần ít nhất {}.",
                            criteria.min_members
                        ),
                    )));
                }
                let stars = stars_for(&criteria, sum / count);
                let mean_at_least = |points: i32| sum >= i64::from(points) * 100 * count;
                if failed || !mean_at_least(criteria.star3_from) {
                    am.status = Set(OcopEvaluationStatus::NotCertified.as_str().to_owned());
                    am.stars = Set(Some(stars.min(2)));
                } else if mean_at_least(criteria.star5_from) {
                    am.status = Set(OcopEvaluationStatus::CentralScoring.as_str().to_owned());
                    am.stars = Set(None);
                } else {
                    let stars = if mean_at_least(criteria.star4_from) {
                        4
                    } else {
                        3
                    };
                    let c = issue(
                        txn,
                        ctx,
                        &before,
                        &criteria,
                        stars,
                        issuer(stars)?,
                        &decision,
                    )
                    .await?;
                    am.status = Set(OcopEvaluationStatus::Certified.as_str().to_owned());
                    am.stars = Set(Some(stars));
                    am.certificate_id = Set(Some(c.id));
                    certificate = Some(c);
                }
            }
            (Role::Province, OcopEvaluationStatus::CentralNotRecognized) if province_user => {
                let stars = rules::ocop_fallback(5).ok_or_else(|| {
                    AppError::internal("no fall-back rating in ocop_issuing.csv")
                })?;
                let c = issue(
                    txn,
                    ctx,
                    &before,
                    &criteria,
                    stars,
                    issuer(stars)?,
                    &decision,
                )
                .await?;
                am.status = Set(OcopEvaluationStatus::Certified.as_str().to_owned());
                am.stars = Set(Some(stars));
                am.certificate_id = Set(Some(c.id));
                certificate = Some(c);
            }
            (Role::National, OcopEvaluationStatus::CentralScoring) => {
                let (sum, count, failed) = tally(txn, id.get(), STAGE_CENTRAL).await?;
                if count < i64::from(criteria.min_members) {
                    return Err(AppError::invalid_transition(Msg::new(
                        format!(
                            "{count} central council members have scored; at least {} are needed.",
                            criteria.min_members
                        ),
                        format!(
                            "Mới có {count} thành viên hội đồng trung ương chấm; cần ít nhất {}.",
                            criteria.min_members
                        ),
                    )));
                }
                if !failed && sum >= i64::from(criteria.star5_from) * 100 * count {
                    let c = issue(
                        txn,
                        ctx,
                        &before,
                        &criteria,
                        5,
                        issuer(5)?,
                        &decision,
                    )
                    .await?;
                    am.status = Set(OcopEvaluationStatus::Certified.as_str().to_owned());
                    am.stars = Set(Some(5));
                    am.certificate_id = Set(Some(c.id));
                    certificate = Some(c);
                } else {
                    am.status = Set(OcopEvaluationStatus::CentralNotRecognized
                        .as_str()
                        .to_owned());
                }
            }
            (Role::Commune, _) => return Err(forbidden()),
            (
                Role::National,
                OcopEvaluationStatus::ProvinceScoring | OcopEvaluationStatus::CentralNotRecognized,
            ) => {
                return Err(forbidden());
            }
            (Role::Province, OcopEvaluationStatus::CentralScoring) => return Err(forbidden()),
            _ => {
                return Err(wrong_state(
                    &before,
                    "there is nothing to decide",
                    "không có gì để quyết định",
                ));
            }
        }
        if before.version != expected_version {
            return Err(AppError::stale_version(before.version));
        }
        let after =
            write::save_versioned(txn, am, id.get(), expected_version, evaluation_not_found).await?;
        let mut changes = audit::diff(Some(&before), Some(&after));
        if let Some(c) = &certificate {
            changes["certificate"] = serde_json::to_value(c).map_err(AppError::internal)?;
        }
        let event = write::Event::new("certify", subject(&after), changes);
        Ok((after, event))
    })
    .await
}

/// Revokes a certificate: by the level that issued it, or nationally.
#[tracing::instrument(name = "ocop.revoke", skip_all, fields(ocop_certificate.id = certificate_id.get()))]
pub async fn revoke(
    db: &impl super::Db,
    ctx: &Ctx,
    certificate_id: CertificateId,
    reason: String,
    decision_number: String,
) -> Result<ocop_certificate::Model> {
    let actor = ctx.actor()?;
    scope::ensure_writer(actor)?;
    let reason = validate::required_text("reason", &reason, 2000)?;
    let decision_number = validate::required_text("decisionNumber", &decision_number, 100)?;
    write::run(db, ctx, async |txn| {
        let before = ocop_certificate::Entity::find_by_id(certificate_id)
            .one(txn)
            .await?
            .filter(|c| scope::covers(actor, &c.province_code, Some(&c.commune_code)))
            .ok_or_else(certificate_not_found)?;
        let level = OcopIssuingLevel::from_db(&before.issuing_level)?;
        let allowed = actor.role == Role::National
            || (level == OcopIssuingLevel::Province && in_province(actor, &before.province_code));
        if !allowed {
            return Err(AppError::forbidden(Msg::new(
                "A certificate is revoked by the level that issued it, or nationally.",
                "Giấy chứng nhận do cấp đã cấp hoặc trung ương thu hồi.",
            )));
        }
        match certificate_status(&before, today()) {
            CertificateStatus::Revoked | CertificateStatus::Superseded => {
                return Err(AppError::invalid_transition(Msg::new(
                    "The certificate is already revoked or superseded.",
                    "Giấy chứng nhận đã bị thu hồi hoặc thay thế.",
                )));
            }
            _ => {}
        }
        let mut am = before.clone().into_active_model();
        am.revoked_at = Set(Some(now()));
        am.revoked_reason = Set(Some(reason));
        am.revoke_decision_number = Set(Some(decision_number));
        am.updated_at = Set(now());
        let after = am.update(txn).await?;
        let changes = audit::diff(Some(&before), Some(&after));
        let event = write::Event::new(
            "revoke",
            audit::Subject {
                entity_type: CERTIFICATE,
                entity_id: after.id,
                province_code: Some(&after.province_code),
                commune_code: Some(&after.commune_code),
            },
            changes,
        );
        Ok((after, event))
    })
    .await
}

/// An evaluation the caller may see.
#[tracing::instrument(name = "ocop.get", skip_all, fields(ocop_evaluation.id = id.get()))]
pub async fn get(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    id: EvaluationId,
) -> Result<Option<ocop_evaluation::Model>> {
    let actor = ctx.actor()?;
    Ok(ocop_evaluation::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|e| covers(actor, e)))
}

/// A certificate the caller may see.
#[tracing::instrument(name = "ocop.get_certificate", skip_all, fields(ocop_certificate.id = id.get()))]
pub async fn get_certificate(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    id: CertificateId,
) -> Result<Option<ocop_certificate::Model>> {
    let actor = ctx.actor()?;
    Ok(ocop_certificate::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|c| scope::covers(actor, &c.province_code, Some(&c.commune_code))))
}

/// A page of evaluations.
#[tracing::instrument(name = "ocop.list", skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    filter: EvaluationFilter,
    args: &PageArgs,
) -> Result<Page<ocop_evaluation::Entity>> {
    use ocop_evaluation::Column as C;
    let actor = ctx.actor()?;
    let mut cond = scope::area_condition(actor, C::ProvinceCode, C::CommuneCode);
    if let Some(v) = filter.province_code {
        cond = cond.add(C::ProvinceCode.eq(v));
    }
    if let Some(v) = filter.commune_code {
        cond = cond.add(C::CommuneCode.eq(v));
    }
    if let Some(v) = filter.status {
        cond = cond.add(C::Status.eq(v));
    }
    if let Some(v) = filter.year {
        cond = cond.add(C::Year.eq(v));
    }
    if let Some(t) = filter.updated_since {
        cond = cond.add(C::UpdatedAt.gte(t));
    }
    page::fetch(
        db,
        ocop_evaluation::Entity::find().filter(cond),
        C::Id,
        C::UpdatedAt,
        filter.updated_since.is_some(),
        args,
    )
    .await
}

/// The condition for a certificate status today.
pub fn status_condition(s: CertificateStatus) -> Condition {
    use ocop_certificate::Column as C;
    let t = today();
    match s {
        CertificateStatus::Valid => valid_condition(),
        CertificateStatus::Revoked => Condition::all().add(C::RevokedAt.is_not_null()),
        CertificateStatus::Superseded => Condition::all()
            .add(C::RevokedAt.is_null())
            .add(C::Superseded.eq(true)),
        CertificateStatus::Expired => Condition::all()
            .add(C::RevokedAt.is_null())
            .add(C::Superseded.eq(false))
            .add(C::ValidUntil.lt(t)),
    }
}

/// A page of certificates.
#[tracing::instrument(name = "ocop.list_certificates", skip_all)]
pub async fn list_certificates(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    filter: CertificateFilter,
    args: &PageArgs,
) -> Result<Page<ocop_certificate::Entity>> {
    use ocop_certificate::Column as C;
    let actor = ctx.actor()?;
    let mut cond = scope::area_condition(actor, C::ProvinceCode, C::CommuneCode);
    if let Some(v) = filter.province_code {
        cond = cond.add(C::ProvinceCode.eq(v));
    }
    if let Some(v) = filter.commune_code {
        cond = cond.add(C::CommuneCode.eq(v));
    }
    if let Some(v) = filter.stars {
        cond = cond.add(C::Stars.eq(v));
    }
    if let Some(v) = filter.status {
        cond = cond.add(status_condition(v));
    }
    if let Some(days) = filter.expiring_within_days {
        if !(0..=3650).contains(&days) {
            return Err(AppError::bad_input(
                "expiringWithinDays",
                Msg::new("Give 0 to 3650 days.", "Nhập từ 0 đến 3650 ngày."),
            ));
        }
        let until = today() + chrono::Duration::days(i64::from(days));
        cond = cond.add(valid_condition()).add(C::ValidUntil.lte(until));
    }
    if let Some(t) = filter.updated_since {
        cond = cond.add(C::UpdatedAt.gte(t));
    }
    page::fetch(
        db,
        ocop_certificate::Entity::find().filter(cond),
        C::Id,
        C::UpdatedAt,
        filter.updated_since.is_some(),
        args,
    )
    .await
}

/// Scores of several evaluations.
#[tracing::instrument(name = "ocop.scores_of", skip_all, fields(count = ids.len()))]
pub async fn scores_of(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<ocop_score::Model>>> {
    let rows = ocop_score::Entity::find()
        .filter(ocop_score::Column::EvaluationId.is_in(ids.iter().copied()))
        .order_by_asc(ocop_score::Column::Id)
        .all(db)
        .await?;
    Ok(super::group_by(ids, rows, |s| s.evaluation_id))
}

/// Certificates by id.
#[tracing::instrument(name = "ocop.certificates_by_id", skip_all, fields(count = ids.len()))]
pub async fn certificates_by_id(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<Vec<ocop_certificate::Model>> {
    Ok(ocop_certificate::Entity::find()
        .filter(ocop_certificate::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// The valid certificate of each of several products.
#[tracing::instrument(name = "ocop.current_of", skip_all, fields(count = product_ids.len()))]
pub async fn current_of(
    db: &impl ConnectionTrait,
    product_ids: &[i64],
) -> Result<HashMap<i64, ocop_certificate::Model>> {
    let rows = ocop_certificate::Entity::find()
        .filter(ocop_certificate::Column::ProductId.is_in(product_ids.iter().copied()))
        .filter(valid_condition())
        .order_by_asc(ocop_certificate::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|c| (c.product_id, c)).collect())
}

/// Criteria versions by id.
#[tracing::instrument(name = "ocop.criteria_by_id", skip_all, fields(count = ids.len()))]
pub async fn criteria_by_id(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<Vec<ocop_criteria::Model>> {
    Ok(ocop_criteria::Entity::find()
        .filter(ocop_criteria::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// Prize money by stars in force.
pub async fn prizes(db: &impl ConnectionTrait) -> Result<HashMap<i32, i64>> {
    let rows = ocop_prize::Entity::find()
        .filter(ocop_prize::Column::EffectiveFrom.lte(today()))
        .order_by_asc(ocop_prize::Column::EffectiveFrom)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|p| (p.stars, p.amount_vnd)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn criteria() -> ocop_criteria::Model {
        ocop_criteria::Model {
            id: 1,
            version: "test".into(),
            legal_basis: "test".into(),
            effective_from: NaiveDate::from_ymd_opt(2025, 7, 6).expect("date"),
            max_part_a: 40,
            max_part_b: 25,
            max_part_c: 35,
            min_members: 3,
            star2_from: 30,
            star3_from: 50,
            star4_from: 70,
            star5_from: 90,
            validity_months: 36,
        }
    }

    #[test]
    fn band_edges_give_the_right_stars() {
        let c = criteria();
        for (mean, stars) in [
            (2999, 1),
            (3000, 2),
            (4999, 2),
            (5000, 3),
            (6999, 3),
            (7000, 4),
            (8999, 4),
            (9000, 5),
        ] {
            assert_eq!(stars_for(&c, mean), stars, "{mean}");
        }
    }
}
