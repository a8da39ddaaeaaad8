//! Authentication: sign-in, access tokens and their claims, refresh-token rotation
//! with reuse detection, sign-out, the login rate limit, localized errors and read-only
//! accounts. Every test goes through `POST /graphql` on its own app.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use khuyencong::enums::Role;
use serde_json::{Value, json};

use crate::helpers::common::row_id;
use crate::helpers::{
    JWT_SECRET, PASSWORD, TestApp, TestUser, assert_code, place, spawn_app, spawn_app_with,
};

const LOGIN: &str = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken refreshToken expiresAt user { id username role } } }";
const REFRESH: &str = "mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken refreshToken expiresAt user { id username } } }";
const LOGOUT: &str = "mutation($r: String!) { logout(refreshToken: $r) }";
const ME: &str = "{ me { id username role isAdmin readOnly province { code } commune { code } } }";
const ESTABLISHMENTS: &str = "{ establishments { totalCount } }";
const UPDATE_USER: &str =
    "mutation($id: ID!, $i: UpdateUserInput!) { updateUser(id: $id, input: $i) { id active } }";

// ---------------------------------------------------------------------------------------------
// Token helpers

/// The JSON payload of a JWT, read without verifying anything.
fn payload(token: &str) -> Value {
    let segment = token
        .split('.')
        .nth(1)
        .expect("a JWT has a payload segment");
    let bytes = URL_SAFE_NO_PAD.decode(segment).expect("base64url payload");
    serde_json::from_slice(&bytes).expect("JSON payload")
}

/// Valid claims for a national, writable user `user_id`, expiring `exp_in` from now.
fn claims(user_id: i64, exp_in: Duration) -> Value {
    let now = Utc::now();
    let iat = if exp_in < Duration::zero() {
        now + exp_in - Duration::minutes(15)
    } else {
        now
    };
    json!({
        "sub": user_id.to_string(),
        "role": "NATIONAL",
        "province": null,
        "commune": null,
        "admin": false,
        "ro": false,
        "exp": (now + exp_in).timestamp(),
        "iat": iat.timestamp(),
    })
}

/// Signs claims with HS256 and `secret`.
fn sign(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("token signed")
}

async fn login(app: &TestApp, username: &str, password: &str) -> Value {
    app.gql(None, LOGIN, json!({ "u": username, "p": password }))
        .await
}

async fn refresh(app: &TestApp, refresh_token: &str) -> Value {
    app.gql(None, REFRESH, json!({ "r": refresh_token })).await
}

/// The username `me` reports for a token (panics on errors).
async fn me_username(app: &TestApp, token: &str) -> Value {
    app.ok(Some(token), ME, json!({})).await["me"]["username"].clone()
}

// ---------------------------------------------------------------------------------------------
// Sign-in

#[tokio::test]
async fn login_with_the_right_password_returns_tokens_and_the_user() {
    let app = spawn_app().await;
    let user = app.province(place::DAK_LAK).await;

    let body = login(&app, &user.username, PASSWORD).await;
    assert!(body.get("errors").is_none(), "{body:#}");
    let p = &body["data"]["login"];
    let access = p["accessToken"].as_str().expect("accessToken");
    let refresh = p["refreshToken"].as_str().expect("refreshToken");
    assert_eq!(access.split('.').count(), 3, "a JWT");
    assert!(refresh.len() >= 32, "a long random refresh token");
    assert_ne!(access, refresh);
    assert_eq!(p["user"]["username"], user.username.as_str());
    assert_eq!(p["user"]["id"], user.id.as_str());
    assert_eq!(p["user"]["role"], "PROVINCE");

    let expires: DateTime<Utc> = p["expiresAt"]
        .as_str()
        .expect("expiresAt")
        .parse()
        .expect("RFC 3339");
    let left = expires - Utc::now();
    assert!(
        left > Duration::minutes(14) && left <= Duration::minutes(15) + Duration::seconds(5),
        "access tokens live 15 minutes, left: {left}"
    );

    let me = app.ok(Some(access), ME, json!({})).await;
    assert_eq!(me["me"]["id"], user.id.as_str());
    assert_eq!(me["me"]["username"], user.username.as_str());
    assert_eq!(me["me"]["role"], "PROVINCE");
    assert_eq!(me["me"]["province"]["code"], place::DAK_LAK);
}

