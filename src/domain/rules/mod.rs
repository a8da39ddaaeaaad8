//! Regulation as data. Every file of `data/rules/` is compiled in and read here, with one
//! reader, each row carrying its legal basis:
//!
//! - rules that change on a date (advance share, support caps, selection and OCOP criteria,
//!   OCOP prizes) are loaded into their tables at start-up ([`seed`]), where the rule in
//!   force on a day is looked up and where administrators can add a newer one;
//! - rules that fix who does what (which sources fund which programme, in which project
//!   states money and beneficiaries may change, which level issues which OCOP stars) are
//!   read once into memory ([`funding_levels`], [`project_states`], [`ocop_issuing`]).
//!
//! A new rule file goes into [`FILES`]; the test `every_file_is_read` fails until it does.
//!
//! Where a rule is applied to a case, it is a pure function of the rule's data, by domain
//! ([`ocop`]: star bands and decisions; [`selection`]: entry rules and results; [`money`]:
//! support caps and advances), so every row and permutation is a unit test (`tests.rs`, over
//! the shipped files) rather than a round trip through the API.

use std::sync::LazyLock;

use chrono::NaiveDate;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait, PaginatorTrait};
use serde::{Deserialize, de::DeserializeOwned};

use crate::{
    db::entities::{
        disbursement_rule, ocop_criteria, ocop_prize, selection_criteria, support_cap_rule,
    },
    enums::{
        CapUnit, FundingLevel, OcopIssuingLevel, ProgramLevel, ProjectCategory, ProjectStatus,
    },
    error::{AppError, Result},
};

pub mod money;
pub mod ocop;
pub mod selection;

/// The shipped rule files, by name.
pub const FILES: &[(&str, &str)] = &[
    (
        "disbursement.csv",
        include_str!("../../../data/rules/disbursement.csv"),
    ),
    (
        "support_caps.csv",
        include_str!("../../../data/rules/support_caps.csv"),
    ),
    (
        "selection_criteria.csv",
        include_str!("../../../data/rules/selection_criteria.csv"),
    ),
    (
        "ocop_criteria.csv",
        include_str!("../../../data/rules/ocop_criteria.csv"),
    ),
    (
        "ocop_prizes.csv",
        include_str!("../../../data/rules/ocop_prizes.csv"),
    ),
    (
        "funding_levels.csv",
        include_str!("../../../data/rules/funding_levels.csv"),
    ),
    (
        "project_states.csv",
        include_str!("../../../data/rules/project_states.csv"),
    ),
    (
        "ocop_issuing.csv",
        include_str!("../../../data/rules/ocop_issuing.csv"),
    ),
];

/// The rows of one shipped rule file.
pub fn read<T: DeserializeOwned>(name: &str) -> Result<Vec<T>> {
    let text = FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .ok_or_else(|| AppError::internal(format!("no rule file {name}")))?;
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| AppError::internal(format!("data/rules/{name}: {e}")))
}

