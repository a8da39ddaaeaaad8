//! Opaque global ids as GraphQL `ID`s (the format is [`EntityKind::global_id`]'s).

use async_graphql::ID;

use crate::{
    error::{AppError, Result},
    kind::EntityKind,
};

/// The global id of a record.
pub fn encode(kind: EntityKind, id: i64) -> ID {
    ID(kind.global_id(id))
}

/// Splits a global id into its kind and row id.
pub fn parse(id: &ID) -> Option<(EntityKind, i64)> {
    EntityKind::parse_global_id(id.as_str())
}

/// The row id of a global id of the expected kind, if it is one.
pub fn decode(kind: EntityKind, id: &ID) -> Option<i64> {
    parse(id).and_then(|(k, n)| (k == kind).then_some(n))
}

/// Like [`decode`], but `NOT_FOUND` for an id that cannot be of this kind.
pub fn require(kind: EntityKind, id: &ID, what_en: &str, what_vi: &str) -> Result<i64> {
    decode(kind, id).ok_or_else(|| AppError::not_found(what_en, what_vi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_keep_their_type() {
        let id = encode(EntityKind::Establishment, 42);
        assert_eq!(decode(EntityKind::Establishment, &id), Some(42));
        assert_eq!(decode(EntityKind::Product, &id), None);
        assert_eq!(decode(EntityKind::Product, &ID("nonsense".into())), None);
    }
}
