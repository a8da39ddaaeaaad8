//! The query and mutation roots, merged from one object per domain.

use async_graphql::MergedObject;

use crate::graphql::{
    change::ChangeQuery,
    document::DocumentMutation,
    establishment::{EstablishmentMutation, EstablishmentQuery},
    guard::{GuardMutation, GuardQuery},
    import::ImportMutation,
    legacy::LegacyQuery,
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
    ChangeQuery,
    LegacyQuery,
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
    ImportMutation,
    DocumentMutation,
    GuardMutation,
);
