//! The demo data set reproduces the seed articles' figures in the reports, attaches nothing
//! made up to a real company, loads in one transaction and logs what it inserted.

use serde_json::json;

use crate::helpers::common::{all_pages, assert_ok};
use crate::helpers::{JWT_SECRET, assert_code, fresh_database, process::Server, spawn_app};

#[tokio::test]
async fn reports_over_the_demo_data_show_the_articles_figures() {
    let app = spawn_app().await;
    khuyencong::demo::load(&app.state)
        .await
        .expect("demo loads");
    // Loading twice changes nothing.
    khuyencong::demo::load(&app.state)
        .await
        .expect("demo loads again");
    let login = app
        .ok(
            None,
            "mutation($p: String!) { login(username: \"ministry.pull\", password: $p) { accessToken } }",
            json!({ "p": khuyencong::demo::PASSWORD }),
        )
        .await;
    let token = login["login"]["accessToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let data = app
        .ok(
            Some(&token),
            r#"{
              dl: fundingSummary(filter: {provinceCode: "66", fromYear: 2012, toYear: 2024}) {
                projectCount nationalVnd localVnd counterpartVnd totalVnd trainees
                byCategory { key projectCount }
              }
              ld: fundingSummary(filter: {provinceCode: "68", fromYear: 2024, toYear: 2025}) {
                projectCount nationalVnd localVnd
                byYear { key projectCount nationalVnd localVnd }
              }
              ldNational: fundingSummary(filter: {provinceCode: "68", fromYear: 2025, toYear: 2025, programLevel: NATIONAL}) {
                projectCount nationalVnd beneficiaryCount
              }
              qt: fundingSummary(filter: {provinceCode: "44", fromYear: 2025, toYear: 2025}) {
                projectCount localVnd counterpartVnd establishmentCount jobsCreated
              }
              all: selectionSummary(filter: {provinceCode: "66"}) { byLevel { level nominated recognized } }
              y2022: selectionSummary(filter: {provinceCode: "66", fromYear: 2022, toYear: 2022}) {
                byLevel { level recognized }
              }
              ocopCertificates(filter: {expiringWithinDays: 30}) { totalCount }
              revoked: ocopCertificates(filter: {status: REVOKED}) { totalCount }
              five: ocopCertificates(filter: {stars: 5, status: VALID}) { totalCount }
            }"#,
            json!({}),
        )
        .await;
    // Seed 000: Đắk Lắk 2012–2024.
    let dl = &data["dl"];
    assert_eq!(dl["projectCount"], 242);
    assert_eq!(dl["nationalVnd"], 5_586_000_000i64);
    assert_eq!(dl["localVnd"], 21_895_000_000i64);
    assert_eq!(dl["counterpartVnd"], 80_024_000_000i64);
    assert_eq!(dl["totalVnd"], 107_505_000_000i64);
    assert_eq!(dl["trainees"], 80 + 2_309);
    let by_cat = |k: &str| {
        dl["byCategory"]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["key"] == k))
            .map(|r| r["projectCount"].clone())
    };
    assert_eq!(by_cat("ADVANCED_MACHINERY"), Some(json!(195)));
    assert_eq!(by_cat("CAPACITY_BUILDING"), Some(json!(45)));
    assert_eq!(by_cat("VOCATIONAL_TRAINING"), Some(json!(2)));
    // Seed 001: Lâm Đồng 2024–2025: 67 projects, 11.5 billion.
    let ld = &data["ld"];
    assert_eq!(ld["projectCount"], 67);
    assert_eq!(
        ld["nationalVnd"].as_i64().unwrap_or(0) + ld["localVnd"].as_i64().unwrap_or(0),
        11_500_000_000
    );
    assert_eq!(
        ld["byYear"],
        json!([
            { "key": "2024", "projectCount": 29, "nationalVnd": 0, "localVnd": 4_800_000_000i64 },
            { "key": "2025", "projectCount": 38, "nationalVnd": 3_700_000_000i64, "localVnd": 3_000_000_000i64 }
        ])
    );
    assert_eq!(data["ldNational"]["projectCount"], 5);
    assert_eq!(data["ldNational"]["beneficiaryCount"], 13);
    // Seed 004: Quảng Bình (now Quảng Trị) 2025, first round.
    let qt = &data["qt"];
    assert_eq!(qt["localVnd"], 700_000_000);
    assert_eq!(qt["establishmentCount"], 5);
    assert!(qt["counterpartVnd"].as_i64().unwrap_or(0) > 7_600_000_000);
    assert!(qt["jobsCreated"].as_i64().unwrap_or(0) > 50);
    // Seeds 000 and 003: recognitions.
    let level = |v: &serde_json::Value, l: &str| {
        v["byLevel"]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["level"] == l))
            .map(|r| r["recognized"].clone())
    };
    assert_eq!(level(&data["all"], "PROVINCIAL"), Some(json!(61)));
    assert_eq!(level(&data["all"], "REGIONAL"), Some(json!(31)));
    assert_eq!(level(&data["all"], "NATIONAL"), Some(json!(10)));
    assert_eq!(level(&data["y2022"], "PROVINCIAL"), Some(json!(15)));
    assert_eq!(level(&data["y2022"], "REGIONAL"), Some(json!(11)));
    // OCOP: one due for renewal, one revoked, one 5-star.
    assert_eq!(data["ocopCertificates"]["totalCount"], 1);
    assert_eq!(data["revoked"]["totalCount"], 1);
    assert_eq!(data["five"]["totalCount"], 1);
    // Each beneficiary records the support-cap rule its support was checked against.
    let caps = app
        .ok(
            Some(&token),
            r#"{ projects(filter: {provinceCode: "66", category: ADVANCED_MACHINERY}, first: 1) {
                 nodes { beneficiaries { capRule { legalBasis maxPercent maxAmountVnd } } } } }"#,
            json!({}),
        )
        .await;
    let rule = &caps["projects"]["nodes"][0]["beneficiaries"][0]["capRule"];
    assert!(
        rule["legalBasis"]
            .as_str()
            .unwrap_or("")
            .contains("Circular 28/2018/TT-BTC"),
        "{caps:#}"
    );
    assert_eq!(rule["maxPercent"], 50);
    assert_eq!(rule["maxAmountVnd"], 300_000_000);
    // The illustrative products carry their real groups.
    let groups = app
        .ok(
            Some(&token),
            r#"{ tc: products(filter: {search: "tho cam"}, first: 100) { nodes { name ocopGroup selectionGroup } }
                 rc: products(filter: {search: "ruou can"}, first: 100) { nodes { name ocopGroup selectionGroup } } }"#,
            json!({}),
        )
        .await;
    for (key, ocop, selection) in [
        ("tc", "HANDICRAFT_TEXTILE", "HANDICRAFT"),
        ("rc", "BEVERAGE", "PROCESSED_AGRO_FORESTRY_FISHERY_FOOD"),
    ] {
        let nodes = groups[key]["nodes"].as_array().expect("nodes");
        assert!(!nodes.is_empty(), "{key}: {groups:#}");
        for n in nodes {
            assert_eq!(n["ocopGroup"], ocop, "{n:#}");
            assert_eq!(n["selectionGroup"], selection, "{n:#}");
        }
    }
    assert_nothing_made_up_on_real_companies(&app, &token).await;

    // The commune officer of Buôn Ma Thuột (24133) sees the commune's 8 establishments (the
    // two real companies and the six illustrative ones with an even number, which the demo
    // puts in 24133) and the projects they benefit from: project j of the 242 (0-based)
    // goes to illustrative establishment j mod 13 + 1, in 24133 when that number is even,
    // i.e. j mod 13 odd: 18 full cycles of 6 and, in the last 8 (j mod 13 = 0..7), 4 more.
    let in_bmt = (0..242).filter(|j| j % 13 % 2 == 1).count();
    assert_eq!(in_bmt, 18 * 6 + 4);
    let login = app
        .ok(
            None,
            "mutation($p: String!) { login(username: \"buonmathuot.officer\", password: $p) { accessToken } }",
            json!({ "p": khuyencong::demo::PASSWORD }),
        )
        .await;
    let bmt = login["login"]["accessToken"].as_str().expect("token");
    let seen = app
        .ok(
            Some(bmt),
            "{ establishments { totalCount } projects { totalCount } \
               fundingSummary { projectCount establishmentCount } }",
            json!({}),
        )
        .await;
    assert_eq!(seen["establishments"]["totalCount"], 8, "{seen:#}");
    assert_eq!(seen["projects"]["totalCount"], in_bmt, "{seen:#}");
    assert_eq!(
        seen["fundingSummary"]["projectCount"], in_bmt,
        "all settled: {seen:#}"
    );
    assert_eq!(seen["fundingSummary"]["establishmentCount"], 6, "{seen:#}");
}

