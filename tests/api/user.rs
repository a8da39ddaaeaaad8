//! Users and their administration: who may create and update which users, what each
//! role sees, input checks, sign-in of created and deactivated users, and the audit trail.

use khuyencong::{
    db::entities::{app_user, audit_event},
    enums::Role,
    graphql::ids,
    kind::EntityKind,
};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::helpers::common::{all_pages, audit_count, row_id};
use crate::helpers::{
    PASSWORD, TestApp, TestUser, assert_code, assert_field,
    place::{BMT, DAK_LAK, DAK_LAK_OTHER, QUANG_TRI, TRUONG_PHU},
    spawn_app,
};

const CREATE: &str = "mutation($i: CreateUserInput!) { createUser(input: $i) { id username displayName role isAdmin readOnly active version province { code } commune { code } } }";
const UPDATE: &str = "mutation($id: ID!, $i: UpdateUserInput!) { updateUser(id: $id, input: $i) { id username displayName isAdmin readOnly active version } }";
const NODE: &str = "query($id: ID!) { node(id: $id) { id ... on User { username } } }";
const USERS: &str = "query($f: UserFilter, $first: Int, $after: String) { users(filter: $f, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor } nodes { id username displayName } } }";
const LOGIN: &str = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken refreshToken user { id } } }";
const REFRESH: &str = "mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken } }";

// ------------------------------------------------------------------ helpers

/// The input of a new user with the test password.
fn input(username: &str, role: &str, province: Option<&str>, commune: Option<&str>) -> Value {
    let mut i = json!({
        "username": username,
        "password": PASSWORD,
        "displayName": format!("Cán bộ {username}"),
        "role": role,
    });
    if let Some(p) = province {
        i["provinceCode"] = json!(p);
    }
    if let Some(c) = commune {
        i["communeCode"] = json!(c);
    }
    i
}

/// Sends `createUser` and returns the whole body.
async fn create(app: &TestApp, caller: &TestUser, i: Value) -> Value {
    app.gql(Some(&caller.token), CREATE, json!({ "i": i }))
        .await
}

/// Sends `createUser`, which must succeed, and returns the user.
async fn created(app: &TestApp, caller: &TestUser, i: Value) -> Value {
    app.ok(Some(&caller.token), CREATE, json!({ "i": i })).await["createUser"].clone()
}

/// Sends `updateUser` and returns the whole body.
async fn update(app: &TestApp, caller: &TestUser, id: &str, i: Value) -> Value {
    app.gql(Some(&caller.token), UPDATE, json!({ "id": id, "i": i }))
        .await
}

/// Sends `updateUser`, which must succeed, and returns the user.
async fn updated(app: &TestApp, caller: &TestUser, id: &str, i: Value) -> Value {
    app.ok(Some(&caller.token), UPDATE, json!({ "id": id, "i": i }))
        .await["updateUser"]
        .clone()
}

/// The username `node(id)` returns to the caller, or `None` when it is null.
async fn node_username(app: &TestApp, caller: &TestUser, id: &str) -> Option<String> {
    let data = app.ok(Some(&caller.token), NODE, json!({ "id": id })).await;
    data["node"]["username"].as_str().map(Into::into)
}

/// Every username the caller's `users` list holds, sorted.
async fn listed(app: &TestApp, caller: &TestUser) -> Vec<String> {
    let data = app
        .ok(Some(&caller.token), USERS, json!({ "first": 100 }))
        .await;
    assert_eq!(data["users"]["pageInfo"]["hasNextPage"], false);
    let mut names: Vec<String> = data["users"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["username"].as_str().expect("username").to_owned())
        .collect();
    names.sort();
    names
}

fn sorted_usernames(names: &[&TestUser]) -> Vec<String> {
    let mut v: Vec<String> = names.iter().map(|u| u.username.clone()).collect();
    v.sort();
    v
}

/// Signs in with a password; returns the whole body.
async fn login_with(app: &TestApp, username: &str, password: &str) -> Value {
    app.gql(None, LOGIN, json!({ "u": username, "p": password }))
        .await
}

/// The audit events of one user and action, oldest first.
async fn user_audit(app: &TestApp, user_id: i64, action: &str) -> Vec<audit_event::Model> {
    crate::helpers::common::audit_rows(app, "User", user_id)
        .await
        .into_iter()
        .filter(|r| r.action == action)
        .collect()
}

async fn user_count(app: &TestApp) -> u64 {
    app_user::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count")
}

async fn national_admin(app: &TestApp) -> TestUser {
    app.user(Role::National, None, None, true, false).await
}

async fn province_admin(app: &TestApp, province: &str) -> TestUser {
    app.user(Role::Province, Some(province), None, true, false)
        .await
}

