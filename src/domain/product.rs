//! Products of establishments: registered once, nominated in selections, rated in OCOP.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder,
};

use crate::kind::{EntityKind, EstablishmentId, ProductId};
use crate::{
    db::entities::{establishment, product},
    domain::{
        Ctx, audit,
        establishment::find_in_scope as find_establishment,
        now,
        page::search_condition,
        page::{self, Keyed, Page, PageArgs},
        scope,
        validate::{self, Patch},
        write,
    },
    enums::{EstablishmentStatus, OcopProductGroup, SelectionProductGroup},
    error::{AppError, Msg, Result},
    text,
};

/// Entity type name in the audit trail and global ids.
pub const ENTITY: EntityKind = EntityKind::Product;
const CREATE_OP: &str = "createProduct";

impl Keyed for product::Model {
    fn key_id(&self) -> i64 {
        self.id
    }
    fn key_updated(&self) -> chrono::DateTime<chrono::Utc> {
        self.updated_at
    }
}

/// A new product.
#[derive(Clone, Debug)]
pub struct NewProduct {
    /// The establishment's id.
    pub establishment_id: EstablishmentId,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Brand or trademark.
    pub brand: Option<String>,
    /// Group in the selection.
    pub selection_group: Option<SelectionProductGroup>,
    /// Group in OCOP.
    pub ocop_group: Option<OcopProductGroup>,
}

/// An update of a product.
#[derive(Clone, Debug, Default)]
pub struct ProductPatch {
    /// Name.
    pub name: Patch<String>,
    /// Description.
    pub description: Patch<String>,
    /// Brand.
    pub brand: Patch<String>,
    /// Selection group.
    pub selection_group: Patch<SelectionProductGroup>,
    /// OCOP group.
    pub ocop_group: Patch<OcopProductGroup>,
}

/// List filters.
#[derive(Clone, Debug, Default)]
pub struct ProductFilter {
    /// Province code.
    pub province_code: Option<String>,
    /// Commune code.
    pub commune_code: Option<String>,
    /// Establishment id.
    pub establishment_id: Option<EstablishmentId>,
    /// Text in the name, description or brand.
    pub search: Option<String>,
    /// With a valid OCOP certificate of at least this many stars.
    pub min_ocop_stars: Option<i32>,
    /// Changed at or after; orders the list oldest change first.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

struct Fields {
    name: String,
    description: Option<String>,
    brand: Option<String>,
}

fn validated(name: &str, description: Option<String>, brand: Option<String>) -> Result<Fields> {
    Ok(Fields {
        name: validate::required_text("name", name, 300)?,
        description: validate::optional_text("description", description, 5000)?,
        brand: validate::optional_text("brand", brand, 200)?,
    })
}

fn search_text(f: &Fields) -> String {
    text::search_text(&[Some(&f.name), f.brand.as_deref(), f.description.as_deref()])
}

fn subject(m: &product::Model) -> audit::Subject<'_> {
    audit::Subject {
        entity_type: ENTITY,
        entity_id: m.id,
        province_code: Some(&m.province_code),
        commune_code: Some(&m.commune_code),
    }
}

fn not_found() -> AppError {
    AppError::not_found("product", "sản phẩm")
}

/// Registers a product of an establishment the caller may see.
#[tracing::instrument(name = "product.create", skip_all, fields(establishment.id = input.establishment_id.get()))]
pub async fn create(
    db: &impl super::Db,
    ctx: &Ctx,
    input: NewProduct,
    idempotency_key: Option<String>,
) -> Result<product::Model> {
    let actor = ctx.actor()?;
    scope::ensure_writer(actor)?;
    let create = write::Create::<product::Entity>::new(
        actor,
        CREATE_OP,
        idempotency_key.as_deref(),
        not_found,
    );
    if let Some(first) = create.replay(db).await? {
        return Ok(first);
    }
    let fields = validated(&input.name, input.description.clone(), input.brand.clone())?;
    let est = find_establishment(db, ctx, input.establishment_id).await?;
    ensure_open(&est)?;
    create
        .run(db, ctx, async |txn| {
            insert_in(txn, &est, fields, &input).await
        })
        .await
}

fn ensure_open(est: &establishment::Model) -> Result<()> {
    if est.status == EstablishmentStatus::Closed {
        return Err(AppError::bad_input(
            "establishmentId",
            Msg::new(
                "The establishment is closed; reopen it before adding products.",
                "Cơ sở đã đóng cửa; hãy mở lại trước khi thêm sản phẩm.",
            ),
        ));
    }
    Ok(())
}

