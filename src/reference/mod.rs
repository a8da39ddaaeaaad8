//! Reference data: the 34 provinces and 3,321 communes of the July 2025 reform.
//!
//! The CSV files in `data/reference/` ship inside the binary and load into the database on
//! first start; the database is then the source (a province's region is editable data). The
//! whole set is small, so every request reads it from memory: resolving a commune or a
//! province never costs a SQL statement.

pub mod legacy;

use std::{collections::HashMap, sync::Arc};

use sea_orm::{
    ActiveValue::Set, ConnectionTrait, EntityTrait, PaginatorTrait, QueryOrder, TransactionTrait,
    sea_query::OnConflict,
};
use serde::Deserialize;

use crate::{
    db::entities::{commune, province},
    enums::{CommuneKind, ProvinceKind, Region},
    error::{AppError, Result},
    text::fold,
};

const PROVINCES_CSV: &str = include_str!("../../data/reference/provinces.csv");
const COMMUNES_CSV: &str = include_str!("../../data/reference/communes.csv");

/// A province or centrally-run city.
#[derive(Clone, Debug)]
pub struct Province {
    /// Two-digit statistical code.
    pub code: String,
    /// Official name.
    pub name: String,
    /// Province or centrally-run city.
    pub kind: ProvinceKind,
    /// Region of the regional selection.
    pub region: Region,
    search: String,
}

/// A commune, ward or special zone.
#[derive(Clone, Debug)]
pub struct Commune {
    /// Five-digit statistical code.
    pub code: String,
    /// Official name.
    pub name: String,
    /// Commune, ward or special zone.
    pub kind: CommuneKind,
    /// Code of its province.
    pub province_code: String,
    search: String,
}

impl Commune {
    /// A commune from its parts.
    pub fn new(code: &str, name: &str, kind: CommuneKind, province_code: &str) -> Self {
        Self {
            code: code.into(),
            name: name.into(),
            kind,
            province_code: province_code.into(),
            search: fold(name),
        }
    }
}

/// The reference data held in memory.
#[derive(Debug, Default)]
pub struct Reference {
    provinces: Vec<Province>,
    province_index: HashMap<String, usize>,
    communes: Vec<Commune>,
    commune_index: HashMap<String, usize>,
    by_province: HashMap<String, Vec<usize>>,
    legacy: Arc<legacy::Legacy>,
}

impl Reference {
    /// All provinces in code order.
    pub fn provinces(&self) -> &[Province] {
        &self.provinces
    }

    /// A province by code.
    pub fn province(&self, code: &str) -> Option<&Province> {
        self.province_index.get(code).map(|&i| &self.provinces[i])
    }

    /// A commune by code.
    pub fn commune(&self, code: &str) -> Option<&Commune> {
        self.commune_index.get(code).map(|&i| &self.communes[i])
    }