async fn commune_admin(app: &TestApp, commune: &str) -> TestUser {
    app.user(Role::Commune, None, Some(commune), true, false)
        .await
}

/// One user in each kind of place: the nation, two provinces and three communes.
struct Cast {
    national: TestUser,
    dak_lak: TestUser,
    quang_tri: TestUser,
    bmt: TestUser,
    bmt_peer: TestUser,
    dak_lak_other: TestUser,
    truong_phu: TestUser,
}

impl Cast {
    async fn new(app: &TestApp) -> Self {
        Self {
            national: app.national().await,
            dak_lak: app.province(DAK_LAK).await,
            quang_tri: app.province(QUANG_TRI).await,
            bmt: app.commune(BMT).await,
            bmt_peer: app.commune(BMT).await,
            dak_lak_other: app.commune(DAK_LAK_OTHER).await,
            truong_phu: app.commune(TRUONG_PHU).await,
        }
    }

    fn all(&self) -> [&TestUser; 7] {
        [
            &self.national,
            &self.dak_lak,
            &self.quang_tri,
            &self.bmt,
            &self.bmt_peer,
            &self.dak_lak_other,
            &self.truong_phu,
        ]
    }
}

/// Asserts that `caller` sees exactly `visible` among the cast, through `node` and `users`.
async fn assert_sees(app: &TestApp, cast: &Cast, caller: &TestUser, visible: &[&TestUser]) {
    for u in cast.all() {
        let expected = visible
            .iter()
            .any(|v| v.username == u.username)
            .then(|| u.username.clone());
        assert_eq!(
            node_username(app, caller, &u.id).await,
            expected,
            "{} looking at {} through node",
            caller.username,
            u.username
        );
    }
    assert_eq!(
        listed(app, caller).await,
        sorted_usernames(visible),
        "users listed for {}",
        caller.username
    );
}

// ------------------------------------------------------------------ create: who may

#[tokio::test]
async fn a_national_admin_creates_users_of_every_role_anywhere() {
    let app = spawn_app().await;
    let admin = national_admin(&app).await;

    let n = created(
        &app,
        &admin,
        input("bo.cong.thuong", "NATIONAL", None, None),
    )
    .await;
    assert_eq!(n["role"], "NATIONAL");
    assert_eq!(n["province"], Value::Null);
    assert_eq!(n["commune"], Value::Null);

    let mut i = input("so.quang.tri", "PROVINCE", Some(QUANG_TRI), None);
    i["isAdmin"] = json!(true);
    let p = created(&app, &admin, i).await;
    assert_eq!(p["role"], "PROVINCE");
    assert_eq!(p["province"]["code"], QUANG_TRI);
    assert_eq!(p["isAdmin"], true);
    assert_eq!(p["readOnly"], false);
    assert_eq!(p["active"], true);
    assert_eq!(p["version"], 1);

    let mut i = input(
        "xa.truong.phu",
        "COMMUNE",
        Some(QUANG_TRI),
        Some(TRUONG_PHU),
    );
    i["readOnly"] = json!(true);
    let c = created(&app, &admin, i).await;
    assert_eq!(c["role"], "COMMUNE");
    assert_eq!(c["commune"]["code"], TRUONG_PHU);
    assert_eq!(c["province"]["code"], QUANG_TRI);
    assert_eq!(c["isAdmin"], false);
    assert_eq!(c["readOnly"], true);
    assert_eq!(c["displayName"], "Cán bộ xa.truong.phu");
}

#[tokio::test]
async fn a_province_admin_creates_province_and_commune_users_of_its_province() {
    let app = spawn_app().await;
    let admin = province_admin(&app, DAK_LAK).await;

    let p = created(
        &app,
        &admin,
        input("so.dak.lak.2", "PROVINCE", Some(DAK_LAK), None),
    )
    .await;
    assert_eq!(p["province"]["code"], DAK_LAK);
    let c = created(
        &app,
        &admin,
        input("phuong.bmt", "COMMUNE", None, Some(BMT)),
    )
    .await;
    assert_eq!(c["commune"]["code"], BMT);
    let c2 = created(
        &app,
        &admin,
        input("xa.khac", "COMMUNE", Some(DAK_LAK), Some(DAK_LAK_OTHER)),
    )
    .await;
    assert_eq!(c2["commune"]["code"], DAK_LAK_OTHER);
    assert_eq!(c2["province"]["code"], DAK_LAK);
}

#[tokio::test]
async fn a_province_admin_may_not_create_a_national_user() {
    let app = spawn_app().await;
    let admin = province_admin(&app, DAK_LAK).await;
    let body = create(
        &app,
        &admin,
        input("len.trung.uong", "NATIONAL", None, None),
    )
    .await;
    assert_code(&body, "FORBIDDEN");
    assert_code(
        &login_with(&app, "len.trung.uong", PASSWORD).await,
        "UNAUTHENTICATED",
    );
}

