//! Reports and data pulls (scope, money counted, export and `updatedSince`):
//! `fundingSummary` against hand-computed totals on a fixture with rejected, cancelled,
//! stopped, settled (partly disbursed) projects and OTHER money, with its filters and its scope
//! per role; `selectionSummary`, `ocopSummary` (valid certificates, prizes) and
//! `ocopProvinceRanking` (all 34 provinces, ties share a rank); the scope of `auditEvents`;
//! `GET /export/{entity}.{csv,ndjson}` (token, unknown entity, bad `updatedSince`, BOM, header,
//! one line per row, NDJSON, scope per role, more rows than a page); and incremental sync with
//! `updatedSince` resuming without gaps or duplicates while records change under it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, SecondsFormat, SubsecRound, Utc};
use futures::future::join_all;
use khuyencong::{db::entities::establishment, enums::Role, graphql::ids};
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::{Map, Value, json};

use crate::helpers::common::{assert_ok, data, id_of, must, sorted, today};
use crate::helpers::flows::{
    ocop::{cast, certified, grade, revoke},
    product_in,
    project::{
        ADD, CREATE_PROJECT, CREATE_SOURCE, TRANSITION, add_as, allocated, disbursed, new_project,
        new_source, project_input, transitioned, version_as,
    },
    selection::{open_round, run_round},
};
use crate::helpers::{
    TestApp, TestUser, assert_code,
    people::Area,
    place::{BMT, DAK_LAK, DAK_LAK_OTHER, QUANG_TRI, TRUONG_PHU, province_of},
    spawn_app,
};

/// Hà Nội: a province with nothing in it.
const HA_NOI: &str = "01";
/// One million đồng.
const M: i64 = 1_000_000;
/// Enough that no source limits a test.
const PLENTY: i64 = 100_000_000_000;
/// The UTF-8 byte-order mark.
const BOM: &[u8] = &[0xEF, 0xBB, 0xBF];
/// The six exportable entities.
const ENTITIES: [&str; 6] = [
    "establishments",
    "products",
    "projects",
    "fundingSources",
    "ocopCertificates",
    "nominations",
];

// ---------------------------------------------------------------------------------------------
// Small helpers

impl Area {
    /// Whether this area sees a counted project: a commune sees the projects it proposed
    /// and those with a beneficiary in the commune.
    fn sees(self, c: &Counted) -> bool {
        match self {
            Area::Commune(x) => c.commune == Some(x) || c.communes.contains(&x),
            _ => self.covers(c.province, c.commune),
        }
    }

    /// Whether a record in `province` / `commune` is inside this area.
    fn covers(self, province: &str, commune: Option<&str>) -> bool {
        match self {
            Area::National => true,
            Area::Province(p) => p == province,
            Area::Commune(c) => commune == Some(c),
        }
    }
}

/// A filter case: who asks, its area, the filter, and which records the filter keeps.
type Case<'a, F, R> = (&'a TestUser, Area, F, Box<dyn Fn(&R) -> bool>);

/// One user per area the tests look from.
struct People {
    national: TestUser,
    dak_lak: TestUser,
    quang_tri: TestUser,
    ha_noi: TestUser,
    bmt: TestUser,
    dak_lak_other: TestUser,
    truong_phu: TestUser,
}

impl People {
    async fn new(app: &TestApp) -> People {
        People {
            national: app.national().await,
            dak_lak: app.province(DAK_LAK).await,
            quang_tri: app.province(QUANG_TRI).await,
            ha_noi: app.province(HA_NOI).await,
            bmt: app.commune(BMT).await,
            dak_lak_other: app.commune(DAK_LAK_OTHER).await,
            truong_phu: app.commune(TRUONG_PHU).await,
        }
    }

    /// Every viewer with its area.
    fn views(&self) -> Vec<(&TestUser, Area, &'static str)> {
        vec![
            (&self.national, Area::National, "national"),
            (&self.dak_lak, Area::Province(DAK_LAK), "province Đắk Lắk"),
            (
                &self.quang_tri,
                Area::Province(QUANG_TRI),
                "province Quảng Trị",
            ),
            (&self.ha_noi, Area::Province(HA_NOI), "province Hà Nội"),
            (&self.bmt, Area::Commune(BMT), "commune BMT"),
            (
                &self.dak_lak_other,
                Area::Commune(DAK_LAK_OTHER),
                "another commune of Đắk Lắk",
            ),
            (
                &self.truong_phu,
                Area::Commune(TRUONG_PHU),
                "commune Trường Phú",
            ),
        ]
    }

