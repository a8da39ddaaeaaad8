//! Reports and the audit trail.

use async_graphql::{Context, InputObject, Object, SimpleObject};

use crate::{
    domain::report,
    graphql::{
        context::ContextExt,
        enums::{ProgramLevel, SelectionLevel},
        reference::{Province, province_of},
        scalars::Vnd,
    },
};

/// Filters of `fundingSummary`.
#[derive(InputObject, Default)]
pub struct ReportFilter {
    /// Province.
    pub province_code: Option<String>,
    /// From fiscal year (inclusive).
    pub from_year: Option<i32>,
    /// To fiscal year (inclusive).
    pub to_year: Option<i32>,
    /// Programme.
    pub program_level: Option<ProgramLevel>,
}

/// Money of projects approved or later (a stopped project counts what it disbursed).
pub struct FundingSummary(report::FundingSummary);

#[Object]
impl FundingSummary {
    /// Projects counted.
    async fn project_count(&self) -> i64 {
        self.0.totals.project_count
    }
    /// Beneficiary rows.
    async fn beneficiary_count(&self) -> i64 {
        self.0.beneficiary_count
    }
    /// Distinct establishments supported.
    async fn establishment_count(&self) -> i64 {
        self.0.establishment_count
    }
    /// From the national programme.
    async fn national_vnd(&self) -> Vnd {
        Vnd(self.0.totals.national_vnd)
    }
    /// From local programmes.
    async fn local_vnd(&self) -> Vnd {
        Vnd(self.0.totals.local_vnd)
    }
    /// From other sources.
    async fn other_vnd(&self) -> Vnd {
        Vnd(self.0.totals.other_vnd)
    }
    /// Public money: national + local.
    async fn public_vnd(&self) -> Vnd {
        Vnd(self.0.totals.national_vnd + self.0.totals.local_vnd)
    }
    /// Establishments' own investment.
    async fn counterpart_vnd(&self) -> Vnd {
        Vnd(self.0.totals.counterpart_vnd)
    }
    /// National + local + other + counterpart.
    async fn total_vnd(&self) -> Vnd {
        Vnd(self.0.totals.total_vnd())
    }
    /// Disbursed.
    async fn disbursed_vnd(&self) -> Vnd {
        Vnd(self.0.totals.disbursed_vnd)
    }
    /// Counterpart ÷ public money (null without public money).
    async fn leverage_ratio(&self) -> Option<f64> {
        let public = self.0.totals.national_vnd + self.0.totals.local_vnd;
        (public > 0).then(|| self.0.totals.counterpart_vnd as f64 / public as f64)
    }
    /// Jobs created (accepted projects).
    async fn jobs_created(&self) -> i64 {
        self.0.totals.jobs_created
    }
    /// People trained (accepted projects).
    async fn trainees(&self) -> i64 {
        self.0.totals.trainees
    }
    /// By fiscal year (key "2025").
    async fn by_year(&self) -> Vec<FundingSummaryRow> {
        self.0
            .by_year
            .iter()
            .cloned()
            .map(FundingSummaryRow)
            .collect()
    }
    /// By province (key "66").
    async fn by_province(&self) -> Vec<FundingSummaryRow> {
        self.0
            .by_province
            .iter()
            .cloned()
            .map(FundingSummaryRow)
            .collect()
    }
    /// By activity content (key "ADVANCED_MACHINERY").
    async fn by_category(&self) -> Vec<FundingSummaryRow> {
        self.0
            .by_category
            .iter()
            .cloned()
            .map(FundingSummaryRow)
            .collect()
    }
}

/// One row of a funding summary.
pub struct FundingSummaryRow(report::FundingRow);

#[Object]
impl FundingSummaryRow {
    /// Province code, year or category.
    async fn key(&self) -> &str {
        &self.0.key
    }
    /// Projects.
    async fn project_count(&self) -> i64 {
        self.0.project_count
    }
    /// National programme.
    async fn national_vnd(&self) -> Vnd {
        Vnd(self.0.national_vnd)
    }
    /// Local programmes.
    async fn local_vnd(&self) -> Vnd {
        Vnd(self.0.local_vnd)
    }
    /// Other sources.
    async fn other_vnd(&self) -> Vnd {
        Vnd(self.0.other_vnd)
    }
    /// Own investment.
    async fn counterpart_vnd(&self) -> Vnd {
        Vnd(self.0.counterpart_vnd)
    }
    /// All of it.
    async fn total_vnd(&self) -> Vnd {
        Vnd(self.0.total_vnd())
    }
    /// Disbursed.
    async fn disbursed_vnd(&self) -> Vnd {
        Vnd(self.0.disbursed_vnd)
    }
}

/// Filters of `selectionSummary`.
#[derive(InputObject, Default)]
pub struct SelectionSummaryFilter {
    /// Province of the products.
    pub province_code: Option<String>,
    /// From year (inclusive).
    pub from_year: Option<i32>,
    /// To year (inclusive).
    pub to_year: Option<i32>,
}

/// Nominations and recognitions by level.
#[derive(SimpleObject)]
pub struct SelectionSummary {
    /// One row per level.
    pub by_level: Vec<SelectionLevelCount>,
}

