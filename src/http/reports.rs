//! `GET /reports/{fundingSummary,selectionSummary,ocopSummary,ocopProvinceRanking}.xlsx`: the
//! GraphQL reports as Excel workbooks for offices that send their reports up as files. The
//! query parameters are the fields of the report's GraphQL filter (`provinceCode`,
//! `fromYear`, `toYear`, `programLevel`); the caller's area applies as in GraphQL. Headers
//! are Vietnamese or English (`?lang=` or `Accept-Language`); money is stored as numbers
//! with a đồng format; a title row states the filters and the date; totals close each table.

use std::collections::HashMap;

use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
};
use rust_xlsxwriter::{Format, Workbook, Worksheet};

use crate::{
    auth::actor::Actor,
    domain::{Ctx, report},
    enums::{ProgramLevel, SelectionLevel},
    error::{AppError, Lang, Msg},
    http::{
        HttpState,
        edge::{Caller, ErrorResponse},
        templates::XLSX,
    },
};

/// The language of a file: `?lang=vi|en`, else `Accept-Language`.
pub fn file_lang(params: &HashMap<String, String>, headers: &HeaderMap) -> Lang {
    match params.get("lang").map(|s| s.to_ascii_lowercase()) {
        Some(l) if l.starts_with("vi") => Lang::Vi,
        Some(l) if l.starts_with("en") => Lang::En,
        _ => Lang::from_accept_language(
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        ),
    }
}

fn bad_param(name: &str) -> AppError {
    AppError::bad_input(
        name,
        Msg::new(
            format!("The query parameter {name} has a value the report does not accept."),
            format!("Tham số {name} có giá trị không hợp lệ."),
        ),
    )
}

fn year(params: &HashMap<String, String>, name: &str) -> Result<Option<i32>, AppError> {
    params
        .get(name)
        .map(|v| v.trim().parse::<i32>().map_err(|_| bad_param(name)))
        .transpose()
}

/// Writes a workbook: one sheet, headed by a title row and a line of filters and date.
struct Sheet<'a> {
    ws: &'a mut Worksheet,
    row: u32,
    lang: Lang,
    bold: Format,
    money: Format,
    money_bold: Format,
    int: Format,
    int_bold: Format,
}

impl Sheet<'_> {
    fn t(&self, en: &'static str, vi: &'static str) -> &'static str {
        match self.lang {
            Lang::En => en,
            Lang::Vi => vi,
        }
    }

    fn header(&mut self, cols: &[(&'static str, &'static str)]) -> Result<(), AppError> {
        for (i, (en, vi)) in cols.iter().enumerate() {
            let text = self.t(en, vi);
            self.ws
                .write_string_with_format(self.row, i as u16, text, &self.bold)
                .map_err(AppError::internal)?;
        }
        self.row += 1;
        Ok(())
    }

    /// A row: a label, then numbers (money where `money[i]`).
    fn line(&mut self, label: &str, values: &[(i64, bool)], total: bool) -> Result<(), AppError> {
        if total {
            self.ws
                .write_string_with_format(self.row, 0, label, &self.bold)
                .map_err(AppError::internal)?;
        } else {
            self.ws
                .write_string(self.row, 0, label)
                .map_err(AppError::internal)?;
        }
        for (i, (v, money)) in values.iter().enumerate() {
            let f = match (money, total) {
                (true, false) => &self.money,
                (true, true) => &self.money_bold,
                (false, false) => &self.int,
                (false, true) => &self.int_bold,
            };
            // Whole đồng fit an f64 exactly up to 2^53 (9 million billion đồng).
            self.ws
                .write_number_with_format(self.row, (i + 1) as u16, *v as f64, f)
                .map_err(AppError::internal)?;
        }
        self.row += 1;
        Ok(())
    }

    fn text(&mut self, line: String) -> Result<(), AppError> {
        self.ws
            .write_string(self.row, 0, line)
            .map_err(AppError::internal)?;
        self.row += 2;
        Ok(())
    }

    fn gap(&mut self) {
        self.row += 1;
    }

    fn title(&mut self, en: &'static str, vi: &'static str) -> Result<(), AppError> {
        let f = Format::new().set_bold().set_font_size(12);
        let text = self.t(en, vi);
        self.ws
            .write_string_with_format(self.row, 0, text, &f)
            .map_err(AppError::internal)?;
        self.row += 1;
        Ok(())
    }
}