    /// The commune user of a test commune.
    fn commune(&self, commune: &str) -> &TestUser {
        match commune {
            BMT => &self.bmt,
            DAK_LAK_OTHER => &self.dak_lak_other,
            TRUONG_PHU => &self.truong_phu,
            other => panic!("unknown test commune {other}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Projects and money

const PROJECT_VERSION: &str = "query($id: ID!) { project(id: $id) { version status } }";

const FUNDING: &str = "query($f: ReportFilter) { fundingSummary(filter: $f) { \
    projectCount beneficiaryCount establishmentCount nationalVnd localVnd otherVnd publicVnd \
    counterpartVnd totalVnd disbursedVnd leverageRatio jobsCreated trainees \
    byYear { ...R } byProvince { ...R } byCategory { ...R } } } \
    fragment R on FundingSummaryRow { key projectCount nationalVnd localVnd otherVnd \
    counterpartVnd totalVnd disbursedVnd }";

/// A project the funding summary must count, with what it must count for it.
#[derive(Clone, Debug, Default)]
struct Counted {
    /// The project.
    id: String,
    province: &'static str,
    commune: Option<&'static str>,
    level: &'static str,
    year: i64,
    category: &'static str,
    national: i64,
    local: i64,
    other: i64,
    counterpart: i64,
    disbursed: i64,
    jobs: i64,
    trainees: i64,
    /// One entry per beneficiary row.
    establishments: Vec<String>,
    /// The commune of each beneficiary row.
    communes: Vec<&'static str>,
}

/// The funding fixture: sources of every level, thirteen projects in every state that matters,
/// in two communes of Đắk Lắk, at the province of Đắk Lắk and in a commune of Quảng Trị.
struct Funding {
    app: TestApp,
    people: People,
    counted: Vec<Counted>,
}

impl Funding {
    async fn new() -> Funding {
        let app = spawn_app().await;
        let people = People::new(&app).await;
        let mut f = Funding {
            app,
            people,
            counted: Vec::new(),
        };
        f.build().await;
        f
    }

    async fn source(&self, token: &str, level: &str, year: i64) -> String {
        new_source(&self.app, token, level, None, year, PLENTY).await
    }

    async fn establishment(&self, commune: &str) -> String {
        let u = self.people.commune(commune);
        id_of(&self.app.establishment(&u.token, commune, json!({})).await)
    }

    async fn version(&self, project: &str) -> i64 {
        version_as(&self.app, &self.people.national.token, project).await
    }

    /// The user who approves, accepts, settles or stops a project of `level`.
    fn approver<'a>(&'a self, level: &str, province: &'a TestUser) -> &'a TestUser {
        match level {
            "LOCAL" => province,
            _ => &self.people.national,
        }
    }

    /// A project proposed by `creator`, with its beneficiaries and allocations (by the
    /// approving level). Returns the project and its allocations.
    #[expect(
        clippy::too_many_arguments,
        reason = "reads like the project it creates"
    )]
    async fn funded(
        &self,
        creator: &TestUser,
        province: &TestUser,
        province_code: &str,
        level: &str,
        year: i64,
        category: &str,
        beneficiaries: &[(&str, i64, i64)],
        allocations: &[(&str, i64)],
    ) -> (String, Vec<String>) {
        let input = json!({ "category": category, "fiscalYear": year });
        let p = new_project(
            &self.app,
            &creator.token,
            project_input(level, province_code, input),
        )
        .await;
        for (e, support, counterpart) in beneficiaries {
            let body = add_as(&self.app, &creator.token, &p, e, *support, *counterpart).await;
            assert_ok(&body, "addBeneficiary");
        }
        let approver = &self.approver(level, province).token;
        let mut out = Vec::new();
        for (s, amount) in allocations {
            out.push(allocated(&self.app, approver, &p, s, *amount).await);
        }
        (p, out)
    }

    /// Takes `action` with the user allowed to, with optional outcomes.
    async fn act(
        &self,
        project: &str,
        creator: &TestUser,
        province: &TestUser,
        level: &str,
        action: &str,
        outcomes: Option<Value>,
    ) {
        let who = match action {
            "SUBMIT" | "CANCEL" => creator,
            "APPRAISE" | "START" => province,
            _ => self.approver(level, province),
        };
        let national = &self.people.national.token;
        let t = transitioned(&self.app, &who.token, national, project, action, outcomes).await;
        assert!(t["status"].is_string(), "{action}: {t:#}");
    }

    async fn drive(
        &self,
        project: &str,
        creator: &TestUser,
        province: &TestUser,
        level: &str,
        actions: &[&str],
    ) {
        for a in actions {
            self.act(project, creator, province, level, a, None).await;
        }
    }

    async fn disburse(&self, token: &str, allocation: &str, amount: i64) {
        disbursed(&self.app, token, allocation, amount).await;
    }

    async fn build(&mut self) {
        let p = &self.people;
        let (nat, dl, qt) = (&p.national, &p.dak_lak, &p.quang_tri);
        let (bmt, dlo, tp) = (&p.bmt, &p.dak_lak_other, &p.truong_phu);
        let s_nat = self.source(&nat.token, "NATIONAL", 2025).await;
        let s_nat_2024 = self.source(&nat.token, "NATIONAL", 2024).await;
        let s_local = self.source(&dl.token, "LOCAL", 2025).await;
        let s_other = self.source(&dl.token, "OTHER", 2025).await;
        let s_qt = self.source(&qt.token, "LOCAL", 2025).await;
        let e1 = self.establishment(BMT).await;
        let e2 = self.establishment(BMT).await;
        let e3 = self.establishment(DAK_LAK_OTHER).await;
        let e4 = self.establishment(TRUONG_PHU).await;
        const ADV: &str = "ADVANCED_MACHINERY";
        const VOC: &str = "VOCATIONAL_TRAINING";
        const APPROVED: &[&str] = &["SUBMIT", "APPRAISE", "APPROVE"];
        const STARTED: &[&str] = &["SUBMIT", "APPRAISE", "APPROVE", "START"];
        let mut counted = Vec::new();

        // P1: LOCAL, approved, funded 60 M local + 40 M OTHER.
        let (p1, _) = self
            .funded(
                bmt,
                dl,
                DAK_LAK,
                "LOCAL",
                2025,
                ADV,
                &[(&e1, 100 * M, 150 * M)],
                &[(&s_local, 60 * M), (&s_other, 40 * M)],
            )
            .await;
        self.drive(&p1, bmt, dl, "LOCAL", APPROVED).await;
        counted.push(Counted {
            id: p1.clone(),
            province: DAK_LAK,
            commune: Some(BMT),
            level: "LOCAL",
            year: 2025,
            category: ADV,
            local: 60 * M,
            other: 40 * M,
            counterpart: 150 * M,
            establishments: vec![e1.clone()],
            communes: vec![BMT],
            ..Default::default()
        });

        // P2: LOCAL, settled: 80 M allocated, 50 M advanced, accepted, 10 M paid, 20 M released.
        let (p2, a2) = self
            .funded(
                bmt,
                dl,
                DAK_LAK,
                "LOCAL",
                2025,
                VOC,
                &[(&e1, 50 * M, 20 * M), (&e2, 30 * M, 10 * M)],
                &[(&s_local, 80 * M)],
            )
            .await;
        self.drive(&p2, bmt, dl, "LOCAL", STARTED).await;
        self.disburse(&dl.token, &a2[0], 50 * M).await;
        let outcomes = json!({ "jobsCreated": 12, "trainees": 35,
            "averageMonthlyIncomeVnd": 6_500_000, "notes": "Lớp nghề mây tre đan đạt yêu cầu." });
        self.act(&p2, bmt, dl, "LOCAL", "ACCEPT", Some(outcomes))
            .await;
        self.disburse(&dl.token, &a2[0], 10 * M).await;
        self.act(&p2, bmt, dl, "LOCAL", "SETTLE", None).await;
        counted.push(Counted {
            id: p2.clone(),
            province: DAK_LAK,
            commune: Some(BMT),
            level: "LOCAL",
            year: 2025,
            category: VOC,
            local: 60 * M,
            counterpart: 30 * M,
            disbursed: 60 * M,
            jobs: 12,
            trainees: 35,
            establishments: vec![e1.clone(), e2.clone()],
            communes: vec![BMT, BMT],
            ..Default::default()
        });

        // P3: NATIONAL of the other commune, stopped in progress after 100 M of 200 M: counts
        // what was disbursed, and no counterpart.
        let (p3, a3) = self
            .funded(
                dlo,
                dl,
                DAK_LAK,
                "NATIONAL",
                2025,
                VOC,
                &[(&e3, 200 * M, 100 * M)],
                &[(&s_nat, 200 * M)],
            )
            .await;
        self.drive(&p3, dlo, dl, "NATIONAL", STARTED).await;
        self.disburse(&dl.token, &a3[0], 100 * M).await;
        self.act(&p3, dlo, dl, "NATIONAL", "STOP", None).await;
        counted.push(Counted {
            id: p3.clone(),
            province: DAK_LAK,
            commune: Some(DAK_LAK_OTHER),
            level: "NATIONAL",
            year: 2025,
            category: VOC,
            national: 100 * M,
            disbursed: 100 * M,
            establishments: vec![e3.clone()],
            communes: vec![DAK_LAK_OTHER],
            ..Default::default()
        });

        // P4: NATIONAL, accepted (not settled): the whole allocation still counts.
        let (p4, a4) = self
            .funded(
                bmt,
                dl,
                DAK_LAK,
                "NATIONAL",
                2025,
                VOC,
                &[(&e2, 40 * M, 40 * M)],
                &[(&s_nat, 40 * M)],
            )
            .await;
        self.drive(&p4, bmt, dl, "NATIONAL", STARTED).await;
        self.disburse(&dl.token, &a4[0], 20 * M).await;
        let outcomes = json!({ "jobsCreated": 5, "trainees": 7 });
        self.act(&p4, bmt, dl, "NATIONAL", "ACCEPT", Some(outcomes))
            .await;
        counted.push(Counted {
            id: p4.clone(),
            province: DAK_LAK,
            commune: Some(BMT),
            level: "NATIONAL",
            year: 2025,
            category: VOC,
            national: 40 * M,
            counterpart: 40 * M,
            disbursed: 20 * M,
            jobs: 5,
            trainees: 7,
            establishments: vec![e2.clone()],
            communes: vec![BMT],
            ..Default::default()
        });

        // P5 rejected, P6 cancelled, P7 appraised, P10 draft, P11 submitted: not counted.
        let (p5, _) = self
            .funded(
                bmt,
                dl,
                DAK_LAK,
                "LOCAL",
                2025,
                VOC,
                &[(&e1, 10 * M, 10 * M)],
                &[(&s_local, 10 * M)],
            )
            .await;
        self.drive(&p5, bmt, dl, "LOCAL", &["SUBMIT", "REJECT"])
            .await;
        let (p6, _) = self
            .funded(
                bmt,
                dl,
                DAK_LAK,
                "LOCAL",
                2025,
                ADV,
                &[(&e1, 10 * M, 10 * M)],
                &[(&s_local, 10 * M)],
            )
            .await;
        self.drive(&p6, bmt, dl, "LOCAL", &["CANCEL"]).await;
        let (p7, _) = self
            .funded(
                dlo,
                dl,
                DAK_LAK,
                "LOCAL",
                2025,
                VOC,
                &[(&e3, 10 * M, 10 * M)],
                &[(&s_local, 10 * M)],
            )
            .await;
        self.drive(&p7, dlo, dl, "LOCAL", &["SUBMIT", "APPRAISE"])
            .await;
        self.funded(
            bmt,
            dl,
            DAK_LAK,
            "LOCAL",
            2025,
            VOC,
            &[(&e1, 5 * M, 5 * M)],
            &[(&s_local, 5 * M)],
        )
        .await;
        let (p11, _) = self
            .funded(
                bmt,
                dl,
                DAK_LAK,
                "NATIONAL",
                2025,
                VOC,
                &[(&e2, 5 * M, 5 * M)],
                &[(&s_nat, 5 * M)],
            )
            .await;
        self.drive(&p11, bmt, dl, "NATIONAL", &["SUBMIT"]).await;

        // P8: LOCAL of Quảng Trị, approved.
        let (p8, _) = self
            .funded(
                tp,
                qt,
                QUANG_TRI,
                "LOCAL",
                2025,
                VOC,
                &[(&e4, 70 * M, 30 * M)],
                &[(&s_qt, 70 * M)],
            )
            .await;
        self.drive(&p8, tp, qt, "LOCAL", APPROVED).await;
        counted.push(Counted {
            id: p8.clone(),
            province: QUANG_TRI,
            commune: Some(TRUONG_PHU),
            level: "LOCAL",
            year: 2025,
            category: VOC,
            local: 70 * M,
            counterpart: 30 * M,
            establishments: vec![e4.clone()],
            communes: vec![TRUONG_PHU],
            ..Default::default()
        });

        // P9: NATIONAL of fiscal year 2024, approved.
        let (p9, _) = self
            .funded(
                bmt,
                dl,
                DAK_LAK,
                "NATIONAL",
                2024,
                VOC,
                &[(&e1, 20 * M, 5 * M)],
                &[(&s_nat_2024, 20 * M)],
            )
            .await;
        self.drive(&p9, bmt, dl, "NATIONAL", APPROVED).await;
        counted.push(Counted {
            id: p9.clone(),
            province: DAK_LAK,
            commune: Some(BMT),
            level: "NATIONAL",
            year: 2024,
            category: VOC,
            national: 20 * M,
            counterpart: 5 * M,
            establishments: vec![e1.clone()],
            communes: vec![BMT],
            ..Default::default()
        });

        // P12: stopped right after approval, nothing paid: counted, with no money.
        let (p12, _) = self
            .funded(
                bmt,
                dl,
                DAK_LAK,
                "LOCAL",
                2025,
                "TRADE_FAIR",
                &[(&e1, 15 * M, 15 * M)],
                &[(&s_local, 15 * M)],
            )
            .await;
        self.drive(
            &p12,
            bmt,
            dl,
            "LOCAL",
            &["SUBMIT", "APPRAISE", "APPROVE", "STOP"],
        )
        .await;
        counted.push(Counted {
            id: p12.clone(),
            province: DAK_LAK,
            commune: Some(BMT),
            level: "LOCAL",
            year: 2025,
            category: "TRADE_FAIR",
            establishments: vec![e1.clone()],
            communes: vec![BMT],
            ..Default::default()
        });

        // P13: the province's own project (no commune), approved.
        let (p13, _) = self
            .funded(
                dl,
                dl,
                DAK_LAK,
                "LOCAL",
                2025,
                VOC,
                &[(&e3, 25 * M, 25 * M)],
                &[(&s_local, 25 * M)],
            )
            .await;
        self.drive(&p13, dl, dl, "LOCAL", APPROVED).await;
        counted.push(Counted {
            id: p13.clone(),
            province: DAK_LAK,
            commune: None,
            level: "LOCAL",
            year: 2025,
            category: VOC,
            local: 25 * M,
            counterpart: 25 * M,
            establishments: vec![e3.clone()],
            communes: vec![DAK_LAK_OTHER],
            ..Default::default()
        });

        // The states are what the fixture says.
        for (p, status) in [
            (&p1, "APPROVED"),
            (&p2, "SETTLED"),
            (&p3, "STOPPED"),
            (&p4, "ACCEPTED"),
            (&p5, "REJECTED"),
            (&p6, "CANCELLED"),
            (&p7, "APPRAISED"),
            (&p8, "APPROVED"),
            (&p9, "APPROVED"),
            (&p11, "SUBMITTED"),
            (&p12, "STOPPED"),
            (&p13, "APPROVED"),
        ] {
            let got = self
                .app
                .ok(
                    Some(&self.people.national.token),
                    PROJECT_VERSION,
                    json!({ "id": p }),
                )
                .await;
            assert_eq!(got["project"]["status"], status, "fixture project {p}");
        }
        self.counted = counted;
    }

    async fn summary(&self, token: &str, filter: Value) -> Value {
        self.app
            .ok(Some(token), FUNDING, json!({ "f": filter }))
            .await["fundingSummary"]
            .clone()
    }

    /// The counted projects that satisfy `keep`.
    fn only(&self, keep: impl Fn(&Counted) -> bool) -> Vec<&Counted> {
        self.counted.iter().filter(|c| keep(c)).collect()
    }
}

/// One row (or the totals) of money over some counted projects.
fn money_row(key: Option<String>, items: &[&Counted]) -> Value {
    let sum = |f: fn(&Counted) -> i64| items.iter().map(|c| f(c)).sum::<i64>();
    let (national, local, other) = (sum(|c| c.national), sum(|c| c.local), sum(|c| c.other));
    let counterpart = sum(|c| c.counterpart);
    let mut row = json!({
        "projectCount": items.len(),
        "nationalVnd": national,
        "localVnd": local,
        "otherVnd": other,
        "counterpartVnd": counterpart,
        "totalVnd": national + local + other + counterpart,
        "disbursedVnd": sum(|c| c.disbursed),
    });
    if let Some(k) = key {
        row["key"] = json!(k);
    }
    row
}

fn rows_by(items: &[&Counted], key: impl Fn(&Counted) -> String) -> Value {
    let mut groups: BTreeMap<String, Vec<&Counted>> = BTreeMap::new();
    for c in items {
        groups.entry(key(c)).or_default().push(c);
    }
    Value::Array(
        groups
            .into_iter()
            .map(|(k, v)| money_row(Some(k), &v))
            .collect(),
    )
}

/// The summary the rules give for these counted projects (leverage apart).
fn expected_summary(items: &[&Counted]) -> (Value, Option<f64>) {
    let mut s = money_row(None, items);
    let public = s["nationalVnd"].as_i64().expect("n") + s["localVnd"].as_i64().expect("l");
    let counterpart = s["counterpartVnd"].as_i64().expect("c");
    s["publicVnd"] = json!(public);
    s["jobsCreated"] = json!(items.iter().map(|c| c.jobs).sum::<i64>());
    s["trainees"] = json!(items.iter().map(|c| c.trainees).sum::<i64>());
    s["beneficiaryCount"] = json!(items.iter().map(|c| c.establishments.len()).sum::<usize>());
    let distinct: BTreeSet<&String> = items.iter().flat_map(|c| &c.establishments).collect();
    s["establishmentCount"] = json!(distinct.len());
    s["byYear"] = rows_by(items, |c| c.year.to_string());
    s["byProvince"] = rows_by(items, |c| c.province.to_owned());
    s["byCategory"] = rows_by(items, |c| c.category.to_owned());
    let leverage = (public != 0).then(|| counterpart as f64 / public as f64);
    (s, leverage)
}

/// A summary as served, with its rows sorted by key and the leverage taken out.
fn normalised(mut got: Value) -> (Value, Option<f64>) {
    let obj = got.as_object_mut().expect("an object");
    let leverage = obj
        .remove("leverageRatio")
        .expect("leverageRatio asked for");
    for k in ["byYear", "byProvince", "byCategory"] {
        if let Some(Value::Array(rows)) = obj.get_mut(k) {
            rows.sort_by(|a, b| a["key"].as_str().cmp(&b["key"].as_str()));
        }
    }
    (got, leverage.as_f64())
}

#[track_caller]
fn assert_leverage(got: Option<f64>, expected: Option<f64>, what: &str) {
    match (got, expected) {
        (None, None) => {}
        (Some(g), Some(e)) => assert!((g - e).abs() < 1e-9, "{what}: leverage {g}, expected {e}"),
        (g, e) => panic!("{what}: leverage {g:?}, expected {e:?}"),
    }
}

#[track_caller]
fn assert_summary(got: &Value, items: &[&Counted], what: &str) {
    let (expected, lev) = expected_summary(items);
    let (got, got_lev) = normalised(got.clone());
    assert_eq!(got, expected, "{what}");
    assert_leverage(got_lev, lev, what);
}

#[tokio::test]
async fn funding_summary_counts_approved_and_later_projects_by_source_level() {
    let f = Funding::new().await;
    let got = f.summary(&f.people.national.token, json!({})).await;

    // By hand: P1 60 M local + 40 M other, 150 M own; P2 (settled) 60 M local of 80 M, 30 M
    // own, 60 M paid, 12 jobs, 35 trainees; P3 (stopped) 100 M national paid of 200 M, no own
    // money; P4 (accepted) 40 M national, 40 M own, 20 M paid, 5 jobs, 7 trainees; P8 70 M
    // local, 30 M own (Quảng Trị); P9 20 M national, 5 M own (2024); P12 stopped with nothing
    // paid; P13 25 M local, 25 M own. Rejected, cancelled, appraised, submitted and draft
    // projects do not count.
    let expected = json!({
        "projectCount": 8,
        "beneficiaryCount": 9,
        "establishmentCount": 4,
        "nationalVnd": 160 * M,
        "localVnd": 215 * M,
        "otherVnd": 40 * M,
        "publicVnd": 375 * M,
        "counterpartVnd": 280 * M,
        "totalVnd": 695 * M,
        "disbursedVnd": 180 * M,
        "jobsCreated": 17,
        "trainees": 42,
        "byYear": [
            { "key": "2024", "projectCount": 1, "nationalVnd": 20 * M, "localVnd": 0,
              "otherVnd": 0, "counterpartVnd": 5 * M, "totalVnd": 25 * M, "disbursedVnd": 0 },
            { "key": "2025", "projectCount": 7, "nationalVnd": 140 * M, "localVnd": 215 * M,
              "otherVnd": 40 * M, "counterpartVnd": 275 * M, "totalVnd": 670 * M,
              "disbursedVnd": 180 * M },
        ],
        "byProvince": [
            { "key": "44", "projectCount": 1, "nationalVnd": 0, "localVnd": 70 * M,
              "otherVnd": 0, "counterpartVnd": 30 * M, "totalVnd": 100 * M, "disbursedVnd": 0 },
            { "key": "66", "projectCount": 7, "nationalVnd": 160 * M, "localVnd": 145 * M,
              "otherVnd": 40 * M, "counterpartVnd": 250 * M, "totalVnd": 595 * M,
              "disbursedVnd": 180 * M },
        ],
        "byCategory": [
            { "key": "ADVANCED_MACHINERY", "projectCount": 1, "nationalVnd": 0,
              "localVnd": 60 * M, "otherVnd": 40 * M, "counterpartVnd": 150 * M,
              "totalVnd": 250 * M, "disbursedVnd": 0 },
            { "key": "TRADE_FAIR", "projectCount": 1, "nationalVnd": 0, "localVnd": 0,
              "otherVnd": 0, "counterpartVnd": 0, "totalVnd": 0, "disbursedVnd": 0 },
            { "key": "VOCATIONAL_TRAINING", "projectCount": 6, "nationalVnd": 160 * M,
              "localVnd": 155 * M, "otherVnd": 0, "counterpartVnd": 130 * M,
              "totalVnd": 445 * M, "disbursedVnd": 180 * M },
        ],
    });
    // The model the other tests use agrees with the hand count.
    let all: Vec<&Counted> = f.counted.iter().collect();
    assert_eq!(expected_summary(&all).0, expected, "the test's model");

    let (got, leverage) = normalised(got);
    assert_eq!(got, expected);
    assert_leverage(leverage, Some(280.0 / 375.0), "national");
}

#[tokio::test]
async fn funding_summary_counts_only_the_callers_area() {
    let f = Funding::new().await;
    for (user, area, what) in f.people.views() {
        let got = f.summary(&user.token, json!({})).await;
        let items = f.only(|c| area.sees(c));
        assert_summary(&got, &items, what);
    }
    // By hand for the commune of BMT: P1, P2, P4, P9, P12 (not the province's own P13).
    let got = f.summary(&f.people.bmt.token, json!({})).await;
    assert_eq!(got["projectCount"], 5, "{got:#}");
    assert_eq!(got["nationalVnd"], 60 * M);
    assert_eq!(got["localVnd"], 120 * M);
    assert_eq!(got["otherVnd"], 40 * M);
    assert_eq!(got["counterpartVnd"], 225 * M);
    assert_eq!(got["totalVnd"], 445 * M);
    assert_eq!(got["disbursedVnd"], 80 * M);
    assert_eq!(got["beneficiaryCount"], 6);
    assert_eq!(got["establishmentCount"], 2);
    // The other commune: the stopped P3 it proposed (public money but no counterpart) and
    // the province's own P13, whose beneficiary e3 is in the commune: 100 M national,
    // 25 M local and 25 M own, so 25 / 125 = 0.2 of own money per đồng of public money.
    let got = f.summary(&f.people.dak_lak_other.token, json!({})).await;
    assert_eq!(got["projectCount"], 2, "{got:#}");
    assert_eq!(got["nationalVnd"], 100 * M);
    assert_eq!(got["localVnd"], 25 * M);
    assert_eq!(got["counterpartVnd"], 25 * M);
    assert_eq!(got["beneficiaryCount"], 2);
    assert_eq!(got["establishmentCount"], 1);
    assert_eq!(got["leverageRatio"].as_f64(), Some(0.2), "{got:#}");
    // A province with nothing: zeros, no rows, and no leverage without public money.
    let got = f.summary(&f.people.ha_noi.token, json!({})).await;
    assert_eq!(got["projectCount"], 0, "{got:#}");
    assert_eq!(got["totalVnd"], 0);
    assert!(got["leverageRatio"].is_null(), "{got:#}");
    assert_eq!(got["byYear"], json!([]));
    assert_eq!(got["byProvince"], json!([]));
    assert_eq!(got["byCategory"], json!([]));
}

/// Every project as the ministry sees it: where it is, where its beneficiaries are and its
/// allocations.
const PROJECTS_PLACED: &str = "{ projects(first: 100) { totalCount nodes { id \
    province { code } commune { code } \
    beneficiaries { establishment { commune { code } } } allocations { id } } } }";

const NODE: &str = "query($id: ID!) { node(id: $id) { id } }";

const UPDATE_PROJECT: &str = "mutation($id: ID!, $v: Int!) { \
    updateProject(id: $id, expectedVersion: $v, input: { description: \"Sửa thử\" }) { id } }";

/// Whether `area` sees a project node of [`PROJECTS_PLACED`] by the rule of the README: a
/// province its province's projects, a commune those it proposed and those with a
/// beneficiary in the commune.
fn sees_node(area: Area, n: &Value) -> bool {
    let commune = n["commune"]["code"].as_str();
    match area {
        Area::National => true,
        Area::Province(p) => n["province"]["code"] == p,
        Area::Commune(c) => {
            commune == Some(c)
                || n["beneficiaries"]
                    .as_array()
                    .expect("beneficiaries")
                    .iter()
                    .any(|b| b["establishment"]["commune"]["code"] == c)
        }
    }
}

#[tokio::test]
async fn a_commune_sees_the_projects_it_proposed_or_its_establishments_benefit_from() {
    let f = Funding::new().await;
    let p = &f.people;
    let app = &f.app;
    // P14: a draft of the province whose beneficiary is a new establishment of BMT.
    let e = f.establishment(BMT).await;
    let (p14, _) = f
        .funded(
            &p.dak_lak,
            &p.dak_lak,
            DAK_LAK,
            "LOCAL",
            2025,
            "VOCATIONAL_TRAINING",
            &[(&e, 10 * M, 10 * M)],
            &[],
        )
        .await;
    let p13 = f.counted[7].id.clone();
    assert!(f.counted[7].commune.is_none() && f.counted[7].communes == [DAK_LAK_OTHER]);

    let all = app
        .ok(Some(&p.national.token), PROJECTS_PLACED, json!({}))
        .await;
    let all = all["projects"]["nodes"].as_array().expect("nodes").clone();
    assert_eq!(all.len(), 14, "thirteen projects of the fixture and P14");
    let expected = |area: Area| sorted(all.iter().filter(|n| sees_node(area, n)).map(id_of));
    // The rule is not vacuous: each commune sees a project it did not propose.
    let bmt_sees = expected(Area::Commune(BMT));
    let other_sees = expected(Area::Commune(DAK_LAK_OTHER));
    assert!(bmt_sees.contains(&p14) && !other_sees.contains(&p14));
    assert!(other_sees.contains(&p13) && !bmt_sees.contains(&p13));
    assert_eq!(
        other_sees.len(),
        3,
        "P3, P7 (its own) and P13: {other_sees:?}"
    );

    for (user, area, what) in p.views() {
        let want = expected(area);
        // The list and its count.
        let got = app.ok(Some(&user.token), PROJECTS_PLACED, json!({})).await;
        let ids = sorted(
            got["projects"]["nodes"]
                .as_array()
                .expect("nodes")
                .iter()
                .map(id_of),
        );
        assert_eq!(ids, want, "{what}: projects");
        assert_eq!(
            got["projects"]["totalCount"],
            want.len(),
            "{what}: totalCount"
        );
        // By id and as a node: the same projects, null for the others.
        for n in &all {
            let id = id_of(n);
            let inside = want.contains(&id);
            let one = app
                .ok(Some(&user.token), PROJECT_VERSION, json!({ "id": id }))
                .await;
            assert_eq!(!one["project"].is_null(), inside, "{what}: project({id})");
            let node = app.ok(Some(&user.token), NODE, json!({ "id": id })).await;
            assert_eq!(!node["node"].is_null(), inside, "{what}: node({id})");
        }
        // The export.
        let csv = export_ok(app, &user.token, "projects.csv", &[]).await;
        let (_, rows) = parse_csv(&csv, "projects");
        assert_eq!(
            sorted(rows.iter().map(|r| r["id"].clone())),
            want,
            "{what}: projects.csv"
        );
    }

    // The change feed: the changes of exactly these projects and of their allocations.
    let project_ids = |token: String, entity: &'static str| async move {
        let (rows, _) =
            crate::changes::pull(app, &token, None, 500, json!({ "entities": [entity] })).await;
        rows.iter()
            .map(|r| r["id"].as_str().expect("id").to_owned())
            .collect::<BTreeSet<String>>()
    };
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while project_ids(p.national.token.clone(), "PROJECT").await.len() < all.len()
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    for (user, area) in [
        (&p.bmt, Area::Commune(BMT)),
        (&p.dak_lak_other, Area::Commune(DAK_LAK_OTHER)),
        (&p.truong_phu, Area::Commune(TRUONG_PHU)),
        (&p.dak_lak, Area::Province(DAK_LAK)),
    ] {
        let seen: Vec<String> = project_ids(user.token.clone(), "PROJECT")
            .await
            .into_iter()
            .collect();
        assert_eq!(seen, expected(area), "{area:?}: project changes");
        let allocations: BTreeSet<String> = all
            .iter()
            .filter(|n| sees_node(area, n))
            .flat_map(|n| n["allocations"].as_array().expect("allocations").clone())
            .map(|a| id_of(&a))
            .collect();
        assert_eq!(
            project_ids(user.token.clone(), "ALLOCATION").await,
            allocations,
            "{area:?}: allocation changes"
        );
    }

    // Seeing is not changing: a commune may not change a project it did not propose
    // (FORBIDDEN), and the projects it does not see do not exist for it (NOT_FOUND).
    let v = f.version(&p14).await;
    let body = app
        .gql(
            Some(&p.bmt.token),
            UPDATE_PROJECT,
            json!({ "id": p14, "v": v }),
        )
        .await;
    assert_code(&body, "FORBIDDEN");
    let body = app
        .gql(
            Some(&p.bmt.token),
            TRANSITION,
            json!({ "id": p14, "v": v, "a": "SUBMIT", "c": "Ý kiến kiểm thử" }),
        )
        .await;
    assert_code(&body, "FORBIDDEN");
    let other = f.establishment(BMT).await;
    let body = app
        .gql(
            Some(&p.bmt.token),
            ADD,
            json!({ "p": p14, "v": v, "i": { "establishmentId": other,
                "supportVnd": M, "counterpartVnd": M } }),
        )
        .await;
    assert_code(&body, "FORBIDDEN");
    let v13 = f.version(&p13).await;
    let body = app
        .gql(
            Some(&p.bmt.token),
            UPDATE_PROJECT,
            json!({ "id": p13, "v": v13 }),
        )
        .await;
    assert_code(&body, "NOT_FOUND");
    assert_eq!(f.version(&p14).await, v, "nothing changed");
    // The province still changes it, and the commune its own proposals.
    assert_ok(
        &app.gql(
            Some(&p.dak_lak.token),
            UPDATE_PROJECT,
            json!({ "id": p14, "v": v }),
        )
        .await,
        "updateProject",
    );
    let own = must(
        app,
        &p.bmt.token,
        CREATE_PROJECT,
        json!({ "i": { "title": "Đề án của phường", "programLevel": "LOCAL",
            "kind": "INDIVIDUAL", "category": "TRADE_FAIR", "provinceCode": DAK_LAK,
            "fiscalYear": 2026 } }),
        "createProject",
    )
    .await;
    assert_eq!(own["commune"]["code"], BMT);
    let own = id_of(&own);
    let v = f.version(&own).await;
    assert_ok(
        &app.gql(
            Some(&p.bmt.token),
            UPDATE_PROJECT,
            json!({ "id": own, "v": v }),
        )
        .await,
        "updateProject",
    );
}

#[tokio::test]
async fn funding_summary_filters_by_province_years_and_programme() {
    let f = Funding::new().await;
    let p = &f.people;
    let cases: Vec<Case<'_, Value, Counted>> = vec![
        (
            &p.national,
            Area::National,
            json!({ "provinceCode": QUANG_TRI }),
            Box::new(|c: &Counted| c.province == QUANG_TRI),
        ),
        (
            &p.national,
            Area::National,
            json!({ "provinceCode": DAK_LAK }),
            Box::new(|c: &Counted| c.province == DAK_LAK),
        ),
        (
            &p.national,
            Area::National,
            json!({ "fromYear": 2025 }),
            Box::new(|c: &Counted| c.year >= 2025),
        ),
        (
            &p.national,
            Area::National,
            json!({ "toYear": 2024 }),
            Box::new(|c: &Counted| c.year <= 2024),
        ),
        (
            &p.national,
            Area::National,
            json!({ "fromYear": 2025, "toYear": 2025, "programLevel": "NATIONAL" }),
            Box::new(|c: &Counted| c.year == 2025 && c.level == "NATIONAL"),
        ),
        (
            &p.national,
            Area::National,
            json!({ "programLevel": "LOCAL" }),
            Box::new(|c: &Counted| c.level == "LOCAL"),
        ),
        (
            &p.national,
            Area::National,
            json!({ "fromYear": 2026 }),
            Box::new(|_: &Counted| false),
        ),
        // A filter never widens the scope.
        (
            &p.dak_lak,
            Area::Province(DAK_LAK),
            json!({ "provinceCode": QUANG_TRI }),
            Box::new(|_: &Counted| false),
        ),
        (
            &p.quang_tri,
            Area::Province(QUANG_TRI),
            json!({ "provinceCode": DAK_LAK }),
            Box::new(|_: &Counted| false),
        ),
        (
            &p.dak_lak,
            Area::Province(DAK_LAK),
            json!({ "programLevel": "NATIONAL" }),
            Box::new(|c: &Counted| c.level == "NATIONAL"),
        ),
        (
            &p.bmt,
            Area::Commune(BMT),
            json!({ "programLevel": "NATIONAL" }),
            Box::new(|c: &Counted| c.level == "NATIONAL"),
        ),
        (
            &p.bmt,
            Area::Commune(BMT),
            json!({ "fromYear": 2025, "provinceCode": DAK_LAK }),
            Box::new(|c: &Counted| c.year >= 2025),
        ),
        (
            &p.truong_phu,
            Area::Commune(TRUONG_PHU),
            json!({ "provinceCode": DAK_LAK }),
            Box::new(|_: &Counted| false),
        ),
    ];
    for (user, area, filter, keep) in &cases {
        let got = f.summary(&user.token, filter.clone()).await;
        let items = f.only(|c| area.sees(c) && keep(c));
        assert_summary(&got, &items, &format!("{area:?} with {filter}"));
    }
    // By hand: national projects of 2025 are P3 (stopped, 100 M paid) and P4 (40 M).
    let got = f
        .summary(
            &p.national.token,
            json!({ "fromYear": 2025, "toYear": 2025, "programLevel": "NATIONAL" }),
        )
        .await;
    assert_eq!(got["projectCount"], 2, "{got:#}");
    assert_eq!(got["nationalVnd"], 140 * M);
    assert_eq!(got["counterpartVnd"], 40 * M);
    assert_eq!(got["disbursedVnd"], 120 * M);
    assert_eq!(got["jobsCreated"], 5);
    assert_eq!(got["trainees"], 7);
}

