//! The selection of outstanding rural industrial products: types, queries and mutations.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};

use crate::kind::{EntityKind, NominationId, ProductId, RoundId};
use crate::{
    db::entities::{nomination, scorecard, selection_round},
    domain::{
        self,
        page::PageArgs,
        selection::{NewRound, RoundFilter, Scores},
    },
    enums,
    error::AppError,
    graphql::{
        connection::{connection, list_cost},
        context::ContextExt,
        enums::{
            NominationResult, Region, SelectionLevel, SelectionProductGroup, SelectionRoundStatus,
        },
        ids,
        product::Product,
        reference::{Commune, Province, commune_of, province_of},
        scalars::Date,
        user::{User, user_ref},
    },
};

/// A selection round (đợt bình chọn sản phẩm công nghiệp nông thôn tiêu biểu).
#[derive(Clone)]
pub struct SelectionRound(pub selection_round::Model);

impl From<selection_round::Model> for SelectionRound {
    fn from(m: selection_round::Model) -> Self {
        Self(m)
    }
}

#[Object]
impl SelectionRound {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        ids::encode(domain::selection::ROUND, self.0.id)
    }
    /// Name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Level.
    async fn level(&self) -> SelectionLevel {
        self.0.level.into()
    }
    /// Year.
    async fn year(&self) -> i32 {
        self.0.year
    }
    /// Province of a provincial (or commune) round.
    async fn province(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Province>> {
        self.0
            .province_code
            .as_deref()
            .map(|c| province_of(ctx, c))
            .transpose()
    }
    /// Commune of a commune round.
    async fn commune(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Commune>> {
        self.0
            .commune_code
            .as_deref()
            .map(|c| commune_of(ctx, c))
            .transpose()
    }
    /// Region of a regional round.
    async fn region(&self) -> Option<Region> {
        self.0.region.map(Into::into)
    }
    /// OPEN → SCORING → CLOSED.
    async fn status(&self) -> SelectionRoundStatus {
        self.0.status.into()
    }
    /// Nominated products.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn nominations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<NominationConnection> {
        let args = PageArgs::new(first, after.as_deref())?;
        let all = ctx
            .loaders()?
            .nominations
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        NominationConnection::from_loaded(all, &args)
    }
    /// Version for optimistic concurrency.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

connection!(
    SelectionRoundConnection,
    SelectionRoundEdge,
    SelectionRound,
    selection_round::Entity,
    "A page of selection rounds."
);

/// A product nominated in a round.
#[derive(Clone)]
pub struct Nomination(pub nomination::Model);

impl From<nomination::Model> for Nomination {
    fn from(m: nomination::Model) -> Self {
        Self(m)
    }
}

#[Object]
impl Nomination {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        ids::encode(domain::selection::NOMINATION, self.0.id)
    }
    /// The round.
    async fn round(&self, ctx: &Context<'_>) -> async_graphql::Result<SelectionRound> {
        ctx.loaders()?
            .round
            .load_one(self.0.round_id)
            .await?
            .map(SelectionRound)
            .ok_or_else(|| AppError::not_found("selection round", "đợt bình chọn").into())
    }
    /// The product.
    async fn product(&self, ctx: &Context<'_>) -> async_graphql::Result<Product> {
        ctx.loaders()?
            .product_ref
            .load_one(self.0.product_id)
            .await?
            .map(Product)
            .ok_or_else(|| AppError::not_found("product", "sản phẩm").into())
    }
    /// Product group it competes in.
    async fn group(&self) -> SelectionProductGroup {
        self.0.group.into()
    }
    /// Judges' scorecards.
    async fn scorecards(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Scorecard>> {
        Ok(ctx
            .loaders()?
            .scorecards
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Scorecard)
            .collect())
    }
    /// Mean of the judges' totals, once the round is closed.
    async fn final_score(&self) -> Option<f64> {
        (self.0.score_count > 0 && self.0.result != enums::NominationResult::Pending).then(|| {
            let mean = self.0.score_sum as f64 / f64::from(self.0.score_count);
            (mean * 100.0).round() / 100.0
        })
    }
    /// PENDING until the round closes.
    async fn result(&self) -> NominationResult {
        self.0.result.into()
    }
    /// Certificate number of a recognition.
    async fn certificate_number(&self) -> Option<&str> {
        self.0.certificate_number.as_deref()
    }
    /// Date of recognition.
    async fn recognized_on(&self) -> Option<Date> {
        self.0.recognized_on.map(Date)
    }
    /// Valid until 31 December of the second year after recognition.
    async fn valid_until(&self) -> Option<Date> {
        self.0.valid_until.map(Date)
    }
}

connection!(
    NominationConnection,
    NominationEdge,
    Nomination,
    nomination::Entity,
    "A page of nominations."
);

/// One judge's scores of one nomination.
pub struct Scorecard(pub scorecard::Model);

#[Object]
impl Scorecard {
    /// Opaque id.
    async fn id(&self) -> ID {
        ids::encode(EntityKind::Scorecard, self.0.id)
    }
    /// The judge.
    async fn judge(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        user_ref(ctx, self.0.judge_id)
            .await?
            .ok_or_else(|| AppError::not_found("user", "người dùng").into())
    }
    /// Market (≤ 40).
    async fn market(&self) -> i32 {
        self.0.market
    }
    /// Economic, technical, social and environmental (≤ 40).
    async fn economic_technical_social_environmental(&self) -> i32 {
        self.0.economic
    }
    /// Culture and aesthetics (≤ 10).
    async fn culture_aesthetics(&self) -> i32 {
        self.0.culture
    }
    /// Other (≤ 10).
    async fn other(&self) -> i32 {
        self.0.other
    }
    /// Total (≤ 100).
    async fn total(&self) -> i32 {
        self.0.total
    }
    /// When submitted (or last replaced).
    async fn submitted_at(&self) -> DateTime<Utc> {
        self.0.submitted_at
    }
}

