//! Rural industrial establishments (cơ sở công nghiệp nông thôn): registration, updates,
//! status, and scoped reads.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};

use crate::kind::{EntityKind, EstablishmentId};
use crate::{
    db::entities::{establishment, product, project, project_beneficiary},
    domain::{
        Ctx, audit, change, now,
        page::{self, Keyed, Page, PageArgs},
        scope,
        validate::{self, Patch},
        write,
    },
    enums::{EstablishmentKind, EstablishmentStatus, Sector},
    error::{AppError, Msg, Result},
    reference::Commune,
    text,
};

/// Entity type name in the audit trail and global ids.
pub const ENTITY: EntityKind = EntityKind::Establishment;

impl Keyed for establishment::Model {
    fn key_id(&self) -> i64 {
        self.id
    }
    fn key_updated(&self) -> chrono::DateTime<chrono::Utc> {
        self.updated_at
    }
}

/// Every editable field of an establishment.
#[derive(Clone, Debug, PartialEq)]
pub struct EstablishmentData {
    /// Name.
    pub name: String,
    /// Legal form.
    pub kind: EstablishmentKind,
    /// Tax code.
    pub tax_code: Option<String>,
    /// Commune code.
    pub commune_code: String,
    /// Address.
    pub address: Option<String>,
    /// In a recognised craft village (làng nghề).
    pub in_craft_village: bool,
    /// Sector.
    pub sector: Sector,
    /// Main products.
    pub main_products: Option<String>,
    /// Employees.
    pub employee_count: Option<i32>,
    /// Founding year.
    pub founded_year: Option<i32>,
    /// Representative.
    pub representative: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Latitude.
    pub latitude: Option<f64>,
    /// Longitude.
    pub longitude: Option<f64>,
    /// Owned by a woman (Decree 235 priority).
    pub women_owned: bool,
    /// Owned by an ethnic minority person (Decree 235 priority).
    pub ethnic_minority_owned: bool,
}

/// An update: every field optional; nullable fields can be cleared.
#[derive(Clone, Debug, Default)]
pub struct EstablishmentPatch {
    /// Name.
    pub name: Patch<String>,
    /// Legal form.
    pub kind: Patch<EstablishmentKind>,
    /// Tax code.
    pub tax_code: Patch<String>,
    /// Commune code (moving the establishment).
    pub commune_code: Patch<String>,
    /// Address.
    pub address: Patch<String>,
    /// In a craft village.
    pub in_craft_village: Patch<bool>,
    /// Sector.
    pub sector: Patch<Sector>,
    /// Main products.
    pub main_products: Patch<String>,
    /// Employees.
    pub employee_count: Patch<i32>,
    /// Founding year.
    pub founded_year: Patch<i32>,
    /// Representative.
    pub representative: Patch<String>,
    /// Phone.
    pub phone: Patch<String>,
    /// E-mail.
    pub email: Patch<String>,
    /// Latitude.
    pub latitude: Patch<f64>,
    /// Longitude.
    pub longitude: Patch<f64>,
    /// Women-owned.
    pub women_owned: Patch<bool>,
    /// Ethnic-minority-owned.
    pub ethnic_minority_owned: Patch<bool>,
}

/// List filters.
#[derive(Clone, Debug, Default)]
pub struct EstablishmentFilter {
    /// Province code.
    pub province_code: Option<String>,
    /// Commune code.
    pub commune_code: Option<String>,
    /// Legal form.
    pub kind: Option<EstablishmentKind>,
    /// Sector.
    pub sector: Option<Sector>,
    /// Status.
    pub status: Option<EstablishmentStatus>,
    /// Text in the name, main products or address (diacritics ignored).
    pub search: Option<String>,
    /// Changed at or after; orders the list oldest change first.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

impl EstablishmentData {
    fn from_model(m: &establishment::Model) -> Self {
        Self {
            name: m.name.clone(),
            kind: m.kind,
            tax_code: m.tax_code.clone(),
            commune_code: m.commune_code.clone(),
            address: m.address.clone(),
            in_craft_village: m.in_craft_village,
            sector: m.sector,
            main_products: m.main_products.clone(),
            employee_count: m.employee_count,
            founded_year: m.founded_year,
            representative: m.representative.clone(),
            phone: m.phone.clone(),
            email: m.email.clone(),
            latitude: m.latitude,
            longitude: m.longitude,
            women_owned: m.women_owned,
            ethnic_minority_owned: m.ethnic_minority_owned,
        }
    }

