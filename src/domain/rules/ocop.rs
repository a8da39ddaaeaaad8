//! The OCOP rating as pure functions of a criteria version (`data/rules/ocop_criteria.csv`,
//! Decision 148/QĐ-TTg as amended by Decision 1489/QĐ-TTg): the star band of a mean score,
//! the council's quorum, and what the provincial and the central decisions make of a tally.
//!
//! Scores are kept in hundredths (`centi`), and a mean is compared exactly: a mean of at least
//! `p` points over `count` scores is `sum ≥ p × 100 × count`, never a rounded division.

use crate::db::entities::ocop_criteria;

/// The stars a mean (in hundredths) earns under a criteria version: 5★ from `star5_from`
/// points, 4★ from `star4_from`, 3★ from `star3_from`, 2★ from `star2_from`, else 1★.
pub fn stars(c: &ocop_criteria::Model, mean_centi: i64) -> i32 {
    let bands = [
        (c.star5_from, 5),
        (c.star4_from, 4),
        (c.star3_from, 3),
        (c.star2_from, 2),
    ];
    bands
        .iter()
        .find(|(from, _)| mean_centi >= i64::from(*from) * 100)
        .map(|(_, s)| *s)
        .unwrap_or(1)
}

/// Whether `count` council members' scores are enough for a decision.
pub fn quorum(c: &ocop_criteria::Model, count: i64) -> bool {
    count >= i64::from(c.min_members)
}

/// What the province decides on its council's tally.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProvinceDecision {
    /// No certificate; the rating recorded (at most 2★).
    NotCertified {
        /// The stars recorded on the evaluation.
        stars: i32,
    },
    /// A potential 5★ product, sent to the central council.
    ToCentre,
    /// The province certifies this many stars (3★ or 4★).
    Certify {
        /// Stars of the certificate.
        stars: i32,
    },
}

/// The provincial decision on `count` scores adding up to `sum_centi` hundredths, `failed` when
/// a member listed an unmet mandatory criterion (no certificate whatever the total). The caller
/// has checked the [`quorum`] first.
pub fn province_decision(
    c: &ocop_criteria::Model,
    sum_centi: i64,
    count: i64,
    failed: bool,
) -> ProvinceDecision {
    // `count` ≥ the quorum ≥ 1 here; `max` keeps a misuse from dividing by zero.
    let stars = stars(c, sum_centi / count.max(1));
    let mean_at_least = |points: i32| sum_centi >= i64::from(points) * 100 * count;
    if failed || !mean_at_least(c.star3_from) {
        ProvinceDecision::NotCertified {
            stars: stars.min(2),
        }
    } else if mean_at_least(c.star5_from) {
        ProvinceDecision::ToCentre
    } else if mean_at_least(c.star4_from) {
        ProvinceDecision::Certify { stars: 4 }
    } else {
        ProvinceDecision::Certify { stars: 3 }
    }
}

/// Whether the central council recognises 5★ on `count` scores adding up to `sum_centi`
/// hundredths (no mandatory failure, a mean of at least `star5_from`). The caller has checked
/// the [`quorum`] first.
pub fn centre_recognises(
    c: &ocop_criteria::Model,
    sum_centi: i64,
    count: i64,
    failed: bool,
) -> bool {
    !failed && sum_centi >= i64::from(c.star5_from) * 100 * count
}
