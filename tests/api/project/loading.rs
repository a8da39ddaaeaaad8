//! Batched loading of nested project lists, and the establishment's side.

use super::*;

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
    let (data, statements) = w.app.ok_counting(&w.national.token, DEEP, json!({})).await;
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
    (statements, nodes.len())
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
    // An id that is not an establishment's (here a project's) matches nothing.
    let data = w
        .app
        .ok(
            Some(&w.national.token),
            LIST,
            json!({ "f": { "establishmentId": local } }),
        )
        .await;
    assert_eq!(data["projects"]["totalCount"], 0);
    assert_eq!(data["projects"]["nodes"], json!([]));

    // Removed from the local project: it no longer lists it.
    assert_ok(&w.remove(&w.commune.token, &local, &e).await, "remove");
    assert_eq!(
        projects_of(w.national.token.clone(), e.clone()).await,
        vec![national.clone()]
    );
}
