//! Importing establishments and products from the spreadsheets offices keep (CSV or XLSX).
//!
//! Each row goes through the same domain functions as the create and update mutations
//! ([`establishment::check_new`](crate::domain::establishment::check_new),
//! [`establishment::insert_checked`](crate::domain::establishment::insert_checked),
//! [`establishment::update_checked`](crate::domain::establishment::update_checked),
//! [`product::write_imported`](crate::domain::product::write_imported)), so a row is accepted
//! exactly when the mutation would accept it, with the same audit events. Every problem is a
//! row error `{row, column, code, message}`. The whole file runs in one transaction: a dry
//! run and a file with errors roll it back (unless `partial`), so the report of a dry run
//! says exactly what the import would do.
//!
//! The file is read into a [`Table`] (`table`), its header matched to the template's
//! [`Column`]s (`columns`), each row's cells read into values (`cells`) and each row matched
//! to the record it names and written (`rows`); this module runs them in one transaction.

use std::{
    collections::{HashMap, HashSet},
    time::{Duration, Instant},
};

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use self::{
    cells::{Layout, RowErrors, commune_code, row_commune},
    rows::{BATCH_ROWS, Known, Outcome, Pending, establishment_row, flush, product_row},
    table::file_error,
};
use crate::{
    db::entities::product as product_row,
    domain::{Ctx, scope},
    error::{Msg, Result},
    text::fold,
};

pub use self::{
    columns::{
        Column, ESTABLISHMENT_COLUMNS, KIND_LABELS, OCOP_GROUP_LABELS, PRODUCT_COLUMNS,
        SECTOR_LABELS, SELECTION_GROUP_LABELS, columns,
    },
    table::{Table, read_table},
};

mod cells;
mod columns;
mod rows;
mod table;

/// The largest file accepted.
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
/// The most data rows a file may have.
pub const MAX_ROWS: usize = 100_000;
/// How long an import may run.
pub const MAX_DURATION: Duration = Duration::from_secs(60);

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportEntity {
    /// Establishments.
    Establishments,
    /// Products of establishments.
    Products,
}

impl ImportEntity {
    /// `establishments` or `products` (the CLI's and the templates' names).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "establishments" => Some(Self::Establishments),
            "products" => Some(Self::Products),
            _ => None,
        }
    }
}

/// One problem of one row.
#[derive(Clone, Debug)]
pub struct RowError {
    /// 1-based row of the file, the header being row 1.
    pub row: u32,
    /// The column as headed in the file; `None` for the whole row.
    pub column: Option<String>,
    /// A stable code.
    pub code: String,
    /// The message in both languages.
    pub msg: Msg,
}

/// What an import did, or would do.
#[derive(Clone, Debug)]
pub struct Report {
    /// What the file held.
    pub entity: ImportEntity,
    /// Nothing was written.
    pub dry_run: bool,
    /// Data rows read (blank rows skipped).
    pub rows_read: u32,
    /// Rows without errors.
    pub rows_valid: u32,
    /// Records created.
    pub created: u32,
    /// Records changed.
    pub updated: u32,
    /// Rows matching a record that already says the same.
    pub unchanged: u32,
    /// Every problem, in row order.
    pub errors: Vec<RowError>,
}

/// The name used in paths and the CLI.
pub fn entity_name(entity: ImportEntity) -> &'static str {
    match entity {
        ImportEntity::Establishments => "establishments",
        ImportEntity::Products => "products",
    }
}

/// How far an import has come: (rows done, rows in all).
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Send + Sync);

/// Imports a file. See the module documentation; `progress` is told after every row.
#[tracing::instrument(name = "import.import", skip_all, fields(entity = ?entity, dry_run = dry_run, partial = partial))]
pub async fn import(
    db: &DatabaseConnection,
    ctx: &Ctx,
    entity: ImportEntity,
    bytes: &[u8],
    dry_run: bool,
    partial: bool,
    progress: Progress<'_>,
) -> Result<Report> {
    let actor = ctx.actor()?;
    scope::ensure_writer(actor)?;
    let table = read_table(bytes)?;
    if table.header.is_empty() {
        return Err(file_error(
            "The file is empty: it has no header row.",
            "Tệp rỗng: không có dòng tiêu đề.",
        ));
    }
    let layout = Layout::new(entity, &table.header)?;
    match tokio::time::timeout(
        MAX_DURATION,
        run(db, ctx, entity, &layout, &table, dry_run, partial, progress),
    )
    .await
    {
        Ok(r) => r,
        Err(_) => Err(file_error(
            "The import took longer than 60 seconds and was undone; split the file.",
            "Việc nhập quá 60 giây nên đã được hủy; hãy chia nhỏ tệp.",
        )),
    }
}

