//! The change feed: every committed create, update and delete of the records a data warehouse
//! mirrors, once, in one total order that never changes, resumable from a cursor with no
//! overlap (issue #11).
//!
//! # One write path
//!
//! Every data-changing mutation already writes its audit event in its own transaction through
//! [`super::audit::record`]; that function calls [`append`], so a feed row commits or rolls
//! back with the change it describes. Records a mutation changes besides its subject (a
//! certificate issued or superseded by a decision on an evaluation, a funding source's and a
//! project's totals moved by an allocation or a disbursement, products moving with their
//! establishment, nominations decided when their round closes) are collected in a
//! [`Touched`] and appended by the mutation in the same transaction, once each.
//!
//! # Why a cursor never skips a change
//!
//! A sequence alone is not enough on PostgreSQL: transaction A takes sequence 10, transaction
//! B takes 11 and commits; a reader sees 11 and moves its cursor past it; A then commits 10
//! *behind* the cursor, and the change is lost for that reader for ever.
//!
//! So every row also stores the id of the transaction that wrote it (`xid`, filled in by the
//! column default `pg_current_xact_id()`, so no write path can forget it), the order is
//! `(xid, seq)`, and a reader only sees rows with `xid < H`, where `H` is the horizon of the
//! reader's own snapshot, evaluated in the same statement: the smallest id among the
//! transactions of this database still running when the snapshot was taken (like
//! `pg_snapshot_xmin(pg_current_snapshot())`, but not held back by other databases of the
//! server; see [`horizon!`]). The argument:
//!
//! 1. Every transaction of this database with an id below `H` had ended when the snapshot
//!    was taken: committed (its rows are all visible to this snapshot) or rolled back (its
//!    rows never will be). The set of rows with `xid < H` is therefore final: no row can
//!    ever join it.
//! 2. Transaction ids are handed out in increasing order, so a transaction of this database
//!    that is running now or starts later has an id `>= H`.
//! 3. A page ends at a cursor `(x, s)` with `x < H`. Any row that commits later has
//!    `xid >= H > x` (2), so it sorts after the cursor and the next page returns it; any
//!    row before the cursor was already final when the page was read (1). Rows of one
//!    transaction appear together, in their sequence order.
//!
//! The price is latency, not correctness: a long transaction holds back the rows of every
//! transaction that started after it. Subscribers re-read shortly while rows are held back
//! (`held_back`).
//!
//! On SQLite writers are serialised (one write lock; [`super::begin_write`] takes it at
//! `BEGIN IMMEDIATE`), so a row's sequence number is its commit order, `xid` is always 0, and
//! every committed row is visible at once.
//!
//! # Records leaving an area
//!
//! A change is scoped by the record's place after it. When a change moves a record (an
//! establishment to another commune, its products with it, a project to another commune), the
//! row also keeps the place before it (`previous_province_code`, `previous_commune_code`), and
//! a caller sees the change when either place is inside its area (and inside the filter's: a
//! filter narrows through the same place that lets the caller see the row). The callers of
//! the old area thus read one `UPDATE` whose `node` is null (the record is no longer theirs)
//! and learn that their mirror must drop it; the callers of the new area read it with the
//! record, and a caller covering both reads it once. The row's area codes are the new place,
//! which is outside the old area: to the callers who see the row only through the old place
//! they are given as null ([`list`]), as `node(id)` would refuse them the record itself.
//!
//! # A project leaving a commune's sight
//!
//! A commune also sees the projects that benefit one of its establishments, wherever they
//! were proposed ([`scope::ProjectArea`]); the rows of projects, allocations and
//! disbursements are matched against that rule as it stands when the feed is read, the rule
//! `projects` and `node(id)` apply. So a project leaves a commune's sight without moving when
//! its last beneficiary there is removed or moves to another commune. The row of that change
//! names the commune (`left_commune_code`, set only when the commune neither proposed the
//! project nor keeps another establishment among its beneficiaries, checked in the writing
//! transaction under the project's row lock, so that two such changes racing cannot both miss
//! it); that commune sees the row once, through that column, and, no longer seeing
//! the project, reads it as a record that left: `node` and area codes null. A project that
//! comes into a commune's sight (a beneficiary added there, or moved there) has a row of the
//! same change that the commune sees through the rule, with the record. Whether a row is read
//! as a departure is decided by the same rule when the page is read ([`seen_only_as_left`]): a
//! commune that sees the project again by then reads the row with the record, as `node`
//! shows it.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};

use crate::kind::EntityKind;
use crate::{
    db::entities::{
        app_user, change_event, establishment, funding_source, ocop_certificate, ocop_evaluation,
        product, project, selection_round,
    },
    domain::{Ctx, scope},
    enums::Role,
    error::{AppError, Msg, Result},
};

/// The PostgreSQL channel a committed change notifies (a wake-up only; the feed is the truth).
pub const CHANNEL: &str = "khuyencong_changes";
const NOTIFY_SQL: &str = "SELECT pg_notify('khuyencong_changes', '')";

