//! Users and their administration (the README's "Roles and areas"): a province admin manages the users of its
//! province and its communes, a national admin everyone; nobody grants beyond their area.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    IntoActiveModel, QueryFilter,
};

use crate::kind::{EntityKind, UserId};
use crate::{
    auth::{actor::Actor, password},
    db::entities::app_user,
    domain::{
        Ctx, audit, now,
        page::search_condition,
        page::{self, Keyed, Page, PageArgs},
        validate,
    },
    enums::Role,
    error::{AppError, Msg, Result},
    reference::Reference,
    text,
};

/// Entity type name in the audit trail and global ids.
pub const ENTITY: EntityKind = EntityKind::User;

impl Keyed for app_user::Model {
    fn key_id(&self) -> i64 {
        self.id
    }
    fn key_updated(&self) -> chrono::DateTime<chrono::Utc> {
        self.updated_at
    }
}

/// A new user.
#[derive(Clone, Debug)]
pub struct NewUser {
    /// Login name.
    pub username: String,
    /// Password in clear (hashed before storage, never logged).
    pub password: String,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Province of a province user.
    pub province_code: Option<String>,
    /// Commune of a commune user.
    pub commune_code: Option<String>,
    /// Administrator of its area.
    pub is_admin: bool,
    /// Read-only account.
    pub read_only: bool,
}

/// An update of a user.
#[derive(Clone, Debug, Default)]
pub struct UserPatch {
    /// Display name.
    pub display_name: Option<String>,
    /// New password.
    pub password: Option<String>,
    /// Administrator flag.
    pub is_admin: Option<bool>,
    /// Read-only flag.
    pub read_only: Option<bool>,
    /// Active flag.
    pub active: Option<bool>,
}

/// List filters.
#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    /// Role.
    pub role: Option<Role>,
    /// Province code.
    pub province_code: Option<String>,
    /// Commune code.
    pub commune_code: Option<String>,
    /// Text in the username or display name.
    pub search: Option<String>,
}

/// The area a user works in, resolved against the reference data.
struct Area {
    province_code: Option<String>,
    commune_code: Option<String>,
}

fn resolve_area(
    reference: &Reference,
    role: Role,
    province_code: Option<String>,
    commune_code: Option<String>,
) -> Result<Area> {
    let bad = |field: &str, en: String, vi: String| AppError::bad_input(field, Msg::new(en, vi));
    match role {
        Role::National => {
            if province_code.is_some() || commune_code.is_some() {
                return Err(bad(
                    if province_code.is_some() {
                        "provinceCode"
                    } else {
                        "communeCode"
                    },
                    "A national user has no province or commune.".into(),
                    "Người dùng cấp trung ương không gắn với tỉnh hay xã.".into(),
                ));
            }
            Ok(Area {
                province_code: None,
                commune_code: None,
            })
        }
        Role::Province => {
            if commune_code.is_some() {
                return Err(bad(
                    "communeCode",
                    "A province user has no commune.".into(),
                    "Người dùng cấp tỉnh không gắn với xã.".into(),
                ));
            }
            let code = province_code.ok_or_else(|| {
                bad(
                    "provinceCode",
                    "A province user needs a province code.".into(),
                    "Người dùng cấp tỉnh cần mã tỉnh.".into(),
                )
            })?;
            let p = validate::province(reference, &code)?;
            Ok(Area {
                province_code: Some(p.code.clone()),
                commune_code: None,
            })
        }
        Role::Commune => {
            let code = commune_code.ok_or_else(|| {
                bad(
                    "communeCode",
                    "A commune user needs a commune code.".into(),
                    "Người dùng cấp xã cần mã xã.".into(),
                )
            })?;
            let c = validate::commune(reference, &code)?;
            if province_code
                .as_deref()
                .is_some_and(|p| p != c.province_code)
            {
                return Err(bad(
                    "provinceCode",
                    format!(
                        "Commune {} is not in province {}.",
                        c.code,
                        province_code.as_deref().unwrap_or_default()
                    ),
                    format!(
                        "Xã {} không thuộc tỉnh {}.",
                        c.code,
                        province_code.as_deref().unwrap_or_default()
                    ),
                ));
            }
            Ok(Area {
                province_code: Some(c.province_code.clone()),
                commune_code: Some(c.code.clone()),
            })
        }
    }
}

/// Whether `admin` may manage a user with this role and area.
fn manages(admin: &Actor, role: Role, province_code: Option<&str>) -> bool {
    if !admin.is_admin {
        return false;
    }
    match admin.role {
        Role::National => true,
        Role::Province => role != Role::National && province_code == admin.province_code.as_deref(),
        Role::Commune => false,
    }
}

fn not_allowed() -> AppError {
    AppError::forbidden(Msg::new(
        "Only an administrator of the area may manage its users.",
        "Chỉ quản trị viên của địa bàn mới được quản lý người dùng của địa bàn đó.",
    ))
}

