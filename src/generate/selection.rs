//! Selection: one open provincial round for 2026 in every province with nominees; the
//! nominations wait for scoring.

use crate::enums::{NominationResult, SelectionLevel, SelectionProductGroup, SelectionRoundStatus};
use std::collections::HashMap;

use chrono::Duration;
use sea_orm::ActiveValue::Set;

use super::{Gen, Nominee, Place, words::pick};
use crate::db::entities::{nomination, selection_criteria, selection_round};

/// The rounds and the nominations of `nominees` (written by the caller).
pub(super) fn rounds(
    g: &mut Gen<'_>,
    nominees: &[Nominee],
    places: &[Place],
    selection: &selection_criteria::Model,
) -> (
    Vec<selection_round::ActiveModel>,
    Vec<nomination::ActiveModel>,
) {
    let (start, reference) = (g.start, g.reference);
    let (first_r, first_n) = (g.ids.round, g.ids.nomination);
    g.bar.set_message("selection");
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
            group: Set(*pick(&mut g.rng, GROUPS)),
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
    (rounds, nominations)
}
