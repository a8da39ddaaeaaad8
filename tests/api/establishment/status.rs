//! The status of an establishment: a closed one keeps its reason and takes no new products.

use super::*;

// ---------------------------------------------------------------------------------------
// Status
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_closed_establishment_keeps_its_reason_and_takes_no_new_products() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    let id = id_of(&app.establishment(&user.token, BMT, json!({})).await);
    let body = app
        .set_establishment_status(&user.token, &id, 1, "CLOSED", Some("Ngừng sản xuất"))
        .await;
    let closed = &body["data"]["setEstablishmentStatus"];
    assert_eq!(closed["status"], "CLOSED", "{body:#}");
    assert_eq!(closed["statusReason"], "Ngừng sản xuất");
    assert_eq!(closed["version"], 2);

    let body = app
        .gql(
            Some(&user.token),
            CREATE_PRODUCT,
            json!({ "i": { "establishmentId": id, "name": "Cà phê hạt" } }),
        )
        .await;
    assert_field(&body, "establishmentId");

    // Closed establishments are never deleted; they stay listed with their status.
    assert_eq!(
        total(&app, &user.token, json!({ "status": "CLOSED" })).await,
        1
    );
    assert_eq!(
        total(&app, &user.token, json!({ "status": "ACTIVE" })).await,
        0
    );
    let now = get(&app, &user.token, &id).await;
    assert_eq!(now["status"], "CLOSED");
    assert_eq!(now["statusReason"], "Ngừng sản xuất");
}
