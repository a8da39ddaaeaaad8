//! Ids in responses: the `id` of an object, the ids of a connection's nodes, the database id
//! behind a global id, and id lists sorted for comparison.

use async_graphql::ID;
use khuyencong::graphql::ids;
use serde_json::Value;

/// The `id` field of an object in a response (panics with the object when absent).
#[track_caller]
pub fn id_of(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v:#}"))
        .to_owned()
}

/// The ids of a connection's `nodes`, in the order listed.
#[track_caller]
pub fn ids_of(conn: &Value) -> Vec<String> {
    conn["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("no nodes in {conn:#}"))
        .iter()
        .map(id_of)
        .collect()
}

/// The database id behind a global id.
#[track_caller]
pub fn row_id(global: &str) -> i64 {
    ids::parse(&ID(global.to_owned())).expect("a global id").1
}

/// Ids (or any strings) sorted, to compare sets whatever order they were listed in.
pub fn sorted<I: IntoIterator<Item = String>>(ids: I) -> Vec<String> {
    let mut v: Vec<String> = ids.into_iter().collect();
    v.sort();
    v
}
