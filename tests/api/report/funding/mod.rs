//! `fundingSummary` and project scope over one funding fixture: thirteen projects in every
//! state that matters, with what the summary must count for each.

mod scope;
mod summary;

use super::*;

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

impl Area {
    /// Whether this area sees a counted project: a commune sees the projects it proposed
    /// and those with a beneficiary in the commune.
    fn sees(self, c: &Counted) -> bool {
        match self {
            Area::Commune(x) => c.commune == Some(x) || c.communes.contains(&x),
            _ => self.covers(c.province, c.commune),
        }
    }
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
