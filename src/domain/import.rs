//! Importing establishments and products from the spreadsheets offices keep (CSV or XLSX).
//!
//! Each row goes through the same domain functions as the create and update mutations
//! ([`establishment::check_new`], [`establishment::insert_checked`],
//! [`establishment::update_checked`], [`product::write_imported`]), so a row is accepted
//! exactly when the mutation would accept it, with the same audit events. Every problem is a
//! row error `{row, column, code, message}`. The whole file runs in one transaction: a dry
//! run and a file with errors roll it back (unless `partial`), so the report of a dry run
//! says exactly what the import would do.

use std::{
    collections::{HashMap, HashSet},
    time::{Duration, Instant},
};

use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::{
    db::entities::{establishment as est_row, product as product_row},
    domain::{
        Ctx,
        establishment::{self, EstablishmentPatch},
        filetype, product, scope,
        validate::Patch,
    },
    enums::{EstablishmentKind, OcopProductGroup, Sector, SelectionProductGroup},
    error::{AppError, Code, Msg, Result},
    text::fold,
};

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

/// A column of a template: its key (the GraphQL field name), Vietnamese and English headers,
/// and a note for the template's notes sheet.
pub struct Column {
    /// The field name (`taxCode`).
    pub key: &'static str,
    /// Vietnamese header.
    pub vi: &'static str,
    /// English header.
    pub en: &'static str,
    /// Required on new records.
    pub required: bool,
    /// Note (Vietnamese) for the notes sheet.
    pub note: &'static str,
}

const fn col(
    key: &'static str,
    vi: &'static str,
    en: &'static str,
    required: bool,
    note: &'static str,
) -> Column {
    Column {
        key,
        vi,
        en,
        required,
        note,
    }
}

/// The columns of the establishments template.
pub const ESTABLISHMENT_COLUMNS: &[Column] = &[
    col(
        "name",
        "Tên cơ sở",
        "Name",
        true,
        "Bắt buộc; tối đa 300 ký tự.",
    ),
    col(
        "kind",
        "Loại hình",
        "Kind",
        true,
        "Bắt buộc; một giá trị trong bảng Loại hình.",
    ),
    col(
        "taxCode",
        "Mã số thuế",
        "Tax code",
        false,
        "10 chữ số, hoặc 10 chữ số-3 chữ số cho chi nhánh; dùng để nhận ra cơ sở đã có.",
    ),
    col(
        "communeCode",
        "Mã xã",
        "Commune code",
        false,
        "Mã xã/phường sau 1/7/2025 (5 chữ số). Có thể bỏ trống nếu điền địa chỉ cũ hoặc mã xã cũ.",
    ),
    col(
        "legacyCommuneCode",
        "Mã xã cũ",
        "Old commune code",
        false,
        "Mã xã/phường/thị trấn trước 1/7/2025; được quy đổi sang xã mới.",
    ),
    col(
        "legacyAddress",
        "Địa chỉ cũ",
        "Old address",
        false,
        "Xã, huyện, tỉnh trước 1/7/2025, ví dụ: Xã Mai Thủy, huyện Lệ Thủy, tỉnh Quảng Bình.",
    ),
    col(
        "address",
        "Địa chỉ",
        "Address",
        false,
        "Số nhà, thôn, đường.",
    ),
    col(
        "sector",
        "Ngành nghề",
        "Sector",
        true,
        "Bắt buộc; một giá trị trong bảng Ngành nghề.",
    ),
    col(
        "inCraftVillage",
        "Thuộc làng nghề",
        "In craft village",
        false,
        "Có / Không.",
    ),
    col(
        "mainProducts",
        "Sản phẩm chính",
        "Main products",
        false,
        "Tối đa 1000 ký tự.",
    ),
    col(
        "employeeCount",
        "Số lao động",
        "Employees",
        false,
        "Số nguyên không âm.",
    ),
    col(
        "foundedYear",
        "Năm thành lập",
        "Founded year",
        false,
        "Năm, ví dụ 2015.",
    ),
    col(
        "representative",
        "Người đại diện",
        "Representative",
        false,
        "",
    ),
    col("phone", "Điện thoại", "Phone", false, ""),
    col("email", "Email", "E-mail", false, ""),
    col(
        "latitude",
        "Vĩ độ",
        "Latitude",
        false,
        "Số thập phân, dấu chấm.",
    ),
    col(
        "longitude",
        "Kinh độ",
        "Longitude",
        false,
        "Số thập phân, dấu chấm.",
    ),
    col(
        "womenOwned",
        "Chủ là nữ",
        "Women-owned",
        false,
        "Có / Không.",
    ),
    col(
        "ethnicMinorityOwned",
        "Chủ là người dân tộc thiểu số",
        "Ethnic-minority-owned",
        false,
        "Có / Không.",
    ),
];

