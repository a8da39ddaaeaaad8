//! Incremental sync with `updatedSince`: resuming without gaps or duplicates while records
//! change under it.

use super::*;

const SYNC: &str = "query($f: EstablishmentFilter, $a: String) { \
    establishments(filter: $f, first: 10, after: $a) { \
    pageInfo { hasNextPage endCursor } nodes { id version updatedAt } } }";

/// A change seen by a pull.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Change {
    at: DateTime<Utc>,
    id: String,
    version: i64,
}

/// Pages through `establishments(filter: {updatedSince})`, ten at a time. With `sync`, it tells
/// the sender how many pages it has read, pauses between pages, and after the second page
/// waits until the receiver reports a first round of updates done.
async fn pull(
    app: &TestApp,
    token: &str,
    since: &str,
    mut sync: Option<(
        &tokio::sync::watch::Sender<usize>,
        &mut tokio::sync::watch::Receiver<usize>,
    )>,
) -> Vec<Change> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    for n in 1.. {
        let page = app
            .ok(
                Some(token),
                SYNC,
                json!({ "f": { "updatedSince": since }, "a": after }),
            )
            .await["establishments"]
            .clone();
        for node in page["nodes"].as_array().expect("nodes") {
            out.push(Change {
                at: DateTime::parse_from_rfc3339(node["updatedAt"].as_str().expect("updatedAt"))
                    .expect("RFC 3339")
                    .with_timezone(&Utc),
                id: id_of(node),
                version: node["version"].as_i64().expect("version"),
            });
        }
        if let Some((pages, rounds)) = sync.as_mut() {
            pages.send_replace(n);
            if n == 2 {
                rounds.wait_for(|r| *r >= 1).await.expect("first round");
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        assert!(n < 1_000, "the pull never ends");
    }
    out
}

/// Updates establishments concurrently (each from `version`); returns the new versions.
async fn update_all(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    targets: &[(String, i64)],
) -> Vec<(String, i64)> {
    let calls = targets.iter().map(|(id, v)| {
        let req = client
            .post(url)
            .bearer_auth(token)
            .json(&json!({ "query": UPDATE, "variables": {
                "id": id, "v": v, "i": { "name": format!("Đã đổi tên lần {}", v + 1) } } }));
        async move {
            let body: Value = req
                .send()
                .await
                .expect("update sent")
                .json()
                .await
                .expect("JSON");
            assert!(body.get("errors").is_none(), "update: {body:#}");
            let e = &body["data"]["updateEstablishment"];
            (id_of(e), e["version"].as_i64().expect("version"))
        }
    });
    join_all(calls).await
}

#[tokio::test]
async fn updated_since_resumes_without_gaps_or_duplicates_while_records_change() {
    let app = spawn_app().await;
    let user = app.commune(BMT).await;
    let base = (Utc::now() - Duration::hours(1)).trunc_subsecs(0) + Duration::microseconds(654_321);
    let ids = insert_establishments(&app, 60, &[BMT], base, Duration::seconds(1)).await;
    assert_eq!(ids.len(), 60);
    let since = rfc3339(base);

    // While the first pull pages through, another task changes records it has already seen
    // and records it has not reached yet (some twice).
    let (tx, mut rx) = tokio::sync::watch::channel(0usize);
    let (rounds_tx, mut rounds_rx) = tokio::sync::watch::channel(0usize);
    let client = app.client.clone();
    let url = format!("{}/graphql", app.address);
    let token = user.token.clone();
    let id = |i: usize| ids[i].clone();
    let round_one = vec![
        (id(2), 1),
        (id(5), 1),
        (id(8), 1),
        (id(30), 1),
        (id(45), 1),
        (id(59), 1),
    ];
    let round_two = vec![(id(25), 1), (id(50), 1), (id(2), 2)];
    let updater = tokio::spawn(async move {
        let mut done = Vec::new();
        rx.wait_for(|n| *n >= 1).await.expect("first page");
        done.extend(update_all(&client, &url, &token, &round_one).await);
        rounds_tx.send_replace(1);
        rx.wait_for(|n| *n >= 3).await.expect("third page");
        done.extend(update_all(&client, &url, &token, &round_two).await);
        done
    });
    let first = pull(&app, &user.token, &since, Some((&tx, &mut rounds_rx))).await;
    let during = updater.await.expect("updater");
    // After the pull, before the next one: two more changes.
    let url = format!("{}/graphql", app.address);
    let after_pull = update_all(&app.client, &url, &user.token, &[(id(1), 1), (id(40), 1)]).await;

    // The first pull: oldest change first, each change once, every record at least once.
    let keys: Vec<(DateTime<Utc>, i64)> = first
        .iter()
        .map(|c| {
            (
                c.at,
                ids::parse(&async_graphql::ID(c.id.clone())).expect("id").1,
            )
        })
        .collect();
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "ordered by (updatedAt, id): {first:#?}"
    );
    let pairs: BTreeSet<(&String, i64)> = first.iter().map(|c| (&c.id, c.version)).collect();
    assert_eq!(
        pairs.len(),
        first.len(),
        "no change twice in one pull: {first:#?}"
    );
    let seen: BTreeSet<&String> = first.iter().map(|c| &c.id).collect();
    assert_eq!(seen.len(), 60, "nothing lost in the first pull");
    // The first round landed after page two: records already seen show again later in the same
    // pull with their new version; records not reached yet show once, changed.
    let versions = |i: usize| -> Vec<i64> {
        first
            .iter()
            .filter(|c| c.id == ids[i])
            .map(|c| c.version)
            .collect()
    };
    for i in [5, 8] {
        assert_eq!(
            versions(i),
            vec![1, 2],
            "record {i}, seen then changed: {first:#?}"
        );
    }
    assert_eq!(versions(2)[0], 1, "record 2 first seen unchanged");
    for i in [30, 45, 59] {
        assert_eq!(
            versions(i),
            vec![2],
            "record {i}, changed before reached: {first:#?}"
        );
    }

    // The next pull starts from the last updatedAt seen.
    let resume = first.iter().map(|c| c.at).max().expect("a change");
    let second = pull(&app, &user.token, &rfc3339(resume), None).await;
    assert!(second.iter().all(|c| c.at >= resume), "{second:#?}");
    for c in &second {
        if first.iter().any(|f| f.id == c.id && f.version == c.version) {
            assert_eq!(
                c.at, resume,
                "only the change at the resume point repeats: {c:?}"
            );
        }
    }

    // Every record's latest change is in one pull or the other: nothing updated during or
    // after the first pull is lost.
    let mut latest: BTreeMap<String, i64> = ids.iter().map(|i| (i.clone(), 1)).collect();
    for (i, v) in during.iter().chain(&after_pull) {
        let e = latest.entry(i.clone()).or_default();
        *e = (*e).max(*v);
    }
    assert_eq!(latest[&id(2)], 3, "updated twice");
    let db: BTreeMap<String, i64> = establishment::Entity::find()
        .all(&app.state.db)
        .await
        .expect("rows")
        .into_iter()
        .map(|m| {
            (
                ids::encode(EntityKind::Establishment, m.id).0,
                i64::from(m.version),
            )
        })
        .collect();
    assert_eq!(db, latest, "the database holds what the updates returned");
    for (i, v) in &latest {
        assert!(
            first
                .iter()
                .chain(&second)
                .any(|c| &c.id == i && c.version == *v),
            "version {v} of {i} never pulled; first: {first:#?}\nsecond: {second:#?}"
        );
    }
    for (i, v) in &after_pull {
        assert!(
            second.iter().any(|c| &c.id == i && c.version == *v),
            "a change after the first pull is in the next one: {i} v{v}"
        );
    }
    // A third pull from the end of the second finds only its boundary.
    let resume = second.iter().map(|c| c.at).max().expect("a change");
    let third = pull(&app, &user.token, &rfc3339(resume), None).await;
    assert!(third.iter().all(|c| c.at == resume), "{third:#?}");
}
