//! OCOP star ratings and the public catalogue: types, queries and mutations.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};

use crate::graphql::input::evaluation_id;
use crate::kind::{CertificateId, EntityKind, ProductId};
use crate::{
    db::entities::{ocop_certificate, ocop_evaluation, ocop_score},
    domain::{
        self,
        ocop::{
            CertificateFilter, Decision, EvaluationFilter, STAGE_CENTRAL, STAGE_PROVINCE,
            ScoreInput,
        },
        page::PageArgs,
    },
    enums,
    error::AppError,
    graphql::{
        connection::{connection, list_cost},
        context::ContextExt,
        enums::{CertificateStatus, OcopApplicationType, OcopEvaluationStatus, OcopIssuingLevel},
        ids,
        product::Product,
        scalars::Date,
        user::{User, user_ref},
    },
};

/// An OCOP application and its evaluation.
#[derive(Clone)]
pub struct OcopEvaluation(pub ocop_evaluation::Model);

impl From<ocop_evaluation::Model> for OcopEvaluation {
    fn from(m: ocop_evaluation::Model) -> Self {
        Self(m)
    }
}

fn mean(scores: &[ocop_score::Model]) -> Option<f64> {
    if scores.is_empty() {
        return None;
    }
    let sum: i64 = scores.iter().map(|s| i64::from(s.total_centi)).sum();
    Some((sum as f64 / scores.len() as f64).round() / 100.0)
}

impl OcopEvaluation {
    async fn scores(
        &self,
        ctx: &Context<'_>,
        stage: &str,
    ) -> async_graphql::Result<Vec<ocop_score::Model>> {
        Ok(ctx
            .loaders()?
            .ocop_scores
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .filter(|s| s.stage == stage)
            .collect())
    }
}

