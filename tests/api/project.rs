//! Industrial promotion: funding sources, projects, beneficiaries under the decree's
//! eligibility and the support caps, allocations (with a 50-request race), disbursements and
//! advances, releases, the lifecycle with its authority matrix and history, the audit trail,
//! optimistic concurrency, idempotency keys and batched loading of nested lists.

use futures::future::join_all;
use khuyencong::{
    db::entities::{allocation, audit_event},
    enums::Role,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use self::Exp::{Forbidden as F, NotFound as NF, Yes as Y};
use crate::helpers::common::{assert_ok, audit_rows, id_of, row_id, vnd};
use crate::helpers::flows::project::{
    ALLOCATE, LIFECYCLE, UPDATE_SOURCE, YEAR, add_as, add_raw, allocate_raw, allocated,
    create_project_raw, create_source_raw, disburse_raw, get_project, new_project, new_source,
    path, project_input, release_raw, remove_raw, source, source_input, transition_raw,
    transitioned, update_raw,
};
use crate::helpers::{
    TestApp, TestUser, assert_code, assert_field,
    place::{BMT, DAK_LAK, DAK_LAK_OTHER, QUANG_TRI, TRUONG_PHU},
    spawn_app,
};

// ---------------------------------------------------------------------------------------------
// Queries

const LIST: &str = "query($f: ProjectFilter) { projects(filter: $f, first: 100) { \
    totalCount nodes { id status allocatedVnd } } }";

const SET_STATUS: &str = "mutation($id: ID!, $v: Int!, $s: EstablishmentStatus!) { \
    setEstablishmentStatus(id: $id, expectedVersion: $v, status: $s, reason: \"kiểm thử\") { \
    id version status } }";

const ESTABLISHMENT_PROJECTS: &str = "query($id: ID!) { establishment(id: $id) { \
    id projects(first: 50) { totalCount nodes { id code } } } }";

/// The nested read whose statement count must not grow with the rows.
const DEEP: &str = "{ projects(first: 50) { nodes { id \
    beneficiaries { establishment { commune { province { name } } } } \
    allocations { fundingSource { name } } \
    history { actor { username } } } } }";

// ---------------------------------------------------------------------------------------------
// Reference values

/// Hà Nội, a centrally-run city.
const HA_NOI: &str = "01";
/// Phường Ba Đình, a ward of Hà Nội.
const BA_DINH: &str = "00004";
/// Xã Sóc Sơn, a (rural) commune of Hà Nội.
const SOC_SON: &str = "00376";
/// Plenty: the shared sources of a [`World`] never limit a test that does not mean them to.
const PLENTY: i64 = 100_000_000_000;
/// The support of the beneficiary of a [`World::funded`] project, fully allocated.
const SUPPORT: i64 = 100_000_000;

const LEVELS: [&str; 2] = ["LOCAL", "NATIONAL"];

const STATUSES: [&str; 10] = [
    "DRAFT",
    "SUBMITTED",
    "APPRAISED",
    "APPROVED",
    "IN_PROGRESS",
    "ACCEPTED",
    "SETTLED",
    "REJECTED",
    "STOPPED",
    "CANCELLED",
];

// ---------------------------------------------------------------------------------------------
// Small helpers

fn code_of(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

fn message(body: &Value) -> &str {
    body["errors"][0]["message"].as_str().unwrap_or("")
}

#[track_caller]
fn expect_code(body: &Value, code: &str, what: &str) {
    assert_eq!(code_of(body), Some(code), "{what}: {body:#}");
}

/// Whether `msg` names the amount `n` (plain or grouped by `,`, `.` or a space).
fn mentions_vnd(msg: &str, n: i64) -> bool {
    let plain = n.to_string();
    let grouped = |sep: &str| {
        let digits: Vec<char> = plain.chars().collect();
        let mut out = String::new();
        for (i, c) in digits.iter().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push_str(sep);
            }
            out.push(*c);
        }
        out
    };
    [plain.clone(), grouped(","), grouped("."), grouped(" ")]
        .iter()
        .any(|s| msg.contains(s.as_str()))
}

/// Who acts, relative to a project of commune BMT in Đắk Lắk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    /// A commune user of the project's commune.
    Commune,
    /// A province user of the project's province.
    Province,
    /// A province user of another province.
    OtherProvince,
    /// A national user.
    National,
}

const WHO: [Who; 4] = [
    Who::Commune,
    Who::Province,
    Who::OtherProvince,
    Who::National,
];

/// The expected outcome of an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Exp {
    Yes,
    Forbidden,
    NotFound,
}

#[track_caller]
fn expect(body: &Value, exp: Exp, what: &str) {
    match exp {
        Exp::Yes => assert_ok(body, what),
        Exp::Forbidden => expect_code(body, "FORBIDDEN", what),
        Exp::NotFound => expect_code(body, "NOT_FOUND", what),
    }
}

async fn set_status(app: &TestApp, token: &str, establishment: &Value, status: &str) -> Value {
    app.ok(
        Some(token),
        SET_STATUS,
        json!({ "id": establishment["id"], "v": establishment["version"], "s": status }),
    )
    .await["setEstablishmentStatus"]
        .clone()
}

/// Posts one GraphQL request from a spawned task.
async fn post(
    client: reqwest::Client,
    url: String,
    token: String,
    query: &str,
    vars: Value,
) -> Value {
    client
        .post(url)
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": vars }))
        .send()
        .await
        .expect("request sent")
        .json()
        .await
        .expect("JSON body")
}

// ---------------------------------------------------------------------------------------------
// A world: an app, the four kinds of actor around commune BMT, and generous shared sources

struct World {
    app: TestApp,
    national: TestUser,
    /// Province user of Đắk Lắk.
    province: TestUser,
    /// Province user of Quảng Trị.
    other: TestUser,
    /// Commune user of BMT.
    commune: TestUser,
    /// LOCAL source of Đắk Lắk, fiscal year 2025.
    local_source: String,
    /// NATIONAL source, fiscal year 2025.
    national_source: String,
    /// An SME in BMT.
    establishment: String,
}

impl World {
    async fn new() -> World {
        let app = spawn_app().await;
        let national = app.national().await;
        let province = app.province(DAK_LAK).await;
        let other = app.province(QUANG_TRI).await;
        let commune = app.commune(BMT).await;
        let local_source = new_source(&app, &province.token, "LOCAL", None, YEAR, PLENTY).await;
        let national_source =
            new_source(&app, &national.token, "NATIONAL", None, YEAR, PLENTY).await;
        let establishment = id_of(&app.establishment(&commune.token, BMT, json!({})).await);
        World {
            app,
            national,
            province,
            other,
            commune,
            local_source,
            national_source,
            establishment,
        }
    }

    fn user(&self, who: Who) -> &TestUser {
        match who {
            Who::Commune => &self.commune,
            Who::Province => &self.province,
            Who::OtherProvince => &self.other,
            Who::National => &self.national,
        }
    }

    /// The approving level: the province for LOCAL, national users for NATIONAL.
    fn approver(&self, level: &str) -> &TestUser {
        match level {
            "LOCAL" => &self.province,
            "NATIONAL" => &self.national,
            other => panic!("no level {other}"),
        }
    }

    fn source_for(&self, level: &str) -> &str {
        match level {
            "LOCAL" => &self.local_source,
            "NATIONAL" => &self.national_source,
            other => panic!("no level {other}"),
        }
    }

    /// A user allowed to take `action` on a commune project of `level` (the lifecycle table).
    fn actor_for(&self, action: &str, level: &str) -> &TestUser {
        match action {
            "SUBMIT" | "CANCEL" => &self.commune,
            "RETURN" | "APPRAISE" | "START" => &self.province,
            "APPROVE" | "REJECT" | "ACCEPT" | "SETTLE" | "STOP" => self.approver(level),
            other => panic!("no action {other}"),
        }
    }

    /// The project as a national user sees it.
    async fn get(&self, id: &str) -> Value {
        let p = get_project(&self.app, &self.national.token, id).await;
        assert!(!p.is_null(), "national users see every project");
        p
    }

    async fn version(&self, id: &str) -> i64 {
        self.get(id).await["version"].as_i64().expect("version")
    }

    async fn status(&self, id: &str) -> String {
        self.get(id).await["status"]
            .as_str()
            .expect("status")
            .to_owned()
    }

    /// A new project of commune BMT (created by its commune user).
    async fn project(&self, level: &str, extra: Value) -> String {
        new_project(
            &self.app,
            &self.commune.token,
            project_input(level, DAK_LAK, extra),
        )
        .await
    }

    async fn add(
        &self,
        token: &str,
        project: &str,
        establishment: &str,
        support: i64,
        counterpart: i64,
    ) -> Value {
        let v = self.version(project).await;
        add_raw(
            &self.app,
            token,
            project,
            v,
            establishment,
            support,
            counterpart,
        )
        .await
    }

    async fn remove(&self, token: &str, project: &str, establishment: &str) -> Value {
        let v = self.version(project).await;
        remove_raw(&self.app, token, project, v, establishment).await
    }

    async fn update(&self, token: &str, project: &str, input: Value) -> Value {
        let v = self.version(project).await;
        update_raw(&self.app, token, project, v, input).await
    }

    async fn allocate(&self, token: &str, project: &str, source: &str, amount: i64) -> Value {
        allocate_raw(&self.app, token, project, source, amount, None).await
    }

    /// Allocates (must succeed) and returns the allocation's id.
    async fn allocated(&self, token: &str, project: &str, source: &str, amount: i64) -> String {
        allocated(&self.app, token, project, source, amount).await
    }

    async fn act(&self, token: &str, id: &str, action: &str) -> Value {
        let comment = format!("Ý kiến khi {action}");
        self.act_with(token, id, action, Some(&comment), None).await
    }

    async fn act_with(
        &self,
        token: &str,
        id: &str,
        action: &str,
        comment: Option<&str>,
        outcomes: Option<Value>,
    ) -> Value {
        let v = self.version(id).await;
        transition_raw(&self.app, token, id, v, action, comment, outcomes).await
    }

    /// Takes `action` with the user allowed to; must succeed.
    async fn step(&self, id: &str, level: &str, action: &str) -> Value {
        let actor = self.actor_for(action, level);
        transitioned(
            &self.app,
            &actor.token,
            &self.national.token,
            id,
            action,
            None,
        )
        .await
    }

    /// Drives a project from DRAFT to `status`.
    async fn drive(&self, id: &str, level: &str, status: &str) {
        for action in path(status) {
            self.step(id, level, action).await;
        }
        assert_eq!(self.status(id).await, status);
    }

    /// A project of BMT with one beneficiary (SUPPORT of support, as much own investment),
    /// fully funded from the shared source of its level. Returns (project, allocation).
    async fn funded(&self, level: &str) -> (String, String) {
        let p = self.project(level, json!({})).await;
        let body = self
            .add(
                &self.commune.token,
                &p,
                &self.establishment,
                SUPPORT,
                SUPPORT,
            )
            .await;
        assert_ok(&body, "addBeneficiary");
        let a = self
            .allocated(
                &self.approver(level).token,
                &p,
                self.source_for(level),
                SUPPORT,
            )
            .await;
        (p, a)
    }

    /// Like [`World::funded`], funded from `source`.
    async fn funded_from(&self, level: &str, source: &str) -> (String, String) {
        let p = self.project(level, json!({})).await;
        let body = self
            .add(
                &self.commune.token,
                &p,
                &self.establishment,
                SUPPORT,
                SUPPORT,
            )
            .await;
        assert_ok(&body, "addBeneficiary");
        let a = self
            .allocated(&self.approver(level).token, &p, source, SUPPORT)
            .await;
        (p, a)
    }

    /// A funded project driven to `status`. Returns (project, allocation).
    async fn at(&self, level: &str, status: &str) -> (String, String) {
        let (p, a) = self.funded(level).await;
        self.drive(&p, level, status).await;
        (p, a)
    }

    /// A new SME in BMT.
    async fn new_establishment(&self) -> String {
        id_of(
            &self
                .app
                .establishment(&self.commune.token, BMT, json!({}))
                .await,
        )
    }

    async fn source(&self, id: &str) -> Value {
        source(&self.app, &self.national.token, id).await
    }

