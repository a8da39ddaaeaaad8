//! Reports: SQL aggregates (GROUP BY in the database, never rows loaded into memory), scoped
//! like the records they count. Statements are parameterised; only fixed fragments are
//! assembled.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};

use crate::{
    auth::actor::Actor,
    domain::{Ctx, ocop, scope},
    enums::{FundingLevel, NominationResult, ProgramLevel, ProjectStatus, Role, SelectionLevel},
    error::{AppError, Result},
};

/// Statuses whose money reports count (approved or later; a stopped project counts
/// what was disbursed, which its released allocations leave behind).
const COUNTED: &[ProjectStatus] = &[
    ProjectStatus::Approved,
    ProjectStatus::InProgress,
    ProjectStatus::Accepted,
    ProjectStatus::Settled,
    ProjectStatus::Stopped,
];

/// Statuses whose outcomes (jobs, trainees) are counted.
const WITH_OUTCOMES: &[ProjectStatus] = &[ProjectStatus::Accepted, ProjectStatus::Settled];

/// Filters of the funding summary.
#[derive(Clone, Debug, Default)]
pub struct ReportFilter {
    /// Province.
    pub province_code: Option<String>,
    /// From fiscal year (inclusive).
    pub from_year: Option<i32>,
    /// To fiscal year (inclusive).
    pub to_year: Option<i32>,
    /// Programme.
    pub program_level: Option<ProgramLevel>,
}

/// One row of the funding summary.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FundingRow {
    /// Province code, year or category.
    pub key: String,
    /// Projects.
    pub project_count: i64,
    /// National programme money.
    pub national_vnd: i64,
    /// Local programme money.
    pub local_vnd: i64,
    /// Other sources.
    pub other_vnd: i64,
    /// Establishments' own investment.
    pub counterpart_vnd: i64,
    /// Disbursed.
    pub disbursed_vnd: i64,
    /// Jobs created (accepted projects).
    pub jobs_created: i64,
    /// People trained (accepted projects).
    pub trainees: i64,
}

impl FundingRow {
    /// National + local + other + counterpart.
    pub fn total_vnd(&self) -> i64 {
        self.national_vnd + self.local_vnd + self.other_vnd + self.counterpart_vnd
    }

    fn add(&mut self, o: &FundingRow) {
        self.project_count += o.project_count;
        self.national_vnd += o.national_vnd;
        self.local_vnd += o.local_vnd;
        self.other_vnd += o.other_vnd;
        self.counterpart_vnd += o.counterpart_vnd;
        self.disbursed_vnd += o.disbursed_vnd;
        self.jobs_created += o.jobs_created;
        self.trainees += o.trainees;
    }
}

/// The funding summary.
#[derive(Clone, Debug, Default)]
pub struct FundingSummary {
    /// Totals.
    pub totals: FundingRow,
    /// Beneficiary rows.
    pub beneficiary_count: i64,
    /// Distinct establishments supported.
    pub establishment_count: i64,
    /// By fiscal year.
    pub by_year: Vec<FundingRow>,
    /// By province.
    pub by_province: Vec<FundingRow>,
    /// By category.
    pub by_category: Vec<FundingRow>,
}

/// A parameterised WHERE clause.
struct Where {
    backend: DbBackend,
    sql: Vec<String>,
    values: Vec<Value>,
}

impl Where {
    fn new(backend: DbBackend) -> Self {
        Self {
            backend,
            sql: Vec::new(),
            values: Vec::new(),
        }
    }

    fn param(&mut self, v: impl Into<Value>) -> String {
        self.values.push(v.into());
        // Numbered placeholders, so a value may be used before those added earlier.
        match self.backend {
            DbBackend::Postgres => format!("${}", self.values.len()),
            _ => format!("?{}", self.values.len()),
        }
    }

    /// Adds `column = value`.
    fn eq(&mut self, column: &'static str, v: impl Into<Value>) {
        let p = self.param(v);
        self.sql.push(format!("{column} = {p}"));
    }

    fn cmp(&mut self, column: &'static str, op: &'static str, v: impl Into<Value>) {
        let p = self.param(v);
        self.sql.push(format!("{column} {op} {p}"));
    }

