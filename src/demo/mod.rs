//! The demo data set (`serve --demo`): demo users for each role and the real establishments
//! and products of the seed articles, in their communes after the 2025 reform. Loaded once;
//! a second start finds it and does nothing. Everything goes through the domain functions,
//! so the demo obeys the same rules (and leaves the same audit trail) as real users.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde::Deserialize;

use crate::{
    db::entities::app_user,
    domain::{
        Ctx,
        establishment::{self, EstablishmentData},
        product::{self, NewProduct},
        session::actor_of,
        user::{NewUser, insert},
    },
    enums::{
        EstablishmentKind, FundingLevel, OcopProductGroup, ProgramLevel, ProjectAction,
        ProjectCategory, ProjectKind, Role, Sector, SelectionProductGroup,
    },
    error::{AppError, Result},
    state::AppState,
};

const ESTABLISHMENTS_CSV: &str = include_str!("../../data/demo/establishments.csv");
const PRODUCTS_CSV: &str = include_str!("../../data/demo/products.csv");

/// The password of every demo user.
pub const PASSWORD: &str = "khuyencong-demo";

/// A demo user: username, display name, role, province, commune, admin, read-only.
pub type DemoUser = (
    &'static str,
    &'static str,
    Role,
    Option<&'static str>,
    Option<&'static str>,
    bool,
    bool,
);

/// The demo users, one or more per role.
pub const USERS: &[DemoUser] = &[
    (
        "national.admin",
        "Cục Công Thương địa phương (quản trị)",
        Role::National,
        None,
        None,
        true,
        false,
    ),
    (
        "national.officer",
        "Cán bộ Cục Công Thương địa phương",
        Role::National,
        None,
        None,
        false,
        false,
    ),
    (
        "ministry.pull",
        "Tài khoản kéo dữ liệu của Bộ (chỉ đọc)",
        Role::National,
        None,
        None,
        false,
        true,
    ),
    (
        "daklak.admin",
        "Sở Công Thương Đắk Lắk (quản trị)",
        Role::Province,
        Some("66"),
        None,
        true,
        false,
    ),
    (
        "daklak.officer",
        "Trung tâm Khuyến công Đắk Lắk",
        Role::Province,
        Some("66"),
        None,
        false,
        false,
    ),
    (
        "quangtri.officer",
        "Trung tâm Khuyến công Quảng Trị",
        Role::Province,
        Some("44"),
        None,
        false,
        false,
    ),
    (
        "lamdong.officer",
        "Trung tâm Khuyến công Lâm Đồng",
        Role::Province,
        Some("68"),
        None,
        false,
        false,
    ),
    (
        "national.council",
        "Thành viên hội đồng cấp trung ương",
        Role::National,
        None,
        None,
        false,
        false,
    ),
    (
        "daklak.council",
        "Thành viên hội đồng tỉnh Đắk Lắk",
        Role::Province,
        Some("66"),
        None,
        false,
        false,
    ),
    (
        "lamdong.council",
        "Thành viên hội đồng OCOP tỉnh Lâm Đồng",
        Role::Province,
        Some("68"),
        None,
        false,
        false,
    ),
    (
        "lamdong.council2",
        "Thành viên hội đồng OCOP tỉnh Lâm Đồng (2)",
        Role::Province,
        Some("68"),
        None,
        false,
        false,
    ),
    (
        "buonmathuot.officer",
        "Cán bộ kinh tế phường Buôn Ma Thuột",
        Role::Commune,
        Some("66"),
        Some("24133"),
        false,
        false,
    ),
    (
        "truongphu.officer",
        "Cán bộ kinh tế xã Trường Phú",
        Role::Commune,
        Some("44"),
        Some("19309"),
        false,
        false,
    ),
];

#[derive(Deserialize)]
struct EstablishmentRow {
    key: String,
    name: String,
    kind: String,
    tax_code: Option<String>,
    commune_code: String,
    address: Option<String>,
    in_craft_village: bool,
    sector: String,
    main_products: Option<String>,
    employee_count: Option<i32>,
    founded_year: Option<i32>,
    representative: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    women_owned: bool,
    ethnic_minority_owned: bool,
}

#[derive(Deserialize)]
struct ProductRow {
    establishment_key: String,
    name: String,
    description: Option<String>,
    brand: Option<String>,
    selection_group: Option<String>,
    ocop_group: Option<String>,
}

fn rows<T: for<'de> Deserialize<'de>>(text: &str) -> Result<Vec<T>> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .map_err(AppError::internal)
}

fn parse<T>(what: &str, v: &str, f: fn(&str) -> Option<T>) -> Result<T> {
    f(v).ok_or_else(|| AppError::internal(format!("demo data: unknown {what} {v:?}")))
}

