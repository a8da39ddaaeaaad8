//! `khuyencong generate --scale xs|s|m|l --seed N`: fills a migrated database with a
//! deterministic synthetic country for benchmarks and load tests.
//!
//! Rows are what the API would have written: folded search text, versions, creation and
//! change times, province codes copied from the commune, project codes numbered per
//! programme, province and year, support within the support-cap rule that applies, projects
//! in every status with the money their lifecycle moved (allocations, half the support for
//! an appraised project and all of it from approval on; advances within the
//! advance rule once work started, the rest after acceptance; what STOP and SETTLE release
//! returned to the source), funding-source and project totals equal to their allocations
//! and disbursements, OCOP evaluations certified from council members' scores inside the
//! star band with their certificates (3–4★ by the province, 5★ by the centre after both
//! stages), and open provincial selection rounds with pending nominations. Times come from a
//! fixed start plus the row's position, so the same seed gives the same rows. Audit events,
//! change-feed entries and project status history are not written (what a generated record
//! went through is not recorded).
//!
//! Writing, in one transaction: PostgreSQL through `COPY … FROM STDIN` (CSV), SQLite through
//! multi-row `INSERT`s of 500 rows (on PostgreSQL the tables' secondary indexes are dropped
//! for the load and built again before the commit); rows are generated and written in chunks
//! of 20,000 so memory stays bounded at scale `l`. PostgreSQL's identity sequences are moved
//! past the ids written, then the database is vacuumed and analysed.

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use rand::{Rng, SeedableRng, rngs::StdRng};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait,
    TransactionTrait,
};

use crate::{
    db::entities::{
        allocation, app_user, disbursement, disbursement_rule, establishment, funding_source,
        nomination, ocop_certificate, ocop_criteria, ocop_evaluation, ocop_score, product, project,
        project_beneficiary, selection_criteria, selection_round, support_cap_rule,
    },
    enums::{
        CommuneKind, EstablishmentKind, EstablishmentStatus, FundingLevel, NominationResult,
        ProgramLevel, ProjectCategory, ProjectKind, ProjectStatus, ProvinceKind, Role, Sector,
        SelectionLevel, SelectionProductGroup, SelectionRoundStatus,
    },
    error::{AppError, Result},
    reference::Reference,
    text,
};

/// How much to generate.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    /// Establishments.
    pub establishments: usize,
    /// Products.
    pub products: usize,
    /// Projects.
    pub projects: usize,
}

impl Scale {
    /// `xs`, `s`, `m` or `l`.
    pub fn named(name: &str) -> Option<Self> {
        let (e, p, j) = match name {
            "xs" => (1_000, 1_500, 50),
            "s" => (100_000, 150_000, 5_000),
            "m" => (300_000, 450_000, 15_000),
            "l" => (1_000_000, 1_500_000, 50_000),
            _ => return None,
        };
        Some(Self {
            establishments: e,
            products: p,
            projects: j,
        })
    }
}

/// What was written.
#[derive(Clone, Debug, Default)]
pub struct Written {
    /// Establishments.
    pub establishments: usize,
    /// Products.
    pub products: usize,
    /// Funding sources.
    pub funding_sources: usize,
    /// Projects.
    pub projects: usize,
    /// Beneficiary rows.
    pub beneficiaries: usize,
    /// Allocations.
    pub allocations: usize,
    /// Disbursements.
    pub disbursements: usize,
    /// OCOP council members made to score the evaluations.
    pub users: usize,
    /// OCOP certificates (one certified evaluation each).
    pub ocop_certificates: usize,
    /// Selection rounds.
    pub selection_rounds: usize,
    /// Nominations.
    pub nominations: usize,
}

/// Rows per multi-row `INSERT` (SQLite).
const BATCH: usize = 500;
/// Rows generated before they are written (bounds memory at scale `l`).
const CHUNK: usize = 20_000;

