//! The kinds of record, named once: the type in global ids (`base64("Project:42")`), the
//! `entity_type` of the audit trail and of idempotency keys, what `node` resolves, and the
//! entities of the change feed all use these names. The global id itself is written here
//! once ([`EntityKind::global_id`]), for the API and for the exports alike.

use std::fmt;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sea_orm::DeriveValueType;

/// A kind of record with an identity of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityKind {
    /// A rural industrial establishment.
    Establishment,
    /// A product of an establishment.
    Product,
    /// A budget line for one fiscal year.
    FundingSource,
    /// An industrial-promotion project.
    Project,
    /// Money allocated from a funding source to a project.
    Allocation,
    /// Money paid out of an allocation.
    Disbursement,
    /// A round of the selection of outstanding products.
    SelectionRound,
    /// A product nominated to a selection round.
    Nomination,
    /// An OCOP evaluation.
    OcopEvaluation,
    /// An OCOP certificate.
    OcopCertificate,
    /// The scores of an OCOP evaluation (its id only, no `node`).
    OcopScore,
    /// A juror's scorecard of a nomination (its id only, no `node`).
    Scorecard,
    /// A user account.
    User,
    /// A document attached to a record.
    Document,
    /// An event of the audit trail.
    AuditEvent,
    /// A province (reference data; only its region changes).
    Province,
}

impl EntityKind {
    /// Every kind.
    pub const ALL: [EntityKind; 16] = [
        Self::Establishment,
        Self::Product,
        Self::FundingSource,
        Self::Project,
        Self::Allocation,
        Self::Disbursement,
        Self::SelectionRound,
        Self::Nomination,
        Self::OcopEvaluation,
        Self::OcopCertificate,
        Self::OcopScore,
        Self::Scorecard,
        Self::User,
        Self::Document,
        Self::AuditEvent,
        Self::Province,
    ];

    /// The stored name (`OcopEvaluation`), the GraphQL type of its global ids.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Establishment => "Establishment",
            Self::Product => "Product",
            Self::FundingSource => "FundingSource",
            Self::Project => "Project",
            Self::Allocation => "Allocation",
            Self::Disbursement => "Disbursement",
            Self::SelectionRound => "SelectionRound",
            Self::Nomination => "Nomination",
            Self::OcopEvaluation => "OcopEvaluation",
            Self::OcopCertificate => "OcopCertificate",
            Self::OcopScore => "OcopScore",
            Self::Scorecard => "Scorecard",
            Self::User => "User",
            Self::Document => "Document",
            Self::AuditEvent => "AuditEvent",
            Self::Province => "Province",
        }
    }

    /// The kind of a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The kind of a name read from the database (an audit event's `entity_type`): an
    /// internal error when no kind has it.
    pub fn from_db(s: &str) -> crate::error::Result<Self> {
        Self::parse(s).ok_or_else(|| {
            crate::error::AppError::internal(format!(
                "unknown EntityKind value {s:?} in the database"
            ))
        })
    }
}

impl EntityKind {
    /// The opaque global id of the record `id` of this kind: `base64url("Project:42")`, so
    /// `node(id)` knows what it points at and clients never build ids themselves.
    pub fn global_id(self, id: i64) -> String {
        URL_SAFE_NO_PAD.encode(format!("{self}:{id}"))
    }

    /// The kind and row id a global id names, if it is one.
    pub fn parse_global_id(gid: &str) -> Option<(Self, i64)> {
        let raw = URL_SAFE_NO_PAD.decode(gid).ok()?;
        let raw = String::from_utf8(raw).ok()?;
        let (kind, id) = raw.split_once(':')?;
        Some((Self::parse(kind)?, id.parse().ok()?))
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The row id of a record of one kind, as the domain's functions take it: a product's id
/// cannot be passed where a project's is meant. Rows keep `i64`; `From` and `get` convert
/// at the boundary, a row id compares with a column in a query as it is (a sea-orm value
/// type), and a GraphQL id decodes to one (`graphql::ids::decode::<ProjectId>`).
pub trait RowId: Copy + From<i64> + Into<i64> {
    /// The kind of record it names (the type in its global id).
    const KIND: EntityKind;
}

/// Declares the row-id type of each kind.
macro_rules! row_ids {
    ($($(#[$doc:meta])* $name:ident => $kind:ident,)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, DeriveValueType)]
        pub struct $name(i64);

        impl $name {
            /// The row id.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl RowId for $name {
            const KIND: EntityKind = EntityKind::$kind;
        }

        impl From<i64> for $name {
            fn from(id: i64) -> Self {
                Self(id)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

row_ids! {
    /// The id of an establishment.
    EstablishmentId => Establishment,
    /// The id of a product.
    ProductId => Product,
    /// The id of a funding source.
    FundingSourceId => FundingSource,
    /// The id of a project.
    ProjectId => Project,
    /// The id of an allocation.
    AllocationId => Allocation,
    /// The id of a selection round.
    RoundId => SelectionRound,
    /// The id of a nomination.
    NominationId => Nomination,
    /// The id of an OCOP evaluation.
    EvaluationId => OcopEvaluation,
    /// The id of an OCOP certificate.
    CertificateId => OcopCertificate,
    /// The id of a user.
    UserId => User,
    /// The id of a document.
    DocumentId => Document,
    /// The id of an audit event.
    AuditEventId => AuditEvent,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_read_back() {
        for k in EntityKind::ALL {
            assert_eq!(EntityKind::parse(k.as_str()), Some(k));
        }
        let mut names: Vec<_> = EntityKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), EntityKind::ALL.len());
    }

    #[test]
    fn global_ids_keep_their_format_and_read_back() {
        // The format clients and exports already hold: changing it breaks their ids.
        assert_eq!(EntityKind::Project.global_id(42), "UHJvamVjdDo0Mg");
        for k in EntityKind::ALL {
            assert_eq!(EntityKind::parse_global_id(&k.global_id(7)), Some((k, 7)));
        }
        assert_eq!(EntityKind::parse_global_id("nonsense"), None);
        // A name no kind has, and a row id that is not a number.
        assert_eq!(EntityKind::parse_global_id("Rm9vOjE"), None); // Foo:1
        assert_eq!(EntityKind::parse_global_id("UHJvamVjdDp4"), None); // Project:x
    }

    #[test]
    fn row_ids_name_their_kind_and_convert_at_the_boundary() {
        let id = ProjectId::from(42);
        assert_eq!(
            (id.get(), i64::from(id), id.to_string()),
            (42, 42, "42".into())
        );
        assert_eq!(ProjectId::KIND, EntityKind::Project);
        assert_eq!(RoundId::KIND, EntityKind::SelectionRound);
        assert_eq!(EvaluationId::KIND, EntityKind::OcopEvaluation);
        assert_eq!(CertificateId::KIND, EntityKind::OcopCertificate);
    }
}