    /// The data with a patch applied (nothing checked yet).
    pub fn apply(mut self, p: EstablishmentPatch) -> Self {
        self.name = p.name.apply_required(self.name);
        self.kind = p.kind.apply_required(self.kind);
        self.tax_code = p.tax_code.apply(self.tax_code);
        self.commune_code = p.commune_code.apply_required(self.commune_code);
        self.address = p.address.apply(self.address);
        self.in_craft_village = p.in_craft_village.apply_required(self.in_craft_village);
        self.sector = p.sector.apply_required(self.sector);
        self.main_products = p.main_products.apply(self.main_products);
        self.employee_count = p.employee_count.apply(self.employee_count);
        self.founded_year = p.founded_year.apply(self.founded_year);
        self.representative = p.representative.apply(self.representative);
        self.phone = p.phone.apply(self.phone);
        self.email = p.email.apply(self.email);
        self.latitude = p.latitude.apply(self.latitude);
        self.longitude = p.longitude.apply(self.longitude);
        self.women_owned = p.women_owned.apply_required(self.women_owned);
        self.ethnic_minority_owned = p
            .ethnic_minority_owned
            .apply_required(self.ethnic_minority_owned);
        self
    }

    /// Normalises and validates every field; returns the commune.
    fn validate(mut self, ctx: &Ctx) -> Result<(Self, Commune)> {
        self.name = validate::required_text("name", &self.name, 300)?;
        self.tax_code = validate::tax_code(self.tax_code)?;
        self.address = validate::optional_text("address", self.address, 500)?;
        self.main_products = validate::optional_text("mainProducts", self.main_products, 1000)?;
        self.employee_count = validate::count("employeeCount", self.employee_count)?;
        self.founded_year = validate::founded_year(self.founded_year)?;
        self.representative = validate::optional_text("representative", self.representative, 200)?;
        self.phone = validate::phone(self.phone)?;
        self.email = validate::email(self.email)?;
        validate::coordinates(self.latitude, self.longitude)?;
        let commune = validate::commune(&ctx.reference, self.commune_code.trim())?.clone();
        self.commune_code = commune.code.clone();
        Ok((self, commune))
    }

    fn search_text(&self) -> String {
        text::search_text(&[
            Some(&self.name),
            self.main_products.as_deref(),
            self.address.as_deref(),
            self.tax_code.as_deref(),
        ])
    }

