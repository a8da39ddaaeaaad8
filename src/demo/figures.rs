//! The demo records behind the seed articles' figures, so the reports over the demo data
//! show what the articles report:
//!
//! (Why one file of about 1,000 lines: it is data, the figures below written out as records,
//! one function per figure with the few helpers that drive them, read top to bottom against
//! the articles; split, a figure and the records that must add up to it would part.)
//!
//! - Đắk Lắk 2012–2024 (seed 000): 242 industrial-promotion projects — 2 vocational training
//!   (80 trainees), 45 capacity building (2,309 participants), 195 advanced machinery — with
//!   5.586 billion đồng from the national programme, 21.895 billion from the local one and
//!   80.024 billion of the establishments' own investment; 61 provincial, 31 regional and 10
//!   national recognitions of outstanding rural industrial products, of which the 2022
//!   provincial round recognised 15 products of 13 establishments and the 2022 Central –
//!   Highlands round 11 of them (seed 003).
//! - Lâm Đồng (seed 001): 2024 local programme 29 projects, 4,800 million; 2025 local 33
//!   projects, 3,000 million; 2025 national 5 projects (3 group, 2 individual), 3,700 million
//!   for 13 beneficiaries.
//! - OCOP (seed 002 names Lâm Đồng's product lines; no star counts are given): Lâm Đồng tea,
//!   coffee, macadamia, wine and silk at several star levels, one certificate expiring within
//!   30 days, one revoked.
//!
//! The articles give totals only. How a total is split between projects, years and
//! establishments is the demo's own (even parts, the remainder on the last), and every
//! record here belongs to an establishment that stands for the many the articles do not
//! name and says "(minh họa)" — illustrative — in its name, as do its products and
//! projects. Nothing made up is attached to a real company: the two Đắk Lắk companies the
//! article names (Nam Trường Sơn, Damaca Nguyên Phương) keep only their products and what
//! the article says of them (in the product descriptions); no year, amount, round or
//! certificate of theirs is given, so none is invented.

use std::collections::HashMap;

use chrono::{Datelike, Months, NaiveDate};

use crate::{
    domain::{
        Ctx,
        establishment::{self, EstablishmentData},
        funding::{self, NewFundingSource},
        ocop::{self, Decision, ScoreInput},
        product::{self, NewProduct},
        project::{self as proj, NewProject, Outcomes},
        selection::{self, NewRound, Scores},
    },
    enums::{
        EstablishmentKind, FundingLevel, OcopApplicationType, OcopProductGroup, ProgramLevel,
        ProjectAction, ProjectCategory, ProjectKind, Region, Sector, SelectionLevel,
        SelectionProductGroup,
    },
    error::{AppError, Result},
};

use super::{Load, ctx_of};

/// Splits `total` into `n` parts, the remainder on the last.
pub fn split(total: i64, n: usize) -> Vec<i64> {
    if n == 0 {
        return Vec::new();
    }
    let each = total / n as i64;
    let mut parts = vec![each; n];
    if let Some(last) = parts.last_mut() {
        *last += total - each * n as i64;
    }
    parts
}

fn date(y: i32, m: u32, d: u32) -> Result<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| AppError::internal("bad demo date"))
}

/// Creates an illustrative establishment.
async fn illustrative(
    state: &Load<'_>,
    ctx: &Ctx,
    name: String,
    commune: &str,
    sector: Sector,
    main: &str,
) -> Result<i64> {
    let e = establishment::create(
        &state.db,
        ctx,
        EstablishmentData {
            name,
            kind: EstablishmentKind::BusinessHousehold,
            tax_code: None,
            commune_code: commune.into(),
            address: None,
            in_craft_village: false,
            sector,
            main_products: Some(main.into()),
            employee_count: None,
            founded_year: None,
            representative: None,
            phone: None,
            email: None,
            latitude: None,
            longitude: None,
            women_owned: false,
            ethnic_minority_owned: false,
        },
        None,
    )
    .await?;
    Ok(e.id)
}

/// One project driven to its end state, fully funded from `source`.
struct Run<'a> {
    proposer: &'a Ctx,
    approver: &'a Ctx,
    title: String,
    level: ProgramLevel,
    kind: ProjectKind,
    category: ProjectCategory,
    province: &'a str,
    year: i32,
    general: i64,
    beneficiary: Option<(i64, i64, i64)>,
    source: i64,
    settle: bool,
    trainees: Option<i32>,
    jobs: Option<i32>,
}