/// The largest page of the feed.
pub const MAX_FIRST: usize = 1000;

/// A kind of record whose changes the feed carries.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum ChangeEntity {
    /// An establishment (cơ sở công nghiệp nông thôn).
    Establishment,
    /// A product.
    Product,
    /// A funding source (nguồn kinh phí).
    FundingSource,
    /// A project (đề án).
    Project,
    /// An allocation of a funding source to a project.
    Allocation,
    /// A disbursement (giải ngân).
    Disbursement,
    /// A selection round (kỳ bình chọn).
    SelectionRound,
    /// A nomination to a selection round.
    Nomination,
    /// An OCOP evaluation.
    OcopEvaluation,
    /// An OCOP certificate.
    OcopCertificate,
    /// A user account.
    User,
}

impl ChangeEntity {
    /// Every kind.
    pub const ALL: [ChangeEntity; 11] = [
        Self::Establishment,
        Self::Product,
        Self::FundingSource,
        Self::Project,
        Self::Allocation,
        Self::Disbursement,
        Self::SelectionRound,
        Self::Nomination,
        Self::OcopEvaluation,
        Self::OcopCertificate,
        Self::User,
    ];

    /// The kind of record (its name in the audit trail and in global ids).
    pub const fn kind(self) -> EntityKind {
        match self {
            Self::Establishment => EntityKind::Establishment,
            Self::Product => EntityKind::Product,
            Self::FundingSource => EntityKind::FundingSource,
            Self::Project => EntityKind::Project,
            Self::Allocation => EntityKind::Allocation,
            Self::Disbursement => EntityKind::Disbursement,
            Self::SelectionRound => EntityKind::SelectionRound,
            Self::Nomination => EntityKind::Nomination,
            Self::OcopEvaluation => EntityKind::OcopEvaluation,
            Self::OcopCertificate => EntityKind::OcopCertificate,
            Self::User => EntityKind::User,
        }
    }

    /// The feed's kind of a record, if the feed carries it.
    pub fn from_kind(kind: EntityKind) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.kind() == kind)
    }

    /// The feed's kind of a stored entity type (`Project`), if the feed carries it.
    pub fn from_entity_type(t: &str) -> Option<Self> {
        EntityKind::parse(t).and_then(Self::from_kind)
    }

    /// The feed's name of the kind (`OCOP_CERTIFICATE`), as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Establishment => "ESTABLISHMENT",
            Self::Product => "PRODUCT",
            Self::FundingSource => "FUNDING_SOURCE",
            Self::Project => "PROJECT",
            Self::Allocation => "ALLOCATION",
            Self::Disbursement => "DISBURSEMENT",
            Self::SelectionRound => "SELECTION_ROUND",
            Self::Nomination => "NOMINATION",
            Self::OcopEvaluation => "OCOP_EVALUATION",
            Self::OcopCertificate => "OCOP_CERTIFICATE",
            Self::User => "USER",
        }
    }

    /// Reads the API's name of a kind.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What happened to the record.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Operation {
    /// It was created.
    Create,
    /// It changed (including its status).
    Update,
    /// It was deleted.
    Delete,
}

impl Operation {
    /// The stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "CREATE",
            Self::Update => "UPDATE",
            Self::Delete => "DELETE",
        }
    }

    /// Reads a stored name.
    pub fn from_db(s: &str) -> Result<Self> {
        match s {
            "CREATE" => Ok(Self::Create),
            "UPDATE" => Ok(Self::Update),
            "DELETE" => Ok(Self::Delete),
            other => Err(AppError::internal(format!(
                "unknown change operation {other}"
            ))),
        }
    }
}

/// The audit actions that create their subject; every other action of a carried entity is an
/// update. `login` and `logoutAll` change nothing a warehouse mirrors (only sessions and the
/// token epoch, which no query serves).
const CREATING_ACTIONS: &[&str] = &["create", "allocate", "disburse", "nominate"];
const NOT_A_CHANGE: &[&str] = &["login", "logoutAll"];

/// The operation an audit action stands for, or `None` when it changes no mirrored record.
pub fn operation_of(action: &str) -> Option<Operation> {
    if NOT_A_CHANGE.contains(&action) {
        None
    } else if CREATING_ACTIONS.contains(&action) {
        Some(Operation::Create)
    } else {
        Some(Operation::Update)
    }
}

/// A position in the feed: after the change with this transaction id and sequence number.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct FeedCursor {
    /// The writing transaction (0 on SQLite).
    pub xid: i64,
    /// The sequence number.
    pub seq: i64,
}

impl FeedCursor {
    /// The cursor after a stored change.
    pub fn of(row: &change_event::Model) -> Self {
        Self {
            xid: row.xid,
            seq: row.seq,
        }
    }

