//! `GET /templates/{establishments,products}.xlsx`: the import templates, with Vietnamese
//! headers, code columns formatted as text (so leading zeros survive Excel) and a notes
//! sheet that explains each column and lists the accepted values of the enum columns.

use axum::{
    extract::Path,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::{
    domain::import::{
        self, ImportEntity, KIND_LABELS, OCOP_GROUP_LABELS, SECTOR_LABELS, SELECTION_GROUP_LABELS,
    },
    enums::{EstablishmentKind, OcopProductGroup, Sector, SelectionProductGroup},
};

/// The MIME type of an XLSX workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Columns whose cells are codes, kept as text.
const TEXT_COLUMNS: &[&str] = &[
    "taxCode",
    "communeCode",
    "legacyCommuneCode",
    "establishmentTaxCode",
    "phone",
];

/// The template workbook of an entity.
pub fn workbook(entity: ImportEntity) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold().set_background_color("#DDEBF7");
    let text = Format::new().set_num_format("@");
    let cols = import::columns(entity);
    let ws = wb.add_worksheet();
    ws.set_name(match entity {
        ImportEntity::Establishments => "Cơ sở",
        ImportEntity::Products => "Sản phẩm",
    })?;
    for (i, c) in cols.iter().enumerate() {
        let i = u16::try_from(i).unwrap_or(u16::MAX);
        if TEXT_COLUMNS.contains(&c.key) {
            ws.set_column_format(i, &text)?;
        }
        ws.write_string_with_format(0, i, c.vi, &bold)?;
        ws.set_column_width(i, (c.vi.chars().count() as f64 + 4.0).max(14.0))?;
    }
    ws.set_freeze_panes(1, 0)?;

    let notes = wb.add_worksheet();
    notes.set_name("Hướng dẫn")?;
    let title = Format::new().set_bold().set_font_size(13);
    notes.write_string_with_format(
        0,
        0,
        "Hướng dẫn nhập dữ liệu — mỗi dòng một bản ghi; dòng 1 là tiêu đề (tiếng Việt hoặc tiếng Anh, không phân biệt hoa thường và dấu). Chỉ nhập giá trị, không dùng công thức.",
        &title,
    )?;
    for (j, h) in ["Cột", "Tên tiếng Anh", "Bắt buộc", "Ghi chú"]
        .iter()
        .enumerate()
    {
        notes.write_string_with_format(2, j as u16, *h, &bold)?;
    }
    let mut row = 3;
    for c in cols {
        notes.write_string(row, 0, c.vi)?;
        notes.write_string(row, 1, c.en)?;
        notes.write_string(row, 2, if c.required { "Có" } else { "" })?;
        notes.write_string(row, 3, c.note)?;
        row += 1;
    }
    row += 1;
    let mut table =
        |name: &str, values: Vec<(&'static str, &'static str)>| -> Result<(), XlsxError> {
            notes.write_string_with_format(row, 0, name, &title)?;
            row += 1;
            notes.write_string_with_format(row, 0, "Nhãn (điền vào ô)", &bold)?;
            notes.write_string_with_format(row, 1, "Mã", &bold)?;
            row += 1;
            for (code, label) in values {
                notes.write_string(row, 0, label)?;
                notes.write_string(row, 1, code)?;
                row += 1;
            }
            row += 1;
            Ok(())
        };
    match entity {
        ImportEntity::Establishments => {
            table(
                "Loại hình",
                KIND_LABELS
                    .iter()
                    .map(|(k, l)| (EstablishmentKind::as_str(*k), *l))
                    .collect(),
            )?;
            table(
                "Ngành nghề",
                SECTOR_LABELS
                    .iter()
                    .map(|(k, l)| (Sector::as_str(*k), *l))
                    .collect(),
            )?;
            table("Có / Không", vec![("true", "Có"), ("false", "Không")])?;
        }
        ImportEntity::Products => {
            table(
                "Nhóm bình chọn",
                SELECTION_GROUP_LABELS
                    .iter()
                    .map(|(k, l)| (SelectionProductGroup::as_str(*k), *l))
                    .collect(),
            )?;
            table(
                "Nhóm OCOP",
                OCOP_GROUP_LABELS
                    .iter()
                    .map(|(k, l)| (OcopProductGroup::as_str(*k), *l))
                    .collect(),
            )?;
        }
    }
    notes.set_column_width(0, 42)?;
    notes.set_column_width(1, 36)?;
    notes.set_column_width(2, 10)?;
    notes.set_column_width(3, 90)?;
    wb.save_to_buffer()
}

/// Serves a template (public: it holds no data).
pub async fn template(Path(file): Path<String>) -> Response {
    let entity = file.strip_suffix(".xlsx").and_then(ImportEntity::parse);
    let Some(entity) = entity else {
        return (StatusCode::NOT_FOUND, "no such template").into_response();
    };
    match workbook(entity) {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, XLSX.to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"{}.xlsx\"",
                        import::entity_name(entity)
                    ),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
