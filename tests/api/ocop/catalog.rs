//! The anonymous public catalogue: what it lists, search, paging and filters, and no personal
//! data.

use super::*;

// ---------------------------------------------------------------------------------------------
// The public catalogue

const CATALOG: &str = "query($f: PublicCatalogFilter, $n: Int, $a: String) { \
    publicCatalog(filter: $f, first: $n, after: $a) { totalCount \
    pageInfo { hasNextPage endCursor } nodes { productId productName establishmentName \
    provinceName communeName ocopStars ocopCertificateNumber ocopValidUntil \
    highestRecognition recognitionValidUntil } } }";

/// `publicCatalog` without a token (the whole connection).
async fn catalog(app: &TestApp, filter: Value, first: i64, after: Option<&str>) -> Value {
    let body = app
        .gql(
            None,
            CATALOG,
            json!({ "f": filter, "n": first, "a": after }),
        )
        .await;
    data(&body, "publicCatalog").clone()
}

/// Product ids in the anonymous catalogue with `filter`, sorted.
async fn catalogued(app: &TestApp, filter: Value) -> Vec<String> {
    let conn = catalog(app, filter, 100, None).await;
    let nodes = conn["nodes"].as_array().expect("nodes");
    assert_eq!(conn["totalCount"], nodes.len(), "{conn:#}");
    sorted(
        nodes
            .iter()
            .map(|n| n["productId"].as_str().expect("productId").to_owned()),
    )
}

#[tokio::test]
async fn the_public_catalogue_is_anonymous_and_lists_only_certified_or_recognised_products() {
    let app = spawn_app().await;
    let c = cast(&app, BMT).await;
    let (certified_p, cert) = certified(&app, &c, "Cà phê Buôn Ma Thuột", 4, "2026-01-05").await;
    let (revoked_p, revoked_cert) = certified(&app, &c, "Mật ong rừng", 3, "2026-01-05").await;
    assert_ok(
        &revoke(&app, &c.province.token, &revoked_cert, "Vi phạm").await,
        "request",
    );
    let (expired_p, _) = certified(&app, &c, "Hạt điều", 4, "2023-01-10").await;
    let (central_p, _) = at_the_centre(&app, &c, "Tiêu đen").await;
    let uncertified = c.product(&app, "Ca cao").await;
    let recognised = c.product(&app, "Rượu cần").await;
    run_round(
        &app,
        &c.province,
        Area::Province(DAK_LAK),
        "PROVINCIAL",
        today().year(),
        json!({}),
        &[(&recognised, [80; 3])],
        None,
    )
    .await;

    let conn = catalog(&app, json!({}), 100, None).await;
    let nodes = conn["nodes"].as_array().expect("nodes");
    let ids = sorted(
        nodes
            .iter()
            .map(|n| n["productId"].as_str().expect("id").to_owned()),
    );
    assert_eq!(ids, sorted_refs(&[&certified_p, &recognised]), "{conn:#}");
    for absent in [&revoked_p, &expired_p, &central_p, &uncertified] {
        assert!(!ids.contains(absent));
    }

    let node = |id: &str| {
        nodes
            .iter()
            .find(|n| n["productId"] == id)
            .unwrap_or_else(|| panic!("{id} in {conn:#}"))
            .clone()
    };
    let certified_node = node(&certified_p);
    let cert = certificate(&app, &c.national.token, &cert).await;
    assert_eq!(certified_node["productName"], "Cà phê Buôn Ma Thuột");
    assert!(
        certified_node["establishmentName"]
            .as_str()
            .is_some_and(|n| n.starts_with("Cơ sở thử"))
    );
    assert_eq!(certified_node["provinceName"], "Đắk Lắk");
    assert_eq!(certified_node["communeName"], "Phường Buôn Ma Thuột");
    assert_eq!(certified_node["ocopStars"], 4);
    assert_eq!(
        certified_node["ocopCertificateNumber"],
        cert["decisionNumber"]
    );
    assert_eq!(certified_node["ocopValidUntil"], "2029-01-05");
    assert!(certified_node["highestRecognition"].is_null());

    let recognised_node = node(&recognised);
    assert!(recognised_node["ocopStars"].is_null());
    assert!(recognised_node["ocopCertificateNumber"].is_null());
    assert_eq!(recognised_node["highestRecognition"], "PROVINCIAL");
    assert_eq!(
        recognised_node["recognitionValidUntil"],
        NaiveDate::from_ymd_opt(today().year() + 2, 12, 31)
            .expect("date")
            .to_string()
    );

    // A signed-in user sees the same catalogue.
    let body = app
        .gql(Some(&c.commune.token), CATALOG, json!({ "n": 100 }))
        .await;
    assert_eq!(data(&body, "publicCatalog")["nodes"], conn["nodes"]);
}