/// The columns of the products template.
pub const PRODUCT_COLUMNS: &[Column] = &[
    col(
        "establishmentTaxCode",
        "Mã số thuế cơ sở",
        "Establishment tax code",
        false,
        "Cơ sở sản xuất: theo mã số thuế, hoặc theo tên cơ sở và mã xã.",
    ),
    col(
        "establishmentName",
        "Tên cơ sở",
        "Establishment name",
        false,
        "Dùng khi cơ sở không có mã số thuế.",
    ),
    col(
        "communeCode",
        "Mã xã",
        "Commune code",
        false,
        "Mã xã của cơ sở (dùng cùng tên cơ sở).",
    ),
    col(
        "name",
        "Tên sản phẩm",
        "Product name",
        true,
        "Bắt buộc; một cơ sở không có hai sản phẩm trùng tên.",
    ),
    col("description", "Mô tả", "Description", false, ""),
    col("brand", "Nhãn hiệu", "Brand", false, ""),
    col(
        "selectionGroup",
        "Nhóm sản phẩm bình chọn",
        "Selection group",
        false,
        "Một giá trị trong bảng Nhóm bình chọn.",
    ),
    col(
        "ocopGroup",
        "Nhóm OCOP",
        "OCOP group",
        false,
        "Một giá trị trong bảng Nhóm OCOP.",
    ),
];

/// The columns of an entity's template.
pub fn columns(entity: ImportEntity) -> &'static [Column] {
    match entity {
        ImportEntity::Establishments => ESTABLISHMENT_COLUMNS,
        ImportEntity::Products => PRODUCT_COLUMNS,
    }
}

/// Vietnamese labels of establishment kinds (accepted in cells and listed in the template).
pub const KIND_LABELS: &[(EstablishmentKind, &str)] = &[
    (EstablishmentKind::Sme, "Doanh nghiệp nhỏ và vừa"),
    (EstablishmentKind::LargeEnterprise, "Doanh nghiệp lớn"),
    (EstablishmentKind::Cooperative, "Hợp tác xã"),
    (EstablishmentKind::CooperativeUnion, "Liên hiệp hợp tác xã"),
    (EstablishmentKind::CooperativeGroup, "Tổ hợp tác"),
    (EstablishmentKind::BusinessHousehold, "Hộ kinh doanh"),
    (EstablishmentKind::Artisan, "Nghệ nhân"),
];

/// Vietnamese labels of sectors.
pub const SECTOR_LABELS: &[(Sector, &str)] = &[
    (
        Sector::AgroForestryFisheryFood,
        "Chế biến nông, lâm, thủy sản và thực phẩm",
    ),
    (Sector::ConsumerGoods, "Hàng tiêu dùng"),
    (Sector::Handicraft, "Thủ công mỹ nghệ"),
    (Sector::WoodFurniture, "Gỗ và đồ gỗ"),
    (Sector::TextileGarment, "Dệt may"),
    (Sector::MechanicalElectrical, "Cơ khí, điện"),
    (Sector::BuildingMaterials, "Vật liệu xây dựng"),
    (
        Sector::AgriculturalChemicals,
        "Hóa chất phục vụ nông nghiệp",
    ),
    (Sector::Herbal, "Dược liệu"),
    (Sector::Other, "Khác"),
];

/// Vietnamese labels of selection product groups.
pub const SELECTION_GROUP_LABELS: &[(SelectionProductGroup, &str)] = &[
    (SelectionProductGroup::Handicraft, "Thủ công mỹ nghệ"),
    (
        SelectionProductGroup::ProcessedAgroForestryFisheryFood,
        "Chế biến nông, lâm, thủy sản và thực phẩm",
    ),
    (
        SelectionProductGroup::MachineryEquipmentTools,
        "Máy móc, thiết bị, dụng cụ",
    ),
    (SelectionProductGroup::Other, "Khác"),
];