#[tokio::test]
async fn reports_need_a_signed_in_user() {
    let app = spawn_app().await;
    for q in [
        "{ fundingSummary { projectCount } }",
        "{ selectionSummary { byLevel { level } } }",
        "{ ocopSummary { certifiedProducts } }",
        "{ ocopProvinceRanking { rank } }",
        "{ auditEvents { totalCount } }",
    ] {
        let body = app.gql(None, q, json!({})).await;
        assert_code(&body, "UNAUTHENTICATED");
    }
}

// ---------------------------------------------------------------------------------------------
// Selection

const SELECTION: &str = "query($f: SelectionSummaryFilter) { selectionSummary(filter: $f) { \
    byLevel { level nominated recognized } } }";

const LEVELS: [&str; 4] = ["COMMUNE", "PROVINCIAL", "REGIONAL", "NATIONAL"];

/// A nomination the selection summary must count.
struct Nominated {
    province: &'static str,
    commune: &'static str,
    level: &'static str,
    year: i64,
    recognized: bool,
}

fn expected_levels(items: &[&Nominated]) -> Value {
    Value::Array(
        LEVELS
            .iter()
            .map(|l| {
                let at: Vec<&&Nominated> = items.iter().filter(|n| n.level == *l).collect();
                json!({
                    "level": l,
                    "nominated": at.len(),
                    "recognized": at.iter().filter(|n| n.recognized).count(),
                })
            })
            .collect(),
    )
}

