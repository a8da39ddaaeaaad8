//! Opaque global ids: `base64url("Type:id")`, so `node(id)` knows what it points at and
//! clients never build ids themselves.

use async_graphql::ID;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::error::{AppError, Result};

/// The global id of a record.
pub fn encode(entity_type: &str, id: i64) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{entity_type}:{id}")))
}

/// Splits a global id into its type and row id.
pub fn parse(id: &ID) -> Option<(String, i64)> {
    let raw = URL_SAFE_NO_PAD.decode(id.as_str()).ok()?;
    let raw = String::from_utf8(raw).ok()?;
    let (t, n) = raw.split_once(':')?;
    Some((t.to_owned(), n.parse().ok()?))
}

/// The row id of a global id of the expected type, if it is one.
pub fn decode(entity_type: &str, id: &ID) -> Option<i64> {
    parse(id).and_then(|(t, n)| (t == entity_type).then_some(n))
}

/// Like [`decode`], but `NOT_FOUND` for an id that cannot be of this type.
pub fn require(entity_type: &str, id: &ID, what_en: &str, what_vi: &str) -> Result<i64> {
    decode(entity_type, id).ok_or_else(|| AppError::not_found(what_en, what_vi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_keep_their_type() {
        let id = encode("Establishment", 42);
        assert_eq!(decode("Establishment", &id), Some(42));
        assert_eq!(decode("Product", &id), None);
        assert_eq!(decode("Product", &ID("nonsense".into())), None);
    }
}