    fn write_into(self, am: &mut establishment::ActiveModel, commune: &Commune) {
        am.search_text = Set(self.search_text());
        am.name = Set(self.name);
        am.kind = Set(self.kind);
        am.tax_code = Set(self.tax_code);
        am.commune_code = Set(commune.code.clone());
        am.province_code = Set(commune.province_code.clone());
        am.address = Set(self.address);
        am.in_craft_village = Set(self.in_craft_village);
        am.sector = Set(self.sector);
        am.main_products = Set(self.main_products);
        am.employee_count = Set(self.employee_count);
        am.founded_year = Set(self.founded_year);
        am.representative = Set(self.representative);
        am.phone = Set(self.phone);
        am.email = Set(self.email);
        am.latitude = Set(self.latitude);
        am.longitude = Set(self.longitude);
        am.women_owned = Set(self.women_owned);
        am.ethnic_minority_owned = Set(self.ethnic_minority_owned);
    }
}

async fn ensure_tax_code_free(
    db: &impl ConnectionTrait,
    tax_code: Option<&str>,
    except_id: Option<i64>,
) -> Result<()> {
    let Some(code) = tax_code else {
        return Ok(());
    };
    let mut q = establishment::Entity::find().filter(establishment::Column::TaxCode.eq(code));
    if let Some(id) = except_id {
        q = q.filter(establishment::Column::Id.ne(id));
    }
    if q.one(db).await?.is_some() {
        return Err(AppError {
            field: Some("taxCode".into()),
            ..AppError::conflict(Msg::new(
                format!("An establishment with tax code {code} is already registered."),
                format!("Đã có cơ sở đăng ký mã số thuế {code}."),
            ))
        });
    }
    Ok(())
}

const CREATE_OP: &str = "createEstablishment";

/// Registers an establishment in a commune of the caller's area.
#[tracing::instrument(name = "establishment.create", skip_all, fields(commune.code = %data.commune_code))]
pub async fn create(
    db: &impl super::Db,
    ctx: &Ctx,
    data: EstablishmentData,
    idempotency_key: Option<String>,
) -> Result<establishment::Model> {
    let actor = ctx.actor()?;
    scope::ensure_writer(actor)?;
    let create = write::Create::<establishment::Entity>::new(
        actor,
        CREATE_OP,
        idempotency_key.as_deref(),
        not_found,
    );
    if let Some(first) = create.replay(db).await? {
        return Ok(first);
    }
    let (data, commune) = check_new(ctx, data)?;
    create
        .run(db, ctx, async |txn| insert(txn, data, &commune).await)
        .await
}

/// The checks of `createEstablishment` that need no database: the fields, the commune and
/// the caller's area. Returns the normalised data and its commune.
pub fn check_new(ctx: &Ctx, data: EstablishmentData) -> Result<(EstablishmentData, Commune)> {
    let actor = ctx.actor()?;
    scope::ensure_writer(actor)?;
    let (data, commune) = data.validate(ctx)?;
    scope::ensure_commune_in_area(actor, &commune)?;
    Ok((data, commune))
}

/// Writes an establishment that passed [`check_new`] inside `txn`: the tax code must be
/// free, and the creation is audited. Used by `createEstablishment` and the importer.
pub async fn insert_checked(
    txn: &impl ConnectionTrait,
    ctx: &Ctx,
    data: EstablishmentData,
    commune: &Commune,
) -> Result<establishment::Model> {
    let (model, event) = insert(txn, data, commune).await?;
    event.record(txn, ctx).await?;
    Ok(model)
}

/// The rules of a new establishment: its tax code is free.
async fn insert(
    txn: &impl ConnectionTrait,
    data: EstablishmentData,
    commune: &Commune,
) -> Result<(establishment::Model, write::Event)> {
    ensure_tax_code_free(txn, data.tax_code.as_deref(), None).await?;
    let t = now();
    let mut am = establishment::ActiveModel {
        status: Set(EstablishmentStatus::Active),
        version: Set(1),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    };
    data.write_into(&mut am, commune);
    let model = am.insert(txn).await?;
    let event = write::Event::new("create", subject(&model), audit::diff(None, Some(&model)));
    Ok((model, event))
}

/// Writes many establishments that passed [`check_new`] and whose tax codes the caller has
/// checked are free (the importer loads every tax code of its file first): one multi-row
/// INSERT, then their audit events and change-feed entries in one INSERT each.
pub async fn insert_many_checked(
    txn: &impl ConnectionTrait,
    ctx: &Ctx,
    rows: Vec<(EstablishmentData, Commune)>,
) -> Result<Vec<establishment::Model>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let t = now();
    let models: Vec<establishment::ActiveModel> = rows
        .into_iter()
        .map(|(data, commune)| {
            let mut am = establishment::ActiveModel {
                status: Set(EstablishmentStatus::Active),
                version: Set(1),
                created_at: Set(t),
                updated_at: Set(t),
                ..Default::default()
            };
            data.write_into(&mut am, &commune);
            am
        })
        .collect();
    let created = establishment::Entity::insert_many(models)
        .exec_with_returning(txn)
        .await?;
    let events: Vec<(audit::Subject<'_>, serde_json::Value)> = created
        .iter()
        .map(|m| (subject(m), audit::diff(None, Some(m))))
        .collect();
    audit::record_created(txn, ctx, &events).await?;
    Ok(created)
}

/// A blank establishment for the importer to fill from a row (the required fields are
/// checked by [`check_new`] and by the importer's required columns).
pub fn blank(kind: EstablishmentKind, sector: Sector) -> EstablishmentData {
    EstablishmentData {
        name: String::new(),
        kind,
        tax_code: None,
        commune_code: String::new(),
        address: None,
        in_craft_village: false,
        sector,
        main_products: None,
        employee_count: None,
        founded_year: None,
        representative: None,
        phone: None,
        email: None,
        latitude: None,
        longitude: None,
        women_owned: false,
        ethnic_minority_owned: false,
    }
}

/// Applies `patch` to `before` inside `txn` with the rules of `updateEstablishment` (the
/// caller must see it; a move stays in the area; the tax code stays unique). Returns `None`
/// and writes nothing when the patch changes nothing (an import of the same file twice).
pub async fn update_checked(
    txn: &impl ConnectionTrait,
    ctx: &Ctx,
    before: &establishment::Model,
    patch: EstablishmentPatch,
) -> Result<Option<establishment::Model>> {
    let actor = ctx.actor()?;
    scope::ensure_writer(actor)?;
    if !scope::covers(actor, &before.province_code, Some(&before.commune_code)) {
        return Err(not_found());
    }
    let current = EstablishmentData::from_model(before);
    let (data, commune) = current.clone().apply(patch).validate(ctx)?;
    if data == current {
        return Ok(None);
    }
    let (after, event) = apply_update(txn, ctx, before, data, &commune).await?;
    event.record(txn, ctx).await?;
    Ok(Some(after))
}

/// The checked part of an update: area, tax code, write, products moved.
async fn apply_update(
    txn: &impl ConnectionTrait,
    ctx: &Ctx,
    before: &establishment::Model,
    data: EstablishmentData,
    commune: &Commune,
) -> Result<(establishment::Model, write::Event)> {
    let actor = ctx.actor()?;
    let id = before.id;
    if commune.code != before.commune_code {
        scope::ensure_commune_in_area(actor, commune)?;
    }
    if data.tax_code != before.tax_code {
        ensure_tax_code_free(txn, data.tax_code.as_deref(), Some(id)).await?;
    }
    let projects = if commune.code != before.commune_code {
        ProjectsInSight::before_move(txn, id, &commune.code).await?
    } else {
        ProjectsInSight::default()
    };
    let mut am = before.clone().into_active_model();
    data.write_into(&mut am, commune);
    let after = write::save_versioned(txn, am, id, before.version, not_found).await?;
    let from = change::Place {
        province_code: Some(&before.province_code),
        commune_code: Some(&before.commune_code),
    };
    let place = change::Place {
        province_code: Some(&after.province_code),
        commune_code: Some(&after.commune_code),
    };
    let mut touched = change::Touched::default();
    if after.commune_code != before.commune_code {
        // Products carry their establishment's place for area filters; they move with it,
        // and each one that moves reaches the change feed.
        let moved: Vec<(i64, i32)> = product::Entity::find()
            .select_only()
            .column(product::Column::Id)
            .column(product::Column::Version)
            .filter(product::Column::EstablishmentId.eq(id))
            .order_by_asc(product::Column::Id)
            .into_tuple()
            .all(txn)
            .await?;
        for (p, version) in moved {
            // A product's place is its establishment's: it leaves the same area.
            touched.add_moved(EntityKind::Product, p, Some(version), place, from);
        }
        product::Entity::update_many()
            .col_expr(
                product::Column::CommuneCode,
                Expr::value(after.commune_code.clone()),
            )
            .col_expr(
                product::Column::ProvinceCode,
                Expr::value(after.province_code.clone()),
            )
            .col_expr(product::Column::UpdatedAt, Expr::value(after.updated_at))
            .filter(product::Column::EstablishmentId.eq(id))
            .exec(txn)
            .await?;
        projects
            .after_move(txn, &before.commune_code, &after.commune_code, &mut touched)
            .await?;
    }
    let event = write::Event::new(
        "update",
        subject(&after),
        audit::diff(Some(before), Some(&after)),
    )
    .moved_from(from)
    .touching(touched);
    Ok((after, event))
}

/// The projects a moving establishment benefits from. A commune sees the projects that
/// benefit one of its establishments, so a move can take a project out of the old commune's
/// sight and into the new one's while the project stays where it is: each such project
/// reaches the change feed once, naming the old commune when it no longer sees the project
/// (see `change`, "A project leaving a commune's sight"); the new commune reads the change
/// with the project.
#[derive(Default)]
struct ProjectsInSight {
    /// The projects the establishment benefits from.
    ids: Vec<i64>,
    /// Those the new commune saw before the move.
    seen_by_new_commune: std::collections::HashSet<i64>,
}

impl ProjectsInSight {
    /// Before the establishment `id` moves to `new_commune`.
    async fn before_move(
        txn: &impl ConnectionTrait,
        id: i64,
        new_commune: &str,
    ) -> Result<ProjectsInSight> {
        let ids: Vec<i64> = project_beneficiary::Entity::find()
            .select_only()
            .column(project_beneficiary::Column::ProjectId)
            .filter(project_beneficiary::Column::EstablishmentId.eq(id))
            .order_by_asc(project_beneficiary::Column::ProjectId)
            .into_tuple()
            .all(txn)
            .await?;
        if txn.get_database_backend() == DatabaseBackend::Postgres && !ids.is_empty() {
            // Who sees a project is decided under the project's row lock, which every other
            // change of its beneficiaries or its commune holds as well (each updates the
            // project): of two such changes racing, the later one finds the earlier one's
            // result, so a commune that loses its last beneficiary there by a removal and a
            // move at once is still told once. In id order, so that two moves never deadlock.
            // SQLite serialises writers.
            project::Entity::find()
                .select_only()
                .column(project::Column::Id)
                .filter(project::Column::Id.is_in(ids.iter().copied()))
                .order_by_asc(project::Column::Id)
                .lock_exclusive()
                .into_tuple::<i64>()
                .all(txn)
                .await?;
        }
        let seen_by_new_commune = scope::ProjectArea::Commune(new_commune.to_owned())
            .among(txn, &ids)
            .await?;
        Ok(ProjectsInSight {
            ids,
            seen_by_new_commune,
        })
    }