async fn run(state: &Load<'_>, r: Run<'_>) -> Result<()> {
    let db = &state.db;
    let mut p = proj::create(
        db,
        r.proposer,
        NewProject {
            title: r.title,
            description: None,
            program_level: r.level,
            kind: r.kind,
            category: r.category,
            province_code: r.province.into(),
            commune_code: None,
            implementing_unit: Some("Trung tâm Khuyến công".into()),
            fiscal_year: r.year,
            planned_start: None,
            planned_end: None,
            general_support_vnd: Some(r.general),
        },
        None,
    )
    .await?;
    if let Some((est, support, counterpart)) = r.beneficiary {
        p = proj::add_beneficiary(
            db,
            r.proposer,
            p.id.into(),
            p.version,
            est.into(),
            support,
            counterpart,
        )
        .await?;
    }
    let a = proj::allocate(
        db,
        r.approver,
        p.id.into(),
        r.source.into(),
        p.support_vnd,
        None,
    )
    .await?;
    for action in [
        ProjectAction::Submit,
        ProjectAction::Appraise,
        ProjectAction::Approve,
    ] {
        let by = if action == ProjectAction::Approve {
            r.approver
        } else {
            r.proposer
        };
        p = proj::transition(db, by, p.id.into(), p.version, action, None, None).await?;
    }
    if !r.settle {
        return Ok(());
    }
    p = proj::transition(
        db,
        r.proposer,
        p.id.into(),
        p.version,
        ProjectAction::Start,
        None,
        None,
    )
    .await?;
    let advance_percent = i64::from(proj::advance_rule(db).await?.advance_percent);
    let advance = a.amount_vnd * advance_percent / 100;
    let paid_on = date(r.year, 9, 30)?;
    if advance > 0 {
        proj::disburse(
            db,
            r.proposer,
            a.id.into(),
            advance,
            paid_on,
            Some("Tạm ứng".into()),
            None,
        )
        .await?;
    }
    let outcomes = Outcomes {
        jobs_created: r.jobs,
        trainees: r.trainees,
        average_monthly_income_vnd: None,
        notes: None,
    };
    p = proj::transition(
        db,
        r.approver,
        p.id.into(),
        p.version,
        ProjectAction::Accept,
        None,
        Some(outcomes),
    )
    .await?;
    let rest = a.amount_vnd - advance;
    if rest > 0 {
        proj::disburse(
            db,
            r.proposer,
            a.id.into(),
            rest,
            date(r.year, 12, 15)?,
            Some("Thanh toán".into()),
            None,
        )
        .await?;
    }
    proj::transition(
        db,
        r.approver,
        p.id.into(),
        p.version,
        ProjectAction::Settle,
        None,
        None,
    )
    .await?;
    Ok(())
}

async fn source(
    state: &Load<'_>,
    ctx: &Ctx,
    name: String,
    level: FundingLevel,
    province: Option<&str>,
    year: i32,
    amount: i64,
) -> Result<i64> {
    Ok(funding::create(
        &state.db,
        ctx,
        NewFundingSource {
            name,
            level,
            province_code: province.map(Into::into),
            fiscal_year: year,
            amount_vnd: amount,
            legal_basis: Some("Nghị định 45/2012/NĐ-CP".into()),
        },
        None,
    )
    .await?
    .id)
}

