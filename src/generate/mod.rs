//! `khuyencong generate --scale xs|s|m|l --seed N`: fills a migrated database with a
//! deterministic synthetic country for benchmarks and load tests.
//!
//! Rows are what the API would have written: folded search text, versions, creation and
//! change times, province codes copied from the commune, project codes numbered per
//! programme, province and year, support within the support-cap rule that applies, projects
//! in every status with the money their lifecycle moved (allocations, half the support for
//! an appraised project and all of it from approval on; advances within the
//! advance rule once work started, the rest after acceptance; what STOP and SETTLE release
//! returned to the source), funding-source and project totals equal to their allocations
//! and disbursements, OCOP evaluations certified from council members' scores inside the
//! star band with their certificates (3–4★ by the province, 5★ by the centre after both
//! stages), and open provincial selection rounds with pending nominations. Times come from a
//! fixed start plus the row's position, so the same seed gives the same rows. Audit events,
//! change-feed entries and project status history are not written (what a generated record
//! went through is not recorded).
//!
//! Writing, in one transaction: PostgreSQL through `COPY … FROM STDIN` (CSV), SQLite through
//! multi-row `INSERT`s of 500 rows (on PostgreSQL the tables' secondary indexes are dropped
//! for the load and built again before the commit); rows are generated and written in chunks
//! of 20,000 so memory stays bounded at scale `l`. PostgreSQL's identity sequences are moved
//! past the ids written, then the database is vacuumed and analysed.
//!
//! One child per concern, run in this order (the order draws from one seeded random source,
//! so it is part of what a seed means): [`establishments`] (and their products),
//! [`projects`] (with their money and sources), [`ocop`], [`selection`]; rows are written by
//! [`sink`] and made of [`words`].

use chrono::{DateTime, TimeZone, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use rand::{SeedableRng, rngs::StdRng};
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};

use self::sink::{Sink, TABLES, next_id, txn_backend_is_pg};
use crate::{
    db::entities::{
        disbursement_rule, ocop_criteria, project, selection_criteria, support_cap_rule,
    },
    error::{AppError, Result},
    reference::Reference,
};

mod establishments;
mod ocop;
mod projects;
mod selection;
mod sink;
mod words;

/// How much to generate.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    /// Establishments.
    pub establishments: usize,
    /// Products.
    pub products: usize,
    /// Projects.
    pub projects: usize,
}

impl Scale {
    /// `xs`, `s`, `m` or `l`.
    pub fn named(name: &str) -> Option<Self> {
        let (e, p, j) = match name {
            "xs" => (1_000, 1_500, 50),
            "s" => (100_000, 150_000, 5_000),
            "m" => (300_000, 450_000, 15_000),
            "l" => (1_000_000, 1_500_000, 50_000),
            _ => return None,
        };
        Some(Self {
            establishments: e,
            products: p,
            projects: j,
        })
    }
}

/// What was written.
#[derive(Clone, Debug, Default)]
pub struct Written {
    /// Establishments.
    pub establishments: usize,
    /// Products.
    pub products: usize,
    /// Funding sources.
    pub funding_sources: usize,
    /// Projects.
    pub projects: usize,
    /// Beneficiary rows.
    pub beneficiaries: usize,
    /// Allocations.
    pub allocations: usize,
    /// Disbursements.
    pub disbursements: usize,
    /// OCOP council members made to score the evaluations.
    pub users: usize,
    /// OCOP certificates (one certified evaluation each).
    pub ocop_certificates: usize,
    /// Selection rounds.
    pub selection_rounds: usize,
    /// Nominations.
    pub nominations: usize,
}

/// Rows generated before they are written (bounds memory at scale `l`).
const CHUNK: usize = 20_000;

/// Commune, province, and whether the establishment is active: what its products and projects
/// need of it, by its position.
type Place = (String, String, bool);

/// A product taken further (OCOP or a selection round): (product id, establishment id, place
/// index).
type Nominee = (i64, i64, usize);

/// The first id of each table (the next after the largest there), read before the load.
struct FirstIds {
    establishment: i64,
    product: i64,
    project: i64,
    beneficiary: i64,
    allocation: i64,
    source: i64,
    disbursement: i64,
    user: i64,
    evaluation: i64,
    score: i64,
    certificate: i64,
    round: i64,
    nomination: i64,
}

/// What every stage shares: the one random source, the writer, the progress bar and the
/// counts.
struct Gen<'a> {
    rng: StdRng,
    sink: Sink,
    bar: ProgressBar,
    written: Written,
    start: DateTime<Utc>,
    reference: &'a Reference,
    scale: Scale,
    ids: FirstIds,
}