#[tokio::test]
async fn login_ignores_the_case_of_the_username() {
    let app = spawn_app().await;
    let user = app.national().await;
    let body = login(&app, &user.username.to_uppercase(), PASSWORD).await;
    assert!(body.get("errors").is_none(), "{body:#}");
    assert_eq!(body["data"]["login"]["user"]["id"], user.id.as_str());
}

#[tokio::test]
async fn me_without_a_token_is_null() {
    let app = spawn_app().await;
    let data = app.ok(None, ME, json!({})).await;
    assert!(data["me"].is_null(), "{data:#}");
}

#[tokio::test]
async fn establishments_without_a_token_are_unauthenticated() {
    let app = spawn_app().await;
    let body = app.gql(None, ESTABLISHMENTS, json!({})).await;
    assert_code(&body, "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_wrong_password_is_unauthenticated() {
    let app = spawn_app().await;
    let user = app.national().await;
    let body = login(&app, &user.username, "not-the-right-password").await;
    assert_code(&body, "UNAUTHENTICATED");
    assert!(
        body["data"].is_null() || body["data"]["login"].is_null(),
        "{body:#}"
    );
}

#[tokio::test]
async fn an_unknown_user_is_unauthenticated() {
    let app = spawn_app().await;
    let body = login(&app, "nobody-by-this-name", PASSWORD).await;
    assert_code(&body, "UNAUTHENTICATED");
}

#[tokio::test]
async fn an_unknown_user_and_a_wrong_password_get_the_same_message() {
    let app = spawn_app().await;
    let user = app.national().await;
    let wrong = login(&app, &user.username, "not-the-right-password").await;
    let unknown = login(&app, "nobody-by-this-name", PASSWORD).await;
    assert_code(&wrong, "UNAUTHENTICATED");
    assert_code(&unknown, "UNAUTHENTICATED");
    assert_eq!(
        wrong["errors"][0]["message"], unknown["errors"][0]["message"],
        "usernames cannot be probed"
    );
}

#[tokio::test]
async fn a_deactivated_user_cannot_sign_in_or_refresh() {
    let app = spawn_app().await;
    let admin = app.user(Role::National, None, None, true, false).await;
    let user = app.commune(place::BMT).await;

    let data = app
        .ok(
            Some(&admin.token),
            UPDATE_USER,
            json!({ "id": user.id, "i": { "active": false } }),
        )
        .await;
    assert_eq!(data["updateUser"]["active"], false);

    assert_code(
        &login(&app, &user.username, PASSWORD).await,
        "UNAUTHENTICATED",
    );
    assert_code(&refresh(&app, &user.refresh).await, "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_reactivated_user_can_sign_in_again() {
    let app = spawn_app().await;
    let admin = app.user(Role::National, None, None, true, false).await;
    let user = app.commune(place::BMT).await;
    for active in [false, true] {
        app.ok(
            Some(&admin.token),
            UPDATE_USER,
            json!({ "id": user.id, "i": { "active": active } }),
        )
        .await;
    }
    let body = login(&app, &user.username, PASSWORD).await;
    assert!(body.get("errors").is_none(), "{body:#}");
}

// ---------------------------------------------------------------------------------------------
// Access tokens

#[tokio::test]
async fn an_expired_token_is_unauthenticated() {
    let app = spawn_app().await;
    let user = app.national().await;
    let token = sign(
        &claims(row_id(&user.id), -Duration::minutes(10)),
        JWT_SECRET,
    );
    assert_code(
        &app.gql(Some(&token), ME, json!({})).await,
        "UNAUTHENTICATED",
    );
    assert_code(
        &app.gql(Some(&token), ESTABLISHMENTS, json!({})).await,
        "UNAUTHENTICATED",
    );
}

#[tokio::test]
async fn a_tampered_token_is_unauthenticated() {
    let app = spawn_app().await;
    let user = app.commune(place::BMT).await;
    let parts: Vec<&str> = user.token.split('.').collect();
    assert_eq!(parts.len(), 3);

    // Promote the commune user to NATIONAL in the payload, keep the old signature.
    let mut claims = payload(&user.token);
    assert_eq!(claims["role"], "COMMUNE");
    claims["role"] = json!("NATIONAL");
    claims["commune"] = Value::Null;
    claims["province"] = Value::Null;
    let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).expect("json"));
    let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    assert_code(
        &app.gql(Some(&forged), ME, json!({})).await,
        "UNAUTHENTICATED",
    );
    assert_code(
        &app.gql(Some(&forged), ESTABLISHMENTS, json!({})).await,
        "UNAUTHENTICATED",
    );

    // One changed character of the payload segment is enough.
    let mut chars: Vec<char> = parts[1].chars().collect();
    let i = chars.len() / 2;
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    let flipped = format!(
        "{}.{}.{}",
        parts[0],
        chars.iter().collect::<String>(),
        parts[2]
    );
    assert_code(
        &app.gql(Some(&flipped), ME, json!({})).await,
        "UNAUTHENTICATED",
    );

    // And so is a changed signature.
    let mut sig: Vec<char> = parts[2].chars().collect();
    sig[0] = if sig[0] == 'A' { 'B' } else { 'A' };
    let resigned = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        sig.iter().collect::<String>()
    );
    assert_code(
        &app.gql(Some(&resigned), ME, json!({})).await,
        "UNAUTHENTICATED",
    );

    // The untouched token still works.
    assert_eq!(me_username(&app, &user.token).await, user.username.as_str());
}

