//! The selection (`selection_criteria.csv` and the entry rules): who nominates, which products
//! enter, which recognition they need, and the results, over every permutation.

use chrono::Datelike;

use super::*;
use crate::{
    auth::actor::Actor,
    enums::{Role, SelectionLevel},
};

#[test]
fn the_shipped_selection_criteria_are_those_of_the_circular() {
    let rows = selection_criteria_rows();
    assert!(!rows.is_empty());
    for c in &rows {
        assert!(!c.legal_basis.trim().is_empty());
        assert_eq!(
            c.max_market + c.max_economic + c.max_culture + c.max_other,
            100
        );
        assert!((1..=100).contains(&c.threshold) && c.min_scorecards >= 1 && c.validity_years >= 0);
    }
    // Circular 26/2014/TT-BCT as amended, written out independently of the file.
    let c = rows.last().expect("a row");
    assert_eq!(
        (
            [c.max_market, c.max_economic, c.max_culture, c.max_other],
            c.threshold,
            c.min_scorecards,
            c.validity_years,
        ),
        ([40, 40, 10, 10], 70, 3, 2)
    );
}

#[test]
fn a_nomination_is_recognised_from_a_mean_of_the_threshold_exactly() {
    for c in selection_criteria_rows() {
        for count in c.min_scorecards..=c.min_scorecards + 3 {
            for sum in 0..=100 * i64::from(count) {
                let mean = sum as f64 / f64::from(count);
                assert_eq!(
                    selection::recognised(&c, sum, count),
                    mean >= f64::from(c.threshold),
                    "{sum}/{count}"
                );
            }
        }
        // The edges: 209/3 = 69.67 is not 70, 210/3 is.
        let t = i64::from(c.threshold);
        assert!(!selection::recognised(&c, 3 * t - 1, 3));
        assert!(selection::recognised(&c, 3 * t, 3));
    }
}

#[test]
fn a_round_closes_with_its_minimum_of_scorecards() {
    for c in selection_criteria_rows() {
        assert!(!selection::quorum(&c, c.min_scorecards - 1));
        assert!(selection::quorum(&c, c.min_scorecards));
        assert!(selection::quorum(&c, c.min_scorecards + 1));
    }
}

#[test]
fn a_recognition_runs_to_31_december_of_its_last_year() {
    for c in selection_criteria_rows() {
        for issued in [
            date(2022, 1, 1),
            date(2022, 11, 15),
            date(2024, 2, 29),
            date(2025, 12, 31),
        ] {
            assert_eq!(
                selection::valid_until(&c, issued),
                date(issued.year() + c.validity_years, 12, 31),
                "{issued}"
            );
        }
    }
}

#[test]
fn each_level_needs_the_recognition_of_the_level_below_it_or_none() {
    use SelectionLevel as L;
    // SPEC §5 "Entry", written out independently of `ENTRY`.
    for (level, needed) in [
        (L::Commune, None),
        (L::Provincial, None),
        (L::Regional, Some(L::Provincial)),
        (L::National, Some(L::Regional)),
    ] {
        assert_eq!(selection::entry_requirement(level), needed, "{level}");
    }
    for level in SelectionLevel::ALL {
        let n = selection::ENTRY.iter().filter(|(l, _)| l == level).count();
        assert!(n <= 1, "{level} has at most one entry rule");
    }
}

#[test]
fn a_recognition_counts_as_of_the_rounds_year_or_today() {
    let today = date(2026, 3, 10);
    assert_eq!(
        selection::recognition_as_of(2022, today),
        date(2022, 12, 31)
    );
    assert_eq!(
        selection::recognition_as_of(2025, today),
        date(2025, 12, 31)
    );
    assert_eq!(selection::recognition_as_of(2026, today), today);
    assert_eq!(selection::recognition_as_of(2027, today), today);
}

