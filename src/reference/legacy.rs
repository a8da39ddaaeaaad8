//! The administrative units before the July 2025 reform: 63 provinces and 10,040 communes in
//! their old districts, each linked to the unit(s) of today it became part of.
//!
//! Old and new codes overlap with different meanings (old 44 was Quảng Bình, new 44 is the
//! merged Quảng Trị), so an old code is only ever looked up among old codes: the two code
//! spaces live in separate maps and nothing here compares one with the other. The history
//! never changes, so it is read from the files shipped in the binary together with the
//! reference data, and held in memory (resolving an address costs no SQL statement).

use std::{
    collections::HashMap,
    sync::{Arc, OnceLock},
};

use serde::Deserialize;

use crate::{
    error::{AppError, Result},
    text::fold,
};

const LEGACY_PROVINCES_CSV: &str = include_str!("../../data/reference/legacy_provinces.csv");
const LEGACY_COMMUNES_CSV: &str = include_str!("../../data/reference/legacy_communes.csv");

/// A province before 1 July 2025.
#[derive(Clone, Debug)]
pub struct LegacyProvince {
    /// Old two-digit code (meaningful only among old codes).
    pub code: String,
    /// Old name ("Tỉnh Quảng Bình").
    pub name: String,
    /// Code of today's province it became part of.
    pub successor_code: String,
    bare: String,
}

/// A commune, ward or township before 1 July 2025.
#[derive(Clone, Debug)]
pub struct LegacyCommune {
    /// Old five-digit code (meaningful only among old codes).
    pub code: String,
    /// Old name.
    pub name: String,
    /// Old district code.
    pub district_code: String,
    /// Old district name.
    pub district_name: String,
    /// Old province code.
    pub province_code: String,
    /// Today's communes that received part of it, the main successor first.
    pub successor_codes: Vec<String>,
    full: String,
    bare: String,
    district_bare: String,
    search: String,
}

/// The old units, read once per process and shared by every reload of the reference data.
pub fn shared() -> Result<Arc<Legacy>> {
    static LEGACY: OnceLock<Arc<Legacy>> = OnceLock::new();
    if let Some(l) = LEGACY.get() {
        return Ok(Arc::clone(l));
    }
    let l = Arc::new(Legacy::load()?);
    Ok(Arc::clone(LEGACY.get_or_init(|| l)))
}

/// Where an old address lies now.
#[derive(Clone, Debug, Default)]
pub struct Resolution {
    /// Today's commune, when certain.
    pub commune: Option<String>,
    /// The old commune matched, when exactly one was.
    pub legacy: Option<LegacyCommune>,
    /// Every commune of today it may be in.
    pub candidates: Vec<String>,
    /// More than one candidate.
    pub ambiguous: bool,
}

/// The old units, indexed.
#[derive(Debug, Default)]
pub struct Legacy {
    provinces: Vec<LegacyProvince>,
    province_index: HashMap<String, usize>,
    communes: Vec<LegacyCommune>,
    commune_index: HashMap<String, usize>,
    by_bare_name: HashMap<String, Vec<usize>>,
}

#[derive(Deserialize)]
struct ProvinceRow {
    old_code: String,
    old_name: String,
    new_province_code: String,
}

#[derive(Deserialize)]
struct CommuneRow {
    old_code: String,
    old_name: String,
    old_district_code: String,
    old_district_name: String,
    old_province_code: String,
    new_commune_code: String,
    also_new_commune_codes: String,
}

/// Unit-type words written before a name, longest first ("thành phố" before "thành").
const PREFIXES: &[&str] = &[
    "thanh pho ",
    "thi tran ",
    "thi xa ",
    "phuong ",
    "huyen ",
    "quan ",
    "tinh ",
    "xa ",
    "tp. ",
    "tp ",
    "tt. ",
    "tt ",
    "tx. ",
    "tx ",
    "h. ",
    "q. ",
    "p. ",
    "x. ",
];

