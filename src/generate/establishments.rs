//! Establishments, spread over the communes with a skew, and their products; which of them
//! later go through OCOP or a selection round.

use std::collections::HashMap;

use chrono::Duration;
use rand::Rng;
use sea_orm::ActiveValue::Set;

use super::{
    CHUNK, Gen, Nominee, Place,
    words::{FAMILY, FORM, GIVEN, PRODUCT_KIND, SECTORS, TRADE, maybe, pick, skewed},
};
use crate::{
    db::entities::{establishment, product},
    enums::{CommuneKind, EstablishmentKind, EstablishmentStatus, ProvinceKind},
    error::Result,
    reference::Commune,
    text,
};

/// Writes the establishments; returns the place of each (in order) and the active
/// establishments eligible for support, by province.
pub(super) async fn establishments(
    g: &mut Gen<'_>,
    communes: &[&Commune],
) -> Result<(Vec<Place>, HashMap<String, Vec<i64>>)> {
    let (start, reference, first_e) = (g.start, g.reference, g.ids.establishment);
    g.bar.set_message("establishments");
    let mut est_rows = Vec::with_capacity(CHUNK);
    // What products need: commune and province of each establishment.
    let mut places: Vec<(String, String, bool)> = Vec::with_capacity(g.scale.establishments);
    // Active establishments eligible for support, by province: (id, name).
    let mut eligible: HashMap<String, Vec<i64>> = HashMap::new();
    for i in 0..g.scale.establishments {
        let id = first_e + i as i64;
        let c = communes[skewed(&mut g.rng, communes.len())];
        let (kind, form) = *pick(&mut g.rng, FORM);
        let trade = *pick(&mut g.rng, TRADE);
        let owner = format!("{} {}", pick(&mut g.rng, FAMILY), pick(&mut g.rng, GIVEN));
        let name = format!("{form} {trade} {owner}");
        let main_products = maybe(&mut g.rng, |r| {
            format!(
                "{trade} {}, {}",
                pick(r, PRODUCT_KIND),
                pick(r, PRODUCT_KIND)
            )
        });
        let address = maybe(&mut g.rng, |r| {
            format!("Thôn {}, {}", r.random_range(1..20), c.name)
        });
        let tax_code = if matches!(
            kind,
            EstablishmentKind::Sme | EstablishmentKind::Cooperative
        ) {
            maybe(&mut g.rng, |_| format!("{:010}", 4_000_000_000i64 + id))
        } else {
            None
        };
        let status = if g.rng.random_ratio(1, 30) {
            EstablishmentStatus::Suspended
        } else if g.rng.random_ratio(1, 50) {
            EstablishmentStatus::Closed
        } else {
            EstablishmentStatus::Active
        };
        let in_craft_village = g.rng.random_ratio(1, 5);
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
            sector: Set(*pick(&mut g.rng, SECTORS)),
            main_products: Set(main_products),
            employee_count: Set(maybe(&mut g.rng, |r| r.random_range(1..300))),
            founded_year: Set(maybe(&mut g.rng, |r| r.random_range(1960..2026))),
            representative: Set(maybe(&mut g.rng, |_| owner.clone())),
            phone: Set(maybe(&mut g.rng, |r| {
                format!("09{:08}", r.random_range(0..100_000_000))
            })),
            email: Set(None),
            latitude: Set(None),
            longitude: Set(None),
            women_owned: Set(g.rng.random_ratio(1, 4)),
            ethnic_minority_owned: Set(g.rng.random_ratio(1, 10)),
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
            g.sink.write(std::mem::take(&mut est_rows), &g.bar).await?;
        }
    }
    g.sink.write(est_rows, &g.bar).await?;
    g.written.establishments = g.scale.establishments;
    Ok((places, eligible))
}

/// Writes the products: each establishment one, the rest spread at random. Returns the
/// products that went through OCOP and those nominated to a selection round.
pub(super) async fn products(
    g: &mut Gen<'_>,
    places: &[Place],
) -> Result<(Vec<Nominee>, Vec<Nominee>)> {
    let (start, first_e, first_p) = (g.start, g.ids.establishment, g.ids.product);
    g.bar.set_message("products");
    let mut rows = Vec::with_capacity(CHUNK);
    // Products of active establishments that went through OCOP, or were nominated in this
    // year's provincial selection round: (product, establishment, place index).
    let (mut ocop_products, mut nominees) = (Vec::new(), Vec::new());
    for i in 0..g.scale.products {
        let e = if i < g.scale.establishments {
            i
        } else {
            g.rng.random_range(0..g.scale.establishments.max(1))
        };
        let (commune, province, active) = &places[e];
        let pid = first_p + i as i64;
        let name = format!(
            "{} {}",
            pick(&mut g.rng, TRADE),
            pick(&mut g.rng, PRODUCT_KIND)
        );
        let brand = maybe(&mut g.rng, |r| {
            format!("{} {}", pick(r, FAMILY), pick(r, TRADE))
        });
        let description = maybe(&mut g.rng, |r| {
            format!(
                "{name} {} từ vùng nguyên liệu địa phương",
                pick(r, PRODUCT_KIND)
            )
        });
        let created = start + Duration::seconds(e as i64 * 7 + 3);
        if *active {
            if g.rng.random_ratio(1, 12) {
                ocop_products.push((pid, first_e + e as i64, e));
            } else if g.rng.random_ratio(1, 50) {
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
            g.sink.write(std::mem::take(&mut rows), &g.bar).await?;
        }
    }
    g.sink.write(rows, &g.bar).await?;
    g.written.products = g.scale.products;
    Ok((ocop_products, nominees))
}
