//! The subscription root, served over `graphql-transport-ws` at `GET /graphql/ws`.
//!
//! Every subscription is a reader of the change feed: it reads the feed after its cursor,
//! waits for a wake-up (a commit on any instance, see `crate::live`) or a timer, and reads
//! again after the last cursor it sent. Catching up and going live are the same loop, so
//! nothing is lost or repeated at the seam, and a lost wake-up only delays.

use std::{
    collections::VecDeque,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use async_graphql::{Context, Subscription as SubscriptionObject};
use futures::{Stream, StreamExt};
use sea_orm::DatabaseConnection;
use tokio::sync::watch;

use crate::{
    db::entities::change_event,
    domain::{
        self, Ctx,
        change::{self as feed, ChangeEntity, FeedCursor, FeedFilter},
    },
    error::{AppError, Msg},
    graphql::{
        change::{Change, ChangeFilter},
        context::ContextExt,
        ocop::OcopEvaluation,
        project::Project,
    },
    live::MAX_SUBSCRIPTIONS_PER_CONNECTION,
};

/// How many changes a subscriber reads at a time.
const BATCH: usize = 200;
/// How soon to read again while committed changes are held back by an older transaction.
const HELD_BACK_RETRY: Duration = Duration::from_millis(250);
/// How long to wait for a wake-up before reading anyway.
const IDLE_READ: Duration = Duration::from_secs(10);

/// The active subscriptions of one connection (put in the connection's data).
#[derive(Clone, Default)]
pub struct SubscriptionSlots(pub Arc<AtomicUsize>);

/// One active subscription; dropping it (the client completes it or disconnects) frees it.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn take_slot(ctx: &Context<'_>) -> async_graphql::Result<Slot> {
    let slots = ctx
        .data::<SubscriptionSlots>()
        .map_err(|_| AppError::internal("subscription outside a WebSocket connection"))?;
    let before = slots.0.fetch_add(1, Ordering::SeqCst);
    let slot = Slot(Arc::clone(&slots.0));
    if before >= MAX_SUBSCRIPTIONS_PER_CONNECTION {
        return Err(AppError::new(
            crate::error::Code::RateLimited,
            Msg::new(
                format!(
                    "At most {MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions per connection; complete one first."
                ),
                format!(
                    "Tối đa {MAX_SUBSCRIPTIONS_PER_CONNECTION} đăng ký trên một kết nối; hãy kết thúc bớt."
                ),
            ),
        )
        .into());
    }
    Ok(slot)
}

struct Reader {
    db: DatabaseConnection,
    ctx: Ctx,
    filter: FeedFilter,
    cursor: Option<FeedCursor>,
    buffer: VecDeque<change_event::Model>,
    wake: watch::Receiver<u64>,
    failed: bool,
    _slot: Slot,
}

/// The feed after `start`, then every later change, as a stream.
fn feed_stream(
    ctx: &Context<'_>,
    filter: FeedFilter,
    start: Option<FeedCursor>,
    slot: Slot,
) -> async_graphql::Result<impl Stream<Item = Result<change_event::Model, AppError>> + use<>> {
    let state = ctx.state()?;
    let reader = Reader {
        db: state.db.clone(),
        ctx: ctx.dctx()?.clone(),
        filter,
        cursor: start,
        buffer: VecDeque::new(),
        wake: state.live.receiver(),
        failed: false,
        _slot: slot,
    };
    Ok(futures::stream::unfold(reader, |mut r| async move {
        loop {
            if let Some(row) = r.buffer.pop_front() {
                return Some((Ok(row), r));
            }
            if r.failed {
                return None;
            }
            // Marked seen before reading: a commit during the read wakes the next wait.
            r.wake.borrow_and_update();
            match feed::list(&r.db, &r.ctx, &r.filter, r.cursor, BATCH).await {
                Ok(page) => {
                    r.cursor = page.next;
                    r.buffer.extend(page.rows);
                    if !r.buffer.is_empty() {
                        continue;
                    }
                    let wait = if page.held_back {
                        HELD_BACK_RETRY
                    } else {
                        IDLE_READ
                    };
                    tokio::select! {
                        changed = r.wake.changed() => {
                            if changed.is_err() {
                                tokio::time::sleep(wait).await;
                            }
                        }
                        () = tokio::time::sleep(wait) => {}
                    }
                }
                Err(e) => {
                    r.failed = true;
                    return Some((Err(e), r));
                }
            }
        }
    }))
}

async fn start_cursor(
    ctx: &Context<'_>,
    after: Option<String>,
) -> async_graphql::Result<Option<FeedCursor>> {
    Ok(match after {
        Some(a) => Some(FeedCursor::decode(&a, "after")?),
        None => feed::head(ctx.db()?).await?,
    })
}

/// The subscription root.
#[derive(Default)]
pub struct Subscription;

#[SubscriptionObject]
impl Subscription {
    /// Changes as they are committed, within the caller's area, on any instance of the
    /// server. With `after`, the changes committed since that cursor come first, then live
    /// ones, with none lost or repeated in between.
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Resume after this cursor (the last `cursor` received).")] after: Option<
            String,
        >,
        #[graphql(desc = "Narrows the feed within the caller's area.")] filter: Option<
            ChangeFilter,
        >,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Change>> + use<>> {
        ctx.dctx()?.actor()?;
        let slot = take_slot(ctx)?;
        let start = start_cursor(ctx, after).await?;
        Ok(feed_stream(ctx, filter.into(), start, slot)?.map(|r| {
            r.map(|row| Change(row, None))
                .map_err(async_graphql::Error::from)
        }))
    }

    /// A project of the caller's area changed status (any instance).
    async fn project_status_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only projects of this province.")] province_code: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Project>> + use<>> {
        ctx.dctx()?.actor()?;
        let slot = take_slot(ctx)?;
        let start = feed::head(ctx.db()?).await?;
        let filter = FeedFilter {
            entities: Some(vec![ChangeEntity::Project]),
            province_code,
            commune_code: None,
            status_changes_only: true,
        };
        let (db, dctx) = (ctx.db()?.clone(), ctx.dctx()?.clone());
        Ok(feed_stream(ctx, filter, start, slot)?.filter_map(move |r| {
            let (db, dctx) = (db.clone(), dctx.clone());
            async move {
                match r {
                    Ok(row) => domain::project::get(&db, &dctx, row.entity_id.into())
                        .await
                        .map_err(async_graphql::Error::from)
                        .transpose()
                        .map(|p| p.map(Project)),
                    Err(e) => Some(Err(e.into())),
                }
            }
        }))
    }

    /// An OCOP evaluation of the caller's area changed status or received a decision.
    async fn ocop_evaluation_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only evaluations of this province.")] province_code: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<OcopEvaluation>> + use<>>
    {
        ctx.dctx()?.actor()?;
        let slot = take_slot(ctx)?;
        let start = feed::head(ctx.db()?).await?;
        let filter = FeedFilter {
            entities: Some(vec![ChangeEntity::OcopEvaluation]),
            province_code,
            commune_code: None,
            status_changes_only: true,
        };
        let (db, dctx) = (ctx.db()?.clone(), ctx.dctx()?.clone());
        Ok(feed_stream(ctx, filter, start, slot)?.filter_map(move |r| {
            let (db, dctx) = (db.clone(), dctx.clone());
            async move {
                match r {
                    Ok(row) => domain::ocop::get(&db, &dctx, row.entity_id.into())
                        .await
                        .map_err(async_graphql::Error::from)
                        .transpose()
                        .map(|e| e.map(OcopEvaluation)),
                    Err(e) => Some(Err(e.into())),
                }
            }
        }))
    }
}