    fn in_list(&mut self, column: &'static str, vs: &[&'static str]) {
        let ps: Vec<String> = vs.iter().map(|v| self.param(*v)).collect();
        self.sql.push(format!("{column} IN ({})", ps.join(", ")));
    }

    fn clause(&self) -> String {
        if self.sql.is_empty() {
            "1 = 1".to_owned()
        } else {
            self.sql.join(" AND ")
        }
    }

    fn statement(&self, sql: String) -> Statement {
        Statement::from_sql_and_values(self.backend, sql, self.values.clone())
    }
}

/// The area part of a report: the caller's scope on `province`/`commune` columns.
fn area(w: &mut Where, actor: &Actor, province_col: &'static str, commune_col: &'static str) {
    match actor.role {
        Role::National => {}
        Role::Province => w.eq(
            province_col,
            actor.province_code.clone().unwrap_or_default(),
        ),
        Role::Commune => w.eq(commune_col, actor.commune_code.clone().unwrap_or_default()),
    }
}

fn project_where(backend: DbBackend, actor: &Actor, f: &ReportFilter) -> Where {
    let mut w = Where::new(backend);
    // The projects the caller sees: the one rule of `scope::ProjectArea`.
    let rule = scope::project_area(actor).sql("p", &mut |v| w.param(v));
    w.sql.extend(rule);
    let counted: Vec<&'static str> = COUNTED.iter().map(|s| s.as_str()).collect();
    w.in_list("p.status", &counted);
    if let Some(p) = &f.province_code {
        w.eq("p.province_code", p.clone());
    }
    if let Some(y) = f.from_year {
        w.cmp("p.fiscal_year", ">=", y);
    }
    if let Some(y) = f.to_year {
        w.cmp("p.fiscal_year", "<=", y);
    }
    if let Some(l) = f.program_level {
        w.eq("p.program_level", l.as_str());
    }
    w
}

fn get_i64(r: &QueryResult, col: &str) -> Result<i64> {
    // Sums come back as NUMERIC on PostgreSQL and INTEGER on SQLite.
    if let Ok(v) = r.try_get::<Option<i64>>("", col) {
        return Ok(v.unwrap_or(0));
    }
    if let Ok(v) = r.try_get::<Option<sea_orm::prelude::Decimal>>("", col) {
        return v
            .map(|d| i64::try_from(d).map_err(AppError::internal))
            .transpose()
            .map(|v| v.unwrap_or(0));
    }
    r.try_get::<Option<i32>>("", col)
        .map(|v| i64::from(v.unwrap_or(0)))
        .map_err(AppError::internal)
}

/// The key expressions a summary can be grouped by.
#[derive(Clone, Copy)]
enum Dim {
    Year,
    Province,
    Category,
    /// No grouping: one row of totals.
    All,
}

impl Dim {
    fn column(self) -> Option<&'static str> {
        match self {
            Dim::Year => Some("p.fiscal_year"),
            Dim::Province => Some("p.province_code"),
            Dim::Category => Some("p.category"),
            Dim::All => None,
        }
    }

    fn key(self, r: &QueryResult) -> Result<String> {
        match self {
            Dim::Year => Ok(get_i64(r, "k")?.to_string()),
            Dim::All => Ok(String::new()),
            _ => r.try_get::<String>("", "k").map_err(AppError::internal),
        }
    }
}