#[tokio::test]
async fn a_province_admin_may_not_create_users_of_another_province() {
    let app = spawn_app().await;
    let admin = province_admin(&app, DAK_LAK).await;
    let users_before = user_count(&app).await;

    let body = create(
        &app,
        &admin,
        input("so.khac", "PROVINCE", Some(QUANG_TRI), None),
    )
    .await;
    assert_code(&body, "FORBIDDEN");
    let body = create(
        &app,
        &admin,
        input("xa.khac", "COMMUNE", None, Some(TRUONG_PHU)),
    )
    .await;
    assert_code(&body, "FORBIDDEN");
    let body = create(
        &app,
        &admin,
        input("xa.khac2", "COMMUNE", Some(QUANG_TRI), Some(TRUONG_PHU)),
    )
    .await;
    assert_code(&body, "FORBIDDEN");

    assert_eq!(user_count(&app).await, users_before, "nothing was created");
}

#[tokio::test]
async fn a_commune_admin_may_not_create_users_even_in_its_own_commune() {
    let app = spawn_app().await;
    let admin = commune_admin(&app, BMT).await;
    let body = create(
        &app,
        &admin,
        input("can.bo.bmt", "COMMUNE", None, Some(BMT)),
    )
    .await;
    assert_code(&body, "FORBIDDEN");
    let body = create(
        &app,
        &admin,
        input("so.dak.lak", "PROVINCE", Some(DAK_LAK), None),
    )
    .await;
    assert_code(&body, "FORBIDDEN");
}

#[tokio::test]
async fn users_who_are_not_admins_may_not_create_users() {
    let app = spawn_app().await;
    let national = app.national().await;
    let province = app.province(DAK_LAK).await;
    let commune = app.commune(BMT).await;
    for (caller, i) in [
        (&national, input("a.national", "NATIONAL", None, None)),
        (
            &national,
            input("a.province", "PROVINCE", Some(DAK_LAK), None),
        ),
        (
            &province,
            input("b.province", "PROVINCE", Some(DAK_LAK), None),
        ),
        (&province, input("b.commune", "COMMUNE", None, Some(BMT))),
        (&commune, input("c.commune", "COMMUNE", None, Some(BMT))),
    ] {
        let body = create(&app, caller, i).await;
        assert_code(&body, "FORBIDDEN");
    }
}

#[tokio::test]
async fn a_read_only_admin_may_not_create_or_update_users() {
    let app = spawn_app().await;
    let national_ro = app.user(Role::National, None, None, true, true).await;
    let province_ro = app
        .user(Role::Province, Some(DAK_LAK), None, true, true)
        .await;
    let target = app.commune(BMT).await;

    for caller in [&national_ro, &province_ro] {
        let body = create(&app, caller, input("ro.tao", "COMMUNE", None, Some(BMT))).await;
        assert_code(&body, "FORBIDDEN");
        let body = update(
            &app,
            caller,
            &target.id,
            json!({ "displayName": "Đổi tên" }),
        )
        .await;
        assert_code(&body, "FORBIDDEN");
        let body = update(&app, caller, &caller.id, json!({ "displayName": "Tự đổi" })).await;
        assert_code(&body, "FORBIDDEN");
    }
}

#[tokio::test]
async fn anonymous_callers_may_not_create_list_or_update_users() {
    let app = spawn_app().await;
    let target = app.commune(BMT).await;
    let body = app
        .gql(
            None,
            CREATE,
            json!({ "i": input("khach", "NATIONAL", None, None) }),
        )
        .await;
    assert_code(&body, "UNAUTHENTICATED");
    let body = app.gql(None, USERS, json!({})).await;
    assert_code(&body, "UNAUTHENTICATED");
    let body = app
        .gql(
            None,
            UPDATE,
            json!({ "id": target.id, "i": { "displayName": "x" } }),
        )
        .await;
    assert_code(&body, "UNAUTHENTICATED");
}

// ------------------------------------------------------------------ create: input checks

#[tokio::test]
async fn usernames_must_have_3_to_64_plain_characters() {
    let app = spawn_app().await;
    let admin = national_admin(&app).await;
    for bad in [
        "ab",
        "  ab  ",
        "nguyễn",
        "has space",
        "a/b",
        "semi;colon",
        "@home",
    ] {
        let body = create(&app, &admin, input(bad, "NATIONAL", None, None)).await;
        assert_field(&body, "username");
    }
    let three = created(&app, &admin, input("abc", "NATIONAL", None, None)).await;
    assert_eq!(three["username"], "abc");
    let sixty_four = "a".repeat(64);
    let long = created(&app, &admin, input(&sixty_four, "NATIONAL", None, None)).await;
    assert_eq!(long["username"], sixty_four);
    let mixed = created(&app, &admin, input("Dak.Lak_01-x", "NATIONAL", None, None)).await;
    assert_eq!(
        mixed["username"], "dak.lak_01-x",
        "usernames are kept in lower case"
    );
}

