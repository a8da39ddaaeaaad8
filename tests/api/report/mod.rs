//! Reports and data pulls (scope, money counted, export and `updatedSince`):
//! `fundingSummary` against hand-computed totals on a fixture with rejected, cancelled,
//! stopped, settled (partly disbursed) projects and OTHER money, with its filters and its scope
//! per role; `selectionSummary`, `ocopSummary` (valid certificates, prizes) and
//! `ocopProvinceRanking` (all 34 provinces, ties share a rank); the scope of `auditEvents`;
//! `GET /export/{entity}.{csv,ndjson}` (token, unknown entity, bad `updatedSince`, BOM, header,
//! one line per row, NDJSON, scope per role, more rows than a page); and incremental sync with
//! `updatedSince` resuming without gaps or duplicates while records change under it. This
//! module holds what they share (the people who look, records placed and inserted); each
//! concern is a child.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, SecondsFormat, SubsecRound, Utc};
use futures::future::join_all;
use khuyencong::{
    db::entities::establishment,
    enums::{EstablishmentKind, EstablishmentStatus, Role, Sector},
    graphql::ids,
    kind::EntityKind,
};
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::{Map, Value, json};

use crate::helpers::common::{all_pages, assert_ok, data, id_of, ids_of, must, sorted, today};
use crate::helpers::flows::{
    ocop::{cast, certified, grade, revoke},
    product_in,
    project::{
        ADD, CREATE_PROJECT, CREATE_SOURCE, TRANSITION, add_as, allocated, disbursed, new_project,
        new_source, project_input, transitioned, version_as,
    },
    selection::{open_round, run_round},
};
use crate::helpers::{
    TestApp, TestUser, assert_code,
    people::Area,
    place::{BMT, DAK_LAK, DAK_LAK_OTHER, QUANG_TRI, TRUONG_PHU, province_of},
    spawn_app,
};

mod audit;
mod export;
mod funding;
mod ocop;
mod selection;
mod sync;

/// Hà Nội: a province with nothing in it.
const HA_NOI: &str = "01";
/// One million đồng.
const M: i64 = 1_000_000;
/// Enough that no source limits a test.
const PLENTY: i64 = 100_000_000_000;
/// The UTF-8 byte-order mark.
const BOM: &[u8] = &[0xEF, 0xBB, 0xBF];
/// The six exportable entities.
const ENTITIES: [&str; 6] = [
    "establishments",
    "products",
    "projects",
    "fundingSources",
    "ocopCertificates",
    "nominations",
];

/// `updateEstablishment`, with the time of the update.
const UPDATE: &str = "mutation($id: ID!, $v: Int!, $i: UpdateEstablishmentInput!) { \
    updateEstablishment(id: $id, expectedVersion: $v, input: $i) { id version updatedAt } }";

// ---------------------------------------------------------------------------------------------
// Small helpers

/// A filter case: who asks, its area, the filter, and which records the filter keeps.
type Case<'a, F, R> = (&'a TestUser, Area, F, Box<dyn Fn(&R) -> bool>);

/// One user per area the tests look from.
struct People {
    national: TestUser,
    dak_lak: TestUser,
    quang_tri: TestUser,
    ha_noi: TestUser,
    bmt: TestUser,
    dak_lak_other: TestUser,
    truong_phu: TestUser,
}

impl People {
    async fn new(app: &TestApp) -> People {
        People {
            national: app.national().await,
            dak_lak: app.province(DAK_LAK).await,
            quang_tri: app.province(QUANG_TRI).await,
            ha_noi: app.province(HA_NOI).await,
            bmt: app.commune(BMT).await,
            dak_lak_other: app.commune(DAK_LAK_OTHER).await,
            truong_phu: app.commune(TRUONG_PHU).await,
        }
    }

    /// Every viewer with its area.
    fn views(&self) -> Vec<(&TestUser, Area, &'static str)> {
        vec![
            (&self.national, Area::National, "national"),
            (&self.dak_lak, Area::Province(DAK_LAK), "province Đắk Lắk"),
            (
                &self.quang_tri,
                Area::Province(QUANG_TRI),
                "province Quảng Trị",
            ),
            (&self.ha_noi, Area::Province(HA_NOI), "province Hà Nội"),
            (&self.bmt, Area::Commune(BMT), "commune BMT"),
            (
                &self.dak_lak_other,
                Area::Commune(DAK_LAK_OTHER),
                "another commune of Đắk Lắk",
            ),
            (
                &self.truong_phu,
                Area::Commune(TRUONG_PHU),
                "commune Trường Phú",
            ),
        ]
    }

    /// The commune user of a test commune.
    fn commune(&self, commune: &str) -> &TestUser {
        match commune {
            BMT => &self.bmt,
            DAK_LAK_OTHER => &self.dak_lak_other,
            TRUONG_PHU => &self.truong_phu,
            other => panic!("unknown test commune {other}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Records placed, inserted and timed: shared by the export, sync and audit tests

/// A record and where it is.
#[derive(Clone, Debug)]
struct Placed {
    id: String,
    province: Option<&'static str>,
    commune: Option<&'static str>,
}

fn placed(id: String, province: &'static str, commune: Option<&'static str>) -> Placed {
    Placed {
        id,
        province: Some(province),
        commune,
    }
}

/// Inserts `n` establishments straight into the database, `step` apart from `base`, in the
/// communes given in turn. Returns their global ids in order.
async fn insert_establishments(
    app: &TestApp,
    n: usize,
    communes: &[&'static str],
    base: DateTime<Utc>,
    step: Duration,
) -> Vec<String> {
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let commune = communes[i % communes.len()];
        let t = base + step * i as i32;
        let name = format!("Cơ sở nạp nhanh số {i} – Đắk Lắk");
        rows.push(establishment::ActiveModel {
            name: Set(name),
            kind: Set(EstablishmentKind::Sme),
            commune_code: Set(commune.into()),
            province_code: Set(province_of(commune).into()),
            in_craft_village: Set(false),
            sector: Set(Sector::AgroForestryFisheryFood),
            women_owned: Set(i % 3 == 0),
            ethnic_minority_owned: Set(i % 5 == 0),
            status: Set(EstablishmentStatus::Active),
            search_text: Set(format!("co so nap nhanh so {i} dak lak")),
            version: Set(1),
            created_at: Set(t),
            updated_at: Set(t),
            ..Default::default()
        });
    }
    let mut chunk = Vec::new();
    for row in rows {
        chunk.push(row);
        if chunk.len() == 200 {
            establishment::Entity::insert_many(std::mem::take(&mut chunk))
                .exec(&app.state.db)
                .await
                .expect("insert establishments");
        }
    }
    if !chunk.is_empty() {
        establishment::Entity::insert_many(chunk)
            .exec(&app.state.db)
            .await
            .expect("insert establishments");
    }
    let mut models = establishment::Entity::find()
        .all(&app.state.db)
        .await
        .expect("establishments");
    models.sort_by_key(|m| (m.updated_at, m.id));
    models
        .iter()
        .filter(|m| m.name.starts_with("Cơ sở nạp nhanh"))
        .map(|m| ids::encode(EntityKind::Establishment, m.id).0)
        .collect()
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}