/// One grouping in one statement: the money of each project's allocations is summed per
/// project first (a join of projects with allocations would repeat a project's counts),
/// then projects are grouped by the key.
async fn by_dim(
    db: &impl ConnectionTrait,
    actor: &Actor,
    f: &ReportFilter,
    dim: Dim,
) -> Result<Vec<FundingRow>> {
    let backend = db.get_database_backend();
    let mut w = project_where(backend, actor, f);
    // Money by source level: what an allocation still commits (its amount less what was
    // released back: a stopped or settled project counts what it disbursed).
    let (nat, loc, oth) = (
        w.param(FundingLevel::National.as_str()),
        w.param(FundingLevel::Local.as_str()),
        w.param(FundingLevel::Other.as_str()),
    );
    let stopped = w.param(ProjectStatus::Stopped.as_str());
    let outcomes: Vec<String> = WITH_OUTCOMES.iter().map(|s| w.param(s.as_str())).collect();
    let outcomes = outcomes.join(", ");
    let (select_key, group_by) = match dim.column() {
        Some(key) => (format!("{key} AS k, "), format!(" GROUP BY {key}")),
        None => (String::new(), String::new()),
    };
    let sql = format!(
        "SELECT {select_key}COUNT(*) AS projects, \
           CAST(COALESCE(SUM(CASE WHEN p.status = {stopped} THEN 0 ELSE p.counterpart_vnd END), 0) AS BIGINT) AS counterpart, \
           CAST(COALESCE(SUM(CASE WHEN p.status IN ({outcomes}) THEN COALESCE(p.jobs_created, 0) ELSE 0 END), 0) AS BIGINT) AS jobs, \
           CAST(COALESCE(SUM(CASE WHEN p.status IN ({outcomes}) THEN COALESCE(p.trainees, 0) ELSE 0 END), 0) AS BIGINT) AS trainees, \
           CAST(COALESCE(SUM(m.national), 0) AS BIGINT) AS national, \
           CAST(COALESCE(SUM(m.local), 0) AS BIGINT) AS local, \
           CAST(COALESCE(SUM(m.other), 0) AS BIGINT) AS other, \
           CAST(COALESCE(SUM(m.disbursed), 0) AS BIGINT) AS disbursed \
         FROM project p \
         LEFT JOIN (SELECT a.project_id AS project_id, \
             SUM(CASE WHEN fs.level = {nat} THEN a.amount_vnd - a.released_vnd ELSE 0 END) AS national, \
             SUM(CASE WHEN fs.level = {loc} THEN a.amount_vnd - a.released_vnd ELSE 0 END) AS local, \
             SUM(CASE WHEN fs.level = {oth} THEN a.amount_vnd - a.released_vnd ELSE 0 END) AS other, \
             SUM(a.disbursed_vnd) AS disbursed \
           FROM allocation a JOIN funding_source fs ON fs.id = a.funding_source_id \
           GROUP BY a.project_id) m ON m.project_id = p.id \
         WHERE {}{group_by}",
        w.clause()
    );
    let rows = db.query_all_raw(w.statement(sql)).await?;
    let mut out: BTreeMap<String, FundingRow> = BTreeMap::new();
    for r in &rows {
        let k = dim.key(r)?;
        let row = out.entry(k.clone()).or_default();
        row.key = k;
        row.project_count = get_i64(r, "projects")?;
        row.counterpart_vnd = get_i64(r, "counterpart")?;
        row.jobs_created = get_i64(r, "jobs")?;
        row.trainees = get_i64(r, "trainees")?;
        row.national_vnd = get_i64(r, "national")?;
        row.local_vnd = get_i64(r, "local")?;
        row.other_vnd = get_i64(r, "other")?;
        row.disbursed_vnd = get_i64(r, "disbursed")?;
    }
    Ok(out.into_values().collect())
}

/// Which parts of a funding summary to compute (the others stay empty).
#[derive(Clone, Copy, Debug)]
pub struct FundingParts {
    /// The totals.
    pub totals: bool,
    /// Rows by year.
    pub by_year: bool,
    /// Rows by province.
    pub by_province: bool,
    /// Rows by category.
    pub by_category: bool,
    /// Beneficiary and establishment counts.
    pub beneficiaries: bool,
}

impl FundingParts {
    /// Every part.
    pub const ALL: Self = Self {
        totals: true,
        by_year: true,
        by_province: true,
        by_category: true,
        beneficiaries: true,
    };
}

/// The funding summary of projects approved or later, in the caller's area.
#[tracing::instrument(name = "report.funding_summary", skip_all)]
pub async fn funding_summary(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    f: ReportFilter,
) -> Result<FundingSummary> {
    funding_summary_of(db, ctx, f, FundingParts::ALL).await
}