/// Vietnamese labels of OCOP product groups.
pub const OCOP_GROUP_LABELS: &[(OcopProductGroup, &str)] = &[
    (OcopProductGroup::Food, "Thực phẩm"),
    (OcopProductGroup::Beverage, "Đồ uống"),
    (OcopProductGroup::Herbal, "Thảo dược"),
    (
        OcopProductGroup::HandicraftTextile,
        "Thủ công mỹ nghệ, vải và may mặc",
    ),
    (OcopProductGroup::Ornamental, "Sinh vật cảnh"),
    (
        OcopProductGroup::RuralTourismService,
        "Dịch vụ du lịch cộng đồng",
    ),
];

/// A header or label folded for matching: no case, no diacritics, letters and digits only.
fn key_of(s: &str) -> String {
    fold(s)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

fn file_error(en: impl Into<String>, vi: impl Into<String>) -> AppError {
    AppError::bad_input("file", Msg::new(en, vi))
}

/// A sheet: the header and the data rows, each with its 1-based row number in the file.
#[derive(Debug, Default)]
pub struct Table {
    /// The header cells.
    pub header: Vec<String>,
    /// Data rows (row number, cells); blank rows are left out.
    pub rows: Vec<(u32, Vec<String>)>,
}

/// Reads a CSV or XLSX file (judged from its bytes). A file that is neither, a ZIP bomb, a
/// formula, or more than [`MAX_ROWS`] rows is refused as a whole.
pub fn read_table(bytes: &[u8]) -> Result<Table> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(file_error(
            "The file is larger than 20 MiB; split it into several files.",
            "Tệp lớn hơn 20 MiB; hãy chia thành nhiều tệp.",
        ));
    }
    let table = if filetype::is_zip(bytes) {
        read_xlsx(bytes)?
    } else {
        read_csv(bytes)?
    };
    if table.rows.len() > MAX_ROWS {
        return Err(file_error(
            format!("The file has more than {MAX_ROWS} rows; split it into several files."),
            format!("Tệp có hơn {MAX_ROWS} dòng; hãy chia thành nhiều tệp."),
        ));
    }
    Ok(table)
}

fn not_a_table() -> AppError {
    file_error(
        "The file is neither a CSV (UTF-8) nor an Excel workbook (.xlsx). Save it as one of them from the template.",
        "Tệp không phải CSV (UTF-8) hay bảng tính Excel (.xlsx). Hãy lưu theo một trong hai định dạng, theo mẫu.",
    )
}

fn formula(row: u32, col: usize) -> AppError {
    file_error(
        format!(
            "Cell {}{row} holds a formula; imports take values only (copy and paste as values).",
            column_letter(col)
        ),
        format!(
            "Ô {}{row} chứa công thức; chỉ nhập giá trị (sao chép rồi dán dạng giá trị).",
            column_letter(col)
        ),
    )
}

fn column_letter(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

fn read_csv(bytes: &[u8]) -> Result<Table> {
    let text = std::str::from_utf8(bytes).map_err(|_| not_a_table())?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Binary garbage that happens to be UTF-8 still holds control characters.
    if text.is_empty()
        || text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(not_a_table());
    }
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut table = Table::default();
    for record in reader.records() {
        let record = record.map_err(|e| {
            file_error(
                format!("The CSV cannot be read: {e}."),
                format!("Không đọc được tệp CSV: {e}."),
            )
        })?;
        // The line the record starts on: blank lines, which the reader skips, still count, so
        // the row number is the one the office sees in its spreadsheet or editor.
        let line = record.position().map_or(1, csv::Position::line);
        let row = u32::try_from(line).unwrap_or(u32::MAX);
        let cells: Vec<String> = record.iter().map(|c| c.trim().to_owned()).collect();
        if let Some(c) = cells.iter().position(|c| c.starts_with('=')) {
            return Err(formula(row, c));
        }
        push_row(&mut table, row, cells)?;
    }
    Ok(table)
}

