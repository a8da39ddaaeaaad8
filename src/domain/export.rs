//! Bulk export for data pulls: every row of an entity in the caller's scope, page by page from
//! a keyset cursor, so memory stays flat whatever the number of rows. The HTTP endpoint and
//! the `export` command both use it.

use sea_orm::{ConnectionTrait, PaginatorTrait};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::{
    domain::{
        Ctx, establishment, funding, ocop,
        page::{Cursor, Page, PageArgs},
        product, project, selection,
    },
    error::{AppError, Msg, Result},
    kind::EntityKind,
};

/// Rows fetched per page.
pub const PAGE_ROWS: usize = 1000;

/// What can be exported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entity {
    /// Establishments.
    Establishments,
    /// Products.
    Products,
    /// Projects.
    Projects,
    /// Funding sources.
    FundingSources,
    /// OCOP certificates.
    OcopCertificates,
    /// Selection nominations.
    Nominations,
}

impl Entity {
    /// Every entity, by its export name.
    pub const ALL: &'static [(&'static str, Entity)] = &[
        ("establishments", Entity::Establishments),
        ("products", Entity::Products),
        ("projects", Entity::Projects),
        ("fundingSources", Entity::FundingSources),
        ("ocopCertificates", Entity::OcopCertificates),
        ("nominations", Entity::Nominations),
    ];

    /// The entity with this export name.
    pub fn parse(name: &str) -> Option<Entity> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, e)| *e)
    }

    /// The columns of the CSV export, in order: the export's contract.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Entity::Establishments => &[
                "id",
                "name",
                "kind",
                "tax_code",
                "province_code",
                "commune_code",
                "address",
                "in_craft_village",
                "sector",
                "main_products",
                "employee_count",
                "founded_year",
                "representative",
                "phone",
                "email",
                "latitude",
                "longitude",
                "women_owned",
                "ethnic_minority_owned",
                "status",
                "status_reason",
                "version",
                "created_at",
                "updated_at",
            ],
            Entity::Products => &[
                "id",
                "establishment_id",
                "province_code",
                "commune_code",
                "name",
                "description",
                "brand",
                "selection_group",
                "ocop_group",
                "version",
                "created_at",
                "updated_at",
            ],
            Entity::Projects => &[
                "id",
                "code",
                "title",
                "program_level",
                "kind",
                "category",
                "province_code",
                "commune_code",
                "implementing_unit",
                "fiscal_year",
                "planned_start",
                "planned_end",
                "status",
                "general_support_vnd",
                "support_vnd",
                "counterpart_vnd",
                "allocated_vnd",
                "disbursed_vnd",
                "jobs_created",
                "trainees",
                "average_monthly_income_vnd",
                "version",
                "created_at",
                "updated_at",
            ],
            Entity::FundingSources => &[
                "id",
                "name",
                "level",
                "province_code",
                "fiscal_year",
                "amount_vnd",
                "allocated_vnd",
                "disbursed_vnd",
                "legal_basis",
                "version",
                "created_at",
                "updated_at",
            ],
            Entity::OcopCertificates => &[
                "id",
                "product_id",
                "province_code",
                "commune_code",
                "stars",
                "decision_number",
                "issuing_level",
                "issued_on",
                "valid_until",
                "status",
                "revoked_reason",
                "created_at",
                "updated_at",
            ],
            Entity::Nominations => &[
                "id",
                "round_id",
                "product_id",
                "establishment_id",
                "province_code",
                "commune_code",
                "group",
                "final_score",
                "result",
                "certificate_number",
                "recognized_on",
                "valid_until",
                "created_at",
                "updated_at",
            ],
        }
    }
}