async fn insert_in(
    txn: &impl ConnectionTrait,
    est: &establishment::Model,
    fields: Fields,
    input: &NewProduct,
) -> Result<(product::Model, write::Event)> {
    let t = now();
    let model = product::ActiveModel {
        establishment_id: Set(est.id),
        commune_code: Set(est.commune_code.clone()),
        province_code: Set(est.province_code.clone()),
        search_text: Set(search_text(&fields)),
        name: Set(fields.name),
        description: Set(fields.description),
        brand: Set(fields.brand),
        selection_group: Set(input.selection_group),
        ocop_group: Set(input.ocop_group),
        version: Set(1),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let event = write::Event::new("create", subject(&model), audit::diff(None, Some(&model)));
    Ok((model, event))
}

/// What writing one imported product did.
pub enum Written {
    /// A new product.
    Created(product::Model),
    /// An existing product changed.
    Updated(product::Model),
    /// The product was already as the row says.
    Unchanged,
}

/// Creates a product, or updates `existing` (the establishment's product of the same name),
/// inside `txn` with the rules of `createProduct` and `updateProduct`: the caller must see
/// the establishment, it must be open, the fields are checked the same way. Used by the
/// importer; an unchanged product is not written.
pub async fn write_imported(
    txn: &impl ConnectionTrait,
    ctx: &Ctx,
    est: &establishment::Model,
    existing: Option<&product::Model>,
    input: NewProduct,
) -> Result<Written> {
    let actor = ctx.actor()?;
    scope::ensure_writer(actor)?;
    if !scope::covers(actor, &est.province_code, Some(&est.commune_code)) {
        return Err(AppError::not_found("establishment", "cơ sở"));
    }
    let fields = validated(&input.name, input.description.clone(), input.brand.clone())?;
    let Some(before) = existing else {
        ensure_open(est)?;
        let (model, event) = insert_in(txn, est, fields, &input).await?;
        event.record(txn, ctx).await?;
        return Ok(Written::Created(model));
    };
    let (selection_group, ocop_group) = (input.selection_group, input.ocop_group);
    if before.name == fields.name
        && before.description == fields.description
        && before.brand == fields.brand
        && before.selection_group == selection_group
        && before.ocop_group == ocop_group
    {
        return Ok(Written::Unchanged);
    }
    let mut am = before.clone().into_active_model();
    am.search_text = Set(search_text(&fields));
    am.name = Set(fields.name);
    am.description = Set(fields.description);
    am.brand = Set(fields.brand);
    am.selection_group = Set(selection_group);
    am.ocop_group = Set(ocop_group);
    let after = write::save_versioned(txn, am, before.id, before.version, not_found).await?;
    audit::record(
        txn,
        ctx,
        "update",
        subject(&after),
        audit::diff(Some(before), Some(&after)),
    )
    .await?;
    Ok(Written::Updated(after))
}

/// Updates a product.
#[tracing::instrument(name = "product.update", skip_all, fields(product.id = id.get()))]
pub async fn update(
    db: &impl super::Db,
    ctx: &Ctx,
    id: ProductId,
    expected_version: i32,
    patch: ProductPatch,
) -> Result<product::Model> {
    let actor = ctx.actor()?;
    scope::ensure_writer(actor)?;
    write::run(db, ctx, async |txn| {
        let before = get(txn, ctx, id).await?.ok_or_else(not_found)?;
        if before.version != expected_version {
            return Err(AppError::stale_version(before.version));
        }
        let fields = validated(
            &patch.name.apply_required(before.name.clone()),
            patch.description.apply(before.description.clone()),
            patch.brand.apply(before.brand.clone()),
        )?;
        let mut am = before.clone().into_active_model();
        am.search_text = Set(search_text(&fields));
        am.name = Set(fields.name);
        am.description = Set(fields.description);
        am.brand = Set(fields.brand);
        am.selection_group = Set(patch.selection_group.apply(before.selection_group));
        am.ocop_group = Set(patch.ocop_group.apply(before.ocop_group));
        let after = write::save_versioned(txn, am, id.get(), expected_version, not_found).await?;
        let changes = audit::diff(Some(&before), Some(&after));
        let event = write::Event::new("update", subject(&after), changes);
        Ok((after, event))
    })
    .await
}

/// A product the caller may see, or `None`.
#[tracing::instrument(name = "product.get", skip_all, fields(product.id = id.get()))]
pub async fn get(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    id: ProductId,
) -> Result<Option<product::Model>> {
    let actor = ctx.actor()?;
    Ok(product::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|m| scope::covers(actor, &m.province_code, Some(&m.commune_code))))
}

/// The products of several establishments, in id order (for DataLoaders).
#[tracing::instrument(name = "product.of_establishments", skip_all, fields(count = establishment_ids.len()))]
pub async fn of_establishments(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    establishment_ids: &[i64],
) -> Result<Vec<product::Model>> {
    let actor = ctx.actor()?;
    Ok(product::Entity::find()
        .filter(product::Column::EstablishmentId.is_in(establishment_ids.iter().copied()))
        .filter(scope::area_condition(
            actor,
            product::Column::ProvinceCode,
            product::Column::CommuneCode,
        ))
        .order_by_asc(product::Column::Id)
        .all(db)
        .await?)
}

/// A page of the products the caller may see.
#[tracing::instrument(name = "product.list", skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    filter: ProductFilter,
    args: &PageArgs,
) -> Result<Page<product::Entity>> {
    use product::Column as C;
    let actor = ctx.actor()?;
    let mut cond = scope::area_condition(actor, C::ProvinceCode, C::CommuneCode);
    if let Some(p) = filter.province_code {
        cond = cond.add(C::ProvinceCode.eq(p));
    }
    if let Some(c) = filter.commune_code {
        cond = cond.add(C::CommuneCode.eq(c));
    }
    if let Some(e) = filter.establishment_id {
        cond = cond.add(C::EstablishmentId.eq(e));
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
    if let Some(s) = filter.min_ocop_stars {
        if !(1..=5).contains(&s) {
            return Err(AppError::bad_input(
                "minOcopStars",
                Msg::new("Stars run from 1 to 5.", "Số sao từ 1 đến 5."),
            ));
        }
        cond = cond.add(crate::domain::catalog::certified_condition(Some(s)));
    }
    if let Some(t) = filter.updated_since {
        cond = cond.add(C::UpdatedAt.gte(t));
    }
    page::fetch(
        db,
        product::Entity::find().filter(cond),
        C::Id,
        C::UpdatedAt,
        filter.updated_since.is_some(),
        args,
    )
    .await
}