/// Đắk Lắk's 242 projects of 2012–2024, on illustrative establishments only (the articles
/// name two companies supported with machinery but give no year or amount, so no project
/// of theirs is made up).
async fn dak_lak_projects(state: &Load<'_>) -> Result<Vec<i64>> {
    const NATIONAL: i64 = 5_586_000_000;
    const LOCAL: i64 = 21_895_000_000;
    const COUNTERPART: i64 = 80_024_000_000;
    let officer = ctx_of(state, "daklak.officer").await?;
    let national = ctx_of(state, "national.admin").await?;
    // Thirteen illustrative establishments (the 2022 provincial round's 13).
    let mut establishments = Vec::new();
    let communes = ["24133", "24121", "24133", "24121"];
    for i in 1..=13 {
        establishments.push(
            illustrative(
                state,
                &officer,
                format!("Cơ sở chế biến nông sản Đắk Lắk {i:02} (minh họa)"),
                communes[i % communes.len()],
                Sector::AgroForestryFisheryFood,
                "Cà phê, hồ tiêu, mắc ca",
            )
            .await?,
        );
    }
    // 2 vocational training, 45 capacity building, 195 machinery; 20 of the machinery
    // projects are national, the rest local.
    let mut plan: Vec<(ProjectCategory, bool)> = Vec::new();
    plan.extend(std::iter::repeat_n(
        (ProjectCategory::VocationalTraining, false),
        2,
    ));
    plan.extend(std::iter::repeat_n(
        (ProjectCategory::CapacityBuilding, false),
        45,
    ));
    for i in 0..195 {
        plan.push((ProjectCategory::AdvancedMachinery, i % 10 == 0 && i < 200));
    }
    let national_n = plan.iter().filter(|(_, n)| *n).count();
    let national_parts = split(NATIONAL, national_n);
    let training_general = 50_000_000;
    let local_machinery = plan
        .iter()
        .filter(|(c, n)| *c == ProjectCategory::AdvancedMachinery && !n)
        .count();
    let local_parts = split(LOCAL - training_general * 47, local_machinery);
    let counterpart_parts = split(COUNTERPART, 195);
    let trainees_capacity = split(2_309, 45);
    // Sources per year hold exactly what that year's projects take.
    let year_of = |i: usize| 2012 + (i % 13) as i32;
    let mut need: HashMap<(i32, bool), i64> = HashMap::new();
    let (mut ni, mut li, mut ci) = (0, 0, 0);
    let mut amounts = Vec::new();
    for (i, (cat, is_national)) in plan.iter().enumerate() {
        let (support, counterpart) = match (cat, is_national) {
            (ProjectCategory::AdvancedMachinery, true) => {
                ni += 1;
                ci += 1;
                (national_parts[ni - 1], counterpart_parts[ci - 1])
            }
            (ProjectCategory::AdvancedMachinery, false) => {
                li += 1;
                ci += 1;
                (local_parts[li - 1], counterpart_parts[ci - 1])
            }
            _ => (training_general, 0),
        };
        *need.entry((year_of(i), *is_national)).or_default() += support;
        amounts.push((support, counterpart));
    }
    let mut sources = HashMap::new();
    for ((year, is_national), amount) in &need {
        let id = if *is_national {
            source(
                state,
                &national,
                format!("Chương trình khuyến công quốc gia năm {year} (phần Đắk Lắk)"),
                FundingLevel::National,
                None,
                *year,
                *amount,
            )
            .await?
        } else {
            source(
                state,
                &officer,
                format!("Kinh phí khuyến công địa phương tỉnh Đắk Lắk năm {year}"),
                FundingLevel::Local,
                Some("66"),
                *year,
                *amount,
            )
            .await?
        };
        sources.insert((*year, *is_national), id);
    }
    let mut capacity = 0;
    for (i, ((cat, is_national), (support, counterpart))) in plan.iter().zip(amounts).enumerate() {
        let year = year_of(i);
        let est = establishments[i % establishments.len()];
        let (general, beneficiary, trainees) = match cat {
            ProjectCategory::AdvancedMachinery => (0, Some((est, support, counterpart)), None),
            ProjectCategory::VocationalTraining => (support, Some((est, 0, 0)), Some(40)),
            _ => {
                capacity += 1;
                (
                    support,
                    Some((est, 0, 0)),
                    Some(trainees_capacity[capacity - 1] as i32),
                )
            }
        };
        run(
            state,
            Run {
                proposer: &officer,
                approver: if *is_national { &national } else { &officer },
                title: format!(
                    "{} năm {year} (minh họa số {:03})",
                    match cat {
                        ProjectCategory::VocationalTraining => "Đào tạo nghề",
                        ProjectCategory::CapacityBuilding =>
                            "Nâng cao năng lực quản lý, sản xuất sạch hơn",
                        _ => "Hỗ trợ ứng dụng máy móc thiết bị tiên tiến",
                    },
                    i + 1
                ),
                level: if *is_national {
                    ProgramLevel::National
                } else {
                    ProgramLevel::Local
                },
                kind: ProjectKind::Individual,
                category: *cat,
                province: "66",
                year,
                general,
                beneficiary,
                source: sources[&(year, *is_national)],
                settle: true,
                trainees,
                jobs: None,
            },
        )
        .await?;
    }
    Ok(establishments)
}

