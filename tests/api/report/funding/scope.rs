//! Which projects a commune sees: those it proposed and those its establishments benefit
//! from, in lists, by id, as nodes and in exports; seeing is not changing.

use super::*;
use crate::report::export::{export_ok, parse_csv};

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
