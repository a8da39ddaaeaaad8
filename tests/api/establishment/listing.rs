//! Lists: diacritic-insensitive search, keyset paging and `updatedSince`.

use super::*;

// ---------------------------------------------------------------------------------------
// Search
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn search_ignores_case_and_vietnamese_diacritics() {
    let app = spawn_app().await;
    let user = app.province(DAK_LAK).await;
    let coffee = id_of(
        &app.establishment(
            &user.token,
            BMT,
            json!({ "name": "Cơ sở Cà phê Đắk Lắk", "mainProducts": "Cà phê bột" }),
        )
        .await,
    );
    app.establishment(
        &user.token,
        DAK_LAK_OTHER,
        json!({ "name": "HTX Dệt thổ cẩm", "mainProducts": "Vải thổ cẩm" }),
    )
    .await;

    for term in [
        "ca phe",
        "dak lak",
        "DAK LAK",
        "Đắk Lắk",
        "cà PHÊ bột",
        "  phe   bot ",
    ] {
        let page = list(&app, &user.token, json!({ "search": term }), None).await;
        assert_eq!(ids_of(&page), vec![coffee.clone()], "{term:?}");
        assert_eq!(page["totalCount"], 1, "{term:?}");
    }
    for term in ["tra xanh", "Hồ tiêu", "lak dak"] {
        let page = list(&app, &user.token, json!({ "search": term }), None).await;
        assert!(ids_of(&page).is_empty(), "{term:?}");
        assert_eq!(page["totalCount"], 0, "{term:?}");
    }
    // Search combines with the other filters.
    assert_eq!(
        total(
            &app,
            &user.token,
            json!({ "search": "ca phe", "communeCode": DAK_LAK_OTHER })
        )
        .await,
        0
    );
}

#[tokio::test]
async fn percent_and_underscore_in_a_search_term_are_literal() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    let pure = id_of(
        &app.establishment(
            &user.token,
            BMT,
            json!({ "name": "Cà phê 100% nguyên chất" }),
        )
        .await,
    );
    let snake = id_of(
        &app.establishment(&user.token, BMT, json!({ "name": "Xưởng mã_số_7" }))
            .await,
    );
    app.establishment(&user.token, BMT, json!({ "name": "Cà phê 1000 gói" }))
        .await;

    let find = |term: &'static str| {
        let (app, token) = (&app, user.token.clone());
        async move { ids_of(&list(app, &token, json!({ "search": term }), None).await) }
    };
    assert_eq!(find("100%").await, vec![pure.clone()]);
    assert_eq!(find("%").await, vec![pure.clone()]);
    assert_eq!(find("1%0").await, Vec::<String>::new());
    assert_eq!(find("_").await, vec![snake.clone()]);
    assert_eq!(find("ma_so").await, vec![snake]);
    assert_eq!(find("\\").await, Vec::<String>::new());
}

// ---------------------------------------------------------------------------------------
// Pagination
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn paging_by_five_visits_each_of_23_establishments_once() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    let mut created = Vec::new();
    for _ in 0..23 {
        created.push(id_of(&app.establishment(&user.token, BMT, json!({})).await));
    }

    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = app
            .ok(
                Some(&user.token),
                LIST,
                json!({ "first": 5, "after": after }),
            )
            .await["establishments"]
            .clone();
        pages += 1;
        assert_eq!(page["totalCount"], 23, "totalCount on every page");
        assert_eq!(page["pageInfo"]["hasPreviousPage"], after.is_some());
        let ids = ids_of(&page);
        let edges = page["edges"].as_array().expect("edges");
        assert_eq!(edges.len(), ids.len());
        for (edge, id) in edges.iter().zip(&ids) {
            assert_eq!(edge["node"]["id"], id.as_str());
        }
        if !ids.is_empty() {
            assert_eq!(
                page["pageInfo"]["endCursor"],
                edges[ids.len() - 1]["cursor"]
            );
            assert_eq!(page["pageInfo"]["startCursor"], edges[0]["cursor"]);
        }
        seen.extend(ids);
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        assert_eq!(page["nodes"].as_array().expect("nodes").len(), 5);
        after = Some(
            page["pageInfo"]["endCursor"]
                .as_str()
                .expect("endCursor")
                .to_owned(),
        );
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, 5);
    assert_eq!(seen, created, "every id once, in order, no gaps");
}

#[tokio::test]
async fn first_above_100_is_refused_and_first_0_returns_only_the_count() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    for _ in 0..3 {
        app.establishment(&user.token, BMT, json!({})).await;
    }
    for bad in [101, 1000, -1] {
        let body = app
            .gql(Some(&user.token), LIST, json!({ "first": bad }))
            .await;
        assert_field(&body, "first");
    }
    let page = list(&app, &user.token, json!({}), Some(0)).await;
    assert_eq!(page["totalCount"], 3);
    assert!(ids_of(&page).is_empty());
    assert!(page["pageInfo"]["endCursor"].is_null());
    let page = list(&app, &user.token, json!({}), Some(100)).await;
    assert_eq!(ids_of(&page).len(), 3);
    assert_eq!(page["pageInfo"]["hasNextPage"], false);
}

#[tokio::test]
async fn a_garbage_after_cursor_is_refused() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    app.establishment(&user.token, BMT, json!({})).await;
    for bad in ["garbage!", "bm9uc2Vuc2U", "", "aTpub3RhbnVtYmVy"] {
        let body = app
            .gql(Some(&user.token), LIST, json!({ "first": 5, "after": bad }))
            .await;
        assert_field(&body, "after");
    }
}

#[tokio::test]
async fn with_updated_since_the_list_runs_oldest_change_first_and_cursors_resume() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    let mut created = Vec::new();
    for _ in 0..6 {
        created.push(id_of(&app.establishment(&user.token, BMT, json!({})).await));
    }
    let since = get(&app, &user.token, &created[0]).await["createdAt"]
        .as_str()
        .expect("createdAt")
        .to_owned();
    // Change an old record: it moves to the end.
    let body = update(
        &app,
        &user.token,
        &created[1],
        1,
        json!({ "name": "Mới đổi" }),
    )
    .await;
    let changed_at = body["data"]["updateEstablishment"]["updatedAt"]
        .as_str()
        .expect("updatedAt")
        .to_owned();
    let expected: Vec<String> = [0, 2, 3, 4, 5, 1]
        .iter()
        .map(|&i| created[i].clone())
        .collect();

    let pages = all_pages(async |after| {
        let vars = json!({ "f": { "updatedSince": since }, "first": 2, "after": after });
        app.ok(Some(&user.token), LIST, vars).await["establishments"].clone()
    })
    .await;
    let mut seen = Vec::new();
    for page in &pages {
        assert_eq!(page["totalCount"], 6);
        seen.extend(ids_of(page));
    }
    assert_eq!(seen, expected);

    // Only what changed at or after the time is listed.
    let page = list(
        &app,
        &user.token,
        json!({ "updatedSince": changed_at }),
        None,
    )
    .await;
    assert_eq!(ids_of(&page), vec![created[1].clone()]);
    assert_eq!(page["totalCount"], 1);

    // A cursor of the id order does not fit the change order.
    let by_id = list(&app, &user.token, json!({}), Some(2)).await;
    let body = app
        .gql(
            Some(&user.token),
            LIST,
            json!({
                "f": { "updatedSince": since },
                "first": 2,
                "after": by_id["pageInfo"]["endCursor"],
            }),
        )
        .await;
    assert_field(&body, "after");
}