/// Lâm Đồng's 2024 and 2025 local projects and its five national projects of 2025.
async fn lam_dong_projects(state: &Load<'_>) -> Result<()> {
    let officer = ctx_of(state, "lamdong.officer").await?;
    let national = ctx_of(state, "national.admin").await?;
    let lines = [
        "chè ô long",
        "cà phê rang xay",
        "mắc ca",
        "rượu vang",
        "lụa tơ tằm",
        "mật ong",
        "trà atisô",
    ];
    let mut establishments = Vec::new();
    for i in 0..13 {
        establishments.push(
            illustrative(
                state,
                &officer,
                format!(
                    "Cơ sở sản xuất {} Lâm Đồng {:02} (minh họa)",
                    lines[i % lines.len()],
                    i + 1
                ),
                if i % 2 == 0 { "25000" } else { "24778" },
                Sector::AgroForestryFisheryFood,
                lines[i % lines.len()],
            )
            .await?,
        );
    }
    for (year, count, total, settle) in [
        (2024, 29, 4_800_000_000i64, true),
        (2025, 33, 3_000_000_000, false),
    ] {
        let src = source(
            state,
            &officer,
            format!("Khuyến công địa phương Lâm Đồng {year} (các đề án)"),
            FundingLevel::Local,
            Some("68"),
            year,
            total,
        )
        .await?;
        for (i, support) in split(total, count).into_iter().enumerate() {
            run(
                state,
                Run {
                    proposer: &officer,
                    approver: &officer,
                    title: format!(
                        "Hỗ trợ máy móc chế biến {} năm {year} (minh họa số {:02})",
                        lines[i % lines.len()],
                        i + 1
                    ),
                    level: ProgramLevel::Local,
                    kind: ProjectKind::Individual,
                    category: ProjectCategory::AdvancedMachinery,
                    province: "68",
                    year,
                    general: 0,
                    beneficiary: Some((
                        establishments[i % establishments.len()],
                        support,
                        support * 2,
                    )),
                    source: src,
                    settle,
                    trainees: None,
                    jobs: settle.then_some(3),
                },
            )
            .await?;
        }
    }
    // 2025 national: 3 group and 2 individual projects, 3,700 million, 13 beneficiaries.
    let src = source(
        state,
        &national,
        "Chương trình khuyến công quốc gia năm 2025 (phần Lâm Đồng)".into(),
        FundingLevel::National,
        None,
        2025,
        3_700_000_000,
    )
    .await?;
    let national_projects = [
        (
            "Đề án nhóm: máy móc chế biến cà phê, chè",
            ProjectKind::Group,
            900_000_000,
            4,
        ),
        (
            "Đề án nhóm: dây chuyền chế biến mắc ca, mật ong",
            ProjectKind::Group,
            800_000_000,
            3,
        ),
        (
            "Đề án nhóm: chuyển giao công nghệ sấy nông sản",
            ProjectKind::Group,
            700_000_000,
            3,
        ),
        (
            "Mô hình trình diễn kỹ thuật sản xuất chè ô long",
            ProjectKind::Individual,
            700_000_000,
            2,
        ),
        (
            "Dây chuyền tự động sản xuất rượu vang",
            ProjectKind::Individual,
            600_000_000,
            1,
        ),
    ];
    let mut next = 0;
    for (title, kind, support, beneficiaries) in national_projects {
        let db = &state.db;
        let mut p = proj::create(
            db,
            &officer,
            NewProject {
                title: format!("{title} (Lâm Đồng 2025)"),
                description: None,
                program_level: ProgramLevel::National,
                kind,
                category: ProjectCategory::AdvancedMachinery,
                province_code: "68".into(),
                commune_code: None,
                implementing_unit: Some("Trung tâm Khuyến công Lâm Đồng".into()),
                fiscal_year: 2025,
                planned_start: None,
                planned_end: None,
                general_support_vnd: Some(support),
            },
            None,
        )
        .await?;
        // The support is the project's; beneficiaries (chosen later for a group project)
        // take part with their own investment.
        let mut chosen = Vec::new();
        for _ in 0..beneficiaries {
            chosen.push(establishments[next % establishments.len()]);
            next += 1;
        }
        if kind == ProjectKind::Individual {
            for e in &chosen {
                p = proj::add_beneficiary(
                    db,
                    &officer,
                    p.id.into(),
                    p.version,
                    (*e).into(),
                    0,
                    200_000_000,
                )
                .await?;
            }
        }
        proj::allocate(db, &national, p.id.into(), src.into(), p.support_vnd, None).await?;
        for action in [
            ProjectAction::Submit,
            ProjectAction::Appraise,
            ProjectAction::Approve,
        ] {
            let by = if action == ProjectAction::Approve {
                &national
            } else {
                &officer
            };
            p = proj::transition(db, by, p.id.into(), p.version, action, None, None).await?;
        }
        if kind == ProjectKind::Group {
            for e in &chosen {
                p = proj::add_beneficiary(
                    db,
                    &officer,
                    p.id.into(),
                    p.version,
                    (*e).into(),
                    0,
                    200_000_000,
                )
                .await?;
            }
        }
    }
    Ok(())
}

