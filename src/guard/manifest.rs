//! The persisted-query manifest (`KC_PERSISTED_MANIFEST`): the documents of the allow-list,
//! by the SHA-256 of their text. The GraphQL layer's `Persisted` extension enforces it.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::error::AppError;

/// The documents registered for the allow-list, by the SHA-256 (hex) of their text.
#[derive(Debug, Default)]
pub struct Manifest {
    by_hash: HashMap<String, String>,
}

pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Manifest {
    /// Reads a manifest: the Apollo persisted-query manifest
    /// (`{"operations": [{"body": "…"}, …]}`), an object of `hash → document`, or an array of
    /// documents. Hashes are always computed here from the text, never trusted from the file.
    pub fn parse(json: &str) -> Result<Self, String> {
        let v: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let bodies: Vec<String> = match &v {
            serde_json::Value::Object(o) if o.contains_key("operations") => o["operations"]
                .as_array()
                .ok_or("`operations` is not an array")?
                .iter()
                .map(|op| op["body"].as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .ok_or("an operation has no `body` text")?,
            serde_json::Value::Object(o) => o
                .values()
                .map(|b| b.as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .ok_or("a document is not text")?,
            serde_json::Value::Array(a) => a
                .iter()
                .map(|b| b.as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .ok_or("a document is not text")?,
            _ => return Err("expected an object or an array".into()),
        };
        Ok(Self {
            by_hash: bodies.into_iter().map(|b| (sha256_hex(&b), b)).collect(),
        })
    }

    /// Reads the manifest file.
    pub fn load(path: &str) -> crate::error::Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            AppError::internal(format!("KC_PERSISTED_MANIFEST {path} cannot be read: {e}"))
        })?;
        Self::parse(&text).map_err(|e| {
            AppError::internal(format!(
                "KC_PERSISTED_MANIFEST {path} is not a manifest: {e}"
            ))
        })
    }

    /// The registered document with this hash (lowercase hex SHA-256 of its text).
    pub fn get(&self, hash: &str) -> Option<&String> {
        self.by_hash.get(hash)
    }

    /// How many documents are registered.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Whether no document is registered.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_are_read_in_three_forms_and_hashed_here() {
        let q = "query Me { me { id } }";
        for text in [
            format!(
                r#"{{"format":"apollo-persisted-query-manifest","version":1,"operations":[{{"id":"x","body":"{q}"}}]}}"#
            ),
            format!(r#"{{"whatever":"{q}"}}"#),
            format!(r#"["{q}"]"#),
        ] {
            let m = Manifest::parse(&text).expect("manifest");
            assert_eq!(m.len(), 1);
            assert!(m.get(&sha256_hex(q)).is_some());
        }
        assert!(Manifest::parse("42").is_err());
    }
}
