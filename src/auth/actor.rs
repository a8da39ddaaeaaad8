//! The signed-in caller, as the token describes it.

use crate::enums::Role;

/// A signed-in user, from a verified access token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The user's id.
    pub user_id: i64,
    /// Commune, province or national.
    pub role: Role,
    /// The province of a province or commune user.
    pub province_code: Option<String>,
    /// The commune of a commune user.
    pub commune_code: Option<String>,
    /// May manage users of its area.
    pub is_admin: bool,
    /// May not change anything.
    pub read_only: bool,
}
