//! Keyset pagination (never OFFSET) with opaque cursors, in a stable order: by id, or by
//! `(updated_at, id)` for incremental sync (`updatedSince`), oldest change first.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use crate::error::{AppError, Msg, Result};

/// The default page size.
pub const DEFAULT_FIRST: usize = 20;
/// The largest page a client may ask for.
pub const MAX_FIRST: usize = 100;

/// A position in a list.
#[derive(Clone, Debug, PartialEq)]
pub enum Cursor {
    /// After this id (lists ordered by id).
    Id(i64),
    /// After this change (lists ordered by `updated_at`, then id).
    Updated(DateTime<Utc>, i64),
}

impl Cursor {
    /// The opaque form sent to clients.
    pub fn encode(&self) -> String {
        let raw = match self {
            Cursor::Id(id) => format!("i:{id}"),
            Cursor::Updated(t, id) => format!("u:{}:{id}", t.timestamp_micros()),
        };
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Reads a cursor from a client (`BAD_USER_INPUT` on field `after` when malformed).
    pub fn decode(s: &str) -> Result<Self> {
        let bad = || {
            AppError::bad_input(
                "after",
                Msg::new(
                    "The cursor is not one this list gave out.",
                    "Con trỏ phân trang không hợp lệ.",
                ),
            )
        };
        let raw = URL_SAFE_NO_PAD.decode(s).map_err(|_| bad())?;
        let raw = String::from_utf8(raw).map_err(|_| bad())?;
        let mut parts = raw.split(':');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("i"), Some(id), None, None) => Ok(Cursor::Id(id.parse().map_err(|_| bad())?)),
            (Some("u"), Some(micros), Some(id), None) => {
                let micros: i64 = micros.parse().map_err(|_| bad())?;
                let t = DateTime::from_timestamp_micros(micros).ok_or_else(bad)?;
                Ok(Cursor::Updated(t, id.parse().map_err(|_| bad())?))
            }
            _ => Err(bad()),
        }
    }
}

/// Validated `first` and `after`.
#[derive(Clone, Debug)]
pub struct PageArgs {
    /// How many rows to return.
    pub first: usize,
    /// Where to start.
    pub after: Option<Cursor>,
}

impl PageArgs {
    /// Validates `first` (default 20, at most 100) and `after`.
    pub fn new(first: Option<i32>, after: Option<&str>) -> Result<Self> {
        let first = match first {
            None => DEFAULT_FIRST,
            Some(n) if n < 0 => {
                return Err(AppError::bad_input(
                    "first",
                    Msg::new("`first` cannot be negative.", "`first` không được âm."),
                ));
            }
            Some(n) if n as usize > MAX_FIRST => {
                return Err(AppError::bad_input(
                    "first",
                    Msg::new(
                        format!("`first` is at most {MAX_FIRST}; page with `after`."),
                        format!("`first` tối đa là {MAX_FIRST}; hãy phân trang bằng `after`."),
                    ),
                ));
            }
            Some(n) => n as usize,
        };
        Ok(Self {
            first,
            after: after.map(Cursor::decode).transpose()?,
        })
    }
}

/// A record that can be paginated.
pub trait Keyed {
    /// Its id.
    fn key_id(&self) -> i64;
    /// When it last changed.
    fn key_updated(&self) -> DateTime<Utc>;
}

/// One page of a list, with what is needed to count the whole list on demand.
pub struct Page<E: EntityTrait> {
    /// The rows with their cursors.
    pub rows: Vec<(Cursor, E::Model)>,
    /// Whether more rows follow.
    pub has_next: bool,
    /// Whether the page started after a cursor.
    pub has_previous: bool,
    /// The filtered query without cursor, order or limit, for `totalCount`.
    pub count_query: Select<E>,
}

impl<E: EntityTrait> Page<E>
where
    E::Model: Sync,
{
    /// `totalCount`: one `COUNT` with the same filters, run only when asked.
    pub async fn total(&self, db: &impl ConnectionTrait) -> Result<u64> {
        Ok(self.count_query.clone().count(db).await?)
    }
}

/// Runs a keyset page over `select` (already filtered and scoped).
pub async fn fetch<E, C>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    id_col: C,
    updated_col: C,
    by_updated: bool,
    args: &PageArgs,
) -> Result<Page<E>>
where
    E: EntityTrait<Column = C>,
    C: ColumnTrait,
    E::Model: Keyed + Sync,
{
    let count_query = select.clone();
    let mut q = select;
    match (&args.after, by_updated) {
        (None, _) => {}
        (Some(Cursor::Id(id)), false) => q = q.filter(id_col.gt(*id)),
        (Some(Cursor::Updated(t, id)), true) => {
            q = q.filter(
                Condition::any()
                    .add(updated_col.gt(*t))
                    .add(Condition::all().add(updated_col.eq(*t)).add(id_col.gt(*id))),
            )
        }
        _ => {
            return Err(AppError::bad_input(
                "after",
                Msg::new(
                    "The cursor belongs to a list in another order; start again without `after`.",
                    "Con trỏ thuộc danh sách sắp xếp khác; hãy bắt đầu lại không có `after`.",
                ),
            ));
        }
    }
    if by_updated {
        q = q.order_by_asc(updated_col);
    }
    q = q.order_by_asc(id_col).limit(args.first as u64 + 1);
    // With `first: 0` the one row fetched only tells whether the list goes on.
    let mut models = q.all(db).await?;
    let has_next = models.len() > args.first;
    models.truncate(args.first);
    let rows = models
        .into_iter()
        .map(|m| {
            let c = if by_updated {
                Cursor::Updated(m.key_updated(), m.key_id())
            } else {
                Cursor::Id(m.key_id())
            };
            (c, m)
        })
        .collect();
    Ok(Page {
        rows,
        has_next,
        has_previous: args.after.is_some(),
        count_query,
    })
}

/// A `LIKE … ESCAPE '\'` condition on a folded search column.
pub fn search_condition<C: sea_orm::ColumnTrait>(col: C, term: &str) -> sea_orm::Condition {
    sea_orm::Condition::all().add(
        col.like(
            sea_orm::sea_query::LikeExpr::new(crate::text::contains_pattern(term)).escape('\\'),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let t = DateTime::from_timestamp_micros(1_764_000_000_123_456).expect("time");
        for c in [Cursor::Id(17), Cursor::Updated(t, 9)] {
            assert_eq!(Cursor::decode(&c.encode()).expect("decodes"), c);
        }
        assert!(Cursor::decode("garbage!").is_err());
    }

    #[test]
    fn first_is_bounded() {
        assert_eq!(PageArgs::new(None, None).expect("default").first, 20);
        assert_eq!(PageArgs::new(Some(100), None).expect("max").first, 100);
        let err = PageArgs::new(Some(101), None).expect_err("too many");
        assert_eq!(err.field.as_deref(), Some("first"));
        assert!(PageArgs::new(Some(-1), None).is_err());
    }
}