    /// The opaque form sent to clients.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("c:{}:{}", self.xid, self.seq))
    }

    /// Reads a cursor from a client (`BAD_USER_INPUT` on `field` when malformed).
    pub fn decode(s: &str, field: &str) -> Result<Self> {
        let bad = || {
            AppError::bad_input(
                field,
                Msg::new(
                    "The cursor is not one the change feed gave out.",
                    "Con trỏ không phải do luồng thay đổi cấp.",
                ),
            )
        };
        let raw = URL_SAFE_NO_PAD.decode(s.trim()).map_err(|_| bad())?;
        let raw = String::from_utf8(raw).map_err(|_| bad())?;
        let mut parts = raw.split(':');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("c"), Some(x), Some(n), None) => Ok(Self {
                xid: x.parse().map_err(|_| bad())?,
                seq: n.parse().map_err(|_| bad())?,
            }),
            _ => Err(bad()),
        }
    }
}

/// A record's place: its province and commune (a national funding source has neither, a
/// project the province runs no commune).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Place<'a> {
    /// The province.
    pub province_code: Option<&'a str>,
    /// The commune.
    pub commune_code: Option<&'a str>,
}

/// What a change may take from callers besides through the record's place after it: the
/// place before a move, and the commune that stopped seeing a record that did not move.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Departure<'a> {
    /// The record's place before a change that may move it.
    pub from: Option<Place<'a>>,
    /// The commune that no longer sees the record (see "A project leaving a commune's sight").
    pub left_commune: Option<&'a str>,
}

/// The place to store as the record's previous one: `from`, when the change moved the record
/// out of it (else none, and the row is stored as it always was).
fn previous(
    from: Option<Place<'_>>,
    province_code: Option<&str>,
    commune_code: Option<&str>,
) -> (Option<String>, Option<String>) {
    match from {
        Some(p) if (p.province_code, p.commune_code) != (province_code, commune_code) => (
            p.province_code.map(str::to_owned),
            p.commune_code.map(str::to_owned),
        ),
        _ => (None, None),
    }
}

/// One change being written.
pub struct Written<'a> {
    /// The record's kind (stored as the audit trail's entity type, `Project`).
    pub entity_type: EntityKind,
    /// The record's id.
    pub entity_id: i64,
    /// What happened.
    pub operation: Operation,
    /// The audit action (`certify`, `update`…), for the typed subscriptions.
    pub action: &'a str,
    /// Whether the record's status changed.
    pub status_changed: bool,
    /// The record's province, for scoping.
    pub province_code: Option<&'a str>,
    /// The record's commune, for scoping.
    pub commune_code: Option<&'a str>,
    /// Where the record was before the change, for a change that may move it (stored only
    /// when it differs from the place after: the callers of that area learn the record left).
    pub previous: Option<Place<'a>>,
    /// The commune that stopped seeing the record with this change although the record did
    /// not move (see "A project leaving a commune's sight" above).
    pub left_commune: Option<&'a str>,
}