/// Nominated and recognised products of a level.
#[derive(SimpleObject)]
pub struct SelectionLevelCount {
    /// Level.
    pub level: SelectionLevel,
    /// Nominations.
    pub nominated: i64,
    /// Recognitions.
    pub recognized: i64,
}

/// Filters of `ocopSummary`.
#[derive(InputObject, Default)]
pub struct OcopSummaryFilter {
    /// Province.
    pub province_code: Option<String>,
}

/// OCOP totals.
#[derive(SimpleObject)]
pub struct OcopSummary {
    /// Products with a valid certificate.
    pub certified_products: i64,
    /// Valid certificates by stars.
    pub by_stars: Vec<StarCount>,
    /// Prize money (Circular 60/2026/TT-BTC: per star level once, the difference on upgrade).
    pub prize_vnd: Vnd,
}

/// A count by stars.
#[derive(SimpleObject)]
pub struct StarCount {
    /// Stars.
    pub stars: i32,
    /// Products.
    pub count: i64,
}

/// A province's place by products with a valid OCOP certificate.
pub struct ProvinceRank {
    rank: i64,
    code: String,
    count: i64,
}

#[Object]
impl ProvinceRank {
    /// Rank (ties share one).
    async fn rank(&self) -> i64 {
        self.rank
    }
    /// The province.
    async fn province(&self, ctx: &Context<'_>) -> async_graphql::Result<Province> {
        province_of(ctx, &self.code)
    }
    /// Products with a valid certificate.
    async fn certified_products(&self) -> i64 {
        self.count
    }
}

/// Report queries.
#[derive(Default)]
pub struct ReportQuery;

#[Object]
impl ReportQuery {
    /// Money of projects approved or later in the caller's area, with rows by year,
    /// province and category.
    async fn funding_summary(
        &self,
        ctx: &Context<'_>,
        filter: Option<ReportFilter>,
    ) -> async_graphql::Result<FundingSummary> {
        let f = filter.unwrap_or_default();
        // Only what the selection asks is computed (one statement per grouping).
        let look = ctx.look_ahead();
        let any = |names: &[&str]| names.iter().any(|n| look.field(n).exists());
        let parts = report::FundingParts {
            totals: any(&[
                "projectCount",
                "nationalVnd",
                "localVnd",
                "otherVnd",
                "publicVnd",
                "counterpartVnd",
                "totalVnd",
                "disbursedVnd",
                "leverageRatio",
                "jobsCreated",
                "trainees",
            ]),
            by_year: any(&["byYear"]),
            by_province: any(&["byProvince"]),
            by_category: any(&["byCategory"]),
            beneficiaries: any(&["beneficiaryCount", "establishmentCount"]),
        };
        Ok(FundingSummary(
            report::funding_summary_of(
                crate::graphql::context::report_db(ctx).await?,
                ctx.dctx()?,
                report::ReportFilter {
                    province_code: f.province_code,
                    from_year: f.from_year,
                    to_year: f.to_year,
                    program_level: f.program_level.map(Into::into),
                },
                parts,
            )
            .await?,
        ))
    }

    /// Nominations and recognitions by level in the caller's area.
    async fn selection_summary(
        &self,
        ctx: &Context<'_>,
        filter: Option<SelectionSummaryFilter>,
    ) -> async_graphql::Result<SelectionSummary> {
        let f = filter.unwrap_or_default();
        let rows = report::selection_summary(
            crate::graphql::context::report_db(ctx).await?,
            ctx.dctx()?,
            f.province_code,
            f.from_year,
            f.to_year,
        )
        .await?;
        Ok(SelectionSummary {
            by_level: rows
                .into_iter()
                .map(|r| SelectionLevelCount {
                    level: r.level.into(),
                    nominated: r.nominated,
                    recognized: r.recognized,
                })
                .collect(),
        })
    }

    /// OCOP totals in the caller's area.
    async fn ocop_summary(
        &self,
        ctx: &Context<'_>,
        filter: Option<OcopSummaryFilter>,
    ) -> async_graphql::Result<OcopSummary> {
        let f = filter.unwrap_or_default();
        let s = report::ocop_summary(
            crate::graphql::context::report_db(ctx).await?,
            ctx.dctx()?,
            f.province_code,
        )
        .await?;
        Ok(OcopSummary {
            certified_products: s.certified_products,
            by_stars: s
                .by_stars
                .into_iter()
                .map(|(stars, count)| StarCount { stars, count })
                .collect(),
            prize_vnd: Vnd(s.prize_vnd),
        })
    }

    /// All 34 provinces ranked by products with a valid OCOP certificate (aggregate counts,
    /// open to every signed-in user).
    async fn ocop_province_ranking(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<ProvinceRank>> {
        let counts = report::ocop_counts_by_province(
            crate::graphql::context::report_db(ctx).await?,
            ctx.dctx()?,
        )
        .await?;
        let mut all: Vec<(String, i64)> = ctx
            .dctx()?
            .reference
            .provinces()
            .iter()
            .map(|p| (p.code.clone(), 0))
            .collect();
        for (code, n) in counts {
            if let Some(e) = all.iter_mut().find(|(c, _)| *c == code) {
                e.1 = n;
            }
        }
        Ok(report::rank(all)
            .into_iter()
            .map(|(rank, code, count)| ProvinceRank { rank, code, count })
            .collect())
    }
}