mod figures;

/// The demo load: every write of it goes through one transaction (`db`), so a failure
/// leaves nothing behind and the next start loads the demo again.
pub struct Load<'a> {
    db: sea_orm::DatabaseTransaction,
    state: &'a AppState,
}

impl Load<'_> {
    fn reference(&self) -> std::sync::Arc<crate::reference::Reference> {
        self.state.reference()
    }
}

/// Rows of each table, to log what the load inserted.
async fn counts(db: &impl sea_orm::ConnectionTrait) -> Result<[u64; 5]> {
    use crate::db::entities::{establishment, ocop_certificate, product, project};
    Ok([
        app_user::Entity::find().count(db).await?,
        establishment::Entity::find().count(db).await?,
        product::Entity::find().count(db).await?,
        project::Entity::find().count(db).await?,
        ocop_certificate::Entity::find().count(db).await?,
    ])
}

/// Loads the demo data unless it is there already, in one transaction.
pub async fn load(state: &AppState) -> Result<()> {
    load_then(state, true).await
}

/// Loads the whole demo data set in its transaction, then rolls it back with an error instead
/// of committing: what a failure at the last step leaves behind (nothing). For tests.
#[doc(hidden)]
pub async fn load_and_fail_before_commit(state: &AppState) -> Result<()> {
    load_then(state, false).await
}

async fn load_then(state: &AppState, commit: bool) -> Result<()> {
    let first = USERS[0].0;
    let load = Load {
        db: crate::domain::begin_write(&state.db).await?,
        state,
    };
    if app_user::Entity::find()
        .filter(app_user::Column::Username.eq(first))
        .one(&load.db)
        .await?
        .is_some()
    {
        tracing::info!("demo data already loaded");
        return Ok(());
    }
    let before = counts(&load.db).await?;
    insert_all(&load).await?;
    let after = counts(&load.db).await?;
    if !commit {
        // Dropping the transaction rolls it back.
        return Err(AppError::internal(
            "demo load failed on purpose before commit",
        ));
    }
    load.db.commit().await?;
    let added = |i: usize| after[i] - before[i];
    tracing::info!(
        users = added(0),
        establishments = added(1),
        products = added(2),
        projects = added(3),
        ocop_certificates = added(4),
        "demo data loaded"
    );
    Ok(())
}

async fn insert_all(state: &Load<'_>) -> Result<()> {
    let db = &state.db;
    let mut admin = None;
    for (username, display, role, province, commune, is_admin, read_only) in USERS {
        let u = insert(
            db,
            &state.reference(),
            NewUser {
                username: (*username).into(),
                password: PASSWORD.into(),
                display_name: (*display).into(),
                role: *role,
                province_code: province.map(Into::into),
                commune_code: commune.map(Into::into),
                is_admin: *is_admin,
                read_only: *read_only,
            },
        )
        .await?;
        if admin.is_none() {
            admin = Some(u);
        }
    }
    let admin = admin.ok_or_else(|| AppError::internal("no demo admin"))?;
    let ctx = Ctx {
        actor: Some(actor_of(&admin)),
        request_id: Some("demo".into()),
        reference: state.reference(),
    };

    let mut by_key = HashMap::new();
    for r in rows::<EstablishmentRow>(ESTABLISHMENTS_CSV)? {
        let data = EstablishmentData {
            name: r.name,
            kind: parse("kind", &r.kind, EstablishmentKind::parse)?,
            tax_code: r.tax_code,
            commune_code: r.commune_code,
            address: r.address,
            in_craft_village: r.in_craft_village,
            sector: parse("sector", &r.sector, Sector::parse)?,
            main_products: r.main_products,
            employee_count: r.employee_count,
            founded_year: r.founded_year,
            representative: r.representative,
            phone: r.phone,
            email: r.email,
            latitude: None,
            longitude: None,
            women_owned: r.women_owned,
            ethnic_minority_owned: r.ethnic_minority_owned,
        };
        let m = establishment::create(db, &ctx, data, None).await?;
        by_key.insert(r.key, m.id);
    }
    for r in rows::<ProductRow>(PRODUCTS_CSV)? {
        let establishment_id = *by_key.get(&r.establishment_key).ok_or_else(|| {
            AppError::internal(format!("demo product of unknown {}", r.establishment_key))
        })?;
        product::create(
            db,
            &ctx,
            NewProduct {
                establishment_id: establishment_id.into(),
                name: r.name,
                description: r.description,
                brand: r.brand,
                selection_group: r
                    .selection_group
                    .as_deref()
                    .map(|g| parse("selection group", g, SelectionProductGroup::parse))
                    .transpose()?,
                ocop_group: r
                    .ocop_group
                    .as_deref()
                    .map(|g| parse("OCOP group", g, OcopProductGroup::parse))
                    .transpose()?,
            },
            None,
        )
        .await?;
    }
    load_projects(state, &by_key).await?;
    // Illustrative records only on illustrative establishments: the real companies keep
    // what their articles say (their products), nothing made up.
    figures::load(state).await
}