/// Appends the creation of many records at once (an import), each at version 1: one INSERT
/// and, on PostgreSQL, one notification. Entity types the feed does not carry are ignored.
pub async fn append_created(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    created: &[Written<'_>],
) -> Result<()> {
    let at = super::now();
    let rows: Vec<change_event::ActiveModel> = created
        .iter()
        .filter(|w| ChangeEntity::from_kind(w.entity_type).is_some())
        .map(|w| {
            let (previous_province, previous_commune) =
                previous(w.previous, w.province_code, w.commune_code);
            change_event::ActiveModel {
                entity_type: Set(w.entity_type.as_str().to_owned()),
                entity_id: Set(w.entity_id),
                operation: Set(w.operation.as_str().to_owned()),
                version: Set(Some(1)),
                action: Set(w.action.to_owned()),
                status_changed: Set(w.status_changed),
                at: Set(at),
                actor_id: Set(ctx.actor.as_ref().map(|a| a.user_id)),
                province_code: Set(w.province_code.map(str::to_owned)),
                commune_code: Set(w.commune_code.map(str::to_owned)),
                previous_province_code: Set(previous_province),
                previous_commune_code: Set(previous_commune),
                left_commune_code: Set(w.left_commune.map(str::to_owned)),
                ..Default::default()
            }
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    change_event::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    if db.get_database_backend() == DatabaseBackend::Postgres {
        db.execute_unprepared(NOTIFY_SQL).await?;
    }
    Ok(())
}

/// Appends one change to the feed, inside the caller's transaction. Entity types the feed
/// does not carry (a province's region) are ignored.
pub async fn append(db: &impl ConnectionTrait, ctx: &Ctx, w: Written<'_>) -> Result<()> {
    let Some(kind) = ChangeEntity::from_kind(w.entity_type) else {
        return Ok(());
    };
    let version = if w.operation == Operation::Delete {
        None
    } else {
        version_of(db, kind, w.entity_id).await?
    };
    let (previous_province, previous_commune) =
        previous(w.previous, w.province_code, w.commune_code);
    change_event::ActiveModel {
        entity_type: Set(w.entity_type.as_str().to_owned()),
        entity_id: Set(w.entity_id),
        operation: Set(w.operation.as_str().to_owned()),
        version: Set(version),
        action: Set(w.action.to_owned()),
        status_changed: Set(w.status_changed),
        at: Set(super::now()),
        actor_id: Set(ctx.actor.as_ref().map(|a| a.user_id)),
        province_code: Set(w.province_code.map(str::to_owned)),
        commune_code: Set(w.commune_code.map(str::to_owned)),
        previous_province_code: Set(previous_province),
        previous_commune_code: Set(previous_commune),
        left_commune_code: Set(w.left_commune.map(str::to_owned)),
        // `xid` is the column default: the writing transaction on PostgreSQL, 0 on SQLite.
        ..Default::default()
    }
    .insert(db)
    .await?;
    if db.get_database_backend() == DatabaseBackend::Postgres {
        // Delivered only if and when the transaction commits; repeated notifications of one
        // transaction are folded into one by PostgreSQL.
        db.execute_unprepared(NOTIFY_SQL).await?;
    }
    Ok(())
}

/// The records a mutation changes besides the subject of its audit event (a funding source's
/// and a project's totals moved by an allocation, products moving with their establishment,
/// nominations decided when a round closes…). Each touched record reaches the feed as one
/// `UPDATE` in the mutation's transaction, once however often it was touched, and never when
/// it is the subject itself (the audit event already put the subject in the feed).
#[derive(Default)]
pub struct Touched {
    rows: Vec<Touch>,
}

struct Touch {
    entity_type: EntityKind,
    id: i64,
    version: Option<i32>,
    province_code: Option<String>,
    commune_code: Option<String>,
    /// The place before the mutation, when it may have moved the record.
    from: Option<(Option<String>, Option<String>)>,
    /// The commune that stopped seeing the record, which did not move.
    left_commune: Option<String>,
    status_changed: bool,
}

impl Touched {
    /// Notes that a record changed: its version (which a side effect does not move) and its
    /// scope as they are after the change.
    pub fn add(
        &mut self,
        entity_type: EntityKind,
        id: i64,
        version: Option<i32>,
        province_code: Option<&str>,
        commune_code: Option<&str>,
        status_changed: bool,
    ) {
        let place = Place {
            province_code,
            commune_code,
        };
        self.touch(entity_type, id, version, place, None, status_changed);
    }

    /// Notes that a record changed and may have moved: as [`Touched::add`], with the place it
    /// had before the mutation (see "Records leaving an area" above).
    pub fn add_moved(
        &mut self,
        entity_type: EntityKind,
        id: i64,
        version: Option<i32>,
        place: Place<'_>,
        from: Place<'_>,
    ) {
        self.touch(entity_type, id, version, place, Some(from), false);
    }

    /// Notes a record that stayed in its place while a commune started or stopped seeing it
    /// through another record (a project through its beneficiary establishments): as
    /// [`Touched::add`], with `left_commune`, the commune that no longer sees it, if one
    /// stopped (see "A project leaving a commune's sight" above). The communes that started
    /// seeing it read this change with the record.
    pub fn add_seen_elsewhere(
        &mut self,
        entity_type: EntityKind,
        id: i64,
        version: Option<i32>,
        place: Place<'_>,
        left_commune: Option<&str>,
    ) {
        self.touch(entity_type, id, version, place, None, false);
        if let Some(c) = left_commune
            && let Some(t) = self
                .rows
                .iter_mut()
                .find(|t| t.entity_type == entity_type && t.id == id)
        {
            t.left_commune.get_or_insert_with(|| c.to_owned());
        }
    }

    fn touch(
        &mut self,
        entity_type: EntityKind,
        id: i64,
        version: Option<i32>,
        place: Place<'_>,
        from: Option<Place<'_>>,
        status_changed: bool,
    ) {
        let owned = |p: Place<'_>| {
            (
                p.province_code.map(str::to_owned),
                p.commune_code.map(str::to_owned),
            )
        };
        let (province_code, commune_code) = owned(place);
        if let Some(t) = self
            .rows
            .iter_mut()
            .find(|t| t.entity_type == entity_type && t.id == id)
        {
            t.status_changed |= status_changed;
            t.version = version;
            t.province_code = province_code;
            t.commune_code = commune_code;
            // The place before the mutation is the first one noted.
            if t.from.is_none() {
                t.from = from.map(owned);
            }
            return;
        }
        self.rows.push(Touch {
            entity_type,
            id,
            version,
            province_code,
            commune_code,
            from: from.map(owned),
            left_commune: None,
            status_changed,
        });
    }

    /// The touched records, in the order first touched.
    pub fn ids(&self) -> impl Iterator<Item = (EntityKind, i64)> + '_ {
        self.rows.iter().map(|t| (t.entity_type, t.id))
    }

    /// Appends one `UPDATE` per touched record except `subject` (entity type and id), in the
    /// caller's transaction, after the subject's own change: one statement for all of them
    /// (they run while the mutation holds its row locks), and no notification of their own
    /// (the subject's change already notified on commit of this transaction).
    pub async fn append_all(
        self,
        db: &impl ConnectionTrait,
        ctx: &Ctx,
        action: &str,
        subject: (EntityKind, i64),
    ) -> Result<()> {
        let at = super::now();
        let rows: Vec<change_event::ActiveModel> = self
            .rows
            .into_iter()
            .filter(|t| (t.entity_type, t.id) != subject)
            .filter(|t| ChangeEntity::from_kind(t.entity_type).is_some())
            .map(|t| {
                let from = t.from.as_ref().map(|(p, c)| Place {
                    province_code: p.as_deref(),
                    commune_code: c.as_deref(),
                });
                let (previous_province, previous_commune) =
                    previous(from, t.province_code.as_deref(), t.commune_code.as_deref());
                change_event::ActiveModel {
                    entity_type: Set(t.entity_type.as_str().to_owned()),
                    entity_id: Set(t.id),
                    operation: Set(Operation::Update.as_str().to_owned()),
                    version: Set(t.version),
                    action: Set(action.to_owned()),
                    status_changed: Set(t.status_changed),
                    at: Set(at),
                    actor_id: Set(ctx.actor.as_ref().map(|a| a.user_id)),
                    province_code: Set(t.province_code),
                    commune_code: Set(t.commune_code),
                    previous_province_code: Set(previous_province),
                    previous_commune_code: Set(previous_commune),
                    left_commune_code: Set(t.left_commune),
                    ..Default::default()
                }
            })
            .collect();
        if !rows.is_empty() {
            change_event::Entity::insert_many(rows).exec(db).await?;
        }
        Ok(())
    }
}

/// The version of a record after a change, for the kinds that keep one.
async fn version_of(db: &impl ConnectionTrait, kind: ChangeEntity, id: i64) -> Result<Option<i32>> {
    Ok(match kind {
        ChangeEntity::Establishment => establishment::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|m| m.version),
        ChangeEntity::Product => product::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|m| m.version),
        ChangeEntity::FundingSource => funding_source::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|m| m.version),
        ChangeEntity::Project => project::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|m| m.version),
        ChangeEntity::SelectionRound => selection_round::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|m| m.version),
        ChangeEntity::OcopEvaluation => ocop_evaluation::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|m| m.version),
        ChangeEntity::User => app_user::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|m| m.version),
        // Allocations, disbursements, nominations and certificates keep no version.
        ChangeEntity::Allocation
        | ChangeEntity::Disbursement
        | ChangeEntity::Nomination
        | ChangeEntity::OcopCertificate => None,
    })
}