fn by_level(got: &Value) -> Value {
    let mut rows = got["selectionSummary"]["byLevel"]
        .as_array()
        .expect("byLevel")
        .clone();
    rows.sort_by_key(|r| {
        LEVELS
            .iter()
            .position(|l| r["level"] == *l)
            .unwrap_or_else(|| panic!("unknown level in {r}"))
    });
    Value::Array(rows)
}

#[tokio::test]
async fn selection_summary_counts_nominations_and_recognitions_by_level_in_scope() {
    let app = spawn_app().await;
    let p = People::new(&app).await;
    let t = &p.national.token;
    let a = product_in(&app, t, BMT, "Cà phê bột Buôn Ma Thuột").await;
    let b = product_in(&app, t, BMT, "Thổ cẩm Ê Đê").await;
    let c = product_in(&app, t, DAK_LAK_OTHER, "Hồ tiêu sạch").await;
    let q = product_in(&app, t, TRUONG_PHU, "Nón lá Quảng Trị").await;

    // Commune rounds of 2025: BMT recognises A (80) and not B (60); Trường Phú recognises Q.
    let commune = |c| Area::Commune(c);
    let none = json!({});
    let (a_, b_, c_, q_) = (a.as_str(), b.as_str(), c.as_str(), q.as_str());
    run_round(
        &app,
        &p.bmt,
        commune(BMT),
        "COMMUNE",
        2025,
        none.clone(),
        &[(a_, [80; 3]), (b_, [60; 3])],
        None,
    )
    .await;
    run_round(
        &app,
        &p.truong_phu,
        commune(TRUONG_PHU),
        "COMMUNE",
        2025,
        none.clone(),
        &[(q_, [75; 3])],
        None,
    )
    .await;
    // The provincial round of Đắk Lắk, 2025: A recognised (85), C not (50).
    run_round(
        &app,
        &p.dak_lak,
        Area::Province(DAK_LAK),
        "PROVINCIAL",
        2025,
        none.clone(),
        &[(a_, [85; 3]), (c_, [50; 3])],
        None,
    )
    .await;
    // A regional round of 2026 recognises A (72); an open provincial round of 2026 has B.
    let region = json!({ "region": "CENTRAL_HIGHLANDS" });
    run_round(
        &app,
        &p.national,
        Area::National,
        "REGIONAL",
        2026,
        region,
        &[(a_, [72; 3])],
        None,
    )
    .await;
    open_round(&app, &p.dak_lak, "PROVINCIAL", 2026, none, &[b_]).await;

    let all = [
        Nominated {
            province: DAK_LAK,
            commune: BMT,
            level: "COMMUNE",
            year: 2025,
            recognized: true,
        },
        Nominated {
            province: DAK_LAK,
            commune: BMT,
            level: "COMMUNE",
            year: 2025,
            recognized: false,
        },
        Nominated {
            province: QUANG_TRI,
            commune: TRUONG_PHU,
            level: "COMMUNE",
            year: 2025,
            recognized: true,
        },
        Nominated {
            province: DAK_LAK,
            commune: BMT,
            level: "PROVINCIAL",
            year: 2025,
            recognized: true,
        },
        Nominated {
            province: DAK_LAK,
            commune: DAK_LAK_OTHER,
            level: "PROVINCIAL",
            year: 2025,
            recognized: false,
        },
        Nominated {
            province: DAK_LAK,
            commune: BMT,
            level: "REGIONAL",
            year: 2026,
            recognized: true,
        },
        Nominated {
            province: DAK_LAK,
            commune: BMT,
            level: "PROVINCIAL",
            year: 2026,
            recognized: false,
        },
    ];

    // By hand, nationally.
    let got = app.ok(Some(t), SELECTION, json!({ "f": {} })).await;
    assert_eq!(
        by_level(&got),
        json!([
            { "level": "COMMUNE", "nominated": 3, "recognized": 2 },
            { "level": "PROVINCIAL", "nominated": 3, "recognized": 1 },
            { "level": "REGIONAL", "nominated": 1, "recognized": 1 },
            { "level": "NATIONAL", "nominated": 0, "recognized": 0 },
        ])
    );
    // Each area counts only its products' nominations; always four rows.
    for (user, area, what) in p.views() {
        let got = app
            .ok(Some(&user.token), SELECTION, json!({ "f": {} }))
            .await;
        let items: Vec<&Nominated> = all
            .iter()
            .filter(|n| area.covers(n.province, Some(n.commune)))
            .collect();
        assert_eq!(by_level(&got), expected_levels(&items), "{what}");
    }
    // Filters: years of the round, province of the product; never wider than the scope.
    let cases: Vec<Case<'_, Value, Nominated>> = vec![
        (
            &p.national,
            Area::National,
            json!({ "fromYear": 2026 }),
            Box::new(|n: &Nominated| n.year >= 2026),
        ),
        (
            &p.national,
            Area::National,
            json!({ "toYear": 2025 }),
            Box::new(|n: &Nominated| n.year <= 2025),
        ),
        (
            &p.national,
            Area::National,
            json!({ "provinceCode": QUANG_TRI }),
            Box::new(|n: &Nominated| n.province == QUANG_TRI),
        ),
        (
            &p.dak_lak,
            Area::Province(DAK_LAK),
            json!({ "provinceCode": QUANG_TRI }),
            Box::new(|_: &Nominated| false),
        ),
        (
            &p.bmt,
            Area::Commune(BMT),
            json!({ "fromYear": 2026, "toYear": 2026 }),
            Box::new(|n: &Nominated| n.year == 2026),
        ),
        (
            &p.truong_phu,
            Area::Commune(TRUONG_PHU),
            json!({ "provinceCode": DAK_LAK }),
            Box::new(|_: &Nominated| false),
        ),
    ];
    for (user, area, filter, keep) in &cases {
        let got = app
            .ok(Some(&user.token), SELECTION, json!({ "f": filter }))
            .await;
        let items: Vec<&Nominated> = all
            .iter()
            .filter(|n| area.covers(n.province, Some(n.commune)) && keep(n))
            .collect();
        assert_eq!(
            by_level(&got),
            expected_levels(&items),
            "{area:?} with {filter}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// OCOP

const OCOP_SUMMARY: &str = "query($f: OcopSummaryFilter) { ocopSummary(filter: $f) { \
    certifiedProducts byStars { stars count } prizeVnd } }";

const RANKING: &str = "{ ocopProvinceRanking { rank certifiedProducts province { code name } } }";

/// A product certified in the summary's eyes.
struct Certified {
    province: &'static str,
    commune: &'static str,
    /// Stars of its valid certificate, if any.
    valid: Option<i64>,
    /// The prize it earned: by the highest stars of its non-revoked certificates.
    prize: i64,
}

fn expected_ocop(items: &[&Certified]) -> Value {
    let stars = |s: i64| items.iter().filter(|c| c.valid == Some(s)).count();
    json!({
        "certifiedProducts": items.iter().filter(|c| c.valid.is_some()).count(),
        "byStars": [
            { "stars": 3, "count": stars(3) },
            { "stars": 4, "count": stars(4) },
            { "stars": 5, "count": stars(5) },
        ],
        "prizeVnd": items.iter().map(|c| c.prize).sum::<i64>(),
    })
}

fn ocop_of(got: &Value) -> Value {
    let mut s = got["ocopSummary"].clone();
    if let Some(Value::Array(rows)) = s.get_mut("byStars") {
        rows.sort_by_key(|r| r["stars"].as_i64());
    }
    s
}

/// The OCOP fixture: in Đắk Lắk a 3★, a 4★, a 3★ upgraded to 4★, a revoked 4★, an expired 3★
/// (all in BMT) and a 5★ in the other commune; in Quảng Trị three 3★ and a 4★. Both provinces
/// have four products with a valid certificate.
async fn ocop_fixture(app: &TestApp, p: &People) -> Vec<Certified> {
    let bmt = cast(app, BMT).await;
    let other = cast(app, DAK_LAK_OTHER).await;
    let truong_phu = cast(app, TRUONG_PHU).await;
    let now = today().to_string();
    let mut out = Vec::new();
    certified(app, &bmt, "Cà phê Buôn Ma Thuột", 3, &now).await;
    out.push(Certified {
        province: DAK_LAK,
        commune: BMT,
        valid: Some(3),
        prize: 8 * M,
    });
    certified(app, &bmt, "Hồ tiêu Đắk Lắk", 4, &now).await;
    out.push(Certified {
        province: DAK_LAK,
        commune: BMT,
        valid: Some(4),
        prize: 10 * M,
    });
    // Upgraded: 3★ in 2025, 4★ now; the prize of the highest level only.
    let upgraded = bmt.product(app, "Mật ong hoa cà phê").await;
    grade(app, &bmt, &upgraded, (2025, "NEW"), 3, "2025-03-15").await;
    grade(app, &bmt, &upgraded, (2026, "UPGRADE"), 4, &now).await;
    out.push(Certified {
        province: DAK_LAK,
        commune: BMT,
        valid: Some(4),
        prize: 10 * M,
    });
    // Revoked: no valid certificate and no prize.
    let (_, revoked) = certified(app, &bmt, "Rượu cần Buôn Đôn", 4, &now).await;
    let body = revoke(app, &p.dak_lak.token, &revoked, "Vi phạm chất lượng").await;
    assert_eq!(data(&body, "revokeOcopCertificate")["status"], "REVOKED");
    out.push(Certified {
        province: DAK_LAK,
        commune: BMT,
        valid: None,
        prize: 0,
    });
    // Expired (issued 2023-01-10, valid until 2026-01-10): not certified now, prize earned.
    certified(app, &bmt, "Sầu riêng Krông Pắc", 3, "2023-01-10").await;
    out.push(Certified {
        province: DAK_LAK,
        commune: BMT,
        valid: None,
        prize: 8 * M,
    });
    certified(app, &other, "Cà phê Arabica", 5, &now).await;
    out.push(Certified {
        province: DAK_LAK,
        commune: DAK_LAK_OTHER,
        valid: Some(5),
        prize: 15 * M,
    });
    for (name, stars, prize) in [
        ("Khoai deo Quảng Trị", 3, 8 * M),
        ("Hồ tiêu Vĩnh Linh", 4, 10 * M),
        ("Nước mắm Cửa Tùng", 3, 8 * M),
        ("Bánh lọc Quảng Trị", 3, 8 * M),
    ] {
        certified(app, &truong_phu, name, stars, &now).await;
        out.push(Certified {
            province: QUANG_TRI,
            commune: TRUONG_PHU,
            valid: Some(stars),
            prize,
        });
    }
    out
}

#[tokio::test]
async fn ocop_summary_counts_valid_certificates_and_prizes_in_scope() {
    let app = spawn_app().await;
    let p = People::new(&app).await;
    let all = ocop_fixture(&app, &p).await;

    // By hand, nationally: valid A 3★, B 4★, C 4★, E 5★, F H I 3★, G 4★; prizes 8 + 10 + 10
    // (upgrade: the 4★ prize only) + 0 (revoked) + 8 (expired) + 15 + 8 + 10 + 8 + 8.
    let got = app
        .ok(Some(&p.national.token), OCOP_SUMMARY, json!({ "f": {} }))
        .await;
    assert_eq!(
        ocop_of(&got),
        json!({
            "certifiedProducts": 8,
            "byStars": [
                { "stars": 3, "count": 4 },
                { "stars": 4, "count": 3 },
                { "stars": 5, "count": 1 },
            ],
            "prizeVnd": 85 * M,
        })
    );
    let got = app
        .ok(Some(&p.dak_lak.token), OCOP_SUMMARY, json!({ "f": {} }))
        .await;
    assert_eq!(ocop_of(&got)["prizeVnd"], 51 * M);
    assert_eq!(ocop_of(&got)["certifiedProducts"], 4);

    for (user, area, what) in p.views() {
        let got = app
            .ok(Some(&user.token), OCOP_SUMMARY, json!({ "f": {} }))
            .await;
        let items: Vec<&Certified> = all
            .iter()
            .filter(|c| area.covers(c.province, Some(c.commune)))
            .collect();
        assert_eq!(ocop_of(&got), expected_ocop(&items), "{what}");
    }
    // The province filter, never wider than the scope.
    for (user, area, province) in [
        (&p.national, Area::National, QUANG_TRI),
        (&p.national, Area::National, DAK_LAK),
        (&p.national, Area::National, HA_NOI),
        (&p.dak_lak, Area::Province(DAK_LAK), QUANG_TRI),
        (&p.dak_lak, Area::Province(DAK_LAK), DAK_LAK),
        (&p.bmt, Area::Commune(BMT), QUANG_TRI),
        (&p.truong_phu, Area::Commune(TRUONG_PHU), QUANG_TRI),
    ] {
        let got = app
            .ok(
                Some(&user.token),
                OCOP_SUMMARY,
                json!({ "f": { "provinceCode": province } }),
            )
            .await;
        let items: Vec<&Certified> = all
            .iter()
            .filter(|c| area.covers(c.province, Some(c.commune)) && c.province == province)
            .collect();
        assert_eq!(
            ocop_of(&got),
            expected_ocop(&items),
            "{area:?} asking for {province}"
        );
    }
}

#[tokio::test]
async fn ocop_province_ranking_lists_all_34_provinces_and_ties_share_a_rank() {
    let app = spawn_app().await;
    let p = People::new(&app).await;
    ocop_fixture(&app, &p).await;
    let read_only = app.user(Role::National, None, None, false, true).await;

    let mut first: Option<Value> = None;
    for user in [
        &p.truong_phu,
        &p.bmt,
        &p.ha_noi,
        &p.dak_lak,
        &p.national,
        &read_only,
    ] {
        let got =
            app.ok(Some(&user.token), RANKING, json!({})).await["ocopProvinceRanking"].clone();
        let rows = got.as_array().expect("rows");
        assert_eq!(rows.len(), 34, "every province, whoever asks: {got:#}");
        let codes: BTreeSet<&str> = rows
            .iter()
            .map(|r| r["province"]["code"].as_str().expect("code"))
            .collect();
        assert_eq!(codes.len(), 34, "each province once");
        // Đắk Lắk and Quảng Trị tie with four products each at rank 1; the rest share rank 3.
        for r in rows {
            let code = r["province"]["code"].as_str().expect("code");
            let (rank, count) = match code {
                DAK_LAK | QUANG_TRI => (1, 4),
                _ => (3, 0),
            };
            assert_eq!(r["rank"], rank, "{r}");
            assert_eq!(r["certifiedProducts"], count, "{r}");
        }
        // Highest first; a rank is one more than the rows before it, or its tie's.
        for (i, w) in rows.windows(2).enumerate() {
            let (a, b) = (&w[0], &w[1]);
            assert!(
                a["certifiedProducts"].as_i64() >= b["certifiedProducts"].as_i64(),
                "ordered: {a} before {b}"
            );
            let expected = if a["certifiedProducts"] == b["certifiedProducts"] {
                a["rank"].as_i64()
            } else {
                Some(i as i64 + 2)
            };
            assert_eq!(b["rank"].as_i64(), expected, "{a} then {b}");
        }
        match &first {
            None => first = Some(got),
            Some(f) => assert_eq!(&got, f, "the same ranking for every signed-in user"),
        }
    }

    // One more valid certificate in Quảng Trị breaks the tie.
    let truong_phu = cast(&app, TRUONG_PHU).await;
    let now = today().to_string();
    certified(&app, &truong_phu, "Gạo hữu cơ Hải Lăng", 3, &now).await;
    let got = app.ok(Some(&p.bmt.token), RANKING, json!({})).await["ocopProvinceRanking"].clone();
    let rows = got.as_array().expect("rows");
    assert_eq!(rows[0]["province"]["code"], QUANG_TRI, "{got:#}");
    assert_eq!(rows[0]["rank"], 1);
    assert_eq!(rows[0]["certifiedProducts"], 5);
    assert_eq!(rows[1]["province"]["code"], DAK_LAK);
    assert_eq!(rows[1]["rank"], 2);
    assert_eq!(rows[1]["certifiedProducts"], 4);
    assert!(
        rows[2..]
            .iter()
            .all(|r| r["rank"] == 3 && r["certifiedProducts"] == 0),
        "{got:#}"
    );
}

// ---------------------------------------------------------------------------------------------
// Export

/// One export call: status, content type and body.
async fn export_raw(
    app: &TestApp,
    token: Option<&str>,
    file: &str,
    params: &[(&str, &str)],
) -> (u16, String, Vec<u8>) {
    let mut req = app
        .client
        .get(format!("{}/export/{file}", app.address))
        .query(params);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.expect("export request");
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = resp.bytes().await.expect("export body").to_vec();
    (status, content_type, body)
}

/// An export that must succeed.
async fn export_ok(app: &TestApp, token: &str, file: &str, params: &[(&str, &str)]) -> Vec<u8> {
    let (status, _, body) = export_raw(app, Some(token), file, params).await;
    assert_eq!(
        status,
        200,
        "{file} {params:?}: {}",
        String::from_utf8_lossy(&body)
    );
    body
}

/// A CSV export: checks the BOM, returns the header and the rows (by column name).
fn parse_csv(body: &[u8], what: &str) -> (Vec<String>, Vec<HashMap<String, String>>) {
    assert!(
        body.starts_with(BOM),
        "{what}: CSV starts with the UTF-8 BOM"
    );
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(&body[BOM.len()..]);
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            let r = r.unwrap_or_else(|e| panic!("{what}: a CSV record: {e}"));
            assert_eq!(r.len(), header.len(), "{what}: every row has every column");
            header
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_owned))
                .collect()
        })
        .collect();
    (header, rows)
}

