//! OCOP: certified evaluations scored by council members inside the star band, with their
//! certificates.

use crate::enums::Role;
use std::collections::HashMap;

use chrono::Duration;
use rand::Rng;
use sea_orm::ActiveValue::Set;

use super::{
    Gen, Nominee, Place,
    words::{YEARS, pick},
};
use crate::{
    db::entities::{app_user, ocop_certificate, ocop_criteria, ocop_evaluation, ocop_score},
    error::{AppError, Result},
    text,
};

/// Writes the council members, evaluations, scores and certificates of `ocop_products`.
pub(super) async fn ocop(
    g: &mut Gen<'_>,
    ocop_products: &[Nominee],
    places: &[Place],
    criteria: &ocop_criteria::Model,
    hash: &str,
) -> Result<()> {
    let start = g.start;
    let ids = &g.ids;
    let (first_u, first_v, first_sc, first_c) =
        (ids.user, ids.evaluation, ids.score, ids.certificate);
    g.bar.set_message("OCOP");
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
                    password_hash: Set(hash.to_owned()),
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
        let stars = match g.rng.random_range(0..100) {
            0..60 => 3,
            60..95 => 4,
            _ => 5,
        };
        let year = *pick(&mut g.rng, &YEARS);
        let issued_on = chrono::NaiveDate::from_ymd_opt(year, g.rng.random_range(1..=11), 15)
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
                let total = g.rng.random_range(lo * 100..hi * 100 - 10);
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
    g.written.ocop_certificates = certificates.len();
    g.written.users = users.len();
    g.sink.write(users, &g.bar).await?;
    g.sink.write(evaluations, &g.bar).await?;
    g.sink.write(scores, &g.bar).await?;
    g.sink.write(certificates, &g.bar).await?;
    Ok(())
}