/// Narrows the feed within the caller's area.
#[derive(Clone, Debug, Default)]
pub struct FeedFilter {
    /// Only these kinds (all when `None`).
    pub entities: Option<Vec<ChangeEntity>>,
    /// Only changes of records in this province after the change, or that left it.
    pub province_code: Option<String>,
    /// Only changes of records in this commune after the change, or that left it.
    pub commune_code: Option<String>,
    /// Only these audit actions with a status change (the typed subscriptions).
    pub status_changes_only: bool,
}

/// A page of the feed.
pub struct FeedPage {
    /// The changes, oldest first.
    pub rows: Vec<change_event::Model>,
    /// More changes follow now.
    pub has_next: bool,
    /// Where to resume: after the last row, or `after` when the page is empty.
    pub next: Option<FeedCursor>,
    /// Committed changes exist that are not exposed yet because an older transaction is still
    /// running (PostgreSQL only): read again shortly.
    pub held_back: bool,
}

/// The horizon of the statement's snapshot: the smallest transaction id still running *in
/// this database* when the snapshot was taken, or the snapshot's `xmax` when none is.
///
/// `pg_snapshot_xmin` alone is cluster-wide: an idle transaction in another database of the
/// same server would stall the feed. So the in-progress list of the snapshot
/// (`pg_snapshot_xip`) is used, leaving out the ids that `pg_stat_activity` shows as the
/// current transaction of a session of *another* database (a transaction never writes to
/// two databases). The omission is only ever of other databases' transactions: a
/// transaction of this database that ended after the snapshot is no longer listed and so
/// stays in the list (the horizon can only be too low, never too high); prepared
/// transactions and background workers are not listed as another database's and count too.
/// `backend_xid` is 32 bits wide, the snapshot's ids are epoch-extended: compared modulo 2³².
macro_rules! horizon {
    () => {
        "(SELECT COALESCE(MIN(x::text::bigint), \
           pg_snapshot_xmax(pg_current_snapshot())::text::bigint) \
          FROM pg_snapshot_xip(pg_current_snapshot()) AS x \
          WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a \
            WHERE a.datname <> current_database() \
              AND a.backend_xid::text::bigint = x::text::bigint % 4294967296))"
    };
}

