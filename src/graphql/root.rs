//! The query and mutation roots, merged from one object per domain.

use async_graphql::MergedObject;

use crate::graphql::{
    audit::AuditQuery,
    catalog::CatalogQuery,
    change::ChangeQuery,
    document::DocumentMutation,
    establishment::{EstablishmentMutation, EstablishmentQuery},
    funding::{FundingMutation, FundingQuery},
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
    session::SessionMutation,
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
    FundingQuery,
    ProjectQuery,
    SelectionQuery,
    OcopQuery,
    CatalogQuery,
    ReportQuery,
    AuditQuery,
    ChangeQuery,
    LegacyQuery,
    GuardQuery,
);

/// All mutations.
#[derive(MergedObject, Default)]
pub struct Mutation(
    SessionMutation,
    UserMutation,
    EstablishmentMutation,
    ProductMutation,
    FundingMutation,
    ProjectMutation,
    SelectionMutation,
    OcopMutation,
    ReferenceMutation,
    ImportMutation,
    DocumentMutation,
    GuardMutation,
);
