//! The selection of outstanding rural industrial products (bình chọn sản phẩm công nghiệp
//! nông thôn tiêu biểu): rounds at four levels, nominations with their entry rules, judges'
//! scorecards and the results, under the criteria version in force (Circular 26/2014/TT-BCT
//! as amended by 14/2018/TT-BCT and 38/2025/TT-BCT).

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseTransaction, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder,
};

use crate::kind::{EntityKind, NominationId, ProductId, RoundId};
use crate::{
    auth::actor::Actor,
    db::entities::{nomination, product, province, scorecard, selection_criteria, selection_round},
    domain::{
        Ctx, audit, change, now,
        page::{self, Keyed, Page, PageArgs},
        scope, validate, write,
    },
    enums::{
        NominationResult, Region, Role, SelectionLevel, SelectionProductGroup, SelectionRoundStatus,
    },
    error::{AppError, Code, Msg, Result},
};

/// Entity type name of rounds.
pub const ROUND: EntityKind = EntityKind::SelectionRound;
/// Entity type name of nominations.
pub const NOMINATION: EntityKind = EntityKind::Nomination;
const CREATE_OP: &str = "createSelectionRound";

impl Keyed for selection_round::Model {
    fn key_id(&self) -> i64 {
        self.id
    }
    fn key_updated(&self) -> chrono::DateTime<chrono::Utc> {
        self.updated_at
    }
}

impl Keyed for nomination::Model {
    fn key_id(&self) -> i64 {
        self.id
    }
    fn key_updated(&self) -> chrono::DateTime<chrono::Utc> {
        self.updated_at
    }
}

/// The level below whose recognition a nomination needs: REGIONAL needs PROVINCIAL, NATIONAL
/// needs REGIONAL (Circular 26/2014/TT-BCT, Art. 4 as amended).
const ENTRY_REQUIREMENT: &[(SelectionLevel, SelectionLevel)] = &[
    (SelectionLevel::Regional, SelectionLevel::Provincial),
    (SelectionLevel::National, SelectionLevel::Regional),
];

/// A new round.
#[derive(Clone, Debug)]
pub struct NewRound {
    /// Name.
    pub name: String,
    /// Level.
    pub level: SelectionLevel,
    /// Year.
    pub year: i32,
    /// Province (provincial rounds).
    pub province_code: Option<String>,
    /// Commune (commune rounds).
    pub commune_code: Option<String>,
    /// Region (regional rounds).
    pub region: Option<Region>,
}

/// Round filters.
#[derive(Clone, Debug, Default)]
pub struct RoundFilter {
    /// Level.
    pub level: Option<SelectionLevel>,
    /// Year.
    pub year: Option<i32>,
    /// Province.
    pub province_code: Option<String>,
    /// Region.
    pub region: Option<Region>,
    /// Status.
    pub status: Option<SelectionRoundStatus>,
}

/// A judge's scores.
#[derive(Clone, Copy, Debug)]
pub struct Scores {
    /// Market (≤ 40).
    pub market: i32,
    /// Economic, technical, social and environmental (≤ 40).
    pub economic: i32,
    /// Culture and aesthetics (≤ 10).
    pub culture: i32,
    /// Other (≤ 10).
    pub other: i32,
}

fn round_not_found() -> AppError {
    AppError::not_found("selection round", "đợt bình chọn")
}

fn nomination_not_found() -> AppError {
    AppError::not_found("nomination", "hồ sơ đề cử")
}

/// Whether the caller may see a round: regional and national rounds are everyone's; a
/// provincial round its province's; a commune round its commune's and its province's.
pub fn visible(actor: &Actor, r: &selection_round::Model) -> bool {
    match r.level {
        SelectionLevel::Regional | SelectionLevel::National => true,
        _ => match (&r.province_code, actor.role) {
            (_, Role::National) => true,
            (Some(p), Role::Province) => actor.province_code.as_deref() == Some(p),
            (Some(_), Role::Commune) => match &r.commune_code {
                Some(c) => actor.commune_code.as_deref() == Some(c),
                None => actor.province_code == r.province_code,
            },
            (None, _) => false,
        },
    }
}