/// Whether a name marks an illustrative record.
fn illustrative(name: &str) -> bool {
    name.contains("(minh họa")
}

/// Every establishment the demo names after a real company carries no illustrative product,
/// project, recognition or certificate, and no placeholder address; the anonymous public
/// catalogue shows illustrative products only under illustrative establishments.
async fn assert_nothing_made_up_on_real_companies(app: &crate::helpers::TestApp, token: &str) {
    let query = "query($a: String) { establishments(first: 20, after: $a) { \
        pageInfo { hasNextPage endCursor } nodes { name address \
        products(first: 10) { totalCount nodes { name currentOcopCertificate { id } recognitions { id } } } \
        projects(first: 10) { totalCount nodes { title } } } } }";
    let pages = all_pages(async |after| {
        app.ok(Some(token), query, json!({ "a": after })).await["establishments"].clone()
    })
    .await;
    let mut real = 0;
    for conn in &pages {
        for e in conn["nodes"].as_array().expect("nodes") {
            let name = e["name"].as_str().expect("name");
            let address = e["address"].as_str().unwrap_or("");
            assert!(
                !address.contains("bài viết") && !address.contains("không nêu"),
                "placeholder address: {e:#}"
            );
            if illustrative(name) {
                continue;
            }
            real += 1;
            for list in ["products", "projects"] {
                assert_eq!(
                    e[list]["totalCount"].as_u64(),
                    Some(e[list]["nodes"].as_array().expect("nodes").len() as u64),
                    "{name}: every {list} on one page"
                );
            }
            for p in e["products"]["nodes"].as_array().expect("products") {
                assert!(
                    !illustrative(p["name"].as_str().expect("name")),
                    "{name}: {p:#}"
                );
                assert!(p["currentOcopCertificate"].is_null(), "{name}: {p:#}");
                assert_eq!(p["recognitions"], json!([]), "{name}: {p:#}");
            }
            for pj in e["projects"]["nodes"].as_array().expect("projects") {
                assert!(
                    !illustrative(pj["title"].as_str().expect("title")),
                    "{name}: {pj:#}"
                );
            }
        }
    }
    assert_eq!(
        real, 7,
        "the seven companies of data/demo/establishments.csv"
    );
    // The public catalogue, anonymously.
    let query = "query($a: String) { publicCatalog(first: 100, after: $a) { \
        pageInfo { hasNextPage endCursor } nodes { productName establishmentName } } }";
    let pages = all_pages(async |after| {
        app.ok(None, query, json!({ "a": after })).await["publicCatalog"].clone()
    })
    .await;
    let mut seen = 0;
    for conn in &pages {
        for n in conn["nodes"].as_array().expect("nodes") {
            seen += 1;
            let product = n["productName"].as_str().expect("productName");
            let establishment = n["establishmentName"].as_str().expect("establishmentName");
            assert_eq!(
                illustrative(product),
                illustrative(establishment),
                "an illustrative item under a real company, or the reverse: {n:#}"
            );
        }
    }
    assert!(
        seen > 0,
        "the catalogue lists the demo's certified and recognised products"
    );
}