    /// After the move from `old_commune` to `new_commune`: notes in `touched` the projects
    /// that the old commune no longer sees or the new one sees for the first time.
    async fn after_move(
        self,
        txn: &impl ConnectionTrait,
        old_commune: &str,
        new_commune: &str,
        touched: &mut change::Touched,
    ) -> Result<()> {
        if self.ids.is_empty() {
            return Ok(());
        }
        let seen_by_old = scope::ProjectArea::Commune(old_commune.to_owned())
            .among(txn, &self.ids)
            .await?;
        let seen_by_new = scope::ProjectArea::Commune(new_commune.to_owned())
            .among(txn, &self.ids)
            .await?;
        let changed: Vec<i64> = self
            .ids
            .iter()
            .copied()
            .filter(|p| {
                !seen_by_old.contains(p)
                    || (seen_by_new.contains(p) && !self.seen_by_new_commune.contains(p))
            })
            .collect();
        if changed.is_empty() {
            return Ok(());
        }
        for p in project::Entity::find()
            .filter(project::Column::Id.is_in(changed))
            .order_by_asc(project::Column::Id)
            .all(txn)
            .await?
        {
            let place = change::Place {
                province_code: Some(&p.province_code),
                commune_code: p.commune_code.as_deref(),
            };
            let left = (!seen_by_old.contains(&p.id)).then_some(old_commune);
            touched.add_seen_elsewhere(EntityKind::Project, p.id, Some(p.version), place, left);
        }
        Ok(())
    }
}

fn subject(m: &establishment::Model) -> audit::Subject<'_> {
    audit::Subject {
        entity_type: ENTITY,
        entity_id: m.id,
        province_code: Some(&m.province_code),
        commune_code: Some(&m.commune_code),
    }
}

