//! Establishments: types, queries and mutations.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, Utc};

use crate::graphql::input::{establishment_id, patch};
use crate::kind::EstablishmentId;
use crate::{
    db::entities::establishment,
    domain::{
        self,
        establishment::{EstablishmentData, EstablishmentPatch},
        page::PageArgs,
    },
    enums,
    graphql::{
        connection::{connection, list_cost},
        context::ContextExt,
        enums::{EstablishmentKind, EstablishmentStatus, Sector},
        guard::note_personal_read,
        ids,
        product::ProductConnection,
        project::ProjectConnection,
        reference::{Commune, Province, commune_of, province_of},
    },
};

/// A rural industrial establishment (cơ sở công nghiệp nông thôn).
#[derive(Clone)]
pub struct Establishment(pub establishment::Model);

impl From<establishment::Model> for Establishment {
    fn from(m: establishment::Model) -> Self {
        Self(m)
    }
}

impl Establishment {
    /// A personal field, noted in the personal-data access log when it has a value.
    fn personal<'a>(
        &self,
        ctx: &Context<'_>,
        field: &'static str,
        value: Option<&'a str>,
    ) -> Option<&'a str> {
        if value.is_some() {
            note_personal_read(ctx, domain::establishment::ENTITY, self.0.id, field);
        }
        value
    }
}

#[Object]
impl Establishment {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        ids::encode(domain::establishment::ENTITY, self.0.id)
    }
    /// Evidence documents attached to it, oldest first.
    async fn documents(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::graphql::document::Document>> {
        crate::graphql::document::of_owner(
            ctx,
            crate::domain::document::OwnerKind::Establishment,
            self.0.id,
        )
        .await
    }
    /// Registered name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Legal form.
    async fn kind(&self) -> EstablishmentKind {
        self.0.kind.into()
    }
    /// Tax code (mã số thuế): 10 digits, or 10 + `-` + 3 for a branch.
    async fn tax_code(&self, ctx: &Context<'_>) -> Option<&str> {
        // A household business's tax code is its owner's personal identifier.
        if self.0.tax_code.is_some() && self.0.kind == enums::EstablishmentKind::BusinessHousehold {
            note_personal_read(ctx, domain::establishment::ENTITY, self.0.id, "taxCode");
        }
        self.0.tax_code.as_deref()
    }
    /// The commune it sits in.
    async fn commune(&self, ctx: &Context<'_>) -> async_graphql::Result<Commune> {
        commune_of(ctx, &self.0.commune_code)
    }
    /// Its province (follows from the commune).
    async fn province(&self, ctx: &Context<'_>) -> async_graphql::Result<Province> {
        province_of(ctx, &self.0.province_code)
    }
    /// Street address.
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }
    /// In a recognised craft village (làng nghề).
    async fn in_craft_village(&self) -> bool {
        self.0.in_craft_village
    }
    /// Sector.
    async fn sector(&self) -> Sector {
        self.0.sector.into()
    }
    /// Main products, in words.
    async fn main_products(&self) -> Option<&str> {
        self.0.main_products.as_deref()
    }
    /// Number of employees.
    async fn employee_count(&self) -> Option<i32> {
        self.0.employee_count
    }
    /// Year founded.
    async fn founded_year(&self) -> Option<i32> {
        self.0.founded_year
    }
    /// Legal representative.
    async fn representative(&self, ctx: &Context<'_>) -> Option<&str> {
        self.personal(ctx, "representative", self.0.representative.as_deref())
    }
    /// Phone.
    async fn phone(&self, ctx: &Context<'_>) -> Option<&str> {
        self.personal(ctx, "phone", self.0.phone.as_deref())
    }
    /// E-mail.
    async fn email(&self, ctx: &Context<'_>) -> Option<&str> {
        self.personal(ctx, "email", self.0.email.as_deref())
    }
    /// Latitude (WGS 84).
    async fn latitude(&self) -> Option<f64> {
        self.0.latitude
    }
    /// Longitude (WGS 84).
    async fn longitude(&self) -> Option<f64> {
        self.0.longitude
    }
    /// Owned by a woman: a support priority under Decree 235/2025/NĐ-CP.
    async fn women_owned(&self) -> bool {
        self.0.women_owned
    }
    /// Owned by an ethnic-minority person: a support priority under Decree 235/2025/NĐ-CP.
    async fn ethnic_minority_owned(&self) -> bool {
        self.0.ethnic_minority_owned
    }
    /// Operating, suspended or closed.
    async fn status(&self) -> EstablishmentStatus {
        self.0.status.into()
    }
    /// Why the status was last set.
    async fn status_reason(&self) -> Option<&str> {
        self.0.status_reason.as_deref()
    }
    /// Version for optimistic concurrency (`expectedVersion`).
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When it was registered.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Its products.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<ProductConnection> {
        let args = PageArgs::new(first, after.as_deref())?;
        let all = ctx
            .loaders()?
            .products_of
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        ProductConnection::from_loaded(all, &args)
    }
    /// Projects it benefits from (within the caller's area).
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn projects(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<ProjectConnection> {
        let args = PageArgs::new(first, after.as_deref())?;
        let all = ctx
            .loaders()?
            .projects_of
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        ProjectConnection::from_loaded(all, &args)
    }
}