#[tokio::test]
async fn a_username_over_64_characters_is_refused_naming_the_username_field() {
    let app = spawn_app().await;
    let admin = national_admin(&app).await;
    let body = create(&app, &admin, input(&"a".repeat(65), "NATIONAL", None, None)).await;
    assert_field(&body, "username");
}

#[tokio::test]
async fn passwords_must_have_10_to_200_characters() {
    let app = spawn_app().await;
    let admin = national_admin(&app).await;

    let mut i = input("ngan.qua", "NATIONAL", None, None);
    i["password"] = json!("123456789");
    assert_field(&create(&app, &admin, i).await, "password");
    let mut i = input("rong", "NATIONAL", None, None);
    i["password"] = json!("");
    assert_field(&create(&app, &admin, i).await, "password");

    // Characters, not bytes: ten Vietnamese letters are enough.
    let mut i = input("muoi.ky.tu", "NATIONAL", None, None);
    i["password"] = json!("mậtkhẩuđủá");
    created(&app, &admin, i).await;
    let mut i = input("hai.tram", "NATIONAL", None, None);
    i["password"] = json!("p".repeat(200));
    created(&app, &admin, i).await;
    let long = login_with(&app, "hai.tram", &"p".repeat(200)).await;
    assert!(long["data"]["login"]["user"]["id"].is_string(), "{long:#}");

    let target = app.national().await;
    let body = update(&app, &admin, &target.id, json!({ "password": "short" })).await;
    assert_field(&body, "password");
}

#[tokio::test]
async fn a_password_over_200_characters_is_refused_naming_the_password_field() {
    let app = spawn_app().await;
    let admin = national_admin(&app).await;
    let mut i = input("qua.dai", "NATIONAL", None, None);
    i["password"] = json!("p".repeat(201));
    assert_field(&create(&app, &admin, i).await, "password");
}

#[tokio::test]
async fn a_province_user_needs_a_known_province_code() {
    let app = spawn_app().await;
    let admin = national_admin(&app).await;
    let body = create(&app, &admin, input("so.thieu", "PROVINCE", None, None)).await;
    assert_field(&body, "provinceCode");
    let body = create(&app, &admin, input("so.la", "PROVINCE", Some("99"), None)).await;
    assert_field(&body, "provinceCode");
    let body = create(
        &app,
        &admin,
        input("so.co.xa", "PROVINCE", Some(DAK_LAK), Some(BMT)),
    )
    .await;
    assert_field(&body, "communeCode");
}

#[tokio::test]
async fn a_commune_user_needs_a_known_commune_code() {
    let app = spawn_app().await;
    let admin = national_admin(&app).await;
    let body = create(
        &app,
        &admin,
        input("xa.thieu", "COMMUNE", Some(DAK_LAK), None),
    )
    .await;
    assert_field(&body, "communeCode");
    let body = create(&app, &admin, input("xa.la", "COMMUNE", None, Some("99999"))).await;
    assert_field(&body, "communeCode");
}

#[tokio::test]
async fn a_national_user_may_not_have_a_province_code() {
    let app = spawn_app().await;
    let admin = national_admin(&app).await;
    let body = create(
        &app,
        &admin,
        input("tw.co.tinh", "NATIONAL", Some(DAK_LAK), None),
    )
    .await;
    assert_field(&body, "provinceCode");
}

#[tokio::test]
async fn a_commune_outside_the_given_province_is_refused() {
    let app = spawn_app().await;
    let admin = national_admin(&app).await;
    let body = create(
        &app,
        &admin,
        input("xa.lech", "COMMUNE", Some(DAK_LAK), Some(TRUONG_PHU)),
    )
    .await;
    assert_code(&body, "BAD_USER_INPUT");
    let field = body["errors"][0]["extensions"]["field"].as_str();
    assert!(
        matches!(field, Some("provinceCode") | Some("communeCode")),
        "{body:#}"
    );
    // The same for a province admin in whose province the stated province lies.
    let province = province_admin(&app, DAK_LAK).await;
    let body = create(
        &app,
        &province,
        input("xa.lech2", "COMMUNE", Some(DAK_LAK), Some(TRUONG_PHU)),
    )
    .await;
    assert_code(&body, "BAD_USER_INPUT");
}