fn visible_condition(actor: &Actor) -> Condition {
    use selection_round::Column as C;
    let open_levels = C::Level.is_in([SelectionLevel::Regional, SelectionLevel::National]);
    match actor.role {
        Role::National => Condition::all(),
        Role::Province => Condition::any()
            .add(open_levels)
            .add(C::ProvinceCode.eq(actor.province_code.clone())),
        Role::Commune => Condition::any()
            .add(open_levels)
            .add(C::CommuneCode.eq(actor.commune_code.clone()))
            .add(
                Condition::all()
                    .add(C::CommuneCode.is_null())
                    .add(C::ProvinceCode.eq(actor.province_code.clone())),
            ),
    }
}

/// Whether the actor organises a round of this level and area (creates, advances, judges).
fn organises(actor: &Actor, r: &selection_round::Model) -> bool {
    match r.level {
        SelectionLevel::Commune => {
            actor.role == Role::Commune
                && actor.commune_code.is_some()
                && actor.commune_code == r.commune_code
        }
        SelectionLevel::Provincial => {
            actor.role == Role::Province
                && actor.province_code.is_some()
                && actor.province_code == r.province_code
        }
        SelectionLevel::Regional | SelectionLevel::National => actor.role == Role::National,
    }
}

/// The criteria version in force today.
async fn criteria_in_force(db: &impl ConnectionTrait) -> Result<selection_criteria::Model> {
    use selection_criteria::Column as C;
    selection_criteria::Entity::find()
        .filter(C::EffectiveFrom.lte(chrono::Utc::now().date_naive()))
        .order_by_desc(C::EffectiveFrom)
        .order_by_desc(C::Id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("no selection criteria in force"))
}

fn round_subject(r: &selection_round::Model) -> audit::Subject<'_> {
    audit::Subject {
        entity_type: ROUND,
        entity_id: r.id,
        province_code: r.province_code.as_deref(),
        commune_code: r.commune_code.as_deref(),
    }
}

