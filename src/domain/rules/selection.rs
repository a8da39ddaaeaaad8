//! The entry rules and results of the selection of outstanding rural industrial products
//! (Circular 26/2014/TT-BCT, as amended by Circular 14/2018/TT-BCT and Circular
//! 38/2025/TT-BCT; SPEC §5) as pure functions: who may nominate to a round of each level,
//! which products are in its area, which earlier recognition a product needs, and what a
//! criteria version (`data/rules/selection_criteria.csv`) makes of the scorecards.

use chrono::{Datelike, NaiveDate};

use crate::{
    auth::actor::Actor,
    db::entities::selection_criteria,
    enums::{Role, SelectionLevel},
};

/// The recognition a product needs to enter a round of a level: a regional round takes
/// products with a valid provincial recognition, a national round those with a valid regional
/// one (Circular 26/2014/TT-BCT as amended; SPEC §5 "Entry"). Commune and provincial rounds
/// need none.
pub const ENTRY: &[(SelectionLevel, SelectionLevel)] = &[
    (SelectionLevel::Regional, SelectionLevel::Provincial),
    (SelectionLevel::National, SelectionLevel::Regional),
];

/// The level of the recognition a product needs to enter a round of `level`, if any.
pub fn entry_requirement(level: SelectionLevel) -> Option<SelectionLevel> {
    ENTRY.iter().find(|(l, _)| *l == level).map(|(_, n)| *n)
}

/// Where a product or a round sits; a round has the commune, province or region of its level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Place<'a> {
    /// Commune code.
    pub commune: Option<&'a str>,
    /// Province code.
    pub province: Option<&'a str>,
    /// Region of the province (regional selection).
    pub region: Option<&'a str>,
}

/// Whether `actor` may nominate a product of `product`'s commune and province to a round of
/// `level`: to a commune or provincial round, users of the product's commune or province; to a
/// regional round, the product's province users or national users; to a national round,
/// national users (SPEC §5 "Who").
pub fn may_nominate(actor: &Actor, level: SelectionLevel, product: Place<'_>) -> bool {
    let own_area = match actor.role {
        Role::Commune => {
            actor.commune_code.is_some() && actor.commune_code.as_deref() == product.commune
        }
        Role::Province => {
            actor.province_code.is_some() && actor.province_code.as_deref() == product.province
        }
        Role::National => false,
    };
    match level {
        SelectionLevel::Commune | SelectionLevel::Provincial => own_area,
        SelectionLevel::Regional => {
            actor.role == Role::National || (actor.role == Role::Province && own_area)
        }
        SelectionLevel::National => actor.role == Role::National,
    }
}

/// Whether a product of `product` may enter a round of `level` held in `round`: a commune
/// round takes its commune's products, a provincial round its province's, a regional round
/// those of the provinces of its region, a national round any.
pub fn in_round_area(level: SelectionLevel, round: Place<'_>, product: Place<'_>) -> bool {
    let same = |a: Option<&str>, b: Option<&str>| a.is_some() && a == b;
    match level {
        SelectionLevel::Commune => same(round.commune, product.commune),
        SelectionLevel::Provincial => same(round.province, product.province),
        SelectionLevel::Regional => same(product.region, round.region),
        SelectionLevel::National => true,
    }
}

/// The day an earlier recognition must be valid on to enter a round of `round_year`: today for
/// a current round, 31 December of its year for a past round entered afterwards (a 2022
/// regional round took 2022's provincial recognitions).
pub fn recognition_as_of(round_year: i32, today: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(round_year, 12, 31).map_or(today, |end| end.min(today))
}

/// An earlier recognition of a product: the level of its round and its dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recognition {
    /// Level of the round that recognised the product.
    pub level: SelectionLevel,
    /// Date of recognition.
    pub recognized_on: NaiveDate,
    /// Last day of validity.
    pub valid_until: NaiveDate,
}

/// Whether a product with `recognitions` may enter a round of `level` whose recognitions are
/// checked `as_of` ([`recognition_as_of`]): one of the needed level, issued by then and still
/// valid then, or none needed.
pub fn entry_satisfied(
    level: SelectionLevel,
    as_of: NaiveDate,
    recognitions: impl IntoIterator<Item = Recognition>,
) -> bool {
    match entry_requirement(level) {
        None => true,
        Some(needed) => recognitions
            .into_iter()
            .any(|r| r.level == needed && r.recognized_on <= as_of && r.valid_until >= as_of),
    }
}

/// Whether `count` scorecards are enough to close a round.
pub fn quorum(c: &selection_criteria::Model, count: i32) -> bool {
    count >= c.min_scorecards
}

/// Whether `count` scorecards adding up to `sum` recognise a nomination: a mean of at least
/// the threshold, decided exactly (`sum ≥ threshold × count`).
pub fn recognised(c: &selection_criteria::Model, sum: i64, count: i32) -> bool {
    sum >= i64::from(c.threshold) * i64::from(count)
}

/// The last day of a recognition issued on `issued`: 31 December of the year `validity_years`
/// after the year of issue.
pub fn valid_until(c: &selection_criteria::Model, issued: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(issued.year() + c.validity_years, 12, 31).unwrap_or(issued)
}
