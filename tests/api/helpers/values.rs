//! Plain values: amounts in đồng as the API returns them, and today's date.

use chrono::{NaiveDate, Utc};
use serde_json::Value;

/// A `Vnd` value, which the API always returns as a JSON integer (panics otherwise).
#[track_caller]
pub fn vnd(v: &Value) -> i64 {
    v.as_i64()
        .unwrap_or_else(|| panic!("not a Vnd integer: {v}"))
}

/// Today's date (UTC), as the server dates what it records.
pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}
