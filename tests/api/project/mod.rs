//! Industrial promotion: funding sources, projects, beneficiaries under the decree's
//! eligibility and the support caps, allocations (with a 50-request race), disbursements and
//! advances, releases, the lifecycle with its authority matrix and history, the audit trail,
//! optimistic concurrency, idempotency keys and batched loading of nested lists. This module
//! holds what they share (the [`World`], who acts, expected outcomes); each concern is a child.

use futures::future::join_all;
use khuyencong::{
    db::entities::{allocation, audit_event},
    enums::Role,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use self::Exp::{Forbidden as F, NotFound as NF, Yes as Y};
use crate::helpers::common::{assert_ok, audit_rows, data, id_of, row_id, vnd};
use crate::helpers::flows::project::{
    ALLOCATE, LIFECYCLE, UPDATE_SOURCE, YEAR, add_as, add_raw, add_read_by, allocate_raw,
    allocated, create_project_raw, create_source_raw, disburse_raw, get_project, new_project,
    new_source, path, project_input, release_raw, remove_raw, source, source_input, transition_raw,
    transitioned, update_raw,
};
use crate::helpers::{
    TestApp, TestUser, assert_code, assert_field,
    place::{BMT, DAK_LAK, DAK_LAK_OTHER, QUANG_TRI, TRUONG_PHU},
    spawn_app,
};

mod audit;
mod authority;
mod beneficiaries;
mod lifecycle;
mod loading;
mod money;
mod sources;

// ---------------------------------------------------------------------------------------------
// Queries

const LIST: &str = "query($f: ProjectFilter) { projects(filter: $f, first: 100) { \
    totalCount nodes { id status allocatedVnd } } }";

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

/// Sets the status of an establishment read as `{ id version }` (must succeed).
async fn set_status(app: &TestApp, token: &str, establishment: &Value, status: &str) -> Value {
    let id = id_of(establishment);
    let version = establishment["version"].as_i64().expect("version");
    let body = app
        .set_establishment_status(token, &id, version, status, Some("kiểm thử"))
        .await;
    data(&body, "setEstablishmentStatus").clone()
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
        let national = &self.national.token;
        let beneficiary = (establishment, support, counterpart);
        add_read_by(&self.app, token, national, project, beneficiary).await
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
        self.funded_from(level, self.source_for(level)).await
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