/// Rows of the tables the demo fills.
async fn rows(db: &sea_orm::DatabaseConnection) -> Vec<u64> {
    use khuyencong::db::entities::{
        app_user, audit_event, change_event, establishment, funding_source, nomination,
        ocop_certificate, product, project, selection_round,
    };
    use sea_orm::{EntityTrait, PaginatorTrait};
    vec![
        app_user::Entity::find().count(db).await.expect("count"),
        establishment::Entity::find()
            .count(db)
            .await
            .expect("count"),
        product::Entity::find().count(db).await.expect("count"),
        project::Entity::find().count(db).await.expect("count"),
        funding_source::Entity::find()
            .count(db)
            .await
            .expect("count"),
        selection_round::Entity::find()
            .count(db)
            .await
            .expect("count"),
        nomination::Entity::find().count(db).await.expect("count"),
        ocop_certificate::Entity::find()
            .count(db)
            .await
            .expect("count"),
        audit_event::Entity::find().count(db).await.expect("count"),
        change_event::Entity::find().count(db).await.expect("count"),
    ]
}

#[tokio::test]
async fn a_demo_load_that_fails_leaves_nothing_and_the_next_start_loads_it() {
    let app = spawn_app().await;
    let before = rows(&app.state.db).await;
    // Everything is written, then the last step fails: the one transaction rolls back.
    let err = khuyencong::demo::load_and_fail_before_commit(&app.state).await;
    assert!(err.is_err(), "the injected failure is reported");
    assert_eq!(
        rows(&app.state.db).await,
        before,
        "nothing of the demo is left"
    );
    let login = "mutation($p: String!) { login(username: \"national.admin\", password: $p) { accessToken } }";
    let body = app
        .gql(None, login, json!({ "p": khuyencong::demo::PASSWORD }))
        .await;
    assert_code(&body, "UNAUTHENTICATED");
    // The next start finds no demo and loads all of it.
    khuyencong::demo::load(&app.state)
        .await
        .expect("demo loads");
    let after = rows(&app.state.db).await;
    assert!(
        after.iter().zip(&before).all(|(a, b)| a > b),
        "every table got demo rows: {before:?} → {after:?}"
    );
    assert_ok(
        &app.gql(None, login, json!({ "p": khuyencong::demo::PASSWORD }))
            .await,
        "login",
    );
}

