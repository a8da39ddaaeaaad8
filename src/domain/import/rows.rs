//! One row to one record: the establishments a file refers to (by tax code, or by commune and
//! name), new establishments batched into multi-row inserts, and each row matched, checked
//! and written through the domain functions.

use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::{
    cells::{
        Layout, RowErrors, bool_cell, commune_code, enum_cell, number_cell, required, row_commune,
        text_patch,
    },
    columns::{KIND_LABELS, OCOP_GROUP_LABELS, SECTOR_LABELS, SELECTION_GROUP_LABELS},
};
use crate::{
    db::entities::{establishment as est_row, product as product_row},
    domain::{
        Ctx,
        establishment::{self, EstablishmentPatch},
        product, scope,
        validate::Patch,
    },
    enums::{EstablishmentKind, OcopProductGroup, Sector, SelectionProductGroup},
    error::{AppError, Code, Msg, Result},
    text::fold,
};

pub(super) fn establishment_patch(
    ctx: &Ctx,
    layout: &Layout,
    cells: &[String],
    errs: &mut RowErrors<'_>,
) -> EstablishmentPatch {
    let t = |k: &str| text_patch(layout.cell(cells, k));
    let commune = row_commune(ctx, layout, cells, errs);
    EstablishmentPatch {
        name: t("name"),
        kind: enum_cell(
            errs,
            "kind",
            layout.cell(cells, "kind"),
            KIND_LABELS,
            EstablishmentKind::as_str,
        ),
        tax_code: t("taxCode"),
        commune_code: commune.map(Patch::Set).unwrap_or_default(),
        address: t("address"),
        in_craft_village: bool_cell(errs, "inCraftVillage", layout.cell(cells, "inCraftVillage")),
        sector: enum_cell(
            errs,
            "sector",
            layout.cell(cells, "sector"),
            SECTOR_LABELS,
            Sector::as_str,
        ),
        main_products: t("mainProducts"),
        employee_count: number_cell(errs, "employeeCount", layout.cell(cells, "employeeCount")),
        founded_year: number_cell(errs, "foundedYear", layout.cell(cells, "foundedYear")),
        representative: t("representative"),
        phone: t("phone"),
        email: t("email"),
        latitude: number_cell(errs, "latitude", layout.cell(cells, "latitude")),
        longitude: number_cell(errs, "longitude", layout.cell(cells, "longitude")),
        women_owned: bool_cell(errs, "womenOwned", layout.cell(cells, "womenOwned")),
        ethnic_minority_owned: bool_cell(
            errs,
            "ethnicMinorityOwned",
            layout.cell(cells, "ethnicMinorityOwned"),
        ),
    }
}