#[tokio::test]
async fn a_duplicate_username_is_a_conflict() {
    let app = spawn_app().await;
    let admin = national_admin(&app).await;
    created(&app, &admin, input("trung.ten", "NATIONAL", None, None)).await;
    let users_before = user_count(&app).await;
    let body = create(
        &app,
        &admin,
        input("trung.ten", "PROVINCE", Some(DAK_LAK), None),
    )
    .await;
    assert_code(&body, "CONFLICT");
    let body = create(&app, &admin, input("Trung.Ten", "NATIONAL", None, None)).await;
    assert_code(&body, "CONFLICT");
    assert_eq!(user_count(&app).await, users_before);
}

#[tokio::test]
async fn a_commune_user_created_with_only_its_commune_gets_its_province() {
    let app = spawn_app().await;
    let admin = national_admin(&app).await;
    let c = created(&app, &admin, input("chi.xa", "COMMUNE", None, Some(BMT))).await;
    assert_eq!(c["commune"]["code"], BMT);
    assert_eq!(c["province"]["code"], DAK_LAK);

    // …which puts it inside its province's area.
    let province = app.province(DAK_LAK).await;
    assert_eq!(
        node_username(&app, &province, c["id"].as_str().expect("id")).await,
        Some("chi.xa".into())
    );
}

#[tokio::test]
async fn a_created_user_can_sign_in_with_its_password() {
    let app = spawn_app().await;
    let admin = province_admin(&app, DAK_LAK).await;
    let mut i = input("dang.nhap", "COMMUNE", None, Some(BMT));
    i["isAdmin"] = json!(true);
    let c = created(&app, &admin, i).await;

    let me = app.login("dang.nhap").await;
    assert_eq!(me.id, c["id"]);
    let data = app
        .ok(
            Some(&me.token),
            "{ me { id username role isAdmin readOnly active province { code } commune { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["me"]["username"], "dang.nhap");
    assert_eq!(data["me"]["role"], "COMMUNE");
    assert_eq!(data["me"]["isAdmin"], true);
    assert_eq!(data["me"]["commune"]["code"], BMT);
    assert_eq!(data["me"]["province"]["code"], DAK_LAK);

    let wrong = login_with(&app, "dang.nhap", "sai-mat-khau-roi").await;
    assert_code(&wrong, "UNAUTHENTICATED");
}

// ------------------------------------------------------------------ update: who may

#[tokio::test]
async fn a_national_admin_updates_any_user() {
    let app = spawn_app().await;
    let admin = national_admin(&app).await;
    let cast = Cast::new(&app).await;
    for u in cast.all() {
        let after = updated(
            &app,
            &admin,
            &u.id,
            json!({ "displayName": "Tên mới", "isAdmin": true, "readOnly": true }),
        )
        .await;
        assert_eq!(after["displayName"], "Tên mới", "{}", u.username);
        assert_eq!(after["isAdmin"], true);
        assert_eq!(after["readOnly"], true);
        assert_eq!(after["version"], 2);
    }
}

#[tokio::test]
async fn a_province_admin_updates_province_and_commune_users_of_its_province() {
    let app = spawn_app().await;
    let admin = province_admin(&app, DAK_LAK).await;
    let cast = Cast::new(&app).await;
    for u in [&cast.dak_lak, &cast.bmt, &cast.dak_lak_other] {
        let after = updated(
            &app,
            &admin,
            &u.id,
            json!({ "displayName": "Cán bộ Đắk Lắk", "isAdmin": true }),
        )
        .await;
        assert_eq!(after["displayName"], "Cán bộ Đắk Lắk", "{}", u.username);
        assert_eq!(after["isAdmin"], true);
        let after = updated(&app, &admin, &u.id, json!({ "active": false })).await;
        assert_eq!(after["active"], false);
        assert_eq!(after["version"], 3);
    }
}

#[tokio::test]
async fn users_outside_a_province_admins_area_are_not_found_for_update() {
    let app = spawn_app().await;
    let admin = province_admin(&app, DAK_LAK).await;
    let cast = Cast::new(&app).await;
    let national_admin = national_admin(&app).await;
    for u in [
        &cast.national,
        &national_admin,
        &cast.quang_tri,
        &cast.truong_phu,
    ] {
        let body = update(&app, &admin, &u.id, json!({ "displayName": "Chiếm quyền" })).await;
        assert_code(&body, "NOT_FOUND");
        let body = update(&app, &admin, &u.id, json!({ "active": false })).await;
        assert_code(&body, "NOT_FOUND");
    }
    // Nothing changed: they still sign in.
    app.login(&cast.quang_tri.username).await;
    app.login(&cast.national.username).await;
}

#[tokio::test]
async fn a_commune_admin_may_not_update_other_users() {
    let app = spawn_app().await;
    let admin = commune_admin(&app, BMT).await;
    let cast = Cast::new(&app).await;
    // Inside its commune: it sees them but may not manage them.
    let body = update(&app, &admin, &cast.bmt.id, json!({ "displayName": "x y" })).await;
    assert_code(&body, "FORBIDDEN");
    let body = update(&app, &admin, &cast.bmt.id, json!({ "active": false })).await;
    assert_code(&body, "FORBIDDEN");
    // Outside its commune: they do not exist for it.
    for u in [
        &cast.dak_lak,
        &cast.dak_lak_other,
        &cast.truong_phu,
        &cast.national,
    ] {
        let body = update(&app, &admin, &u.id, json!({ "displayName": "x y" })).await;
        assert_code(&body, "NOT_FOUND");
    }
}

#[tokio::test]
async fn a_non_admin_may_not_update_other_users_of_its_area() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    // A national non-admin sees everyone and manages no one.
    for u in [&cast.dak_lak, &cast.bmt, &cast.quang_tri] {
        let body = update(&app, &cast.national, &u.id, json!({ "displayName": "x y" })).await;
        assert_code(&body, "FORBIDDEN");
    }
    // A province non-admin likewise inside its province, and NOT_FOUND outside it.
    for u in [&cast.bmt, &cast.dak_lak_other] {
        let body = update(&app, &cast.dak_lak, &u.id, json!({ "isAdmin": true })).await;
        assert_code(&body, "FORBIDDEN");
    }
    let body = update(
        &app,
        &cast.dak_lak,
        &cast.truong_phu.id,
        json!({ "isAdmin": true }),
    )
    .await;
    assert_code(&body, "NOT_FOUND");
    // A commune non-admin and its peer.
    let body = update(
        &app,
        &cast.bmt,
        &cast.bmt_peer.id,
        json!({ "active": false }),
    )
    .await;
    assert_code(&body, "FORBIDDEN");
}