#[tokio::test]
async fn serve_demo_logs_what_it_inserted_and_loads_only_once() {
    let dir = tempfile::tempdir().expect("dir");
    let url = fresh_database().await;
    let envs = [
        ("DATABASE_URL", url.as_str()),
        ("KC_JWT_SECRET", JWT_SECRET),
        ("RUST_LOG", "info"),
    ];
    let server = Server::start(dir.path(), &["serve", "--demo"], &envs);
    let out = server.output();
    let line = out
        .lines()
        .find(|l| l.contains("demo data loaded"))
        .unwrap_or_else(|| panic!("no load line in {out}"));
    let logged = |field: &str| -> u64 {
        let at = line
            .find(&format!("{field}="))
            .unwrap_or_else(|| panic!("{field} in {line}"));
        line[at + field.len() + 1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap_or_else(|_| panic!("{field} in {line}"))
    };
    // The database held no establishment, product or project before: the totals the API
    // reports are what the load inserted.
    let client = reqwest::Client::new();
    let gql = |address: &str, token: Option<String>, query: &'static str| {
        let client = client.clone();
        let url = format!("{address}/graphql");
        async move {
            let mut req = client.post(url).json(&json!({ "query": query }));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let body: serde_json::Value = req
                .send()
                .await
                .expect("request")
                .json()
                .await
                .expect("json");
            assert!(body["errors"].is_null(), "{body:#}");
            body["data"].clone()
        }
    };
    let login = gql(
        &server.address,
        None,
        "mutation { login(username: \"national.admin\", password: \"khuyencong-demo\") { accessToken } }",
    )
    .await;
    let token = login["login"]["accessToken"].as_str().map(str::to_owned);
    let totals = gql(
        &server.address,
        token.clone(),
        "{ establishments { totalCount } products { totalCount } projects { totalCount } \
           ocopCertificates { totalCount } }",
    )
    .await;
    assert_eq!(
        logged("users"),
        khuyencong::demo::USERS.len() as u64,
        "{line}"
    );
    for (field, list) in [
        ("establishments", "establishments"),
        ("products", "products"),
        ("projects", "projects"),
        ("ocop_certificates", "ocopCertificates"),
    ] {
        assert_eq!(
            totals[list]["totalCount"].as_u64(),
            Some(logged(field)),
            "{field}: {line}"
        );
    }
    assert!(
        logged("establishments") > 7,
        "the illustrative ones count too: {line}"
    );
    drop(server);
    // A second start finds the demo and inserts nothing.
    let server = Server::start(dir.path(), &["serve", "--demo"], &envs);
    let out = server.output();
    assert!(out.contains("demo data already loaded"), "{out}");
    assert!(!out.contains("demo data loaded "), "{out}");
    let again = gql(
        &server.address,
        token,
        "{ establishments { totalCount } products { totalCount } projects { totalCount } \
           ocopCertificates { totalCount } }",
    )
    .await;
    assert_eq!(again, totals);
}