fn filters_line(lang: Lang, params: &HashMap<String, String>, province: Option<String>) -> String {
    let mut parts = Vec::new();
    let (p, fy, ty, pl, all, date) = match lang {
        Lang::En => (
            "Province",
            "from year",
            "to year",
            "programme",
            "all within your area",
            "made on",
        ),
        Lang::Vi => (
            "Tỉnh",
            "từ năm",
            "đến năm",
            "chương trình",
            "toàn bộ địa bàn của bạn",
            "lập ngày",
        ),
    };
    if let Some(name) = province {
        parts.push(format!("{p}: {name}"));
    }
    for (key, label) in [("fromYear", fy), ("toYear", ty), ("programLevel", pl)] {
        if let Some(v) = params.get(key) {
            parts.push(format!("{label}: {v}"));
        }
    }
    if parts.is_empty() {
        parts.push(all.to_owned());
    }
    format!(
        "{} — {date} {}",
        parts.join("; "),
        chrono::Utc::now().format("%d/%m/%Y")
    )
}

const FUNDING_COLS: &[(&str, &str)] = &[
    ("Projects", "Số đề án"),
    ("National (đồng)", "Kinh phí trung ương (đồng)"),
    ("Local (đồng)", "Kinh phí địa phương (đồng)"),
    ("Other (đồng)", "Nguồn khác (đồng)"),
    ("Counterpart (đồng)", "Vốn đối ứng (đồng)"),
    ("Disbursed (đồng)", "Đã giải ngân (đồng)"),
    ("Jobs created", "Việc làm tạo mới"),
    ("Trainees", "Người được đào tạo"),
];

fn funding_values(r: &report::FundingRow) -> Vec<(i64, bool)> {
    vec![
        (r.project_count, false),
        (r.national_vnd, true),
        (r.local_vnd, true),
        (r.other_vnd, true),
        (r.counterpart_vnd, true),
        (r.disbursed_vnd, true),
        (r.jobs_created, false),
        (r.trainees, false),
    ]
}