#[tokio::test]
async fn an_unsigned_alg_none_token_is_unauthenticated() {
    let app = spawn_app().await;
    let user = app.national().await;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(
        serde_json::to_vec(&claims(row_id(&user.id), Duration::minutes(10))).expect("json"),
    );
    let token = format!("{header}.{body}.");
    assert_code(
        &app.gql(Some(&token), ME, json!({})).await,
        "UNAUTHENTICATED",
    );
    assert_code(
        &app.gql(Some(&token), ESTABLISHMENTS, json!({})).await,
        "UNAUTHENTICATED",
    );
}

#[tokio::test]
async fn a_garbage_bearer_token_is_unauthenticated_not_anonymous() {
    let app = spawn_app().await;
    // `provinces` is open to anonymous callers, but a bad token is not "no token".
    app.ok(None, "{ provinces { code } }", json!({})).await;
    let body = app
        .gql(Some("x"), "{ provinces { code } }", json!({}))
        .await;
    assert_code(&body, "UNAUTHENTICATED");
    let body = app.gql(Some("x"), ME, json!({})).await;
    assert_code(&body, "UNAUTHENTICATED");
}

#[tokio::test]
async fn an_authorization_header_that_is_not_a_bearer_token_is_unauthenticated() {
    let app = spawn_app().await;
    let user = app.national().await;
    let basic = format!("Basic {}", user.token);
    for value in [basic.as_str(), "Bearer", "Bearer    ", user.token.as_str()] {
        let body = app
            .gql_with(
                None,
                "{ provinces { code } }",
                json!({}),
                &[("Authorization", value)],
            )
            .await;
        assert_code(&body, "UNAUTHENTICATED");
    }
}

#[tokio::test]
async fn a_token_signed_with_another_secret_is_unauthenticated() {
    let app = spawn_app().await;
    let user = app.national().await;
    let token = sign(
        &claims(row_id(&user.id), Duration::minutes(10)),
        "another-secret-that-is-also-long-enough-0123456789",
    );
    assert_code(
        &app.gql(Some(&token), ME, json!({})).await,
        "UNAUTHENTICATED",
    );
}

#[tokio::test]
async fn a_token_signed_with_the_server_secret_is_accepted() {
    let app = spawn_app().await;
    let user = app.national().await;
    let token = sign(&claims(row_id(&user.id), Duration::minutes(10)), JWT_SECRET);
    assert_eq!(me_username(&app, &token).await, user.username.as_str());
    app.ok(Some(&token), ESTABLISHMENTS, json!({})).await;
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = spawn_app().await;
    let user = app.national().await;
    let value = format!("bearer {}", user.token);
    let body = app
        .gql_with(None, ME, json!({}), &[("Authorization", value.as_str())])
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    assert_eq!(body["data"]["me"]["username"], user.username.as_str());
}

#[tokio::test]
async fn an_access_token_carries_the_users_claims() {
    let app = spawn_app().await;
    let user = app.commune(place::BMT).await;
    let c = payload(&user.token);

    assert_eq!(c["sub"], row_id(&user.id).to_string(), "{c:#}");
    assert_eq!(c["role"], "COMMUNE", "{c:#}");
    assert_eq!(c["commune"], place::BMT, "{c:#}");
    assert_eq!(c["province"], place::DAK_LAK, "{c:#}");
    assert_eq!(c["admin"], false, "{c:#}");
    assert_eq!(c["ro"], false, "{c:#}");

    let exp = c["exp"].as_i64().expect("exp is a number");
    let iat = c["iat"].as_i64().expect("iat is a number");
    let life = exp - iat;
    assert!((890..=910).contains(&life), "15 minutes, got {life} s");
    let now = Utc::now().timestamp();
    assert!(
        (now - 60..=now + 5).contains(&iat),
        "issued just now: {iat} vs {now}"
    );

    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(user.token.split('.').next().expect("header"))
            .expect("base64url"),
    )
    .expect("JSON header");
    assert_eq!(header["alg"], "HS256");
}