/// The context of a demo user, by username.
async fn ctx_of(state: &Load<'_>, username: &str) -> Result<Ctx> {
    let u = app_user::Entity::find()
        .filter(app_user::Column::Username.eq(username))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::internal(format!("demo user {username} missing")))?;
    Ok(Ctx {
        actor: Some(actor_of(&u)),
        request_id: Some("demo".into()),
        reference: state.reference(),
    })
}

/// One demo project: who proposes it, what it is, its beneficiaries and how far it went.
struct DemoProject {
    proposer: &'static str,
    approver: &'static str,
    title: &'static str,
    level: ProgramLevel,
    kind: ProjectKind,
    category: ProjectCategory,
    province: &'static str,
    year: i32,
    general_support: i64,
    /// Establishment key, support, counterpart.
    beneficiaries: &'static [(&'static str, i64, i64)],
    /// Actions to take after creation (funding is allocated before APPROVE).
    actions: &'static [ProjectAction],
    jobs_created: Option<i32>,
}

/// The seed articles' projects. Totals are the articles'; where an article gives only a total,
/// the split between beneficiaries is the demo's own (marked in the README).
const PROJECTS: &[DemoProject] = {
    use crate::enums::ProjectAction as A;
    &[
        // 004: Quảng Bình (now Quảng Trị) 2025, first round of the local programme: five
        // establishments, 700 million of support, over 7.6 billion of their own investment,
        // four machinery lines, and packaging and a showroom for the fifth; 50+ jobs.
        DemoProject {
            proposer: "quangtri.officer",
            approver: "quangtri.officer",
            title: "Hỗ trợ ứng dụng máy móc thiết bị tiên tiến (đợt 1 năm 2025)",
            level: ProgramLevel::Local,
            kind: ProjectKind::Individual,
            category: ProjectCategory::AdvancedMachinery,
            province: "44",
            year: 2025,
            general_support: 0,
            beneficiaries: &[
                ("thanh-nam-noi-that", 130_000_000, 1_800_000_000),
                ("everest-central-vietnam", 130_000_000, 1_800_000_000),
                ("htx-van-di", 130_000_000, 1_800_000_000),
                ("le-van-hai", 130_000_000, 1_800_000_000),
            ],
            actions: &[A::Submit, A::Appraise, A::Approve, A::Start, A::Accept],
            jobs_created: Some(40),
        },
        DemoProject {
            proposer: "quangtri.officer",
            approver: "quangtri.officer",
            title: "Hỗ trợ thiết kế bao bì, nhãn mác và xây dựng phòng trưng bày sản phẩm (đợt 1 năm 2025)",
            level: ProgramLevel::Local,
            kind: ProjectKind::Individual,
            category: ProjectCategory::Showroom,
            province: "44",
            year: 2025,
            general_support: 0,
            beneficiaries: &[("htx-thanh-xuan", 180_000_000, 420_000_000)],
            actions: &[A::Submit, A::Appraise, A::Approve, A::Start, A::Accept],
            jobs_created: Some(12),
        },
        // 004: the second round of 2025 is under review (six or seven businesses, unnamed).
        DemoProject {
            proposer: "quangtri.officer",
            approver: "quangtri.officer",
            title: "Hỗ trợ cơ sở công nghiệp nông thôn (đợt 2 năm 2025)",
            level: ProgramLevel::Local,
            kind: ProjectKind::Individual,
            category: ProjectCategory::AdvancedMachinery,
            province: "44",
            year: 2025,
            general_support: 0,
            beneficiaries: &[],
            actions: &[A::Submit],
            jobs_created: None,
        },
    ]
};

/// A demo funding source: creator, name, level, province, fiscal year, amount.
type DemoSource = (
    &'static str,
    &'static str,
    FundingLevel,
    Option<&'static str>,
    i32,
    i64,
);