fn scores(total: i32) -> Scores {
    // Spread a total over the four criteria within their maxima (40/40/10/10).
    let culture = (total / 10).min(10);
    let other = (total / 10).min(10);
    let rest = total - culture - other;
    let market = (rest / 2).min(40);
    Scores {
        market,
        economic: (rest - market).min(40),
        culture,
        other,
    }
}

async fn run_round(
    state: &Load<'_>,
    organiser: &Ctx,
    judges: &[&Ctx],
    round: NewRound,
    entries: &[(i64, bool)],
    recognized_on: NaiveDate,
) -> Result<()> {
    let db = &state.db;
    let r = selection::create_round(db, organiser, round, None).await?;
    let mut nominations = Vec::new();
    for (product_id, recognise) in entries {
        let n = selection::nominate(
            db,
            organiser,
            r.id.into(),
            (*product_id).into(),
            SelectionProductGroup::ProcessedAgroForestryFisheryFood,
        )
        .await?;
        nominations.push((n.id, *recognise));
    }
    let r = selection::advance(db, organiser, r.id.into(), r.version, None).await?;
    for (n, recognise) in &nominations {
        for (j, judge) in judges.iter().enumerate() {
            let total = if *recognise {
                78 + j as i32 * 3
            } else {
                55 + j as i32 * 2
            };
            selection::submit_scorecard(db, judge, (*n).into(), scores(total)).await?;
        }
    }
    selection::advance(db, organiser, r.id.into(), r.version, Some(recognized_on)).await?;
    Ok(())
}

