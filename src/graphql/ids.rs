//! Opaque global ids as GraphQL `ID`s (the format is [`EntityKind::global_id`]'s), decoded to
//! the typed row ids the domain takes.

use async_graphql::ID;

use crate::{
    error::{AppError, Result},
    kind::{EntityKind, RowId},
};

/// The global id of a record.
pub fn encode(kind: EntityKind, id: i64) -> ID {
    ID(kind.global_id(id))
}

/// Splits a global id into its kind and row id.
pub fn parse(id: &ID) -> Option<(EntityKind, i64)> {
    EntityKind::parse_global_id(id.as_str())
}

/// The row id of a global id of the expected kind (`decode::<ProjectId>(&id)`), if it is one.
pub fn decode<T: RowId>(id: &ID) -> Option<T> {
    parse(id).and_then(|(k, n)| (k == T::KIND).then(|| T::from(n)))
}

/// Like [`decode`], but `NOT_FOUND` for an id that cannot be of this kind.
pub fn require<T: RowId>(id: &ID, what_en: &str, what_vi: &str) -> Result<T> {
    decode(id).ok_or_else(|| AppError::not_found(what_en, what_vi))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::{EstablishmentId, ProductId};

    #[test]
    fn ids_round_trip_and_keep_their_type() {
        let id = encode(EntityKind::Establishment, 42);
        assert_eq!(decode(&id), Some(EstablishmentId::from(42)));
        assert_eq!(decode::<ProductId>(&id), None);
        assert_eq!(decode::<ProductId>(&ID("nonsense".into())), None);
    }
}
