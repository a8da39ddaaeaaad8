//! `khuyencong generate --scale xs|s|m|l --seed N`: fills a migrated database with a
//! deterministic synthetic country for benchmarks and load tests.
//!
//! Rows are what the API would have written: folded search text, version 1, creation and
//! change times, province codes copied from the commune, project codes numbered per
//! programme, province and year, support within the support-cap rule that applies, and the
//! allocated totals of projects and funding sources equal to their allocations. Times come
//! from a fixed start plus the row's position, so the same seed gives the same rows. Audit
//! events and project status history are not written (what a generated project went
//! through is not recorded).
//!
//! Writing: multi-row `INSERT`s of 500 rows through sea-orm, in one transaction (SQLite
//! and PostgreSQL alike); PostgreSQL's identity sequences are moved past the ids written.

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
        allocation, establishment, funding_source, product, project, project_beneficiary,
        support_cap_rule,
    },
    enums::{CommuneKind, ProvinceKind},
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
}

const BATCH: usize = 500;

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
const FORM: &[(&str, &str)] = &[
    ("SME", "Công ty TNHH"),
    ("COOPERATIVE", "Hợp tác xã"),
    ("BUSINESS_HOUSEHOLD", "Hộ kinh doanh"),
    ("COOPERATIVE_GROUP", "Tổ hợp tác"),
    ("ARTISAN", "Nghệ nhân"),
    ("BUSINESS_HOUSEHOLD", "Cơ sở"),
];
const SECTORS: &[&str] = &[
    "AGRO_FORESTRY_FISHERY_FOOD",
    "CONSUMER_GOODS",
    "HANDICRAFT",
    "WOOD_FURNITURE",
    "TEXTILE_GARMENT",
    "MECHANICAL_ELECTRICAL",
    "BUILDING_MATERIALS",
    "AGRICULTURAL_CHEMICALS",
    "HERBAL",
    "OTHER",
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
const CATEGORIES: &[&str] = &[
    "VOCATIONAL_TRAINING",
    "CAPACITY_BUILDING",
    "TECHNICAL_DEMONSTRATION",
    "TECHNOLOGY_TRANSFER",
    "ADVANCED_MACHINERY",
    "CLEANER_PRODUCTION",
    "DIGITAL_TRANSFORMATION",
    "TRADE_FAIR",
    "BRAND_BUILDING",
];
/// Statuses a generated project can be in without a recorded history of money spent.
const STATUSES: &[(&str, bool)] = &[
    ("DRAFT", false),
    ("SUBMITTED", false),
    ("APPRAISED", false),
    ("APPROVED", true),
    ("IN_PROGRESS", true),
    ("REJECTED", false),
    ("CANCELLED", false),
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

async fn insert_all<E, A>(db: &impl ConnectionTrait, rows: Vec<A>, bar: &ProgressBar) -> Result<()>
where
    E: EntityTrait,
    A: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(BATCH).collect();
        let n = chunk.len();
        E::insert_many(chunk).exec_without_returning(db).await?;
        bar.inc(n as u64);
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

    let txn = db.begin().await?;
    let mut written = Written::default();

    // Establishments.
    bar.set_message("establishments");
    let first_e = next_id(&txn, "establishment").await?;
    let mut est_rows = Vec::with_capacity(scale.establishments);
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
        let tax_code = if kind == "SME" || kind == "COOPERATIVE" {
            maybe(&mut rng, |_| format!("{:010}", 4_000_000_000i64 + id))
        } else {
            None
        };
        let status = if rng.random_ratio(1, 30) {
            "SUSPENDED"
        } else if rng.random_ratio(1, 50) {
            "CLOSED"
        } else {
            "ACTIVE"
        };
        let in_craft_village = rng.random_ratio(1, 5);
        let ward_of_city = c.kind == CommuneKind::Ward
            && reference
                .province(&c.province_code)
                .is_some_and(|p| p.kind == ProvinceKind::CentralCity);
        if status == "ACTIVE" && (!ward_of_city || in_craft_village) {
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
            kind: Set(kind.to_owned()),
            tax_code: Set(tax_code),
            commune_code: Set(c.code.clone()),
            province_code: Set(c.province_code.clone()),
            address: Set(address),
            in_craft_village: Set(in_craft_village),
            sector: Set(pick(&mut rng, SECTORS).to_string()),
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
            status: Set(status.to_owned()),
            status_reason: Set(None),
            search_text: Set(search_text),
            version: Set(1),
            created_at: Set(created),
            updated_at: Set(created),
        });
    }
    // Keep what products need: commune and province of each establishment.
    let places: Vec<(String, String, String)> = est_rows
        .iter()
        .map(|e| match (&e.commune_code, &e.province_code, &e.name) {
            (Set(c), Set(p), Set(n)) => (c.clone(), p.clone(), n.clone()),
            _ => Default::default(),
        })
        .collect();
    insert_all(&txn, est_rows, &bar).await?;
    written.establishments = scale.establishments;

    // Products: each establishment one, the rest spread at random.
    bar.set_message("products");
    let first_p = next_id(&txn, "product").await?;
    let mut rows = Vec::with_capacity(BATCH);
    for i in 0..scale.products {
        let e = if i < scale.establishments {
            i
        } else {
            rng.random_range(0..scale.establishments.max(1))
        };
        let (commune, province, _) = &places[e];
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
        rows.push(product::ActiveModel {
            id: Set(first_p + i as i64),
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
        if rows.len() == BATCH {
            insert_all(&txn, std::mem::take(&mut rows), &bar).await?;
        }
    }
    insert_all(&txn, rows, &bar).await?;
    written.products = scale.products;

    // Projects with beneficiaries and allocations, then the funding sources they draw on.
    bar.set_message("projects");
    let first_j = next_id(&txn, "project").await?;
    let first_b = next_id(&txn, "project_beneficiary").await?;
    let first_a = next_id(&txn, "allocation").await?;
    let first_s = next_id(&txn, "funding_source").await?;
    let provinces: Vec<String> = eligible.keys().cloned().collect::<Vec<_>>();
    let mut provinces = provinces;
    provinces.sort();
    // Sources: one local per province and year, one national per year.
    let mut source_ids: HashMap<(Option<String>, i32), i64> = HashMap::new();
    let mut source_allocated: HashMap<i64, i64> = HashMap::new();
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
        let level = if national { "NATIONAL" } else { "LOCAL" };
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
                "VOCATIONAL_TRAINING" => "đào tạo nghề",
                "ADVANCED_MACHINERY" => "ứng dụng máy móc tiên tiến",
                "TRADE_FAIR" => "tham gia hội chợ",
                "BRAND_BUILDING" => "xây dựng thương hiệu",
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
                        r.program_level == "LOCAL"
                            && r.province_code.as_deref() == Some(province.as_str())
                    } else {
                        r.program_level == "NATIONAL" && r.province_code.is_none()
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
        let allocated = if funded { support_sum } else { 0 };
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
            *source_allocated.entry(sid).or_default() += allocated;
            allocs.push(allocation::ActiveModel {
                id: Set(aid),
                project_id: Set(id),
                funding_source_id: Set(sid),
                amount_vnd: Set(allocated),
                disbursed_vnd: Set(0),
                released: Set(false),
                released_vnd: Set(0),
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
            program_level: Set(level.to_owned()),
            kind: Set(if count > 1 { "GROUP" } else { "INDIVIDUAL" }.to_owned()),
            category: Set(category.to_owned()),
            province_code: Set(province.clone()),
            commune_code: Set(None),
            implementing_unit: Set(None),
            fiscal_year: Set(year),
            planned_start: Set(None),
            planned_end: Set(None),
            status: Set(status.to_owned()),
            general_support_vnd: Set(0),
            beneficiary_support_vnd: Set(support_sum),
            support_vnd: Set(support_sum),
            counterpart_vnd: Set(counterpart_sum),
            allocated_vnd: Set(allocated),
            disbursed_vnd: Set(0),
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
                    "LOCAL"
                } else {
                    "NATIONAL"
                }
                .to_owned()),
                province_code: Set(province.clone()),
                fiscal_year: Set(*year),
                amount_vnd: Set(allocated + 10_000_000_000),
                allocated_vnd: Set(allocated),
                disbursed_vnd: Set(0),
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
    insert_all(&txn, source_rows, &bar).await?;
    insert_all(&txn, projects, &bar).await?;
    insert_all(&txn, bens, &bar).await?;
    insert_all(&txn, allocs, &bar).await?;

    if txn.get_database_backend() == DatabaseBackend::Postgres {
        for table in [
            "establishment",
            "product",
            "funding_source",
            "project",
            "project_beneficiary",
            "allocation",
        ] {
            txn.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 (SELECT COALESCE(MAX(id), 1) FROM {table}))"
            ))
            .await?;
        }
    }
    txn.commit().await?;
    if txn_backend_is_pg(db) {
        db.execute_unprepared("ANALYZE").await?;
    }
    bar.finish_with_message("done");
    Ok(written)
}

fn txn_backend_is_pg(db: &impl ConnectionTrait) -> bool {
    db.get_database_backend() == DatabaseBackend::Postgres
}