/// A user the caller may see: its own record, or one inside its area.
pub fn visible(actor: &Actor, u: &app_user::Model) -> bool {
    if u.id == actor.user_id {
        return true;
    }
    match actor.role {
        Role::National => true,
        Role::Province => u.province_code.is_some() && u.province_code == actor.province_code,
        Role::Commune => u.commune_code.is_some() && u.commune_code == actor.commune_code,
    }
}

fn check_username(u: &str) -> Result<String> {
    let u = u.trim().to_lowercase();
    let ok = (3..=64).contains(&u.len())
        && u.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(u)
    } else {
        Err(AppError::bad_input(
            "username",
            Msg::new(
                "A username has 3 to 64 letters, digits, '.', '_' or '-' (no spaces or diacritics).",
                "Tên đăng nhập gồm 3 đến 64 chữ cái không dấu, chữ số, '.', '_' hoặc '-'.",
            ),
        ))
    }
}

/// Checks a new password's strength.
pub fn check_password(p: &str) -> Result<()> {
    let n = p.chars().count();
    if !(10..=200).contains(&n) {
        return Err(AppError::bad_input(
            "password",
            Msg::new(
                "A password has 10 to 200 characters.",
                "Mật khẩu phải có từ 10 đến 200 ký tự.",
            ),
        ));
    }
    Ok(())
}

fn subject(m: &app_user::Model) -> audit::Subject<'_> {
    audit::Subject {
        entity_type: ENTITY,
        entity_id: m.id,
        province_code: m.province_code.as_deref(),
        commune_code: m.commune_code.as_deref(),
    }
}