const FAMILY: &[&str] = &[
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
    "Hồ", "Ngô", "Dương", "Lý", "H'Hen", "Y Moan", "Ksor", "Niê",
];
const GIVEN: &[&str] = &[
    "Văn Hải",
    "Thị Lan",
    "Đức Thắng",
    "Thị Hương",
    "Minh Tuấn",
    "Thị Ngọc",
    "Quốc Bảo",
    "Thị Thu",
    "Hữu Phước",
    "Thanh Tâm",
    "Xuân Trường",
    "Thị Mỹ",
];
const TRADE: &[&str] = &[
    "Cà phê",
    "Chè",
    "Mắc ca",
    "Hồ tiêu",
    "Ca cao",
    "Mây tre đan",
    "Gốm",
    "Dệt thổ cẩm",
    "Gỗ mỹ nghệ",
    "Nước mắm",
    "Bánh tráng",
    "Rượu cần",
    "Mật ong",
    "Sơn mài",
    "Cơ khí nhỏ",
    "Chế biến hạt điều",
    "Nông cụ",
    "Nấm linh chi",
];
const FORM: &[(EstablishmentKind, &str)] = &[
    (EstablishmentKind::Sme, "Công ty TNHH"),
    (EstablishmentKind::Cooperative, "Hợp tác xã"),
    (EstablishmentKind::BusinessHousehold, "Hộ kinh doanh"),
    (EstablishmentKind::CooperativeGroup, "Tổ hợp tác"),
    (EstablishmentKind::Artisan, "Nghệ nhân"),
    (EstablishmentKind::BusinessHousehold, "Cơ sở"),
];
const SECTORS: &[Sector] = &[
    Sector::AgroForestryFisheryFood,
    Sector::ConsumerGoods,
    Sector::Handicraft,
    Sector::WoodFurniture,
    Sector::TextileGarment,
    Sector::MechanicalElectrical,
    Sector::BuildingMaterials,
    Sector::AgriculturalChemicals,
    Sector::Herbal,
    Sector::Other,
];
const PRODUCT_KIND: &[&str] = &[
    "rang xay",
    "sấy khô",
    "đặc sản",
    "hữu cơ",
    "thủ công",
    "đóng gói",
    "truyền thống",
    "cao cấp",
];
const CATEGORIES: &[ProjectCategory] = &[
    ProjectCategory::VocationalTraining,
    ProjectCategory::CapacityBuilding,
    ProjectCategory::TechnicalDemonstration,
    ProjectCategory::TechnologyTransfer,
    ProjectCategory::AdvancedMachinery,
    ProjectCategory::CleanerProduction,
    ProjectCategory::DigitalTransformation,
    ProjectCategory::TradeFair,
    ProjectCategory::BrandBuilding,
];
/// Statuses of generated projects, and whether money was allocated to them.
const STATUSES: &[(ProjectStatus, bool)] = &[
    (ProjectStatus::Draft, false),
    (ProjectStatus::Submitted, false),
    (ProjectStatus::Appraised, true),
    (ProjectStatus::Approved, true),
    (ProjectStatus::InProgress, true),
    (ProjectStatus::Accepted, true),
    (ProjectStatus::Settled, true),
    (ProjectStatus::Stopped, true),
    (ProjectStatus::Rejected, false),
    (ProjectStatus::Cancelled, false),
];
const YEARS: [i32; 3] = [2024, 2025, 2026];

fn pick<'a, T>(rng: &mut StdRng, xs: &'a [T]) -> &'a T {
    &xs[rng.random_range(0..xs.len())]
}

/// Optional fields are empty about one time in twenty.
fn maybe<T>(rng: &mut StdRng, v: impl FnOnce(&mut StdRng) -> T) -> Option<T> {
    if rng.random_ratio(1, 20) {
        None
    } else {
        Some(v(rng))
    }
}

/// An index skewed towards the start: a few communes hold many establishments.
fn skewed(rng: &mut StdRng, n: usize) -> usize {
    let u: f64 = rng.random();
    ((u * u * u) * n as f64) as usize % n
}

/// Where generated rows go: PostgreSQL through `COPY … FROM STDIN` inside one transaction,
/// SQLite through multi-row `INSERT`s inside one transaction. Both take sea-orm active
/// models, so a row is built once, the same way for both databases.
enum Sink {
    Postgres {
        tx: sea_orm::sqlx::Transaction<'static, sea_orm::sqlx::Postgres>,
        /// Definitions of the secondary indexes dropped for the load, made again before
        /// commit (building a trigram index once is far cheaper than row by row).
        indexes: Vec<String>,
    },
    Sqlite(sea_orm::DatabaseTransaction),
}

/// The tables `generate` fills.
const TABLES: &[&str] = &[
    "establishment",
    "product",
    "funding_source",
    "project",
    "project_beneficiary",
    "allocation",
    "disbursement",
    "app_user",
    "ocop_evaluation",
    "ocop_score",
    "ocop_certificate",
    "selection_round",
    "nomination",
];