/// Export filters (query parameters `province`, `commune`, `updatedSince`).
#[derive(Clone, Debug, Default)]
pub struct ExportFilter {
    /// Province code.
    pub province_code: Option<String>,
    /// Commune code.
    pub commune_code: Option<String>,
    /// Changed at or after (rows then come oldest change first).
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// A model as an export row: its serialised fields, with ids turned into global ids.
fn row<M: Serialize>(m: &M, ids: &[(&str, EntityKind)]) -> Result<Map<String, Value>> {
    let Value::Object(mut obj) = serde_json::to_value(m).map_err(AppError::internal)? else {
        return Err(AppError::internal("an export row is not an object"));
    };
    for (field, entity_type) in ids {
        if let Some(Value::Number(n)) = obj.get(*field)
            && let Some(id) = n.as_i64()
        {
            obj.insert(
                (*field).to_owned(),
                Value::String(entity_type.global_id(id)),
            );
        }
    }
    Ok(obj)
}

fn rows_of<E, M>(
    page: &Page<E>,
    ids: &[(&str, EntityKind)],
    extra: impl Fn(&M, &mut Map<String, Value>),
) -> Result<Vec<Map<String, Value>>>
where
    E: sea_orm::EntityTrait<Model = M>,
    M: Serialize,
{
    page.rows
        .iter()
        .map(|(_, m)| {
            let mut r = row(m, ids)?;
            extra(m, &mut r);
            Ok(r)
        })
        .collect()
}

/// One page of an export: its rows and the cursor after them (`None` at the end).
pub struct Chunk {
    /// Rows as ordered JSON objects.
    pub rows: Vec<Map<String, Value>>,
    /// Where the next page starts.
    pub next: Option<Cursor>,
}

fn next_of<E: sea_orm::EntityTrait>(page: &Page<E>) -> Option<Cursor> {
    if page.has_next {
        page.rows.last().map(|(c, _)| c.clone())
    } else {
        None
    }
}

/// Fetches the page after `after`.
#[tracing::instrument(name = "export.fetch", skip_all, fields(entity = ?entity))]
pub async fn fetch(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    entity: Entity,
    f: &ExportFilter,
    after: Option<Cursor>,
) -> Result<Chunk> {
    let args = PageArgs {
        first: PAGE_ROWS,
        after,
    };
    let today = chrono::Utc::now().date_naive();
    Ok(match entity {
        Entity::Establishments => {
            let page = establishment::list(
                db,
                ctx,
                establishment::EstablishmentFilter {
                    province_code: f.province_code.clone(),
                    commune_code: f.commune_code.clone(),
                    updated_since: f.updated_since,
                    ..Default::default()
                },
                &args,
            )
            .await?;
            Chunk {
                rows: rows_of(&page, &[("id", establishment::ENTITY)], |_, _| {})?,
                next: next_of(&page),
            }
        }
        Entity::Products => {
            let page = product::list(
                db,
                ctx,
                product::ProductFilter {
                    province_code: f.province_code.clone(),
                    commune_code: f.commune_code.clone(),
                    updated_since: f.updated_since,
                    ..Default::default()
                },
                &args,
            )
            .await?;
            Chunk {
                rows: rows_of(
                    &page,
                    &[
                        ("id", product::ENTITY),
                        ("establishment_id", establishment::ENTITY),
                    ],
                    |_, _| {},
                )?,
                next: next_of(&page),
            }
        }
        Entity::Projects => {
            let page = project::list(
                db,
                ctx,
                project::ProjectFilter {
                    province_code: f.province_code.clone(),
                    commune_code: f.commune_code.clone(),
                    updated_since: f.updated_since,
                    ..Default::default()
                },
                &args,
            )
            .await?;
            Chunk {
                rows: rows_of(&page, &[("id", project::ENTITY)], |_, _| {})?,
                next: next_of(&page),
            }
        }
        Entity::FundingSources => {
            let page = funding::list(
                db,
                ctx,
                funding::FundingSourceFilter {
                    province_code: f.province_code.clone(),
                    updated_since: f.updated_since,
                    ..Default::default()
                },
                &args,
            )
            .await?;
            Chunk {
                rows: rows_of(&page, &[("id", funding::ENTITY)], |_, _| {})?,
                next: next_of(&page),
            }
        }
        Entity::OcopCertificates => {
            let page = ocop::list_certificates(
                db,
                ctx,
                ocop::CertificateFilter {
                    province_code: f.province_code.clone(),
                    commune_code: f.commune_code.clone(),
                    updated_since: f.updated_since,
                    ..Default::default()
                },
                &args,
            )
            .await?;
            Chunk {
                rows: rows_of(
                    &page,
                    &[("id", ocop::CERTIFICATE), ("product_id", product::ENTITY)],
                    |m: &crate::db::entities::ocop_certificate::Model, r| {
                        r.insert(
                            "status".into(),
                            Value::String(ocop::certificate_status(m, today).as_str().into()),
                        );
                    },
                )?,
                next: next_of(&page),
            }
        }
        Entity::Nominations => {
            let page = selection::list_nominations(
                db,
                ctx,
                selection::NominationFilter {
                    province_code: f.province_code.clone(),
                    commune_code: f.commune_code.clone(),
                    updated_since: f.updated_since,
                },
                &args,
            )
            .await?;
            Chunk {
                rows: rows_of(
                    &page,
                    &[
                        ("id", selection::NOMINATION),
                        ("round_id", selection::ROUND),
                        ("product_id", product::ENTITY),
                        ("establishment_id", establishment::ENTITY),
                    ],
                    |m: &crate::db::entities::nomination::Model, r| {
                        let score = (m.score_count > 0).then(|| {
                            ((m.score_sum as f64 / f64::from(m.score_count)) * 100.0).round()
                                / 100.0
                        });
                        r.insert("final_score".into(), score.map_or(Value::Null, Value::from));
                    },
                )?,
                next: next_of(&page),
            }
        }
    })
}

/// How many rows an export will have (for progress bars).
#[tracing::instrument(name = "export.count", skip_all, fields(entity = ?entity))]
pub async fn count(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    entity: Entity,
    f: &ExportFilter,
) -> Result<u64> {
    let args = PageArgs {
        first: 0,
        after: None,
    };
    macro_rules! total {
        ($page:expr) => {{
            let page = $page.await?;
            Ok(page.count_query.clone().count(db).await?)
        }};
    }
    match entity {
        Entity::Establishments => total!(establishment::list(
            db,
            ctx,
            establishment::EstablishmentFilter {
                province_code: f.province_code.clone(),
                commune_code: f.commune_code.clone(),
                updated_since: f.updated_since,
                ..Default::default()
            },
            &args
        )),
        Entity::Products => total!(product::list(
            db,
            ctx,
            product::ProductFilter {
                province_code: f.province_code.clone(),
                commune_code: f.commune_code.clone(),
                updated_since: f.updated_since,
                ..Default::default()
            },
            &args
        )),
        Entity::Projects => total!(project::list(
            db,
            ctx,
            project::ProjectFilter {
                province_code: f.province_code.clone(),
                commune_code: f.commune_code.clone(),
                updated_since: f.updated_since,
                ..Default::default()
            },
            &args
        )),
        Entity::FundingSources => total!(funding::list(
            db,
            ctx,
            funding::FundingSourceFilter {
                province_code: f.province_code.clone(),
                updated_since: f.updated_since,
                ..Default::default()
            },
            &args
        )),
        Entity::OcopCertificates => total!(ocop::list_certificates(
            db,
            ctx,
            ocop::CertificateFilter {
                province_code: f.province_code.clone(),
                commune_code: f.commune_code.clone(),
                updated_since: f.updated_since,
                ..Default::default()
            },
            &args
        )),
        Entity::Nominations => total!(selection::list_nominations(
            db,
            ctx,
            selection::NominationFilter {
                province_code: f.province_code.clone(),
                commune_code: f.commune_code.clone(),
                updated_since: f.updated_since
            },
            &args
        )),
    }
}

/// The CSV header line (with the UTF-8 byte-order mark Excel needs for Vietnamese).
pub fn csv_header(entity: Entity) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    w.write_record(entity.columns())
        .map_err(AppError::internal)?;
    w.into_inner()
        .map_err(|e| AppError::internal(e.to_string()))
}

fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// CSV lines of some rows, in the entity's column order.
pub fn csv_rows(entity: Entity, rows: &[Map<String, Value>]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.write_record(entity.columns().iter().map(|c| cell(r.get(*c))))
            .map_err(AppError::internal)?;
    }
    w.into_inner()
        .map_err(|e| AppError::internal(e.to_string()))
}

/// NDJSON lines of some rows: one object per line.
pub fn ndjson_rows(entity: Entity, rows: &[Map<String, Value>]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for r in rows {
        let ordered: Map<String, Value> = entity
            .columns()
            .iter()
            .map(|c| ((*c).to_owned(), r.get(*c).cloned().unwrap_or(Value::Null)))
            .collect();
        serde_json::to_writer(&mut out, &ordered).map_err(AppError::internal)?;
        out.push(b'\n');
    }
    Ok(out)
}

/// The text format of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// UTF-8 CSV with a BOM (Excel opens Vietnamese correctly), a header line first.
    Csv,
    /// One JSON object per line.
    Ndjson,
}

impl ExportFormat {
    /// Parses the `format` of an export (`csv` or `ndjson`).
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "csv" => Ok(Self::Csv),
            "ndjson" => Ok(Self::Ndjson),
            other => Err(AppError::bad_input(
                "format",
                Msg::new(
                    format!("Unknown export format \"{other}\"; use csv or ndjson."),
                    format!("Định dạng \"{other}\" không hỗ trợ; dùng csv hoặc ndjson."),
                ),
            )),
        }
    }

    /// What comes before the first row: the CSV header, nothing for NDJSON.
    pub fn header(self, entity: Entity) -> Result<Option<Vec<u8>>> {
        match self {
            Self::Csv => csv_header(entity).map(Some),
            Self::Ndjson => Ok(None),
        }
    }

    /// A chunk's rows in this format.
    pub fn rows(self, entity: Entity, rows: &[Map<String, Value>]) -> Result<Vec<u8>> {
        match self {
            Self::Csv => csv_rows(entity, rows),
            Self::Ndjson => ndjson_rows(entity, rows),
        }
    }

    /// The HTTP content type.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Ndjson => "application/x-ndjson; charset=utf-8",
        }
    }
}