fn not_found() -> AppError {
    AppError::not_found("establishment", "cơ sở")
}

/// Loads an establishment the caller may see, or `NOT_FOUND`.
pub async fn find_in_scope(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    id: EstablishmentId,
) -> Result<establishment::Model> {
    get(db, ctx, id).await?.ok_or_else(not_found)
}

fn check_version(m: &establishment::Model, expected: i32) -> Result<()> {
    if m.version != expected {
        return Err(AppError::stale_version(m.version));
    }
    Ok(())
}

/// Updates an establishment; moving it to another commune keeps it inside the area.
#[tracing::instrument(name = "establishment.update", skip_all, fields(establishment.id = id.get()))]
pub async fn update(
    db: &impl super::Db,
    ctx: &Ctx,
    id: EstablishmentId,
    expected_version: i32,
    patch: EstablishmentPatch,
) -> Result<establishment::Model> {
    let actor = ctx.actor()?;
    scope::ensure_writer(actor)?;
    write::run(db, ctx, async |txn| {
        let before = find_in_scope(txn, ctx, id).await?;
        check_version(&before, expected_version)?;
        let (data, commune) = EstablishmentData::from_model(&before)
            .apply(patch)
            .validate(ctx)?;
        apply_update(txn, ctx, &before, data, &commune).await
    })
    .await
}