impl Sink {
    async fn begin(db: &sea_orm::DatabaseConnection) -> Result<Self> {
        Ok(match db.get_database_backend() {
            DatabaseBackend::Postgres => {
                use sea_orm::sqlx::Row;
                let mut tx = db
                    .get_postgres_connection_pool()
                    .begin()
                    .await
                    .map_err(AppError::internal)?;
                // Secondary indexes only: those behind primary keys and unique constraints
                // stay (they check the rows as they arrive).
                let rows = sea_orm::sqlx::query(
                    "SELECT i.indexname, i.indexdef FROM pg_indexes i \
                     WHERE i.schemaname = current_schema() AND i.tablename = ANY($1) \
                     AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                )
                .bind(TABLES)
                .fetch_all(&mut *tx)
                .await
                .map_err(AppError::internal)?;
                let mut indexes = Vec::with_capacity(rows.len());
                for r in rows {
                    let name: String = r.try_get(0).map_err(AppError::internal)?;
                    indexes.push(r.try_get::<String, _>(1).map_err(AppError::internal)?);
                    sea_orm::sqlx::raw_sql(sea_orm::sqlx::AssertSqlSafe(format!(
                        "DROP INDEX \"{name}\""
                    )))
                    .execute(&mut *tx)
                    .await
                    .map_err(AppError::internal)?;
                }
                Self::Postgres { tx, indexes }
            }
            _ => Self::Sqlite(db.begin().await?),
        })
    }

    /// Writes `rows` of one entity; every column of each row must be set.
    async fn write<E, A>(&mut self, rows: Vec<A>, bar: &ProgressBar) -> Result<()>
    where
        E: EntityTrait,
        A: sea_orm::ActiveModelTrait<Entity = E> + Send,
    {
        if rows.is_empty() {
            return Ok(());
        }
        let n = rows.len() as u64;
        match self {
            Self::Sqlite(txn) => {
                let mut rows = rows.into_iter().peekable();
                while rows.peek().is_some() {
                    let chunk: Vec<A> = rows.by_ref().take(BATCH).collect();
                    let k = chunk.len() as u64;
                    E::insert_many(chunk).exec_without_returning(&*txn).await?;
                    bar.inc(k);
                }
            }
            Self::Postgres { tx, .. } => {
                use sea_orm::{IdenStatic, Iterable};
                let columns: Vec<E::Column> = E::Column::iter().collect();
                let names: Vec<String> = columns
                    .iter()
                    .map(|c| format!("\"{}\"", c.as_str()))
                    .collect();
                let statement = format!(
                    "COPY \"{}\" ({}) FROM STDIN WITH (FORMAT csv)",
                    E::default().to_string(),
                    names.join(", ")
                );
                let mut buf = String::with_capacity(rows.len() * 256);
                for row in &rows {
                    for (i, c) in columns.iter().enumerate() {
                        if i > 0 {
                            buf.push(',');
                        }
                        match row.get(*c) {
                            sea_orm::ActiveValue::Set(v) | sea_orm::ActiveValue::Unchanged(v) => {
                                csv_field(&mut buf, &v)?
                            }
                            sea_orm::ActiveValue::NotSet => {
                                return Err(AppError::internal(format!(
                                    "generate: column {} not set",
                                    c.as_str()
                                )));
                            }
                        }
                    }
                    buf.push('\n');
                }
                let mut copy = tx
                    .copy_in_raw(&statement)
                    .await
                    .map_err(AppError::internal)?;
                copy.send(buf.as_bytes())
                    .await
                    .map_err(AppError::internal)?;
                copy.finish().await.map_err(AppError::internal)?;
                bar.inc(n);
            }
        }
        Ok(())
    }

    async fn execute(&mut self, sql: &str) -> Result<()> {
        match self {
            Self::Sqlite(txn) => {
                txn.execute_unprepared(sql).await?;
            }
            Self::Postgres { tx, .. } => {
                sea_orm::sqlx::raw_sql(sea_orm::sqlx::AssertSqlSafe(sql.to_owned()))
                    .execute(&mut **tx)
                    .await
                    .map_err(AppError::internal)?;
            }
        }
        Ok(())
    }

    async fn commit(self) -> Result<()> {
        match self {
            Self::Sqlite(txn) => txn.commit().await?,
            Self::Postgres { mut tx, indexes } => {
                for def in indexes {
                    sea_orm::sqlx::raw_sql(sea_orm::sqlx::AssertSqlSafe(def))
                        .execute(&mut *tx)
                        .await
                        .map_err(AppError::internal)?;
                }
                tx.commit().await.map_err(AppError::internal)?
            }
        }
        Ok(())
    }
}

/// One value as a field of PostgreSQL's CSV format: NULL is an empty unquoted field, text is
/// always quoted (so an empty string stays an empty string).
fn csv_field(buf: &mut String, v: &sea_orm::Value) -> Result<()> {
    use sea_orm::Value as V;
    use std::fmt::Write;
    let w = |buf: &mut String, d: &dyn std::fmt::Display| {
        let _ = write!(buf, "{d}");
    };
    match v {
        V::Bool(Some(b)) => buf.push(if *b { 't' } else { 'f' }),
        V::TinyInt(Some(x)) => w(buf, x),
        V::SmallInt(Some(x)) => w(buf, x),
        V::Int(Some(x)) => w(buf, x),
        V::BigInt(Some(x)) => w(buf, x),
        V::Float(Some(x)) => w(buf, x),
        V::Double(Some(x)) => w(buf, x),
        V::String(Some(s)) => {
            buf.push('"');
            for ch in s.chars() {
                if ch == '"' {
                    buf.push('"');
                }
                buf.push(ch);
            }
            buf.push('"');
        }
        V::ChronoDate(Some(d)) => w(buf, d),
        V::ChronoDateTimeUtc(Some(t)) => buf.push_str(&t.to_rfc3339()),
        V::Bool(None)
        | V::TinyInt(None)
        | V::SmallInt(None)
        | V::Int(None)
        | V::BigInt(None)
        | V::Float(None)
        | V::Double(None)
        | V::String(None)
        | V::ChronoDate(None)
        | V::ChronoDateTimeUtc(None) => {}
        other => {
            return Err(AppError::internal(format!(
                "generate: no COPY form for {other:?}"
            )));
        }
    }
    Ok(())
}

async fn next_id(db: &impl ConnectionTrait, table: &str) -> Result<i64> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS m FROM {table}"),
        ))
        .await?
        .ok_or_else(|| AppError::internal("no max id"))?;
    Ok(row.try_get::<i64>("", "m").map_err(AppError::internal)? + 1)
}