#[tokio::test]
async fn the_public_catalogue_is_searchable_paginated_and_filtered() {
    let app = spawn_app().await;
    let dl = cast(&app, BMT).await;
    let qt = cast(&app, TRUONG_PHU).await;
    let on = "2026-01-05";
    let (bmt_coffee, _) = certified(&app, &dl, "Cà phê Buôn Ma Thuột", 4, on).await;
    let (honey, _) = certified(&app, &dl, "Mật ong rừng", 3, on).await;
    let (hat, _) = certified(&app, &qt, "Nón lá Trường Phú", 3, on).await;
    let (qt_coffee, _) = certified(&app, &qt, "Cà Phê Khe Sanh", 4, on).await;

    for term in ["ca phe", "CA PHE", "Cà phê", "cà phê"] {
        assert_eq!(
            catalogued(&app, json!({ "search": term })).await,
            sorted_refs(&[&bmt_coffee, &qt_coffee]),
            "{term}"
        );
    }
    assert_eq!(
        catalogued(&app, json!({ "search": "ca phe buon ma thuot" })).await,
        vec![bmt_coffee.clone()]
    );
    assert_eq!(
        catalogued(&app, json!({ "search": "non la" })).await,
        vec![hat.clone()]
    );
    assert_eq!(
        catalogued(&app, json!({ "provinceCode": QUANG_TRI })).await,
        sorted_refs(&[&hat, &qt_coffee])
    );
    assert_eq!(
        catalogued(&app, json!({ "minStars": 4 })).await,
        sorted_refs(&[&bmt_coffee, &qt_coffee])
    );
    assert_eq!(
        catalogued(&app, json!({ "minStars": 4, "provinceCode": DAK_LAK })).await,
        vec![bmt_coffee.clone()]
    );
    assert_eq!(
        catalogued(
            &app,
            json!({ "minStars": 3, "provinceCode": DAK_LAK, "search": "mat ong" })
        )
        .await,
        vec![honey.clone()]
    );
    assert!(catalogued(&app, json!({ "minStars": 5 })).await.is_empty());
    let body = app
        .gql(None, CATALOG, json!({ "f": { "minStars": 0 }, "n": 10 }))
        .await;
    assert_field(&body, "minStars");

    // Pages of two.
    let first = catalog(&app, json!({}), 2, None).await;
    assert_eq!(first["totalCount"], 4);
    assert_eq!(first["nodes"].as_array().map(Vec::len), Some(2));
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let cursor = first["pageInfo"]["endCursor"].as_str().expect("cursor");
    let second = catalog(&app, json!({}), 2, Some(cursor)).await;
    assert_eq!(second["totalCount"], 4);
    assert_eq!(second["nodes"].as_array().map(Vec::len), Some(2));
    assert_eq!(second["pageInfo"]["hasNextPage"], false);
    let paged = sorted(
        first["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .chain(second["nodes"].as_array().expect("nodes"))
            .map(|n| n["productId"].as_str().expect("id").to_owned()),
    );
    assert_eq!(paged, sorted_refs(&[&bmt_coffee, &honey, &hat, &qt_coffee]));
    let body = app.gql(None, CATALOG, json!({ "n": 101 })).await;
    assert_code(&body, "BAD_USER_INPUT");
}

#[tokio::test]
async fn the_public_catalogue_shows_no_personal_data() {
    let app = spawn_app().await;
    let c = cast(&app, BMT).await;
    let e = app
        .establishment(
            &c.national.token,
            BMT,
            json!({
                "taxCode": "6001234567",
                "representative": "Nguyễn Thị Hoa",
                "phone": "0912345678",
                "email": "hoa.nguyen@example.vn",
                "address": "12 Lê Duẩn",
            }),
        )
        .await;
    let product = id_of(
        &app.product(&c.national.token, &id_of(&e), "Cà phê Buôn Ma Thuột")
            .await,
    );
    let id = screened(&app, &c, &product).await;
    score_all(&app, &c.council, &id, &[80.0, 80.0, 80.0]).await;
    decided(&app, &c.province, &id, "2026-01-05").await;

    let body = app.gql(None, CATALOG, json!({ "n": 100 })).await;
    let conn = data(&body, "publicCatalog");
    assert_eq!(conn["totalCount"], 1);
    assert_eq!(conn["nodes"][0]["productId"], product.as_str());
    let text = body.to_string();
    for secret in [
        "6001234567",
        "Nguyễn Thị Hoa",
        "0912345678",
        "hoa.nguyen@example.vn",
        "12 Lê Duẩn",
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }

    for field in [
        "taxCode",
        "phone",
        "email",
        "representative",
        "address",
        "establishment { taxCode }",
    ] {
        let q = format!("{{ publicCatalog(first: 5) {{ nodes {{ {field} }} }} }}");
        let body = app.gql(None, &q, json!({})).await;
        let errors = body["errors"].as_array().expect("a validation error");
        assert!(!errors.is_empty(), "{field}: {body:#}");
        assert!(
            body["data"].is_null() || body.get("data").is_none(),
            "{field}: {body:#}"
        );
        let name = field.split_whitespace().next().expect("name");
        assert!(
            errors[0]["message"]
                .as_str()
                .is_some_and(|m| m.contains(name)),
            "{field}: {body:#}"
        );
    }
}