#[allow(clippy::too_many_arguments)]
async fn run(
    db: &DatabaseConnection,
    ctx: &Ctx,
    entity: ImportEntity,
    layout: &Layout,
    table: &Table,
    dry_run: bool,
    partial: bool,
    progress: Progress<'_>,
) -> Result<Report> {
    let started = Instant::now();
    let mut report = Report {
        entity,
        dry_run,
        rows_read: u32::try_from(table.rows.len()).unwrap_or(u32::MAX),
        rows_valid: 0,
        created: 0,
        updated: 0,
        unchanged: 0,
        errors: Vec::new(),
    };
    // Establishments referred to by tax code or by commune (then matched by name).
    let mut tax_codes = HashSet::new();
    let mut communes = HashSet::new();
    let tax_key = match entity {
        ImportEntity::Establishments => "taxCode",
        ImportEntity::Products => "establishmentTaxCode",
    };
    for (_, cells) in &table.rows {
        if let Some(t) = layout.cell(cells, tax_key).filter(|t| !t.is_empty()) {
            tax_codes.insert(t.to_owned());
        }
        if let Some(c) = layout.cell(cells, "communeCode").filter(|c| !c.is_empty()) {
            communes.insert(commune_code(c));
        }
        if entity == ImportEntity::Establishments {
            let mut scratch = RowErrors {
                row: 0,
                layout,
                errors: Vec::new(),
            };
            if let Some(c) = row_commune(ctx, layout, cells, &mut scratch) {
                communes.insert(c);
            }
        }
    }
    let txn = crate::domain::begin_write(db).await?;
    let mut known = Known::load(
        &txn,
        tax_codes.into_iter().collect(),
        communes.into_iter().collect(),
    )
    .await?;
    let mut products: HashMap<(i64, String), product_row::Model> = HashMap::new();
    if entity == ImportEntity::Products {
        let ids: Vec<i64> = known
            .by_tax
            .values()
            .chain(known.by_name.values())
            .map(|m| m.id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        for chunk in ids.chunks(500) {
            for p in product_row::Entity::find()
                .filter(product_row::Column::EstablishmentId.is_in(chunk.iter().copied()))
                .all(&txn)
                .await?
            {
                products.insert((p.establishment_id, fold(&p.name)), p);
            }
        }
    }
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut pending = Pending::default();
    let total = table.rows.len() as u64;
    for (done, (row, cells)) in table.rows.iter().enumerate() {
        if started.elapsed() > MAX_DURATION {
            return Err(file_error(
                "The import took longer than 60 seconds and was undone; split the file.",
                "Việc nhập quá 60 giây nên đã được hủy; hãy chia nhỏ tệp.",
            ));
        }
        let mut errs = RowErrors {
            row: *row,
            layout,
            errors: Vec::new(),
        };
        let outcome = match entity {
            ImportEntity::Establishments => {
                let outcome = establishment_row(
                    &txn,
                    ctx,
                    layout,
                    cells,
                    &mut errs,
                    &mut known,
                    &mut seen,
                    &mut pending,
                )
                .await?;
                if pending.rows.len() >= BATCH_ROWS {
                    flush(&txn, ctx, &mut pending, &mut known).await?;
                }
                outcome
            }
            ImportEntity::Products => {
                product_row(
                    &txn,
                    ctx,
                    layout,
                    cells,
                    &mut errs,
                    &known,
                    &mut products,
                    &mut seen,
                )
                .await?
            }
        };
        if errs.errors.is_empty() {
            report.rows_valid += 1;
            match outcome {
                Outcome::Created => report.created += 1,
                Outcome::Updated => report.updated += 1,
                Outcome::Unchanged => report.unchanged += 1,
                Outcome::Failed => {}
            }
        } else {
            report.errors.extend(errs.errors);
        }
        progress(done as u64 + 1, total);
    }
    flush(&txn, ctx, &mut pending, &mut known).await?;
    if dry_run || !(report.errors.is_empty() || partial) {
        txn.rollback().await?;
        if !dry_run {
            report.created = 0;
            report.updated = 0;
        }
    } else {
        txn.commit().await?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::{cells::Layout, table::column_letter, *};

    #[test]
    fn csv_with_bom_and_semicolons_is_read() {
        let t = read_table("\u{feff}Tên cơ sở;Mã xã\nA;24133\n\n;\nB;24121\n".as_bytes())
            .expect("table");
        assert_eq!(t.header, ["Tên cơ sở", "Mã xã"]);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[1].0, 5);
    }

    #[test]
    fn garbage_and_formulas_are_refused() {
        assert!(read_table(&[0, 159, 146, 150, 1, 2]).is_err());
        assert!(read_table(b"name,kind\n=HYPERLINK(\"x\"),SME\n").is_err());
    }

    #[test]
    fn headers_match_in_either_language() {
        let header: Vec<String> = ["TEN CO SO", "Kind", "sector", "dia chi cu"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let l = Layout::new(ImportEntity::Establishments, &header).expect("layout");
        assert_eq!(l.index.get("legacyAddress"), Some(&3));
        assert!(Layout::new(ImportEntity::Establishments, &header[..2]).is_err());
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(27), "AB");
    }
}
