//! The query and mutation roots, merged from one object per domain.

use async_graphql::MergedObject;

use crate::graphql::{
    establishment::{EstablishmentMutation, EstablishmentQuery},
    guard::{GuardMutation, GuardQuery},
    node::NodeQuery,
    ocop::{OcopMutation, OcopQuery},
    product::{ProductMutation, ProductQuery},
    project::{ProjectMutation, ProjectQuery},
    reference::{ReferenceMutation, ReferenceQuery},
    report::ReportQuery,
    selection::{SelectionMutation, SelectionQuery},
    user::{UserMutation, UserQuery},
};

/// All queries.
#[derive(MergedObject, Default)]
pub struct Query(
    UserQuery,
    NodeQuery,
    ReferenceQuery,
    EstablishmentQuery,
    ProductQuery,
    ProjectQuery,
    SelectionQuery,
    OcopQuery,
    ReportQuery,
    GuardQuery,
);

/// All mutations.
#[derive(MergedObject, Default)]
pub struct Mutation(
    UserMutation,
    EstablishmentMutation,
    ProductMutation,
    ProjectMutation,
    SelectionMutation,
    OcopMutation,
    ReferenceMutation,
    GuardMutation,
);
