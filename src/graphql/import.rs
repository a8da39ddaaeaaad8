//! `importFile`: establishments and products from a CSV or XLSX upload (GraphQL multipart
//! request), with a report of every row's problems in the request's language.

use async_graphql::{Context, Enum, Object, SimpleObject, Upload};

use crate::{
    domain::import::{self, MAX_FILE_BYTES},
    error::{AppError, Lang, Msg},
    graphql::context::ContextExt,
};

/// What an imported file holds.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::import::ImportEntity")]
pub enum ImportEntity {
    /// Establishments, laid out as `/templates/establishments.xlsx`.
    Establishments,
    /// Products, laid out as `/templates/products.xlsx`.
    Products,
}

/// One problem of one row of an imported file.
#[derive(SimpleObject)]
pub struct ImportRowError {
    /// 1-based row of the file, counting the header as row 1.
    pub row: i32,
    /// The column, as headed in the file; null when the whole row is at fault.
    pub column: Option<String>,
    /// A stable code (`BAD_USER_INPUT`, `CONFLICT`, `FORBIDDEN`, `REQUIRED`,
    /// `AMBIGUOUS_ADDRESS`, `UNKNOWN_ADDRESS`, `DUPLICATE_ROW`, `NOT_FOUND`).
    pub code: String,
    /// What to change, in the request's language.
    pub message: String,
}

/// What an import did (or, in a dry run, would do).
#[derive(SimpleObject)]
pub struct ImportReport {
    /// What the file held.
    pub entity: ImportEntity,
    /// Nothing was written.
    pub dry_run: bool,
    /// Data rows read (blank rows are skipped).
    pub rows_read: i32,
    /// Rows without errors.
    pub rows_valid: i32,
    /// Records created.
    pub created: i32,
    /// Records changed.
    pub updated: i32,
    /// Rows that match a record already saying the same.
    pub unchanged: i32,
    /// Every problem, in row order.
    pub errors: Vec<ImportRowError>,
}

fn n(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

impl ImportReport {
    /// The GraphQL view of a domain report, in `lang`.
    pub fn new(r: import::Report, lang: Lang) -> Self {
        Self {
            entity: r.entity.into(),
            dry_run: r.dry_run,
            rows_read: n(r.rows_read),
            rows_valid: n(r.rows_valid),
            created: n(r.created),
            updated: n(r.updated),
            unchanged: n(r.unchanged),
            errors: r
                .errors
                .into_iter()
                .map(|e| ImportRowError {
                    row: n(e.row),
                    column: e.column,
                    code: e.code,
                    message: e.msg.in_lang(lang).to_owned(),
                })
                .collect(),
        }
    }
}

fn too_large() -> AppError {
    AppError::bad_input(
        "file",
        Msg::new("The file is larger than 20 MiB.", "Tệp lớn hơn 20 MiB."),
    )
}

/// The bytes of an upload after checking its size (the HTTP edge already refused bodies
/// beyond the limit before buffering them).
pub fn read_upload(
    ctx: &Context<'_>,
    file: &Upload,
    max: usize,
) -> async_graphql::Result<(String, Vec<u8>)> {
    let value = file.value(ctx).map_err(AppError::internal)?;
    if value.content.len() > max {
        return Err(too_large().into());
    }
    let name = value.filename.clone();
    let bytes = value.content.to_vec();
    Ok((name, bytes))
}

/// The import mutation.
#[derive(Default)]
pub struct ImportMutation;

#[Object]
impl ImportMutation {
    /// Import a CSV (UTF-8, with or without BOM) or XLSX file laid out as the template at
    /// GET /templates/{entity}.xlsx. With dryRun nothing is written and the report says what
    /// would happen. Otherwise valid rows are written in one transaction when the file has
    /// no errors, and nothing is written when it has any (unless partial is true). Rows are
    /// matched to existing records by tax code, or by name and commune, so importing the
    /// same file twice creates nothing new. Old (pre-2025) commune names or codes are
    /// converted to today's commune.
    async fn import_file(
        &self,
        ctx: &Context<'_>,
        entity: ImportEntity,
        file: Upload,
        dry_run: bool,
        partial: Option<bool>,
    ) -> async_graphql::Result<ImportReport> {
        let lang = ctx.request()?.lang;
        let dctx = ctx.dctx()?;
        crate::domain::scope::ensure_writer(dctx.actor()?)?;
        let (_, bytes) = read_upload(ctx, &file, MAX_FILE_BYTES)?;
        let report = import::import(
            ctx.db()?,
            dctx,
            entity.into(),
            &bytes,
            dry_run,
            partial.unwrap_or(false),
            &|_, _| {},
        )
        .await?;
        Ok(ImportReport::new(report, lang))
    }
}