#[tokio::test]
async fn a_user_changes_its_own_display_name_and_password() {
    let app = spawn_app().await;
    let me = app.commune(BMT).await;
    let after = updated(&app, &me, &me.id, json!({ "displayName": "Tên của tôi" })).await;
    assert_eq!(after["displayName"], "Tên của tôi");
    assert_eq!(after["version"], 2);

    let new_password = "mat-khau-moi-rat-dai";
    updated(&app, &me, &me.id, json!({ "password": new_password })).await;
    assert_code(
        &login_with(&app, &me.username, PASSWORD).await,
        "UNAUTHENTICATED",
    );
    let fresh = login_with(&app, &me.username, new_password).await;
    assert!(
        fresh["data"]["login"]["accessToken"].is_string(),
        "{fresh:#}"
    );
    // A new password ends the sessions opened with the old one.
    let body = app.gql(None, REFRESH, json!({ "r": me.refresh })).await;
    assert_code(&body, "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_user_may_not_change_its_own_admin_read_only_or_active_flags() {
    let app = spawn_app().await;
    let commune = app.commune(BMT).await;
    let commune_admin = commune_admin(&app, BMT).await;
    let province = app.province(DAK_LAK).await;
    for me in [&commune, &commune_admin, &province] {
        for patch in [
            json!({ "isAdmin": true }),
            json!({ "isAdmin": false }),
            json!({ "readOnly": false }),
            json!({ "active": true }),
            json!({ "displayName": "Tên", "isAdmin": true }),
        ] {
            let body = update(&app, me, &me.id, patch.clone()).await;
            assert_code(&body, "FORBIDDEN");
        }
    }
    let data = app
        .ok(
            Some(&commune.token),
            "{ me { isAdmin displayName version } }",
            json!({}),
        )
        .await;
    assert_eq!(data["me"]["isAdmin"], false);
    assert_eq!(data["me"]["version"], 1, "a refused update changes nothing");
}

#[tokio::test]
async fn an_admin_may_not_deactivate_itself() {
    let app = spawn_app().await;
    for admin in [
        national_admin(&app).await,
        province_admin(&app, DAK_LAK).await,
    ] {
        let body = update(&app, &admin, &admin.id, json!({ "active": false })).await;
        assert_field(&body, "active");
        app.login(&admin.username).await;
    }
}

#[tokio::test]
async fn a_deactivated_user_cannot_sign_in_until_reactivated() {
    let app = spawn_app().await;
    let admin = province_admin(&app, DAK_LAK).await;
    let target = app.commune(BMT).await;

    let after = updated(&app, &admin, &target.id, json!({ "active": false })).await;
    assert_eq!(after["active"], false);
    assert_code(
        &login_with(&app, &target.username, PASSWORD).await,
        "UNAUTHENTICATED",
    );
    let body = app.gql(None, REFRESH, json!({ "r": target.refresh })).await;
    assert_code(&body, "UNAUTHENTICATED");

    let after = updated(&app, &admin, &target.id, json!({ "active": true })).await;
    assert_eq!(after["active"], true);
    app.login(&target.username).await;
}

#[tokio::test]
async fn updating_an_unknown_user_is_not_found() {
    let app = spawn_app().await;
    let admin = national_admin(&app).await;
    let missing = ids::encode(EntityKind::User, 987_654).0;
    assert_code(
        &update(&app, &admin, &missing, json!({ "displayName": "x y" })).await,
        "NOT_FOUND",
    );
    assert_code(
        &update(&app, &admin, "not-an-id", json!({ "displayName": "x y" })).await,
        "NOT_FOUND",
    );
    let other_kind = ids::encode(EntityKind::Establishment, row_id(&admin.id)).0;
    assert_code(
        &update(&app, &admin, &other_kind, json!({ "displayName": "x y" })).await,
        "NOT_FOUND",
    );
}

// ------------------------------------------------------------------ read: scope

#[tokio::test]
async fn a_national_user_sees_every_user() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let all = cast.all();
    assert_sees(&app, &cast, &cast.national, &all).await;
}