/// Fills the database with `scale` rows generated from `seed`. The project table must be
/// empty (project codes are numbered from 1).
pub async fn generate(
    db: &sea_orm::DatabaseConnection,
    reference: &Reference,
    scale: Scale,
    seed: u64,
    progress: bool,
) -> Result<Written> {
    if project::Entity::find().count(db).await? > 0 {
        return Err(AppError::internal(
            "generate fills a database without projects; this one has some",
        ));
    }
    let rng = StdRng::seed_from_u64(seed);
    let start: DateTime<Utc> = Utc
        .with_ymd_and_hms(2025, 7, 1, 1, 0, 0)
        .single()
        .ok_or_else(|| AppError::internal("start time"))?;
    let communes: Vec<_> = reference
        .provinces()
        .iter()
        .flat_map(|p| reference.communes_of(&p.code, None))
        .collect();
    let rules = support_cap_rule::Entity::find().all(db).await?;

    let total = scale.establishments + scale.products + scale.projects * 5;
    let bar = if progress {
        ProgressBar::new(total as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows {per_sec} {eta} {msg}")
            .map_err(AppError::internal)?,
    );

    let establishment = next_id(db, "establishment").await?;
    let product = next_id(db, "product").await?;
    let project = next_id(db, "project").await?;
    let beneficiary = next_id(db, "project_beneficiary").await?;
    let allocation = next_id(db, "allocation").await?;
    let source = next_id(db, "funding_source").await?;
    let disbursement = next_id(db, "disbursement").await?;
    let advance_percent = disbursement_rule::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .max_by_key(|r| (r.effective_from, r.id))
        .map_or(0, |r| i64::from(r.advance_percent));
    let criteria = ocop_criteria::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .max_by_key(|c| (c.effective_from, c.id))
        .ok_or_else(|| AppError::internal("generate: no OCOP criteria"))?;
    let hash = crate::auth::password::dummy_hash().await?;
    let user = next_id(db, "app_user").await?;
    let evaluation = next_id(db, "ocop_evaluation").await?;
    let score = next_id(db, "ocop_score").await?;
    let certificate = next_id(db, "ocop_certificate").await?;
    let selection = selection_criteria::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .max_by_key(|c| (c.effective_from, c.id))
        .ok_or_else(|| AppError::internal("generate: no selection criteria"))?;
    let round = next_id(db, "selection_round").await?;
    let nomination = next_id(db, "nomination").await?;
    // Everything is read before the load starts: on PostgreSQL the load's transaction locks
    // the tables whose indexes it drops, and a read on another connection would wait for it.
    let sink = Sink::begin(db).await?;
    let mut g = Gen {
        rng,
        sink,
        bar,
        written: Written::default(),
        start,
        reference,
        scale,
        ids: FirstIds {
            establishment,
            product,
            project,
            beneficiary,
            allocation,
            source,
            disbursement,
            user,
            evaluation,
            score,
            certificate,
            round,
            nomination,
        },
    };

    let (places, eligible) = establishments::establishments(&mut g, &communes).await?;
    let (ocop_products, nominees) = establishments::products(&mut g, &places).await?;
    let disbursements = projects::projects(&mut g, &eligible, &rules, advance_percent).await?;
    ocop::ocop(&mut g, &ocop_products, &places, &criteria, &hash).await?;
    let (rounds, nominations) = selection::rounds(&mut g, &nominees, &places, &selection);

    let Gen {
        mut sink,
        bar,
        mut written,
        ..
    } = g;
    written.selection_rounds = rounds.len();
    written.nominations = nominations.len();
    written.disbursements = disbursements.len();
    sink.write(disbursements, &bar).await?;
    sink.write(rounds, &bar).await?;
    sink.write(nominations, &bar).await?;

    if txn_backend_is_pg(db) {
        for table in TABLES {
            sink.execute(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 (SELECT COALESCE(MAX(id), 1) FROM {table}))"
            ))
            .await?;
        }
    }
    sink.commit().await?;
    if txn_backend_is_pg(db) {
        // VACUUM sets the visibility map, so counts can be index-only scans as on a database
        // autovacuum has already visited (ANALYZE alone left W1's count reading the heap).
        db.execute_unprepared(&format!("VACUUM (ANALYZE) {}", TABLES.join(", ")))
            .await?;
    }
    bar.finish_with_message("done");
    Ok(written)
}