    /// The allocation `id` among the project's allocations.
    async fn allocation(&self, project: &str, id: &str) -> Value {
        self.get(project).await["allocations"]
            .as_array()
            .expect("allocations")
            .iter()
            .find(|a| a["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("allocation {id} not on project {project}"))
    }
}

// ---------------------------------------------------------------------------------------------
// Funding sources

#[tokio::test]
async fn funding_sources_are_created_by_the_level_that_owns_them() {
    let app = spawn_app().await;
    let national = app.national().await;
    let province = app.province(DAK_LAK).await;
    let commune = app.commune(BMT).await;
    let read_only = app
        .user(Role::Province, Some(DAK_LAK), None, false, true)
        .await;

    // NATIONAL: national users only, and no province.
    let body = create_source_raw(
        &app,
        &national.token,
        source_input("NATIONAL", None, YEAR, 1_000),
    )
    .await;
    assert_ok(&body, "national creates NATIONAL");
    let s = &body["data"]["createFundingSource"];
    assert_eq!(s["level"], "NATIONAL");
    assert!(s["province"].is_null(), "{s:#}");
    assert_eq!(vnd(&s["amountVnd"]), 1_000);
    assert_eq!(vnd(&s["allocatedVnd"]), 0);
    assert_eq!(vnd(&s["remainingVnd"]), 1_000);
    let body = create_source_raw(
        &app,
        &province.token,
        source_input("NATIONAL", None, YEAR, 1_000),
    )
    .await;
    expect_code(&body, "FORBIDDEN", "province creates NATIONAL");

    // LOCAL: the province's own users, for their own province.
    let body = create_source_raw(
        &app,
        &province.token,
        source_input("LOCAL", None, YEAR, 1_000),
    )
    .await;
    assert_ok(&body, "province creates LOCAL");
    assert_eq!(
        body["data"]["createFundingSource"]["province"]["code"],
        DAK_LAK
    );
    let body = create_source_raw(
        &app,
        &province.token,
        source_input("LOCAL", Some(DAK_LAK), YEAR, 1_000),
    )
    .await;
    assert_ok(&body, "province creates LOCAL naming its province");
    let body = create_source_raw(
        &app,
        &province.token,
        source_input("LOCAL", Some(QUANG_TRI), YEAR, 1_000),
    )
    .await;
    expect_code(
        &body,
        "FORBIDDEN",
        "province creates LOCAL of another province",
    );
    let body = create_source_raw(
        &app,
        &national.token,
        source_input("LOCAL", Some(DAK_LAK), YEAR, 1_000),
    )
    .await;
    expect_code(&body, "FORBIDDEN", "national creates LOCAL");

    // OTHER: either.
    let body = create_source_raw(
        &app,
        &national.token,
        source_input("OTHER", None, YEAR, 1_000),
    )
    .await;
    assert_ok(&body, "national creates OTHER");
    let body = create_source_raw(
        &app,
        &province.token,
        source_input("OTHER", None, YEAR, 1_000),
    )
    .await;
    assert_ok(&body, "province creates OTHER");
    assert_eq!(
        body["data"]["createFundingSource"]["province"]["code"], DAK_LAK,
        "a province's other source is its own"
    );

    // Commune users and read-only accounts create none.
    for (level, province_code) in [
        ("NATIONAL", None),
        ("LOCAL", Some(DAK_LAK)),
        ("OTHER", Some(DAK_LAK)),
    ] {
        let body = create_source_raw(
            &app,
            &commune.token,
            source_input(level, province_code, YEAR, 1_000),
        )
        .await;
        expect_code(&body, "FORBIDDEN", &format!("commune creates {level}"));
    }
    let body = create_source_raw(
        &app,
        &read_only.token,
        source_input("LOCAL", None, YEAR, 1_000),
    )
    .await;
    expect_code(&body, "FORBIDDEN", "read-only creates LOCAL");
}

#[tokio::test]
async fn a_funding_source_amount_cannot_fall_below_what_is_allocated() {
    let w = World::new().await;
    let src = new_source(&w.app, &w.province.token, "LOCAL", None, YEAR, 100_000_000).await;
    let (p, _) = w.funded_from("LOCAL", &src).await;
    assert!(!p.is_empty());
    let s = w.source(&src).await;
    assert_eq!(vnd(&s["allocatedVnd"]), SUPPORT);
    let v = s["version"].as_i64().expect("version");

    let lower = |amount: i64, version: i64| {
        let app = &w.app;
        let token = w.province.token.clone();
        let id = src.clone();
        async move {
            app.gql(
                Some(&token),
                UPDATE_SOURCE,
                json!({ "id": id, "v": version, "i": { "amountVnd": amount } }),
            )
            .await
        }
    };
    assert_field(&lower(SUPPORT - 1, v).await, "amountVnd");
    assert_eq!(vnd(&w.source(&src).await["amountVnd"]), 100_000_000);

    // Raising it is fine; a stale version is a conflict; exactly the allocated amount is fine.
    let body = lower(150_000_000, v).await;
    assert_ok(&body, "raise");
    assert_eq!(
        vnd(&body["data"]["updateFundingSource"]["remainingVnd"]),
        50_000_000
    );
    assert_code(&lower(SUPPORT, v).await, "CONFLICT");
    let body = lower(SUPPORT, v + 1).await;
    assert_ok(&body, "lower to exactly what is allocated");
    assert_eq!(vnd(&body["data"]["updateFundingSource"]["remainingVnd"]), 0);

    // Only the owning level changes it; another province does not even see it.
    let v = w.source(&src).await["version"].as_i64().expect("version");
    let body = w
        .app
        .gql(
            Some(&w.national.token),
            UPDATE_SOURCE,
            json!({ "id": src, "v": v, "i": { "name": "Đổi tên" } }),
        )
        .await;
    expect_code(&body, "FORBIDDEN", "national changes a LOCAL source");
    let body = w
        .app
        .gql(
            Some(&w.other.token),
            UPDATE_SOURCE,
            json!({ "id": src, "v": v, "i": { "name": "Đổi tên" } }),
        )
        .await;
    expect_code(
        &body,
        "NOT_FOUND",
        "another province changes a LOCAL source",
    );
    assert!(source(&w.app, &w.other.token, &src).await.is_null());
    let v = w.source(&w.national_source).await["version"]
        .as_i64()
        .expect("version");
    let body = w
        .app
        .gql(
            Some(&w.province.token),
            UPDATE_SOURCE,
            json!({ "id": w.national_source, "v": v, "i": { "name": "Đổi tên" } }),
        )
        .await;
    expect_code(&body, "FORBIDDEN", "province changes a NATIONAL source");
}

// ---------------------------------------------------------------------------------------------
// Creation and scope

#[tokio::test]
async fn authority_create_project() {
    let w = World::new().await;
    for level in LEVELS {
        for (who, exp) in WHO.into_iter().zip([Y, Y, F, F]) {
            let body = create_project_raw(
                &w.app,
                &w.user(who).token,
                project_input(level, DAK_LAK, json!({})),
                None,
            )
            .await;
            expect(
                &body,
                exp,
                &format!("{who:?} creates a {level} project in Đắk Lắk"),
            );
            if exp == Y {
                let p = &body["data"]["createProject"];
                assert_eq!(p["status"], "DRAFT");
                assert_eq!(p["programLevel"], level);
                assert_eq!(p["province"]["code"], DAK_LAK);
                assert_eq!(p["version"], 1);
                assert_eq!(vnd(&p["supportVnd"]), 0);
                let code = p["code"].as_str().expect("code");
                assert!(code.contains("66-2025"), "readable code: {code}");
                if who == Who::Commune {
                    assert_eq!(p["commune"]["code"], BMT, "a commune proposes for itself");
                }
            }
        }
    }
    // A province user proposes for any commune of its province.
    let body = create_project_raw(
        &w.app,
        &w.province.token,
        project_input("LOCAL", DAK_LAK, json!({ "communeCode": DAK_LAK_OTHER })),
        None,
    )
    .await;
    assert_ok(&body, "province proposes for one of its communes");
    assert_eq!(
        body["data"]["createProject"]["commune"]["code"],
        DAK_LAK_OTHER
    );
}

#[tokio::test]
async fn a_commune_cannot_create_a_project_outside_its_commune() {
    let w = World::new().await;
    let body = create_project_raw(
        &w.app,
        &w.commune.token,
        project_input("LOCAL", DAK_LAK, json!({ "communeCode": DAK_LAK_OTHER })),
        None,
    )
    .await;
    expect_code(&body, "FORBIDDEN", "commune proposes for another commune");
    let body = create_project_raw(
        &w.app,
        &w.commune.token,
        project_input("LOCAL", QUANG_TRI, json!({})),
        None,
    )
    .await;
    expect_code(&body, "FORBIDDEN", "commune proposes in another province");
    let body = create_project_raw(
        &w.app,
        &w.province.token,
        project_input("LOCAL", QUANG_TRI, json!({ "communeCode": TRUONG_PHU })),
        None,
    )
    .await;
    expect_code(&body, "FORBIDDEN", "province proposes in another province");
    let total = w
        .app
        .ok(Some(&w.national.token), LIST, json!({ "f": {} }))
        .await["projects"]["totalCount"]
        .as_i64()
        .expect("totalCount");
    assert_eq!(total, 0, "nothing was created");
}

#[tokio::test]
async fn projects_outside_the_area_do_not_exist_for_the_caller() {
    let w = World::new().await;
    let neighbour = w.app.commune(DAK_LAK_OTHER).await;
    let (p, a) = w.funded("LOCAL").await;
    // A province project without a commune: not a commune user's.
    let provincial = new_project(
        &w.app,
        &w.province.token,
        project_input("LOCAL", DAK_LAK, json!({})),
    )
    .await;

    for (user, sees) in [
        (&w.national, true),
        (&w.province, true),
        (&w.commune, true),
        (&w.other, false),
        (&neighbour, false),
    ] {
        let got = get_project(&w.app, &user.token, &p).await;
        assert_eq!(!got.is_null(), sees, "{}: {got:#}", user.username);
        let list = w.app.ok(Some(&user.token), LIST, json!({ "f": {} })).await;
        let listed = list["projects"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .any(|n| n["id"] == p.as_str());
        assert_eq!(listed, sees, "{}: {list:#}", user.username);
    }
    assert!(
        get_project(&w.app, &w.commune.token, &provincial)
            .await
            .is_null()
    );

    // Mutations on them: NOT_FOUND.
    let v = w.version(&p).await;
    for user in [&w.other, &neighbour] {
        let what = &user.username;
        expect_code(
            &transition_raw(&w.app, &user.token, &p, v, "SUBMIT", None, None).await,
            "NOT_FOUND",
            what,
        );
        expect_code(
            &update_raw(&w.app, &user.token, &p, v, json!({ "title": "x" })).await,
            "NOT_FOUND",
            what,
        );
        expect_code(
            &release_raw(&w.app, &user.token, &a).await,
            "NOT_FOUND",
            what,
        );
    }
    let pv = w.version(&provincial).await;
    expect_code(
        &transition_raw(
            &w.app,
            &w.commune.token,
            &provincial,
            pv,
            "SUBMIT",
            None,
            None,
        )
        .await,
        "NOT_FOUND",
        "commune on a province project",
    );
    assert_eq!(w.version(&p).await, v, "nothing changed");
}

// ---------------------------------------------------------------------------------------------
// Authority matrix of the money and beneficiary mutations: [commune, province, other, national]

#[tokio::test]
async fn authority_update_project() {
    let w = World::new().await;
    for level in LEVELS {
        let p = w.project(level, json!({})).await;
        for (who, exp) in WHO.into_iter().zip([Y, Y, NF, Y]) {
            let title = format!("Đề án sửa bởi {who:?}");
            let body = w
                .update(&w.user(who).token, &p, json!({ "title": title }))
                .await;
            expect(&body, exp, &format!("{who:?} updates a {level} project"));
            if exp == Y {
                assert_eq!(body["data"]["updateProject"]["title"], title.as_str());
            }
        }
    }
}

#[tokio::test]
async fn authority_add_beneficiary() {
    let w = World::new().await;
    for level in LEVELS {
        let p = w.project(level, json!({})).await;
        for (who, exp) in WHO.into_iter().zip([Y, Y, NF, Y]) {
            let e = w.new_establishment().await;
            let body = w
                .add(&w.user(who).token, &p, &e, 10_000_000, 10_000_000)
                .await;
            expect(&body, exp, &format!("{who:?} adds to a {level} project"));
        }
        let p = w.get(&p).await;
        assert_eq!(p["beneficiaries"].as_array().expect("list").len(), 3);
        assert_eq!(vnd(&p["supportVnd"]), 30_000_000);
        assert_eq!(vnd(&p["counterpartVnd"]), 30_000_000);
        assert_eq!(vnd(&p["totalVnd"]), 60_000_000);
    }
}

#[tokio::test]
async fn authority_remove_beneficiary() {
    let w = World::new().await;
    for level in LEVELS {
        let p = w.project(level, json!({})).await;
        let mut es = Vec::new();
        for _ in 0..3 {
            let e = w.new_establishment().await;
            assert_ok(
                &w.add(&w.commune.token, &p, &e, 10_000_000, 10_000_000)
                    .await,
                "add",
            );
            es.push(e);
        }
        let mut next = es.iter();
        for (who, exp) in WHO.into_iter().zip([Y, Y, NF, Y]) {
            let e = if exp == Y {
                next.next().expect("one per allowed role")
            } else {
                &es[2]
            };
            let body = w.remove(&w.user(who).token, &p, e).await;
            expect(
                &body,
                exp,
                &format!("{who:?} removes from a {level} project"),
            );
        }
        let p = w.get(&p).await;
        assert_eq!(p["beneficiaries"].as_array().expect("list").len(), 0);
        assert_eq!(vnd(&p["supportVnd"]), 0);
    }
}

#[tokio::test]
async fn authority_allocate_funding() {
    let w = World::new().await;
    for (level, row) in [("LOCAL", [F, Y, NF, F]), ("NATIONAL", [F, F, NF, Y])] {
        let p = w.project(level, json!({})).await;
        assert_ok(
            &w.add(&w.commune.token, &p, &w.establishment, SUPPORT, SUPPORT)
                .await,
            "add",
        );
        for (who, exp) in WHO.into_iter().zip(row) {
            let body = w
                .allocate(&w.user(who).token, &p, w.source_for(level), 10_000_000)
                .await;
            expect(
                &body,
                exp,
                &format!("{who:?} allocates to a {level} project"),
            );
        }
        assert_eq!(vnd(&w.get(&p).await["allocatedVnd"]), 10_000_000);
    }
}

#[tokio::test]
async fn authority_release_allocation() {
    let w = World::new().await;
    for (level, row) in [("LOCAL", [F, Y, NF, F]), ("NATIONAL", [F, F, NF, Y])] {
        let p = w.project(level, json!({})).await;
        assert_ok(
            &w.add(&w.commune.token, &p, &w.establishment, SUPPORT, SUPPORT)
                .await,
            "add",
        );
        let a = w
            .allocated(&w.approver(level).token, &p, w.source_for(level), SUPPORT)
            .await;
        for (who, exp) in WHO.into_iter().zip(row) {
            if exp == Y {
                continue;
            }
            let body = release_raw(&w.app, &w.user(who).token, &a).await;
            expect(
                &body,
                exp,
                &format!("{who:?} releases on a {level} project"),
            );
        }
        assert_eq!(w.allocation(&p, &a).await["released"], false);
        for (who, exp) in WHO.into_iter().zip(row) {
            if exp != Y {
                continue;
            }
            let body = release_raw(&w.app, &w.user(who).token, &a).await;
            expect(
                &body,
                exp,
                &format!("{who:?} releases on a {level} project"),
            );
            assert_eq!(body["data"]["releaseAllocation"]["released"], true);
        }
    }
}

#[tokio::test]
async fn authority_record_disbursement() {
    let w = World::new().await;
    for (level, row) in [("LOCAL", [F, Y, NF, F]), ("NATIONAL", [F, Y, NF, Y])] {
        let (p, a) = w.at(level, "APPROVED").await;
        for (who, exp) in WHO.into_iter().zip(row) {
            let body = disburse_raw(&w.app, &w.user(who).token, &a, 1_000_000).await;
            expect(
                &body,
                exp,
                &format!("{who:?} disburses on a {level} project"),
            );
        }
        let allowed = row.iter().filter(|e| **e == Y).count() as i64;
        assert_eq!(vnd(&w.get(&p).await["disbursedVnd"]), allowed * 1_000_000);
    }
}

// ---------------------------------------------------------------------------------------------
// Authority matrix of the lifecycle: [commune, province, other province, national] per level

async fn transition_authority(action: &str, from: &str, local: [Exp; 4], national: [Exp; 4]) {
    let to = LIFECYCLE
        .iter()
        .find(|t| t.0 == action)
        .expect("an action of the table")
        .2;
    let w = World::new().await;
    for (level, row) in [("LOCAL", local), ("NATIONAL", national)] {
        // The refused roles, on one project in the right state: nothing moves.
        let (p, _) = w.at(level, from).await;
        let v = w.version(&p).await;
        for (who, exp) in WHO.into_iter().zip(row) {
            if exp == Y {
                continue;
            }
            let body = w.act(&w.user(who).token, &p, action).await;
            expect(
                &body,
                exp,
                &format!("{who:?} {action} a {level} project in {from}"),
            );
        }
        assert_eq!(w.status(&p).await, from);
        assert_eq!(w.version(&p).await, v);
        // Each allowed role, on a project of its own.
        for (who, exp) in WHO.into_iter().zip(row) {
            if exp != Y {
                continue;
            }
            let (p, _) = w.at(level, from).await;
            let body = w.act(&w.user(who).token, &p, action).await;
            expect(
                &body,
                exp,
                &format!("{who:?} {action} a {level} project in {from}"),
            );
            assert_eq!(body["data"]["transitionProject"]["status"], to);
            let h = w.get(&p).await["history"].clone();
            let last = h.as_array().and_then(|h| h.last()).expect("history");
            assert_eq!(last["action"], action);
            assert_eq!(last["actor"]["id"], w.user(who).id.as_str());
        }
    }
}

#[tokio::test]
async fn authority_submit() {
    transition_authority("SUBMIT", "DRAFT", [Y, Y, NF, F], [Y, Y, NF, F]).await;
}

#[tokio::test]
async fn authority_return() {
    transition_authority("RETURN", "SUBMITTED", [F, Y, NF, F], [F, Y, NF, F]).await;
}

#[tokio::test]
async fn authority_appraise() {
    transition_authority("APPRAISE", "SUBMITTED", [F, Y, NF, F], [F, Y, NF, F]).await;
}

#[tokio::test]
async fn authority_approve() {
    transition_authority("APPROVE", "APPRAISED", [F, Y, NF, F], [F, F, NF, Y]).await;
}

#[tokio::test]
async fn authority_reject_submitted() {
    transition_authority("REJECT", "SUBMITTED", [F, Y, NF, F], [F, F, NF, Y]).await;
}

#[tokio::test]
async fn authority_reject_appraised() {
    transition_authority("REJECT", "APPRAISED", [F, Y, NF, F], [F, F, NF, Y]).await;
}

#[tokio::test]
async fn authority_start() {
    transition_authority("START", "APPROVED", [F, Y, NF, F], [F, Y, NF, F]).await;
}

#[tokio::test]
async fn authority_accept() {
    transition_authority("ACCEPT", "IN_PROGRESS", [F, Y, NF, F], [F, F, NF, Y]).await;
}

#[tokio::test]
async fn authority_settle() {
    transition_authority("SETTLE", "ACCEPTED", [F, Y, NF, F], [F, F, NF, Y]).await;
}

#[tokio::test]
async fn authority_stop_approved() {
    transition_authority("STOP", "APPROVED", [F, Y, NF, F], [F, F, NF, Y]).await;
}

#[tokio::test]
async fn authority_stop_in_progress() {
    transition_authority("STOP", "IN_PROGRESS", [F, Y, NF, F], [F, F, NF, Y]).await;
}

#[tokio::test]
async fn authority_cancel_draft() {
    transition_authority("CANCEL", "DRAFT", [Y, Y, NF, Y], [Y, Y, NF, Y]).await;
}

#[tokio::test]
async fn authority_cancel_submitted() {
    transition_authority("CANCEL", "SUBMITTED", [Y, Y, NF, Y], [Y, Y, NF, Y]).await;
}

#[tokio::test]
async fn the_role_is_checked_before_the_state() {
    let w = World::new().await;
    let (p, _) = w.at("LOCAL", "SETTLED").await;
    // A commune may never approve: FORBIDDEN even where APPROVE is impossible anyway.
    expect_code(
        &w.act(&w.commune.token, &p, "APPROVE").await,
        "FORBIDDEN",
        "commune approves a settled project",
    );
    expect_code(
        &w.act(&w.province.token, &p, "APPROVE").await,
        "INVALID_TRANSITION",
        "province approves a settled project",
    );
}

#[tokio::test]
async fn read_only_accounts_are_forbidden_every_project_mutation() {
    let w = World::new().await;
    let ro_province = w
        .app
        .user(Role::Province, Some(DAK_LAK), None, false, true)
        .await;
    let ro_national = w.app.user(Role::National, None, None, false, true).await;
    let ro_commune = w
        .app
        .user(Role::Commune, None, Some(BMT), false, true)
        .await;
    let (draft, draft_alloc) = w.funded("LOCAL").await;
    let (approved, approved_alloc) = w.at("LOCAL", "APPROVED").await;
    let (national, _) = w.at("NATIONAL", "APPRAISED").await;
    let e = w.new_establishment().await;
    let before = [
        w.get(&draft).await,
        w.get(&approved).await,
        w.get(&national).await,
    ];

    for ro in [&ro_province, &ro_commune] {
        let t = &ro.token;
        let who = &ro.username;
        expect_code(
            &create_project_raw(&w.app, t, project_input("LOCAL", DAK_LAK, json!({})), None).await,
            "FORBIDDEN",
            who,
        );
        expect_code(
            &w.update(t, &draft, json!({ "title": "x" })).await,
            "FORBIDDEN",
            who,
        );
        expect_code(
            &w.add(t, &draft, &e, 1_000_000, 1_000_000).await,
            "FORBIDDEN",
            who,
        );
        expect_code(
            &w.remove(t, &draft, &w.establishment).await,
            "FORBIDDEN",
            who,
        );
        expect_code(&w.act(t, &draft, "SUBMIT").await, "FORBIDDEN", who);
    }
    let t = &ro_province.token;
    expect_code(
        &w.allocate(t, &draft, &w.local_source, 1).await,
        "FORBIDDEN",
        "read-only province allocates",
    );
    expect_code(
        &release_raw(&w.app, t, &draft_alloc).await,
        "FORBIDDEN",
        "read-only province releases",
    );
    expect_code(
        &disburse_raw(&w.app, t, &approved_alloc, 1).await,
        "FORBIDDEN",
        "read-only province disburses",
    );
    expect_code(
        &w.act(t, &approved, "START").await,
        "FORBIDDEN",
        "read-only province starts",
    );
    expect_code(
        &create_source_raw(&w.app, t, source_input("LOCAL", None, YEAR, 1)).await,
        "FORBIDDEN",
        "read-only province creates a source",
    );
    let t = &ro_national.token;
    expect_code(
        &w.act(t, &national, "APPROVE").await,
        "FORBIDDEN",
        "read-only national approves",
    );
    expect_code(
        &w.allocate(t, &national, &w.national_source, 1).await,
        "FORBIDDEN",
        "read-only national allocates",
    );
    expect_code(
        &create_source_raw(&w.app, t, source_input("NATIONAL", None, YEAR, 1)).await,
        "FORBIDDEN",
        "read-only national creates a source",
    );

    let after = [
        w.get(&draft).await,
        w.get(&approved).await,
        w.get(&national).await,
    ];
    assert_eq!(before, after, "read-only accounts changed nothing");
    // Reading is fine.
    assert!(!get_project(&w.app, t, &draft).await.is_null());
}

// ---------------------------------------------------------------------------------------------
// Lifecycle

async fn allowed_transitions(level: &str) {
    let w = World::new().await;
    for (action, froms, to) in LIFECYCLE {
        for from in *froms {
            let (p, _) = w.at(level, from).await;
            let before = w.get(&p).await;
            let actor = w.actor_for(action, level);
            let comment = format!("{action} từ {from}: đồng ý");
            let body = w
                .act_with(&actor.token, &p, action, Some(&comment), None)
                .await;
            assert_ok(&body, &format!("{action} from {from} ({level})"));
            let after = &body["data"]["transitionProject"];
            assert_eq!(after["status"], *to, "{action} from {from}");
            assert_eq!(
                after["version"].as_i64(),
                before["version"].as_i64().map(|v| v + 1),
                "a transition bumps the version"
            );
            let history = w.get(&p).await["history"].clone();
            let history = history.as_array().expect("history");
            assert_eq!(
                history.len(),
                path(from).len() + 1,
                "one event per transition"
            );
            let last = history.last().expect("an event");
            assert_eq!(last["action"], *action);
            assert_eq!(last["fromStatus"], *from);
            assert_eq!(last["toStatus"], *to);
            assert_eq!(last["actor"]["id"], actor.id.as_str());
            assert_eq!(last["comment"], comment.as_str());
            assert!(last["at"].is_string());
        }
    }
}

#[tokio::test]
async fn allowed_transitions_of_a_local_project() {
    allowed_transitions("LOCAL").await;
}

#[tokio::test]
async fn allowed_transitions_of_a_national_project() {
    allowed_transitions("NATIONAL").await;
}

async fn invalid_transitions(level: &str) {
    let w = World::new().await;
    for status in STATUSES {
        let (p, _) = w.at(level, status).await;
        let before = w.get(&p).await;
        for (action, froms, _) in LIFECYCLE {
            if froms.contains(&status) {
                continue;
            }
            let body = w.act(&w.actor_for(action, level).token, &p, action).await;
            expect_code(
                &body,
                "INVALID_TRANSITION",
                &format!("{action} from {status} ({level})"),
            );
        }
        let after = w.get(&p).await;
        assert_eq!(
            before, after,
            "refused transitions change nothing ({status})"
        );
    }
}

#[tokio::test]
async fn every_other_transition_of_a_local_project_is_invalid() {
    invalid_transitions("LOCAL").await;
}

#[tokio::test]
async fn every_other_transition_of_a_national_project_is_invalid() {
    invalid_transitions("NATIONAL").await;
}

#[tokio::test]
async fn approval_needs_full_funding_and_a_beneficiary() {
    let w = World::new().await;
    for level in LEVELS {
        let approver = &w.approver(level).token;
        let source = w.source_for(level);

        // Partly funded: refused until the rest is allocated (possible in APPRAISED).
        let p = w.project(level, json!({})).await;
        assert_ok(
            &w.add(&w.commune.token, &p, &w.establishment, SUPPORT, SUPPORT)
                .await,
            "add",
        );
        w.allocated(approver, &p, source, 60_000_000).await;
        w.drive(&p, level, "APPRAISED").await;
        expect_code(
            &w.act(approver, &p, "APPROVE").await,
            "INVALID_TRANSITION",
            "approve with 60 % funded",
        );
        w.allocated(approver, &p, source, 40_000_000).await;
        assert_ok(
            &w.act(approver, &p, "APPROVE").await,
            "approve fully funded",
        );

        // Not funded at all.
        let p = w.project(level, json!({})).await;
        assert_ok(
            &w.add(&w.commune.token, &p, &w.establishment, SUPPORT, SUPPORT)
                .await,
            "add",
        );
        w.drive(&p, level, "APPRAISED").await;
        expect_code(
            &w.act(approver, &p, "APPROVE").await,
            "INVALID_TRANSITION",
            "approve unfunded",
        );

        // Fully funded general support but no beneficiary (INDIVIDUAL).
        let p = w
            .project(level, json!({ "generalSupportVnd": 50_000_000 }))
            .await;
        w.allocated(approver, &p, source, 50_000_000).await;
        w.drive(&p, level, "APPRAISED").await;
        expect_code(
            &w.act(approver, &p, "APPROVE").await,
            "INVALID_TRANSITION",
            "approve an individual project without beneficiaries",
        );
        assert_eq!(w.status(&p).await, "APPRAISED");

        // A GROUP project needs no beneficiary, but still full funding above zero.
        let p = w
            .project(
                level,
                json!({ "kind": "GROUP", "generalSupportVnd": 50_000_000 }),
            )
            .await;
        w.allocated(approver, &p, source, 50_000_000).await;
        w.drive(&p, level, "APPROVED").await;
        let p = w.project(level, json!({ "kind": "GROUP" })).await;
        w.drive(&p, level, "APPRAISED").await;
        expect_code(
            &w.act(approver, &p, "APPROVE").await,
            "INVALID_TRANSITION",
            "approve a group project with no support",
        );
    }
}

#[tokio::test]
async fn money_and_beneficiaries_change_only_while_draft_submitted_or_appraised() {
    let w = World::new().await;
    for level in LEVELS {
        let approver = &w.approver(level).token;
        let source = w.source_for(level);
        for status in STATUSES {
            let (p, a) = w.at(level, status).await;
            let e = w.new_establishment().await;
            if ["DRAFT", "SUBMITTED", "APPRAISED"].contains(&status) {
                let what = format!("{level} {status}");
                assert_ok(
                    &w.add(&w.province.token, &p, &e, 10_000_000, 10_000_000)
                        .await,
                    &what,
                );
                assert_ok(
                    &w.update(
                        &w.province.token,
                        &p,
                        json!({ "generalSupportVnd": 5_000_000 }),
                    )
                    .await,
                    &what,
                );
                assert_ok(&w.allocate(approver, &p, source, 5_000_000).await, &what);
                assert_ok(&w.remove(&w.province.token, &p, &e).await, &what);
                let got = w.get(&p).await;
                assert_eq!(vnd(&got["supportVnd"]), SUPPORT + 5_000_000, "{what}");
                assert_eq!(vnd(&got["allocatedVnd"]), SUPPORT + 5_000_000, "{what}");
                assert_ok(&release_raw(&w.app, approver, &a).await, &what);
            } else {
                let before = w.get(&p).await;
                let what = |m: &str| format!("{m} in {status} ({level})");
                expect_code(
                    &w.add(&w.province.token, &p, &e, 10_000_000, 10_000_000)
                        .await,
                    "INVALID_TRANSITION",
                    &what("addBeneficiary"),
                );
                expect_code(
                    &w.remove(&w.province.token, &p, &w.establishment).await,
                    "INVALID_TRANSITION",
                    &what("removeBeneficiary"),
                );
                expect_code(
                    &w.update(
                        &w.province.token,
                        &p,
                        json!({ "generalSupportVnd": 5_000_000 }),
                    )
                    .await,
                    "INVALID_TRANSITION",
                    &what("updateProject"),
                );
                expect_code(
                    &w.allocate(approver, &p, source, 1_000_000).await,
                    "INVALID_TRANSITION",
                    &what("allocateFunding"),
                );
                assert_eq!(before, w.get(&p).await, "{}", what("nothing changed"));
            }
        }
    }
}

#[tokio::test]
async fn a_group_project_takes_beneficiaries_until_it_starts() {
    let w = World::new().await;
    let level = "NATIONAL";
    let p = w
        .project(
            level,
            json!({ "kind": "GROUP", "generalSupportVnd": 50_000_000 }),
        )
        .await;
    w.allocated(&w.national.token, &p, &w.national_source, 50_000_000)
        .await;
    w.drive(&p, level, "APPROVED").await;

    // The province chooses the beneficiaries once the group project is approved.
    let e1 = w.new_establishment().await;
    let e2 = w.new_establishment().await;
    let body = w
        .add(&w.province.token, &p, &e1, 10_000_000, 10_000_000)
        .await;
    assert_ok(&body, "add to an approved group project");
    assert_ok(
        &w.add(&w.province.token, &p, &e2, 10_000_000, 10_000_000)
            .await,
        "add another",
    );
    assert_ok(
        &w.remove(&w.province.token, &p, &e2).await,
        "remove from an approved group project",
    );
    let got = w.get(&p).await;
    assert_eq!(got["beneficiaries"].as_array().expect("list").len(), 1);
    // Its money is fixed all the same.
    expect_code(
        &w.allocate(&w.national.token, &p, &w.national_source, 1_000_000)
            .await,
        "INVALID_TRANSITION",
        "allocate to an approved group project",
    );

    w.step(&p, level, "START").await;
    let e3 = w.new_establishment().await;
    expect_code(
        &w.add(&w.province.token, &p, &e3, 10_000_000, 10_000_000)
            .await,
        "INVALID_TRANSITION",
        "add to a group project in progress",
    );
    expect_code(
        &w.remove(&w.province.token, &p, &e1).await,
        "INVALID_TRANSITION",
        "remove from a group project in progress",
    );

    // An individual project takes none once approved.
    let (q, _) = w.at(level, "APPROVED").await;
    expect_code(
        &w.add(&w.province.token, &q, &e3, 10_000_000, 10_000_000)
            .await,
        "INVALID_TRANSITION",
        "add to an approved individual project",
    );
}

#[tokio::test]
async fn acceptance_records_outcomes_and_history_keeps_every_transition() {
    let w = World::new().await;
    for level in LEVELS {
        let (p, _) = w.at(level, "SUBMITTED").await;
        // Returned for changes, resubmitted, then the whole way to settlement.
        w.step(&p, level, "RETURN").await;
        w.step(&p, level, "SUBMIT").await;
        w.step(&p, level, "APPRAISE").await;
        w.step(&p, level, "APPROVE").await;
        w.step(&p, level, "START").await;
        let outcomes = json!({
            "jobsCreated": 12,
            "trainees": 35,
            "averageMonthlyIncomeVnd": 6_500_000,
            "notes": "Mô hình vận hành ổn định, sản lượng tăng 20 %.",
        });
        let body = w
            .act_with(
                &w.approver(level).token,
                &p,
                "ACCEPT",
                Some("Nghiệm thu đạt"),
                Some(outcomes.clone()),
            )
            .await;
        assert_ok(&body, "ACCEPT with outcomes");
        w.step(&p, level, "SETTLE").await;

        let got = w.get(&p).await;
        assert_eq!(got["status"], "SETTLED");
        assert_eq!(got["outcomes"], outcomes, "outcomes recorded on acceptance");
        let expected = [
            ("SUBMIT", "DRAFT", "SUBMITTED", &w.commune),
            ("RETURN", "SUBMITTED", "DRAFT", &w.province),
            ("SUBMIT", "DRAFT", "SUBMITTED", &w.commune),
            ("APPRAISE", "SUBMITTED", "APPRAISED", &w.province),
            ("APPROVE", "APPRAISED", "APPROVED", w.approver(level)),
            ("START", "APPROVED", "IN_PROGRESS", &w.province),
            ("ACCEPT", "IN_PROGRESS", "ACCEPTED", w.approver(level)),
            ("SETTLE", "ACCEPTED", "SETTLED", w.approver(level)),
        ];
        let history = got["history"].as_array().expect("history");
        assert_eq!(history.len(), expected.len(), "{history:#?}");
        for (event, (action, from, to, actor)) in history.iter().zip(expected) {
            assert_eq!(event["action"], action);
            assert_eq!(event["fromStatus"], from);
            assert_eq!(event["toStatus"], to);
            assert_eq!(event["actor"]["id"], actor.id.as_str());
            assert_eq!(event["actor"]["username"], actor.username.as_str());
        }
        assert_eq!(history[6]["comment"], "Nghiệm thu đạt");
        assert_eq!(history[0]["comment"], "Ý kiến khi SUBMIT");
        let times: Vec<chrono::DateTime<chrono::FixedOffset>> = history
            .iter()
            .map(|e| {
                chrono::DateTime::parse_from_rfc3339(e["at"].as_str().expect("at"))
                    .expect("RFC 3339")
            })
            .collect();
        assert!(
            times.windows(2).all(|p| p[0] <= p[1]),
            "history runs oldest first: {times:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Eligibility (Decree 45/2012 as amended by 235/2025)

#[tokio::test]
async fn large_enterprises_are_not_eligible_and_every_other_kind_is() {
    let w = World::new().await;
    let p = w.project("LOCAL", json!({})).await;
    let large = w
        .app
        .establishment(&w.commune.token, BMT, json!({ "kind": "LARGE_ENTERPRISE" }))
        .await;
    let body = w
        .add(&w.commune.token, &p, &id_of(&large), 10_000_000, 10_000_000)
        .await;
    expect_code(&body, "NOT_ELIGIBLE", "a large enterprise");

    let kinds = [
        "SME",
        "COOPERATIVE",
        "COOPERATIVE_UNION",
        "COOPERATIVE_GROUP",
        "BUSINESS_HOUSEHOLD",
        "ARTISAN",
    ];
    for kind in kinds {
        let e = w
            .app
            .establishment(&w.commune.token, BMT, json!({ "kind": kind }))
            .await;
        assert_ok(
            &w.add(&w.commune.token, &p, &id_of(&e), 10_000_000, 10_000_000)
                .await,
            kind,
        );
    }
    let got = w.get(&p).await;
    assert_eq!(
        got["beneficiaries"].as_array().expect("list").len(),
        kinds.len()
    );
    assert_eq!(vnd(&got["supportVnd"]), 60_000_000);
}

#[tokio::test]
async fn establishments_that_are_not_active_are_not_eligible() {
    let w = World::new().await;
    let p = w.project("LOCAL", json!({})).await;
    for status in ["SUSPENDED", "CLOSED"] {
        let e = w.app.establishment(&w.commune.token, BMT, json!({})).await;
        let e = set_status(&w.app, &w.commune.token, &e, status).await;
        assert_eq!(e["status"], status);
        let body = w
            .add(&w.commune.token, &p, &id_of(&e), 10_000_000, 10_000_000)
            .await;
        expect_code(&body, "NOT_ELIGIBLE", status);
    }
    let got = w.get(&p).await;
    assert!(got["beneficiaries"].as_array().expect("list").is_empty());
    assert_eq!(got["version"], 1, "nothing changed");
}

#[tokio::test]
async fn a_ward_of_a_centrally_run_city_needs_a_recognised_craft_village() {
    let app = spawn_app().await;
    let ha_noi = app.province(HA_NOI).await;
    let t = &ha_noi.token;
    for level in LEVELS {
        let p = new_project(&app, t, project_input(level, HA_NOI, json!({}))).await;
        let ward = app.establishment(t, BA_DINH, json!({})).await;
        let village = app
            .establishment(t, BA_DINH, json!({ "inCraftVillage": true }))
            .await;
        let rural = app.establishment(t, SOC_SON, json!({})).await;
        expect_code(
            &add_as(&app, t, &p, &id_of(&ward), 10_000_000, 10_000_000).await,
            "NOT_ELIGIBLE",
            &format!("Phường Ba Đình outside a craft village ({level})"),
        );
        assert_ok(
            &add_as(&app, t, &p, &id_of(&village), 10_000_000, 10_000_000).await,
            "Phường Ba Đình in a craft village",
        );
        assert_ok(
            &add_as(&app, t, &p, &id_of(&rural), 10_000_000, 10_000_000).await,
            "a rural commune of Hà Nội",
        );
    }
}

#[tokio::test]
async fn a_local_project_benefits_only_establishments_of_its_province() {
    let w = World::new().await;
    let outsider = id_of(
        &w.app
            .establishment(&w.national.token, TRUONG_PHU, json!({}))
            .await,
    );
    let local = w.project("LOCAL", json!({})).await;
    expect_code(
        &w.add(&w.national.token, &local, &outsider, 10_000_000, 10_000_000)
            .await,
        "NOT_ELIGIBLE",
        "a Quảng Trị establishment on a Đắk Lắk local project",
    );
    // The province of the project cannot even see it.
    expect_code(
        &w.add(&w.province.token, &local, &outsider, 10_000_000, 10_000_000)
            .await,
        "NOT_FOUND",
        "an establishment outside the province user's area",
    );
    // A national project is not bound to one province.
    let national = w.project("NATIONAL", json!({})).await;
    assert_ok(
        &w.add(
            &w.national.token,
            &national,
            &outsider,
            10_000_000,
            10_000_000,
        )
        .await,
        "a Quảng Trị establishment on a national project",
    );
    // Another commune of the same province is fine for the province.
    let neighbour = id_of(
        &w.app
            .establishment(&w.province.token, DAK_LAK_OTHER, json!({}))
            .await,
    );
    assert_ok(
        &w.add(
            &w.province.token,
            &local,
            &neighbour,
            10_000_000,
            10_000_000,
        )
        .await,
        "another commune of Đắk Lắk",
    );
}

#[tokio::test]
async fn an_establishment_benefits_once_per_project() {
    let w = World::new().await;
    let p = w.project("LOCAL", json!({})).await;
    assert_ok(
        &w.add(
            &w.commune.token,
            &p,
            &w.establishment,
            10_000_000,
            10_000_000,
        )
        .await,
        "first",
    );
    let before = w.get(&p).await;
    expect_code(
        &w.add(&w.commune.token, &p, &w.establishment, 5_000_000, 5_000_000)
            .await,
        "CONFLICT",
        "the same establishment twice",
    );
    assert_eq!(before, w.get(&p).await, "nothing changed");
    // It may benefit from another project.
    let q = w.project("LOCAL", json!({})).await;
    assert_ok(
        &w.add(
            &w.commune.token,
            &q,
            &w.establishment,
            10_000_000,
            10_000_000,
        )
        .await,
        "another project",
    );
}

// ---------------------------------------------------------------------------------------------
// Support caps (Circular 28/2018/TT-BTC as amended; Đắk Lắk's own local caps)

/// Adds `e` to a new project of `category` and checks the outcome: `None` for success, or the
/// amount the cap message must name and a text it must contain.
#[allow(clippy::too_many_arguments)]
async fn cap_case(
    app: &TestApp,
    token: &str,
    level: &str,
    province: &str,
    category: &str,
    e: &str,
    support: i64,
    counterpart: i64,
    over: Option<(i64, &str)>,
) {
    let p = new_project(
        app,
        token,
        project_input(level, province, json!({ "category": category })),
    )
    .await;
    let body = add_as(app, token, &p, e, support, counterpart).await;
    let what = format!("{category} {level} in {province}: {support} + {counterpart}");
    match over {
        None => {
            assert_ok(&body, &what);
            assert_eq!(
                vnd(&body["data"]["addBeneficiary"]["supportVnd"]),
                support,
                "{what}"
            );
        }
        Some((cap, basis)) => {
            assert_field(&body, "supportVnd");
            let msg = message(&body);
            assert!(mentions_vnd(msg, cap), "{what}: {msg} names {cap}");
            assert!(msg.contains(basis), "{what}: {msg} names {basis}");
            assert!(
                get_project(app, token, &p).await["beneficiaries"]
                    .as_array()
                    .expect("list")
                    .is_empty(),
                "{what}: nothing added"
            );
        }
    }
}

#[tokio::test]
async fn machinery_and_technology_transfer_are_capped_at_half_and_300_million() {
    let w = World::new().await;
    let t = &w.commune.token;
    let e = &w.establishment;
    let circular = "Circular 28/2018";
    for category in ["ADVANCED_MACHINERY", "TECHNOLOGY_TRANSFER"] {
        for level in LEVELS {
            // Exactly at both caps: 300,000,000 and exactly 50 %.
            cap_case(
                &w.app,
                t,
                level,
                DAK_LAK,
                category,
                e,
                300_000_000,
                300_000_000,
                None,
            )
            .await;
            // One đồng over the amount (share well under 50 %).
            cap_case(
                &w.app,
                t,
                level,
                DAK_LAK,
                category,
                e,
                300_000_001,
                400_000_000,
                Some((300_000_000, circular)),
            )
            .await;
            // Over 50 % by one đồng of own investment.
            cap_case(
                &w.app,
                t,
                level,
                DAK_LAK,
                category,
                e,
                200_000_000,
                199_999_999,
                Some((300_000_000, circular)),
            )
            .await;
            cap_case(
                &w.app,
                t,
                level,
                DAK_LAK,
                category,
                e,
                200_000_000,
                200_000_000,
                None,
            )
            .await;
        }
    }
}

#[tokio::test]
async fn a_national_demonstration_model_is_capped_at_30_percent_and_one_billion() {
    let w = World::new().await;
    let t = &w.commune.token;
    let e = &w.establishment;
    let cat = "TECHNICAL_DEMONSTRATION";
    let circular = "Circular 28/2018";
    let cap = 1_000_000_000;
    cap_case(
        &w.app,
        t,
        "NATIONAL",
        DAK_LAK,
        cat,
        e,
        cap,
        2_400_000_000,
        None,
    )
    .await;
    cap_case(
        &w.app,
        t,
        "NATIONAL",
        DAK_LAK,
        cat,
        e,
        cap + 1,
        2_400_000_000,
        Some((cap, circular)),
    )
    .await;
    // Exactly 30 %, and one đồng over it.
    cap_case(
        &w.app,
        t,
        "NATIONAL",
        DAK_LAK,
        cat,
        e,
        300_000_000,
        700_000_000,
        None,
    )
    .await;
    cap_case(
        &w.app,
        t,
        "NATIONAL",
        DAK_LAK,
        cat,
        e,
        300_000_001,
        700_000_000,
        Some((cap, circular)),
    )
    .await;
    // A national project in Đắk Lắk is under the national cap, not the province's.
    cap_case(
        &w.app,
        t,
        "NATIONAL",
        DAK_LAK,
        cat,
        e,
        900_000_000,
        2_100_000_000,
        None,
    )
    .await;
}

#[tokio::test]
async fn a_local_demonstration_model_uses_the_province_cap_or_else_the_national_one() {
    let w = World::new().await;
    let cat = "TECHNICAL_DEMONSTRATION";
    // Đắk Lắk has its own rule: 30 % and 800,000,000.
    let t = &w.commune.token;
    let e = &w.establishment;
    cap_case(
        &w.app,
        t,
        "LOCAL",
        DAK_LAK,
        cat,
        e,
        800_000_000,
        2_000_000_000,
        None,
    )
    .await;
    cap_case(
        &w.app,
        t,
        "LOCAL",
        DAK_LAK,
        cat,
        e,
        800_000_001,
        2_000_000_000,
        Some((800_000_000, "")),
    )
    .await;
    cap_case(
        &w.app,
        t,
        "LOCAL",
        DAK_LAK,
        cat,
        e,
        900_000_000,
        2_100_000_000,
        Some((800_000_000, "")),
    )
    .await;
    cap_case(
        &w.app,
        t,
        "LOCAL",
        DAK_LAK,
        cat,
        e,
        300_000_001,
        700_000_000,
        Some((800_000_000, "")),
    )
    .await;
    // Quảng Trị has none: the national 1,000,000,000 applies to its local projects.
    let qt = &w.other.token;
    let qe = id_of(&w.app.establishment(qt, TRUONG_PHU, json!({})).await);
    cap_case(
        &w.app,
        qt,
        "LOCAL",
        QUANG_TRI,
        cat,
        &qe,
        900_000_000,
        2_100_000_000,
        None,
    )
    .await;
    cap_case(
        &w.app,
        qt,
        "LOCAL",
        QUANG_TRI,
        cat,
        &qe,
        1_000_000_000,
        2_400_000_000,
        None,
    )
    .await;
    cap_case(
        &w.app,
        qt,
        "LOCAL",
        QUANG_TRI,
        cat,
        &qe,
        1_000_000_001,
        2_400_000_000,
        Some((1_000_000_000, "Circular 28/2018")),
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Allocations

#[tokio::test]
async fn a_project_is_funded_only_from_sources_of_its_programme() {
    let w = World::new().await;
    let national_other = new_source(&w.app, &w.national.token, "OTHER", None, YEAR, PLENTY).await;
    let province_other = new_source(&w.app, &w.province.token, "OTHER", None, YEAR, PLENTY).await;
    let quang_tri_local = new_source(&w.app, &w.other.token, "LOCAL", None, YEAR, PLENTY).await;
    let quang_tri_other = new_source(&w.app, &w.other.token, "OTHER", None, YEAR, PLENTY).await;

    let project = |level: &'static str| {
        let w = &w;
        async move {
            let p = w.project(level, json!({})).await;
            assert_ok(
                &w.add(&w.commune.token, &p, &w.establishment, SUPPORT, SUPPORT)
                    .await,
                "add",
            );
            p
        }
    };

    // LOCAL: its province's LOCAL sources, or OTHER ones.
    let p = project("LOCAL").await;
    let t = &w.province.token;
    assert_field(
        &w.allocate(t, &p, &w.national_source, 1_000_000).await,
        "fundingSourceId",
    );
    // Another province's sources do not exist for the Đắk Lắk province user.
    expect_code(
        &w.allocate(t, &p, &quang_tri_local, 1_000_000).await,
        "NOT_FOUND",
        "a LOCAL source of another province",
    );
    expect_code(
        &w.allocate(t, &p, &quang_tri_other, 1_000_000).await,
        "NOT_FOUND",
        "an OTHER source of another province",
    );
    assert_eq!(vnd(&w.get(&p).await["allocatedVnd"]), 0);
    assert_ok(
        &w.allocate(t, &p, &w.local_source, 1_000_000).await,
        "its LOCAL source",
    );
    assert_ok(
        &w.allocate(t, &p, &province_other, 1_000_000).await,
        "its province's OTHER source",
    );
    assert_ok(
        &w.allocate(t, &p, &national_other, 1_000_000).await,
        "a nationwide OTHER source",
    );
    assert_eq!(vnd(&w.get(&p).await["allocatedVnd"]), 3_000_000);

    // NATIONAL: NATIONAL or OTHER sources.
    let p = project("NATIONAL").await;
    let t = &w.national.token;
    assert_field(
        &w.allocate(t, &p, &w.local_source, 1_000_000).await,
        "fundingSourceId",
    );
    assert_field(
        &w.allocate(t, &p, &quang_tri_local, 1_000_000).await,
        "fundingSourceId",
    );
    assert_eq!(vnd(&w.get(&p).await["allocatedVnd"]), 0);
    assert_ok(
        &w.allocate(t, &p, &w.national_source, 1_000_000).await,
        "a NATIONAL source",
    );
    assert_ok(
        &w.allocate(t, &p, &national_other, 1_000_000).await,
        "an OTHER source",
    );
    assert_eq!(vnd(&w.get(&p).await["allocatedVnd"]), 2_000_000);
    assert_eq!(
        vnd(&w.source(&w.local_source).await["allocatedVnd"]),
        1_000_000
    );
}

#[tokio::test]
async fn the_fiscal_year_of_source_and_project_must_match() {
    let w = World::new().await;
    let local_2026 = new_source(&w.app, &w.province.token, "LOCAL", None, 2026, PLENTY).await;
    let national_2024 = new_source(&w.app, &w.national.token, "NATIONAL", None, 2024, PLENTY).await;
    for (level, source) in [("LOCAL", &local_2026), ("NATIONAL", &national_2024)] {
        let p = w.project(level, json!({})).await;
        assert_ok(
            &w.add(&w.commune.token, &p, &w.establishment, SUPPORT, SUPPORT)
                .await,
            "add",
        );
        assert_field(
            &w.allocate(&w.approver(level).token, &p, source, 1_000_000)
                .await,
            "fundingSourceId",
        );
        assert_eq!(vnd(&w.source(source).await["allocatedVnd"]), 0);
        assert_eq!(vnd(&w.get(&p).await["allocatedVnd"]), 0);
    }
}

#[tokio::test]
async fn allocations_never_exceed_the_project_support() {
    let w = World::new().await;
    let other = new_source(&w.app, &w.province.token, "OTHER", None, YEAR, PLENTY).await;
    let t = &w.province.token;
    let p = w.project("LOCAL", json!({})).await;
    assert_ok(
        &w.add(&w.commune.token, &p, &w.establishment, SUPPORT, SUPPORT)
            .await,
        "add",
    );
    w.allocated(t, &p, &w.local_source, 60_000_000).await;
    // Across sources: Σ allocations ≤ support.
    expect_code(
        &w.allocate(t, &p, &other, 40_000_001).await,
        "BUDGET_EXCEEDED",
        "one đồng over the support",
    );
    assert_eq!(vnd(&w.source(&other).await["allocatedVnd"]), 0);
    w.allocated(t, &p, &other, 40_000_000).await;
    expect_code(
        &w.allocate(t, &p, &w.local_source, 1).await,
        "BUDGET_EXCEEDED",
        "anything beyond full funding",
    );
    assert_eq!(vnd(&w.get(&p).await["allocatedVnd"]), SUPPORT);
    // Nothing, or less than nothing, is not an allocation.
    assert_field(&w.allocate(t, &p, &other, 0).await, "amountVnd");
    // A project without support takes no money.
    let empty = w.project("LOCAL", json!({})).await;
    expect_code(
        &w.allocate(t, &empty, &w.local_source, 1).await,
        "BUDGET_EXCEEDED",
        "a project without support",
    );
}

#[tokio::test]
async fn allocations_never_exceed_the_source() {
    let w = World::new().await;
    let t = &w.province.token;
    let small = new_source(&w.app, t, "LOCAL", None, YEAR, 50_000_000).await;
    let p = w.project("LOCAL", json!({})).await;
    assert_ok(
        &w.add(&w.commune.token, &p, &w.establishment, SUPPORT, SUPPORT)
            .await,
        "add",
    );
    expect_code(
        &w.allocate(t, &p, &small, 50_000_001).await,
        "BUDGET_EXCEEDED",
        "one đồng over the source",
    );
    assert_eq!(vnd(&w.get(&p).await["allocatedVnd"]), 0, "rolled back");
    w.allocated(t, &p, &small, 30_000_000).await;
    w.allocated(t, &p, &small, 20_000_000).await;
    expect_code(
        &w.allocate(t, &p, &small, 1).await,
        "BUDGET_EXCEEDED",
        "an exhausted source",
    );
    let s = w.source(&small).await;
    assert_eq!(vnd(&s["allocatedVnd"]), 50_000_000);
    assert_eq!(vnd(&s["remainingVnd"]), 0);
    assert_eq!(vnd(&w.get(&p).await["allocatedVnd"]), 50_000_000);
}

/// Fires `n` allocateFunding requests of `amount` at once (one per project in `projects`,
/// cycling) and returns the bodies.
async fn race(
    app: &TestApp,
    token: &str,
    projects: &[String],
    source: &str,
    n: usize,
    amount: i64,
) -> Vec<Value> {
    let url = format!("{}/graphql", app.address);
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let vars = json!({ "p": projects[i % projects.len()], "s": source, "a": amount });
            tokio::spawn(post(
                app.client.clone(),
                url.clone(),
                token.to_owned(),
                ALLOCATE,
                vars,
            ))
        })
        .collect();
    join_all(handles)
        .await
        .into_iter()
        .map(|r| r.expect("task finished"))
        .collect()
}

/// Counts successes; every other answer must be BUDGET_EXCEEDED.
fn tally(bodies: &[Value]) -> usize {
    let mut ok = 0;
    for b in bodies {
        match code_of(b) {
            None => {
                assert!(b["data"]["allocateFunding"]["id"].is_string(), "{b:#}");
                ok += 1;
            }
            Some("BUDGET_EXCEEDED") => {}
            Some(other) => panic!("a racing allocation failed with {other}: {b:#}"),
        }
    }
    ok
}

async fn allocations_of_source(app: &TestApp, source: &str) -> Vec<allocation::Model> {
    allocation::Entity::find()
        .filter(allocation::Column::FundingSourceId.eq(row_id(source)))
        .all(&app.state.db)
        .await
        .expect("allocations")
}

async fn allocate_audits(app: &TestApp) -> usize {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("allocate"))
        .all(&app.state.db)
        .await
        .expect("audit")
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_allocations_across_projects_never_overcommit_a_source() {
    let app = crate::helpers::spawn_app_admitting_all().await;
    let province = app.province(DAK_LAK).await;
    let t = &province.token;
    let src = new_source(&app, t, "LOCAL", None, YEAR, 300_000_000).await;
    let mut projects = Vec::new();
    for _ in 0..50 {
        projects.push(
            new_project(
                &app,
                t,
                project_input("LOCAL", DAK_LAK, json!({ "generalSupportVnd": 20_000_000 })),
            )
            .await,
        );
    }
    let audits = allocate_audits(&app).await;

    let bodies = race(&app, t, &projects, &src, 50, 10_000_000).await;
    assert_eq!(
        tally(&bodies),
        30,
        "exactly 300,000,000 / 10,000,000 succeed"
    );

    let s = source(&app, t, &src).await;
    assert_eq!(vnd(&s["amountVnd"]), 300_000_000);
    assert_eq!(vnd(&s["allocatedVnd"]), 300_000_000);
    assert_eq!(vnd(&s["remainingVnd"]), 0);
    let rows = allocations_of_source(&app, &src).await;
    assert_eq!(rows.len(), 30);
    assert_eq!(rows.iter().map(|a| a.amount_vnd).sum::<i64>(), 300_000_000);
    let list = app.ok(Some(t), LIST, json!({ "f": {} })).await;
    let projected: i64 = list["projects"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| vnd(&n["allocatedVnd"]))
        .sum();
    assert_eq!(projected, 300_000_000, "the projects' side agrees");
    assert_eq!(
        allocate_audits(&app).await - audits,
        30,
        "failed ones left no trace"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_allocations_to_one_project_never_overcommit_a_source() {
    let app = crate::helpers::spawn_app_admitting_all().await;
    let province = app.province(DAK_LAK).await;
    let t = &province.token;
    let src = new_source(&app, t, "LOCAL", None, YEAR, 300_000_000).await;
    let p = new_project(
        &app,
        t,
        project_input(
            "LOCAL",
            DAK_LAK,
            json!({ "generalSupportVnd": 1_000_000_000 }),
        ),
    )
    .await;
    let bodies = race(&app, t, std::slice::from_ref(&p), &src, 50, 10_000_000).await;
    assert_eq!(tally(&bodies), 30);
    let s = source(&app, t, &src).await;
    assert_eq!(vnd(&s["allocatedVnd"]), 300_000_000);
    assert_eq!(vnd(&s["remainingVnd"]), 0);
    assert_eq!(
        vnd(&get_project(&app, t, &p).await["allocatedVnd"]),
        300_000_000
    );
    let rows = allocations_of_source(&app, &src).await;
    assert_eq!(rows.iter().map(|a| a.amount_vnd).sum::<i64>(), 300_000_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_allocations_never_exceed_a_project_support() {
    let app = crate::helpers::spawn_app_admitting_all().await;
    let province = app.province(DAK_LAK).await;
    let t = &province.token;
    let src = new_source(&app, t, "LOCAL", None, YEAR, 1_000_000_000).await;
    let p = new_project(
        &app,
        t,
        project_input(
            "LOCAL",
            DAK_LAK,
            json!({ "generalSupportVnd": 250_000_000 }),
        ),
    )
    .await;
    let bodies = race(&app, t, std::slice::from_ref(&p), &src, 50, 10_000_000).await;
    assert_eq!(tally(&bodies), 25);
    assert_eq!(
        vnd(&get_project(&app, t, &p).await["allocatedVnd"]),
        250_000_000
    );
    assert_eq!(
        vnd(&source(&app, t, &src).await["allocatedVnd"]),
        250_000_000
    );
}

// ---------------------------------------------------------------------------------------------
// Releases and disbursements

#[tokio::test]
async fn release_allocation_returns_the_money_to_the_source() {
    let w = World::new().await;
    let t = &w.province.token;
    let src = new_source(&w.app, t, "LOCAL", None, YEAR, 200_000_000).await;
    let p = w.project("LOCAL", json!({})).await;
    assert_ok(
        &w.add(&w.commune.token, &p, &w.establishment, SUPPORT, SUPPORT)
            .await,
        "add",
    );
    let a1 = w.allocated(t, &p, &src, 60_000_000).await;
    let a2 = w.allocated(t, &p, &src, 40_000_000).await;
    assert_eq!(vnd(&w.source(&src).await["remainingVnd"]), 100_000_000);

    let body = release_raw(&w.app, t, &a1).await;
    assert_ok(&body, "release");
    let r = &body["data"]["releaseAllocation"];
    assert_eq!(r["released"], true);
    assert_eq!(vnd(&r["releasedVnd"]), 60_000_000);
    assert_eq!(vnd(&r["amountVnd"]), 60_000_000);
    let s = w.source(&src).await;
    assert_eq!(vnd(&s["remainingVnd"]), 160_000_000);
    assert_eq!(vnd(&s["allocatedVnd"]), 40_000_000);
    assert_eq!(vnd(&w.get(&p).await["allocatedVnd"]), 40_000_000);
    assert_eq!(w.allocation(&p, &a1).await["released"], true);
    assert_eq!(w.allocation(&p, &a2).await["released"], false);

    // Once only.
    expect_code(
        &release_raw(&w.app, t, &a1).await,
        "INVALID_TRANSITION",
        "release twice",
    );
    assert_eq!(vnd(&w.source(&src).await["remainingVnd"]), 160_000_000);
    // The money may be allocated again.
    w.allocated(t, &p, &src, 60_000_000).await;
    assert_eq!(vnd(&w.source(&src).await["remainingVnd"]), 100_000_000);

    // Once approved, money leaves a project only by STOP or SETTLE.
    w.drive(&p, "LOCAL", "APPROVED").await;
    expect_code(
        &release_raw(&w.app, t, &a2).await,
        "INVALID_TRANSITION",
        "release on an approved project",
    );
    assert_eq!(vnd(&w.source(&src).await["remainingVnd"]), 100_000_000);
}

#[tokio::test]
async fn settlement_releases_what_was_not_disbursed() {
    let w = World::new().await;
    for level in LEVELS {
        let owner = w.approver(level);
        let src = match level {
            "LOCAL" => new_source(&w.app, &owner.token, "LOCAL", None, YEAR, 500_000_000).await,
            _ => new_source(&w.app, &owner.token, "NATIONAL", None, YEAR, 500_000_000).await,
        };
        let (p, a) = w.funded_from(level, &src).await;
        w.drive(&p, level, "IN_PROGRESS").await;
        assert_ok(
            &disburse_raw(&w.app, &w.province.token, &a, 70_000_000).await,
            "advance",
        );
        w.step(&p, level, "ACCEPT").await;
        assert_ok(
            &disburse_raw(&w.app, &w.province.token, &a, 10_000_000).await,
            "payment after acceptance",
        );
        let s = w.source(&src).await;
        assert_eq!(vnd(&s["remainingVnd"]), 400_000_000);
        assert_eq!(vnd(&s["disbursedVnd"]), 80_000_000);

        w.step(&p, level, "SETTLE").await;
        let s = w.source(&src).await;
        assert_eq!(vnd(&s["remainingVnd"]), 420_000_000, "20,000,000 came back");
        assert_eq!(vnd(&s["allocatedVnd"]), 80_000_000);
        assert_eq!(vnd(&s["disbursedVnd"]), 80_000_000);
        let alloc = w.allocation(&p, &a).await;
        assert_eq!(alloc["released"], true);
        assert_eq!(vnd(&alloc["releasedVnd"]), 20_000_000);
        assert_eq!(vnd(&alloc["disbursedVnd"]), 80_000_000);
        let got = w.get(&p).await;
        assert_eq!(vnd(&got["disbursedVnd"]), 80_000_000);
        expect_code(
            &disburse_raw(&w.app, &w.province.token, &a, 1).await,
            "INVALID_TRANSITION",
            "pay a settled project",
        );
    }
}

#[tokio::test]
async fn stopping_releases_what_was_not_disbursed() {
    let w = World::new().await;
    for level in LEVELS {
        let owner = w.approver(level);
        for (stop_in, paid) in [
            ("APPROVED", 0),
            ("APPROVED", 30_000_000),
            ("IN_PROGRESS", 45_000_000),
        ] {
            let src = match level {
                "LOCAL" => new_source(&w.app, &owner.token, "LOCAL", None, YEAR, 500_000_000).await,
                _ => new_source(&w.app, &owner.token, "NATIONAL", None, YEAR, 500_000_000).await,
            };
            let (p, a) = w.funded_from(level, &src).await;
            w.drive(&p, level, stop_in).await;
            if paid > 0 {
                assert_ok(
                    &disburse_raw(&w.app, &w.province.token, &a, paid).await,
                    "advance",
                );
            }
            assert_eq!(vnd(&w.source(&src).await["remainingVnd"]), 400_000_000);
            w.step(&p, level, "STOP").await;
            let s = w.source(&src).await;
            let what = format!("STOP in {stop_in} after {paid} ({level})");
            assert_eq!(
                vnd(&s["remainingVnd"]),
                400_000_000 + SUPPORT - paid,
                "{what}"
            );
            assert_eq!(vnd(&s["allocatedVnd"]), paid, "{what}");
            let alloc = w.allocation(&p, &a).await;
            assert_eq!(alloc["released"], true, "{what}");
            assert_eq!(vnd(&alloc["releasedVnd"]), SUPPORT - paid, "{what}");
            expect_code(
                &disburse_raw(&w.app, &w.province.token, &a, 1).await,
                "INVALID_TRANSITION",
                "pay a stopped project",
            );
        }
    }
}

#[tokio::test]
async fn rejection_and_cancellation_release_everything() {
    let w = World::new().await;
    for level in LEVELS {
        let owner = w.approver(level);
        let paths: [(&str, &str); 4] = [
            ("SUBMITTED", "REJECT"),
            ("APPRAISED", "REJECT"),
            ("DRAFT", "CANCEL"),
            ("SUBMITTED", "CANCEL"),
        ];
        for (from, action) in paths {
            let src = match level {
                "LOCAL" => new_source(&w.app, &owner.token, "LOCAL", None, YEAR, 500_000_000).await,
                _ => new_source(&w.app, &owner.token, "NATIONAL", None, YEAR, 500_000_000).await,
            };
            let (p, a) = w.funded_from(level, &src).await;
            w.drive(&p, level, from).await;
            assert_eq!(vnd(&w.source(&src).await["remainingVnd"]), 400_000_000);
            w.step(&p, level, action).await;
            let what = format!("{action} from {from} ({level})");
            let s = w.source(&src).await;
            assert_eq!(vnd(&s["remainingVnd"]), 500_000_000, "{what}");
            assert_eq!(vnd(&s["allocatedVnd"]), 0, "{what}");
            let alloc = w.allocation(&p, &a).await;
            assert_eq!(alloc["released"], true, "{what}");
            assert_eq!(vnd(&alloc["releasedVnd"]), SUPPORT, "{what}");
            assert_eq!(vnd(&w.get(&p).await["allocatedVnd"]), 0, "{what}");
        }
    }
}

#[tokio::test]
async fn advances_stay_within_70_percent_until_acceptance() {
    let w = World::new().await;
    for level in LEVELS {
        let p_token = &w.province.token;
        let (p, a) = w.at(level, "APPROVED").await;
        // 70 % of 100,000,000 is 70,000,000.
        assert_field(
            &disburse_raw(&w.app, p_token, &a, 70_000_001).await,
            "amountVnd",
        );
        assert_field(&disburse_raw(&w.app, p_token, &a, 0).await, "amountVnd");
        let body = disburse_raw(&w.app, p_token, &a, 50_000_000).await;
        assert_ok(&body, "an advance");
        let d = &body["data"]["recordDisbursement"];
        assert_eq!(vnd(&d["amountVnd"]), 50_000_000);
        assert_eq!(d["date"], "2025-06-15");
        assert_eq!(d["note"], "tạm ứng");
        w.step(&p, level, "START").await;
        assert_field(
            &disburse_raw(&w.app, p_token, &a, 20_000_001).await,
            "amountVnd",
        );
        assert_ok(
            &disburse_raw(&w.app, p_token, &a, 20_000_000).await,
            "up to exactly 70 %",
        );
        assert_field(&disburse_raw(&w.app, p_token, &a, 1).await, "amountVnd");
        assert_eq!(vnd(&w.get(&p).await["disbursedVnd"]), 70_000_000);

        // After acceptance: the whole allocation, and not a đồng more.
        w.step(&p, level, "ACCEPT").await;
        expect_code(
            &disburse_raw(&w.app, p_token, &a, 30_000_001).await,
            "BUDGET_EXCEEDED",
            "over the allocation",
        );
        assert_ok(
            &disburse_raw(&w.app, p_token, &a, 30_000_000).await,
            "up to 100 %",
        );
        expect_code(
            &disburse_raw(&w.app, p_token, &a, 1).await,
            "BUDGET_EXCEEDED",
            "beyond the allocation",
        );
        let got = w.get(&p).await;
        assert_eq!(vnd(&got["disbursedVnd"]), SUPPORT);
        let alloc = w.allocation(&p, &a).await;
        assert_eq!(vnd(&alloc["disbursedVnd"]), SUPPORT);
        // Settling a fully paid project returns nothing.
        let remaining = vnd(&w.source(w.source_for(level)).await["remainingVnd"]);
        w.step(&p, level, "SETTLE").await;
        assert_eq!(
            vnd(&w.source(w.source_for(level)).await["remainingVnd"]),
            remaining
        );
        assert_eq!(vnd(&w.allocation(&p, &a).await["releasedVnd"]), 0);
    }
}

#[tokio::test]
async fn money_is_disbursed_only_while_approved_in_progress_or_accepted() {
    let w = World::new().await;
    for level in LEVELS {
        for status in STATUSES {
            let (p, a) = w.at(level, status).await;
            let body = disburse_raw(&w.app, &w.province.token, &a, 1_000_000).await;
            let what = format!("disburse in {status} ({level})");
            if ["APPROVED", "IN_PROGRESS", "ACCEPTED"].contains(&status) {
                assert_ok(&body, &what);
                assert_eq!(vnd(&w.get(&p).await["disbursedVnd"]), 1_000_000, "{what}");
            } else {
                expect_code(&body, "INVALID_TRANSITION", &what);
                assert_eq!(vnd(&w.get(&p).await["disbursedVnd"]), 0, "{what}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Audit trail, optimistic concurrency, idempotency

#[tokio::test]
async fn every_project_mutation_writes_an_audit_event() {
    let w = World::new().await;
    let level = "LOCAL";
    let user_row = |u: &TestUser| row_id(&u.id);
    // (project, action, actor) in the order taken.
    let mut expected: Vec<(String, &str, &TestUser)> = Vec::new();

    let p = w.project(level, json!({})).await;
    expected.push((p.clone(), "create", &w.commune));
    assert_ok(
        &w.add(&w.commune.token, &p, &w.establishment, SUPPORT, SUPPORT)
            .await,
        "add",
    );
    expected.push((p.clone(), "addBeneficiary", &w.commune));
    let a = w
        .allocated(&w.province.token, &p, &w.local_source, SUPPORT)
        .await;
    for action in ["SUBMIT", "APPRAISE", "APPROVE"] {
        w.step(&p, level, action).await;
        expected.push((p.clone(), action, w.actor_for(action, level)));
    }
    let body = disburse_raw(&w.app, &w.province.token, &a, 10_000_000).await;
    assert_ok(&body, "disburse");
    let d = id_of(&body["data"]["recordDisbursement"]);
    for action in ["START", "ACCEPT", "SETTLE"] {
        w.step(&p, level, action).await;
        expected.push((p.clone(), action, w.actor_for(action, level)));
    }
    // The other transitions, on other projects.
    let (q, _) = w.funded(level).await;
    for action in ["SUBMIT", "RETURN", "CANCEL"] {
        w.step(&q, level, action).await;
        expected.push((q.clone(), action, w.actor_for(action, level)));
    }
    let (r, _) = w.at(level, "SUBMITTED").await;
    w.step(&r, level, "REJECT").await;
    expected.push((r.clone(), "REJECT", &w.province));
    let (s, _) = w.at(level, "APPROVED").await;
    w.step(&s, level, "STOP").await;
    expected.push((s.clone(), "STOP", &w.province));

    for project in [&p, &q, &r, &s] {
        let want: Vec<(&str, i64)> = expected
            .iter()
            .filter(|(id, _, _)| id == project)
            .map(|(_, action, actor)| (*action, user_row(actor)))
            .collect();
        let rows = audit_rows(&w.app, "Project", row_id(project)).await;
        let got: Vec<(&str, i64)> = rows
            .iter()
            .filter(|r| want.iter().any(|(a, _)| *a == r.action))
            .map(|r| (r.action.as_str(), r.actor_id.unwrap_or(-1)))
            .collect();
        if project == &p {
            assert_eq!(got, want, "audit of the full lifecycle");
        } else {
            for item in &want {
                assert!(got.contains(item), "{item:?} audited: {got:?}");
            }
        }
        for row in &rows {
            if LIFECYCLE.iter().any(|t| t.0 == row.action) {
                let changes: Value = serde_json::from_str(&row.changes).expect("JSON changes");
                assert!(
                    changes["status"]["before"].is_string()
                        && changes["status"]["after"].is_string(),
                    "a transition records the status before and after: {changes:#}"
                );
                assert_eq!(row.province_code.as_deref(), Some(DAK_LAK));
            }
        }
    }
    let create = &audit_rows(&w.app, "Project", row_id(&p)).await[0];
    assert_eq!(create.action, "create");
    assert_eq!(create.actor_role.as_deref(), Some("COMMUNE"));
    assert_eq!(create.commune_code.as_deref(), Some(BMT));

    let rows = audit_rows(&w.app, "Allocation", row_id(&a)).await;
    assert_eq!(
        rows.iter().filter(|r| r.action == "allocate").count(),
        1,
        "{rows:?}"
    );
    assert_eq!(rows[0].actor_id, Some(user_row(&w.province)));
    let changes: Value = serde_json::from_str(&rows[0].changes).expect("JSON");
    assert_eq!(changes["amount_vnd"]["after"], SUPPORT, "{changes:#}");

    let rows = audit_rows(&w.app, "Disbursement", row_id(&d)).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].action, "disburse");
    assert_eq!(rows[0].actor_id, Some(user_row(&w.province)));
}

#[tokio::test]
async fn a_stale_expected_version_is_a_conflict_and_changes_nothing() {
    let w = World::new().await;
    let p = w.project("LOCAL", json!({})).await;
    assert_ok(
        &w.add(&w.commune.token, &p, &w.establishment, SUPPORT, SUPPORT)
            .await,
        "add",
    );
    let current = w.version(&p).await;
    let stale = current - 1;
    let before = w.get(&p).await;
    let t = &w.commune.token;
    let e = w.new_establishment().await;

    assert_code(
        &update_raw(&w.app, t, &p, stale, json!({ "title": "Cũ" })).await,
        "CONFLICT",
    );
    assert_code(
        &add_raw(&w.app, t, &p, stale, &e, 1_000_000, 1_000_000).await,
        "CONFLICT",
    );
    assert_code(
        &remove_raw(&w.app, t, &p, stale, &w.establishment).await,
        "CONFLICT",
    );
    assert_code(
        &transition_raw(&w.app, t, &p, stale, "SUBMIT", None, None).await,
        "CONFLICT",
    );
    assert_code(
        &transition_raw(&w.app, t, &p, current + 1, "SUBMIT", None, None).await,
        "CONFLICT",
    );
    assert_eq!(before, w.get(&p).await, "nothing changed");

    // The current version works.
    let body = transition_raw(&w.app, t, &p, current, "SUBMIT", None, None).await;
    assert_ok(&body, "submit at the current version");
    assert_eq!(body["data"]["transitionProject"]["version"], current + 1);
}

#[tokio::test]
async fn an_idempotency_key_on_create_project_returns_the_first_result() {
    let w = World::new().await;
    let t = &w.commune.token;
    let first = create_project_raw(
        &w.app,
        t,
        project_input("LOCAL", DAK_LAK, json!({ "title": "Lần đầu" })),
        Some("tao-de-an-1"),
    )
    .await;
    assert_ok(&first, "first");
    let again = create_project_raw(
        &w.app,
        t,
        project_input("LOCAL", DAK_LAK, json!({ "title": "Gửi lại" })),
        Some("tao-de-an-1"),
    )
    .await;
    assert_ok(&again, "retry");
    assert_eq!(
        again["data"]["createProject"], first["data"]["createProject"],
        "the retry returns the first project"
    );
    let total = |token: &str| {
        let app = &w.app;
        let token = token.to_owned();
        async move {
            app.ok(Some(&token), LIST, json!({ "f": {} })).await["projects"]["totalCount"]
                .as_i64()
                .expect("totalCount")
        }
    };
    assert_eq!(total(t).await, 1, "one project");
    // Another user's key is its own.
    let other = create_project_raw(
        &w.app,
        &w.province.token,
        project_input("LOCAL", DAK_LAK, json!({})),
        Some("tao-de-an-1"),
    )
    .await;
    assert_ok(&other, "another user, same key");
    assert_ne!(
        other["data"]["createProject"]["id"],
        first["data"]["createProject"]["id"]
    );
    assert_eq!(total(&w.national.token).await, 2);
    let p = id_of(&first["data"]["createProject"]);
    let creates = audit_rows(&w.app, "Project", row_id(&p))
        .await
        .into_iter()
        .filter(|r| r.action == "create")
        .count();
    assert_eq!(creates, 1);
}

#[tokio::test]
async fn an_idempotency_key_on_allocate_funding_returns_the_first_allocation() {
    let w = World::new().await;
    let t = &w.province.token;
    let p = w.project("LOCAL", json!({})).await;
    assert_ok(
        &w.add(&w.commune.token, &p, &w.establishment, SUPPORT, SUPPORT)
            .await,
        "add",
    );
    let first = allocate_raw(
        &w.app,
        t,
        &p,
        &w.local_source,
        40_000_000,
        Some("phan-bo-1"),
    )
    .await;
    assert_ok(&first, "first");
    let again = allocate_raw(
        &w.app,
        t,
        &p,
        &w.local_source,
        40_000_000,
        Some("phan-bo-1"),
    )
    .await;
    assert_ok(&again, "retry");
    assert_eq!(
        again["data"]["allocateFunding"],
        first["data"]["allocateFunding"]
    );
    assert_eq!(vnd(&w.get(&p).await["allocatedVnd"]), 40_000_000);
    assert_eq!(
        vnd(&w.source(&w.local_source).await["allocatedVnd"]),
        40_000_000
    );
    assert_eq!(
        w.get(&p).await["allocations"]
            .as_array()
            .expect("list")
            .len(),
        1
    );
    // A new key is a new allocation.
    assert_ok(
        &allocate_raw(
            &w.app,
            t,
            &p,
            &w.local_source,
            40_000_000,
            Some("phan-bo-2"),
        )
        .await,
        "new key",
    );
    assert_eq!(vnd(&w.get(&p).await["allocatedVnd"]), 80_000_000);
}

// ---------------------------------------------------------------------------------------------
// Batched loading and the establishment's side

/// Creates `n` projects, each with two beneficiaries, one allocation and two history events.
async fn populate(w: &World, sources: &[String], n: usize) {
    for i in 0..n {
        let creator = if i % 2 == 0 { &w.commune } else { &w.province };
        let p = new_project(
            &w.app,
            &creator.token,
            project_input(
                "LOCAL",
                DAK_LAK,
                json!({ "communeCode": BMT, "category": if i % 2 == 0 { "TRADE_FAIR" } else { "VOCATIONAL_TRAINING" } }),
            ),
        )
        .await;
        let here = w.new_establishment().await;
        let there = id_of(
            &w.app
                .establishment(&w.province.token, DAK_LAK_OTHER, json!({}))
                .await,
        );
        for e in [&here, &there] {
            assert_ok(
                &w.add(&w.province.token, &p, e, 10_000_000, 10_000_000)
                    .await,
                "add",
            );
        }
        w.allocated(
            &w.province.token,
            &p,
            &sources[i % sources.len()],
            20_000_000,
        )
        .await;
        assert_ok(&w.act(&creator.token, &p, "SUBMIT").await, "submit");
        assert_ok(&w.act(&w.province.token, &p, "APPRAISE").await, "appraise");
    }
}

async fn statements_for_deep_read(w: &World) -> (f64, usize) {
    let before = w.app.metric("db_statements_total").await;
    let data = w.app.ok(Some(&w.national.token), DEEP, json!({})).await;
    let after = w.app.metric("db_statements_total").await;
    let nodes = data["projects"]["nodes"].as_array().expect("nodes");
    for n in nodes {
        assert_eq!(n["beneficiaries"].as_array().expect("list").len(), 2);
        assert_eq!(
            n["beneficiaries"][0]["establishment"]["commune"]["province"]["name"],
            "Đắk Lắk"
        );
        assert!(n["allocations"][0]["fundingSource"]["name"].is_string());
        assert_eq!(n["history"].as_array().expect("list").len(), 2);
        assert!(n["history"][1]["actor"]["username"].is_string());
    }
    (after - before, nodes.len())
}

#[tokio::test]
async fn nested_project_lists_run_the_same_number_of_statements_for_2_or_8_projects() {
    let w = World::new().await;
    let other = new_source(&w.app, &w.province.token, "OTHER", None, YEAR, PLENTY).await;
    let sources = [w.local_source.clone(), other];
    populate(&w, &sources, 2).await;
    let (few, n) = statements_for_deep_read(&w).await;
    assert_eq!(n, 2);
    populate(&w, &sources, 6).await;
    let (many, n) = statements_for_deep_read(&w).await;
    assert_eq!(n, 8);
    assert!(few > 0.0, "statements are counted");
    assert_eq!(
        few, many,
        "statements for 2 projects: {few}, for 8 projects: {many}"
    );
}

#[tokio::test]
async fn an_establishment_lists_the_projects_it_benefits_from() {
    let w = World::new().await;
    let e = w.new_establishment().await;
    let bystander = w.new_establishment().await;
    // A local project of BMT, a national one of the neighbouring commune.
    let local = w.project("LOCAL", json!({})).await;
    assert_ok(
        &w.add(&w.commune.token, &local, &e, 10_000_000, 10_000_000)
            .await,
        "add",
    );
    let national = new_project(
        &w.app,
        &w.province.token,
        project_input("NATIONAL", DAK_LAK, json!({ "communeCode": DAK_LAK_OTHER })),
    )
    .await;
    assert_ok(
        &w.add(&w.province.token, &national, &e, 10_000_000, 10_000_000)
            .await,
        "add",
    );
    let _unrelated = w.funded("LOCAL").await;

    let projects_of = |token: String, id: String| {
        let app = &w.app;
        async move {
            let data = app
                .ok(Some(&token), ESTABLISHMENT_PROJECTS, json!({ "id": id }))
                .await;
            let conn = &data["establishment"]["projects"];
            let mut ids: Vec<String> = conn["nodes"]
                .as_array()
                .expect("nodes")
                .iter()
                .map(id_of)
                .collect();
            ids.sort();
            assert_eq!(conn["totalCount"].as_u64(), Some(ids.len() as u64));
            ids
        }
    };
    let mut both = vec![local.clone(), national.clone()];
    both.sort();
    assert_eq!(projects_of(w.national.token.clone(), e.clone()).await, both);
    assert_eq!(projects_of(w.province.token.clone(), e.clone()).await, both);
    // The commune sees both: the one it proposed and the national one of the neighbouring
    // commune, whose beneficiary is an establishment of the commune.
    assert_eq!(projects_of(w.commune.token.clone(), e.clone()).await, both);
    assert!(
        projects_of(w.national.token.clone(), bystander.clone())
            .await
            .is_empty()
    );
    // The same through the projects filter.
    let data = w
        .app
        .ok(
            Some(&w.national.token),
            LIST,
            json!({ "f": { "establishmentId": e } }),
        )
        .await;
    assert_eq!(data["projects"]["totalCount"], 2);

    // Removed from the local project: it no longer lists it.
    assert_ok(&w.remove(&w.commune.token, &local, &e).await, "remove");
    assert_eq!(
        projects_of(w.national.token.clone(), e.clone()).await,
        vec![national.clone()]
    );
}

// ---------------------------------------------------------------------------------------------
// The change feed (issue #11): every record a money mutation changes, once

/// `(entity, global id, operation)` of a change.
fn change(entity: &str, id: &str, operation: &str) -> (String, String, String) {
    (entity.to_owned(), id.to_owned(), operation.to_owned())
}

#[tokio::test]
async fn every_record_a_money_mutation_changes_reaches_the_feed_once_in_its_transaction() {
    use crate::changes::changes_since;
    let w = World::new().await;
    let token = &w.national.token;
    let p = w.project("LOCAL", json!({})).await;
    let body = w
        .add(&w.commune.token, &p, &w.establishment, SUPPORT, SUPPORT)
        .await;
    assert_ok(&body, "addBeneficiary");
    let (_, start) = changes_since(&w.app, token, None, 1).await;
    let src = w.local_source.clone();

    // Allocating creates the allocation and moves the source's and the project's totals.
    let a = w.allocated(&w.province.token, &p, &src, SUPPORT).await;
    let (rows, after_allocate) = changes_since(&w.app, token, start.clone(), 3).await;
    assert_eq!(
        rows,
        vec![
            change("ALLOCATION", &a, "CREATE"),
            change("FUNDING_SOURCE", &src, "UPDATE"),
            change("PROJECT", &p, "UPDATE"),
        ]
    );
    // The commune sees its project's changes, not the province's source.
    let (seen, _) = changes_since(&w.app, &w.commune.token, start, 2).await;
    assert_eq!(
        seen,
        vec![
            change("ALLOCATION", &a, "CREATE"),
            change("PROJECT", &p, "UPDATE")
        ]
    );

    // A disbursement moves the allocation's, the source's and the project's totals.
    w.drive(&p, "LOCAL", "APPROVED").await;
    let (rows, before_disburse) = changes_since(&w.app, token, after_allocate, 3).await;
    assert_eq!(
        rows,
        vec![change("PROJECT", &p, "UPDATE"); 3],
        "three steps"
    );
    let body = disburse_raw(&w.app, &w.province.token, &a, SUPPORT / 10).await;
    assert_ok(&body, "recordDisbursement");
    let d = id_of(&body["data"]["recordDisbursement"]);
    let (rows, before_stop) = changes_since(&w.app, token, before_disburse, 4).await;
    assert_eq!(
        rows,
        vec![
            change("DISBURSEMENT", &d, "CREATE"),
            change("ALLOCATION", &a, "UPDATE"),
            change("FUNDING_SOURCE", &src, "UPDATE"),
            change("PROJECT", &p, "UPDATE"),
        ]
    );
    let (after_disburse, _) = changes_since(&w.app, token, before_stop.clone(), 0).await;
    assert!(after_disburse.is_empty(), "{after_disburse:?}");

    // Stopping releases the rest: the project changes once although its status and its
    // allocated total both moved; the allocation and the source change with it.
    let body = w.act(&w.province.token, &p, "STOP").await;
    assert_ok(&body, "STOP");
    let (rows, before_release) = changes_since(&w.app, token, before_stop, 3).await;
    assert_eq!(
        rows,
        vec![
            change("PROJECT", &p, "UPDATE"),
            change("ALLOCATION", &a, "UPDATE"),
            change("FUNDING_SOURCE", &src, "UPDATE"),
        ]
    );

    // Releasing an allocation of a draft project gives its money back to the source.
    let p2 = w.project("LOCAL", json!({})).await;
    let body = w
        .add(&w.commune.token, &p2, &w.establishment, SUPPORT, SUPPORT)
        .await;
    assert_ok(&body, "addBeneficiary");
    let a2 = w.allocated(&w.province.token, &p2, &src, SUPPORT).await;
    let (_, before) = changes_since(&w.app, token, before_release, 5).await;
    assert_ok(
        &release_raw(&w.app, &w.province.token, &a2).await,
        "releaseAllocation",
    );
    let (rows, _) = changes_since(&w.app, token, before, 3).await;
    assert_eq!(
        rows,
        vec![
            change("ALLOCATION", &a2, "UPDATE"),
            change("FUNDING_SOURCE", &src, "UPDATE"),
            change("PROJECT", &p2, "UPDATE"),
        ]
    );
    // The project's served totals are what the feed announced.
    let project = w.get(&p2).await;
    assert_eq!(vnd(&project["allocatedVnd"]), 0);
}