/// The parts asked of the funding summary: one statement per grouping asked, the totals
/// summed from a grouping already computed (or one statement without grouping), and the
/// beneficiary counts only when asked.
#[tracing::instrument(name = "report.funding_summary_of", skip_all)]
pub async fn funding_summary_of(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    f: ReportFilter,
    parts: FundingParts,
) -> Result<FundingSummary> {
    let actor = ctx.actor()?;
    let mut out = FundingSummary::default();
    if parts.by_year {
        out.by_year = by_dim(db, actor, &f, Dim::Year).await?;
    }
    if parts.by_province {
        out.by_province = by_dim(db, actor, &f, Dim::Province).await?;
    }
    if parts.by_category {
        out.by_category = by_dim(db, actor, &f, Dim::Category).await?;
    }
    if parts.totals {
        // Every project has one year, one province and one category: any grouping sums to
        // the totals.
        let computed = [parts.by_year, parts.by_province, parts.by_category]
            .into_iter()
            .zip([&out.by_year, &out.by_province, &out.by_category])
            .find_map(|(asked, rows)| asked.then(|| rows.clone()));
        let rows = match computed {
            Some(rows) => rows,
            None => by_dim(db, actor, &f, Dim::All).await?,
        };
        for r in &rows {
            out.totals.add(r);
        }
        out.totals.key = String::new();
    }
    if parts.beneficiaries {
        let w = project_where(db.get_database_backend(), actor, &f);
        let sql = format!(
            "SELECT COUNT(*) AS rows_, COUNT(DISTINCT b.establishment_id) AS establishments \
             FROM project_beneficiary b JOIN project p ON p.id = b.project_id WHERE {}",
            w.clause()
        );
        let r = db
            .query_one_raw(w.statement(sql))
            .await?
            .ok_or_else(|| AppError::internal("no beneficiary count"))?;
        out.beneficiary_count = get_i64(&r, "rows_")?;
        out.establishment_count = get_i64(&r, "establishments")?;
    }
    Ok(out)
}

/// Nominated and recognised products of one level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LevelCount {
    /// Level.
    pub level: SelectionLevel,
    /// Nominations.
    pub nominated: i64,
    /// Recognitions.
    pub recognized: i64,
}

/// Nominations and recognitions by level, in the caller's area.
#[tracing::instrument(name = "report.selection_summary", skip_all)]
pub async fn selection_summary(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    province_code: Option<String>,
    from_year: Option<i32>,
    to_year: Option<i32>,
) -> Result<Vec<LevelCount>> {
    let actor = ctx.actor()?;
    let mut w = Where::new(db.get_database_backend());
    area(&mut w, actor, "n.province_code", "n.commune_code");
    if let Some(p) = province_code {
        w.eq("n.province_code", p);
    }
    if let Some(y) = from_year {
        w.cmp("r.year", ">=", y);
    }
    if let Some(y) = to_year {
        w.cmp("r.year", "<=", y);
    }
    let rec = w.param(NominationResult::Recognized.as_str());
    let sql = format!(
        "SELECT r.level AS level, COUNT(*) AS nominated, \
           CAST(COALESCE(SUM(CASE WHEN n.result = {rec} THEN 1 ELSE 0 END), 0) AS BIGINT) AS recognized \
         FROM nomination n JOIN selection_round r ON r.id = n.round_id \
         WHERE {} GROUP BY r.level",
        w.clause()
    );
    let rows = db.query_all_raw(w.statement(sql)).await?;
    let mut out: Vec<LevelCount> = SelectionLevel::ALL
        .iter()
        .map(|l| LevelCount {
            level: *l,
            nominated: 0,
            recognized: 0,
        })
        .collect();
    for r in rows {
        let level: SelectionLevel = r.try_get("", "level").map_err(AppError::internal)?;
        if let Some(o) = out.iter_mut().find(|o| o.level == level) {
            o.nominated = get_i64(&r, "nominated")?;
            o.recognized = get_i64(&r, "recognized")?;
        }
    }
    Ok(out)
}

/// OCOP totals in the caller's area.
#[derive(Clone, Debug, Default)]
pub struct OcopSummary {
    /// Products with a valid certificate.
    pub certified_products: i64,
    /// Valid certificates by stars (3, 4, 5).
    pub by_stars: Vec<(i32, i64)>,
    /// Prize money: for each product, the prize of the highest star level it was ever
    /// certified at and not revoked (each level once; an upgrade adds the difference).
    pub prize_vnd: i64,
}