/// An NDJSON export: one JSON object per line.
fn parse_ndjson(body: &[u8], what: &str) -> Vec<Map<String, Value>> {
    let text = std::str::from_utf8(body).unwrap_or_else(|e| panic!("{what}: UTF-8: {e}"));
    if text.is_empty() {
        return Vec::new();
    }
    assert!(
        text.ends_with('\n'),
        "{what}: every line ends with a newline"
    );
    text.trim_end_matches('\n')
        .split('\n')
        .map(|line| match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(o)) => o,
            other => panic!("{what}: not a JSON object per line: {line:?} ({other:?})"),
        })
        .collect()
}

/// The `id`s of an export in both formats; they must agree and hold no duplicates.
async fn exported_ids(
    app: &TestApp,
    token: &str,
    entity: &str,
    params: &[(&str, &str)],
) -> Vec<String> {
    let what = format!("{entity} {params:?}");
    let csv = export_ok(app, token, &format!("{entity}.csv"), params).await;
    let (header, rows) = parse_csv(&csv, &what);
    assert_eq!(header.first().map(String::as_str), Some("id"), "{what}");
    let from_csv: Vec<String> = rows.iter().map(|r| r["id"].clone()).collect();
    let nd = export_ok(app, token, &format!("{entity}.ndjson"), params).await;
    let from_nd: Vec<String> = parse_ndjson(&nd, &what)
        .iter()
        .map(|o| o["id"].as_str().expect("id").to_owned())
        .collect();
    let ids = sorted(from_csv);
    assert_eq!(
        ids,
        sorted(from_nd),
        "{what}: CSV and NDJSON hold the same rows"
    );
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "{what}: no duplicates");
    ids
}

/// Every id of a top-level list as `token` sees it.
async fn listed_ids(app: &TestApp, token: &str, list: &str) -> Vec<String> {
    let q = format!(
        "query($a: String) {{ {list}(first: 100, after: $a) {{ \
         pageInfo {{ hasNextPage endCursor }} nodes {{ id }} }} }}"
    );
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = app.ok(Some(token), &q, json!({ "a": after })).await[list].clone();
        out.extend(page["nodes"].as_array().expect("nodes").iter().map(id_of));
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    sorted(out)
}

/// A record and where it is.
#[derive(Clone, Debug)]
struct Placed {
    id: String,
    province: Option<&'static str>,
    commune: Option<&'static str>,
}

fn placed(id: String, province: &'static str, commune: Option<&'static str>) -> Placed {
    Placed {
        id,
        province: Some(province),
        commune,
    }
}

