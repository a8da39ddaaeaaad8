//! Relay connections: `edges`, `nodes`, `pageInfo` and `totalCount` (counted only when asked).

use async_graphql::SimpleObject;

/// Relay page information.
#[derive(SimpleObject, Clone, Debug)]
pub struct PageInfo {
    /// More rows follow; ask again with `after: endCursor`.
    pub has_next_page: bool,
    /// The page started after a cursor.
    pub has_previous_page: bool,
    /// Cursor of the first row.
    pub start_cursor: Option<String>,
    /// Cursor of the last row; pass it as `after`.
    pub end_cursor: Option<String>,
}

/// The cost of a list field for the complexity budget: its page size times its children.
pub fn list_cost(first: Option<i32>, child_complexity: usize) -> usize {
    let first = first
        .unwrap_or(crate::domain::page::DEFAULT_FIRST as i32)
        .clamp(1, 100) as usize;
    first
        .saturating_mul(child_complexity.max(1))
        .saturating_add(1)
}

/// Declares `$conn` and `$edge` for node type `$node` built from `$entity` models.
macro_rules! connection {
    ($conn:ident, $edge:ident, $node:ident, $entity:path, $doc:literal) => {
        #[doc = $doc]
        pub struct $conn {
            rows: Vec<(String, $node)>,
            has_next: bool,
            has_previous: bool,
            total: $crate::graphql::connection::Total<$entity>,
        }

        impl $conn {
            /// A connection over a page from the database.
            pub fn from_page(page: $crate::domain::page::Page<$entity>) -> Self {
                Self {
                    rows: page
                        .rows
                        .into_iter()
                        .map(|(c, m)| (c.encode(), $node::from(m)))
                        .collect(),
                    has_next: page.has_next,
                    has_previous: page.has_previous,
                    total: $crate::graphql::connection::Total::Query(Box::new(page.count_query)),
                }
            }

            /// A connection without rows, for a filter that can match none (an id of
            /// another kind).
            pub fn empty(args: &$crate::domain::page::PageArgs) -> Self {
                Self {
                    rows: Vec::new(),
                    has_next: false,
                    has_previous: args.after.is_some(),
                    total: $crate::graphql::connection::Total::Known(0),
                }
            }

            /// A connection over rows already in memory (loaded in a batch).
            pub fn from_loaded(
                all: Vec<<$entity as sea_orm::EntityTrait>::Model>,
                args: &$crate::domain::page::PageArgs,
            ) -> async_graphql::Result<Self> {
                use $crate::domain::page::{Cursor, Keyed};
                let total = all.len() as u64;
                let start = match &args.after {
                    None => 0,
                    Some(Cursor::Id(after)) => {
                        all.iter().take_while(|m| m.key_id() <= *after).count()
                    }
                    Some(_) => {
                        return Err($crate::error::AppError::bad_input(
                            "after",
                            $crate::error::Msg::new(
                                "The cursor belongs to a list in another order.",
                                "Con trỏ thuộc danh sách sắp xếp khác.",
                            ),
                        )
                        .into());
                    }
                };
                let rest: Vec<_> = all.into_iter().skip(start).collect();
                let has_next = rest.len() > args.first;
                let rows = rest
                    .into_iter()
                    .take(args.first)
                    .map(|m| (Cursor::Id(m.key_id()).encode(), $node::from(m)))
                    .collect();
                Ok(Self {
                    rows,
                    has_next,
                    has_previous: args.after.is_some(),
                    total: $crate::graphql::connection::Total::Known(total),
                })
            }
        }

        #[async_graphql::Object]
        impl $conn {
            /// The rows with their cursors.
            async fn edges(&self) -> Vec<$edge> {
                self.rows
                    .iter()
                    .map(|(c, n)| $edge {
                        cursor: c.clone(),
                        node: n.clone(),
                    })
                    .collect()
            }

            /// The rows.
            async fn nodes(&self) -> Vec<$node> {
                self.rows.iter().map(|(_, n)| n.clone()).collect()
            }

            /// Where this page is in the list.
            async fn page_info(&self) -> $crate::graphql::connection::PageInfo {
                $crate::graphql::connection::PageInfo {
                    has_next_page: self.has_next,
                    has_previous_page: self.has_previous,
                    start_cursor: self.rows.first().map(|(c, _)| c.clone()),
                    end_cursor: self.rows.last().map(|(c, _)| c.clone()),
                }
            }

            /// How many rows the whole list has (one COUNT with the same filters).
            async fn total_count(
                &self,
                ctx: &async_graphql::Context<'_>,
            ) -> async_graphql::Result<i32> {
                use $crate::graphql::context::ContextExt;
                let n = match &self.total {
                    $crate::graphql::connection::Total::Known(n) => *n,
                    $crate::graphql::connection::Total::Query(q) => {
                        use sea_orm::PaginatorTrait;
                        (**q)
                            .clone()
                            .count(ctx.db()?)
                            .await
                            .map_err($crate::error::AppError::from)?
                    }
                };
                Ok(i32::try_from(n).unwrap_or(i32::MAX))
            }
        }

        #[doc = "An edge: a row and its cursor."]
        #[derive(async_graphql::SimpleObject, Clone)]
        pub struct $edge {
            /// Pass as `after` to continue after this row.
            pub cursor: String,
            /// The row.
            pub node: $node,
        }
    };
}

pub(crate) use connection;

/// How `totalCount` is known.
pub enum Total<E: sea_orm::EntityTrait> {
    /// Already counted.
    Known(u64),
    /// Counted on demand with this query.
    Query(Box<sea_orm::Select<E>>),
}