/// The OCOP summary.
#[tracing::instrument(name = "report.ocop_summary", skip_all)]
pub async fn ocop_summary(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    province_code: Option<String>,
) -> Result<OcopSummary> {
    let actor = ctx.actor()?;
    let backend = db.get_database_backend();
    let today = chrono::Utc::now().date_naive();
    let mut w = Where::new(backend);
    area(&mut w, actor, "c.province_code", "c.commune_code");
    if let Some(p) = &province_code {
        w.eq("c.province_code", p.clone());
    }
    let base = w.clause();
    let mut valid = Where {
        backend,
        sql: w.sql.clone(),
        values: w.values.clone(),
    };
    valid.sql.push("c.revoked_at IS NULL".into());
    valid.sql.push("c.superseded = FALSE".into());
    valid.cmp("c.valid_until", ">=", today);
    let sql = format!(
        "SELECT c.stars AS stars, COUNT(DISTINCT c.product_id) AS n \
         FROM ocop_certificate c WHERE {} GROUP BY c.stars",
        valid.clause()
    );
    let rows = db.query_all_raw(valid.statement(sql)).await?;
    let mut by_stars: Vec<(i32, i64)> = vec![(3, 0), (4, 0), (5, 0)];
    for r in rows {
        let stars = i32::try_from(get_i64(&r, "stars")?).map_err(AppError::internal)?;
        let n = get_i64(&r, "n")?;
        match by_stars.iter_mut().find(|(s, _)| *s == stars) {
            Some(e) => e.1 = n,
            None => by_stars.push((stars, n)),
        }
    }
    let certified_products = by_stars.iter().map(|(_, n)| n).sum();
    let sql = format!(
        "SELECT m.stars AS stars, COUNT(*) AS n FROM \
           (SELECT c.product_id, MAX(c.stars) AS stars FROM ocop_certificate c \
            WHERE {base} AND c.revoked_at IS NULL GROUP BY c.product_id) m \
         GROUP BY m.stars"
    );
    let rows = db.query_all_raw(w.statement(sql)).await?;
    let prizes = ocop::prizes(db).await?;
    let mut prize_vnd = 0;
    for r in rows {
        let stars = i32::try_from(get_i64(&r, "stars")?).map_err(AppError::internal)?;
        prize_vnd += prizes.get(&stars).copied().unwrap_or(0) * get_i64(&r, "n")?;
    }
    Ok(OcopSummary {
        certified_products,
        by_stars,
        prize_vnd,
    })
}

/// Products with a valid certificate per province: aggregate counts, open to every
/// signed-in user. Returns (province code, count) for the provinces that have any.
#[tracing::instrument(name = "report.ocop_counts_by_province", skip_all)]
pub async fn ocop_counts_by_province(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
) -> Result<Vec<(String, i64)>> {
    ctx.actor()?;
    let mut w = Where::new(db.get_database_backend());
    w.sql.push("c.revoked_at IS NULL".into());
    w.sql.push("c.superseded = FALSE".into());
    w.cmp("c.valid_until", ">=", chrono::Utc::now().date_naive());
    let sql = format!(
        "SELECT c.province_code AS k, COUNT(DISTINCT c.product_id) AS n \
         FROM ocop_certificate c WHERE {} GROUP BY c.province_code",
        w.clause()
    );
    let rows = db.query_all_raw(w.statement(sql)).await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get::<String>("", "k").map_err(AppError::internal)?,
                get_i64(r, "n")?,
            ))
        })
        .collect()
}

/// Ranks with ties sharing a rank (1, 1, 3 …), highest count first.
pub fn rank(mut rows: Vec<(String, i64)>) -> Vec<(i64, String, i64)> {
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut out = Vec::with_capacity(rows.len());
    let mut last: Option<i64> = None;
    let mut rank = 0;
    for (i, (code, n)) in rows.into_iter().enumerate() {
        if last != Some(n) {
            rank = i as i64 + 1;
            last = Some(n);
        }
        out.push((rank, code, n));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_a_rank() {
        let r = rank(vec![
            ("66".into(), 5),
            ("44".into(), 7),
            ("68".into(), 5),
            ("01".into(), 0),
        ]);
        assert_eq!(
            r,
            vec![
                (1, "44".into(), 7),
                (2, "66".into(), 5),
                (2, "68".into(), 5),
                (4, "01".into(), 0)
            ]
        );
    }
}
