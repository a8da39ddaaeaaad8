//! Who may see and touch what (SPEC §1 "Scope rules"), in one place.
//!
//! Records outside the caller's area do not exist for it: reads filter with
//! [`area_condition`], single reads and mutations check [`covers`] and answer `NOT_FOUND`.
//! Creating or moving a record into a place outside the area, or an action the role may not
//! take at all, is `FORBIDDEN` ([`ensure_commune_in_area`], [`ensure_writer`]).

use sea_orm::{ColumnTrait, Condition};

use crate::{
    auth::actor::Actor,
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