/// A folded name without its unit-type word ("xa mai thuy" → "mai thuy"). Bare numbers keep
/// the word ("phuong 1" stays, a bare "1" would match too much).
fn bare(folded: &str) -> String {
    for p in PREFIXES {
        if let Some(rest) = folded.strip_prefix(p) {
            let rest = rest.trim();
            if !rest.is_empty() {
                return rest.to_owned();
            }
        }
    }
    folded.to_owned()
}

fn read_csv<T: for<'de> Deserialize<'de>>(text: &str) -> Result<Vec<T>> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .map_err(AppError::internal)
}

impl Legacy {
    /// Reads the shipped files.
    pub fn load() -> Result<Self> {
        let provinces: Vec<LegacyProvince> = read_csv::<ProvinceRow>(LEGACY_PROVINCES_CSV)?
            .into_iter()
            .map(|r| LegacyProvince {
                bare: bare(&fold(&r.old_name)),
                code: r.old_code,
                name: r.old_name,
                successor_code: r.new_province_code,
            })
            .collect();
        let communes: Vec<LegacyCommune> = read_csv::<CommuneRow>(LEGACY_COMMUNES_CSV)?
            .into_iter()
            .map(|r| {
                let mut successor_codes = vec![r.new_commune_code.clone()];
                for c in r.also_new_commune_codes.split(';').map(str::trim) {
                    if !c.is_empty() && !successor_codes.iter().any(|s| s == c) {
                        successor_codes.push(c.to_owned());
                    }
                }
                let full = fold(&r.old_name);
                LegacyCommune {
                    bare: bare(&full),
                    district_bare: bare(&fold(&r.old_district_name)),
                    search: crate::text::search_text(&[
                        Some(&r.old_name),
                        Some(&r.old_district_name),
                        provinces_name(&r.old_province_code),
                    ]),
                    full,
                    code: r.old_code,
                    name: r.old_name,
                    district_code: r.old_district_code,
                    district_name: r.old_district_name,
                    province_code: r.old_province_code,
                    successor_codes,
                }
            })
            .collect();
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
        let mut by_bare_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, c) in communes.iter().enumerate() {
            by_bare_name.entry(c.bare.clone()).or_default().push(i);
        }
        Ok(Self {
            provinces,
            province_index,
            communes,
            commune_index,
            by_bare_name,
        })
    }

    /// The 63 old provinces in code order.
    pub fn provinces(&self) -> &[LegacyProvince] {
        &self.provinces
    }

    /// An old province by old code.
    pub fn province(&self, code: &str) -> Option<&LegacyProvince> {
        self.province_index.get(code).map(|&i| &self.provinces[i])
    }

    /// An old commune by old code.
    pub fn commune(&self, code: &str) -> Option<&LegacyCommune> {
        self.commune_index.get(code).map(|&i| &self.communes[i])
    }

    /// The old communes in old-code order, optionally only those of which a part is now in
    /// today's province `new_province_of` says, and whose commune, district or province name
    /// contains `search` (case and diacritics ignored).
    pub fn communes<'a>(
        &'a self,
        search: Option<&str>,
        now_in_province: impl Fn(&LegacyCommune) -> bool + 'a,
    ) -> impl Iterator<Item = &'a LegacyCommune> + 'a {
        let needle = search.map(fold).filter(|s| !s.is_empty());
        self.communes.iter().filter(move |c| {
            needle
                .as_ref()
                .is_none_or(|n| c.search.contains(n.as_str()))
                && now_in_province(c)
        })
    }

    /// Resolves an old commune by code: unknown codes resolve to nothing.
    pub fn resolve_code(&self, code: &str) -> Resolution {
        match self.commune_index.get(code.trim()) {
            Some(&i) => self.resolution(&[i]),
            None => Resolution::default(),
        }
    }

    /// Resolves an address written with the old units ("Xã Mai Thủy, huyện Lệ Thủy, tỉnh
    /// Quảng Bình", or "xa mai thuy, le thuy, quang binh"). Parts are read from the end:
    /// the province, then the district when they name one, then the commune; parts before
    /// the commune (a hamlet, a street) are skipped.
    pub fn resolve_address(&self, address: &str) -> Resolution {
        let mut parts: Vec<String> = address
            .split([',', ';'])
            .map(fold)
            .filter(|p| !p.is_empty())
            .collect();
        if parts.is_empty() {
            return Resolution::default();
        }
        let mut province: Option<&str> = None;
        if parts.len() > 1
            && let Some(last) = parts.last()
        {
            let b = bare(last);
            if let Some(p) = self.provinces.iter().find(|p| p.bare == b) {
                province = Some(&p.code);
                parts.pop();
            }
        }
        let mut district: Option<String> = None;
        if parts.len() > 1
            && let Some(last) = parts.last()
        {
            let b = bare(last);
            if self
                .communes
                .iter()
                .any(|c| c.district_bare == b && province.is_none_or(|p| c.province_code == p))
            {
                district = Some(b);
                parts.pop();
            }
        }
        for part in parts.iter().rev() {
            let Some(ids) = self.by_bare_name.get(&bare(part)) else {
                continue;
            };
            let mut hits: Vec<usize> = ids
                .iter()
                .copied()
                .filter(|&i| {
                    let c = &self.communes[i];
                    province.is_none_or(|p| c.province_code == p)
                        && district.as_ref().is_none_or(|d| &c.district_bare == d)
                })
                .collect();
            // "Phường 1" and "Xã 1" differ: when the text names the unit type, prefer it.
            let typed: Vec<usize> = hits
                .iter()
                .copied()
                .filter(|&i| self.communes[i].full == *part)
                .collect();
            if !typed.is_empty() {
                hits = typed;
            }
            if !hits.is_empty() {
                return self.resolution(&hits);
            }
        }
        Resolution::default()
    }

    fn resolution(&self, hits: &[usize]) -> Resolution {
        let mut candidates: Vec<String> = Vec::new();
        for &i in hits {
            for s in &self.communes[i].successor_codes {
                if !candidates.contains(s) {
                    candidates.push(s.clone());
                }
            }
        }
        let ambiguous = candidates.len() > 1;
        Resolution {
            commune: (!ambiguous).then(|| candidates.first().cloned()).flatten(),
            legacy: (hits.len() == 1).then(|| self.communes[hits[0]].clone()),
            candidates,
            ambiguous,
        }
    }
}