/// A new round.
#[derive(InputObject)]
pub struct CreateSelectionRoundInput {
    /// Name.
    pub name: String,
    /// Level.
    pub level: SelectionLevel,
    /// Year.
    pub year: i32,
    /// Province (provincial rounds; a province user's own by default).
    pub province_code: Option<String>,
    /// Commune (commune rounds; a commune user's own by default).
    pub commune_code: Option<String>,
    /// Region (regional rounds).
    pub region: Option<Region>,
}

/// A judge's scores by criterion.
#[derive(InputObject)]
pub struct ScorecardInput {
    /// Market (0–40).
    pub market: i32,
    /// Economic, technical, social and environmental (0–40).
    pub economic_technical_social_environmental: i32,
    /// Culture and aesthetics (0–10).
    pub culture_aesthetics: i32,
    /// Other (0–10).
    pub other: i32,
}

/// Filters of `selectionRounds`.
#[derive(InputObject, Default)]
pub struct SelectionRoundFilter {
    /// Level.
    pub level: Option<SelectionLevel>,
    /// Year.
    pub year: Option<i32>,
    /// Province.
    pub province_code: Option<String>,
    /// Region.
    pub region: Option<Region>,
    /// Status.
    pub status: Option<SelectionRoundStatus>,
}

/// Selection queries.
#[derive(Default)]
pub struct SelectionQuery;

#[Object]
impl SelectionQuery {
    /// Rounds the caller may see (regional and national ones are everyone's).
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn selection_rounds(
        &self,
        ctx: &Context<'_>,
        filter: Option<SelectionRoundFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<SelectionRoundConnection> {
        let args = PageArgs::new(first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let page = domain::selection::list_rounds(
            ctx.db()?,
            ctx.dctx()?,
            RoundFilter {
                level: f.level.map(Into::into),
                year: f.year,
                province_code: f.province_code,
                region: f.region.map(Into::into),
                status: f.status.map(Into::into),
            },
            &args,
        )
        .await?;
        Ok(SelectionRoundConnection::from_page(page))
    }

    /// One round.
    async fn selection_round(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<SelectionRound>> {
        let dctx = ctx.dctx()?;
        dctx.actor()?;
        let Some(id) = ids::decode::<RoundId>(&id) else {
            return Ok(None);
        };
        Ok(domain::selection::get_round(ctx.db()?, dctx, id)
            .await?
            .map(SelectionRound))
    }
}

/// Selection mutations.
#[derive(Default)]
pub struct SelectionMutation;

#[Object]
impl SelectionMutation {
    /// Creates a round: commune rounds by their commune, provincial by their province,
    /// regional and national by national users.
    async fn create_selection_round(
        &self,
        ctx: &Context<'_>,
        input: CreateSelectionRoundInput,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<SelectionRound> {
        let m = domain::selection::create_round(
            ctx.db()?,
            ctx.dctx()?,
            NewRound {
                name: input.name,
                level: input.level.into(),
                year: input.year,
                province_code: input.province_code,
                commune_code: input.commune_code,
                region: input.region.map(Into::into),
            },
            idempotency_key,
        )
        .await?;
        Ok(SelectionRound(m))
    }

    /// Nominates a product to an OPEN round.
    async fn nominate_product(
        &self,
        ctx: &Context<'_>,
        round_id: ID,
        product_id: ID,
        group: SelectionProductGroup,
    ) -> async_graphql::Result<Nomination> {
        let round = ids::require::<RoundId>(&round_id, "selection round", "đợt bình chọn")?;
        let product = ids::require::<ProductId>(&product_id, "product", "sản phẩm")?;
        let m = domain::selection::nominate(ctx.db()?, ctx.dctx()?, round, product, group.into())
            .await?;
        Ok(Nomination(m))
    }

    /// Submits the caller's scorecard (replacing its earlier one while SCORING).
    async fn submit_scorecard(
        &self,
        ctx: &Context<'_>,
        nomination_id: ID,
        input: ScorecardInput,
    ) -> async_graphql::Result<Scorecard> {
        let id = ids::require::<NominationId>(&nomination_id, "nomination", "hồ sơ đề cử")?;
        let m = domain::selection::submit_scorecard(
            ctx.db()?,
            ctx.dctx()?,
            id,
            Scores {
                market: input.market,
                economic: input.economic_technical_social_environmental,
                culture: input.culture_aesthetics,
                other: input.other,
            },
        )
        .await?;
        Ok(Scorecard(m))
    }

    /// Moves a round one step (OPEN → SCORING → CLOSED). Closing computes the results and
    /// issues certificates dated `recognizedOn` (default today).
    async fn advance_selection_round(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        recognized_on: Option<Date>,
    ) -> async_graphql::Result<SelectionRound> {
        let id = ids::require::<RoundId>(&id, "selection round", "đợt bình chọn")?;
        let m = domain::selection::advance(
            ctx.db()?,
            ctx.dctx()?,
            id,
            expected_version,
            recognized_on.map(|d| d.0),
        )
        .await?;
        Ok(SelectionRound(m))
    }
}