/// Creates a round; its organiser is the caller (commune, province or national by level).
#[tracing::instrument(name = "selection.create_round", skip_all, fields(year = input.year, level = ?input.level))]
pub async fn create_round(
    db: &impl super::Db,
    ctx: &Ctx,
    input: NewRound,
    idempotency_key: Option<String>,
) -> Result<selection_round::Model> {
    let actor = ctx.actor()?;
    scope::ensure_writer(actor)?;
    let create = write::Create::<selection_round::Entity>::new(
        actor,
        CREATE_OP,
        idempotency_key.as_deref(),
        round_not_found,
    );
    if let Some(first) = create.replay(db).await? {
        return Ok(first);
    }
    let name = validate::required_text("name", &input.name, 300)?;
    if !(2000..=2100).contains(&input.year) {
        return Err(AppError::bad_input(
            "year",
            Msg::new(
                "The year must be between 2000 and 2100.",
                "Năm phải từ 2000 đến 2100.",
            ),
        ));
    }
    let bad = |field: &str, en: &str, vi: &str| AppError::bad_input(field, Msg::new(en, vi));
    let (province, commune, region) = match input.level {
        SelectionLevel::Commune => {
            let code = input
                .commune_code
                .clone()
                .or_else(|| {
                    (actor.role == Role::Commune)
                        .then(|| actor.commune_code.clone())
                        .flatten()
                })
                .ok_or_else(|| {
                    bad(
                        "communeCode",
                        "A commune round needs its commune.",
                        "Đợt bình chọn cấp xã cần mã xã.",
                    )
                })?;
            let c = ctx.reference.commune(code.trim()).cloned().ok_or_else(|| {
                bad(
                    "communeCode",
                    "There is no such commune.",
                    "Không có xã/phường này.",
                )
            })?;
            (Some(c.province_code.clone()), Some(c.code), None)
        }
        SelectionLevel::Provincial => {
            let code = input
                .province_code
                .clone()
                .or_else(|| {
                    (actor.role == Role::Province)
                        .then(|| actor.province_code.clone())
                        .flatten()
                })
                .ok_or_else(|| {
                    bad(
                        "provinceCode",
                        "A provincial round needs its province.",
                        "Đợt bình chọn cấp tỉnh cần mã tỉnh.",
                    )
                })?;
            let p = ctx
                .reference
                .province(code.trim())
                .cloned()
                .ok_or_else(|| {
                    bad(
                        "provinceCode",
                        "There is no such province.",
                        "Không có tỉnh này.",
                    )
                })?;
            (Some(p.code), None, None)
        }
        SelectionLevel::Regional => {
            let r = input.region.ok_or_else(|| {
                bad(
                    "region",
                    "A regional round needs its region.",
                    "Đợt bình chọn cấp khu vực cần vùng.",
                )
            })?;
            (None, None, Some(r))
        }
        SelectionLevel::National => (None, None, None),
    };
    let criteria = criteria_in_force(db).await?;
    let t = now();
    let draft = selection_round::Model {
        id: 0,
        name,
        level: input.level,
        year: input.year,
        province_code: province,
        commune_code: commune,
        region,
        status: SelectionRoundStatus::Open,
        criteria_id: criteria.id,
        created_by: Some(actor.user_id),
        version: 1,
        created_at: t,
        updated_at: t,
    };
    if !organises(actor, &draft) {
        return Err(AppError::forbidden(Msg::new(
            "A round is organised by its level: a commune for its commune, a province for its province, national users for regional and national rounds.",
            "Đợt bình chọn do cấp tổ chức: xã cho xã mình, tỉnh cho tỉnh mình, trung ương cho cấp khu vực và quốc gia.",
        )));
    }
    create
        .run(db, ctx, async |txn| {
            let mut am = draft.into_active_model();
            am.id = sea_orm::ActiveValue::NotSet;
            let model = am.insert(txn).await?;
            let changes = audit::diff(None, Some(&model));
            let event = write::Event::new("create", round_subject(&model), changes);
            Ok((model, event))
        })
        .await
}

async fn load_round(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: i64,
) -> Result<selection_round::Model> {
    selection_round::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|r| visible(actor, r))
        .ok_or_else(round_not_found)
}

fn closed_error() -> AppError {
    AppError::invalid_transition(Msg::new(
        "The round is closed: nothing in it changes any more.",
        "Đợt bình chọn đã kết thúc: không thể thay đổi.",
    ))
}