/// The old province's name for the search text (the file is small; read once per commune at
/// load, through a lazily built map).
fn provinces_name(code: &str) -> Option<&'static str> {
    static NAMES: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    NAMES
        .get_or_init(|| {
            let mut m = HashMap::new();
            for line in LEGACY_PROVINCES_CSV.lines().skip(1) {
                let mut f = line.split(',');
                if let (Some(c), Some(n)) = (f.next(), f.next()) {
                    m.insert(c.to_owned(), n);
                }
            }
            m
        })
        .get(code)
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_files_hold_the_old_units() {
        let l = Legacy::load().expect("legacy units load");
        assert_eq!(l.provinces().len(), 63);
        assert_eq!(l.communes.len(), 10_040);
    }

    #[test]
    fn old_addresses_resolve_with_or_without_diacritics() {
        let l = Legacy::load().expect("legacy units load");
        for text in [
            "Xã Mai Thủy, huyện Lệ Thủy, tỉnh Quảng Bình",
            "xa mai thuy, le thuy, quang binh",
            "Thôn 2, xã Mai Thủy, Lệ Thủy, Quảng Bình",
        ] {
            let r = l.resolve_address(text);
            assert_eq!(r.commune.as_deref(), Some("19309"), "{text}");
            assert!(!r.ambiguous);
        }
        assert!(
            l.resolve_address("Xã Không Có, huyện Nào Đó")
                .commune
                .is_none()
        );
        let split = l.resolve_code("00019");
        assert!(split.ambiguous);
        assert_eq!(split.candidates.len(), 4);
        assert!(split.commune.is_none());
    }
}
