//! Helpers shared by the resolvers of several domains: GraphQL tri-states to domain patches,
//! and global ids of input arguments to row ids.

use async_graphql::{ID, MaybeUndefined};

use crate::kind::{EstablishmentId, EvaluationId, ProjectId};
use crate::{
    domain::validate::Patch,
    graphql::{ids, scalars::Date},
};

/// Converts a GraphQL tri-state into a domain patch.
pub fn patch<T, U: From<T>>(v: MaybeUndefined<T>) -> Patch<U> {
    match v {
        MaybeUndefined::Undefined => Patch::Keep,
        MaybeUndefined::Null => Patch::Clear,
        MaybeUndefined::Value(v) => Patch::Set(v.into()),
    }
}

/// Converts a GraphQL tri-state date into a domain patch.
pub fn date_patch(v: MaybeUndefined<Date>) -> Patch<chrono::NaiveDate> {
    patch(v.map_value(|d| d.0))
}

/// The establishment of a global id, or `NOT_FOUND`.
pub fn establishment_id(id: &ID) -> crate::error::Result<EstablishmentId> {
    ids::require::<EstablishmentId>(id, "establishment", "cơ sở")
}

/// The project of a global id, or `NOT_FOUND`.
pub fn project_id(id: &ID) -> crate::error::Result<ProjectId> {
    ids::require::<ProjectId>(id, "project", "đề án")
}

/// The OCOP evaluation of a global id, or `NOT_FOUND`.
pub fn evaluation_id(id: &ID) -> crate::error::Result<EvaluationId> {
    ids::require::<EvaluationId>(id, "OCOP evaluation", "hồ sơ đánh giá OCOP")
}
