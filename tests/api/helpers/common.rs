//! The small helpers every test file uses, under one path: ids, success checks, the audit
//! trail, paging and plain values. Each is defined once, in the module of its concern.

pub use super::{
    assert::{assert_ok, data, must},
    audit::{audit_count, audit_rows},
    connection::all_pages,
    ids::{id_of, ids_of, row_id, sorted},
    values::{today, vnd},
};
