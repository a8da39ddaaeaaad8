//! The demo data set (`serve --demo`): demo users for each role and the real establishments
//! and products of the seed articles, in their communes after the 2025 reform. Loaded once;
//! a second start finds it and does nothing. Everything goes through the domain functions,
//! so the demo obeys the same rules (and leaves the same audit trail) as real users.

use std::{collections::HashMap, sync::Arc};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
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
    enums::{EstablishmentKind, OcopProductGroup, Role, Sector, SelectionProductGroup},
    error::{AppError, Result},
    state::AppState,
};

const ESTABLISHMENTS_CSV: &str = include_str!("../data/demo/establishments.csv");
const PRODUCTS_CSV: &str = include_str!("../data/demo/products.csv");

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

/// Loads the demo data unless it is there already.
pub async fn load(state: &AppState) -> Result<()> {
    let db = &state.db;
    let first = USERS[0].0;
    if app_user::Entity::find()
        .filter(app_user::Column::Username.eq(first))
        .one(db)
        .await?
        .is_some()
    {
        tracing::info!("demo data already loaded");
        return Ok(());
    }
    let mut admin = None;
    for (username, display, role, province, commune, is_admin, read_only) in USERS {
        let u = insert(
            db,
            &state.reference,
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
        actor: Some(actor_of(&admin)?),
        request_id: Some("demo".into()),
        reference: Arc::clone(&state.reference),
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
                establishment_id,
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
    tracing::info!(
        users = USERS.len(),
        establishments = by_key.len(),
        "demo data loaded"
    );
    Ok(())
}
