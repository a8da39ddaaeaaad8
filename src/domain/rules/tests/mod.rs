//! Unit tests over the shipped rule files: every file is read, and every rule that is applied
//! to a case is checked over each row and every permutation of its inputs, against the
//! regulation written out independently in the test. One child per domain.

use super::*;

mod caps;
mod nomination;
mod rating;

#[test]
fn every_file_is_read() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/rules");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .expect("data/rules")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = FILES.iter().map(|(n, _)| (*n).to_owned()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "every data/rules file is listed in FILES");
}

#[test]
fn the_in_memory_rules_read_and_carry_their_legal_basis() {
    for r in FUNDING_LEVELS.as_ref().expect("funding_levels.csv") {
        assert!(!r.legal_basis.trim().is_empty());
    }
    for r in PROJECT_STATES.as_ref().expect("project_states.csv") {
        assert!(!r.legal_basis.trim().is_empty());
    }
    for r in OCOP_ISSUING.as_ref().expect("ocop_issuing.csv") {
        assert!(!r.legal_basis.trim().is_empty());
    }
}

#[test]
fn sources_fund_their_own_level_and_province() {
    use FundingLevel as F;
    use ProgramLevel as P;
    // Every combination, against SPEC §3 (allocations).
    let cases = [
        (P::National, F::National, None, true),
        (P::National, F::Other, None, true),
        (P::National, F::Other, Some("01"), true),
        (P::National, F::Local, Some("01"), false),
        (P::Local, F::Local, Some("01"), true),
        (P::Local, F::Local, Some("79"), false),
        (P::Local, F::Local, None, false),
        (P::Local, F::Other, None, true),
        (P::Local, F::Other, Some("01"), true),
        (P::Local, F::Other, Some("79"), false),
        (P::Local, F::National, None, false),
    ];
    for (program, source, province, expected) in cases {
        assert_eq!(
            source_may_fund(program, "01", source, province),
            expected,
            "{program} project of 01 from a {source} source of {province:?}"
        );
    }
}

#[test]
fn money_changes_only_before_approval() {
    use ProjectStatus as S;
    for s in ProjectStatus::ALL {
        let expected = matches!(s, S::Draft | S::Submitted | S::Appraised);
        assert_eq!(money_may_change(*s), expected, "{s}");
    }
}

#[test]
fn the_province_issues_three_and_four_stars_the_centre_five() {
    assert_eq!(ocop_issuer(3), Some(OcopIssuingLevel::Province));
    assert_eq!(ocop_issuer(4), Some(OcopIssuingLevel::Province));
    assert_eq!(ocop_issuer(5), Some(OcopIssuingLevel::National));
    assert_eq!(ocop_issuer(2), None, "below 3 stars nothing is issued");
    assert_eq!(ocop_fallback(5), Some(4));
    assert_eq!(ocop_fallback(4), None);
}

// ---------------------------------------------------------------------------------------
// The shipped rows, as the tables hold them after `seed`

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

/// The shipped OCOP criteria versions, as the table holds them after `seed`.
fn ocop_criteria_rows() -> Vec<ocop_criteria::Model> {
    read::<OcopCriteriaRow>("ocop_criteria.csv")
        .expect("ocop_criteria.csv")
        .into_iter()
        .zip(1..)
        .map(|(r, id)| ocop_criteria::Model {
            id,
            version: r.version,
            legal_basis: r.legal_basis,
            effective_from: r.effective_from,
            max_part_a: r.max_part_a,
            max_part_b: r.max_part_b,
            max_part_c: r.max_part_c,
            min_members: r.min_members,
            star2_from: r.star2_from,
            star3_from: r.star3_from,
            star4_from: r.star4_from,
            star5_from: r.star5_from,
            validity_months: r.validity_months,
        })
        .collect()
}

/// The shipped selection criteria versions, as the table holds them after `seed`.
fn selection_criteria_rows() -> Vec<selection_criteria::Model> {
    read::<SelectionRow>("selection_criteria.csv")
        .expect("selection_criteria.csv")
        .into_iter()
        .zip(1..)
        .map(|(r, id)| selection_criteria::Model {
            id,
            legal_basis: r.legal_basis,
            effective_from: r.effective_from,
            max_market: r.max_market,
            max_economic: r.max_economic,
            max_culture: r.max_culture,
            max_other: r.max_other,
            threshold: r.threshold,
            min_scorecards: r.min_scorecards,
            validity_years: r.validity_years,
        })
        .collect()
}