fn push_row(table: &mut Table, row: u32, cells: Vec<String>) -> Result<()> {
    if table.header.is_empty() {
        if cells.iter().any(|c| !c.is_empty()) {
            table.header = cells;
        }
        return Ok(());
    }
    if cells.iter().all(String::is_empty) {
        return Ok(());
    }
    if table.rows.len() >= MAX_ROWS {
        return Err(file_error(
            format!("The file has more than {MAX_ROWS} rows; split it into several files."),
            format!("Tệp có hơn {MAX_ROWS} dòng; hãy chia thành nhiều tệp."),
        ));
    }
    table.rows.push((row, cells));
    Ok(())
}

fn read_xlsx(bytes: &[u8]) -> Result<Table> {
    use calamine::{Data, Reader, Xlsx};
    let names = filetype::zip_entries(bytes)?;
    if !names.iter().any(|n| n == "xl/workbook.xml") {
        return Err(not_a_table());
    }
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).map_err(|_| not_a_table())?;
    let sheet = wb
        .sheet_names()
        .into_iter()
        .next()
        .ok_or_else(not_a_table)?;
    let formulas = wb.worksheet_formula(&sheet).map_err(|_| not_a_table())?;
    let (f_row, f_col) = formulas.start().unwrap_or((0, 0));
    for (r, cells) in formulas.rows().enumerate() {
        if let Some(c) = cells.iter().position(|f| !f.is_empty()) {
            return Err(formula(f_row + r as u32 + 1, f_col as usize + c));
        }
    }
    let range = wb.worksheet_range(&sheet).map_err(|_| not_a_table())?;
    let (start_row, start_col) = range.start().unwrap_or((0, 0));
    let mut table = Table::default();
    for (r, cells) in range.rows().enumerate() {
        let mut out: Vec<String> = vec![String::new(); start_col as usize];
        out.extend(cells.iter().map(|d| match d {
            Data::Empty | Data::Error(_) => String::new(),
            Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_owned(),
            Data::Int(i) => i.to_string(),
            Data::Float(f) => {
                if f.fract() == 0.0 && f.abs() < 1e15 {
                    format!("{}", *f as i64)
                } else {
                    f.to_string()
                }
            }
            Data::Bool(b) => if *b { "true" } else { "false" }.to_owned(),
            Data::DateTime(d) => d.to_string(),
        }));
        push_row(&mut table, start_row + r as u32 + 1, out)?;
    }
    Ok(table)
}

/// Which file column holds which field.
struct Layout {
    index: HashMap<&'static str, usize>,
    header: Vec<String>,
}

impl Layout {
    fn new(entity: ImportEntity, header: &[String]) -> Result<Self> {
        let cols = columns(entity);
        let mut index = HashMap::new();
        for (i, h) in header.iter().enumerate() {
            let k = key_of(h);
            if k.is_empty() {
                continue;
            }
            // Columns the template does not have (a row number, remarks) are ignored.
            let Some(c) = cols
                .iter()
                .find(|c| key_of(c.vi) == k || key_of(c.en) == k || key_of(c.key) == k)
            else {
                continue;
            };
            if index.insert(c.key, i).is_some() {
                return Err(file_error(
                    format!("The column \"{h}\" appears twice in the header."),
                    format!("Cột \"{h}\" xuất hiện hai lần ở dòng tiêu đề."),
                ));
            }
        }
        let mut missing: Vec<&Column> = cols
            .iter()
            .filter(|c| c.required && !index.contains_key(c.key))
            .collect();
        let place = match entity {
            ImportEntity::Establishments => ["communeCode", "legacyCommuneCode", "legacyAddress"]
                .iter()
                .any(|k| index.contains_key(k)),
            ImportEntity::Products => {
                index.contains_key("establishmentTaxCode")
                    || (index.contains_key("establishmentName")
                        && index.contains_key("communeCode"))
            }
        };
        if !place {
            missing.extend(cols.iter().filter(|c| {
                matches!(
                    (entity, c.key),
                    (ImportEntity::Establishments, "communeCode")
                        | (ImportEntity::Products, "establishmentTaxCode")
                )
            }));
        }
        if !missing.is_empty() {
            let vi: Vec<&str> = missing.iter().map(|c| c.vi).collect();
            let en: Vec<&str> = missing.iter().map(|c| c.en).collect();
            return Err(file_error(
                format!(
                    "The header row lacks the column(s) {}; start from the template at /templates/{}.xlsx.",
                    en.join(", "),
                    entity_name(entity)
                ),
                format!(
                    "Dòng tiêu đề thiếu cột {}; hãy dùng mẫu tại /templates/{}.xlsx.",
                    vi.join(", "),
                    entity_name(entity)
                ),
            ));
        }
        Ok(Self {
            index,
            header: header.to_vec(),
        })
    }

