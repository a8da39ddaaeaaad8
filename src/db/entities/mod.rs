//! sea-orm entities, one file per table. Rows, not API types: GraphQL views live in `graphql/`.

pub mod allocation;
pub mod app_user;
pub mod audit_event;
pub mod commune;
pub mod disbursement;
pub mod disbursement_rule;
pub mod establishment;
pub mod funding_source;
pub mod idempotency_key;
pub mod nomination;
pub mod ocop_certificate;
pub mod ocop_criteria;
pub mod ocop_evaluation;
pub mod ocop_prize;
pub mod ocop_score;
pub mod pii_access_log;
pub mod product;
pub mod project;
pub mod project_beneficiary;
pub mod project_event;
pub mod province;
pub mod refresh_token;
pub mod scorecard;
pub mod selection_criteria;
pub mod selection_round;
pub mod support_cap_rule;