/// The most rows a workbook export holds (CSV and NDJSON stay the bulk path).
pub const MAX_XLSX_ROWS: u64 = 100_000;

fn too_many_for_a_workbook(total: u64) -> AppError {
    AppError::bad_input(
        "format",
        Msg::new(
            format!(
                "The export has {total} rows; a workbook holds at most 100,000: use the CSV export, or narrow it with province or commune."
            ),
            format!(
                "Bản xuất có {total} dòng; một tệp Excel chứa tối đa 100.000 dòng: hãy dùng bản CSV, hoặc thu hẹp theo tỉnh hoặc xã."
            ),
        ),
    )
}

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::internal(e.to_string())
}

/// The export as an Excel workbook (at most [`MAX_XLSX_ROWS`] rows, else `BAD_USER_INPUT`):
/// one sheet, the CSV's columns as a bold frozen header, numbers as numbers (amounts in đồng
/// with thousands separators), yes/no as booleans, text always as text (never a formula).
/// Rows go to disk as they are written (constant memory).
#[tracing::instrument(name = "export.xlsx", skip_all, fields(entity = ?entity))]
pub async fn xlsx(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    entity: Entity,
    f: &ExportFilter,
) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let total = count(db, ctx, entity, f).await?;
    if total > MAX_XLSX_ROWS {
        return Err(too_many_for_a_workbook(total));
    }
    let name = Entity::ALL
        .iter()
        .find(|(_, e)| *e == entity)
        .map_or("export", |(n, _)| *n);
    let columns = entity.columns();
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0");
    let mut wb = Workbook::new();
    let ws = wb
        .add_worksheet_with_constant_memory()
        .map_err(xlsx_error)?;
    ws.set_name(name).map_err(xlsx_error)?;
    let mut chunk = fetch(db, ctx, entity, f, None).await?;
    // Widths from the header and the first page (rows go to disk as they are written).
    for (c, column) in columns.iter().enumerate() {
        let widest = chunk
            .rows
            .iter()
            .map(|r| match r.get(*column) {
                None | Some(Value::Null) => 0,
                Some(Value::String(s)) => s.chars().count(),
                Some(Value::Number(n)) if column.ends_with("_vnd") => n.to_string().len() * 4 / 3,
                Some(other) => other.to_string().len(),
            })
            .max()
            .unwrap_or(0)
            .max(column.len());
        let col = u16::try_from(c).map_err(AppError::internal)?;
        ws.set_column_width(col, (widest + 2).min(60) as f64)
            .map_err(xlsx_error)?;
        ws.write_string_with_format(0, col, *column, &bold)
            .map_err(xlsx_error)?;
    }
    ws.set_freeze_panes(1, 0).map_err(xlsx_error)?;
    let mut row: u32 = 1;
    loop {
        for r in &chunk.rows {
            for (c, column) in columns.iter().enumerate() {
                let col = u16::try_from(c).map_err(AppError::internal)?;
                match r.get(*column) {
                    None | Some(Value::Null) => {}
                    Some(Value::Bool(b)) => {
                        ws.write_boolean(row, col, *b).map_err(xlsx_error)?;
                    }
                    Some(Value::Number(n)) => {
                        let v = n.as_f64().unwrap_or_default();
                        if column.ends_with("_vnd") {
                            ws.write_number_with_format(row, col, v, &money)
                                .map_err(xlsx_error)?;
                        } else {
                            ws.write_number(row, col, v).map_err(xlsx_error)?;
                        }
                    }
                    Some(Value::String(s)) => {
                        ws.write_string(row, col, s).map_err(xlsx_error)?;
                    }
                    Some(other) => {
                        ws.write_string(row, col, other.to_string())
                            .map_err(xlsx_error)?;
                    }
                }
            }
            row += 1;
        }
        match chunk.next {
            Some(after) if u64::from(row) <= MAX_XLSX_ROWS => {
                chunk = fetch(db, ctx, entity, f, Some(after)).await?;
            }
            _ => break,
        }
    }
    // Compressing a large workbook takes a moment: off the async workers.
    tokio::task::spawn_blocking(move || wb.save_to_buffer().map_err(xlsx_error))
        .await
        .map_err(AppError::internal)?
}