#[tokio::test]
async fn an_admin_read_only_national_token_says_so() {
    let app = spawn_app().await;
    let user = app.user(Role::National, None, None, true, true).await;
    let c = payload(&user.token);
    assert_eq!(c["role"], "NATIONAL", "{c:#}");
    assert_eq!(c["admin"], true, "{c:#}");
    assert_eq!(c["ro"], true, "{c:#}");
    assert!(c["province"].is_null() && c["commune"].is_null(), "{c:#}");
}

// ---------------------------------------------------------------------------------------------
// Refresh tokens

#[tokio::test]
async fn a_refresh_token_rotates_into_a_new_working_pair() {
    let app = spawn_app().await;
    let user = app.commune(place::BMT).await;

    let body = refresh(&app, &user.refresh).await;
    assert!(body.get("errors").is_none(), "{body:#}");
    let p = &body["data"]["refreshToken"];
    let access = p["accessToken"].as_str().expect("accessToken");
    let new_refresh = p["refreshToken"].as_str().expect("refreshToken");
    assert_ne!(new_refresh, user.refresh, "a new refresh token");
    assert_eq!(p["user"]["id"], user.id.as_str());
    assert!(p["expiresAt"].as_str().is_some());
    assert_eq!(me_username(&app, access).await, user.username.as_str());

    // The new refresh token rotates again.
    let again = refresh(&app, new_refresh).await;
    assert!(again.get("errors").is_none(), "{again:#}");
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_whole_family() {
    let app = spawn_app().await;
    let user = app.commune(place::BMT).await;

    let first = refresh(&app, &user.refresh).await;
    let new_refresh = first["data"]["refreshToken"]["refreshToken"]
        .as_str()
        .unwrap_or_else(|| panic!("rotated: {first:#}"))
        .to_owned();

    // The old token again: a thief or a copy.
    assert_code(&refresh(&app, &user.refresh).await, "UNAUTHENTICATED");
    // Which ends the sign-in: the legitimate new token dies too.
    assert_code(&refresh(&app, &new_refresh).await, "UNAUTHENTICATED");
    // A fresh sign-in still works.
    let body = login(&app, &user.username, PASSWORD).await;
    assert!(body.get("errors").is_none(), "{body:#}");
}

#[tokio::test]
async fn revoking_one_family_leaves_other_sign_ins_alone() {
    let app = spawn_app().await;
    let user = app.commune(place::BMT).await;
    let other: TestUser = app.login(&user.username).await;

    refresh(&app, &user.refresh).await;
    assert_code(&refresh(&app, &user.refresh).await, "UNAUTHENTICATED");

    let body = refresh(&app, &other.refresh).await;
    assert!(
        body.get("errors").is_none(),
        "another device's sign-in lives: {body:#}"
    );
}

#[tokio::test]
async fn an_unknown_refresh_token_is_unauthenticated() {
    let app = spawn_app().await;
    assert_code(
        &refresh(&app, "not-a-refresh-token-we-ever-issued").await,
        "UNAUTHENTICATED",
    );
}

#[tokio::test]
async fn an_access_token_is_not_a_refresh_token() {
    let app = spawn_app().await;
    let user = app.national().await;
    assert_code(&refresh(&app, &user.token).await, "UNAUTHENTICATED");
}

#[tokio::test]
async fn logout_ends_the_sign_in() {
    let app = spawn_app().await;
    let user = app.commune(place::BMT).await;

    let data = app.ok(None, LOGOUT, json!({ "r": user.refresh })).await;
    assert_eq!(data["logout"], true);
    assert_code(&refresh(&app, &user.refresh).await, "UNAUTHENTICATED");
}

#[tokio::test]
async fn logout_after_a_rotation_ends_the_new_token_too() {
    let app = spawn_app().await;
    let user = app.commune(place::BMT).await;
    let first = refresh(&app, &user.refresh).await;
    let new_refresh = first["data"]["refreshToken"]["refreshToken"]
        .as_str()
        .unwrap_or_else(|| panic!("rotated: {first:#}"))
        .to_owned();

    let data = app.ok(None, LOGOUT, json!({ "r": new_refresh })).await;
    assert_eq!(data["logout"], true);
    assert_code(&refresh(&app, &new_refresh).await, "UNAUTHENTICATED");
}

#[tokio::test]
async fn logout_with_an_unknown_token_returns_false() {
    let app = spawn_app().await;
    let data = app
        .ok(
            None,
            LOGOUT,
            json!({ "r": "not-a-refresh-token-we-ever-issued" }),
        )
        .await;
    assert_eq!(data["logout"], false);
}

#[tokio::test]
async fn changing_ones_own_password_ends_its_refresh_tokens() {
    let app = spawn_app().await;
    let user = app.commune(place::BMT).await;
    let other_device = app.login(&user.username).await;
    let new_password = "mot-mat-khau-moi-hoan-toan";

    app.ok(
        Some(&user.token),
        UPDATE_USER,
        json!({ "id": user.id, "i": { "password": new_password } }),
    )
    .await;

    assert_code(&refresh(&app, &user.refresh).await, "UNAUTHENTICATED");
    assert_code(
        &refresh(&app, &other_device.refresh).await,
        "UNAUTHENTICATED",
    );
    assert_code(
        &login(&app, &user.username, PASSWORD).await,
        "UNAUTHENTICATED",
    );
    let body = login(&app, &user.username, new_password).await;
    assert!(
        body.get("errors").is_none(),
        "the new password works: {body:#}"
    );
}

#[tokio::test]
async fn a_user_cannot_deactivate_or_promote_itself() {
    let app = spawn_app().await;
    let user = app.commune(place::BMT).await;
    for input in [
        json!({ "active": false }),
        json!({ "isAdmin": true }),
        json!({ "readOnly": false }),
    ] {
        let body = app
            .gql(
                Some(&user.token),
                UPDATE_USER,
                json!({ "id": user.id, "i": input }),
            )
            .await;
        assert_code(&body, "FORBIDDEN");
    }
    assert_eq!(
        app.ok(Some(&user.token), ME, json!({})).await["me"]["isAdmin"],
        false
    );
}

// ---------------------------------------------------------------------------------------------
// Rate limit

#[tokio::test]
async fn too_many_login_attempts_are_rate_limited_even_with_the_right_password() {
    let app = spawn_app_with(|c| c.login_attempts_per_minute = 3).await;
    let user = app.national().await;

    let mut codes = Vec::new();
    for _ in 0..5 {
        let body = login(&app, &user.username, "not-the-right-password").await;
        codes.push(crate::helpers::code(&body).to_owned());
    }
    assert_eq!(codes[0], "UNAUTHENTICATED", "{codes:?}");
    assert!(codes.iter().any(|c| c == "RATE_LIMITED"), "{codes:?}");
    let first_limited = codes
        .iter()
        .position(|c| c == "RATE_LIMITED")
        .expect("limited");
    assert!(
        codes[first_limited..].iter().all(|c| c == "RATE_LIMITED"),
        "once limited, stays limited: {codes:?}"
    );

    let body = login(&app, &user.username, PASSWORD).await;
    assert_code(&body, "RATE_LIMITED");
}

#[tokio::test]
async fn the_login_limit_counts_per_username_across_addresses() {
    let app = spawn_app_with(|c| {
        c.login_attempts_per_minute = 3;
        c.trust_forwarded_for = true;
    })
    .await;
    let user = app.national().await;
    let bystander = app.national().await;

    let mut codes = Vec::new();
    for i in 0..4 {
        let ip = format!("10.0.1.{i}");
        let body = app
            .gql_with(
                None,
                LOGIN,
                json!({ "u": user.username, "p": "not-the-right-password" }),
                &[("X-Forwarded-For", ip.as_str())],
            )
            .await;
        codes.push(crate::helpers::code(&body).to_owned());
    }
    assert!(codes.iter().any(|c| c == "RATE_LIMITED"), "{codes:?}");

    // From a fresh address, the attacked username is still limited…
    let body = app
        .gql_with(
            None,
            LOGIN,
            json!({ "u": user.username, "p": PASSWORD }),
            &[("X-Forwarded-For", "10.0.2.1")],
        )
        .await;
    assert_code(&body, "RATE_LIMITED");
    // …while another user signs in.
    let body = app
        .gql_with(
            None,
            LOGIN,
            json!({ "u": bystander.username, "p": PASSWORD }),
            &[("X-Forwarded-For", "10.0.2.2")],
        )
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");
}

// ---------------------------------------------------------------------------------------------
// Language

#[tokio::test]
async fn unauthenticated_errors_speak_the_callers_language() {
    let app = spawn_app().await;

    let vi = app
        .gql_with(
            None,
            ESTABLISHMENTS,
            json!({}),
            &[("Accept-Language", "vi")],
        )
        .await;
    let en = app.gql(None, ESTABLISHMENTS, json!({})).await;
    assert_code(&vi, "UNAUTHENTICATED");
    assert_code(&en, "UNAUTHENTICATED");
    let vi_msg = vi["errors"][0]["message"].as_str().expect("message");
    let en_msg = en["errors"][0]["message"].as_str().expect("message");
    assert!(vi_msg.contains("đăng nhập"), "{vi_msg}");
    assert!(en_msg.contains("Sign in"), "{en_msg}");

    let vi = app
        .gql_with(
            None,
            LOGIN,
            json!({ "u": "nobody-by-this-name", "p": PASSWORD }),
            &[("Accept-Language", "vi-VN,vi;q=0.9,en;q=0.5")],
        )
        .await;
    let en = login(&app, "nobody-by-this-name", PASSWORD).await;
    assert_code(&vi, "UNAUTHENTICATED");
    assert_code(&en, "UNAUTHENTICATED");
    let vi_msg = vi["errors"][0]["message"].as_str().expect("message");
    let en_msg = en["errors"][0]["message"].as_str().expect("message");
    assert!(vi_msg.contains("đăng nhập"), "{vi_msg}");
    assert!(en_msg.contains("Wrong username or password"), "{en_msg}");
    assert!(
        vi["errors"][0]["extensions"].get("__vi").is_none(),
        "{vi:#}"
    );
}

#[tokio::test]
async fn a_bad_token_is_refused_in_the_callers_language() {
    let app = spawn_app().await;
    let vi = app
        .gql_with(Some("x"), ME, json!({}), &[("Accept-Language", "vi")])
        .await;
    assert_code(&vi, "UNAUTHENTICATED");
    let msg = vi["errors"][0]["message"].as_str().expect("message");
    assert!(msg.contains("đăng nhập"), "{msg}");
}

// ---------------------------------------------------------------------------------------------
// Read-only accounts

#[tokio::test]
async fn a_read_only_user_can_read_but_not_write() {
    let app = spawn_app().await;
    let auditor = app.user(Role::National, None, None, false, true).await;

    let data = app
        .ok(Some(&auditor.token), ESTABLISHMENTS, json!({}))
        .await;
    assert!(data["establishments"]["totalCount"].is_number(), "{data:#}");
    assert_eq!(
        app.ok(Some(&auditor.token), ME, json!({})).await["me"]["readOnly"],
        true
    );

    let body = app
        .gql(
            Some(&auditor.token),
            "mutation($i: CreateEstablishmentInput!) { createEstablishment(input: $i) { id } }",
            json!({ "i": {
                "name": "Cơ sở của kiểm toán viên",
                "kind": "SME",
                "communeCode": place::BMT,
                "sector": "AGRO_FORESTRY_FISHERY_FOOD",
            } }),
        )
        .await;
    assert_code(&body, "FORBIDDEN");

    // Nothing was created.
    let writer = app.national().await;
    let data = app.ok(Some(&writer.token), ESTABLISHMENTS, json!({})).await;
    assert_eq!(data["establishments"]["totalCount"], 0);
}

#[tokio::test]
async fn a_read_only_user_may_not_even_change_its_own_password() {
    let app = spawn_app().await;
    let auditor = app.user(Role::National, None, None, false, true).await;
    let body = app
        .gql(
            Some(&auditor.token),
            UPDATE_USER,
            json!({ "id": auditor.id, "i": { "password": "mot-mat-khau-moi-hoan-toan" } }),
        )
        .await;
    assert_code(&body, "FORBIDDEN");
}

#[tokio::test]
async fn successful_sign_ins_are_never_counted_against_the_limit() {
    // Offices sign many officers in from one address, and scripts sign one account in often.
    let app = spawn_app_with(|c| c.login_attempts_per_minute = 3).await;
    let user = app.national().await;
    for _ in 0..20 {
        let body = login(&app, &user.username, PASSWORD).await;
        assert!(body.get("errors").is_none(), "{body:#}");
    }
    // Two failures stay under the allowance of three and do not lock the account.
    for _ in 0..2 {
        assert_code(
            &login(&app, &user.username, "not-the-right-password").await,
            "UNAUTHENTICATED",
        );
    }
    let body = login(&app, &user.username, PASSWORD).await;
    assert!(body.get("errors").is_none(), "{body:#}");
}