/// Nominates a product to a round.
#[tracing::instrument(name = "selection.nominate", skip_all, fields(selection_round.id = round_id.get(), product.id = product_id.get()))]
pub async fn nominate(
    db: &impl super::Db,
    ctx: &Ctx,
    round_id: RoundId,
    product_id: ProductId,
    group: SelectionProductGroup,
) -> Result<nomination::Model> {
    let actor = ctx.actor()?;
    scope::ensure_writer(actor)?;
    write::run(db, ctx, async |txn| {
        let round = load_round(txn, actor, round_id.get()).await?;
        let level = round.level;
        let p = crate::domain::product::get(txn, ctx, product_id)
            .await?
            .ok_or_else(|| AppError::not_found("product", "sản phẩm"))?;
        // Who may nominate: the product's commune or province to commune and provincial rounds,
        // its province or national users to regional rounds, national users to national ones.
        let own_area = match actor.role {
            Role::Commune => actor.commune_code.as_deref() == Some(p.commune_code.as_str()),
            Role::Province => actor.province_code.as_deref() == Some(p.province_code.as_str()),
            Role::National => false,
        };
        let allowed = match level {
            SelectionLevel::Commune | SelectionLevel::Provincial => own_area,
            SelectionLevel::Regional => {
                actor.role == Role::National || (actor.role == Role::Province && own_area)
            }
            SelectionLevel::National => actor.role == Role::National,
        };
        if !allowed {
            return Err(AppError::forbidden(Msg::new(
                format!("Your role may not nominate products to a {level} round."),
                format!("Vai trò của bạn không được đề cử sản phẩm vào đợt bình chọn cấp {level}."),
            )));
        }
        match round.status {
            SelectionRoundStatus::Open => {}
            SelectionRoundStatus::Closed => return Err(closed_error()),
            SelectionRoundStatus::Scoring => {
                return Err(AppError::invalid_transition(Msg::new(
                    "Nominations closed when scoring began.",
                    "Đã hết hạn đề cử khi bắt đầu chấm điểm.",
                )));
            }
        }
        let in_place = match level {
            SelectionLevel::Commune => round.commune_code.as_deref() == Some(p.commune_code.as_str()),
            SelectionLevel::Provincial => {
                round.province_code.as_deref() == Some(p.province_code.as_str())
            }
            SelectionLevel::Regional => {
                let region = province::Entity::find_by_id(p.province_code.clone())
                    .one(txn)
                    .await?
                    .map(|pr| pr.region);
                region.is_some() && region == round.region
            }
            SelectionLevel::National => true,
        };
        if !in_place {
            return Err(AppError::bad_input(
                "productId",
                Msg::new(
                    "The product's establishment is not in the round's commune, province or region.",
                    "Cơ sở của sản phẩm không thuộc xã, tỉnh hoặc khu vực của đợt bình chọn.",
                ),
            ));
        }
        if let Some((_, needed)) = ENTRY_REQUIREMENT.iter().find(|(l, _)| *l == level) {
            // Valid when the round takes place: today for a current round, the end of its year
            // for a past round entered afterwards (a 2022 regional round took 2022's provincial
            // recognitions).
            let today = chrono::Utc::now().date_naive();
            let as_of = NaiveDate::from_ymd_opt(round.year, 12, 31).map_or(today, |end| end.min(today));
            let valid = nomination::Entity::find()
                .filter(nomination::Column::ProductId.eq(product_id))
                .filter(
                    nomination::Column::RoundId.in_subquery(
                        sea_orm::sea_query::Query::select()
                            .column(selection_round::Column::Id)
                            .from(selection_round::Entity)
                            .and_where(selection_round::Column::Level.eq(*needed))
                            .to_owned(),
                    ),
                )
                .filter(nomination::Column::Result.eq(NominationResult::Recognized))
                .filter(nomination::Column::ValidUntil.gte(as_of))
                .filter(nomination::Column::RecognizedOn.lte(as_of))
                .count(txn)
                .await?;
            if valid == 0 {
                return Err(AppError::new(
                    Code::NotEligible,
                    Msg::new(
                        format!(
                            "A {level} round takes products with a valid {needed} recognition; this product has none."
                        ),
                        format!(
                            "Đợt bình chọn cấp {level} chỉ nhận sản phẩm còn hiệu lực công nhận cấp {needed}; sản phẩm này chưa có."
                        ),
                    ),
                ));
            }
        }
        if nomination::Entity::find()
            .filter(nomination::Column::RoundId.eq(round_id))
            .filter(nomination::Column::ProductId.eq(product_id))
            .count(txn)
            .await?
            > 0
        {
            return Err(AppError::conflict(Msg::new(
                "The product is already nominated in this round.",
                "Sản phẩm đã được đề cử trong đợt này.",
            )));
        }
        let t = now();
        let model = nomination::ActiveModel {
            round_id: Set(round_id.get()),
            product_id: Set(product_id.get()),
            establishment_id: Set(p.establishment_id),
            province_code: Set(p.province_code.clone()),
            commune_code: Set(p.commune_code.clone()),
            group: Set(group),
            score_sum: Set(0),
            score_count: Set(0),
            result: Set(NominationResult::Pending),
            certificate_number: Set(None),
            recognized_on: Set(None),
            valid_until: Set(None),
            created_by: Set(Some(actor.user_id)),
            created_at: Set(t),
            updated_at: Set(t),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        let changes = audit::diff(None, Some(&model));
        let event = write::Event::new("nominate", audit::Subject {
                entity_type: NOMINATION,
                entity_id: model.id,
                province_code: Some(&model.province_code),
                commune_code: Some(&model.commune_code),
            }, changes);
        Ok((model, event))
    })
    .await
}

fn check_scores(c: &selection_criteria::Model, s: Scores) -> Result<()> {
    for (field, v, max) in [
        ("market", s.market, c.max_market),
        (
            "economicTechnicalSocialEnvironmental",
            s.economic,
            c.max_economic,
        ),
        ("cultureAesthetics", s.culture, c.max_culture),
        ("other", s.other, c.max_other),
    ] {
        if !(0..=max).contains(&v) {
            return Err(AppError::bad_input(
                field,
                Msg::new(
                    format!("`{field}` is scored from 0 to {max} ({}).", c.legal_basis),
                    format!("`{field}` được chấm từ 0 đến {max}."),
                ),
            ));
        }
    }
    Ok(())
}

/// Submits (or, while scoring, replaces) a judge's scorecard.
#[tracing::instrument(name = "selection.submit_scorecard", skip_all, fields(nomination.id = nomination_id.get()))]
pub async fn submit_scorecard(
    db: &impl super::Db,
    ctx: &Ctx,
    nomination_id: NominationId,
    scores: Scores,
) -> Result<scorecard::Model> {
    let actor = ctx.actor()?;
    scope::ensure_writer(actor)?;
    write::run(db, ctx, async |txn| {
        let n = nomination::Entity::find_by_id(nomination_id)
            .one(txn)
            .await?
            .ok_or_else(nomination_not_found)?;
        let round = load_round(txn, actor, n.round_id)
            .await
            .map_err(|_| nomination_not_found())?;
        if !organises(actor, &round) {
            return Err(AppError::forbidden(Msg::new(
                "Judges are users of the level and area that organise the round.",
                "Thành viên hội đồng là người dùng của cấp và địa bàn tổ chức đợt bình chọn.",
            )));
        }
        match round.status {
            SelectionRoundStatus::Scoring => {}
            SelectionRoundStatus::Closed => return Err(closed_error()),
            SelectionRoundStatus::Open => {
                return Err(AppError::invalid_transition(Msg::new(
                    "Scoring starts when the round moves to SCORING.",
                    "Chỉ chấm điểm khi đợt bình chọn chuyển sang giai đoạn chấm điểm.",
                )));
            }
        }
        let criteria = selection_criteria::Entity::find_by_id(round.criteria_id)
            .one(txn)
            .await?
            .ok_or_else(|| AppError::internal("criteria of a round missing"))?;
        check_scores(&criteria, scores)?;
        let total = scores.market + scores.economic + scores.culture + scores.other;
        let existing = scorecard::Entity::find()
            .filter(scorecard::Column::NominationId.eq(nomination_id))
            .filter(scorecard::Column::JudgeId.eq(actor.user_id))
            .one(txn)
            .await?;
        let before = existing.clone();
        let mut am = match existing {
            Some(e) => e.into_active_model(),
            None => scorecard::ActiveModel {
                nomination_id: Set(nomination_id.get()),
                judge_id: Set(actor.user_id),
                ..Default::default()
            },
        };
        am.market = Set(scores.market);
        am.economic = Set(scores.economic);
        am.culture = Set(scores.culture);
        am.other = Set(scores.other);
        am.total = Set(total);
        am.submitted_at = Set(now());
        let model = am.save(txn).await?;
        let model = scorecard::Entity::find_by_id(match model.id {
            Set(id) | sea_orm::ActiveValue::Unchanged(id) => id,
            _ => return Err(AppError::internal("scorecard saved without id")),
        })
        .one(txn)
        .await?
        .ok_or_else(|| AppError::internal("scorecard vanished"))?;
        nomination::Entity::update_many()
            .col_expr(
                nomination::Column::UpdatedAt,
                sea_orm::sea_query::Expr::value(now()),
            )
            .filter(nomination::Column::Id.eq(nomination_id))
            .exec(txn)
            .await?;
        let changes = audit::diff(before.as_ref(), Some(&model));
        let event = write::Event::new(
            "submitScorecard",
            audit::Subject {
                entity_type: NOMINATION,
                entity_id: nomination_id.get(),
                province_code: Some(&n.province_code),
                commune_code: Some(&n.commune_code),
            },
            changes,
        );
        Ok((model, event))
    })
    .await
}

/// 31 December of the year `years` after the year of `issued`.
pub fn valid_until(issued: NaiveDate, years: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(issued.year() + years, 12, 31).unwrap_or(issued)
}

/// Every decided nomination is noted in `touched` for the change feed.
async fn close(
    txn: &DatabaseTransaction,
    round: &selection_round::Model,
    recognized_on: NaiveDate,
    touched: &mut change::Touched,
) -> Result<()> {
    let criteria = selection_criteria::Entity::find_by_id(round.criteria_id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::internal("criteria of a round missing"))?;
    let nominations = nomination::Entity::find()
        .filter(nomination::Column::RoundId.eq(round.id))
        .order_by_asc(nomination::Column::Id)
        .all(txn)
        .await?;
    let ids: Vec<i64> = nominations.iter().map(|n| n.id).collect();
    let cards = scorecard::Entity::find()
        .filter(scorecard::Column::NominationId.is_in(ids))
        .all(txn)
        .await?;
    let mut by_nomination: HashMap<i64, (i64, i32)> = HashMap::new();
    for c in &cards {
        let e = by_nomination.entry(c.nomination_id).or_default();
        e.0 += i64::from(c.total);
        e.1 += 1;
    }
    for n in &nominations {
        let (_, count) = by_nomination.get(&n.id).copied().unwrap_or_default();
        if count < criteria.min_scorecards {
            let name = product::Entity::find_by_id(n.product_id)
                .one(txn)
                .await?
                .map(|p| p.name)
                .unwrap_or_default();
            return Err(AppError::invalid_transition(Msg::new(
                format!(
                    "Nomination of {name} has {count} scorecards; at least {} are needed to close the round.",
                    criteria.min_scorecards
                ),
                format!(
                    "Hồ sơ {name} mới có {count} phiếu chấm; cần ít nhất {} phiếu để kết thúc đợt.",
                    criteria.min_scorecards
                ),
            )));
        }
    }
    let level_code = match round.level {
        SelectionLevel::Commune => format!("XA-{}", round.commune_code.clone().unwrap_or_default()),
        SelectionLevel::Provincial => {
            format!("TINH-{}", round.province_code.clone().unwrap_or_default())
        }
        SelectionLevel::Regional => format!("KV-{}", round.region.map_or("", Region::as_str)),
        SelectionLevel::National => "QG".to_owned(),
    };
    let mut seq = 0;
    for n in nominations {
        let (sum, count) = by_nomination.get(&n.id).copied().unwrap_or_default();
        // Mean ≥ threshold, decided exactly: sum ≥ threshold × count.
        let recognized = sum >= i64::from(criteria.threshold) * i64::from(count);
        let mut am = n.into_active_model();
        am.score_sum = Set(sum);
        am.score_count = Set(count);
        am.updated_at = Set(now());
        if recognized {
            seq += 1;
            am.result = Set(NominationResult::Recognized);
            am.certificate_number =
                Set(Some(format!("SPCNNT-{level_code}-{}-{seq:03}", round.year)));
            am.recognized_on = Set(Some(recognized_on));
            am.valid_until = Set(Some(valid_until(recognized_on, criteria.validity_years)));
        } else {
            am.result = Set(NominationResult::NotRecognized);
        }
        let after = am.update(txn).await?;
        touched.add(
            NOMINATION,
            after.id,
            None,
            Some(&after.province_code),
            Some(&after.commune_code),
            true,
        );
    }
    Ok(())
}

/// Moves a round one step: OPEN → SCORING → CLOSED (computing results and certificates).
#[tracing::instrument(name = "selection.advance", skip_all, fields(selection_round.id = id.get()))]
pub async fn advance(
    db: &impl super::Db,
    ctx: &Ctx,
    id: RoundId,
    expected_version: i32,
    recognized_on: Option<NaiveDate>,
) -> Result<selection_round::Model> {
    let actor = ctx.actor()?;
    scope::ensure_writer(actor)?;
    write::run(db, ctx, async |txn| {
        let before = load_round(txn, actor, id.get()).await?;
        if !organises(actor, &before) {
            return Err(AppError::forbidden(Msg::new(
                "Only the round's organiser may advance it.",
                "Chỉ đơn vị tổ chức mới được chuyển giai đoạn đợt bình chọn.",
            )));
        }
        if before.version != expected_version {
            return Err(AppError::stale_version(before.version));
        }
        let today = chrono::Utc::now().date_naive();
        let mut touched = change::Touched::default();
        let next = match before.status {
            SelectionRoundStatus::Open => SelectionRoundStatus::Scoring,
            SelectionRoundStatus::Scoring => {
                let on = recognized_on.unwrap_or(today);
                if on > today || on.year() < before.year {
                    return Err(AppError::bad_input(
                        "recognizedOn",
                        Msg::new(
                            "The recognition date lies between the round's year and today.",
                            "Ngày công nhận phải trong khoảng từ năm của đợt đến hôm nay.",
                        ),
                    ));
                }
                close(txn, &before, on, &mut touched).await?;
                SelectionRoundStatus::Closed
            }
            SelectionRoundStatus::Closed => return Err(closed_error()),
        };
        let mut am = before.clone().into_active_model();
        am.status = Set(next);
        let after =
            write::save_versioned(txn, am, id.get(), expected_version, round_not_found).await?;
        let changes = audit::diff(Some(&before), Some(&after));
        let event = write::Event::new("advance", round_subject(&after), changes).touching(touched);
        Ok((after, event))
    })
    .await
}

/// A round the caller may see.
#[tracing::instrument(name = "selection.get_round", skip_all, fields(selection_round.id = id.get()))]
pub async fn get_round(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    id: RoundId,
) -> Result<Option<selection_round::Model>> {
    let actor = ctx.actor()?;
    Ok(selection_round::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|r| visible(actor, r)))
}