#[test]
fn entry_over_every_level_of_recognition_and_every_validity() {
    let as_of = date(2026, 6, 30);
    // (recognized_on, valid_until, whether it is valid as of the day)
    let timings = [
        (date(2025, 5, 1), date(2027, 12, 31), true),
        (as_of, as_of, true),
        (date(2023, 5, 1), date(2025, 12, 31), false),
        (date(2023, 5, 1), as_of.pred_opt().expect("day"), false),
        (as_of.succ_opt().expect("day"), date(2028, 12, 31), false),
    ];
    for level in SelectionLevel::ALL {
        let needed = selection::entry_requirement(*level);
        assert_eq!(
            selection::entry_satisfied(*level, as_of, []),
            needed.is_none(),
            "{level} without any recognition"
        );
        for held in SelectionLevel::ALL {
            for (recognized_on, valid_until, valid) in timings {
                let r = selection::Recognition {
                    level: *held,
                    recognized_on,
                    valid_until,
                };
                let expected = match needed {
                    None => true,
                    Some(n) => n == *held && valid,
                };
                assert_eq!(
                    selection::entry_satisfied(*level, as_of, [r]),
                    expected,
                    "{level} round, {held} recognition {recognized_on}–{valid_until}"
                );
                // A useless recognition beside a good one changes nothing.
                if let Some(n) = needed {
                    let good = selection::Recognition {
                        level: n,
                        recognized_on: date(2025, 5, 1),
                        valid_until: date(2027, 12, 31),
                    };
                    assert!(selection::entry_satisfied(*level, as_of, [r, good]));
                }
            }
        }
    }
}

fn actor(role: Role, province: Option<&str>, commune: Option<&str>) -> Actor {
    Actor {
        user_id: 1,
        role,
        province_code: province.map(Into::into),
        commune_code: commune.map(Into::into),
        is_admin: false,
        read_only: false,
    }
}

/// A product of commune 24121 of province 66 (Central Highlands).
const PRODUCT: selection::Place<'static> = selection::Place {
    commune: Some("24121"),
    province: Some("66"),
    region: Some("CENTRAL_HIGHLANDS"),
};

#[test]
fn who_may_nominate_to_a_round_of_each_level() {
    // SPEC §5 "Who": columns COMMUNE PROVINCIAL REGIONAL NATIONAL.
    let table = [
        (
            actor(Role::Commune, Some("66"), Some("24121")),
            "the product's commune",
            [true, true, false, false],
        ),
        (
            actor(Role::Commune, Some("66"), Some("24100")),
            "another commune of its province",
            [false, false, false, false],
        ),
        (
            actor(Role::Commune, Some("01"), Some("00004")),
            "a commune elsewhere",
            [false, false, false, false],
        ),
        (
            actor(Role::Province, Some("66"), None),
            "the product's province",
            [true, true, true, false],
        ),
        (
            actor(Role::Province, Some("01"), None),
            "another province",
            [false, false, false, false],
        ),
        (
            actor(Role::National, None, None),
            "a national user",
            [false, false, true, true],
        ),
    ];
    let levels = [
        SelectionLevel::Commune,
        SelectionLevel::Provincial,
        SelectionLevel::Regional,
        SelectionLevel::National,
    ];
    assert_eq!(levels.len(), SelectionLevel::ALL.len());
    for (who, name, allowed) in &table {
        for (level, expected) in levels.iter().zip(allowed) {
            assert_eq!(
                selection::may_nominate(who, *level, PRODUCT),
                *expected,
                "{name} to a {level} round"
            );
        }
    }
}

#[test]
fn a_product_enters_rounds_of_its_commune_province_region_or_the_nation() {
    use selection::Place;
    let round = |commune, province, region| Place {
        commune,
        province,
        region,
    };
    // Where each round is held; columns: its own product, one of another commune of the same
    // province, of another province of the same region, of another region.
    let same_commune = PRODUCT;
    let same_province = Place {
        commune: Some("24100"),
        ..PRODUCT
    };
    let same_region = Place {
        commune: Some("25000"),
        province: Some("64"),
        ..PRODUCT
    };
    let elsewhere = Place {
        commune: Some("00004"),
        province: Some("01"),
        region: Some("NORTH"),
    };
    let products = [same_commune, same_province, same_region, elsewhere];
    let table = [
        (
            SelectionLevel::Commune,
            round(Some("24121"), Some("66"), None),
            [true, false, false, false],
        ),
        (
            SelectionLevel::Provincial,
            round(None, Some("66"), None),
            [true, true, false, false],
        ),
        (
            SelectionLevel::Regional,
            round(None, None, Some("CENTRAL_HIGHLANDS")),
            [true, true, true, false],
        ),
        (
            SelectionLevel::National,
            round(None, None, None),
            [true, true, true, true],
        ),
    ];
    for (level, held, expected) in table {
        for (product, e) in products.iter().zip(expected) {
            assert_eq!(
                selection::in_round_area(level, held, *product),
                e,
                "{level} round {held:?}, product {product:?}"
            );
        }
    }
    // A product whose region is unknown enters no regional round.
    let no_region = Place {
        region: None,
        ..PRODUCT
    };
    assert!(!selection::in_round_area(
        SelectionLevel::Regional,
        round(None, None, Some("CENTRAL_HIGHLANDS")),
        no_region
    ));
}