connection!(
    EstablishmentConnection,
    EstablishmentEdge,
    Establishment,
    establishment::Entity,
    "A page of establishments."
);

/// A new establishment.
#[derive(InputObject)]
pub struct CreateEstablishmentInput {
    /// Registered name (≤ 300 characters).
    pub name: String,
    /// Legal form.
    pub kind: EstablishmentKind,
    /// Tax code: 10 digits, or 10 + `-` + 3 for a branch; unique.
    pub tax_code: Option<String>,
    /// Five-digit commune code inside the caller's area.
    pub commune_code: String,
    /// Street address (≤ 500).
    pub address: Option<String>,
    /// In a recognised craft village.
    pub in_craft_village: Option<bool>,
    /// Sector.
    pub sector: Sector,
    /// Main products (≤ 1000).
    pub main_products: Option<String>,
    /// Employees (≥ 0).
    pub employee_count: Option<i32>,
    /// Year founded (1800 to this year).
    pub founded_year: Option<i32>,
    /// Legal representative.
    pub representative: Option<String>,
    /// Phone: 0 or +84 and 8–10 digits.
    pub phone: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Latitude, inside Vietnam; with longitude.
    pub latitude: Option<f64>,
    /// Longitude, inside Vietnam; with latitude.
    pub longitude: Option<f64>,
    /// Owned by a woman.
    pub women_owned: Option<bool>,
    /// Owned by an ethnic-minority person.
    pub ethnic_minority_owned: Option<bool>,
}

/// Changes to an establishment: omitted fields stay; `null` clears an optional one.
#[derive(InputObject)]
pub struct UpdateEstablishmentInput {
    /// Registered name.
    pub name: MaybeUndefined<String>,
    /// Legal form.
    pub kind: MaybeUndefined<EstablishmentKind>,
    /// Tax code.
    pub tax_code: MaybeUndefined<String>,
    /// Commune code (moves the establishment; must stay inside the caller's area).
    pub commune_code: MaybeUndefined<String>,
    /// Street address.
    pub address: MaybeUndefined<String>,
    /// In a recognised craft village.
    pub in_craft_village: MaybeUndefined<bool>,
    /// Sector.
    pub sector: MaybeUndefined<Sector>,
    /// Main products.
    pub main_products: MaybeUndefined<String>,
    /// Employees.
    pub employee_count: MaybeUndefined<i32>,
    /// Year founded.
    pub founded_year: MaybeUndefined<i32>,
    /// Legal representative.
    pub representative: MaybeUndefined<String>,
    /// Phone.
    pub phone: MaybeUndefined<String>,
    /// E-mail.
    pub email: MaybeUndefined<String>,
    /// Latitude.
    pub latitude: MaybeUndefined<f64>,
    /// Longitude.
    pub longitude: MaybeUndefined<f64>,
    /// Owned by a woman.
    pub women_owned: MaybeUndefined<bool>,
    /// Owned by an ethnic-minority person.
    pub ethnic_minority_owned: MaybeUndefined<bool>,
}

/// Filters of `establishments`.
#[derive(InputObject, Default)]
pub struct EstablishmentFilter {
    /// Province code.
    pub province_code: Option<String>,
    /// Commune code.
    pub commune_code: Option<String>,
    /// Legal form.
    pub kind: Option<EstablishmentKind>,
    /// Sector.
    pub sector: Option<Sector>,
    /// Status.
    pub status: Option<EstablishmentStatus>,
    /// Text in the name, main products or address; ignores case and diacritics.
    pub search: Option<String>,
    /// Changed at or after this time; the list then runs oldest change first.
    pub updated_since: Option<DateTime<Utc>>,
}