/// Rounds by id the caller may see (for DataLoaders).
#[tracing::instrument(name = "selection.get_rounds", skip_all, fields(count = ids.len()))]
pub async fn get_rounds(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    ids: &[i64],
) -> Result<Vec<selection_round::Model>> {
    let actor = ctx.actor()?;
    Ok(selection_round::Entity::find()
        .filter(selection_round::Column::Id.is_in(ids.iter().copied()))
        .filter(visible_condition(actor))
        .all(db)
        .await?)
}

/// A nomination the caller may see (through its round).
#[tracing::instrument(name = "selection.get_nomination", skip_all, fields(nomination.id = id.get()))]
pub async fn get_nomination(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    id: NominationId,
) -> Result<Option<nomination::Model>> {
    let Some(n) = nomination::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    Ok(get_round(db, ctx, n.round_id.into()).await?.map(|_| n))
}

/// A page of rounds.
#[tracing::instrument(name = "selection.list_rounds", skip_all)]
pub async fn list_rounds(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    filter: RoundFilter,
    args: &PageArgs,
) -> Result<Page<selection_round::Entity>> {
    use selection_round::Column as C;
    let actor = ctx.actor()?;
    let mut cond = Condition::all().add(visible_condition(actor));
    if let Some(v) = filter.level {
        cond = cond.add(C::Level.eq(v));
    }
    if let Some(v) = filter.year {
        cond = cond.add(C::Year.eq(v));
    }
    if let Some(v) = filter.province_code {
        cond = cond.add(C::ProvinceCode.eq(v));
    }
    if let Some(v) = filter.region {
        cond = cond.add(C::Region.eq(v));
    }
    if let Some(v) = filter.status {
        cond = cond.add(C::Status.eq(v));
    }
    page::fetch(
        db,
        selection_round::Entity::find().filter(cond),
        C::Id,
        C::UpdatedAt,
        false,
        args,
    )
    .await
}

