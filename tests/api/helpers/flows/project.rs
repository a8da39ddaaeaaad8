//! Industrial promotion projects (đề án khuyến công) and their money: funding sources,
//! projects, beneficiaries, allocations, disbursements and the lifecycle from DRAFT to
//! SETTLED. Raw calls take any token and an explicit version and return the whole body.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

use crate::helpers::{
    TestApp,
    common::{assert_ok, id_of},
};

/// The fields of a project every project mutation returns.
macro_rules! project_fields {
    () => {
        "id code title version status programLevel kind category fiscalYear \
         generalSupportVnd supportVnd counterpartVnd totalVnd allocatedVnd disbursedVnd \
         province { code } commune { code }"
    };
}

/// `createFundingSource` with an optional idempotency key.
pub const CREATE_SOURCE: &str = "mutation($i: CreateFundingSourceInput!, $k: String) { \
    createFundingSource(input: $i, idempotencyKey: $k) { \
    id version level fiscalYear amountVnd allocatedVnd disbursedVnd remainingVnd province { code } } }";

/// `updateFundingSource` at an expected version.
pub const UPDATE_SOURCE: &str = "mutation($id: ID!, $v: Int!, $i: UpdateFundingSourceInput!) { \
    updateFundingSource(id: $id, expectedVersion: $v, input: $i) { \
    id version amountVnd allocatedVnd remainingVnd } }";

/// `fundingSource(id)` with its money.
pub const SOURCE: &str = "query($id: ID!) { fundingSource(id: $id) { \
    id version level amountVnd allocatedVnd disbursedVnd remainingVnd } }";

/// `createProject` with an optional idempotency key.
pub const CREATE_PROJECT: &str = concat!(
    "mutation($i: CreateProjectInput!, $k: String) { createProject(input: $i, idempotencyKey: $k) { ",
    project_fields!(),
    " } }"
);

/// `updateProject` at an expected version.
pub const UPDATE_PROJECT: &str = concat!(
    "mutation($id: ID!, $v: Int!, $i: UpdateProjectInput!) { \
     updateProject(id: $id, expectedVersion: $v, input: $i) { ",
    project_fields!(),
    " } }"
);

/// `addBeneficiary`, returning the project with its beneficiaries.
pub const ADD: &str = concat!(
    "mutation($p: ID!, $v: Int!, $i: BeneficiaryInput!) { \
     addBeneficiary(projectId: $p, expectedVersion: $v, input: $i) { ",
    project_fields!(),
    " beneficiaries { establishment { id } supportVnd counterpartVnd } } }"
);

/// `removeBeneficiary`, returning the project with its beneficiaries.
pub const REMOVE: &str = concat!(
    "mutation($p: ID!, $v: Int!, $e: ID!) { \
     removeBeneficiary(projectId: $p, expectedVersion: $v, establishmentId: $e) { ",
    project_fields!(),
    " beneficiaries { establishment { id } supportVnd counterpartVnd } } }"
);

/// `allocateFunding` with an optional idempotency key.
pub const ALLOCATE: &str = "mutation($p: ID!, $s: ID!, $a: Vnd!, $k: String) { \
    allocateFunding(projectId: $p, fundingSourceId: $s, amountVnd: $a, idempotencyKey: $k) { \
    id amountVnd disbursedVnd released releasedVnd project { id } fundingSource { id } } }";

/// `releaseAllocation`.
pub const RELEASE: &str = "mutation($a: ID!) { releaseAllocation(allocationId: $a) { \
    id amountVnd disbursedVnd released releasedVnd } }";

/// `recordDisbursement` on a date with a note.
pub const DISBURSE: &str = "mutation($a: ID!, $x: Vnd!, $d: Date!, $n: String) { \
    recordDisbursement(allocationId: $a, amountVnd: $x, date: $d, note: $n) { id amountVnd date note } }";

/// `transitionProject` with an optional comment and outcomes.
pub const TRANSITION: &str = concat!(
    "mutation($id: ID!, $v: Int!, $a: ProjectAction!, $c: String, $o: ProjectOutcomesInput) { \
     transitionProject(id: $id, expectedVersion: $v, action: $a, comment: $c, outcomes: $o) { ",
    project_fields!(),
    " } }"
);

/// `project(id)` with its beneficiaries, allocations, history and outcomes.
pub const GET: &str = concat!(
    "query($id: ID!) { project(id: $id) { ",
    project_fields!(),
    " beneficiaries { establishment { id } supportVnd counterpartVnd } \
      allocations { id amountVnd disbursedVnd released releasedVnd fundingSource { id } } \
      history { action fromStatus toStatus actor { id username } comment at } \
      outcomes { jobsCreated trainees averageMonthlyIncomeVnd notes } } }"
);

/// The fiscal year of the sources and projects a test makes unless it says otherwise.
pub const YEAR: i64 = 2025;

