//! The units before the July 2025 reform: old provinces and communes, search, pagination
//! and the resolution of old addresses.

use serde_json::json;

use crate::helpers::{assert_field, place, spawn_app};

const RESOLVE: &str = "query($a: String, $c: String) { resolveLegacyAddress(address: $a, legacyCommuneCode: $c) {
    commune { code name } legacyCommune { code name districtName province { code name successor { code } } }
    candidates { code } ambiguous } }";

#[tokio::test]
async fn old_addresses_resolve_to_todays_commune() {
    let app = spawn_app().await;
    for address in [
        "Xã Mai Thủy, huyện Lệ Thủy, tỉnh Quảng Bình",
        "xa mai thuy, le thuy, quang binh",
        "  XÃ MAI THỦY ,  Lệ Thủy ",
    ] {
        let r = &app.ok(None, RESOLVE, json!({ "a": address })).await["resolveLegacyAddress"];
        assert_eq!(r["commune"]["code"], place::TRUONG_PHU, "{address}: {r:#}");
        assert_eq!(r["commune"]["name"], "Xã Trường Phú");
        assert_eq!(r["ambiguous"], false);
        assert_eq!(r["legacyCommune"]["districtName"], "Huyện Lệ Thủy");
        // Old 44 was Quảng Bình; it became part of today's Quảng Trị (new 44).
        assert_eq!(r["legacyCommune"]["province"]["name"], "Tỉnh Quảng Bình");
        assert_eq!(
            r["legacyCommune"]["province"]["successor"]["code"],
            place::QUANG_TRI
        );
        assert_eq!(r["candidates"], json!([{ "code": place::TRUONG_PHU }]));
    }
    // By old code.
    let r = &app.ok(None, RESOLVE, json!({ "c": "19309" })).await["resolveLegacyAddress"];
    assert_eq!(r["commune"]["code"], place::TRUONG_PHU);
}

#[tokio::test]
async fn a_split_commune_lists_every_candidate_and_an_unknown_one_resolves_to_nothing() {
    let app = spawn_app().await;
    // Phường Điện Biên (Ba Đình, Hà Nội) was split among four wards.
    let r = &app
        .ok(
            None,
            RESOLVE,
            json!({ "a": "Phường Điện Biên, Quận Ba Đình, Thành phố Hà Nội" }),
        )
        .await["resolveLegacyAddress"];
    assert_eq!(r["ambiguous"], true, "{r:#}");
    assert!(r["commune"].is_null());
    assert_eq!(r["legacyCommune"]["code"], "00019");
    let codes: Vec<&str> = r["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .map(|c| c["code"].as_str().expect("code"))
        .collect();
    assert_eq!(codes, ["00004", "00070", "00190", "00196"]);

    for vars in [
        json!({ "a": "Xã Không Có, huyện Không Có, tỉnh Không Có" }),
        json!({ "c": "99999" }),
    ] {
        let r = &app.ok(None, RESOLVE, vars).await["resolveLegacyAddress"];
        assert!(
            r["commune"].is_null() && r["legacyCommune"].is_null(),
            "{r:#}"
        );
        assert_eq!(r["candidates"], json!([]));
        assert_eq!(r["ambiguous"], false);
    }
    let body = app.gql(None, RESOLVE, json!({})).await;
    assert_field(&body, "address");
}

#[tokio::test]
async fn old_units_are_listed_searched_and_paged() {
    let app = spawn_app().await;
    let d = app
        .ok(
            None,
            "{ legacyProvinces { code name successor { code } } }",
            json!({}),
        )
        .await;
    let provinces = d["legacyProvinces"].as_array().expect("list");
    assert_eq!(provinces.len(), 63);
    let qb = provinces
        .iter()
        .find(|p| p["code"] == "44")
        .expect("old 44");
    assert_eq!(qb["name"], "Tỉnh Quảng Bình");
    assert_eq!(qb["successor"]["code"], place::QUANG_TRI);

    const LIST: &str = "query($p: String, $s: String, $f: Int, $a: String) {
        legacyCommunes(provinceCode: $p, search: $s, first: $f, after: $a) {
          totalCount nodes { code name districtName successor { code } successors { code } }
          pageInfo { hasNextPage endCursor } } }";
    // The district name is searched too, without diacritics.
    let d = app.ok(None, LIST, json!({ "s": "mai thuy le thuy" })).await;
    let c = &d["legacyCommunes"];
    assert_eq!(c["totalCount"], 0, "the search is one phrase, not words");
    let d = app
        .ok(
            None,
            LIST,
            json!({ "s": "le thuy", "p": place::QUANG_TRI, "f": 100 }),
        )
        .await;
    let c = &d["legacyCommunes"];
    let n = c["totalCount"].as_i64().expect("count");
    assert!(n >= 20, "the communes of old Lệ Thủy district: {c:#}");
    assert!(
        c["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .any(|x| x["name"] == "Xã Mai Thủy")
    );
    // Today's Đắk Lắk holds none of old Lệ Thủy.
    let d = app
        .ok(None, LIST, json!({ "s": "le thuy", "p": place::DAK_LAK }))
        .await;
    assert_eq!(d["legacyCommunes"]["totalCount"], 0);

    // Pages follow each other without overlap.
    let d = app
        .ok(None, LIST, json!({ "p": place::QUANG_TRI, "f": 50 }))
        .await;
    let first = &d["legacyCommunes"];
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let d = app
        .ok(
            None,
            LIST,
            json!({ "p": place::QUANG_TRI, "f": 50, "a": first["pageInfo"]["endCursor"] }),
        )
        .await;
    let second = &d["legacyCommunes"];
    let last_of_first = first["nodes"][49]["code"].as_str().expect("code");
    let first_of_second = second["nodes"][0]["code"].as_str().expect("code");
    assert!(first_of_second > last_of_first);
    assert_eq!(first["totalCount"], second["totalCount"]);
}