/// Nominations of several rounds, in id order.
#[tracing::instrument(name = "selection.nominations_of", skip_all, fields(count = round_ids.len()))]
pub async fn nominations_of(
    db: &impl ConnectionTrait,
    round_ids: &[i64],
) -> Result<HashMap<i64, Vec<nomination::Model>>> {
    let rows = nomination::Entity::find()
        .filter(nomination::Column::RoundId.is_in(round_ids.iter().copied()))
        .order_by_asc(nomination::Column::Id)
        .all(db)
        .await?;
    Ok(super::group_by(round_ids, rows, |n| n.round_id))
}

/// Recognitions (recognised nominations) of several products.
#[tracing::instrument(name = "selection.recognitions_of", skip_all, fields(count = product_ids.len()))]
pub async fn recognitions_of(
    db: &impl ConnectionTrait,
    product_ids: &[i64],
) -> Result<HashMap<i64, Vec<nomination::Model>>> {
    let rows = nomination::Entity::find()
        .filter(nomination::Column::ProductId.is_in(product_ids.iter().copied()))
        .filter(nomination::Column::Result.eq(NominationResult::Recognized))
        .order_by_asc(nomination::Column::Id)
        .all(db)
        .await?;
    Ok(super::group_by(product_ids, rows, |n| n.product_id))
}