async fn build(
    state: &HttpState,
    ctx: &Ctx,
    name: &str,
    params: &HashMap<String, String>,
    lang: Lang,
) -> Result<Vec<u8>, AppError> {
    // Reports read from the replica when one is usable (`db::replica`).
    let db = state.app.report_db(ctx.actor.as_ref()).await;
    let province_code = params.get("provinceCode").map(|s| s.trim().to_owned());
    let province_name = match &province_code {
        Some(c) => Some(
            ctx.reference
                .province(c)
                .map(|p| p.name.clone())
                .ok_or_else(|| bad_param("provinceCode"))?,
        ),
        None => None,
    };
    let from_year = year(params, "fromYear")?;
    let to_year = year(params, "toYear")?;
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let mut s = Sheet {
        ws,
        row: 0,
        lang,
        bold: Format::new().set_bold().set_background_color("#DDEBF7"),
        money: Format::new().set_num_format("#,##0 \"₫\""),
        money_bold: Format::new().set_bold().set_num_format("#,##0 \"₫\""),
        int: Format::new().set_num_format("#,##0"),
        int_bold: Format::new().set_bold().set_num_format("#,##0"),
    };
    let province_label = |code: &str| -> String {
        ctx.reference
            .province(code)
            .map(|p| p.name.clone())
            .unwrap_or_else(|| code.to_owned())
    };
    match name {
        "fundingSummary" => {
            let program_level = params
                .get("programLevel")
                .map(|v| ProgramLevel::parse(v.trim()).ok_or_else(|| bad_param("programLevel")))
                .transpose()?;
            let r = report::funding_summary(
                db,
                ctx,
                report::ReportFilter {
                    province_code,
                    from_year,
                    to_year,
                    program_level,
                },
            )
            .await?;
            s.title(
                "Industrial promotion funding summary",
                "Tổng hợp kinh phí khuyến công",
            )?;
            let line = filters_line(lang, params, province_name);
            s.text(line)?;
            let sections: [(&str, &str, &Vec<report::FundingRow>, bool); 3] = [
                ("Fiscal year", "Năm ngân sách", &r.by_year, false),
                ("Province", "Tỉnh", &r.by_province, true),
                ("Category", "Nội dung", &r.by_category, false),
            ];
            for (en, vi, rows, is_province) in sections {
                let mut cols = vec![(en, vi)];
                cols.extend_from_slice(FUNDING_COLS);
                s.header(&cols)?;
                for row in rows {
                    let label = if is_province {
                        province_label(&row.key)
                    } else {
                        row.key.clone()
                    };
                    s.line(&label, &funding_values(row), false)?;
                }
                let total = s.t("Total", "Tổng cộng");
                s.line(total, &funding_values(&r.totals), true)?;
                s.gap();
            }
            let est = s.t("Establishments supported", "Số cơ sở được hỗ trợ");
            s.line(est, &[(r.establishment_count, false)], true)?;
        }
        "selectionSummary" => {
            let rows =
                report::selection_summary(db, ctx, province_code, from_year, to_year).await?;
            s.title(
                "Outstanding rural industrial products: selection summary",
                "Tổng hợp bình chọn sản phẩm công nghiệp nông thôn tiêu biểu",
            )?;
            let line = filters_line(lang, params, province_name);
            s.text(line)?;
            s.header(&[
                ("Level", "Cấp"),
                ("Nominated", "Số sản phẩm dự thi"),
                ("Recognized", "Số sản phẩm được công nhận"),
            ])?;
            let (mut n, mut r) = (0, 0);
            for row in rows {
                let label = match (row.level, lang) {
                    (SelectionLevel::Commune, Lang::Vi) => "Cấp xã",
                    (SelectionLevel::Provincial, Lang::Vi) => "Cấp tỉnh",
                    (SelectionLevel::Regional, Lang::Vi) => "Cấp khu vực",
                    (SelectionLevel::National, Lang::Vi) => "Cấp quốc gia",
                    (level, _) => level.as_str(),
                };
                n += row.nominated;
                r += row.recognized;
                s.line(
                    label,
                    &[(row.nominated, false), (row.recognized, false)],
                    false,
                )?;
            }
            let total = s.t("Total", "Tổng cộng");
            s.line(total, &[(n, false), (r, false)], true)?;
        }
        "ocopSummary" => {
            let o = report::ocop_summary(db, ctx, province_code).await?;
            s.title("OCOP summary", "Tổng hợp sản phẩm OCOP")?;
            let line = filters_line(lang, params, province_name);
            s.text(line)?;
            s.header(&[
                ("Stars", "Hạng sao"),
                ("Certified products", "Số sản phẩm có chứng nhận"),
            ])?;
            for (stars, count) in &o.by_stars {
                let label = match lang {
                    Lang::En => format!("{stars} stars"),
                    Lang::Vi => format!("{stars} sao"),
                };
                s.line(&label, &[(*count, false)], false)?;
            }
            let total = s.t("Total", "Tổng cộng");
            s.line(total, &[(o.certified_products, false)], true)?;
            s.gap();
            let prize = s.t("Prize money (đồng)", "Tiền thưởng (đồng)");
            s.line(prize, &[(o.prize_vnd, true)], true)?;
        }
        "ocopProvinceRanking" => {
            let counts = report::ocop_counts_by_province(db, ctx).await?;
            let mut all: Vec<(String, i64)> = ctx
                .reference
                .provinces()
                .iter()
                .map(|p| (p.code.clone(), 0))
                .collect();
            for (code, n) in counts {
                if let Some(e) = all.iter_mut().find(|(c, _)| *c == code) {
                    e.1 = n;
                }
            }
            s.title(
                "Provinces ranked by OCOP-certified products",
                "Xếp hạng tỉnh theo số sản phẩm OCOP",
            )?;
            let line = filters_line(lang, params, None);
            s.text(line)?;
            s.header(&[
                ("Province", "Tỉnh"),
                ("Rank", "Hạng"),
                ("Certified products", "Số sản phẩm"),
            ])?;
            let mut total = 0;
            for (rank, code, count) in report::rank(all) {
                total += count;
                s.line(
                    &province_label(&code),
                    &[(rank, false), (count, false)],
                    false,
                )?;
            }
            let label = s.t("Total", "Tổng cộng");
            s.line(label, &[(0, false), (total, false)], true)?;
        }
        _ => return Err(AppError::not_found("report", "báo cáo")),
    }
    s.ws.set_autofit_max_width(60).autofit();
    wb.save_to_buffer().map_err(AppError::internal)
}

/// Serves a report workbook to the caller the HTTP edge authenticated (`http::edge`).
pub async fn report_xlsx(
    State(state): State<HttpState>,
    Path(file): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    caller: Caller,
    _actor: Actor,
    headers: HeaderMap,
) -> Result<Response, ErrorResponse> {
    let lang = file_lang(&params, &headers);
    let caller = Caller { lang, ..caller };
    let name = file
        .strip_suffix(".xlsx")
        .ok_or_else(|| caller.error(AppError::not_found("report", "báo cáo")))?;
    let ctx = caller.ctx(&state.app);
    let bytes = build(&state, &ctx, name, &params, lang)
        .await
        .map_err(|e| caller.error(e))?;
    Ok((
        [
            (header::CONTENT_TYPE, XLSX.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.xlsx\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
