//! Reading a file into a table: CSV (UTF-8, comma or semicolon separated) or XLSX, judged from
//! its bytes; ZIP bombs, formulas and oversized files are refused as a whole.

use super::{MAX_FILE_BYTES, MAX_ROWS};
use crate::{
    domain::filetype,
    error::{AppError, Msg, Result},
};

pub(super) fn file_error(en: impl Into<String>, vi: impl Into<String>) -> AppError {
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

pub(super) fn column_letter(mut i: usize) -> String {
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