/// Records of every exportable entity in BMT, the other commune of Đắk Lắk and Trường Phú
/// (and a project of the province of Đắk Lắk itself), by entity.
async fn records(app: &TestApp, p: &People) -> BTreeMap<&'static str, Vec<Placed>> {
    let mut out: BTreeMap<&'static str, Vec<Placed>> = BTreeMap::new();
    let mut products = HashMap::new();
    for commune in [BMT, DAK_LAK_OTHER, TRUONG_PHU] {
        let user = p.commune(commune);
        let province = province_of(commune);
        let e = app
            .establishment(
                &user.token,
                commune,
                json!({ "name": format!("Hợp tác xã Đắk Lắk – Quảng Trị {commune}") }),
            )
            .await;
        out.entry("establishments")
            .or_default()
            .push(placed(id_of(&e), province, Some(commune)));
        let pr = app
            .product(&user.token, &id_of(&e), &format!("Sản phẩm {commune}"))
            .await;
        products.insert(commune, id_of(&pr));
        out.entry("products")
            .or_default()
            .push(placed(id_of(&pr), province, Some(commune)));
        let pj = must(
            app,
            &user.token,
            CREATE_PROJECT,
            json!({ "i": { "title": "Đề án đào tạo nghề", "programLevel": "LOCAL",
                "kind": "INDIVIDUAL", "category": "VOCATIONAL_TRAINING",
                "provinceCode": province, "fiscalYear": 2026 } }),
            "createProject",
        )
        .await;
        out.entry("projects")
            .or_default()
            .push(placed(id_of(&pj), province, Some(commune)));
    }
    let pj = must(
        app,
        &p.dak_lak.token,
        CREATE_PROJECT,
        json!({ "i": { "title": "Đề án của tỉnh", "programLevel": "LOCAL", "kind": "INDIVIDUAL",
            "category": "TRADE_FAIR", "provinceCode": DAK_LAK, "fiscalYear": 2026 } }),
        "createProject",
    )
    .await;
    out.entry("projects")
        .or_default()
        .push(placed(id_of(&pj), DAK_LAK, None));
    for (user, level) in [
        (&p.national, "NATIONAL"),
        (&p.dak_lak, "LOCAL"),
        (&p.quang_tri, "LOCAL"),
    ] {
        let s = must(
            app,
            &user.token,
            CREATE_SOURCE,
            json!({ "i": { "name": "Nguồn khuyến công 2026", "level": level,
                "fiscalYear": 2026, "amountVnd": PLENTY } }),
            "createFundingSource",
        )
        .await;
        let province = match level {
            "NATIONAL" => None,
            _ => Some(if user.id == p.dak_lak.id {
                DAK_LAK
            } else {
                QUANG_TRI
            }),
        };
        out.entry("fundingSources").or_default().push(Placed {
            id: id_of(&s),
            province,
            commune: None,
        });
    }
    // OCOP certificates in BMT and Trường Phú.
    let now = today().to_string();
    for commune in [BMT, TRUONG_PHU] {
        let c = cast(app, commune).await;
        let cert = grade(app, &c, &products[commune], (2026, "NEW"), 3, &now).await;
        out.entry("ocopCertificates").or_default().push(placed(
            cert,
            province_of(commune),
            Some(commune),
        ));
    }
    // Nominations: commune rounds of BMT and Trường Phú, the provincial round of Đắk Lắk.
    for (organiser, level, commune) in [
        (&p.bmt, "COMMUNE", BMT),
        (&p.truong_phu, "COMMUNE", TRUONG_PHU),
        (&p.dak_lak, "PROVINCIAL", DAK_LAK_OTHER),
    ] {
        let (_, n) = open_round(
            app,
            organiser,
            level,
            2026,
            json!({}),
            &[&products[commune]],
        )
        .await;
        out.entry("nominations").or_default().push(placed(
            n[0].clone(),
            province_of(commune),
            Some(commune),
        ));
    }
    out
}

/// The list query of an exportable entity, if there is one.
fn list_of(entity: &str) -> Option<&'static str> {
    match entity {
        "establishments" => Some("establishments"),
        "products" => Some("products"),
        "projects" => Some("projects"),
        "fundingSources" => Some("fundingSources"),
        "ocopCertificates" => Some("ocopCertificates"),
        _ => None,
    }
}

#[tokio::test]
async fn an_export_needs_a_token_a_known_entity_and_a_valid_updated_since() {
    let app = spawn_app().await;
    let user = app.national().await;
    for token in [None, Some("not-a-token")] {
        let (status, content_type, body) = export_raw(&app, token, "establishments.csv", &[]).await;
        assert_eq!(status, 401, "{}", String::from_utf8_lossy(&body));
        assert!(
            content_type.starts_with("application/json"),
            "{content_type}"
        );
        let body: Value = serde_json::from_slice(&body).expect("a JSON error body");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
            "{body:#}"
        );
    }
    for file in [
        "widgets.csv",
        "users.csv",
        "auditEvents.ndjson",
        "establishments",
    ] {
        let (status, _, body) = export_raw(&app, Some(&user.token), file, &[]).await;
        assert_eq!(status, 404, "{file}: {}", String::from_utf8_lossy(&body));
    }
    for bad in ["yesterday", "2025-13-01T00:00:00Z", "2025-07-01"] {
        let (status, _, body) = export_raw(
            &app,
            Some(&user.token),
            "establishments.ndjson",
            &[("updatedSince", bad)],
        )
        .await;
        assert_eq!(status, 400, "{bad}: {}", String::from_utf8_lossy(&body));
        let body: Value = serde_json::from_slice(&body).expect("a JSON error body");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body:#}"
        );
        assert_eq!(
            body["errors"][0]["extensions"]["field"], "updatedSince",
            "{body:#}"
        );
    }
    // Every entity exports, even empty: a CSV header alone, an empty NDJSON.
    for entity in ENTITIES {
        let csv = export_ok(&app, &user.token, &format!("{entity}.csv"), &[]).await;
        let (header, rows) = parse_csv(&csv, entity);
        assert_eq!(header[0], "id", "{entity}");
        assert!(rows.is_empty(), "{entity}");
        let nd = export_ok(&app, &user.token, &format!("{entity}.ndjson"), &[]).await;
        assert!(parse_ndjson(&nd, entity).is_empty(), "{entity}");
    }
}

#[tokio::test]
async fn a_csv_export_has_a_bom_a_header_and_one_line_per_row_in_vietnamese() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    let names = [
        "Cơ sở chế biến cà phê Đắk Lắk",
        "Hợp tác xã dệt thổ cẩm Buôn Ma Thuột, \"Ê Đê\"",
        "Làng nghề gốm Yang Tao; đồ gỗ mỹ nghệ",
    ];
    let mut ids = Vec::new();
    for name in names {
        let e = app
            .establishment(
                &user.token,
                BMT,
                json!({ "name": name, "mainProducts": "Cà phê, hồ tiêu, sầu riêng" }),
            )
            .await;
        ids.push(id_of(&e));
    }
    let (status, content_type, body) =
        export_raw(&app, Some(&user.token), "establishments.csv", &[]).await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    assert_eq!(&body[..3], BOM, "the UTF-8 BOM comes first");
    let text = std::str::from_utf8(&body[3..]).expect("UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        1 + names.len(),
        "a header and one line per row:\n{text}"
    );
    assert!(lines[0].starts_with("id,"), "{}", lines[0]);
    assert!(!text.contains('\u{FFFD}'), "no replacement characters");
    for name in names {
        let plain = name.replace('"', "\"\"");
        assert!(text.contains(&plain), "{name} intact in\n{text}");
    }
    let (header, rows) = parse_csv(&body, "establishments");
    for col in ["id", "name", "province_code", "commune_code", "status"] {
        assert!(
            header.iter().any(|h| h == col),
            "column {col} in {header:?}"
        );
    }
    assert_eq!(rows.len(), names.len());
    assert_eq!(sorted(rows.iter().map(|r| r["id"].clone())), sorted(ids));
    for (row, name) in rows.iter().zip(names) {
        assert_eq!(row["name"], name);
        assert_eq!(row["province_code"], DAK_LAK);
        assert_eq!(row["commune_code"], BMT);
        assert_eq!(row["main_products"], "Cà phê, hồ tiêu, sầu riêng");
    }
}

