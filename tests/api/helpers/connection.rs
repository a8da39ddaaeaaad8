//! Connections read page by page, as a client pages through a list.

use serde_json::Value;

/// Every page of a connection from the first, following `pageInfo.endCursor` while
/// `pageInfo.hasNextPage` is true: `page(after)` returns the connection after a cursor
/// (`None` for the first page). Panics after 100 pages, a paging that does not end.
pub async fn all_pages(mut page: impl AsyncFnMut(Option<String>) -> Value) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let conn = page(after.take()).await;
        let more = conn["pageInfo"]["hasNextPage"] == true;
        after = conn["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        out.push(conn);
        if !more {
            return out;
        }
        assert!(out.len() < 100, "paging does not end");
    }
}
