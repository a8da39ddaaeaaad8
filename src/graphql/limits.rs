//! Limits on the shape of a document, before any SQL: aliases (`a1: establishments …
//! a500: establishments` multiplies work without deepening the query) and root fields per
//! operation, checked right after parsing; depth and complexity, checked on the figures
//! validation computes, so their errors carry `QUERY_TOO_COMPLEX` from where they are made
//! (nothing downstream reads an error's text). Directives per field and recursion are
//! limited by the schema builder; batches (a JSON array body) are refused by the HTTP
//! extractor (one operation per request).

use std::{collections::HashSet, sync::Arc};

use async_graphql::{
    ErrorExtensionValues, ServerError, ServerResult, ValidationResult, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation},
    parser::types::{ExecutableDocument, Selection, SelectionSet},
};

use crate::error::Code;

/// The document limits of the configuration.
#[derive(Clone, Copy, Debug)]
pub struct QueryLimits {
    /// Most aliased fields in a document (`KC_MAX_ALIASES`).
    pub max_aliases: usize,
    /// Most fields at the root of one operation (`KC_MAX_ROOT_FIELDS`).
    pub max_root_fields: usize,
    /// Deepest nesting (`KC_MAX_DEPTH`); none for introspection.
    pub max_depth: Option<usize>,
    /// Highest complexity (`KC_MAX_COMPLEXITY`); none for introspection.
    pub max_complexity: Option<usize>,
}

impl ExtensionFactory for QueryLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

fn too_complex(en: String, vi: &str) -> ServerError {
    let mut e = ServerError::new(en, None);
    let mut ext = ErrorExtensionValues::default();
    ext.set("code", Code::QueryTooComplex.as_str());
    // Picked up by `graphql::error::localize` for Vietnamese callers.
    ext.set("__vi", vi);
    e.extensions = Some(ext);
    e
}

fn count_aliases(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(f) => {
                usize::from(f.node.alias.is_some()) + count_aliases(&f.node.selection_set.node)
            }
            Selection::InlineFragment(i) => count_aliases(&i.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

/// Root fields of an operation, following fragments once each (cycles are cut here and
/// refused later by validation).
fn count_root_fields<'a>(
    doc: &'a ExecutableDocument,
    set: &'a SelectionSet,
    seen: &mut HashSet<&'a str>,
) -> usize {
    let mut n = 0;
    for item in &set.items {
        n += match &item.node {
            Selection::Field(_) => 1,
            Selection::InlineFragment(i) => {
                count_root_fields(doc, &i.node.selection_set.node, seen)
            }
            Selection::FragmentSpread(s) => {
                let name = s.node.fragment_name.node.as_str();
                match doc.fragments.get(name) {
                    Some(f) if seen.insert(name) => {
                        count_root_fields(doc, &f.node.selection_set.node, seen)
                    }
                    _ => 0,
                }
            }
        };
    }
    n
}

impl QueryLimits {
    /// Checks a parsed document against the limits.
    pub fn check(&self, doc: &ExecutableDocument) -> ServerResult<()> {
        let aliases: usize = doc
            .operations
            .iter()
            .map(|(_, op)| count_aliases(&op.node.selection_set.node))
            .chain(
                doc.fragments
                    .values()
                    .map(|f| count_aliases(&f.node.selection_set.node)),
            )
            .sum();
        if aliases > self.max_aliases {
            return Err(too_complex(
                format!(
                    "The query uses {aliases} aliases; at most {} are allowed.",
                    self.max_aliases
                ),
                "Truy vấn dùng quá nhiều bí danh (alias); hãy chia nhỏ truy vấn.",
            ));
        }
        for (_, op) in doc.operations.iter() {
            let mut seen = HashSet::new();
            let roots = count_root_fields(doc, &op.node.selection_set.node, &mut seen);
            if roots > self.max_root_fields {
                return Err(too_complex(
                    format!(
                        "An operation asks {roots} root fields; at most {} are allowed.",
                        self.max_root_fields
                    ),
                    "Một thao tác hỏi quá nhiều trường gốc; hãy chia nhỏ truy vấn.",
                ));
            }
        }
        Ok(())
    }

    /// Checks the depth and complexity validation measured.
    pub fn check_measured(&self, measured: &ValidationResult) -> ServerResult<()> {
        if self
            .max_complexity
            .is_some_and(|max| measured.complexity > max)
        {
            return Err(too_complex(
                "Query is too complex.".into(),
                "Truy vấn quá phức tạp; hãy chia nhỏ truy vấn.",
            ));
        }
        if self.max_depth.is_some_and(|max| measured.depth > max) {
            return Err(too_complex(
                "Query is nested too deep.".into(),
                "Truy vấn lồng quá sâu; hãy chia nhỏ truy vấn.",
            ));
        }
        Ok(())
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for QueryLimits {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        self.check(&doc)?;
        Ok(doc)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let measured = next.run(ctx).await?;
        self.check_measured(&measured).map_err(|e| vec![e])?;
        Ok(measured)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    const LIMITS: QueryLimits = QueryLimits {
        max_aliases: 3,
        max_root_fields: 2,
        max_depth: Some(4),
        max_complexity: Some(100),
    };

    #[test]
    fn depth_and_complexity_over_the_limit_carry_their_code() {
        let measured = |complexity, depth| ValidationResult {
            cache_control: Default::default(),
            complexity,
            depth,
        };
        assert!(LIMITS.check_measured(&measured(100, 4)).is_ok());
        for (c, d) in [(101, 1), (1, 5)] {
            let e = LIMITS.check_measured(&measured(c, d)).expect_err("over");
            let code = e.extensions.as_ref().and_then(|x| x.get("code")).cloned();
            assert_eq!(code, Some(async_graphql::Value::from("QUERY_TOO_COMPLEX")));
        }
        let open = QueryLimits {
            max_depth: None,
            max_complexity: None,
            ..LIMITS
        };
        assert!(open.check_measured(&measured(1_000_000, 1_000)).is_ok());
    }

    fn check(q: &str) -> ServerResult<()> {
        LIMITS.check(&parse_query(q).expect("parses"))
    }

    #[test]
    fn aliases_and_root_fields_are_counted_through_fragments() {
        assert!(check("{ a: me { id } b: me { id } }").is_ok());
        assert!(check("{ a: me { x: id y: id } b: me { id } }").is_err());
        assert!(
            check("{ me { id } ...F } fragment F on Query { a: me { id } b: me { id } }").is_err()
        );
        assert!(
            check("{ ...F } fragment F on Query { ...G } fragment G on Query { ...F me { id } }")
                .is_ok()
        );
        assert!(check("{ me { id } ... on Query { x: me { id } y: me { id } } }").is_err());
    }
}