#[tokio::test]
async fn a_province_user_sees_only_users_of_its_province_and_its_communes() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    assert_sees(
        &app,
        &cast,
        &cast.dak_lak,
        &[
            &cast.dak_lak,
            &cast.bmt,
            &cast.bmt_peer,
            &cast.dak_lak_other,
        ],
    )
    .await;
    assert_sees(
        &app,
        &cast,
        &cast.quang_tri,
        &[&cast.quang_tri, &cast.truong_phu],
    )
    .await;
}

#[tokio::test]
async fn a_commune_user_sees_only_users_of_its_commune() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    assert_sees(&app, &cast, &cast.bmt, &[&cast.bmt, &cast.bmt_peer]).await;
    assert_sees(&app, &cast, &cast.dak_lak_other, &[&cast.dak_lak_other]).await;
    assert_sees(&app, &cast, &cast.truong_phu, &[&cast.truong_phu]).await;
}

#[tokio::test]
async fn list_filters_do_not_widen_the_callers_area() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let data = app
        .ok(
            Some(&cast.dak_lak.token),
            USERS,
            json!({ "f": { "provinceCode": QUANG_TRI } }),
        )
        .await;
    assert_eq!(data["users"]["totalCount"], 0, "{data:#}");
    let data = app
        .ok(
            Some(&cast.bmt.token),
            USERS,
            json!({ "f": { "communeCode": TRUONG_PHU } }),
        )
        .await;
    assert_eq!(data["users"]["totalCount"], 0, "{data:#}");
    let data = app
        .ok(
            Some(&cast.national.token),
            USERS,
            json!({ "f": { "role": "COMMUNE", "provinceCode": DAK_LAK } }),
        )
        .await;
    assert_eq!(data["users"]["totalCount"], 3, "{data:#}");
}

#[tokio::test]
async fn user_search_ignores_case_and_diacritics() {
    let app = spawn_app().await;
    let admin = national_admin(&app).await;
    let mut i = input("an.nguyen", "PROVINCE", Some(DAK_LAK), None);
    i["displayName"] = json!("Nguyễn Văn An");
    created(&app, &admin, i).await;
    let mut i = input("binh.tran", "PROVINCE", Some(DAK_LAK), None);
    i["displayName"] = json!("Trần Thị Bình");
    created(&app, &admin, i).await;

    for term in ["nguyen van", "Nguyễn Văn", "NGUYEN VAN AN"] {
        let data = app
            .ok(
                Some(&admin.token),
                USERS,
                json!({ "f": { "search": term } }),
            )
            .await;
        assert_eq!(data["users"]["totalCount"], 1, "{term}: {data:#}");
        assert_eq!(data["users"]["nodes"][0]["displayName"], "Nguyễn Văn An");
    }
    let data = app
        .ok(
            Some(&admin.token),
            USERS,
            json!({ "f": { "search": "thi binh" } }),
        )
        .await;
    assert_eq!(
        data["users"]["nodes"][0]["username"], "binh.tran",
        "{data:#}"
    );
    assert_eq!(data["users"]["totalCount"], 1);
}