/// Scorecards of several nominations.
#[tracing::instrument(name = "selection.scorecards_of", skip_all, fields(count = nomination_ids.len()))]
pub async fn scorecards_of(
    db: &impl ConnectionTrait,
    nomination_ids: &[i64],
) -> Result<HashMap<i64, Vec<scorecard::Model>>> {
    let rows = scorecard::Entity::find()
        .filter(scorecard::Column::NominationId.is_in(nomination_ids.iter().copied()))
        .order_by_asc(scorecard::Column::Id)
        .all(db)
        .await?;
    Ok(super::group_by(nomination_ids, rows, |s| s.nomination_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognitions_run_to_the_end_of_the_second_year_after_issue() {
        let d = NaiveDate::from_ymd_opt(2022, 11, 15).expect("date");
        assert_eq!(
            valid_until(d, 2),
            NaiveDate::from_ymd_opt(2024, 12, 31).expect("date")
        );
    }
}

/// Filters of a nomination list (exports).
#[derive(Clone, Debug, Default)]
pub struct NominationFilter {
    /// Province of the product.
    pub province_code: Option<String>,
    /// Commune of the product.
    pub commune_code: Option<String>,
    /// Changed at or after.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// A page of nominations of products in the caller's area.
#[tracing::instrument(name = "selection.list_nominations", skip_all)]
pub async fn list_nominations(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    filter: NominationFilter,
    args: &PageArgs,
) -> Result<Page<nomination::Entity>> {
    use nomination::Column as C;
    let actor = ctx.actor()?;
    let mut cond = scope::area_condition(actor, C::ProvinceCode, C::CommuneCode);
    if let Some(v) = filter.province_code {
        cond = cond.add(C::ProvinceCode.eq(v));
    }
    if let Some(v) = filter.commune_code {
        cond = cond.add(C::CommuneCode.eq(v));
    }
    if let Some(t) = filter.updated_since {
        cond = cond.add(C::UpdatedAt.gte(t));
    }
    page::fetch(
        db,
        nomination::Entity::find().filter(cond),
        C::Id,
        C::UpdatedAt,
        filter.updated_since.is_some(),
        args,
    )
    .await
}
