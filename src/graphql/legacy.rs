//! The units before the July 2025 reform and the resolution of old addresses, served from
//! memory (public reference data, like the provinces).

use async_graphql::{Context, Object, SimpleObject};

use crate::{
    domain::page::{Cursor, PageArgs},
    error::{AppError, Msg},
    graphql::{
        connection::PageInfo,
        context::ContextExt,
        reference::{Commune, Province, commune_of, province_of},
    },
    reference::legacy,
};

/// A province as it was before 1 July 2025. Old and new codes overlap with different
/// meanings: an old code is only ever compared with old codes.
#[derive(Clone)]
pub struct LegacyProvince(pub legacy::LegacyProvince);

#[Object]
impl LegacyProvince {
    /// Old two-digit code.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Old name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The province it became part of.
    async fn successor(&self, ctx: &Context<'_>) -> async_graphql::Result<Province> {
        province_of(ctx, &self.0.successor_code)
    }
}

/// A commune, ward or township as it was before 1 July 2025, in its old district.
#[derive(Clone)]
pub struct LegacyCommune(pub legacy::LegacyCommune);

#[Object]
impl LegacyCommune {
    /// Old five-digit code.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Old name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Old district code.
    async fn district_code(&self) -> &str {
        &self.0.district_code
    }
    /// Old district name.
    async fn district_name(&self) -> &str {
        &self.0.district_name
    }
    /// Its old province.
    async fn province(&self, ctx: &Context<'_>) -> async_graphql::Result<LegacyProvince> {
        ctx.dctx()?
            .reference
            .legacy()
            .province(&self.0.province_code)
            .cloned()
            .map(LegacyProvince)
            .ok_or_else(|| {
                AppError::internal(format!("unknown old province {}", self.0.province_code)).into()
            })
    }
    /// The commune it became (wholly or mostly) part of.
    async fn successor(&self, ctx: &Context<'_>) -> async_graphql::Result<Commune> {
        let main = self
            .0
            .successor_codes
            .first()
            .ok_or_else(|| AppError::internal("old commune without successor"))?;
        commune_of(ctx, main)
    }
    /// Every commune that received part of it (the successor first); more than one when it
    /// was split.
    async fn successors(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Commune>> {
        self.0
            .successor_codes
            .iter()
            .map(|c| commune_of(ctx, c))
            .collect()
    }
}

/// An edge: an old commune and its cursor.
#[derive(SimpleObject, Clone)]
pub struct LegacyCommuneEdge {
    /// Pass as `after` to continue after this row.
    pub cursor: String,
    /// The old commune.
    pub node: LegacyCommune,
}

/// A page of old communes.
#[derive(SimpleObject)]
pub struct LegacyCommuneConnection {
    /// The rows with their cursors.
    pub edges: Vec<LegacyCommuneEdge>,
    /// The rows.
    pub nodes: Vec<LegacyCommune>,
    /// Where this page is in the list.
    pub page_info: PageInfo,
    /// How many old communes match.
    pub total_count: i32,
}

/// Where an address written with the old units lies now.
#[derive(SimpleObject)]
pub struct AddressResolution {
    /// The commune it is in now, when that is certain.
    pub commune: Option<Commune>,
    /// The old commune the text was matched to.
    pub legacy_commune: Option<LegacyCommune>,
    /// Every commune it may be in now, when the old one was split or the text is ambiguous.
    pub candidates: Vec<Commune>,
    /// More than one commune of today is possible.
    pub ambiguous: bool,
}

/// Queries over the units before the reform (public, like the provinces).
#[derive(Default)]
pub struct LegacyQuery;

#[Object]
impl LegacyQuery {
    /// The 63 provinces before 1 July 2025.
    async fn legacy_provinces(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<LegacyProvince>> {
        Ok(ctx
            .dctx()?
            .reference
            .legacy()
            .provinces()
            .iter()
            .cloned()
            .map(LegacyProvince)
            .collect())
    }

    /// Old communes; `provinceCode` is today's province (the old communes now inside it);
    /// `search` looks in the commune, district and province names, ignoring case and
    /// diacritics.
    async fn legacy_communes(
        &self,
        ctx: &Context<'_>,
        province_code: Option<String>,
        #[graphql(validator(max_length = 100))] search: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<LegacyCommuneConnection> {
        let args = PageArgs::new(first, after.as_deref())?;
        let after_code = match &args.after {
            None => None,
            Some(Cursor::Id(n)) => Some(*n),
            Some(_) => {
                return Err(AppError::bad_input(
                    "after",
                    Msg::new(
                        "The cursor belongs to another list.",
                        "Con trỏ thuộc danh sách khác.",
                    ),
                )
                .into());
            }
        };
        let reference = &ctx.dctx()?.reference;
        let province = province_code.as_deref().map(str::trim);
        let matching: Vec<&legacy::LegacyCommune> = reference
            .legacy()
            .communes(search.as_deref(), |c| {
                province.is_none_or(|p| {
                    c.successor_codes
                        .iter()
                        .any(|s| reference.commune(s).is_some_and(|n| n.province_code == p))
                })
            })
            .collect();
        let total = matching.len();
        let key = |c: &legacy::LegacyCommune| c.code.parse::<i64>().unwrap_or(0);
        let rest: Vec<_> = matching
            .into_iter()
            .filter(|c| after_code.is_none_or(|a| key(c) > a))
            .collect();
        let has_next = rest.len() > args.first;
        let edges: Vec<LegacyCommuneEdge> = rest
            .into_iter()
            .take(args.first)
            .map(|c| LegacyCommuneEdge {
                cursor: Cursor::Id(key(c)).encode(),
                node: LegacyCommune(c.clone()),
            })
            .collect();
        Ok(LegacyCommuneConnection {
            nodes: edges.iter().map(|e| e.node.clone()).collect(),
            page_info: PageInfo {
                has_next_page: has_next,
                has_previous_page: args.after.is_some(),
                start_cursor: edges.first().map(|e| e.cursor.clone()),
                end_cursor: edges.last().map(|e| e.cursor.clone()),
            },
            edges,
            total_count: i32::try_from(total).unwrap_or(i32::MAX),
        })
    }

    /// Resolve an old address ("Xã Mai Thủy, huyện Lệ Thủy, tỉnh Quảng Bình", with or
    /// without diacritics) or an old commune code to today's commune. An address that
    /// matches no old commune resolves to no commune (not an error).
    async fn resolve_legacy_address(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(max_length = 500))] address: Option<String>,
        #[graphql(validator(max_length = 10))] legacy_commune_code: Option<String>,
    ) -> async_graphql::Result<AddressResolution> {
        let reference = &ctx.dctx()?.reference;
        let r = match (legacy_commune_code.as_deref(), address.as_deref()) {
            (Some(code), _) if !code.trim().is_empty() => reference.legacy().resolve_code(code),
            (_, Some(text)) => reference.legacy().resolve_address(text),
            _ => {
                return Err(AppError::bad_input(
                    "address",
                    Msg::new(
                        "Give an old address or an old commune code.",
                        "Hãy nhập địa chỉ cũ hoặc mã xã cũ.",
                    ),
                )
                .into());
            }
        };
        resolution(ctx, r)
    }
}

/// The GraphQL view of a resolution.
pub fn resolution(
    ctx: &Context<'_>,
    r: legacy::Resolution,
) -> async_graphql::Result<AddressResolution> {
    Ok(AddressResolution {
        commune: r
            .commune
            .as_deref()
            .map(|c| commune_of(ctx, c))
            .transpose()?,
        legacy_commune: r.legacy.map(LegacyCommune),
        candidates: r
            .candidates
            .iter()
            .map(|c| commune_of(ctx, c))
            .collect::<async_graphql::Result<_>>()?,
        ambiguous: r.ambiguous,
    })
}