/// Funding sources of the demo: the articles' programme budgets.
const SOURCES: &[DemoSource] = &[
    (
        "quangtri.officer",
        "Kinh phí khuyến công địa phương tỉnh Quảng Trị năm 2025",
        FundingLevel::Local,
        Some("44"),
        2025,
        1_500_000_000,
    ),
    (
        "lamdong.officer",
        "Kinh phí khuyến công địa phương tỉnh Lâm Đồng năm 2025",
        FundingLevel::Local,
        Some("68"),
        2025,
        3_000_000_000,
    ),
    (
        "lamdong.officer",
        "Kinh phí khuyến công địa phương tỉnh Lâm Đồng năm 2024",
        FundingLevel::Local,
        Some("68"),
        2024,
        4_800_000_000,
    ),
    (
        "national.admin",
        "Chương trình khuyến công quốc gia năm 2025",
        FundingLevel::National,
        None,
        2025,
        20_000_000_000,
    ),
    (
        "daklak.officer",
        "Kinh phí khuyến công địa phương tỉnh Đắk Lắk năm 2024",
        FundingLevel::Local,
        Some("66"),
        2024,
        2_000_000_000,
    ),
];

async fn load_projects(state: &Load<'_>, by_key: &HashMap<String, i64>) -> Result<()> {
    use crate::domain::{
        funding::{self, NewFundingSource},
        project::{self as proj, NewProject, Outcomes},
    };
    let db = &state.db;
    let mut sources = Vec::new();
    for (user, name, level, province, year, amount) in SOURCES {
        let ctx = ctx_of(state, user).await?;
        let s = funding::create(
            db,
            &ctx,
            NewFundingSource {
                name: (*name).into(),
                level: *level,
                province_code: province.map(Into::into),
                fiscal_year: *year,
                amount_vnd: *amount,
                legal_basis: Some(
                    "Nghị định 45/2012/NĐ-CP, sửa đổi bởi Nghị định 235/2025/NĐ-CP".into(),
                ),
            },
            None,
        )
        .await?;
        sources.push(s);
    }
    for d in PROJECTS {
        let proposer = ctx_of(state, d.proposer).await?;
        let approver = ctx_of(state, d.approver).await?;
        let mut p = proj::create(
            db,
            &proposer,
            NewProject {
                title: d.title.into(),
                description: None,
                program_level: d.level,
                kind: d.kind,
                category: d.category,
                province_code: d.province.into(),
                commune_code: None,
                implementing_unit: Some("Trung tâm Khuyến công".into()),
                fiscal_year: d.year,
                planned_start: None,
                planned_end: None,
                general_support_vnd: Some(d.general_support),
            },
            None,
        )
        .await?;
        for (key, support, counterpart) in d.beneficiaries {
            let id = *by_key
                .get(*key)
                .ok_or_else(|| AppError::internal(format!("demo beneficiary {key} missing")))?;
            p = proj::add_beneficiary(
                db,
                &proposer,
                p.id.into(),
                p.version,
                id.into(),
                *support,
                *counterpart,
            )
            .await?;
        }
        for action in d.actions {
            if *action == ProjectAction::Approve {
                let wanted = match d.level {
                    ProgramLevel::Local => FundingLevel::Local,
                    ProgramLevel::National => FundingLevel::National,
                };
                let source = sources
                    .iter()
                    .find(|s| {
                        s.level == wanted
                            && s.fiscal_year == d.year
                            && (wanted == FundingLevel::National
                                || s.province_code.as_deref() == Some(d.province))
                    })
                    .ok_or_else(|| AppError::internal("no demo source for a project"))?;
                let a = proj::allocate(
                    db,
                    &approver,
                    p.id.into(),
                    source.id.into(),
                    p.support_vnd,
                    None,
                )
                .await?;
                p = proj::get(db, &approver, a.project_id.into())
                    .await?
                    .ok_or_else(|| AppError::internal("demo project vanished"))?;
            }
            if *action == ProjectAction::Accept {
                // Advance 70 % before acceptance, as the rules allow.
                for a in proj::allocations_of(db, &[p.id])
                    .await?
                    .remove(&p.id)
                    .unwrap_or_default()
                {
                    proj::disburse(
                        db,
                        &approver,
                        a.id.into(),
                        a.amount_vnd * i64::from(proj::advance_rule(db).await?.advance_percent)
                            / 100,
                        chrono::NaiveDate::from_ymd_opt(d.year, 9, 30).unwrap_or_default(),
                        Some("Tạm ứng".into()),
                        None,
                    )
                    .await?;
                }
            }
            // The province appraises and starts every project; the approving level decides.
            let by = match action {
                ProjectAction::Submit
                | ProjectAction::Appraise
                | ProjectAction::Start
                | ProjectAction::Return => &proposer,
                _ => &approver,
            };
            let outcomes = (*action == ProjectAction::Accept).then_some(Outcomes {
                jobs_created: d.jobs_created,
                trainees: None,
                average_monthly_income_vnd: Some(6_000_000),
                notes: None,
            });
            p = proj::transition(db, by, p.id.into(), p.version, *action, None, outcomes).await?;
        }
    }
    Ok(())
}
