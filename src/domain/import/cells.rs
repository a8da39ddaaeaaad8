//! From cells to values: which file column holds which field, the problems of a row, and
//! the typed reading of text, yes/no, number, enumeration and commune cells.

use std::collections::HashMap;

use super::{
    ImportEntity, RowError,
    columns::{Column, columns, key_of},
    entity_name,
    table::file_error,
};
use crate::{
    domain::{Ctx, validate::Patch},
    error::{AppError, Code, Msg, Result},
};

/// Which file column holds which field.
pub(super) struct Layout {
    pub(super) index: HashMap<&'static str, usize>,
    header: Vec<String>,
}

impl Layout {
    pub(super) fn new(entity: ImportEntity, header: &[String]) -> Result<Self> {
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

    pub(super) fn has(&self, key: &str) -> bool {
        self.index.contains_key(key)
    }

    /// The cell of `key`: `None` when the file has no such column.
    pub(super) fn cell<'a>(&self, cells: &'a [String], key: &str) -> Option<&'a str> {
        self.index
            .get(key)
            .map(|&i| cells.get(i).map(String::as_str).unwrap_or(""))
    }

    /// The column header as written in the file, for error reports.
    pub(super) fn header_of(&self, key: &str) -> Option<String> {
        self.index
            .get(key)
            .and_then(|&i| self.header.get(i))
            .cloned()
    }
}

/// Collects the problems of one row.
pub(super) struct RowErrors<'a> {
    pub(super) row: u32,
    pub(super) layout: &'a Layout,
    pub(super) errors: Vec<RowError>,
}

impl RowErrors<'_> {
    pub(super) fn push(&mut self, key: Option<&str>, code: &str, msg: Msg) {
        let column = key.and_then(|k| self.layout.header_of(k));
        self.errors.push(RowError {
            row: self.row,
            column,
            code: code.to_owned(),
            msg,
        });
    }

    pub(super) fn push_app(&mut self, e: AppError) {
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

pub(super) fn text_patch(cell: Option<&str>) -> Patch<String> {
    match cell {
        None => Patch::Keep,
        Some("") => Patch::Clear,
        Some(v) => Patch::Set(v.to_owned()),
    }
}

pub(super) fn bool_cell(errs: &mut RowErrors<'_>, key: &str, cell: Option<&str>) -> Patch<bool> {
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

pub(super) fn number_cell<T: std::str::FromStr>(
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
pub(super) fn enum_cell<T: Copy>(
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
pub(super) fn commune_code(v: &str) -> String {
    if !v.is_empty() && v.len() < 5 && v.bytes().all(|b| b.is_ascii_digit()) {
        format!("{v:0>5}")
    } else {
        v.to_owned()
    }
}

/// Today's commune of a row: the commune code, else the old commune code or old address
/// converted through the units before the reform.
pub(super) fn row_commune(
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

pub(super) fn required(errs: &mut RowErrors<'_>, key: &str) {
    errs.push(
        Some(key),
        "REQUIRED",
        Msg::new(
            "This cell is required for a new record.",
            "Ô này bắt buộc khi thêm mới.",
        ),
    );
}