fn visible_below_horizon() -> Expr {
    // Same statement, same snapshot: see the module comment.
    Expr::cust(concat!("xid < ", horizon!()))
}

/// The changes the actor sees, within the filter's province and commune: those it sees
/// through the record's place after the change ([`in_place`]), those that moved a record
/// out of a place inside its area (see "Records leaving an area"), and, for a commune, those
/// that took a project out of its sight ("A project leaving a commune's sight"). The filter
/// narrows each way through the same place, so it never matches through a place the caller
/// may not see (a province cannot learn where its record went by filtering on the other
/// province).
fn visible(
    actor: &crate::auth::actor::Actor,
    backend: DatabaseBackend,
    filter: &FeedFilter,
) -> Condition {
    use change_event::Column as C;
    let narrowed = |mut cond: Condition, province: C, commune: C| {
        if let Some(p) = &filter.province_code {
            cond = cond.add(province.eq(p.clone()));
        }
        if let Some(c) = &filter.commune_code {
            cond = cond.add(commune.eq(c.clone()));
        }
        cond
    };
    let here = narrowed(in_place(actor, backend), C::ProvinceCode, C::CommuneCode);
    if actor.role == Role::National
        && filter.province_code.is_none()
        && filter.commune_code.is_none()
    {
        // Everything, once: the place before a move adds nothing.
        return here;
    }
    let left = narrowed(
        scope::area_condition(actor, C::PreviousProvinceCode, C::PreviousCommuneCode),
        C::PreviousProvinceCode,
        C::PreviousCommuneCode,
    );
    let mut any = Condition::any().add(here).add(left);
    if actor.role == Role::Commune
        && let Some(commune) = &actor.commune_code
    {
        // The commune saw the project's rows through the project's own place (which did not
        // change): the filter narrows the row that takes it away through that place too.
        any = any.add(narrowed(
            Condition::all().add(C::LeftCommuneCode.eq(commune.clone())),
            C::ProvinceCode,
            C::CommuneCode,
        ));
    }
    // The caller adds its filters with AND.
    Condition::all().add(any)
}

/// Whether a change took its record out of someone's area or sight: it keeps the place
/// before a move, or the commune that stopped seeing the record.
fn marks_a_departure(row: &change_event::Model) -> bool {
    row.previous_province_code.is_some()
        || row.previous_commune_code.is_some()
        || row.left_commune_code.is_some()
}

/// The rows of a page that the caller sees only because the record left its area or its
/// sight ([`visible`] matched them, [`in_place`] does not): their area codes (the record's
/// place, which the caller no longer sees) are not given out. One statement, and only for a
/// page with such a change; `in_place` is the same rule as `node(id)` (a project a commune
/// still sees through another beneficiary, or because it proposed it, is still in place).
async fn seen_only_as_left(
    db: &impl ConnectionTrait,
    actor: &crate::auth::actor::Actor,
    rows: &[change_event::Model],
) -> Result<std::collections::HashSet<i64>> {
    use change_event::Column as C;
    let marked: Vec<i64> = rows
        .iter()
        .filter(|r| marks_a_departure(r))
        .map(|r| r.seq)
        .collect();
    if marked.is_empty() || actor.role == Role::National {
        return Ok(Default::default());
    }
    let here: std::collections::HashSet<i64> = change_event::Entity::find()
        .select_only()
        .column(C::Seq)
        .filter(C::Seq.is_in(marked.iter().copied()))
        .filter(in_place(actor, db.get_database_backend()))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(marked.into_iter().filter(|s| !here.contains(s)).collect())
}

/// The changes the actor sees through the record's place after the change: those of the
/// projects it sees (the one rule of [`scope::ProjectArea`]), of their allocations and
/// disbursements, and of the other records inside its area. Extend it with `add` only (it is
/// a conjunction).
fn in_place(actor: &crate::auth::actor::Actor, backend: DatabaseBackend) -> Condition {
    use change_event::Column as C;
    let rule = scope::project_area(actor);
    if rule == scope::ProjectArea::All {
        return Condition::all();
    }
    let of_projects = [
        (EntityKind::Project.as_str(), "SELECT p.id FROM project p"),
        (
            EntityKind::Allocation.as_str(),
            "SELECT a.id FROM allocation a JOIN project p ON p.id = a.project_id",
        ),
        (
            EntityKind::Disbursement.as_str(),
            "SELECT d.id FROM disbursement d JOIN allocation a ON a.id = d.allocation_id \
             JOIN project p ON p.id = a.project_id",
        ),
    ];
    let mut cond = Condition::any().add(
        Condition::all()
            .add(C::EntityType.is_not_in(of_projects.iter().map(|(e, _)| *e)))
            .add(scope::area_condition(
                actor,
                C::ProvinceCode,
                C::CommuneCode,
            )),
    );
    for (entity, rows) in of_projects {
        cond = cond.add(
            Condition::all()
                .add(C::EntityType.eq(entity))
                .add(rule.condition_within(backend, "p", |r| {
                    format!("change_event.entity_id IN ({rows} WHERE {r})")
                })),
        );
    }
    Condition::all().add(cond)
}

