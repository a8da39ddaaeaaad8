//! Funding sources (nguồn kinh phí): budget lines per fiscal year, with their allocated and
//! disbursed totals kept by conditional updates so Σ allocations never exceeds the amount.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    ExprTrait, IntoActiveModel, QueryFilter, sea_query::Expr,
};

use crate::kind::{EntityKind, FundingSourceId};
use crate::{
    auth::actor::Actor,
    db::entities::funding_source,
    domain::{
        Ctx, audit, now,
        page::{self, Keyed, Page, PageArgs},
        scope, validate, write,
    },
    enums::{FundingLevel, Role},
    error::{AppError, Msg, Result},
};

/// Entity type name in the audit trail and global ids.
pub const ENTITY: EntityKind = EntityKind::FundingSource;
const CREATE_OP: &str = "createFundingSource";
/// The largest amount the API carries (2^53 − 1, exact in JSON).
pub const MAX_VND: i64 = 9_007_199_254_740_991;

impl Keyed for funding_source::Model {
    fn key_id(&self) -> i64 {
        self.id
    }
    fn key_updated(&self) -> chrono::DateTime<chrono::Utc> {
        self.updated_at
    }
}

/// A new funding source.
#[derive(Clone, Debug)]
pub struct NewFundingSource {
    /// Name.
    pub name: String,
    /// Level.
    pub level: FundingLevel,
    /// Owning province (LOCAL; OTHER when created by a province).
    pub province_code: Option<String>,
    /// Fiscal year.
    pub fiscal_year: i32,
    /// Amount in đồng.
    pub amount_vnd: i64,
    /// Legal basis (decision number).
    pub legal_basis: Option<String>,
}

/// An update of a funding source.
#[derive(Clone, Debug, Default)]
pub struct FundingSourcePatch {
    /// Name.
    pub name: Option<String>,
    /// New amount (not below what is allocated).
    pub amount_vnd: Option<i64>,
    /// Legal basis.
    pub legal_basis: Option<String>,
}

/// List filters.
#[derive(Clone, Debug, Default)]
pub struct FundingSourceFilter {
    /// Level.
    pub level: Option<FundingLevel>,
    /// Province code.
    pub province_code: Option<String>,
    /// Fiscal year.
    pub fiscal_year: Option<i32>,
    /// Changed at or after.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// Checks an amount of money: whole đồng, 0 ≤ n ≤ 2^53 − 1 (or > 0 when `positive`).
pub fn check_vnd(field: &str, v: i64, positive: bool) -> Result<i64> {
    let min = i64::from(positive);
    if v < min || v > MAX_VND {
        return Err(AppError::bad_input(
            field,
            Msg::new(
                format!(
                    "`{field}` must be a whole amount of đồng {} and at most 2^53−1.",
                    if positive { "above 0" } else { "of 0 or more" }
                ),
                format!(
                    "`{field}` phải là số đồng nguyên {} và không quá 2^53−1.",
                    if positive {
                        "lớn hơn 0"
                    } else {
                        "không âm"
                    }
                ),
            ),
        ));
    }
    Ok(v)
}

/// Checks a fiscal year.
pub fn check_year(field: &str, y: i32) -> Result<i32> {
    if !(2000..=2100).contains(&y) {
        return Err(AppError::bad_input(
            field,
            Msg::new(
                "The year must be between 2000 and 2100.",
                "Năm phải trong khoảng 2000 đến 2100.",
            ),
        ));
    }
    Ok(y)
}

fn not_found() -> AppError {
    AppError::not_found("funding source", "nguồn kinh phí")
}

fn not_for_communes() -> AppError {
    AppError::forbidden(Msg::new(
        "Funding sources are managed by provinces and the Ministry.",
        "Nguồn kinh phí do tỉnh và Bộ quản lý.",
    ))
}

fn national_has_no_province() -> AppError {
    AppError::bad_input(
        "provinceCode",
        Msg::new(
            "A national source belongs to no province.",
            "Nguồn trung ương không thuộc tỉnh nào.",
        ),
    )
}

fn local_needs_province() -> AppError {
    AppError::bad_input(
        "provinceCode",
        Msg::new(
            "A local source needs its province.",
            "Nguồn địa phương cần mã tỉnh.",
        ),
    )
}

fn not_the_creating_level() -> AppError {
    AppError::forbidden(Msg::new(
        "National sources are created by national users, local ones by their province.",
        "Nguồn trung ương do cấp trung ương tạo, nguồn địa phương do tỉnh tạo.",
    ))
}

fn not_the_owning_level() -> AppError {
    AppError::forbidden(Msg::new(
        "Only the level that owns a funding source may change it.",
        "Chỉ cấp quản lý nguồn kinh phí mới được sửa nguồn đó.",
    ))
}

fn below_allocated(allocated_vnd: i64) -> AppError {
    AppError::bad_input(
        "amountVnd",
        Msg::new(
            format!(
                "{allocated_vnd} đồng are already allocated from this source; the amount cannot be lower."
            ),
            format!("Đã phân bổ {allocated_vnd} đồng từ nguồn này; số tiền không thể thấp hơn."),
        ),
    )
}

/// Whether the caller may see a source: national lines are visible to everyone signed in;
/// a province's lines to its users and national users.
pub fn visible(actor: &Actor, m: &funding_source::Model) -> bool {
    match (&m.province_code, actor.role) {
        (None, _) | (_, Role::National) => true,
        (Some(p), _) => actor.province_code.as_deref() == Some(p),
    }
}

fn visible_condition(actor: &Actor) -> Condition {
    use funding_source::Column as C;
    match actor.role {
        Role::National => Condition::all(),
        _ => Condition::any()
            .add(C::ProvinceCode.is_null())
            .add(C::ProvinceCode.eq(actor.province_code.clone())),
    }
}

/// Whether the actor manages (creates, changes) a source of this level and province.
fn manages(actor: &Actor, level: FundingLevel, province: Option<&str>) -> bool {
    match (actor.role, level) {
        (Role::National, FundingLevel::National) => province.is_none(),
        (Role::National, FundingLevel::Other) => true,
        (Role::Province, FundingLevel::Local | FundingLevel::Other) => {
            province.is_some() && province == actor.province_code.as_deref()
        }
        _ => false,
    }
}

fn subject(m: &funding_source::Model) -> audit::Subject<'_> {
    audit::Subject {
        entity_type: ENTITY,
        entity_id: m.id,
        province_code: m.province_code.as_deref(),
        commune_code: None,
    }
}