/// Inserts a user without an actor (CLI, demo data); the caller has checked authority.
pub async fn insert(
    db: &impl ConnectionTrait,
    reference: &Reference,
    input: NewUser,
) -> Result<app_user::Model> {
    let username = check_username(&input.username)?;
    check_password(&input.password)?;
    let display_name = validate::required_text("displayName", &input.display_name, 200)?;
    let area = resolve_area(
        reference,
        input.role,
        input.province_code,
        input.commune_code,
    )?;
    if app_user::Entity::find()
        .filter(app_user::Column::Username.eq(username.clone()))
        .one(db)
        .await?
        .is_some()
    {
        return Err(AppError {
            field: Some("username".into()),
            ..AppError::conflict(Msg::new(
                format!("The username {username} is taken."),
                format!("Tên đăng nhập {username} đã có người dùng."),
            ))
        });
    }
    let hash = password::hash(input.password).await?;
    let t = now();
    Ok(app_user::ActiveModel {
        search_text: Set(text::search_text(&[Some(&username), Some(&display_name)])),
        username: Set(username),
        display_name: Set(display_name),
        password_hash: Set(hash),
        role: Set(input.role),
        province_code: Set(area.province_code),
        commune_code: Set(area.commune_code),
        is_admin: Set(input.is_admin),
        read_only: Set(input.read_only),
        active: Set(true),
        version: Set(1),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Creates a user inside the admin's area.
#[tracing::instrument(name = "user.create", skip_all, fields(role = ?input.role))]
pub async fn create(db: &impl super::Db, ctx: &Ctx, input: NewUser) -> Result<app_user::Model> {
    let actor = ctx.actor()?;
    crate::domain::scope::ensure_writer(actor)?;
    if !actor.is_admin {
        return Err(not_allowed());
    }
    let area = resolve_area(
        &ctx.reference,
        input.role,
        input.province_code.clone(),
        input.commune_code.clone(),
    )?;
    if !manages(actor, input.role, area.province_code.as_deref()) {
        return Err(AppError::forbidden(Msg::new(
            "You may only create users inside your own area and below your level.",
            "Bạn chỉ được tạo người dùng trong địa bàn và cấp của mình.",
        )));
    }
    let txn = crate::domain::begin_write(db).await?;
    let model = insert(&txn, &ctx.reference, input).await?;
    audit::record(
        &txn,
        ctx,
        "create",
        subject(&model),
        audit::diff(None, Some(&model)),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Updates a user: admins of its area may change everything; a user may change its own
/// display name and password.
#[tracing::instrument(name = "user.update", skip_all, fields(user.id = id.get()))]
pub async fn update(
    db: &impl super::Db,
    ctx: &Ctx,
    id: UserId,
    patch: UserPatch,
) -> Result<app_user::Model> {
    let actor = ctx.actor()?;
    crate::domain::scope::ensure_writer(actor)?;
    let txn = crate::domain::begin_write(db).await?;
    let before = app_user::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .filter(|u| visible(actor, u))
        .ok_or_else(|| AppError::not_found("user", "người dùng"))?;
    let role = before.role;
    let is_self = before.id == actor.user_id;
    let admin_of = manages(actor, role, before.province_code.as_deref());
    let touches_rights =
        patch.is_admin.is_some() || patch.read_only.is_some() || patch.active.is_some();
    if !(admin_of || (is_self && !touches_rights)) {
        return Err(not_allowed());
    }
    if is_self && patch.active == Some(false) {
        return Err(AppError::bad_input(
            "active",
            Msg::new(
                "You cannot deactivate your own account.",
                "Bạn không thể tự khóa tài khoản của mình.",
            ),
        ));
    }
    let mut am = before.clone().into_active_model();
    if let Some(d) = patch.display_name {
        let d = validate::required_text("displayName", &d, 200)?;
        am.search_text = Set(text::search_text(&[Some(&before.username), Some(&d)]));
        am.display_name = Set(d);
    }
    let mut revoke = false;
    if let Some(p) = patch.password {
        check_password(&p)?;
        am.password_hash = Set(password::hash(p).await?);
        revoke = true;
    }
    if let Some(a) = patch.is_admin {
        am.is_admin = Set(a);
    }
    if let Some(r) = patch.read_only {
        am.read_only = Set(r);
        revoke = true;
    }
    if let Some(a) = patch.active {
        am.active = Set(a);
        revoke |= !a;
    }
    am.version = Set(before.version + 1);
    am.updated_at = Set(now());
    let after = am.update(&txn).await?;
    // Changed rights (admin flag included) end the access tokens too: they carry the rights.
    if revoke || patch.is_admin.is_some_and(|a| a != before.is_admin) {
        // A new password or changed rights end every session: the token epoch moves on
        // (access tokens stop within seconds on every instance) and refresh tokens die.
        crate::domain::session::end_all_sessions(&txn, id).await?;
    }
    let mut changes = audit::diff(Some(&before), Some(&after));
    if revoke && before.password_hash != after.password_hash {
        changes["password"] = serde_json::json!({ "changed": true });
    }
    audit::record(&txn, ctx, "update", subject(&after), changes).await?;
    txn.commit().await?;
    Ok(after)
}

/// A user the caller may see.
#[tracing::instrument(name = "user.get", skip_all, fields(user.id = id.get()))]
pub async fn get(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    id: UserId,
) -> Result<Option<app_user::Model>> {
    let actor = ctx.actor()?;
    Ok(app_user::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|u| visible(actor, u)))
}

/// Users by id, for references from other records (an actor, a judge): these show who acted,
/// so they resolve whatever the caller's area.
#[tracing::instrument(name = "user.get_many_unscoped", skip_all, fields(count = ids.len()))]
pub async fn get_many_unscoped(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<Vec<app_user::Model>> {
    Ok(app_user::Entity::find()
        .filter(app_user::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// A page of the users the caller may see.
#[tracing::instrument(name = "user.list", skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    filter: UserFilter,
    args: &PageArgs,
) -> Result<Page<app_user::Entity>> {
    use app_user::Column as C;
    let actor = ctx.actor()?;
    let mut cond = match actor.role {
        Role::National => Condition::all(),
        Role::Province => Condition::all().add(C::ProvinceCode.eq(actor.province_code.clone())),
        Role::Commune => Condition::all().add(C::CommuneCode.eq(actor.commune_code.clone())),
    };
    if let Some(r) = filter.role {
        cond = cond.add(C::Role.eq(r));
    }
    if let Some(p) = filter.province_code {
        cond = cond.add(C::ProvinceCode.eq(p));
    }
    if let Some(c) = filter.commune_code {
        cond = cond.add(C::CommuneCode.eq(c));
    }
    if let Some(term) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        validate::required_text("search", term, 200)?;
        cond = cond.add(search_condition(C::SearchText, term));
    }
    page::fetch(
        db,
        app_user::Entity::find().filter(cond),
        C::Id,
        C::UpdatedAt,
        false,
        args,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admin(role: Role, province: Option<&str>) -> Actor {
        Actor {
            user_id: 1,
            role,
            province_code: province.map(Into::into),
            commune_code: None,
            is_admin: true,
            read_only: false,
        }
    }

    #[test]
    fn admins_manage_only_their_area_and_below() {
        let national = admin(Role::National, None);
        let province = admin(Role::Province, Some("66"));
        assert!(manages(&national, Role::National, None));
        assert!(manages(&province, Role::Commune, Some("66")));
        assert!(manages(&province, Role::Province, Some("66")));
        assert!(!manages(&province, Role::Province, Some("44")));
        assert!(!manages(&province, Role::National, None));
        let mut not_admin = province.clone();
        not_admin.is_admin = false;
        assert!(!manages(&not_admin, Role::Commune, Some("66")));
    }

    #[test]
    fn usernames_are_plain() {
        assert_eq!(check_username(" Dak.Lak_01 ").expect("ok"), "dak.lak_01");
        assert!(check_username("đắk lắk").is_err());
        assert!(check_username("ab").is_err());
    }
}
