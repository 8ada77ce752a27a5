//! A device for the sync benchmarks: enrolled with the real relay, an encrypted store of its
//! own, and the member's day of work made through the store's actions.

// Each bench includes this module and uses part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use std::time::Duration;
use wangge_core::demo::Seeded;
use wangge_core::model::*;

use wangge_core::sync::{Transport, enroll_with};
use wangge_core::{DbKey, Store, StoreConfig, Synchronous};
use wangge_relay::admin;
use wangge_relay::store::RelayStore;

use super::load::GRID;
use super::relay_proc::RelayProc;

pub struct Device {
    pub store: Arc<Mutex<Store>>,
    pub token: String,
    pub peer: String,
    _dir: tempfile::TempDir,
}

/// A member of `GRID` enrolled on `relay` (its database open as `s`), with an empty store.
pub async fn device(relay: &RelayProc, s: &mut dyn RelayStore) -> Device {
    device_at(&relay.url(), &Transport::default(), s).await
}

/// [`device`] enrolled at `url` on `transport` (a relay serving TLS).
pub async fn device_at(url: &str, transport: &Transport, s: &mut dyn RelayStore) -> Device {
    let user = admin::add_user(s, "测试用户", "member", &[GRID.to_owned()]).unwrap();
    let code = admin::enroll_code(s, user, 1).unwrap();
    let e = enroll_with(url, code.expose(), transport, Duration::from_secs(30))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = StoreConfig {
        member: e.user_id.to_string(),
        synchronous: Synchronous::Normal,
        ..Default::default()
    };
    let store = Store::open(&dir.path().join("wangge.db"), &DbKey::generate(), cfg).unwrap();
    Device {
        store: Arc::new(Mutex::new(store)),
        token: e.token,
        peer: e.peer_id,
        _dir: dir,
    }
}

/// The bytes of every change the store's documents hold.
pub fn change_bytes(st: &mut Store) -> usize {
    let ids = st.doc_ids().unwrap();
    ids.iter()
        .map(|(id, _, _)| {
            st.doc_changes(id)
                .unwrap()
                .iter()
                .map(Vec::len)
                .sum::<usize>()
        })
        .sum()
}

/// What a day's records made.
pub struct Day {
    pub checks: usize,
    /// Documents on the device after the day.
    pub docs: usize,
    /// Bytes of the changes the day's actions made.
    pub change_bytes: usize,
}

/// A member's day in the grid `seeded` made, through the store's actions: 600 checks (300
/// residents, morning and afternoon, household by household), 20 visits, 5 reports and
/// the journal.
pub fn day(st: &mut Store, seeded: &Seeded) -> Day {
    let grid = GridCode::parse(GRID).unwrap();
    let before = change_bytes(st);
    let mut by_household: BTreeMap<HouseholdId, Vec<ResidentId>> = Default::default();
    for (r, h) in seeded.residents.iter().take(300) {
        by_household.entry(*h).or_default().push(*r);
    }
    let mut checks = 0;
    for slot in [Slot::Morning, Slot::Afternoon] {
        for rs in by_household.values() {
            let batch: Vec<CheckInput> = rs
                .iter()
                .map(|r| CheckInput {
                    resident: *r,
                    temperature: "36.5".into(),
                    method: Method::InPerson,
                })
                .collect();
            st.record_checks(slot, &batch).unwrap();
            checks += batch.len();
        }
    }
    for (i, h) in seeded.households.iter().take(20).enumerate() {
        st.record_visit(&VisitInput {
            household: *h,
            purpose: VisitPurpose::ALL[i % VisitPurpose::ALL.len()],
            notes: "入户了解情况".into(),
            needs: vec![],
        })
        .unwrap();
    }
    for k in 0..5 {
        st.file_report(
            &grid,
            &ReportInput {
                category: Category::ALL[k % 7],
                severity: Severity::Minor,
                place: format!("{}栋", k + 1),
                gps: None,
                description: "巡查发现问题".into(),
                photos: vec![],
            },
        )
        .unwrap();
    }
    let today = st.today();
    st.save_journal(
        &grid,
        today,
        &["入户走访20户".into(), "测温300人".into()],
        "",
    )
    .unwrap();
    Day {
        checks,
        docs: st.doc_ids().unwrap().len(),
        change_bytes: change_bytes(st) - before,
    }
}