/// A stored enumeration value read from a rule file.
fn parse<T>(name: &str, value: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T> {
    parse(value).ok_or_else(|| AppError::internal(format!("data/rules/{name}: unknown {value:?}")))
}

// ---------------------------------------------------------------------------------------
// Rules in tables, loaded at start-up

#[derive(Deserialize)]
struct DisbursementRow {
    legal_basis: String,
    effective_from: NaiveDate,
    advance_percent: i32,
}

#[derive(Deserialize)]
struct CapRow {
    legal_basis: String,
    effective_from: NaiveDate,
    program_level: String,
    category: String,
    province_code: Option<String>,
    max_percent: i32,
    max_amount_vnd: i64,
    per_unit: String,
}

#[derive(Deserialize)]
struct SelectionRow {
    legal_basis: String,
    effective_from: NaiveDate,
    max_market: i32,
    max_economic: i32,
    max_culture: i32,
    max_other: i32,
    threshold: i32,
    min_scorecards: i32,
    validity_years: i32,
}

#[derive(Deserialize)]
struct OcopCriteriaRow {
    version: String,
    legal_basis: String,
    effective_from: NaiveDate,
    max_part_a: i32,
    max_part_b: i32,
    max_part_c: i32,
    min_members: i32,
    star2_from: i32,
    star3_from: i32,
    star4_from: i32,
    star5_from: i32,
    validity_months: i32,
}

#[derive(Deserialize)]
struct PrizeRow {
    stars: i32,
    amount_vnd: i64,
    legal_basis: String,
    effective_from: NaiveDate,
}

/// Loads the shipped rules into each empty rule table (a table an administrator has filled
/// is left as it is).
pub async fn seed(db: &impl ConnectionTrait) -> Result<()> {
    if disbursement_rule::Entity::find().count(db).await? == 0 {
        for r in read::<DisbursementRow>("disbursement.csv")? {
            disbursement_rule::ActiveModel {
                legal_basis: Set(r.legal_basis),
                effective_from: Set(r.effective_from),
                advance_percent: Set(r.advance_percent),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    if support_cap_rule::Entity::find().count(db).await? == 0 {
        for r in read::<CapRow>("support_caps.csv")? {
            const F: &str = "support_caps.csv";
            support_cap_rule::ActiveModel {
                legal_basis: Set(r.legal_basis),
                effective_from: Set(r.effective_from),
                program_level: Set(parse(F, &r.program_level, ProgramLevel::parse)?),
                category: Set(parse(F, &r.category, ProjectCategory::parse)?),
                province_code: Set(r.province_code.filter(|p| !p.is_empty())),
                max_percent: Set(r.max_percent),
                max_amount_vnd: Set(r.max_amount_vnd),
                per_unit: Set(parse(F, &r.per_unit, CapUnit::parse)?),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    if selection_criteria::Entity::find().count(db).await? == 0 {
        for r in read::<SelectionRow>("selection_criteria.csv")? {
            selection_criteria::ActiveModel {
                legal_basis: Set(r.legal_basis),
                effective_from: Set(r.effective_from),
                max_market: Set(r.max_market),
                max_economic: Set(r.max_economic),
                max_culture: Set(r.max_culture),
                max_other: Set(r.max_other),
                threshold: Set(r.threshold),
                min_scorecards: Set(r.min_scorecards),
                validity_years: Set(r.validity_years),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    if ocop_criteria::Entity::find().count(db).await? == 0 {
        for r in read::<OcopCriteriaRow>("ocop_criteria.csv")? {
            ocop_criteria::ActiveModel {
                version: Set(r.version),
                legal_basis: Set(r.legal_basis),
                effective_from: Set(r.effective_from),
                max_part_a: Set(r.max_part_a),
                max_part_b: Set(r.max_part_b),
                max_part_c: Set(r.max_part_c),
                min_members: Set(r.min_members),
                star2_from: Set(r.star2_from),
                star3_from: Set(r.star3_from),
                star4_from: Set(r.star4_from),
                star5_from: Set(r.star5_from),
                validity_months: Set(r.validity_months),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    if ocop_prize::Entity::find().count(db).await? == 0 {
        for r in read::<PrizeRow>("ocop_prizes.csv")? {
            ocop_prize::ActiveModel {
                stars: Set(r.stars),
                amount_vnd: Set(r.amount_vnd),
                legal_basis: Set(r.legal_basis),
                effective_from: Set(r.effective_from),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    // The in-memory rules are read now, so a broken file stops start-up instead of a request.
    if let Some(error) = [
        FUNDING_LEVELS.as_ref().err(),
        PROJECT_STATES.as_ref().err(),
        OCOP_ISSUING.as_ref().err(),
    ]
    .into_iter()
    .flatten()
    .next()
    {
        return Err(AppError::internal(error.clone()));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Rules in memory

/// Which province a funding source of a level must belong to, to fund a project.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceProvince {
    /// Any source of the level.
    Any,
    /// Only a source of the project's own province.
    Own,
    /// A source of the project's own province or of no province.
    OwnOrNone,
}

/// A programme level may be funded from sources of a level (`data/rules/funding_levels.csv`).
#[derive(Clone, Debug)]
pub struct FundingLevelRule {
    /// The project's programme level.
    pub program_level: ProgramLevel,
    /// The level of the funding source.
    pub source_level: FundingLevel,
    /// Which sources of that level.
    pub province: SourceProvince,
    /// Legal basis.
    pub legal_basis: String,
}

/// Whether a project's money and beneficiaries may change in a state
/// (`data/rules/project_states.csv`).
#[derive(Clone, Debug)]
pub struct ProjectStateRule {
    /// The state.
    pub status: ProjectStatus,
    /// Whether allocations and beneficiaries may change.
    pub money_may_change: bool,
    /// Legal basis.
    pub legal_basis: String,
}

/// Which level issues an OCOP certificate of a star rating (`data/rules/ocop_issuing.csv`).
#[derive(Clone, Debug)]
pub struct OcopIssuingRule {
    /// Stars.
    pub stars: i32,
    /// The level that issues it.
    pub issuing_level: OcopIssuingLevel,
    /// When the central council does not recognise the rating, the stars the province may
    /// issue instead.
    pub fallback_stars: Option<i32>,
    /// Legal basis.
    pub legal_basis: String,
}

/// Rules read once, or why they could not be.
type Rules<T> = LazyLock<std::result::Result<Vec<T>, String>>;

#[derive(Deserialize)]
struct FundingLevelRow {
    program_level: String,
    source_level: String,
    source_province: String,
    legal_basis: String,
}

#[derive(Deserialize)]
struct ProjectStateRow {
    status: String,
    money_may_change: bool,
    legal_basis: String,
}

#[derive(Deserialize)]
struct OcopIssuingRow {
    stars: i32,
    issuing_level: String,
    fallback_stars: Option<i32>,
    legal_basis: String,
}

static FUNDING_LEVELS: Rules<FundingLevelRule> =
    LazyLock::new(|| read_funding_levels().map_err(|e| e.to_string()));

fn read_funding_levels() -> Result<Vec<FundingLevelRule>> {
    const F: &str = "funding_levels.csv";
    read::<FundingLevelRow>(F)?
        .into_iter()
        .map(|r| {
            Ok(FundingLevelRule {
                program_level: parse(F, &r.program_level, ProgramLevel::parse)?,
                source_level: parse(F, &r.source_level, FundingLevel::parse)?,
                province: parse(F, &r.source_province, |s| match s {
                    "ANY" => Some(SourceProvince::Any),
                    "OWN" => Some(SourceProvince::Own),
                    "OWN_OR_NONE" => Some(SourceProvince::OwnOrNone),
                    _ => None,
                })?,
                legal_basis: r.legal_basis,
            })
        })
        .collect()
}

static PROJECT_STATES: Rules<ProjectStateRule> =
    LazyLock::new(|| read_project_states().map_err(|e| e.to_string()));

fn read_project_states() -> Result<Vec<ProjectStateRule>> {
    const F: &str = "project_states.csv";
    let rules = read::<ProjectStateRow>(F)?
        .into_iter()
        .map(|r| {
            Ok(ProjectStateRule {
                status: parse(F, &r.status, ProjectStatus::parse)?,
                money_may_change: r.money_may_change,
                legal_basis: r.legal_basis,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    for s in ProjectStatus::ALL {
        if rules.iter().filter(|r| r.status == *s).count() != 1 {
            return Err(AppError::internal(format!(
                "data/rules/{F}: {s} must have exactly one row"
            )));
        }
    }
    Ok(rules)
}

static OCOP_ISSUING: Rules<OcopIssuingRule> =
    LazyLock::new(|| read_ocop_issuing().map_err(|e| e.to_string()));

fn read_ocop_issuing() -> Result<Vec<OcopIssuingRule>> {
    const F: &str = "ocop_issuing.csv";
    read::<OcopIssuingRow>(F)?
        .into_iter()
        .map(|r| {
            Ok(OcopIssuingRule {
                stars: r.stars,
                issuing_level: parse(F, &r.issuing_level, OcopIssuingLevel::parse)?,
                fallback_stars: r.fallback_stars,
                legal_basis: r.legal_basis,
            })
        })
        .collect()
}

fn loaded<T>(rules: &'static Rules<T>) -> &'static [T] {
    // `seed` forced and checked every in-memory rule at start-up, and the unit tests below
    // read the shipped files: an error cannot reach here in a running server.
    match LazyLock::force(rules) {
        Ok(rules) => rules,
        Err(_) => &[],
    }
}

/// Which funding sources fund which programme level.
pub fn funding_levels() -> &'static [FundingLevelRule] {
    loaded(&FUNDING_LEVELS)
}

/// The project states and whether money and beneficiaries may change in each.
pub fn project_states() -> &'static [ProjectStateRule] {
    loaded(&PROJECT_STATES)
}

/// Which level issues which OCOP stars.
pub fn ocop_issuing() -> &'static [OcopIssuingRule] {
    loaded(&OCOP_ISSUING)
}

/// Whether a source of `source_level` in `source_province` may fund a project of
/// `program_level` in `project_province`.
pub fn source_may_fund(
    program_level: ProgramLevel,
    project_province: &str,
    source_level: FundingLevel,
    source_province: Option<&str>,
) -> bool {
    funding_levels()
        .iter()
        .filter(|r| r.program_level == program_level && r.source_level == source_level)
        .any(|r| match r.province {
            SourceProvince::Any => true,
            SourceProvince::Own => source_province == Some(project_province),
            SourceProvince::OwnOrNone => source_province.is_none_or(|c| c == project_province),
        })
}

/// Whether money and beneficiaries may change in a project state.
pub fn money_may_change(status: ProjectStatus) -> bool {
    project_states()
        .iter()
        .any(|r| r.status == status && r.money_may_change)
}

/// The level that issues a certificate of `stars`, if any level does.
pub fn ocop_issuer(stars: i32) -> Option<OcopIssuingLevel> {
    ocop_issuing()
        .iter()
        .find(|r| r.stars == stars)
        .map(|r| r.issuing_level)
}

/// The stars the province may issue when the central council does not recognise `stars`.
pub fn ocop_fallback(stars: i32) -> Option<i32> {
    ocop_issuing()
        .iter()
        .find(|r| r.stars == stars)
        .and_then(|r| r.fallback_stars)
}

#[cfg(test)]
mod tests;