#[tokio::test]
async fn users_are_paged_with_first_after_and_total_count() {
    let app = spawn_app().await;
    let admin = national_admin(&app).await;
    for n in 0..5 {
        created(
            &app,
            &admin,
            input(&format!("trang.{n}"), "PROVINCE", Some(QUANG_TRI), None),
        )
        .await;
    }
    let filter = json!({ "provinceCode": QUANG_TRI });
    let pages = all_pages(async |after| {
        let vars = json!({ "f": filter, "first": 2, "after": after });
        app.ok(Some(&admin.token), USERS, vars).await["users"].clone()
    })
    .await;
    assert_eq!(pages.len(), 3);
    let mut seen = Vec::new();
    for page in &pages {
        assert_eq!(page["totalCount"], 5);
        let nodes = page["nodes"].as_array().expect("nodes");
        assert!(nodes.len() <= 2);
        assert_eq!(page["edges"].as_array().expect("edges").len(), nodes.len());
        seen.extend(
            nodes
                .iter()
                .map(|n| n["username"].as_str().expect("u").to_owned()),
        );
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 5, "every user once: {seen:?}");

    let body = app
        .gql(Some(&admin.token), USERS, json!({ "first": 101 }))
        .await;
    assert_code(&body, "BAD_USER_INPUT");
}

// ------------------------------------------------------------------ audit

#[tokio::test]
async fn creating_a_user_writes_an_audit_event_without_the_password() {
    let app = spawn_app().await;
    let admin = province_admin(&app, DAK_LAK).await;
    let c = created(&app, &admin, input("kiem.toan", "COMMUNE", None, Some(BMT))).await;
    let id = row_id(c["id"].as_str().expect("id"));

    let rows = user_audit(&app, id, "create").await;
    assert_eq!(rows.len(), 1, "{rows:#?}");
    let row = &rows[0];
    assert_eq!(row.actor_id, Some(row_id(&admin.id)));
    assert_eq!(row.actor_role, Some(Role::Province));
    assert_eq!(row.province_code.as_deref(), Some(DAK_LAK));
    assert_eq!(row.commune_code.as_deref(), Some(BMT));
    assert!(row.changes.contains("kiem.toan"), "{}", row.changes);
    assert!(!row.changes.contains(PASSWORD), "{}", row.changes);
    assert!(
        !row.changes.to_lowercase().contains("argon2"),
        "{}",
        row.changes
    );
}

#[tokio::test]
async fn updating_a_user_writes_an_audit_event_without_the_password() {
    let app = spawn_app().await;
    let admin = national_admin(&app).await;
    let target = app.province(DAK_LAK).await;
    let new_password = "mot-mat-khau-moi-123";
    updated(
        &app,
        &admin,
        &target.id,
        json!({ "displayName": "Tên đã đổi", "password": new_password, "readOnly": true }),
    )
    .await;

    let rows = user_audit(&app, row_id(&target.id), "update").await;
    assert_eq!(rows.len(), 1, "{rows:#?}");
    let row = &rows[0];
    assert_eq!(row.actor_id, Some(row_id(&admin.id)));
    assert_eq!(row.actor_role, Some(Role::National));
    let changes: Value = serde_json::from_str(&row.changes).expect("JSON changes");
    assert_eq!(
        changes["display_name"]["after"], "Tên đã đổi",
        "{changes:#}"
    );
    assert_eq!(changes["read_only"]["after"], true, "{changes:#}");
    assert!(!row.changes.contains(new_password), "{}", row.changes);
    assert!(!row.changes.contains(PASSWORD), "{}", row.changes);
    assert!(
        !row.changes.to_lowercase().contains("argon2"),
        "{}",
        row.changes
    );

    // A user changing its own password is audited the same way.
    let own = "mat-khau-cua-rieng-toi";
    updated(&app, &admin, &admin.id, json!({ "password": own })).await;
    let rows = user_audit(&app, row_id(&admin.id), "update").await;
    assert_eq!(rows.len(), 1);
    assert!(!rows[0].changes.contains(own), "{}", rows[0].changes);
    assert!(!rows[0].changes.to_lowercase().contains("argon2"));
}

#[tokio::test]
async fn a_refused_create_or_update_writes_no_audit_event() {
    let app = spawn_app().await;
    let province = province_admin(&app, DAK_LAK).await;
    let commune = commune_admin(&app, BMT).await;
    let outsider = app.province(QUANG_TRI).await;
    let before = audit_count(&app).await;
    assert_code(
        &create(
            &app,
            &province,
            input("ngoai", "PROVINCE", Some(QUANG_TRI), None),
        )
        .await,
        "FORBIDDEN",
    );
    assert_code(
        &create(&app, &commune, input("trong", "COMMUNE", None, Some(BMT))).await,
        "FORBIDDEN",
    );
    assert_code(
        &update(
            &app,
            &province,
            &outsider.id,
            json!({ "displayName": "x y" }),
        )
        .await,
        "NOT_FOUND",
    );
    assert_eq!(audit_count(&app).await, before);
}
