//! Relations fetched ahead by the parent resolver from the query's look-ahead.
//!
//! A DataLoader gathers the keys its sibling resolvers ask for until a timer fires; under
//! concurrent load the timer can fire before every sibling has asked and the batch splits, so
//! the statements of a request grow with the load. A list resolver knows every key its
//! children will ask for: when the look-ahead shows a relation is selected it fetches it here
//! in one statement per relation, before returning, and the children read it from memory.
//! The fetch goes through the same domain functions as the loaders, with the same scoping.

use async_graphql::{Context, Lookahead};

use crate::{
    db::entities::{establishment, project},
    graphql::context::ContextExt,
};

/// Where the rows of the current field are in its selection: a connection's `nodes` and
/// `edges { node }`, or the field itself for a single object.
fn rows<'a>(ctx: &'a Context<'_>, connection: bool) -> Vec<Lookahead<'a>> {
    let look = ctx.look_ahead();
    if connection {
        vec![look.field("nodes"), look.field("edges").field("node")]
    } else {
        vec![look]
    }
}

/// Whether any of the rows' selections selects `path` (a connection on the way may be
/// read through `nodes` or `edges { node }`).
fn selects(rows: &[Lookahead<'_>], path: &[&str]) -> bool {
    rows.iter().any(|l| select_from(l, path))
}

fn select_from(l: &Lookahead<'_>, path: &[&str]) -> bool {
    let Some((first, rest)) = path.split_first() else {
        return l.exists();
    };
    let next = l.field(first);
    if !next.exists() {
        return false;
    }
    if rest.is_empty() {
        return true;
    }
    select_from(&next, rest)
        || select_from(&next.field("nodes"), rest)
        || select_from(&next.field("edges").field("node"), rest)
}

/// Fetches what the selection asks of a page (or one) of establishments.
pub async fn establishments(
    ctx: &Context<'_>,
    rows_of: &[&establishment::Model],
    connection: bool,
) -> async_graphql::Result<()> {
    if rows_of.is_empty() {
        return Ok(());
    }
    let rows = rows(ctx, connection);
    let loaders = ctx.loaders()?;
    let ids: Vec<i64> = rows_of.iter().map(|m| m.id).collect();
    if selects(&rows, &["products"]) {
        loaders.products_of.prefetch(&ids).await?;
        if selects(&rows, &["products", "establishment"]) {
            // The products' establishment is the row itself, which the caller sees.
            loaders
                .establishment
                .feed(rows_of.iter().map(|m| (m.id, (*m).clone())));
        }
    }
    if selects(&rows, &["projects"]) {
        loaders.projects_of.prefetch(&ids).await?;
    }
    Ok(())
}

/// Fetches what the selection asks of a page (or one) of projects: beneficiaries with their
/// establishments, allocations with their funding sources and disbursements, history with
/// its actors. The branches run side by side.
pub async fn projects(
    ctx: &Context<'_>,
    rows_of: &[&project::Model],
    connection: bool,
) -> async_graphql::Result<()> {
    if rows_of.is_empty() {
        return Ok(());
    }
    let rows = rows(ctx, connection);
    let loaders = ctx.loaders()?;
    let ids: Vec<i64> = rows_of.iter().map(|m| m.id).collect();
    let beneficiaries = async {
        if selects(&rows, &["beneficiaries"]) {
            loaders.beneficiaries.prefetch(&ids).await?;
            if selects(&rows, &["beneficiaries", "establishment"]) {
                let refs = loaders
                    .beneficiaries
                    .ready_ids(&ids, |v| v.iter().map(|b| b.establishment_id).collect());
                loaders.establishment_ref.prefetch(&refs).await?;
            }
        }
        Ok::<_, async_graphql::Error>(())
    };
    let allocations = async {
        if selects(&rows, &["allocations"]) {
            loaders.allocations.prefetch(&ids).await?;
            if selects(&rows, &["allocations", "fundingSource"]) {
                let refs = loaders
                    .allocations
                    .ready_ids(&ids, |v| v.iter().map(|a| a.funding_source_id).collect());
                loaders.funding_source.prefetch(&refs).await?;
            }
            if selects(&rows, &["allocations", "disbursements"]) {
                let refs = loaders
                    .allocations
                    .ready_ids(&ids, |v| v.iter().map(|a| a.id).collect());
                loaders.disbursements.prefetch(&refs).await?;
            }
        }
        Ok::<_, async_graphql::Error>(())
    };
    let history = async {
        if selects(&rows, &["history"]) {
            loaders.history.prefetch(&ids).await?;
        }
        Ok::<_, async_graphql::Error>(())
    };
    futures::try_join!(beneficiaries, allocations, history)?;
    Ok(())
}

/// What the selection asks of a page of changes: (`node`, `actor`).
pub fn change_selection(ctx: &Context<'_>) -> (bool, bool) {
    let rows = rows(ctx, true);
    (selects(&rows, &["node"]), selects(&rows, &["actor"]))
}