/// Changes after `after`, oldest first, within the caller's area and the filter, as the
/// caller may see them: a change seen only because it took the record out of the caller's
/// area or sight comes without the record's province and commune (see the module comment).
#[tracing::instrument(name = "change.list", skip_all, fields(first = first))]
pub async fn list(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    filter: &FeedFilter,
    after: Option<FeedCursor>,
    first: usize,
) -> Result<FeedPage> {
    use change_event::Column as C;
    let actor = ctx.actor()?;
    let first = first.min(MAX_FIRST);
    let mut cond = visible(actor, db.get_database_backend(), filter);
    if let Some(kinds) = &filter.entities {
        cond = cond.add(C::EntityType.is_in(kinds.iter().map(|k| k.kind().as_str())));
    }
    if filter.status_changes_only {
        cond = cond.add(C::StatusChanged.eq(true));
    }
    if let Some(a) = after {
        cond = cond.add(
            Condition::any()
                .add(C::Xid.gt(a.xid))
                .add(Condition::all().add(C::Xid.eq(a.xid)).add(C::Seq.gt(a.seq))),
        );
    }
    let postgres = db.get_database_backend() == DatabaseBackend::Postgres;
    if postgres {
        cond = cond.add(visible_below_horizon());
    }
    let mut rows = change_event::Entity::find()
        .filter(cond)
        .order_by_asc(C::Xid)
        .order_by_asc(C::Seq)
        .limit(first as u64 + 1)
        .all(db)
        .await?;
    let has_next = rows.len() > first;
    rows.truncate(first);
    let gone = seen_only_as_left(db, actor, &rows).await?;
    for row in rows.iter_mut().filter(|r| gone.contains(&r.seq)) {
        // See the module comment: the record left; where it is now is not this caller's.
        row.province_code = None;
        row.commune_code = None;
    }
    let held_back = postgres
        && !has_next
        && change_event::Entity::find()
            .select_only()
            .column(C::Seq)
            .filter(Expr::cust(concat!("xid >= ", horizon!())))
            .limit(1)
            .into_tuple::<i64>()
            .one(db)
            .await?
            .is_some();
    let next = rows.last().map(FeedCursor::of).or(after);
    Ok(FeedPage {
        rows,
        has_next,
        next,
        held_back,
    })
}

/// How many days before its expiry a certificate is `expiringWithinDays: 30` and announced.
pub const EXPIRY_WINDOW_DAYS: i64 = 30;

/// The audit action of a certificate's entry into the expiry window.
pub const EXPIRING: &str = "expiring";

/// A key of `pg_advisory_xact_lock`: one announcer at a time across instances.
const EXPIRY_LOCK: i64 = 0x6b63_6578_7069_7279; // "kcexpiry"

/// Puts in the feed, as an `UPDATE` of `OCOP_CERTIFICATE` (action `expiring`, no actor), every
/// valid certificate (not revoked, not superseded) that has entered the
/// [`EXPIRY_WINDOW_DAYS`]-day window before its `validUntil` on `today` and was not announced
/// yet, so subscribers and pullers learn of it the day it starts to match
/// `expiringWithinDays: 30`. Once per certificate: its `validUntil` never changes (a renewal
/// is a new certificate), so one `expiring` row per certificate is one per window. Idempotent
/// and safe on several instances at once: the check and the writes are one transaction,
/// serialised by the write lock on SQLite and by an advisory lock on PostgreSQL. A server that
/// was down catches up at its next run. Returns how many certificates were announced.
#[tracing::instrument(name = "change.announce_expiring_certificates", skip_all)]
pub async fn announce_expiring_certificates(
    db: &sea_orm::DatabaseConnection,
    ctx: &Ctx,
    today: chrono::NaiveDate,
) -> Result<usize> {
    use ocop_certificate::Column as C;
    let txn = super::begin_write(db).await?;
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({EXPIRY_LOCK})"))
            .await?;
    }
    let until = today + chrono::Duration::days(EXPIRY_WINDOW_DAYS);
    let entered = ocop_certificate::Entity::find()
        .filter(C::RevokedAt.is_null())
        .filter(C::Superseded.eq(false))
        .filter(C::ValidUntil.gte(today))
        .filter(C::ValidUntil.lte(until))
        .order_by_asc(C::Id)
        .all(&txn)
        .await?;
    let mut announced = 0;
    for chunk in entered.chunks(500) {
        let done: std::collections::HashSet<i64> = change_event::Entity::find()
            .select_only()
            .column(change_event::Column::EntityId)
            .filter(change_event::Column::EntityType.eq(EntityKind::OcopCertificate.as_str()))
            .filter(change_event::Column::EntityId.is_in(chunk.iter().map(|c| c.id)))
            .filter(change_event::Column::Action.eq(EXPIRING))
            .into_tuple::<i64>()
            .all(&txn)
            .await?
            .into_iter()
            .collect();
        for c in chunk.iter().filter(|c| !done.contains(&c.id)) {
            append(
                &txn,
                ctx,
                Written {
                    entity_type: EntityKind::OcopCertificate,
                    entity_id: c.id,
                    operation: Operation::Update,
                    action: EXPIRING,
                    status_changed: false,
                    province_code: Some(&c.province_code),
                    commune_code: Some(&c.commune_code),
                    previous: None,
                    left_commune: None,
                },
            )
            .await?;
            announced += 1;
        }
    }
    txn.commit().await?;
    Ok(announced)
}