#[Object]
impl OcopEvaluation {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        ids::encode(domain::ocop::EVALUATION, self.0.id)
    }
    /// Evidence documents attached to it, oldest first.
    async fn documents(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::graphql::document::Document>> {
        crate::graphql::document::of_owner(
            ctx,
            crate::domain::document::OwnerKind::OcopEvaluation,
            self.0.id,
        )
        .await
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
    /// Year of the rating.
    async fn year(&self) -> i32 {
        self.0.year
    }
    /// New, upgrade or re-evaluation.
    #[graphql(name = "type")]
    async fn kind(&self) -> async_graphql::Result<OcopApplicationType> {
        Ok(enums::OcopApplicationType::from_db(&self.0.kind)?.into())
    }
    /// Status.
    async fn status(&self) -> async_graphql::Result<OcopEvaluationStatus> {
        Ok(enums::OcopEvaluationStatus::from_db(&self.0.status)?.into())
    }
    /// The criteria version it is decided under.
    async fn criteria_version(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        Ok(ctx
            .loaders()?
            .ocop_criteria
            .load_one(self.0.criteria_id)
            .await?
            .map(|c| c.version)
            .unwrap_or_default())
    }
    /// The commune's screening note.
    async fn screening_note(&self) -> Option<&str> {
        self.0.screening_note.as_deref()
    }
    /// Scores of the provincial council.
    async fn province_scores(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<OcopScore>> {
        Ok(self
            .scores(ctx, STAGE_PROVINCE)
            .await?
            .into_iter()
            .map(OcopScore)
            .collect())
    }
    /// Scores of the central council.
    async fn central_scores(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<OcopScore>> {
        Ok(self
            .scores(ctx, STAGE_CENTRAL)
            .await?
            .into_iter()
            .map(OcopScore)
            .collect())
    }
    /// Mean of the provincial council's totals.
    async fn province_mean(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<f64>> {
        Ok(mean(&self.scores(ctx, STAGE_PROVINCE).await?))
    }
    /// Mean of the central council's totals.
    async fn central_mean(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<f64>> {
        Ok(mean(&self.scores(ctx, STAGE_CENTRAL).await?))
    }
    /// Stars decided.
    async fn stars(&self) -> Option<i32> {
        self.0.stars
    }
    /// The certificate issued.
    async fn certificate(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<OcopCertificate>> {
        match self.0.certificate_id {
            Some(id) => Ok(ctx
                .loaders()?
                .ocop_certificate
                .load_one(id)
                .await?
                .map(OcopCertificate)),
            None => Ok(None),
        }
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
    OcopEvaluationConnection,
    OcopEvaluationEdge,
    OcopEvaluation,
    ocop_evaluation::Entity,
    "A page of OCOP evaluations."
);

/// One council member's scores.
pub struct OcopScore(pub ocop_score::Model);

#[Object]
impl OcopScore {
    /// Opaque id.
    async fn id(&self) -> ID {
        ids::encode(EntityKind::OcopScore, self.0.id)
    }
    /// The council member.
    async fn member(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        user_ref(ctx, self.0.member_id)
            .await?
            .ok_or_else(|| AppError::not_found("user", "người dùng").into())
    }
    /// Part A: product and community strength (≤ 40).
    async fn part_a(&self) -> f64 {
        f64::from(self.0.part_a_centi) / 100.0
    }
    /// Part B: marketing capacity (≤ 25).
    async fn part_b(&self) -> f64 {
        f64::from(self.0.part_b_centi) / 100.0
    }
    /// Part C: product quality (≤ 35).
    async fn part_c(&self) -> f64 {
        f64::from(self.0.part_c_centi) / 100.0
    }
    /// Total (≤ 100).
    async fn total(&self) -> f64 {
        f64::from(self.0.total_centi) / 100.0
    }
    /// Mandatory criteria the product fails; any entry means no certificate.
    async fn mandatory_criteria_failed(&self) -> Vec<String> {
        serde_json::from_str(&self.0.mandatory_failed).unwrap_or_default()
    }
    /// When submitted (or last replaced).
    async fn submitted_at(&self) -> DateTime<Utc> {
        self.0.submitted_at
    }
}

/// An OCOP star certificate.
#[derive(Clone)]
pub struct OcopCertificate(pub ocop_certificate::Model);

impl From<ocop_certificate::Model> for OcopCertificate {
    fn from(m: ocop_certificate::Model) -> Self {
        Self(m)
    }
}

#[Object]
impl OcopCertificate {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        ids::encode(domain::ocop::CERTIFICATE, self.0.id)
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
    /// The evaluation it came from.
    async fn evaluation(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<OcopEvaluation>> {
        match self.0.evaluation_id {
            Some(id) => Ok(ctx
                .loaders()?
                .ocop_evaluation
                .load_one(id)
                .await?
                .map(OcopEvaluation)),
            None => Ok(None),
        }
    }
    /// Stars (3–5).
    async fn stars(&self) -> i32 {
        self.0.stars
    }
    /// Decision number.
    async fn decision_number(&self) -> &str {
        &self.0.decision_number
    }
    /// Who issued it.
    async fn issuing_level(&self) -> async_graphql::Result<OcopIssuingLevel> {
        Ok(enums::OcopIssuingLevel::from_db(&self.0.issuing_level)?.into())
    }
    /// Issue date.
    async fn issued_on(&self) -> Date {
        Date(self.0.issued_on)
    }
    /// Valid until: 36 months after issue.
    async fn valid_until(&self) -> Date {
        Date(self.0.valid_until)
    }
    /// Valid, expired (from today's date), revoked or superseded.
    async fn status(&self) -> CertificateStatus {
        domain::ocop::certificate_status(&self.0, Utc::now().date_naive()).into()
    }
    /// Why it was revoked.
    async fn revoked_reason(&self) -> Option<&str> {
        self.0.revoked_reason.as_deref()
    }
    /// The revoking decision.
    async fn revoke_decision_number(&self) -> Option<&str> {
        self.0.revoke_decision_number.as_deref()
    }
    /// Last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

connection!(
    OcopCertificateConnection,
    OcopCertificateEdge,
    OcopCertificate,
    ocop_certificate::Entity,
    "A page of OCOP certificates."
);

/// A new OCOP application.
#[derive(InputObject)]
pub struct CreateOcopEvaluationInput {
    /// The product.
    pub product_id: ID,
    /// Year of the rating.
    pub year: i32,
    /// New, upgrade or re-evaluation.
    #[graphql(name = "type")]
    pub kind: OcopApplicationType,
}

/// A council member's scores.
#[derive(InputObject)]
pub struct OcopScoreInput {
    /// Part A (0–40).
    pub part_a: f64,
    /// Part B (0–25).
    pub part_b: f64,
    /// Part C (0–35).
    pub part_c: f64,
    /// Mandatory criteria the product fails.
    pub mandatory_criteria_failed: Option<Vec<String>>,
}

/// The decision that certifies.
#[derive(InputObject)]
pub struct CertifyOcopInput {
    /// Decision number.
    pub decision_number: String,
    /// Issue date.
    pub issued_on: Date,
}

/// Filters of `ocopEvaluations`.
#[derive(InputObject, Default)]
pub struct OcopEvaluationFilter {
    /// Province.
    pub province_code: Option<String>,
    /// Commune.
    pub commune_code: Option<String>,
    /// Status.
    pub status: Option<OcopEvaluationStatus>,
    /// Year.
    pub year: Option<i32>,
    /// Changed at or after (oldest change first).
    pub updated_since: Option<DateTime<Utc>>,
}

/// Filters of `ocopCertificates`.
#[derive(InputObject, Default)]
pub struct OcopCertificateFilter {
    /// Province.
    pub province_code: Option<String>,
    /// Commune.
    pub commune_code: Option<String>,
    /// Stars.
    pub stars: Option<i32>,
    /// Status (derived from today's date).
    pub status: Option<CertificateStatus>,
    /// Valid certificates that expire within this many days (due for renewal).
    pub expiring_within_days: Option<i32>,
    /// Changed at or after (oldest change first).
    pub updated_since: Option<DateTime<Utc>>,
}

/// OCOP queries.
#[derive(Default)]
pub struct OcopQuery;

#[Object]
impl OcopQuery {
    /// OCOP evaluations of the caller's area.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn ocop_evaluations(
        &self,
        ctx: &Context<'_>,
        filter: Option<OcopEvaluationFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<OcopEvaluationConnection> {
        let args = PageArgs::new(first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let page = domain::ocop::list(
            ctx.db()?,
            ctx.dctx()?,
            EvaluationFilter {
                province_code: f.province_code,
                commune_code: f.commune_code,
                status: f.status.map(Into::into),
                year: f.year,
                updated_since: f.updated_since,
            },
            &args,
        )
        .await?;
        Ok(OcopEvaluationConnection::from_page(page))
    }

    /// OCOP certificates of the caller's area.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn ocop_certificates(
        &self,
        ctx: &Context<'_>,
        filter: Option<OcopCertificateFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<OcopCertificateConnection> {
        let args = PageArgs::new(first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let page = domain::ocop::list_certificates(
            ctx.db()?,
            ctx.dctx()?,
            CertificateFilter {
                province_code: f.province_code,
                commune_code: f.commune_code,
                stars: f.stars,
                status: f.status.map(Into::into),
                expiring_within_days: f.expiring_within_days,
                updated_since: f.updated_since,
            },
            &args,
        )
        .await?;
        Ok(OcopCertificateConnection::from_page(page))
    }
}

/// OCOP mutations.
#[derive(Default)]
pub struct OcopMutation;

#[Object]
impl OcopMutation {
    /// Opens an OCOP application (commune or province of the product).
    async fn create_ocop_evaluation(
        &self,
        ctx: &Context<'_>,
        input: CreateOcopEvaluationInput,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<OcopEvaluation> {
        let product = ids::require::<ProductId>(&input.product_id, "product", "sản phẩm")?;
        let m = domain::ocop::create(
            ctx.db()?,
            ctx.dctx()?,
            product,
            input.year,
            input.kind.into(),
            idempotency_key,
        )
        .await?;
        Ok(OcopEvaluation(m))
    }

    /// The commune's screening: forward to the provincial council or return the dossier.
    async fn screen_ocop_evaluation(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        forward: bool,
        note: Option<String>,
    ) -> async_graphql::Result<OcopEvaluation> {
        let m = domain::ocop::screen(
            ctx.db()?,
            ctx.dctx()?,
            evaluation_id(&id)?,
            expected_version,
            forward,
            note,
        )
        .await?;
        Ok(OcopEvaluation(m))
    }

    /// A council member's scores (replaced if the member submits again).
    async fn submit_ocop_scores(
        &self,
        ctx: &Context<'_>,
        evaluation_id: ID,
        input: OcopScoreInput,
    ) -> async_graphql::Result<OcopScore> {
        let m = domain::ocop::submit_scores(
            ctx.db()?,
            ctx.dctx()?,
            self::evaluation_id(&evaluation_id)?,
            ScoreInput {
                part_a: input.part_a,
                part_b: input.part_b,
                part_c: input.part_c,
                mandatory_failed: input.mandatory_criteria_failed.unwrap_or_default(),
            },
        )
        .await?;
        Ok(OcopScore(m))
    }

    /// The decision: 3★/4★ by the province, forwarding ≥ 90 to the centre; 5★ by the centre.
    async fn certify_ocop(
        &self,
        ctx: &Context<'_>,
        evaluation_id: ID,
        expected_version: i32,
        input: CertifyOcopInput,
    ) -> async_graphql::Result<OcopEvaluation> {
        let m = domain::ocop::certify(
            ctx.db()?,
            ctx.dctx()?,
            self::evaluation_id(&evaluation_id)?,
            expected_version,
            Decision {
                decision_number: input.decision_number,
                issued_on: input.issued_on.0,
            },
        )
        .await?;
        Ok(OcopEvaluation(m))
    }

    /// Revokes a certificate (the issuing level or national).
    async fn revoke_ocop_certificate(
        &self,
        ctx: &Context<'_>,
        certificate_id: ID,
        reason: String,
        decision_number: String,
    ) -> async_graphql::Result<OcopCertificate> {
        let id = ids::require::<CertificateId>(
            &certificate_id,
            "OCOP certificate",
            "giấy chứng nhận OCOP",
        )?;
        let m = domain::ocop::revoke(ctx.db()?, ctx.dctx()?, id, reason, decision_number).await?;
        Ok(OcopCertificate(m))
    }
}