/// Loads in chunks the rows whose `col` is one of `values`.
async fn load_in<E, C>(
    db: &impl ConnectionTrait,
    col: C,
    values: Vec<String>,
) -> Result<Vec<E::Model>>
where
    E: EntityTrait,
    C: ColumnTrait,
{
    let mut out = Vec::new();
    for chunk in values.chunks(500) {
        out.extend(
            E::find()
                .filter(col.is_in(chunk.iter().cloned()))
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

fn name_key(commune: &str, name: &str) -> (String, String) {
    (commune.to_owned(), fold(name))
}

/// New establishments waiting for their multi-row INSERT, and their (commune, folded name)
/// keys so that a later row naming one of them finds it written.
#[derive(Default)]
pub(super) struct Pending {
    pub(super) rows: Vec<(establishment::EstablishmentData, crate::reference::Commune)>,
    names: HashSet<(String, String)>,
}

/// New establishments written per INSERT.
pub(super) const BATCH_ROWS: usize = 500;

/// Writes the pending establishments (with their audit events and change-feed entries).
pub(super) async fn flush(
    txn: &impl ConnectionTrait,
    ctx: &Ctx,
    pending: &mut Pending,
    known: &mut Known,
) -> Result<()> {
    let rows = std::mem::take(&mut pending.rows);
    pending.names.clear();
    for m in establishment::insert_many_checked(txn, ctx, rows).await? {
        known.remember(&m);
    }
    Ok(())
}

/// The establishments a file may refer to, by tax code and by (commune, folded name).
#[derive(Default)]
pub(super) struct Known {
    pub(super) by_tax: HashMap<String, est_row::Model>,
    pub(super) by_name: HashMap<(String, String), est_row::Model>,
}

impl Known {
    pub(super) async fn load(
        db: &impl ConnectionTrait,
        tax_codes: Vec<String>,
        communes: Vec<String>,
    ) -> Result<Self> {
        let mut k = Known::default();
        for m in load_in::<est_row::Entity, _>(db, est_row::Column::TaxCode, tax_codes).await? {
            if let Some(t) = m.tax_code.clone() {
                k.by_tax.insert(t, m);
            }
        }
        for m in load_in::<est_row::Entity, _>(db, est_row::Column::CommuneCode, communes).await? {
            k.by_name
                .entry(name_key(&m.commune_code, &m.name))
                .or_insert(m);
        }
        Ok(k)
    }

    fn remember(&mut self, m: &est_row::Model) {
        if let Some(t) = &m.tax_code {
            self.by_tax.insert(t.clone(), m.clone());
        }
        self.by_name
            .insert(name_key(&m.commune_code, &m.name), m.clone());
    }

    fn find(
        &self,
        tax_code: Option<&str>,
        commune: Option<&str>,
        name: Option<&str>,
    ) -> Option<&est_row::Model> {
        if let Some(t) = tax_code.filter(|t| !t.is_empty()) {
            return self.by_tax.get(t);
        }
        match (commune, name) {
            (Some(c), Some(n)) if !n.is_empty() => self.by_name.get(&name_key(c, n)),
            _ => None,
        }
    }
}

pub(super) enum Outcome {
    Created,
    Updated,
    Unchanged,
    Failed,
}

/// A domain error becomes a row error; a database failure ends the whole import (the
/// transaction may no longer be usable).
fn row_failed(errs: &mut RowErrors<'_>, e: AppError) -> Result<Outcome> {
    if e.code == Code::Internal {
        return Err(e);
    }
    errs.push_app(e);
    Ok(Outcome::Failed)
}

fn duplicate(errs: &mut RowErrors<'_>, seen: &mut HashMap<String, u32>, key: String) -> bool {
    if let Some(first) = seen.get(&key) {
        errs.push(
            None,
            "DUPLICATE_ROW",
            Msg::new(
                format!("This row describes the same record as row {first}."),
                format!("Dòng này trùng bản ghi với dòng {first}."),
            ),
        );
        return true;
    }
    seen.insert(key, errs.row);
    false
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn establishment_row(
    txn: &impl ConnectionTrait,
    ctx: &Ctx,
    layout: &Layout,
    cells: &[String],
    errs: &mut RowErrors<'_>,
    known: &mut Known,
    seen: &mut HashMap<String, u32>,
    pending: &mut Pending,
) -> Result<Outcome> {
    let actor = ctx.actor()?;
    let patch = establishment_patch(ctx, layout, cells, errs);
    if !errs.errors.is_empty() {
        return Ok(Outcome::Failed);
    }
    let tax = layout.cell(cells, "taxCode").filter(|t| !t.is_empty());
    let name = layout.cell(cells, "name").unwrap_or("");
    let commune = match &patch.commune_code {
        Patch::Set(c) => Some(c.clone()),
        _ => None,
    };
    let dup_key = match (tax, &commune) {
        (Some(t), _) => format!("t:{t}"),
        (None, Some(c)) => format!("n:{c}:{}", fold(name)),
        (None, None) => format!("r:{}", errs.row),
    };
    if duplicate(errs, seen, dup_key) {
        return Ok(Outcome::Failed);
    }
    if let Some(c) = &commune
        && pending.names.contains(&name_key(c, name))
    {
        // A row naming an establishment created earlier in the file: write it first.
        flush(txn, ctx, pending, known).await?;
    }
    if let Some(existing) = known.find(tax, commune.as_deref(), Some(name)).cloned() {
        if !scope::covers(actor, &existing.province_code, Some(&existing.commune_code)) {
            errs.push(
                tax.map(|_| "taxCode").or(Some("name")),
                Code::Forbidden.as_str(),
                Msg::new(
                    "This establishment is registered outside your area; its office must update it.",
                    "Cơ sở này đăng ký ngoài địa bàn của bạn; cơ quan quản lý nơi đó cập nhật.",
                ),
            );
            return Ok(Outcome::Failed);
        }
        return match establishment::update_checked(txn, ctx, &existing, patch).await {
            Ok(Some(after)) => {
                known.remember(&after);
                Ok(Outcome::Updated)
            }
            Ok(None) => Ok(Outcome::Unchanged),
            Err(e) => row_failed(errs, e),
        };
    }
    let (Patch::Set(kind), Patch::Set(sector)) = (&patch.kind, &patch.sector) else {
        if !matches!(patch.kind, Patch::Set(_)) {
            required(errs, "kind");
        }
        if !matches!(patch.sector, Patch::Set(_)) {
            required(errs, "sector");
        }
        return Ok(Outcome::Failed);
    };
    if commune.is_none() {
        required(errs, "communeCode");
        return Ok(Outcome::Failed);
    }
    let key = commune.as_deref().map(|c| name_key(c, name));
    let data = establishment::blank(*kind, *sector).apply(patch);
    let (data, commune) = match establishment::check_new(ctx, data) {
        Ok(x) => x,
        Err(e) => return row_failed(errs, e),
    };
    // The tax code is free: every establishment with a tax code of the file was loaded into
    // `known` and duplicates within the file are refused. The row is written with the next
    // batch (one INSERT per 500 rows).
    if let Some(key) = key {
        pending.names.insert(key);
    }
    pending.rows.push((data, commune));
    Ok(Outcome::Created)
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn product_row(
    txn: &impl ConnectionTrait,
    ctx: &Ctx,
    layout: &Layout,
    cells: &[String],
    errs: &mut RowErrors<'_>,
    known: &Known,
    products: &mut HashMap<(i64, String), product_row::Model>,
    seen: &mut HashMap<String, u32>,
) -> Result<Outcome> {
    let actor = ctx.actor()?;
    let tax = layout
        .cell(cells, "establishmentTaxCode")
        .filter(|t| !t.is_empty());
    let est_name = layout
        .cell(cells, "establishmentName")
        .filter(|t| !t.is_empty());
    let commune = layout
        .cell(cells, "communeCode")
        .filter(|t| !t.is_empty())
        .map(commune_code);
    let selection_group = enum_cell(
        errs,
        "selectionGroup",
        layout.cell(cells, "selectionGroup"),
        SELECTION_GROUP_LABELS,
        SelectionProductGroup::as_str,
    );
    let ocop_group = enum_cell(
        errs,
        "ocopGroup",
        layout.cell(cells, "ocopGroup"),
        OCOP_GROUP_LABELS,
        OcopProductGroup::as_str,
    );
    if !errs.errors.is_empty() {
        return Ok(Outcome::Failed);
    }
    let est = known
        .find(tax, commune.as_deref(), est_name)
        .filter(|e| scope::covers(actor, &e.province_code, Some(&e.commune_code)));
    let Some(est) = est else {
        let key = if tax.is_some() || !layout.has("establishmentName") {
            "establishmentTaxCode"
        } else {
            "establishmentName"
        };
        errs.push(
            Some(key),
            Code::NotFound.as_str(),
            Msg::new(
                "No establishment in your area matches; import the establishments first.",
                "Không có cơ sở nào trong địa bàn khớp; hãy nhập danh sách cơ sở trước.",
            ),
        );
        return Ok(Outcome::Failed);
    };
    let name = layout.cell(cells, "name").unwrap_or("");
    if duplicate(errs, seen, format!("{}:{}", est.id, fold(name))) {
        return Ok(Outcome::Failed);
    }
    let key = (est.id, fold(name));
    let existing = products.get(&key);
    // Columns the file lacks keep what the product has.
    let keep = |k: &str, current: Option<String>| match layout.cell(cells, k) {
        None => current,
        Some("") => None,
        Some(v) => Some(v.to_owned()),
    };
    let input = product::NewProduct {
        establishment_id: est.id.into(),
        name: name.to_owned(),
        description: keep("description", existing.and_then(|p| p.description.clone())),
        brand: keep("brand", existing.and_then(|p| p.brand.clone())),
        selection_group: selection_group.apply(existing.and_then(|p| p.selection_group)),
        ocop_group: ocop_group.apply(existing.and_then(|p| p.ocop_group)),
    };
    match product::write_imported(txn, ctx, est, existing, input).await {
        Ok(product::Written::Created(m)) => {
            products.insert(key, m);
            Ok(Outcome::Created)
        }
        Ok(product::Written::Updated(m)) => {
            products.insert(key, m);
            Ok(Outcome::Updated)
        }
        Ok(product::Written::Unchanged) => Ok(Outcome::Unchanged),
        Err(e) => row_failed(errs, e),
    }
}
