//! Who sees which rounds.

use super::*;

// ---------------------------------------------------------------------------------------------
// Visibility

#[tokio::test]
async fn provincial_and_commune_rounds_are_seen_only_inside_their_area() {
    let app = spawn_app().await;
    let province = app.province(DAK_LAK).await;
    let commune = app.commune(BMT).await;
    let provincial = id_of(&new_round(&app, &province.token, "PROVINCIAL", 2026, json!({})).await);
    let communal = id_of(&new_round(&app, &commune.token, "COMMUNE", 2026, json!({})).await);

    let national = app.national().await;
    let other_commune = app.commune(DAK_LAK_OTHER).await;
    let other_province = app.province(QUANG_TRI).await;
    let far_commune = app.commune(TRUONG_PHU).await;

    // Provincial: its province, its communes and national users.
    for who in [&province, &commune, &other_commune, &national] {
        assert_eq!(
            get_round(&app, &who.token, &provincial).await["id"],
            provincial.as_str()
        );
        assert!(listed(&app, &who.token).await.contains(&provincial));
    }
    for who in [&other_province, &far_commune] {
        assert!(get_round(&app, &who.token, &provincial).await.is_null());
        assert!(!listed(&app, &who.token).await.contains(&provincial));
    }

    // Commune: the commune, its province and national users.
    for who in [&commune, &province, &national] {
        assert_eq!(
            get_round(&app, &who.token, &communal).await["id"],
            communal.as_str()
        );
        assert!(listed(&app, &who.token).await.contains(&communal));
    }
    for who in [&other_commune, &other_province, &far_commune] {
        assert!(get_round(&app, &who.token, &communal).await.is_null());
        assert!(!listed(&app, &who.token).await.contains(&communal));
    }

    // Mutations on an invisible round: NOT_FOUND.
    let quang_tri_product = fresh_product(&app, TRUONG_PHU, "Nón lá").await;
    assert_code(
        &nominate(&app, &other_province.token, &provincial, &quang_tri_product).await,
        "NOT_FOUND",
    );
    assert_code(
        &advance(&app, &other_province.token, &provincial, 1, None).await,
        "NOT_FOUND",
    );
    assert_code(
        &advance(&app, &other_commune.token, &communal, 1, None).await,
        "NOT_FOUND",
    );
}

#[tokio::test]
async fn regional_and_national_rounds_are_visible_to_every_signed_in_user() {
    let app = spawn_app().await;
    let national = app.national().await;
    let regional = regional_round(&app, &national).await;
    let nat = id_of(&new_round(&app, &national.token, "NATIONAL", 2026, json!({})).await);

    for who in [
        app.commune(TRUONG_PHU).await,
        app.commune(HA_NOI_COMMUNE).await,
        app.province(HA_NOI).await,
        app.province(QUANG_TRI).await,
        app.commune(BMT).await,
        app.national().await,
    ] {
        let listed = listed(&app, &who.token).await;
        for id in [&regional, &nat] {
            let r = get_round(&app, &who.token, id).await;
            assert_eq!(r["id"], id.as_str(), "{}: {r:#}", who.username);
            assert!(listed.contains(id), "{} lists {id}", who.username);
        }
    }
}