/// Fills the database with `scale` rows generated from `seed`. The project table must be
/// empty (project codes are numbered from 1).
pub async fn generate(
    db: &sea_orm::DatabaseConnection,
    reference: &Reference,
    scale: Scale,
    seed: u64,
    progress: bool,
) -> Result<Written> {
    if project::Entity::find().count(db).await? > 0 {
        return Err(AppError::internal(
            "generate fills a database without projects; this one has some",
        ));
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let start: DateTime<Utc> = Utc
        .with_ymd_and_hms(2025, 7, 1, 1, 0, 0)
        .single()
        .ok_or_else(|| AppError::internal("start time"))?;
    let communes: Vec<_> = reference
        .provinces()
        .iter()
        .flat_map(|p| reference.communes_of(&p.code, None))
        .collect();
    let rules = support_cap_rule::Entity::find().all(db).await?;

    let total = scale.establishments + scale.products + scale.projects * 5;
    let bar = if progress {
        ProgressBar::new(total as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows {per_sec} {eta} {msg}")
            .map_err(AppError::internal)?,
    );

    let first_e = next_id(db, "establishment").await?;
    let first_p = next_id(db, "product").await?;
    let first_j = next_id(db, "project").await?;
    let first_b = next_id(db, "project_beneficiary").await?;
    let first_a = next_id(db, "allocation").await?;
    let first_s = next_id(db, "funding_source").await?;
    let first_d = next_id(db, "disbursement").await?;
    let advance_percent = disbursement_rule::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .max_by_key(|r| (r.effective_from, r.id))
        .map_or(0, |r| i64::from(r.advance_percent));
    let criteria = ocop_criteria::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .max_by_key(|c| (c.effective_from, c.id))
        .ok_or_else(|| AppError::internal("generate: no OCOP criteria"))?;
    let hash = crate::auth::password::dummy_hash().await?;
    let first_u = next_id(db, "app_user").await?;
    let first_v = next_id(db, "ocop_evaluation").await?;
    let first_sc = next_id(db, "ocop_score").await?;
    let first_c = next_id(db, "ocop_certificate").await?;
    let selection = selection_criteria::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .max_by_key(|c| (c.effective_from, c.id))
        .ok_or_else(|| AppError::internal("generate: no selection criteria"))?;
    let first_r = next_id(db, "selection_round").await?;
    let first_n = next_id(db, "nomination").await?;
    // Everything is read before the load starts: on PostgreSQL the load's transaction locks
    // the tables whose indexes it drops, and a read on another connection would wait for it.
    let mut sink = Sink::begin(db).await?;
    let mut written = Written::default();

    // Establishments.
    bar.set_message("establishments");
    let mut est_rows = Vec::with_capacity(CHUNK);
    // What products need: commune and province of each establishment.
    let mut places: Vec<(String, String, bool)> = Vec::with_capacity(scale.establishments);
    // Active establishments eligible for support, by province: (id, name).
    let mut eligible: HashMap<String, Vec<i64>> = HashMap::new();
    for i in 0..scale.establishments {
        let id = first_e + i as i64;
        let c = communes[skewed(&mut rng, communes.len())];
        let (kind, form) = *pick(&mut rng, FORM);
        let trade = *pick(&mut rng, TRADE);
        let owner = format!("{} {}", pick(&mut rng, FAMILY), pick(&mut rng, GIVEN));
        let name = format!("{form} {trade} {owner}");
        let main_products = maybe(&mut rng, |r| {
            format!(
                "{trade} {}, {}",
                pick(r, PRODUCT_KIND),
                pick(r, PRODUCT_KIND)
            )
        });
        let address = maybe(&mut rng, |r| {
            format!("Thôn {}, {}", r.random_range(1..20), c.name)
        });
        let tax_code = if matches!(
            kind,
            EstablishmentKind::Sme | EstablishmentKind::Cooperative
        ) {
            maybe(&mut rng, |_| format!("{:010}", 4_000_000_000i64 + id))
        } else {
            None
        };
        let status = if rng.random_ratio(1, 30) {
            EstablishmentStatus::Suspended
        } else if rng.random_ratio(1, 50) {
            EstablishmentStatus::Closed
        } else {
            EstablishmentStatus::Active
        };
        let in_craft_village = rng.random_ratio(1, 5);
        let ward_of_city = c.kind == CommuneKind::Ward
            && reference
                .province(&c.province_code)
                .is_some_and(|p| p.kind == ProvinceKind::CentralCity);
        if status == EstablishmentStatus::Active && (!ward_of_city || in_craft_village) {
            eligible
                .entry(c.province_code.clone())
                .or_default()
                .push(id);
        }
        let created = start + Duration::seconds(i as i64 * 7);
        let search_text = text::search_text(&[
            Some(&name),
            main_products.as_deref(),
            address.as_deref(),
            tax_code.as_deref(),
        ]);
        est_rows.push(establishment::ActiveModel {
            id: Set(id),
            name: Set(name),
            kind: Set(kind),
            tax_code: Set(tax_code),
            commune_code: Set(c.code.clone()),
            province_code: Set(c.province_code.clone()),
            address: Set(address),
            in_craft_village: Set(in_craft_village),
            sector: Set(*pick(&mut rng, SECTORS)),
            main_products: Set(main_products),
            employee_count: Set(maybe(&mut rng, |r| r.random_range(1..300))),
            founded_year: Set(maybe(&mut rng, |r| r.random_range(1960..2026))),
            representative: Set(maybe(&mut rng, |_| owner.clone())),
            phone: Set(maybe(&mut rng, |r| {
                format!("09{:08}", r.random_range(0..100_000_000))
            })),
            email: Set(None),
            latitude: Set(None),
            longitude: Set(None),
            women_owned: Set(rng.random_ratio(1, 4)),
            ethnic_minority_owned: Set(rng.random_ratio(1, 10)),
            status: Set(status),
            status_reason: Set(None),
            search_text: Set(search_text),
            version: Set(1),
            created_at: Set(created),
            updated_at: Set(created),
        });
        places.push((
            c.code.clone(),
            c.province_code.clone(),
            status == EstablishmentStatus::Active,
        ));
        if est_rows.len() == CHUNK {
            sink.write(std::mem::take(&mut est_rows), &bar).await?;
        }
    }
    sink.write(est_rows, &bar).await?;
    written.establishments = scale.establishments;

    // Products: each establishment one, the rest spread at random.
    bar.set_message("products");
    let mut rows = Vec::with_capacity(CHUNK);
    // Products of active establishments that went through OCOP, or were nominated in this
    // year's provincial selection round: (product, establishment, place index).
    let (mut ocop_products, mut nominees) = (Vec::new(), Vec::new());
    for i in 0..scale.products {
        let e = if i < scale.establishments {
            i
        } else {
            rng.random_range(0..scale.establishments.max(1))
        };
        let (commune, province, active) = &places[e];
        let pid = first_p + i as i64;
        let name = format!("{} {}", pick(&mut rng, TRADE), pick(&mut rng, PRODUCT_KIND));
        let brand = maybe(&mut rng, |r| {
            format!("{} {}", pick(r, FAMILY), pick(r, TRADE))
        });
        let description = maybe(&mut rng, |r| {
            format!(
                "{name} {} từ vùng nguyên liệu địa phương",
                pick(r, PRODUCT_KIND)
            )
        });
        let created = start + Duration::seconds(e as i64 * 7 + 3);
        if *active {
            if rng.random_ratio(1, 12) {
                ocop_products.push((pid, first_e + e as i64, e));
            } else if rng.random_ratio(1, 50) {
                nominees.push((pid, first_e + e as i64, e));
            }
        }
        rows.push(product::ActiveModel {
            id: Set(pid),
            establishment_id: Set(first_e + e as i64),
            commune_code: Set(commune.clone()),
            province_code: Set(province.clone()),
            search_text: Set(text::search_text(&[
                Some(&name),
                brand.as_deref(),
                description.as_deref(),
            ])),
            name: Set(name),
            description: Set(description),
            brand: Set(brand),
            selection_group: Set(None),
            ocop_group: Set(None),
            version: Set(1),
            created_at: Set(created),
            updated_at: Set(created),
        });
        if rows.len() == CHUNK {
            sink.write(std::mem::take(&mut rows), &bar).await?;
        }
    }
    sink.write(rows, &bar).await?;
    written.products = scale.products;

    // Projects with beneficiaries and allocations, then the funding sources they draw on.
    bar.set_message("projects");
    let provinces: Vec<String> = eligible.keys().cloned().collect::<Vec<_>>();
    let mut provinces = provinces;
    provinces.sort();
    // Sources: one local per province and year, one national per year.
    let mut source_ids: HashMap<(Option<String>, i32), i64> = HashMap::new();
    let mut source_allocated: HashMap<i64, i64> = HashMap::new();
    let mut source_disbursed: HashMap<i64, i64> = HashMap::new();
    let mut disbursements = Vec::new();
    let mut did = first_d;
    let mut next_source = first_s;
    let mut codes: HashMap<String, u32> = HashMap::new();
    let (mut projects, mut bens, mut allocs) = (Vec::new(), Vec::new(), Vec::new());
    let mut bid = first_b;
    let mut aid = first_a;
    for i in 0..scale.projects {
        if provinces.is_empty() {
            break;
        }
        let id = first_j + i as i64;
        let province = provinces[skewed(&mut rng, provinces.len())].clone();
        let national = rng.random_ratio(1, 4);
        let level = if national {
            ProgramLevel::National
        } else {
            ProgramLevel::Local
        };
        let year = *pick(&mut rng, &YEARS);
        let category = *pick(&mut rng, CATEGORIES);
        let (status, funded) = *pick(&mut rng, STATUSES);
        let prefix = format!(
            "{}-{province}-{year}-",
            if national { "KCQG" } else { "KCDP" }
        );
        let n = codes.entry(prefix.clone()).or_default();
        *n += 1;
        let code = format!("{prefix}{:04}", n);
        let title = format!(
            "Hỗ trợ {} {} tại {}",
            match category {
                ProjectCategory::VocationalTraining => "đào tạo nghề",
                ProjectCategory::AdvancedMachinery => "ứng dụng máy móc tiên tiến",
                ProjectCategory::TradeFair => "tham gia hội chợ",
                ProjectCategory::BrandBuilding => "xây dựng thương hiệu",
                _ => "phát triển sản xuất",
            },
            pick(&mut rng, TRADE).to_lowercase(),
            reference
                .province(&province)
                .map(|p| p.name.as_str())
                .unwrap_or("")
        );
        // The support-cap rule the API applies: the province's newest local rule for the
        // category, else the newest national one.
        let newest = |local: bool| {
            rules
                .iter()
                .filter(|r| r.category == category)
                .filter(|r| {
                    if local {
                        r.program_level == ProgramLevel::Local
                            && r.province_code.as_deref() == Some(province.as_str())
                    } else {
                        r.program_level == ProgramLevel::National && r.province_code.is_none()
                    }
                })
                .max_by_key(|r| (r.effective_from, r.id))
        };
        let rule = (!national)
            .then(|| newest(true))
            .flatten()
            .or_else(|| newest(false));
        let pool = &eligible[&province];
        let count = rng.random_range(1..=5usize).min(pool.len());
        let mut chosen: Vec<i64> = Vec::with_capacity(count);
        while chosen.len() < count {
            let e = pool[rng.random_range(0..pool.len())];
            if !chosen.contains(&e) {
                chosen.push(e);
            }
        }
        let created = start + Duration::seconds(scale.establishments as i64 * 7 + i as i64 * 60);
        let mut support_sum = 0i64;
        let mut counterpart_sum = 0i64;
        for e in chosen {
            let mut support = rng.random_range(5..=60i64) * 1_000_000;
            let mut counterpart = support * 2;
            if let Some(r) = rule {
                support = support.min(r.max_amount_vnd);
                // Support within max_percent of support + counterpart.
                let pct = i64::from(r.max_percent.clamp(1, 100));
                let least = (support * (100 - pct)).div_euclid(pct) + 1;
                counterpart = counterpart.max(least);
            }
            support_sum += support;
            counterpart_sum += counterpart;
            bens.push(project_beneficiary::ActiveModel {
                id: Set(bid),
                project_id: Set(id),
                establishment_id: Set(e),
                support_vnd: Set(support),
                counterpart_vnd: Set(counterpart),
                cap_rule_id: Set(rule.map(|r| r.id)),
                created_at: Set(created),
            });
            bid += 1;
        }
        let mut allocated = if funded { support_sum } else { 0 };
        let mut disbursed = 0;
        if funded {
            let key = (
                if national {
                    None
                } else {
                    Some(province.clone())
                },
                year,
            );
            let sid = *source_ids.entry(key).or_insert_with(|| {
                next_source += 1;
                next_source - 1
            });
            // What the lifecycle did with the money: an advance within the advance rule
            // once work started, the rest after acceptance; STOP and SETTLE release what
            // was not disbursed back to the source.
            let advance = support_sum * advance_percent / 100;
            let (paid, released) = match status {
                ProjectStatus::InProgress => (advance, None),
                ProjectStatus::Accepted => (support_sum, None),
                ProjectStatus::Settled => (support_sum, Some(0)),
                ProjectStatus::Stopped => (advance, Some(support_sum - advance)),
                _ => (0, None),
            };
            // An appraised project has received a first tranche, half its support; the rest
            // is allocated before approval (the benchmark's W5 allocates into that room).
            let amount = if status == ProjectStatus::Appraised {
                support_sum / 2
            } else {
                support_sum
            };
            disbursed = paid;
            allocated = amount - released.unwrap_or(0);
            *source_allocated.entry(sid).or_default() += allocated;
            *source_disbursed.entry(sid).or_default() += paid;
            let dated = |month: u32| {
                chrono::NaiveDate::from_ymd_opt(year, month, 1)
                    .ok_or_else(|| AppError::internal("generate: date"))
            };
            for (amount, month) in [(advance.min(paid), 3), (paid - advance.min(paid), 11)] {
                if amount > 0 {
                    disbursements.push(disbursement::ActiveModel {
                        id: Set(did),
                        allocation_id: Set(aid),
                        amount_vnd: Set(amount),
                        date: Set(dated(month)?),
                        note: Set(None),
                        created_at: Set(created),
                    });
                    did += 1;
                }
            }
            allocs.push(allocation::ActiveModel {
                id: Set(aid),
                project_id: Set(id),
                funding_source_id: Set(sid),
                amount_vnd: Set(amount),
                disbursed_vnd: Set(paid),
                released: Set(released.is_some()),
                released_vnd: Set(released.unwrap_or(0)),
                created_at: Set(created),
                updated_at: Set(created),
            });
            aid += 1;
        }
        let search_text = text::search_text(&[Some(&code), Some(&title), None, None]);
        projects.push(project::ActiveModel {
            id: Set(id),
            code: Set(code),
            title: Set(title),
            description: Set(None),
            program_level: Set(level),
            kind: Set(if count > 1 {
                ProjectKind::Group
            } else {
                ProjectKind::Individual
            }),
            category: Set(category),
            province_code: Set(province.clone()),
            commune_code: Set(None),
            implementing_unit: Set(None),
            fiscal_year: Set(year),
            planned_start: Set(None),
            planned_end: Set(None),
            status: Set(status),
            general_support_vnd: Set(0),
            beneficiary_support_vnd: Set(support_sum),
            support_vnd: Set(support_sum),
            counterpart_vnd: Set(counterpart_sum),
            allocated_vnd: Set(allocated),
            disbursed_vnd: Set(disbursed),
            jobs_created: Set(None),
            trainees: Set(None),
            average_monthly_income_vnd: Set(None),
            outcome_notes: Set(None),
            created_by: Set(None),
            search_text: Set(search_text),
            version: Set(1),
            created_at: Set(created),
            updated_at: Set(created),
        });
    }
    let mut sources: Vec<_> = source_ids.into_iter().collect();
    sources.sort_by_key(|(_, id)| *id);
    let source_rows: Vec<_> = sources
        .iter()
        .map(|((province, year), id)| {
            let allocated = source_allocated.get(id).copied().unwrap_or(0);
            let disbursed = source_disbursed.get(id).copied().unwrap_or(0);
            let name = match province {
                Some(p) => format!(
                    "Khuyến công địa phương {} {year}",
                    reference.province(p).map(|p| p.name.as_str()).unwrap_or(p)
                ),
                None => format!("Khuyến công quốc gia {year}"),
            };
            funding_source::ActiveModel {
                id: Set(*id),
                name: Set(name),
                level: Set(if province.is_some() {
                    FundingLevel::Local
                } else {
                    FundingLevel::National
                }),
                province_code: Set(province.clone()),
                fiscal_year: Set(*year),
                amount_vnd: Set(allocated + 10_000_000_000),
                allocated_vnd: Set(allocated),
                disbursed_vnd: Set(disbursed),
                legal_basis: Set(None),
                version: Set(1),
                created_at: Set(start),
                updated_at: Set(start),
            }
        })
        .collect();
    written.funding_sources = source_rows.len();
    written.projects = projects.len();
    written.beneficiaries = bens.len();
    written.allocations = allocs.len();
    sink.write(source_rows, &bar).await?;
    sink.write(projects, &bar).await?;
    sink.write(bens, &bar).await?;
    sink.write(allocs, &bar).await?;

    // OCOP: certified evaluations scored by council members (three per province, three
    // central ones; they sign in only after an administrator sets their password), with
    // their certificates: 3 and 4 stars issued by the province, 5 by the centre.
    bar.set_message("OCOP");
    let mut users = Vec::new();
    let mut members: HashMap<Option<String>, Vec<i64>> = HashMap::new();
    let members_needed = criteria.min_members.max(1) as usize;
    let mut council_of = |province: Option<&str>| {
        let key = province.map(str::to_owned);
        if let Some(ids) = members.get(&key) {
            return ids.clone();
        }
        let ids: Vec<i64> = (0..members_needed)
            .map(|k| {
                let id = first_u + users.len() as i64;
                let (username, display_name) = match province {
                    Some(p) => (
                        format!("hoidong.ocop.{p}.{}", k + 1),
                        format!("Thành viên hội đồng OCOP tỉnh {p} số {}", k + 1),
                    ),
                    None => (
                        format!("hoidong.ocop.tw.{}", k + 1),
                        format!("Thành viên hội đồng OCOP trung ương số {}", k + 1),
                    ),
                };
                users.push(app_user::ActiveModel {
                    id: Set(id),
                    search_text: Set(text::search_text(&[Some(&username), Some(&display_name)])),
                    username: Set(username),
                    display_name: Set(display_name),
                    password_hash: Set(hash.clone()),
                    role: Set(if province.is_some() {
                        Role::Province
                    } else {
                        Role::National
                    }),
                    province_code: Set(key.clone()),
                    commune_code: Set(None),
                    is_admin: Set(false),
                    read_only: Set(false),
                    active: Set(true),
                    version: Set(1),
                    created_at: Set(start),
                    updated_at: Set(start),
                    token_epoch: Set(0),
                });
                id
            })
            .collect();
        members.insert(key, ids.clone());
        ids
    };
    let (mut evaluations, mut scores, mut certificates) = (Vec::new(), Vec::new(), Vec::new());
    let mut decisions: HashMap<(String, i32), u32> = HashMap::new();
    let months = chrono::Months::new(criteria.validity_months.max(0) as u32);
    for (k, (pid, eid, e)) in ocop_products.iter().enumerate() {
        let (commune, province, _) = &places[*e];
        let (vid, cid) = (first_v + k as i64, first_c + k as i64);
        let stars = match rng.random_range(0..100) {
            0..60 => 3,
            60..95 => 4,
            _ => 5,
        };
        let year = *pick(&mut rng, &YEARS);
        let issued_on = chrono::NaiveDate::from_ymd_opt(year, rng.random_range(1..=11), 15)
            .ok_or_else(|| AppError::internal("generate: date"))?;
        let scored_at = start + Duration::seconds(k as i64 * 11);
        // Each member's total (hundredths of a point) inside the band of the stars, split
        // over parts A, B and C within their maxima.
        let (lo, hi) = match stars {
            3 => (criteria.star3_from, criteria.star4_from),
            4 => (criteria.star4_from, criteria.star5_from),
            _ => (criteria.star5_from, 100),
        };
        let stages: &[(&str, Option<&str>)] = if stars == 5 {
            &[("PROVINCE", Some(province.as_str())), ("CENTRAL", None)]
        } else {
            &[("PROVINCE", Some(province.as_str()))]
        };
        for (stage, council) in stages {
            for member in council_of(*council) {
                let total = rng.random_range(lo * 100..hi * 100 - 10);
                let a = total * criteria.max_part_a / 100;
                let b = total * criteria.max_part_b / 100;
                scores.push(ocop_score::ActiveModel {
                    id: Set(first_sc + scores.len() as i64),
                    evaluation_id: Set(vid),
                    member_id: Set(member),
                    stage: Set((*stage).to_owned()),
                    part_a_centi: Set(a),
                    part_b_centi: Set(b),
                    part_c_centi: Set(total - a - b),
                    total_centi: Set(total),
                    mandatory_failed: Set("[]".to_owned()),
                    submitted_at: Set(scored_at),
                });
            }
        }
        let national = stars == 5;
        let n = decisions
            .entry((
                if national {
                    "TW".into()
                } else {
                    province.clone()
                },
                year,
            ))
            .or_default();
        *n += 1;
        evaluations.push(ocop_evaluation::ActiveModel {
            id: Set(vid),
            product_id: Set(*pid),
            establishment_id: Set(*eid),
            province_code: Set(province.clone()),
            commune_code: Set(commune.clone()),
            year: Set(year),
            kind: Set("NEW".to_owned()),
            status: Set("CERTIFIED".to_owned()),
            criteria_id: Set(criteria.id),
            screening_note: Set(None),
            stars: Set(Some(stars)),
            certificate_id: Set(Some(cid)),
            created_by: Set(None),
            // One version per change the workflow makes: created, screened, scored,
            // certified (and for 5 stars: sent to the centre, scored there).
            version: Set(if national { 6 } else { 4 }),
            created_at: Set(scored_at),
            updated_at: Set(scored_at),
        });
        certificates.push(ocop_certificate::ActiveModel {
            id: Set(cid),
            product_id: Set(*pid),
            evaluation_id: Set(Some(vid)),
            province_code: Set(province.clone()),
            commune_code: Set(commune.clone()),
            stars: Set(stars),
            decision_number: Set(if national {
                format!("{n}/QĐ-TTg-{year}")
            } else {
                format!("{n}/QĐ-UBND-{province}-{year}")
            }),
            issuing_level: Set(if national { "NATIONAL" } else { "PROVINCE" }.to_owned()),
            issued_on: Set(issued_on),
            valid_until: Set(issued_on
                .checked_add_months(months)
                .ok_or_else(|| AppError::internal("generate: validity"))?),
            superseded: Set(false),
            revoked_at: Set(None),
            revoked_reason: Set(None),
            revoke_decision_number: Set(None),
            created_at: Set(scored_at),
            updated_at: Set(scored_at),
        });
    }
    written.ocop_certificates = certificates.len();
    written.users = users.len();
    sink.write(users, &bar).await?;
    sink.write(evaluations, &bar).await?;
    sink.write(scores, &bar).await?;
    sink.write(certificates, &bar).await?;

    // Selection: one open provincial round for 2026 in every province with nominees; the
    // nominations wait for scoring.
    bar.set_message("selection");
    let mut round_of: HashMap<String, i64> = HashMap::new();
    let (mut rounds, mut nominations) = (Vec::new(), Vec::new());
    const GROUPS: &[SelectionProductGroup] = &[
        SelectionProductGroup::Handicraft,
        SelectionProductGroup::ProcessedAgroForestryFisheryFood,
        SelectionProductGroup::MachineryEquipmentTools,
        SelectionProductGroup::Other,
    ];
    for (k, (pid, eid, e)) in nominees.iter().enumerate() {
        let (commune, province, _) = &places[*e];
        let rid = *round_of.entry(province.clone()).or_insert_with(|| {
            let rid = first_r + rounds.len() as i64;
            rounds.push(selection_round::ActiveModel {
                id: Set(rid),
                name: Set(format!(
                    "Bình chọn sản phẩm công nghiệp nông thôn tiêu biểu cấp tỉnh {} năm 2026",
                    reference
                        .province(province)
                        .map(|p| p.name.as_str())
                        .unwrap_or(province)
                )),
                level: Set(SelectionLevel::Provincial),
                year: Set(2026),
                province_code: Set(Some(province.clone())),
                commune_code: Set(None),
                region: Set(None),
                status: Set(SelectionRoundStatus::Open),
                criteria_id: Set(selection.id),
                created_by: Set(None),
                version: Set(1),
                created_at: Set(start),
                updated_at: Set(start),
            });
            rid
        });
        let at = start + Duration::seconds(k as i64 * 13);
        nominations.push(nomination::ActiveModel {
            id: Set(first_n + k as i64),
            round_id: Set(rid),
            product_id: Set(*pid),
            establishment_id: Set(*eid),
            province_code: Set(province.clone()),
            commune_code: Set(commune.clone()),
            group: Set(*pick(&mut rng, GROUPS)),
            score_sum: Set(0),
            score_count: Set(0),
            result: Set(NominationResult::Pending),
            certificate_number: Set(None),
            recognized_on: Set(None),
            valid_until: Set(None),
            created_by: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
        });
    }
    written.selection_rounds = rounds.len();
    written.nominations = nominations.len();
    written.disbursements = disbursements.len();
    sink.write(disbursements, &bar).await?;
    sink.write(rounds, &bar).await?;
    sink.write(nominations, &bar).await?;

    if txn_backend_is_pg(db) {
        for table in TABLES {
            sink.execute(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 (SELECT COALESCE(MAX(id), 1) FROM {table}))"
            ))
            .await?;
        }
    }
    sink.commit().await?;
    if txn_backend_is_pg(db) {
        // VACUUM sets the visibility map, so counts can be index-only scans as on a database
        // autovacuum has already visited (ANALYZE alone left W1's count reading the heap).
        db.execute_unprepared(&format!("VACUUM (ANALYZE) {}", TABLES.join(", ")))
            .await?;
    }
    bar.finish_with_message("done");
    Ok(written)
}

fn txn_backend_is_pg(db: &impl ConnectionTrait) -> bool {
    db.get_database_backend() == DatabaseBackend::Postgres
}
