//! Users by area: who judges a round, who sits on a council, who looks at a report.

use super::{TestApp, TestUser};

/// An area a user's scope covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    /// The whole country.
    National,
    /// A province, by code.
    Province(&'static str),
    /// A commune, by code.
    Commune(&'static str),
}

impl Area {
    /// Whether a record in `province` / `commune` is inside this area.
    pub fn covers(self, province: &str, commune: Option<&str>) -> bool {
        match self {
            Area::National => true,
            Area::Province(p) => p == province,
            Area::Commune(c) => commune == Some(c),
        }
    }
}

/// A new user of `area`.
pub async fn user_of(app: &TestApp, area: Area) -> TestUser {
    match area {
        Area::National => app.national().await,
        Area::Province(p) => app.province(p).await,
        Area::Commune(c) => app.commune(c).await,
    }
}

/// `n` new users of `area`.
pub async fn users(app: &TestApp, n: usize, area: Area) -> Vec<TestUser> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(user_of(app, area).await);
    }
    out
}
