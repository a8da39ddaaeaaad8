//! The query and mutation roots, merged from one object per domain.

use async_graphql::MergedObject;

use crate::graphql::{
    establishment::{EstablishmentMutation, EstablishmentQuery},
    node::NodeQuery,
    product::{ProductMutation, ProductQuery},
    reference::ReferenceQuery,
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
);

/// All mutations.
#[derive(MergedObject, Default)]
pub struct Mutation(UserMutation, EstablishmentMutation, ProductMutation);
