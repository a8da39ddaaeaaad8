//! Who may see and touch what (the README's "Roles and areas"), in one place.
//!
//! Records outside the caller's area do not exist for it: reads filter with
//! [`area_condition`], single reads and mutations check [`covers`] and answer `NOT_FOUND`.
//! Creating or moving a record into a place outside the area, or an action the role may not
//! take at all, is `FORBIDDEN` ([`ensure_commune_in_area`], [`ensure_writer`]).

use std::collections::HashSet;

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect,
    sea_query::Expr,
};

use crate::{
    auth::actor::Actor,
    db::entities::project,
    enums::Role,
    error::{AppError, Msg, Result},
    reference::Commune,
};

/// A read-only account may not mutate anything.
pub fn ensure_writer(actor: &Actor) -> Result<()> {
    if actor.read_only {
        return Err(AppError::read_only());
    }
    Ok(())
}

/// Whether a record placed in `province_code` / `commune_code` is inside the actor's area.
pub fn covers(actor: &Actor, province_code: &str, commune_code: Option<&str>) -> bool {
    match actor.role {
        Role::National => true,
        Role::Province => actor.province_code.as_deref() == Some(province_code),
        Role::Commune => commune_code.is_some() && actor.commune_code.as_deref() == commune_code,
    }
}

/// Placing a record in `commune` must stay inside the actor's area (`FORBIDDEN`).
pub fn ensure_commune_in_area(actor: &Actor, commune: &Commune) -> Result<()> {
    if covers(actor, &commune.province_code, Some(&commune.code)) {
        Ok(())
    } else {
        Err(AppError::forbidden(Msg::new(
            format!("{} ({}) is outside your area.", commune.name, commune.code),
            format!(
                "{} ({}) nằm ngoài địa bàn của bạn.",
                commune.name, commune.code
            ),
        )))
    }
}

/// The filter that keeps only rows inside the actor's area.
pub fn area_condition<C: ColumnTrait>(actor: &Actor, province_col: C, commune_col: C) -> Condition {
    match actor.role {
        Role::National => Condition::all(),
        Role::Province => match &actor.province_code {
            Some(p) => Condition::all().add(province_col.eq(p.clone())),
            None => deny_all(province_col),
        },
        Role::Commune => match &actor.commune_code {
            Some(c) => Condition::all().add(commune_col.eq(c.clone())),
            None => deny_all(commune_col),
        },
    }
}

/// The projects an actor sees (the README's table of roles). One rule for lists, single
/// reads, nodes, reports, exports and the change feed:
///
/// - national: every project;
/// - province: the projects of its province;
/// - commune: the projects its commune proposed (the project's commune) and the projects
///   with a beneficiary establishment in the commune, whichever province runs them.
///
/// Seeing a project is not changing it: writes stay with the proposing commune or the
/// province ([`crate::domain::project`] checks them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProjectArea {
    /// Every project.
    All,
    /// The projects of one province.
    Province(String),
    /// The projects a commune proposed or whose beneficiaries include one of its
    /// establishments.
    Commune(String),
    /// None (a token without its area).
    Nothing,
}

/// The projects `actor` sees.
pub fn project_area(actor: &Actor) -> ProjectArea {
    match actor.role {
        Role::National => ProjectArea::All,
        Role::Province => actor
            .province_code
            .clone()
            .map_or(ProjectArea::Nothing, ProjectArea::Province),
        Role::Commune => actor
            .commune_code
            .clone()
            .map_or(ProjectArea::Nothing, ProjectArea::Commune),
    }
}