/// Đắk Lắk's rounds of 2012–2024: 61 provincial, 31 regional and 10 national recognitions.
async fn dak_lak_selection(state: &Load<'_>, establishments: &[i64]) -> Result<()> {
    let officer = ctx_of(state, "daklak.officer").await?;
    let admin = ctx_of(state, "daklak.admin").await?;
    let council = ctx_of(state, "daklak.council").await?;
    let n1 = ctx_of(state, "national.admin").await?;
    let n2 = ctx_of(state, "national.officer").await?;
    let n3 = ctx_of(state, "national.council").await?;
    // (year, provincial, regional, national recognitions); 2022 from seed 003.
    let rounds = [
        (2012, 8, 4, 0),
        (2014, 8, 4, 1),
        (2016, 8, 3, 1),
        (2018, 8, 3, 2),
        (2020, 7, 3, 2),
        (2022, 15, 11, 2),
        (2024, 7, 3, 2),
    ];
    // Each illustrative name with the selection and OCOP groups it really belongs to.
    let names = [
        (
            "Cà phê bột",
            SelectionProductGroup::ProcessedAgroForestryFisheryFood,
            OcopProductGroup::Food,
        ),
        (
            "Hạt điều rang",
            SelectionProductGroup::ProcessedAgroForestryFisheryFood,
            OcopProductGroup::Food,
        ),
        (
            "Hồ tiêu",
            SelectionProductGroup::ProcessedAgroForestryFisheryFood,
            OcopProductGroup::Food,
        ),
        (
            "Mật ong",
            SelectionProductGroup::ProcessedAgroForestryFisheryFood,
            OcopProductGroup::Food,
        ),
        (
            "Thổ cẩm",
            SelectionProductGroup::Handicraft,
            OcopProductGroup::HandicraftTextile,
        ),
        (
            "Rượu cần",
            SelectionProductGroup::ProcessedAgroForestryFisheryFood,
            OcopProductGroup::Beverage,
        ),
        (
            "Sầu riêng sấy",
            SelectionProductGroup::ProcessedAgroForestryFisheryFood,
            OcopProductGroup::Food,
        ),
    ];
    let mut product_n = 0;
    for (year, prov, reg, nat) in rounds {
        // The 2022 round recognised 15 products of 13 establishments: two of them have two.
        let mut products = Vec::new();
        while products.len() < prov {
            product_n += 1;
            let est = establishments[(products.len() + year as usize) % 13];
            let (name, selection_group, ocop_group) = names[product_n % names.len()];
            let p = product::create(
                &state.db,
                &officer,
                NewProduct {
                    establishment_id: est.into(),
                    name: format!("{name} Đắk Lắk (minh họa {product_n:02})"),
                    description: None,
                    brand: None,
                    selection_group: Some(selection_group),
                    ocop_group: Some(ocop_group),
                },
                None,
            )
            .await?;
            products.push(p.id);
        }
        // One more nominee per round that is not recognised.
        let mut entries: Vec<(i64, bool)> = products.iter().map(|p| (*p, true)).collect();
        let extra = product::create(
            &state.db,
            &officer,
            NewProduct {
                establishment_id: establishments[year as usize % establishments.len()].into(),
                name: format!("Sản phẩm dự thi {year} (minh họa)"),
                description: None,
                brand: None,
                selection_group: Some(SelectionProductGroup::Other),
                ocop_group: None,
            },
            None,
        )
        .await?;
        entries.push((extra.id, false));
        run_round(
            state,
            &officer,
            &[&officer, &admin, &council],
            NewRound {
                name: format!("Bình chọn sản phẩm CNNT tiêu biểu cấp tỉnh Đắk Lắk năm {year}"),
                level: SelectionLevel::Provincial,
                year,
                province_code: Some("66".into()),
                commune_code: None,
                region: None,
            },
            &entries,
            date(year, 8, 15)?,
        )
        .await?;
        // The regional round takes the first `reg`; one more is nominated and not
        // recognised.
        let regional: Vec<(i64, bool)> = products
            .iter()
            .take(reg + 1)
            .enumerate()
            .map(|(i, p)| (*p, i < reg))
            .collect();
        run_round(
            state,
            &n1,
            &[&n1, &n2, &n3],
            NewRound {
                name: format!(
                    "Bình chọn sản phẩm CNNT tiêu biểu khu vực miền Trung – Tây Nguyên năm {year}"
                ),
                level: SelectionLevel::Regional,
                year,
                province_code: None,
                commune_code: None,
                region: Some(Region::CentralHighlands),
            },
            &regional,
            date(year, 10, 15)?,
        )
        .await?;
        if nat > 0 {
            let national: Vec<(i64, bool)> =
                products.iter().take(nat).map(|p| (*p, true)).collect();
            run_round(
                state,
                &n1,
                &[&n1, &n2, &n3],
                NewRound {
                    name: format!("Bình chọn sản phẩm CNNT tiêu biểu cấp quốc gia năm {year}"),
                    level: SelectionLevel::National,
                    year,
                    province_code: None,
                    commune_code: None,
                    region: None,
                },
                &national,
                date(year, 12, 10)?,
            )
            .await?;
        }
    }
    Ok(())
}

async fn certify(
    state: &Load<'_>,
    province: &[&Ctx; 3],
    central: Option<&[&Ctx; 3]>,
    product_id: i64,
    total: f64,
    issued_on: NaiveDate,
    decision: &str,
) -> Result<i64> {
    let db = &state.db;
    let e = ocop::create(
        db,
        province[0],
        product_id.into(),
        issued_on.year(),
        OcopApplicationType::New,
        None,
    )
    .await?;
    let e = ocop::screen(db, province[0], e.id.into(), e.version, true, None).await?;
    // Split in hundredths: a score has at most two decimals.
    let part = |t: f64| {
        let total = (t * 100.0).round() as i64;
        let a = (total * 40 / 100).min(4000);
        let b = (total * 25 / 100).min(2500);
        let c = total - a - b;
        ScoreInput {
            part_a: a as f64 / 100.0,
            part_b: b as f64 / 100.0,
            part_c: c as f64 / 100.0,
            mandatory_failed: Vec::new(),
        }
    };
    for member in province {
        ocop::submit_scores(db, member, e.id.into(), part(total)).await?;
    }
    let current = ocop::get(db, province[0], e.id.into())
        .await?
        .ok_or_else(|| AppError::internal("evaluation vanished"))?;
    let d = Decision {
        decision_number: decision.into(),
        issued_on,
    };
    let e = ocop::certify(db, province[0], e.id.into(), current.version, d.clone()).await?;
    let e = match central {
        Some(judges) => {
            for member in judges {
                ocop::submit_scores(db, member, e.id.into(), part(total)).await?;
            }
            let current = ocop::get(db, judges[0], e.id.into())
                .await?
                .ok_or_else(|| AppError::internal("evaluation vanished"))?;
            ocop::certify(db, judges[0], e.id.into(), current.version, d).await?
        }
        None => e,
    };
    e.certificate_id
        .ok_or_else(|| AppError::internal("demo OCOP product not certified"))
}