    /// The communes of a province whose name contains `search` (diacritics and case ignored).
    pub fn communes_of(&self, province_code: &str, search: Option<&str>) -> Vec<&Commune> {
        let needle = search.map(fold).filter(|s| !s.is_empty());
        self.by_province
            .get(province_code)
            .map(|ids| {
                ids.iter()
                    .map(|&i| &self.communes[i])
                    .filter(|c| {
                        needle
                            .as_ref()
                            .is_none_or(|n| c.search.contains(n.as_str()))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The units before the July 2025 reform.
    pub fn legacy(&self) -> &legacy::Legacy {
        &self.legacy
    }

    /// Whether `search` matches a province name (diacritics and case ignored).
    pub fn province_matches(p: &Province, search: &str) -> bool {
        p.search.contains(&fold(search))
    }

    fn build(provinces: Vec<Province>, communes: Vec<Commune>) -> Self {
        let province_index = provinces
            .iter()
            .enumerate()
            .map(|(i, p)| (p.code.clone(), i))
            .collect();
        let commune_index = communes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.code.clone(), i))
            .collect();
        let mut by_province: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, c) in communes.iter().enumerate() {
            by_province
                .entry(c.province_code.clone())
                .or_default()
                .push(i);
        }
        Self {
            provinces,
            province_index,
            communes,
            commune_index,
            by_province,
            legacy: Arc::default(),
        }
    }

    /// Reads the reference data from the database.
    pub async fn load(db: &impl ConnectionTrait) -> Result<Self> {
        let provinces = province::Entity::find()
            .order_by_asc(province::Column::Code)
            .all(db)
            .await?
            .into_iter()
            .map(|p| Province {
                kind: p.kind,
                region: p.region,
                search: p.search_name,
                code: p.code,
                name: p.name,
            })
            .collect::<Vec<_>>();
        let communes = commune::Entity::find()
            .order_by_asc(commune::Column::Code)
            .all(db)
            .await?
            .into_iter()
            .map(|c| Commune {
                kind: c.kind,
                search: c.search_name,
                code: c.code,
                name: c.name,
                province_code: c.province_code,
            })
            .collect::<Vec<_>>();
        Ok(Self {
            legacy: legacy::shared()?,
            ..Self::build(provinces, communes)
        })
    }
}

#[derive(Deserialize)]
struct ProvinceRow {
    code: String,
    name: String,
    division_type: String,
    codename: String,
    region: String,
}

#[derive(Deserialize)]
struct CommuneRow {
    code: String,
    name: String,
    division_type: String,
    province_code: String,
    codename: String,
}

fn province_kind(division_type: &str) -> Result<ProvinceKind> {
    match division_type {
        "tỉnh" => Ok(ProvinceKind::Province),
        "thành phố trung ương" => Ok(ProvinceKind::CentralCity),
        other => Err(AppError::internal(format!(
            "unknown province division type {other:?}"
        ))),
    }
}

fn commune_kind(division_type: &str) -> Result<CommuneKind> {
    match division_type {
        "xã" => Ok(CommuneKind::Commune),
        "phường" => Ok(CommuneKind::Ward),
        "đặc khu" => Ok(CommuneKind::SpecialZone),
        other => Err(AppError::internal(format!(
            "unknown commune division type {other:?}"
        ))),
    }
}

fn read_csv<T: for<'de> Deserialize<'de>>(text: &str) -> Result<Vec<T>> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .map_err(AppError::internal)
}

/// Loads the shipped reference data into an empty database; does nothing when it is there.
/// Safe when several instances start at once (conflicting rows are skipped).
pub async fn seed(db: &sea_orm::DatabaseConnection) -> Result<()> {
    if province::Entity::find().count(db).await? > 0 {
        return Ok(());
    }
    let provinces = read_csv::<ProvinceRow>(PROVINCES_CSV)?
        .into_iter()
        .map(|r| {
            Ok(province::ActiveModel {
                kind: Set(province_kind(&r.division_type)?),
                region: Set(Region::parse(&r.region)
                    .ok_or_else(|| AppError::internal(format!("unknown region {:?}", r.region)))?),
                search_name: Set(fold(&r.name)),
                code: Set(r.code),
                name: Set(r.name),
                codename: Set(r.codename),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let communes = read_csv::<CommuneRow>(COMMUNES_CSV)?
        .into_iter()
        .map(|r| {
            Ok(commune::ActiveModel {
                kind: Set(commune_kind(&r.division_type)?),
                search_name: Set(fold(&r.name)),
                code: Set(r.code),
                name: Set(r.name),
                province_code: Set(r.province_code),
                codename: Set(r.codename),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let txn = db.begin().await?;
    province::Entity::insert_many(provinces)
        .on_conflict(
            OnConflict::column(province::Column::Code)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    let mut rest = communes;
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().min(500));
        let chunk = std::mem::replace(&mut rest, tail);
        commune::Entity::insert_many(chunk)
            .on_conflict(
                OnConflict::column(commune::Column::Code)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_files_hold_the_reformed_units() {
        let p = read_csv::<ProvinceRow>(PROVINCES_CSV).expect("provinces parse");
        let c = read_csv::<CommuneRow>(COMMUNES_CSV).expect("communes parse");
        assert_eq!(p.len(), 34);
        assert_eq!(c.len(), 3321);
        let cities = p
            .iter()
            .filter(|r| province_kind(&r.division_type).ok() == Some(ProvinceKind::CentralCity))
            .count();
        assert_eq!(cities, 6);
        assert!(c.iter().all(|r| commune_kind(&r.division_type).is_ok()));
    }
}