/// Creates a funding source: NATIONAL by national users, LOCAL by a province's users, OTHER by
/// either (tied to the province when a province creates it).
#[tracing::instrument(name = "funding.create", skip_all, fields(fiscal_year = input.fiscal_year))]
pub async fn create(
    db: &impl super::Db,
    ctx: &Ctx,
    input: NewFundingSource,
    idempotency_key: Option<String>,
) -> Result<funding_source::Model> {
    let actor = ctx.actor()?;
    scope::ensure_writer(actor)?;
    let create = write::Create::<funding_source::Entity>::new(
        actor,
        CREATE_OP,
        idempotency_key.as_deref(),
        not_found,
    );
    if let Some(first) = create.replay(db).await? {
        return Ok(first);
    }
    if actor.role == Role::Commune {
        return Err(not_for_communes());
    }
    let name = validate::required_text("name", &input.name, 300)?;
    let legal_basis = validate::optional_text("legalBasis", input.legal_basis, 1000)?;
    let amount = check_vnd("amountVnd", input.amount_vnd, false)?;
    let year = check_year("fiscalYear", input.fiscal_year)?;
    let province = match (
        input.level,
        input.province_code.map(|p| p.trim().to_owned()),
    ) {
        (FundingLevel::National, Some(_)) => return Err(national_has_no_province()),
        (FundingLevel::Local, None) if actor.role != Role::Province => {
            return Err(local_needs_province());
        }
        // A province's own sources are its own, whatever the input says.
        (FundingLevel::Local | FundingLevel::Other, None) if actor.role == Role::Province => {
            actor.province_code.clone()
        }
        (_, p) => p,
    };
    if let Some(p) = &province {
        validate::province(&ctx.reference, p)?;
    }
    if !manages(actor, input.level, province.as_deref()) {
        return Err(not_the_creating_level());
    }
    create
        .run(db, ctx, async |txn| {
            let t = now();
            let model = funding_source::ActiveModel {
                name: Set(name),
                level: Set(input.level),
                province_code: Set(province),
                fiscal_year: Set(year),
                amount_vnd: Set(amount),
                allocated_vnd: Set(0),
                disbursed_vnd: Set(0),
                legal_basis: Set(legal_basis),
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

/// Updates a funding source; the amount never drops below what is allocated.
#[tracing::instrument(name = "funding.update", skip_all, fields(funding_source.id = id.get()))]
pub async fn update(
    db: &impl super::Db,
    ctx: &Ctx,
    id: FundingSourceId,
    expected_version: i32,
    patch: FundingSourcePatch,
) -> Result<funding_source::Model> {
    let actor = ctx.actor()?;
    scope::ensure_writer(actor)?;
    write::run(db, ctx, async |txn| {
        let before = get(txn, ctx, id).await?.ok_or_else(not_found)?;
        let level = before.level;
        if !manages(actor, level, before.province_code.as_deref()) {
            return Err(not_the_owning_level());
        }
        if before.version != expected_version {
            return Err(AppError::stale_version(before.version));
        }
        let mut am = before.clone().into_active_model();
        if let Some(n) = patch.name {
            am.name = Set(validate::required_text("name", &n, 300)?);
        }
        if let Some(l) = patch.legal_basis {
            am.legal_basis = Set(validate::optional_text("legalBasis", Some(l), 1000)?);
        }
        let new_amount = match patch.amount_vnd {
            Some(a) => check_vnd("amountVnd", a, false)?,
            None => before.amount_vnd,
        };
        am.amount_vnd = Set(new_amount);
        // The amount may only fall to what is allocated at the moment of the write.
        let at_least_allocated =
            Condition::all().add(funding_source::Column::AllocatedVnd.lte(new_amount));
        let (after, written) = write::update_if(
            txn,
            am,
            id.get(),
            expected_version,
            Some(at_least_allocated),
            not_found,
        )
        .await?;
        if !written {
            if after.version != expected_version {
                return Err(AppError::stale_version(after.version));
            }
            return Err(below_allocated(after.allocated_vnd));
        }
        let changes = audit::diff(Some(&before), Some(&after));
        let event = write::Event::new("update", subject(&after), changes);
        Ok((after, event))
    })
    .await
}

/// A source the caller may see.
#[tracing::instrument(name = "funding.get", skip_all, fields(funding_source.id = id.get()))]
pub async fn get(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    id: FundingSourceId,
) -> Result<Option<funding_source::Model>> {
    let actor = ctx.actor()?;
    Ok(funding_source::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|m| visible(actor, m)))
}

/// Sources by id, unscoped: an allocation shows its source to whoever may see the project.
#[tracing::instrument(name = "funding.get_many_unscoped", skip_all, fields(count = ids.len()))]
pub async fn get_many_unscoped(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<Vec<funding_source::Model>> {
    Ok(funding_source::Entity::find()
        .filter(funding_source::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// A page of sources.
#[tracing::instrument(name = "funding.list", skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    filter: FundingSourceFilter,
    args: &PageArgs,
) -> Result<Page<funding_source::Entity>> {
    use funding_source::Column as C;
    let actor = ctx.actor()?;
    let mut cond = Condition::all().add(visible_condition(actor));
    if let Some(l) = filter.level {
        cond = cond.add(C::Level.eq(l));
    }
    if let Some(p) = filter.province_code {
        cond = cond.add(C::ProvinceCode.eq(p));
    }
    if let Some(y) = filter.fiscal_year {
        cond = cond.add(C::FiscalYear.eq(y));
    }
    if let Some(t) = filter.updated_since {
        cond = cond.add(C::UpdatedAt.gte(t));
    }
    page::fetch(
        db,
        funding_source::Entity::find().filter(cond),
        C::Id,
        C::UpdatedAt,
        filter.updated_since.is_some(),
        args,
    )
    .await
}

/// Commits `amount` of a source atomically: succeeds only while allocated + amount ≤ amount
/// of the source (one conditional UPDATE, so concurrent requests cannot both pass).
pub async fn reserve(
    db: &impl ConnectionTrait,
    source_id: FundingSourceId,
    amount: i64,
) -> Result<bool> {
    use funding_source::Column as C;
    let res = funding_source::Entity::update_many()
        .col_expr(C::AllocatedVnd, Expr::col(C::AllocatedVnd).add(amount))
        .col_expr(C::UpdatedAt, Expr::value(now()))
        .filter(C::Id.eq(source_id))
        .filter(
            Expr::col(C::AllocatedVnd)
                .add(amount)
                .lte(Expr::col(C::AmountVnd)),
        )
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Returns `amount` to a source (a released allocation).
pub async fn give_back(
    db: &impl ConnectionTrait,
    source_id: FundingSourceId,
    amount: i64,
) -> Result<()> {
    use funding_source::Column as C;
    funding_source::Entity::update_many()
        .col_expr(C::AllocatedVnd, Expr::col(C::AllocatedVnd).sub(amount))
        .col_expr(C::UpdatedAt, Expr::value(now()))
        .filter(C::Id.eq(source_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Adds a disbursement to a source's total.
pub async fn add_disbursed(
    db: &impl ConnectionTrait,
    source_id: FundingSourceId,
    amount: i64,
) -> Result<()> {
    use funding_source::Column as C;
    funding_source::Entity::update_many()
        .col_expr(C::DisbursedVnd, Expr::col(C::DisbursedVnd).add(amount))
        .col_expr(C::UpdatedAt, Expr::value(now()))
        .filter(C::Id.eq(source_id))
        .exec(db)
        .await?;
    Ok(())
}