/// The position of the newest exposed change, of any area: a live subscription without
/// `after` starts there, and every change committed later sorts after it (see the module
/// comment).
#[tracing::instrument(name = "change.head", skip_all)]
pub async fn head(db: &impl ConnectionTrait) -> Result<Option<FeedCursor>> {
    use change_event::Column as C;
    let mut q = change_event::Entity::find();
    if db.get_database_backend() == DatabaseBackend::Postgres {
        q = q.filter(visible_below_horizon());
    }
    Ok(q.order_by_desc(C::Xid)
        .order_by_desc(C::Seq)
        .one(db)
        .await?
        .as_ref()
        .map(FeedCursor::of))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_order_by_transaction_first() {
        let c = FeedCursor { xid: 812, seq: 77 };
        assert_eq!(
            FeedCursor::decode(&c.encode(), "after").expect("decodes"),
            c
        );
        assert!(FeedCursor::decode("bm9wZQ", "after").is_err());
        assert!(FeedCursor { xid: 1, seq: 900 } < FeedCursor { xid: 2, seq: 3 });
    }

    #[test]
    fn kinds_map_both_ways() {
        for k in ChangeEntity::ALL {
            assert_eq!(ChangeEntity::from_kind(k.kind()), Some(k));
            assert_eq!(ChangeEntity::from_entity_type(k.kind().as_str()), Some(k));
            assert_eq!(ChangeEntity::parse(k.as_str()), Some(k));
        }
        assert_eq!(operation_of("allocate"), Some(Operation::Create));
        assert_eq!(operation_of("certify"), Some(Operation::Update));
        assert_eq!(operation_of("login"), None);
        assert_eq!(operation_of("logoutAll"), None);
    }

    #[test]
    fn only_a_move_keeps_the_place_before() {
        let at = |p: &'static str, c: &'static str| Place {
            province_code: Some(p),
            commune_code: Some(c),
        };
        assert_eq!(
            previous(Some(at("66", "24133")), Some("44"), Some("19309")),
            (Some("66".into()), Some("24133".into()))
        );
        assert_eq!(
            previous(Some(at("66", "24133")), Some("66"), Some("24121")),
            (Some("66".into()), Some("24133".into())),
            "a commune left inside the province"
        );
        assert_eq!(
            previous(Some(at("66", "24133")), Some("66"), Some("24133")),
            (None, None)
        );
        assert_eq!(previous(None, Some("66"), Some("24133")), (None, None));
    }

    #[test]
    fn a_departure_is_the_place_before_a_move_or_the_commune_left() {
        let row = |prev: Option<&str>, left: Option<&str>| change_event::Model {
            seq: 1,
            xid: 0,
            entity_type: "Project".into(),
            entity_id: 1,
            operation: "UPDATE".into(),
            version: Some(2),
            action: "update".into(),
            status_changed: false,
            at: chrono::Utc::now(),
            actor_id: None,
            province_code: Some("66".into()),
            commune_code: Some("24121".into()),
            previous_province_code: prev.map(|_| "66".to_owned()),
            previous_commune_code: prev.map(str::to_owned),
            left_commune_code: left.map(str::to_owned),
        };
        assert!(marks_a_departure(&row(Some("24133"), None)));
        assert!(marks_a_departure(&row(None, Some("24133"))));
        assert!(!marks_a_departure(&row(None, None)));
    }

    #[test]
    fn a_record_touched_twice_keeps_the_first_commune_it_left() {
        let place = Place {
            province_code: Some("66"),
            commune_code: Some("24121"),
        };
        let mut t = Touched::default();
        t.add(
            EntityKind::Project,
            7,
            Some(3),
            place.province_code,
            place.commune_code,
            false,
        );
        t.add_seen_elsewhere(EntityKind::Project, 7, Some(3), place, Some("24133"));
        t.add_seen_elsewhere(EntityKind::Project, 7, Some(3), place, Some("19309"));
        t.add_seen_elsewhere(EntityKind::Project, 8, Some(1), place, None);
        assert_eq!(t.rows.len(), 2, "once per record");
        assert_eq!(t.rows[0].left_commune.as_deref(), Some("24133"));
        assert_eq!(t.rows[1].left_commune, None);
    }
}