    fn has(&self, key: &str) -> bool {
        self.index.contains_key(key)
    }

    /// The cell of `key`: `None` when the file has no such column.
    fn cell<'a>(&self, cells: &'a [String], key: &str) -> Option<&'a str> {
        self.index
            .get(key)
            .map(|&i| cells.get(i).map(String::as_str).unwrap_or(""))
    }

    /// The column header as written in the file, for error reports.
    fn header_of(&self, key: &str) -> Option<String> {
        self.index
            .get(key)
            .and_then(|&i| self.header.get(i))
            .cloned()
    }
}

/// The name used in paths and the CLI.
pub fn entity_name(entity: ImportEntity) -> &'static str {
    match entity {
        ImportEntity::Establishments => "establishments",
        ImportEntity::Products => "products",
    }
}

/// Collects the problems of one row.
struct RowErrors<'a> {
    row: u32,
    layout: &'a Layout,
    errors: Vec<RowError>,
}

impl RowErrors<'_> {
    fn push(&mut self, key: Option<&str>, code: &str, msg: Msg) {
        let column = key.and_then(|k| self.layout.header_of(k));
        self.errors.push(RowError {
            row: self.row,
            column,
            code: code.to_owned(),
            msg,
        });
    }

    fn push_app(&mut self, e: AppError) {
        let key = e.field.clone();
        let key = key.as_deref().map(|f| match f {
            // Fields of the mutations with another column name in the file.
            "establishmentId" => "establishmentTaxCode",
            other => other,
        });
        self.push(key, e.code.as_str(), e.msg);
    }

    fn bad(&mut self, key: &str, en: String, vi: String) {
        self.push(Some(key), Code::BadUserInput.as_str(), Msg::new(en, vi));
    }
}

fn text_patch(cell: Option<&str>) -> Patch<String> {
    match cell {
        None => Patch::Keep,
        Some("") => Patch::Clear,
        Some(v) => Patch::Set(v.to_owned()),
    }
}

fn bool_cell(errs: &mut RowErrors<'_>, key: &str, cell: Option<&str>) -> Patch<bool> {
    let Some(v) = cell else {
        return Patch::Keep;
    };
    match key_of(v).as_str() {
        "" => Patch::Set(false),
        "co" | "x" | "yes" | "true" | "1" | "y" | "c" => Patch::Set(true),
        "khong" | "no" | "false" | "0" | "n" | "k" => Patch::Set(false),
        _ => {
            errs.bad(
                key,
                format!("\"{v}\" is not yes or no (Có / Không)."),
                format!("\"{v}\" không phải Có / Không."),
            );
            Patch::Keep
        }
    }
}

fn number_cell<T: std::str::FromStr>(
    errs: &mut RowErrors<'_>,
    key: &str,
    cell: Option<&str>,
) -> Patch<T> {
    match cell {
        None => Patch::Keep,
        Some("") => Patch::Clear,
        Some(v) => match v.replace(' ', "").parse::<T>() {
            Ok(n) => Patch::Set(n),
            Err(_) => {
                errs.bad(
                    key,
                    format!("\"{v}\" is not a number of the expected kind."),
                    format!("\"{v}\" không phải là số hợp lệ."),
                );
                Patch::Keep
            }
        },
    }
}

