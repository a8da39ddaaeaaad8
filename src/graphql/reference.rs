//! Provinces and communes, served from memory.

use async_graphql::{Context, Object};

use crate::{
    graphql::{
        context::ContextExt,
        enums::{CommuneKind, ProvinceKind, Region},
    },
    reference,
};

/// A province or centrally-run city after the July 2025 reform.
#[derive(Clone)]
pub struct Province(pub reference::Province);

#[Object]
impl Province {
    /// Two-digit statistical code ("66").
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Official name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Province or centrally-run city.
    async fn kind(&self) -> ProvinceKind {
        self.0.kind.into()
    }
    /// Region of the regional selection.
    async fn region(&self) -> Region {
        self.0.region.into()
    }
    /// Its communes, wards and special zones; `search` ignores case and diacritics.
    async fn communes(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(max_length = 100))] search: Option<String>,
    ) -> async_graphql::Result<Vec<Commune>> {
        let r = &ctx.dctx()?.reference;
        Ok(r.communes_of(&self.0.code, search.as_deref())
            .into_iter()
            .cloned()
            .map(Commune)
            .collect())
    }
}

/// A commune, ward or special zone.
#[derive(Clone)]
pub struct Commune(pub reference::Commune);

#[Object]
impl Commune {
    /// Five-digit statistical code ("24133").
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Official name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Commune, ward or special zone.
    async fn kind(&self) -> CommuneKind {
        self.0.kind.into()
    }
    /// Its province.
    async fn province(&self, ctx: &Context<'_>) -> async_graphql::Result<Province> {
        province_of(ctx, &self.0.province_code)
    }
}

/// The province with this code (reference data is complete, so a miss is corrupt data).
pub fn province_of(ctx: &Context<'_>, code: &str) -> async_graphql::Result<Province> {
    ctx.dctx()?
        .reference
        .province(code)
        .cloned()
        .map(Province)
        .ok_or_else(|| crate::error::AppError::internal(format!("unknown province {code}")).into())
}

/// The commune with this code.
pub fn commune_of(ctx: &Context<'_>, code: &str) -> async_graphql::Result<Commune> {
    ctx.dctx()?
        .reference
        .commune(code)
        .cloned()
        .map(Commune)
        .ok_or_else(|| crate::error::AppError::internal(format!("unknown commune {code}")).into())
}

/// Reference queries (public: no sign-in needed).
#[derive(Default)]
pub struct ReferenceQuery;

#[Object]
impl ReferenceQuery {
    /// The 34 provinces and centrally-run cities.
    async fn provinces(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Province>> {
        Ok(ctx
            .dctx()?
            .reference
            .provinces()
            .iter()
            .cloned()
            .map(Province)
            .collect())
    }

    /// A province by its two-digit code.
    async fn province(
        &self,
        ctx: &Context<'_>,
        code: String,
    ) -> async_graphql::Result<Option<Province>> {
        Ok(ctx
            .dctx()?
            .reference
            .province(code.trim())
            .cloned()
            .map(Province))
    }

    /// The communes of a province; `search` ignores case and diacritics (`dak` finds `Đắk`).
    async fn communes(
        &self,
        ctx: &Context<'_>,
        province_code: String,
        #[graphql(validator(max_length = 100))] search: Option<String>,
    ) -> async_graphql::Result<Vec<Commune>> {
        Ok(ctx
            .dctx()?
            .reference
            .communes_of(province_code.trim(), search.as_deref())
            .into_iter()
            .cloned()
            .map(Commune)
            .collect())
    }
}

/// Reference data mutations.
#[derive(Default)]
pub struct ReferenceMutation;

#[Object]
impl ReferenceMutation {
    /// Moves a province to another region of the regional selection (national administrators).
    async fn update_province_region(
        &self,
        ctx: &Context<'_>,
        code: String,
        region: Region,
    ) -> async_graphql::Result<Province> {
        let state = ctx.state()?;
        crate::domain::reference::set_region(&state.db, ctx.dctx()?, &code, region.into()).await?;
        state.reload_reference().await?;
        state
            .reference()
            .province(code.trim())
            .cloned()
            .map(Province)
            .ok_or_else(|| crate::error::AppError::not_found("province", "tỉnh").into())
    }
}