impl ProjectArea {
    /// The rule as one SQL predicate over the project row named `p` (a table name or an
    /// alias); `param` turns each value into a placeholder. `None`: every project.
    pub fn sql(&self, p: &str, param: &mut dyn FnMut(String) -> String) -> Option<String> {
        match self {
            Self::All => None,
            Self::Province(code) => Some(format!("{p}.province_code = {}", param(code.clone()))),
            Self::Commune(code) => {
                let proposer = param(code.clone());
                let beneficiary = param(code.clone());
                Some(format!(
                    "({p}.commune_code = {proposer} OR EXISTS (SELECT 1 FROM project_beneficiary scope_b \
                     JOIN establishment scope_e ON scope_e.id = scope_b.establishment_id \
                     WHERE scope_b.project_id = {p}.id AND scope_e.commune_code = {beneficiary}))"
                ))
            }
            Self::Nothing => Some("1 = 0".to_owned()),
        }
    }

    /// The rule as a query condition on the `project` table (or on the row named `p`).
    pub fn condition(&self, backend: DbBackend, p: &str) -> Condition {
        self.condition_within(backend, p, |rule| rule.to_owned())
    }

    /// The rule inside a larger predicate: `wrap` receives the rule's SQL over the row `p`
    /// (a subquery of another table's condition, for instance). `Condition::all()` when the
    /// actor sees every project.
    pub fn condition_within(
        &self,
        backend: DbBackend,
        p: &str,
        wrap: impl FnOnce(&str) -> String,
    ) -> Condition {
        let mut values = Vec::new();
        let sql = self.sql(p, &mut |v| {
            values.push(v);
            match backend {
                DbBackend::Postgres => format!("${}", values.len()),
                _ => "?".to_owned(),
            }
        });
        match sql {
            None => Condition::all(),
            Some(sql) => Condition::all().add(Expr::cust_with_values(wrap(&sql), values)),
        }
    }

    /// The projects among `ids` that the rule shows now, in one statement (inside a write
    /// transaction: as they are after its changes so far).
    pub async fn among(&self, db: &impl ConnectionTrait, ids: &[i64]) -> Result<HashSet<i64>> {
        if ids.is_empty() {
            return Ok(HashSet::new());
        }
        Ok(project::Entity::find()
            .select_only()
            .column(project::Column::Id)
            .filter(project::Column::Id.is_in(ids.iter().copied()))
            .filter(self.condition(db.get_database_backend(), "project"))
            .into_tuple::<i64>()
            .all(db)
            .await?
            .into_iter()
            .collect())
    }
}

fn deny_all<C: ColumnTrait>(col: C) -> Condition {
    // A misissued token without its area sees nothing rather than everything.
    Condition::all().add(col.is_null()).add(col.is_not_null())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enums::CommuneKind;

    fn actor(role: Role, province: Option<&str>, commune: Option<&str>) -> Actor {
        Actor {
            user_id: 1,
            role,
            province_code: province.map(Into::into),
            commune_code: commune.map(Into::into),
            is_admin: false,
            read_only: false,
        }
    }

    fn commune(code: &str, province: &str) -> Commune {
        Commune::new(code, "Xã Thử", CommuneKind::Commune, province)
    }

    #[test]
    fn each_role_covers_exactly_its_area() {
        let national = actor(Role::National, None, None);
        let province = actor(Role::Province, Some("66"), None);
        let commune_user = actor(Role::Commune, Some("66"), Some("24133"));
        assert!(covers(&national, "01", Some("00004")));
        assert!(covers(&province, "66", Some("24133")));
        assert!(!covers(&province, "44", Some("18880")));
        assert!(covers(&commune_user, "66", Some("24133")));
        assert!(!covers(&commune_user, "66", Some("24134")));
        assert!(!covers(&commune_user, "66", None));
    }

    #[test]
    fn placing_outside_the_area_is_forbidden() {
        let province = actor(Role::Province, Some("66"), None);
        assert!(ensure_commune_in_area(&province, &commune("24133", "66")).is_ok());
        let err = ensure_commune_in_area(&province, &commune("18880", "44"))
            .expect_err("outside the area");
        assert_eq!(err.code, crate::error::Code::Forbidden);
    }

    #[test]
    fn read_only_accounts_cannot_write() {
        let mut a = actor(Role::National, None, None);
        a.read_only = true;
        assert_eq!(
            ensure_writer(&a).expect_err("read-only").code,
            crate::error::Code::Forbidden
        );
    }
}