/// The lifecycle table: action, the states it starts from, the state it leads to.
pub const LIFECYCLE: &[(&str, &[&str], &str)] = &[
    ("SUBMIT", &["DRAFT"], "SUBMITTED"),
    ("RETURN", &["SUBMITTED"], "DRAFT"),
    ("APPRAISE", &["SUBMITTED"], "APPRAISED"),
    ("APPROVE", &["APPRAISED"], "APPROVED"),
    ("REJECT", &["SUBMITTED", "APPRAISED"], "REJECTED"),
    ("START", &["APPROVED"], "IN_PROGRESS"),
    ("ACCEPT", &["IN_PROGRESS"], "ACCEPTED"),
    ("SETTLE", &["ACCEPTED"], "SETTLED"),
    ("STOP", &["APPROVED", "IN_PROGRESS"], "STOPPED"),
    ("CANCEL", &["DRAFT", "SUBMITTED"], "CANCELLED"),
];

/// The actions that lead from DRAFT to `status` (each by the level allowed to take it).
pub fn path(status: &str) -> &'static [&'static str] {
    match status {
        "DRAFT" => &[],
        "SUBMITTED" => &["SUBMIT"],
        "APPRAISED" => &["SUBMIT", "APPRAISE"],
        "APPROVED" => &["SUBMIT", "APPRAISE", "APPROVE"],
        "IN_PROGRESS" => &["SUBMIT", "APPRAISE", "APPROVE", "START"],
        "ACCEPTED" => &["SUBMIT", "APPRAISE", "APPROVE", "START", "ACCEPT"],
        "SETTLED" => &["SUBMIT", "APPRAISE", "APPROVE", "START", "ACCEPT", "SETTLE"],
        "STOPPED" => &["SUBMIT", "APPRAISE", "APPROVE", "STOP"],
        "REJECTED" => &["SUBMIT", "REJECT"],
        "CANCELLED" => &["CANCEL"],
        other => panic!("no path to {other}"),
    }
}

/// Numbers the names of sources and projects, so that each is unique.
static NAMES: AtomicU64 = AtomicU64::new(0);

/// `prefix` and a number no other name of this test binary has.
pub fn next_name(prefix: &str) -> String {
    format!("{prefix} {}", NAMES.fetch_add(1, Ordering::SeqCst))
}

/// A funding source input of `level`, `year` and `amount`, in `province` when given.
pub fn source_input(level: &str, province: Option<&str>, year: i64, amount: i64) -> Value {
    let mut i = json!({
        "name": next_name(&format!("Nguồn kinh phí {level} {year}")),
        "level": level,
        "fiscalYear": year,
        "amountVnd": amount,
    });
    if let Some(p) = province {
        i["provinceCode"] = json!(p);
    }
    i
}

/// `createFundingSource` as `token` (the whole body).
pub async fn create_source_raw(app: &TestApp, token: &str, input: Value) -> Value {
    app.gql(Some(token), CREATE_SOURCE, json!({ "i": input }))
        .await
}

/// Creates a funding source (must succeed) and returns its id.
pub async fn new_source(
    app: &TestApp,
    token: &str,
    level: &str,
    province: Option<&str>,
    year: i64,
    amount: i64,
) -> String {
    let body = create_source_raw(app, token, source_input(level, province, year, amount)).await;
    assert_ok(&body, "createFundingSource");
    id_of(&body["data"]["createFundingSource"])
}

/// `fundingSource(id)` as `token` sees it.
pub async fn source(app: &TestApp, token: &str, id: &str) -> Value {
    app.ok(Some(token), SOURCE, json!({ "id": id })).await["fundingSource"].clone()
}

/// An INDIVIDUAL vocational training project input of `level` in `province` for [`YEAR`],
/// with `extra` fields laid over it.
pub fn project_input(level: &str, province: &str, extra: Value) -> Value {
    let mut i = json!({
        "title": next_name("Đề án khuyến công thử"),
        "programLevel": level,
        "kind": "INDIVIDUAL",
        "category": "VOCATIONAL_TRAINING",
        "provinceCode": province,
        "fiscalYear": YEAR,
    });
    if let (Some(obj), Value::Object(more)) = (i.as_object_mut(), extra) {
        obj.extend(more);
    }
    i
}

/// `createProject` as `token` with an optional idempotency key (the whole body).
pub async fn create_project_raw(
    app: &TestApp,
    token: &str,
    input: Value,
    key: Option<&str>,
) -> Value {
    app.gql(Some(token), CREATE_PROJECT, json!({ "i": input, "k": key }))
        .await
}

/// Creates a project (must succeed) and returns its id.
pub async fn new_project(app: &TestApp, token: &str, input: Value) -> String {
    let body = create_project_raw(app, token, input, None).await;
    assert_ok(&body, "createProject");
    id_of(&body["data"]["createProject"])
}

/// `project(id)` as `token` sees it (null outside its area).
pub async fn get_project(app: &TestApp, token: &str, id: &str) -> Value {
    app.ok(Some(token), GET, json!({ "id": id })).await["project"].clone()
}