/// An enum cell: the value (`SME`) or its Vietnamese label, case and diacritics ignored.
fn enum_cell<T: Copy>(
    errs: &mut RowErrors<'_>,
    key: &str,
    cell: Option<&str>,
    labels: &[(T, &str)],
    as_str: fn(T) -> &'static str,
) -> Patch<T> {
    let Some(v) = cell else {
        return Patch::Keep;
    };
    if v.is_empty() {
        return Patch::Clear;
    }
    let k = key_of(v);
    match labels
        .iter()
        .find(|(e, label)| key_of(label) == k || key_of(as_str(*e)) == k)
    {
        Some((e, _)) => Patch::Set(*e),
        None => {
            let allowed: Vec<&str> = labels.iter().map(|(_, l)| *l).collect();
            errs.bad(
                key,
                format!("\"{v}\" is not one of: {}.", allowed.join("; ")),
                format!("\"{v}\" không thuộc: {}.", allowed.join("; ")),
            );
            Patch::Keep
        }
    }
}

/// A commune code as typed in a spreadsheet (a number loses its leading zeros: `4` → `00004`).
fn commune_code(v: &str) -> String {
    if !v.is_empty() && v.len() < 5 && v.bytes().all(|b| b.is_ascii_digit()) {
        format!("{v:0>5}")
    } else {
        v.to_owned()
    }
}

/// Today's commune of a row: the commune code, else the old commune code or old address
/// converted through the units before the reform.
fn row_commune(
    ctx: &Ctx,
    layout: &Layout,
    cells: &[String],
    errs: &mut RowErrors<'_>,
) -> Option<String> {
    if let Some(c) = layout.cell(cells, "communeCode").filter(|c| !c.is_empty()) {
        return Some(commune_code(c));
    }
    let legacy = ctx.reference.legacy();
    let (key, resolution) = if let Some(c) = layout
        .cell(cells, "legacyCommuneCode")
        .filter(|c| !c.is_empty())
    {
        ("legacyCommuneCode", legacy.resolve_code(&commune_code(c)))
    } else if let Some(a) = layout
        .cell(cells, "legacyAddress")
        .filter(|c| !c.is_empty())
    {
        ("legacyAddress", legacy.resolve_address(a))
    } else {
        return None;
    };
    if let Some(c) = resolution.commune {
        return Some(c);
    }
    if resolution.ambiguous {
        let names: Vec<String> = resolution
            .candidates
            .iter()
            .map(|c| match ctx.reference.commune(c) {
                Some(n) => format!("{} ({})", n.name, n.code),
                None => c.clone(),
            })
            .collect();
        errs.push(
            Some(key),
            "AMBIGUOUS_ADDRESS",
            Msg::new(
                format!(
                    "The old commune was split; fill the commune code with one of: {}.",
                    names.join(", ")
                ),
                format!(
                    "Xã cũ đã được chia; hãy điền mã xã mới là một trong: {}.",
                    names.join(", ")
                ),
            ),
        );
    } else {
        errs.push(
            Some(key),
            "UNKNOWN_ADDRESS",
            Msg::new(
                "No commune before the reform matches this; check the spelling or fill the commune code.",
                "Không tìm thấy xã cũ khớp; hãy kiểm tra chính tả hoặc điền mã xã mới.",
            ),
        );
    }
    None
}

fn establishment_patch(
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

fn required(errs: &mut RowErrors<'_>, key: &str) {
    errs.push(
        Some(key),
        "REQUIRED",
        Msg::new(
            "This cell is required for a new record.",
            "Ô này bắt buộc khi thêm mới.",
        ),
    );
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
struct Pending {
    rows: Vec<(establishment::EstablishmentData, crate::reference::Commune)>,
    names: HashSet<(String, String)>,
}

/// New establishments written per INSERT.
const BATCH_ROWS: usize = 500;

/// Writes the pending establishments (with their audit events and change-feed entries).
async fn flush(
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
struct Known {
    by_tax: HashMap<String, est_row::Model>,
    by_name: HashMap<(String, String), est_row::Model>,
}

impl Known {
    async fn load(
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

enum Outcome {
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
async fn establishment_row(
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
async fn product_row(
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
        selection_group: selection_group.apply(
            existing
                .and_then(|p| p.selection_group.as_deref())
                .and_then(SelectionProductGroup::parse),
        ),
        ocop_group: ocop_group.apply(
            existing
                .and_then(|p| p.ocop_group.as_deref())
                .and_then(OcopProductGroup::parse),
        ),
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

#[cfg(test)]
mod tests {
    use super::*;

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