/// Suspends, closes or reopens an establishment (nothing is ever deleted).
#[tracing::instrument(name = "establishment.set_status", skip_all, fields(establishment.id = id.get(), status = ?status))]
pub async fn set_status(
    db: &impl super::Db,
    ctx: &Ctx,
    id: EstablishmentId,
    expected_version: i32,
    status: EstablishmentStatus,
    reason: Option<String>,
) -> Result<establishment::Model> {
    let actor = ctx.actor()?;
    scope::ensure_writer(actor)?;
    let reason = validate::optional_text("reason", reason, 1000)?;
    write::run(db, ctx, async |txn| {
        let before = find_in_scope(txn, ctx, id).await?;
        check_version(&before, expected_version)?;
        let mut am = before.clone().into_active_model();
        am.status = Set(status);
        am.status_reason = Set(reason);
        let after = write::save_versioned(txn, am, id.get(), expected_version, not_found).await?;
        let changes = audit::diff(Some(&before), Some(&after));
        let event = write::Event::new("setStatus", subject(&after), changes);
        Ok((after, event))
    })
    .await
}

/// An establishment the caller may see, or `None`.
#[tracing::instrument(name = "establishment.get", skip_all, fields(establishment.id = id.get()))]
pub async fn get(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    id: EstablishmentId,
) -> Result<Option<establishment::Model>> {
    let actor = ctx.actor()?;
    Ok(establishment::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|m| scope::covers(actor, &m.province_code, Some(&m.commune_code))))
}

/// Establishments by id, keeping those the caller may see (for DataLoaders).
#[tracing::instrument(name = "establishment.get_many", skip_all, fields(count = ids.len()))]
pub async fn get_many(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    ids: &[i64],
) -> Result<Vec<establishment::Model>> {
    let actor = ctx.actor()?;
    Ok(establishment::Entity::find()
        .filter(establishment::Column::Id.is_in(ids.iter().copied()))
        .filter(scope::area_condition(
            actor,
            establishment::Column::ProvinceCode,
            establishment::Column::CommuneCode,
        ))
        .all(db)
        .await?)
}

/// A page of the establishments the caller may see.
#[tracing::instrument(name = "establishment.list", skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    filter: EstablishmentFilter,
    args: &PageArgs,
) -> Result<Page<establishment::Entity>> {
    use establishment::Column as C;
    let actor = ctx.actor()?;
    let mut cond = scope::area_condition(actor, C::ProvinceCode, C::CommuneCode);
    if let Some(p) = filter.province_code {
        cond = cond.add(C::ProvinceCode.eq(p));
    }
    if let Some(c) = filter.commune_code {
        cond = cond.add(C::CommuneCode.eq(c));
    }
    if let Some(k) = filter.kind {
        cond = cond.add(C::Kind.eq(k));
    }
    if let Some(s) = filter.sector {
        cond = cond.add(C::Sector.eq(s));
    }
    if let Some(s) = filter.status {
        cond = cond.add(C::Status.eq(s));
    }
    if let Some(term) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        validate::required_text("search", term, 200)?;
        cond = cond.add(super::page::search_condition(C::SearchText, term));
    }
    if let Some(t) = filter.updated_since {
        cond = cond.add(C::UpdatedAt.gte(t));
    }
    let select = establishment::Entity::find().filter(cond);
    page::fetch(
        db,
        select,
        C::Id,
        C::UpdatedAt,
        filter.updated_since.is_some(),
        args,
    )
    .await
}