/// Establishment queries.
#[derive(Default)]
pub struct EstablishmentQuery;

#[Object]
impl EstablishmentQuery {
    /// Establishments of the caller's area.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn establishments(
        &self,
        ctx: &Context<'_>,
        filter: Option<EstablishmentFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<EstablishmentConnection> {
        let args = PageArgs::new(first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let page = domain::establishment::list(
            ctx.db()?,
            ctx.dctx()?,
            domain::establishment::EstablishmentFilter {
                province_code: f.province_code,
                commune_code: f.commune_code,
                kind: f.kind.map(Into::into),
                sector: f.sector.map(Into::into),
                status: f.status.map(Into::into),
                search: f.search,
                updated_since: f.updated_since,
            },
            &args,
        )
        .await?;
        let rows: Vec<&establishment::Model> = page.rows.iter().map(|(_, m)| m).collect();
        crate::graphql::prefetch::establishments(ctx, &rows, true).await?;
        Ok(EstablishmentConnection::from_page(page))
    }

    /// One establishment, or null when it does not exist for the caller.
    async fn establishment(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<Establishment>> {
        let dctx = ctx.dctx()?;
        dctx.actor()?;
        let Some(id) = ids::decode::<EstablishmentId>(&id) else {
            return Ok(None);
        };
        let found = domain::establishment::get(ctx.db()?, dctx, id).await?;
        if let Some(m) = &found {
            crate::graphql::prefetch::establishments(ctx, &[m], false).await?;
        }
        Ok(found.map(Establishment))
    }
}

/// Establishment mutations.
#[derive(Default)]
pub struct EstablishmentMutation;

#[Object]
impl EstablishmentMutation {
    /// Registers an establishment in a commune of the caller's area.
    async fn create_establishment(
        &self,
        ctx: &Context<'_>,
        input: CreateEstablishmentInput,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<Establishment> {
        let data = EstablishmentData {
            name: input.name,
            kind: input.kind.into(),
            tax_code: input.tax_code,
            commune_code: input.commune_code,
            address: input.address,
            in_craft_village: input.in_craft_village.unwrap_or(false),
            sector: input.sector.into(),
            main_products: input.main_products,
            employee_count: input.employee_count,
            founded_year: input.founded_year,
            representative: input.representative,
            phone: input.phone,
            email: input.email,
            latitude: input.latitude,
            longitude: input.longitude,
            women_owned: input.women_owned.unwrap_or(false),
            ethnic_minority_owned: input.ethnic_minority_owned.unwrap_or(false),
        };
        let m =
            domain::establishment::create(ctx.db()?, ctx.dctx()?, data, idempotency_key).await?;
        Ok(Establishment(m))
    }

    /// Updates an establishment; `expectedVersion` must be its current version.
    async fn update_establishment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateEstablishmentInput,
    ) -> async_graphql::Result<Establishment> {
        let p = EstablishmentPatch {
            name: patch(input.name),
            kind: patch::<EstablishmentKind, enums::EstablishmentKind>(input.kind),
            tax_code: patch(input.tax_code),
            commune_code: patch(input.commune_code),
            address: patch(input.address),
            in_craft_village: patch(input.in_craft_village),
            sector: patch::<Sector, enums::Sector>(input.sector),
            main_products: patch(input.main_products),
            employee_count: patch(input.employee_count),
            founded_year: patch(input.founded_year),
            representative: patch(input.representative),
            phone: patch(input.phone),
            email: patch(input.email),
            latitude: patch(input.latitude),
            longitude: patch(input.longitude),
            women_owned: patch(input.women_owned),
            ethnic_minority_owned: patch(input.ethnic_minority_owned),
        };
        let m = domain::establishment::update(
            ctx.db()?,
            ctx.dctx()?,
            establishment_id(&id)?,
            expected_version,
            p,
        )
        .await?;
        Ok(Establishment(m))
    }

    /// Suspends, closes or reopens an establishment.
    async fn set_establishment_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        status: EstablishmentStatus,
        reason: Option<String>,
    ) -> async_graphql::Result<Establishment> {
        let m = domain::establishment::set_status(
            ctx.db()?,
            ctx.dctx()?,
            establishment_id(&id)?,
            expected_version,
            status.into(),
            reason,
        )
        .await?;
        Ok(Establishment(m))
    }
}