#[tokio::test]
async fn an_ndjson_export_has_one_json_object_per_line() {
    let app = spawn_app().await;
    let p = People::new(&app).await;
    let all = records(&app, &p).await;
    for entity in ENTITIES {
        let body = export_ok(&app, &p.national.token, &format!("{entity}.ndjson"), &[]).await;
        let text = std::str::from_utf8(&body).expect("UTF-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), all[entity].len(), "{entity}:\n{text}");
        let csv_body = export_ok(&app, &p.national.token, &format!("{entity}.csv"), &[]).await;
        let (header, csv_rows) = parse_csv(&csv_body, entity);
        for line in &lines {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{entity}: {line:?} is not JSON: {e}"));
            let o = v
                .as_object()
                .unwrap_or_else(|| panic!("{entity}: {line} is not an object"));
            assert!(o["id"].is_string(), "{entity}: {line}");
            // The same columns as the CSV, and the same values.
            let keys: Vec<&String> = o.keys().collect();
            assert_eq!(keys, header.iter().collect::<Vec<_>>(), "{entity}");
            let row = csv_rows
                .iter()
                .find(|r| r["id"] == o["id"])
                .unwrap_or_else(|| panic!("{entity}: {line} in the CSV too"));
            for (k, v) in o {
                let cell = match v {
                    Value::Null => String::new(),
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                assert_eq!(row[k], cell, "{entity}.{k}");
            }
        }
    }
    // Vietnamese intact in NDJSON too.
    let body = export_ok(&app, &p.national.token, "establishments.ndjson", &[]).await;
    let rows = parse_ndjson(&body, "establishments");
    assert!(
        rows.iter()
            .any(|r| r["name"] == format!("Hợp tác xã Đắk Lắk – Quảng Trị {BMT}")),
        "{rows:#?}"
    );
}

#[tokio::test]
async fn exports_are_scoped_like_the_lists() {
    let app = spawn_app().await;
    let p = People::new(&app).await;
    let all = records(&app, &p).await;
    let read_only = app.user(Role::National, None, None, false, true).await;
    let mut views = p.views();
    views.push((
        &read_only,
        Area::National,
        "read-only national service account",
    ));

    for (user, area, what) in &views {
        for entity in ENTITIES {
            let got = exported_ids(&app, &user.token, entity, &[]).await;
            let what = format!("{what}: {entity}");
            if let Some(list) = list_of(entity) {
                assert_eq!(
                    got,
                    listed_ids(&app, &user.token, list).await,
                    "{what}: as the list"
                );
            }
            if entity == "fundingSources" {
                // National sources for everyone, a province's own for its people.
                for s in &all[entity] {
                    let visible = match (area, s.province) {
                        (_, None) | (Area::National, _) => true,
                        (Area::Province(p), Some(sp)) => *p == sp,
                        (Area::Commune(c), Some(sp)) => province_of(c) == sp,
                    };
                    assert_eq!(got.contains(&s.id), visible, "{what}: {s:?}");
                }
                continue;
            }
            let expected = sorted(
                all[entity]
                    .iter()
                    .filter(|r| area.covers(r.province.expect("placed"), r.commune))
                    .map(|r| r.id.clone()),
            );
            assert_eq!(got, expected, "{what}");
        }
    }

    // Query parameters narrow an export, never widen it.
    let cases: Vec<Case<'_, Vec<(&str, &str)>, Placed>> = vec![
        (
            &p.national,
            Area::National,
            vec![("province", QUANG_TRI)],
            Box::new(|r: &Placed| r.province == Some(QUANG_TRI)),
        ),
        (
            &p.national,
            Area::National,
            vec![("commune", BMT)],
            Box::new(|r: &Placed| r.commune == Some(BMT)),
        ),
        (
            &p.dak_lak,
            Area::Province(DAK_LAK),
            vec![("commune", DAK_LAK_OTHER)],
            Box::new(|r: &Placed| r.commune == Some(DAK_LAK_OTHER)),
        ),
        (
            &p.dak_lak,
            Area::Province(DAK_LAK),
            vec![("province", QUANG_TRI)],
            Box::new(|_: &Placed| false),
        ),
        (
            &p.dak_lak,
            Area::Province(DAK_LAK),
            vec![("commune", TRUONG_PHU)],
            Box::new(|_: &Placed| false),
        ),
        (
            &p.quang_tri,
            Area::Province(QUANG_TRI),
            vec![("province", DAK_LAK)],
            Box::new(|_: &Placed| false),
        ),
        (
            &p.bmt,
            Area::Commune(BMT),
            vec![("commune", DAK_LAK_OTHER)],
            Box::new(|_: &Placed| false),
        ),
        (
            &p.bmt,
            Area::Commune(BMT),
            vec![("province", DAK_LAK)],
            Box::new(|_: &Placed| true),
        ),
        (
            &p.truong_phu,
            Area::Commune(TRUONG_PHU),
            vec![("province", DAK_LAK)],
            Box::new(|_: &Placed| false),
        ),
    ];
    for (user, area, params, keep) in &cases {
        for entity in ENTITIES.iter().filter(|e| **e != "fundingSources") {
            let got = exported_ids(&app, &user.token, entity, params).await;
            let expected = sorted(
                all[entity]
                    .iter()
                    .filter(|r| area.covers(r.province.expect("placed"), r.commune) && keep(r))
                    .map(|r| r.id.clone()),
            );
            assert_eq!(got, expected, "{area:?} {entity} with {params:?}");
        }
    }
    // Funding sources by province, nationally.
    let qt_source = all["fundingSources"]
        .iter()
        .find(|s| s.province == Some(QUANG_TRI))
        .expect("a source of Quảng Trị");
    assert_eq!(
        exported_ids(
            &app,
            &p.national.token,
            "fundingSources",
            &[("province", QUANG_TRI)]
        )
        .await,
        vec![qt_source.id.clone()]
    );
}

/// Ids of `fundingSources(filter)` as `token`.
async fn listed_sources(app: &TestApp, token: &str, filter: Value) -> Vec<String> {
    let data = app
        .ok(
            Some(token),
            "query($f: FundingSourceFilter) { fundingSources(filter: $f, first: 100) { nodes { id } } }",
            json!({ "f": filter }),
        )
        .await;
    sorted(
        data["fundingSources"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(id_of),
    )
}

#[tokio::test]
async fn funding_source_filters_narrow_and_never_widen_the_scope() {
    let app = spawn_app().await;
    let p = People::new(&app).await;
    let mut by_owner = HashMap::new();
    for (name, user, level) in [
        ("national", &p.national, "NATIONAL"),
        ("dak_lak", &p.dak_lak, "LOCAL"),
        ("dak_lak_other", &p.dak_lak, "OTHER"),
        ("quang_tri", &p.quang_tri, "LOCAL"),
        ("quang_tri_other", &p.quang_tri, "OTHER"),
    ] {
        let s = must(
            &app,
            &user.token,
            CREATE_SOURCE,
            json!({ "i": { "name": format!("Nguồn {name}"), "level": level,
                "fiscalYear": 2026, "amountVnd": PLENTY } }),
            "createFundingSource",
        )
        .await;
        by_owner.insert(name, id_of(&s));
    }
    let names = |ids: &[String]| -> Vec<&str> {
        let mut v: Vec<&str> = ids
            .iter()
            .map(|i| {
                by_owner
                    .iter()
                    .find(|(_, id)| *id == i)
                    .map(|(n, _)| *n)
                    .expect("a known source")
            })
            .collect();
        v.sort();
        v
    };
    let mut wrong = Vec::new();
    for (user, what, province, expected) in [
        (&p.dak_lak, "Đắk Lắk", QUANG_TRI, vec![]),
        (&p.bmt, "commune BMT", QUANG_TRI, vec![]),
        (&p.quang_tri, "Quảng Trị", DAK_LAK, vec![]),
        (
            &p.dak_lak,
            "Đắk Lắk",
            DAK_LAK,
            vec!["dak_lak", "dak_lak_other"],
        ),
        (
            &p.national,
            "national",
            QUANG_TRI,
            vec!["quang_tri", "quang_tri_other"],
        ),
    ] {
        let exported = exported_ids(
            &app,
            &user.token,
            "fundingSources",
            &[("province", province)],
        )
        .await;
        if names(&exported) != expected {
            wrong.push(format!(
                "{what}: GET /export/fundingSources.{{csv,ndjson}}?province={province} gave {:?}, expected {expected:?}",
                names(&exported)
            ));
        }
        let listed = listed_sources(&app, &user.token, json!({ "provinceCode": province })).await;
        if names(&listed) != expected {
            wrong.push(format!(
                "{what}: fundingSources(filter: {{provinceCode: \"{province}\"}}) gave {:?}, expected {expected:?}",
                names(&listed)
            ));
        }
    }
    // updatedSince (an hour ago, or later than everything) keeps to the scope as well.
    let past = rfc3339(Utc::now() - Duration::hours(1));
    let future = rfc3339(Utc::now() + Duration::hours(1));
    for (user, what, expected) in [
        (
            &p.dak_lak,
            "Đắk Lắk",
            vec!["dak_lak", "dak_lak_other", "national"],
        ),
        (
            &p.bmt,
            "commune BMT",
            vec!["dak_lak", "dak_lak_other", "national"],
        ),
        (
            &p.quang_tri,
            "Quảng Trị",
            vec!["national", "quang_tri", "quang_tri_other"],
        ),
    ] {
        for (since, expected) in [(&past, expected), (&future, vec![])] {
            let exported = exported_ids(
                &app,
                &user.token,
                "fundingSources",
                &[("updatedSince", since)],
            )
            .await;
            if names(&exported) != expected {
                wrong.push(format!(
                    "{what}: GET /export/fundingSources.{{csv,ndjson}}?updatedSince={since} gave {:?}, expected {expected:?}",
                    names(&exported)
                ));
            }
            let listed = listed_sources(&app, &user.token, json!({ "updatedSince": since })).await;
            if names(&listed) != expected {
                wrong.push(format!(
                    "{what}: fundingSources(filter: {{updatedSince: \"{since}\"}}) gave {:?}, expected {expected:?}",
                    names(&listed)
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "a filter on funding sources widens the list (other provinces leak, filters ignored):\n{}",
        wrong.join("\n")
    );
}

/// Inserts `n` establishments straight into the database, `step` apart from `base`, in the
/// communes given in turn. Returns their global ids in order.
async fn insert_establishments(
    app: &TestApp,
    n: usize,
    communes: &[&'static str],
    base: DateTime<Utc>,
    step: Duration,
) -> Vec<String> {
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let commune = communes[i % communes.len()];
        let t = base + step * i as i32;
        let name = format!("Cơ sở nạp nhanh số {i} – Đắk Lắk");
        rows.push(establishment::ActiveModel {
            name: Set(name),
            kind: Set("SME".into()),
            commune_code: Set(commune.into()),
            province_code: Set(province_of(commune).into()),
            in_craft_village: Set(false),
            sector: Set("AGRO_FORESTRY_FISHERY_FOOD".into()),
            women_owned: Set(i % 3 == 0),
            ethnic_minority_owned: Set(i % 5 == 0),
            status: Set("ACTIVE".into()),
            search_text: Set(format!("co so nap nhanh so {i} dak lak")),
            version: Set(1),
            created_at: Set(t),
            updated_at: Set(t),
            ..Default::default()
        });
    }
    let mut chunk = Vec::new();
    for row in rows {
        chunk.push(row);
        if chunk.len() == 200 {
            establishment::Entity::insert_many(std::mem::take(&mut chunk))
                .exec(&app.state.db)
                .await
                .expect("insert establishments");
        }
    }
    if !chunk.is_empty() {
        establishment::Entity::insert_many(chunk)
            .exec(&app.state.db)
            .await
            .expect("insert establishments");
    }
    let mut models = establishment::Entity::find()
        .all(&app.state.db)
        .await
        .expect("establishments");
    models.sort_by_key(|m| (m.updated_at, m.id));
    models
        .iter()
        .filter(|m| m.name.starts_with("Cơ sở nạp nhanh"))
        .map(|m| ids::encode("Establishment", m.id).0)
        .collect()
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[tokio::test]
async fn an_export_of_more_rows_than_a_page_streams_every_row_once() {
    let app = spawn_app().await;
    let p = People::new(&app).await;
    let base = (Utc::now() - Duration::hours(2)).trunc_subsecs(0) + Duration::microseconds(123_456);
    let ids = insert_establishments(
        &app,
        1_200,
        &[BMT, DAK_LAK_OTHER],
        base,
        Duration::milliseconds(1),
    )
    .await;
    assert_eq!(ids.len(), 1_200);
    // A few in Quảng Trị that a Đắk Lắk export must leave out.
    for _ in 0..3 {
        app.establishment(&p.truong_phu.token, TRUONG_PHU, json!({}))
            .await;
    }

    // CSV as the national user, narrowed to Đắk Lắk: a header and 1,200 lines, each id once.
    let body = export_ok(
        &app,
        &p.national.token,
        "establishments.csv",
        &[("province", DAK_LAK)],
    )
    .await;
    assert!(body.starts_with(BOM));
    let text = std::str::from_utf8(&body[3..]).expect("UTF-8");
    assert_eq!(text.lines().count(), 1 + 1_200, "header + 1,200 rows");
    let (_, rows) = parse_csv(&body, "1,200 establishments");
    let got: Vec<String> = rows.iter().map(|r| r["id"].clone()).collect();
    let unique: BTreeSet<&String> = got.iter().collect();
    assert_eq!(unique.len(), 1_200, "no duplicates across pages");
    assert_eq!(sorted(got), sorted(ids.clone()));
    // Everything nationally.
    let body = export_ok(&app, &p.national.token, "establishments.csv", &[]).await;
    assert_eq!(parse_csv(&body, "all").1.len(), 1_203);

    // NDJSON as the province: the same 1,200.
    let body = export_ok(&app, &p.dak_lak.token, "establishments.ndjson", &[]).await;
    let rows = parse_ndjson(&body, "province");
    assert_eq!(rows.len(), 1_200);
    let got: BTreeSet<String> = rows
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(got.len(), 1_200);
    // The commune: its 600, over two pages.
    let body = export_ok(&app, &p.bmt.token, "establishments.ndjson", &[]).await;
    let rows = parse_ndjson(&body, "commune");
    assert_eq!(rows.len(), 600);
    assert!(rows.iter().all(|r| r["commune_code"] == BMT));
    let got: BTreeSet<String> = rows
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(got.len(), 600);

    // updatedSince: the last 700 changes, oldest first, across pages, each once.
    let since = rfc3339(base + Duration::milliseconds(500));
    let body = export_ok(
        &app,
        &p.national.token,
        "establishments.ndjson",
        &[("updatedSince", &since), ("province", DAK_LAK)],
    )
    .await;
    let rows = parse_ndjson(&body, "updatedSince");
    let got: Vec<String> = rows
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(
        got,
        ids[500..].to_vec(),
        "oldest change first, nothing missing or repeated"
    );
}

// ---------------------------------------------------------------------------------------------
// Incremental sync

const SYNC: &str = "query($f: EstablishmentFilter, $a: String) { \
    establishments(filter: $f, first: 10, after: $a) { \
    pageInfo { hasNextPage endCursor } nodes { id version updatedAt } } }";

const UPDATE: &str = "mutation($id: ID!, $v: Int!, $i: UpdateEstablishmentInput!) { \
    updateEstablishment(id: $id, expectedVersion: $v, input: $i) { id version updatedAt } }";

/// A change seen by a pull.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Change {
    at: DateTime<Utc>,
    id: String,
    version: i64,
}

/// Pages through `establishments(filter: {updatedSince})`, ten at a time. With `sync`, it tells
/// the sender how many pages it has read, pauses between pages, and after the second page
/// waits until the receiver reports a first round of updates done.
async fn pull(
    app: &TestApp,
    token: &str,
    since: &str,
    mut sync: Option<(
        &tokio::sync::watch::Sender<usize>,
        &mut tokio::sync::watch::Receiver<usize>,
    )>,
) -> Vec<Change> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    for n in 1.. {
        let page = app
            .ok(
                Some(token),
                SYNC,
                json!({ "f": { "updatedSince": since }, "a": after }),
            )
            .await["establishments"]
            .clone();
        for node in page["nodes"].as_array().expect("nodes") {
            out.push(Change {
                at: DateTime::parse_from_rfc3339(node["updatedAt"].as_str().expect("updatedAt"))
                    .expect("RFC 3339")
                    .with_timezone(&Utc),
                id: id_of(node),
                version: node["version"].as_i64().expect("version"),
            });
        }
        if let Some((pages, rounds)) = sync.as_mut() {
            pages.send_replace(n);
            if n == 2 {
                rounds.wait_for(|r| *r >= 1).await.expect("first round");
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        assert!(n < 1_000, "the pull never ends");
    }
    out
}

/// Updates establishments concurrently (each from `version`); returns the new versions.
async fn update_all(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    targets: &[(String, i64)],
) -> Vec<(String, i64)> {
    let calls = targets.iter().map(|(id, v)| {
        let req = client
            .post(url)
            .bearer_auth(token)
            .json(&json!({ "query": UPDATE, "variables": {
                "id": id, "v": v, "i": { "name": format!("Đã đổi tên lần {}", v + 1) } } }));
        async move {
            let body: Value = req
                .send()
                .await
                .expect("update sent")
                .json()
                .await
                .expect("JSON");
            assert!(body.get("errors").is_none(), "update: {body:#}");
            let e = &body["data"]["updateEstablishment"];
            (id_of(e), e["version"].as_i64().expect("version"))
        }
    });
    join_all(calls).await
}

#[tokio::test]
async fn updated_since_resumes_without_gaps_or_duplicates_while_records_change() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    let base = (Utc::now() - Duration::hours(1)).trunc_subsecs(0) + Duration::microseconds(654_321);
    let ids = insert_establishments(&app, 60, &[BMT], base, Duration::seconds(1)).await;
    assert_eq!(ids.len(), 60);
    let since = rfc3339(base);

    // While the first pull pages through, another task changes records it has already seen
    // and records it has not reached yet (some twice).
    let (tx, mut rx) = tokio::sync::watch::channel(0usize);
    let (rounds_tx, mut rounds_rx) = tokio::sync::watch::channel(0usize);
    let client = app.client.clone();
    let url = format!("{}/graphql", app.address);
    let token = user.token.clone();
    let id = |i: usize| ids[i].clone();
    let round_one = vec![
        (id(2), 1),
        (id(5), 1),
        (id(8), 1),
        (id(30), 1),
        (id(45), 1),
        (id(59), 1),
    ];
    let round_two = vec![(id(25), 1), (id(50), 1), (id(2), 2)];
    let updater = tokio::spawn(async move {
        let mut done = Vec::new();
        rx.wait_for(|n| *n >= 1).await.expect("first page");
        done.extend(update_all(&client, &url, &token, &round_one).await);
        rounds_tx.send_replace(1);
        rx.wait_for(|n| *n >= 3).await.expect("third page");
        done.extend(update_all(&client, &url, &token, &round_two).await);
        done
    });
    let first = pull(&app, &user.token, &since, Some((&tx, &mut rounds_rx))).await;
    let during = updater.await.expect("updater");
    // After the pull, before the next one: two more changes.
    let url = format!("{}/graphql", app.address);
    let after_pull = update_all(&app.client, &url, &user.token, &[(id(1), 1), (id(40), 1)]).await;

    // The first pull: oldest change first, each change once, every record at least once.
    let keys: Vec<(DateTime<Utc>, i64)> = first
        .iter()
        .map(|c| {
            (
                c.at,
                ids::parse(&async_graphql::ID(c.id.clone())).expect("id").1,
            )
        })
        .collect();
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "ordered by (updatedAt, id): {first:#?}"
    );
    let pairs: BTreeSet<(&String, i64)> = first.iter().map(|c| (&c.id, c.version)).collect();
    assert_eq!(
        pairs.len(),
        first.len(),
        "no change twice in one pull: {first:#?}"
    );
    let seen: BTreeSet<&String> = first.iter().map(|c| &c.id).collect();
    assert_eq!(seen.len(), 60, "nothing lost in the first pull");
    // The first round landed after page two: records already seen show again later in the same
    // pull with their new version; records not reached yet show once, changed.
    let versions = |i: usize| -> Vec<i64> {
        first
            .iter()
            .filter(|c| c.id == ids[i])
            .map(|c| c.version)
            .collect()
    };
    for i in [5, 8] {
        assert_eq!(
            versions(i),
            vec![1, 2],
            "record {i}, seen then changed: {first:#?}"
        );
    }
    assert_eq!(versions(2)[0], 1, "record 2 first seen unchanged");
    for i in [30, 45, 59] {
        assert_eq!(
            versions(i),
            vec![2],
            "record {i}, changed before reached: {first:#?}"
        );
    }

    // The next pull starts from the last updatedAt seen.
    let resume = first.iter().map(|c| c.at).max().expect("a change");
    let second = pull(&app, &user.token, &rfc3339(resume), None).await;
    assert!(second.iter().all(|c| c.at >= resume), "{second:#?}");
    for c in &second {
        if first.iter().any(|f| f.id == c.id && f.version == c.version) {
            assert_eq!(
                c.at, resume,
                "only the change at the resume point repeats: {c:?}"
            );
        }
    }

    // Every record's latest change is in one pull or the other: nothing updated during or
    // after the first pull is lost.
    let mut latest: BTreeMap<String, i64> = ids.iter().map(|i| (i.clone(), 1)).collect();
    for (i, v) in during.iter().chain(&after_pull) {
        let e = latest.entry(i.clone()).or_default();
        *e = (*e).max(*v);
    }
    assert_eq!(latest[&id(2)], 3, "updated twice");
    let db: BTreeMap<String, i64> = establishment::Entity::find()
        .all(&app.state.db)
        .await
        .expect("rows")
        .into_iter()
        .map(|m| (ids::encode("Establishment", m.id).0, i64::from(m.version)))
        .collect();
    assert_eq!(db, latest, "the database holds what the updates returned");
    for (i, v) in &latest {
        assert!(
            first
                .iter()
                .chain(&second)
                .any(|c| &c.id == i && c.version == *v),
            "version {v} of {i} never pulled; first: {first:#?}\nsecond: {second:#?}"
        );
    }
    for (i, v) in &after_pull {
        assert!(
            second.iter().any(|c| &c.id == i && c.version == *v),
            "a change after the first pull is in the next one: {i} v{v}"
        );
    }
    // A third pull from the end of the second finds only its boundary.
    let resume = second.iter().map(|c| c.at).max().expect("a change");
    let third = pull(&app, &user.token, &rfc3339(resume), None).await;
    assert!(third.iter().all(|c| c.at == resume), "{third:#?}");
}

// ---------------------------------------------------------------------------------------------
// Audit trail

const AUDIT: &str = "query($f: AuditEventFilter, $n: Int, $a: String) { \
    auditEvents(filter: $f, first: $n, after: $a) { totalCount \
    pageInfo { hasNextPage endCursor } \
    nodes { id at action entityType entityId actor { id } changes requestId } } }";

/// Every audit event `token` sees with `filter`, paging `n` at a time.
async fn audit_all(app: &TestApp, token: &str, filter: Value, n: i64) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    let mut total = None;
    loop {
        let page = app
            .ok(
                Some(token),
                AUDIT,
                json!({ "f": filter, "n": n, "a": after }),
            )
            .await["auditEvents"]
            .clone();
        total.get_or_insert(page["totalCount"].as_u64().expect("totalCount"));
        out.extend(page["nodes"].as_array().expect("nodes").iter().cloned());
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(
        Some(out.len() as u64),
        total,
        "totalCount matches the pages"
    );
    out
}

#[tokio::test]
async fn audit_events_stay_inside_the_callers_area() {
    let app = spawn_app().await;
    let p = People::new(&app).await;
    // Where every entity of the trail is.
    let mut area: HashMap<String, Placed> = HashMap::new();
    for (u, province, commune) in [
        (&p.national, None, None),
        (&p.dak_lak, Some(DAK_LAK), None),
        (&p.quang_tri, Some(QUANG_TRI), None),
        (&p.ha_noi, Some(HA_NOI), None),
        (&p.bmt, Some(DAK_LAK), Some(BMT)),
        (&p.dak_lak_other, Some(DAK_LAK), Some(DAK_LAK_OTHER)),
        (&p.truong_phu, Some(QUANG_TRI), Some(TRUONG_PHU)),
    ] {
        area.insert(
            u.id.clone(),
            Placed {
                id: u.id.clone(),
                province,
                commune,
            },
        );
    }
    let mut created: Vec<Placed> = Vec::new();
    let mut establishments = HashMap::new();
    for commune in [BMT, DAK_LAK_OTHER, TRUONG_PHU] {
        let user = p.commune(commune);
        let province = province_of(commune);
        let e = app.establishment(&user.token, commune, json!({})).await;
        establishments.insert(commune, e.clone());
        let pr = app.product(&user.token, &id_of(&e), "Sản phẩm thử").await;
        let pj = must(
            &app,
            &user.token,
            CREATE_PROJECT,
            json!({ "i": { "title": "Đề án thử", "programLevel": "LOCAL", "kind": "INDIVIDUAL",
                "category": "VOCATIONAL_TRAINING", "provinceCode": province, "fiscalYear": 2026 } }),
            "createProject",
        )
        .await;
        for id in [id_of(&e), id_of(&pr), id_of(&pj)] {
            created.push(placed(id, province, Some(commune)));
        }
    }
    // A change with a request id, a funding source of each province.
    let bmt_e = &establishments[BMT];
    let old_name = bmt_e["name"].as_str().expect("name").to_owned();
    let body = app
        .gql_with(
            Some(&p.bmt.token),
            UPDATE,
            json!({ "id": bmt_e["id"], "v": bmt_e["version"], "i": { "name": "Cơ sở đổi tên" } }),
            &[("x-request-id", "kiem-thu-nhat-ky-1")],
        )
        .await;
    assert_ok(&body, "updateEstablishment");
    for (u, province) in [(&p.dak_lak, DAK_LAK), (&p.quang_tri, QUANG_TRI)] {
        let s = must(
            &app,
            &u.token,
            CREATE_SOURCE,
            json!({ "i": { "name": "Nguồn địa phương", "level": "LOCAL", "fiscalYear": 2026,
                "amountVnd": PLENTY } }),
            "createFundingSource",
        )
        .await;
        created.push(placed(id_of(&s), province, None));
    }
    for c in &created {
        area.insert(c.id.clone(), c.clone());
    }

    let national = audit_all(&app, &p.national.token, json!({}), 100).await;
    for (user, view, what) in p.views() {
        let events = audit_all(&app, &user.token, json!({}), 100).await;
        // Never an entity outside the area.
        for ev in &events {
            let id = ev["entityId"].as_str().expect("entityId");
            let place = area
                .get(id)
                .unwrap_or_else(|| panic!("{what}: an event about an unknown entity {ev:#}"));
            let inside = match (view, place.province) {
                (Area::National, _) => true,
                (_, None) => false,
                (v, Some(pr)) => v.covers(pr, place.commune),
            };
            assert!(inside, "{what} sees {ev:#} about {place:?}");
            assert!(
                ev["action"].is_string() && ev["entityType"].is_string(),
                "{ev:#}"
            );
        }
        // And every entity created inside it.
        let about: BTreeSet<&str> = events
            .iter()
            .map(|e| e["entityId"].as_str().expect("entityId"))
            .collect();
        for c in &created {
            if view.covers(c.province.expect("placed"), c.commune) {
                assert!(
                    about.contains(c.id.as_str()),
                    "{what} sees the trail of {c:?}"
                );
            }
        }
        // A subset of the national trail, in the same order.
        let ids: Vec<&Value> = events.iter().map(|e| &e["id"]).collect();
        let nat: Vec<&Value> = national
            .iter()
            .map(|e| &e["id"])
            .filter(|i| ids.contains(i))
            .collect();
        assert_eq!(ids, nat, "{what}");
        // Paging five at a time gives the same events, each once.
        let paged = audit_all(&app, &user.token, json!({}), 5).await;
        assert_eq!(paged, events, "{what}: pages of five");
    }

    // The update: entity id, actor, changes before and after, request id.
    let trail = audit_all(
        &app,
        &p.dak_lak.token,
        json!({ "entityId": bmt_e["id"] }),
        100,
    )
    .await;
    let update = trail
        .iter()
        .find(|e| e["changes"]["name"]["after"] == "Cơ sở đổi tên")
        .unwrap_or_else(|| panic!("the update in {trail:#?}"));
    assert_eq!(update["entityType"], "Establishment");
    assert_eq!(update["entityId"], bmt_e["id"]);
    assert_eq!(update["actor"]["id"], p.bmt.id.as_str());
    assert_eq!(update["changes"]["name"]["before"], old_name.as_str());
    assert_eq!(update["requestId"], "kiem-thu-nhat-ky-1");
    assert!(
        trail.iter().all(|e| e["entityId"] == bmt_e["id"]),
        "{trail:#?}"
    );

    // Asking for another area's entity finds nothing.
    let tp_e = id_of(&establishments[TRUONG_PHU]);
    for user in [&p.dak_lak, &p.bmt, &p.dak_lak_other] {
        let got = audit_all(&app, &user.token, json!({ "entityId": tp_e }), 100).await;
        assert!(got.is_empty(), "{got:#?}");
    }
    assert!(
        !audit_all(&app, &p.quang_tri.token, json!({ "entityId": tp_e }), 100)
            .await
            .is_empty()
    );
    // Filters by type, actor and time keep to the area too.
    let got = audit_all(
        &app,
        &p.bmt.token,
        json!({ "entityType": "Establishment" }),
        100,
    )
    .await;
    assert!(!got.is_empty());
    assert!(got.iter().all(|e| e["entityType"] == "Establishment"
        && area[e["entityId"].as_str().expect("id")].commune == Some(BMT)));
    let got = audit_all(
        &app,
        &p.dak_lak.token,
        json!({ "actorId": p.truong_phu.id }),
        100,
    )
    .await;
    assert!(
        got.is_empty(),
        "Trường Phú's user acted only in Quảng Trị: {got:#?}"
    );
    let got = audit_all(
        &app,
        &p.quang_tri.token,
        json!({ "actorId": p.truong_phu.id }),
        100,
    )
    .await;
    assert!(!got.is_empty());
    assert!(
        got.iter()
            .all(|e| e["actor"]["id"] == p.truong_phu.id.as_str())
    );
    let later = rfc3339(Utc::now() + Duration::minutes(5));
    assert!(
        audit_all(&app, &p.national.token, json!({ "since": later }), 100)
            .await
            .is_empty()
    );
}