/// The current version of a project `token` can see.
pub async fn version_as(app: &TestApp, token: &str, id: &str) -> i64 {
    get_project(app, token, id).await["version"]
        .as_i64()
        .unwrap_or_else(|| panic!("project {id} is not visible to this token"))
}

/// `updateProject` as `token` at `version` (the whole body).
pub async fn update_raw(app: &TestApp, token: &str, id: &str, version: i64, input: Value) -> Value {
    app.gql(
        Some(token),
        UPDATE_PROJECT,
        json!({ "id": id, "v": version, "i": input }),
    )
    .await
}

/// `addBeneficiary` as `token` at `version` (the whole body).
pub async fn add_raw(
    app: &TestApp,
    token: &str,
    project: &str,
    version: i64,
    establishment: &str,
    support: i64,
    counterpart: i64,
) -> Value {
    app.gql(
        Some(token),
        ADD,
        json!({ "p": project, "v": version, "i": {
            "establishmentId": establishment, "supportVnd": support, "counterpartVnd": counterpart } }),
    )
    .await
}

/// Adds a beneficiary as `token` at the version `token` reads.
pub async fn add_as(
    app: &TestApp,
    token: &str,
    project: &str,
    establishment: &str,
    support: i64,
    counterpart: i64,
) -> Value {
    add_read_by(
        app,
        token,
        token,
        project,
        (establishment, support, counterpart),
    )
    .await
}

/// Adds a beneficiary (establishment, support, counterpart) as `token` at the version
/// `reader` reads (`token` itself may not see the project).
pub async fn add_read_by(
    app: &TestApp,
    token: &str,
    reader: &str,
    project: &str,
    (establishment, support, counterpart): (&str, i64, i64),
) -> Value {
    let v = version_as(app, reader, project).await;
    add_raw(app, token, project, v, establishment, support, counterpart).await
}

/// `removeBeneficiary` as `token` at `version` (the whole body).
pub async fn remove_raw(
    app: &TestApp,
    token: &str,
    project: &str,
    version: i64,
    establishment: &str,
) -> Value {
    app.gql(
        Some(token),
        REMOVE,
        json!({ "p": project, "v": version, "e": establishment }),
    )
    .await
}

/// `allocateFunding` as `token` with an optional idempotency key (the whole body).
pub async fn allocate_raw(
    app: &TestApp,
    token: &str,
    project: &str,
    source: &str,
    amount: i64,
    key: Option<&str>,
) -> Value {
    app.gql(
        Some(token),
        ALLOCATE,
        json!({ "p": project, "s": source, "a": amount, "k": key }),
    )
    .await
}

/// `releaseAllocation` as `token` (the whole body).
pub async fn release_raw(app: &TestApp, token: &str, allocation: &str) -> Value {
    app.gql(Some(token), RELEASE, json!({ "a": allocation }))
        .await
}

/// `recordDisbursement` of `amount` on 2025-06-15 as `token` (the whole body).
pub async fn disburse_raw(app: &TestApp, token: &str, allocation: &str, amount: i64) -> Value {
    app.gql(
        Some(token),
        DISBURSE,
        json!({ "a": allocation, "x": amount, "d": "2025-06-15", "n": "tạm ứng" }),
    )
    .await
}

/// `transitionProject` as `token` at `version` (the whole body).
pub async fn transition_raw(
    app: &TestApp,
    token: &str,
    id: &str,
    version: i64,
    action: &str,
    comment: Option<&str>,
    outcomes: Option<Value>,
) -> Value {
    app.gql(
        Some(token),
        TRANSITION,
        json!({ "id": id, "v": version, "a": action, "c": comment, "o": outcomes }),
    )
    .await
}

/// Allocates `amount` from `source` as `token` (must succeed); the allocation id.
pub async fn allocated(
    app: &TestApp,
    token: &str,
    project: &str,
    source: &str,
    amount: i64,
) -> String {
    let body = allocate_raw(app, token, project, source, amount, None).await;
    assert_ok(&body, "allocateFunding");
    id_of(&body["data"]["allocateFunding"])
}

/// Records a disbursement of `amount` as `token` (must succeed).
pub async fn disbursed(app: &TestApp, token: &str, allocation: &str, amount: i64) {
    assert_ok(
        &disburse_raw(app, token, allocation, amount).await,
        "recordDisbursement",
    );
}

/// Takes `action` as `token` at the version `reader` reads, with a comment naming the
/// action and optional outcomes (must succeed); returns the project.
pub async fn transitioned(
    app: &TestApp,
    token: &str,
    reader: &str,
    id: &str,
    action: &str,
    outcomes: Option<Value>,
) -> Value {
    let v = version_as(app, reader, id).await;
    let comment = format!("Ý kiến khi {action}");
    let body = transition_raw(app, token, id, v, action, Some(&comment), outcomes).await;
    assert_ok(&body, action);
    body["data"]["transitionProject"].clone()
}