/// OCOP ratings: Lâm Đồng's product lines at several star levels, on an illustrative
/// cooperative (no article gives a rating of a named product).
async fn ocop_ratings(state: &Load<'_>) -> Result<()> {
    let lamdong = [
        &ctx_of(state, "lamdong.officer").await?,
        &ctx_of(state, "lamdong.council").await?,
        &ctx_of(state, "lamdong.council2").await?,
    ];
    let central = [
        &ctx_of(state, "national.admin").await?,
        &ctx_of(state, "national.officer").await?,
        &ctx_of(state, "national.council").await?,
    ];
    let today = chrono::Utc::now().date_naive();
    let establishment = illustrative(
        state,
        lamdong[0],
        "Hợp tác xã nông sản Lâm Đồng (minh họa)".into(),
        "25000",
        Sector::AgroForestryFisheryFood,
        "Chè, cà phê, mắc ca, rượu vang, lụa",
    )
    .await?;
    // (product, OCOP group, mean total, issued on)
    let expiring = today
        .checked_sub_months(Months::new(36))
        .map(|d| d + chrono::Duration::days(20))
        .ok_or_else(|| AppError::internal("date"))?;
    let ratings = [
        (
            "Chè ô long Cầu Đất (minh họa)",
            OcopProductGroup::Beverage,
            92.0,
            date(2025, 9, 10)?,
        ),
        (
            "Cà phê Arabica Cầu Đất rang xay (minh họa)",
            OcopProductGroup::Beverage,
            84.0,
            date(2025, 6, 20)?,
        ),
        (
            "Hạt mắc ca sấy nứt vỏ (minh họa)",
            OcopProductGroup::Food,
            76.5,
            date(2024, 11, 5)?,
        ),
        (
            "Rượu vang dâu tằm (minh họa)",
            OcopProductGroup::Beverage,
            63.0,
            expiring,
        ),
        (
            "Khăn lụa tơ tằm Bảo Lộc (minh họa)",
            OcopProductGroup::HandicraftTextile,
            58.0,
            date(2024, 3, 12)?,
        ),
        (
            "Mật ong hoa cà phê (minh họa)",
            OcopProductGroup::Food,
            71.0,
            date(2025, 1, 8)?,
        ),
    ];
    let mut revoked = None;
    for (i, (name, group, total, issued)) in ratings.iter().enumerate() {
        let p = product::create(
            &state.db,
            lamdong[0],
            NewProduct {
                establishment_id: establishment.into(),
                name: (*name).into(),
                description: None,
                brand: None,
                selection_group: None,
                ocop_group: Some(*group),
            },
            None,
        )
        .await?;
        let central_judges = (*total >= 90.0).then_some(&central);
        let cert = certify(
            state,
            &lamdong,
            central_judges,
            p.id,
            *total,
            *issued,
            &format!("{}/QĐ-UBND", 1765 + i),
        )
        .await?;
        if i == 5 {
            revoked = Some(cert);
        }
    }
    if let Some(cert) = revoked {
        ocop::revoke(
            &state.db,
            lamdong[0],
            cert.into(),
            "Sản phẩm không duy trì được tiêu chí chất lượng (minh họa)".into(),
            "2025/QĐ-UBND".into(),
        )
        .await?;
    }
    Ok(())
}

/// Loads the figures' records.
pub async fn load(state: &Load<'_>) -> Result<()> {
    let establishments = dak_lak_projects(state).await?;
    lam_dong_projects(state).await?;
    dak_lak_selection(state, &establishments).await?;
    ocop_ratings(state).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn splits_add_up() {
        let parts = split(5_586_000_000, 20);
        assert_eq!(parts.iter().sum::<i64>(), 5_586_000_000);
        assert_eq!(parts.len(), 20);
    }
}
