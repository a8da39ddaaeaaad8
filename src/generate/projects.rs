//! Projects with their beneficiaries (within the support cap that applies), allocations and
//! disbursements as their lifecycle moved the money, and the funding sources they draw on.

use crate::enums::{FundingLevel, ProgramLevel, ProjectCategory, ProjectKind, ProjectStatus};
use std::collections::HashMap;

use chrono::Duration;
use rand::Rng;
use sea_orm::ActiveValue::Set;

use super::{
    Gen,
    words::{CATEGORIES, STATUSES, TRADE, YEARS, pick, skewed},
};
use crate::{
    db::entities::{
        allocation, disbursement, funding_source, project, project_beneficiary, support_cap_rule,
    },
    error::{AppError, Result},
    text,
};

/// Writes the projects, beneficiaries, allocations and funding sources; returns the
/// disbursements (written last).
pub(super) async fn projects(
    g: &mut Gen<'_>,
    eligible: &HashMap<String, Vec<i64>>,
    rules: &[support_cap_rule::Model],
    advance_percent: i64,
) -> Result<Vec<disbursement::ActiveModel>> {
    let (start, reference) = (g.start, g.reference);
    let ids = &g.ids;
    let (first_j, first_b, first_a, first_s, first_d) = (
        ids.project,
        ids.beneficiary,
        ids.allocation,
        ids.source,
        ids.disbursement,
    );
    g.bar.set_message("projects");
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
    for i in 0..g.scale.projects {
        if provinces.is_empty() {
            break;
        }
        let id = first_j + i as i64;
        let province = provinces[skewed(&mut g.rng, provinces.len())].clone();
        let national = g.rng.random_ratio(1, 4);
        let level = if national {
            ProgramLevel::National
        } else {
            ProgramLevel::Local
        };
        let year = *pick(&mut g.rng, &YEARS);
        let category = *pick(&mut g.rng, CATEGORIES);
        let (status, funded) = *pick(&mut g.rng, STATUSES);
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
            pick(&mut g.rng, TRADE).to_lowercase(),
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
        let count = g.rng.random_range(1..=5usize).min(pool.len());
        let mut chosen: Vec<i64> = Vec::with_capacity(count);
        while chosen.len() < count {
            let e = pool[g.rng.random_range(0..pool.len())];
            if !chosen.contains(&e) {
                chosen.push(e);
            }
        }
        let created = start + Duration::seconds(g.scale.establishments as i64 * 7 + i as i64 * 60);
        let mut support_sum = 0i64;
        let mut counterpart_sum = 0i64;
        for e in chosen {
            let mut support = g.rng.random_range(5..=60i64) * 1_000_000;
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
    g.written.funding_sources = source_rows.len();
    g.written.projects = projects.len();
    g.written.beneficiaries = bens.len();
    g.written.allocations = allocs.len();
    g.sink.write(source_rows, &g.bar).await?;
    g.sink.write(projects, &g.bar).await?;
    g.sink.write(bens, &g.bar).await?;
    g.sink.write(allocs, &g.bar).await?;
    Ok(disbursements)
}
