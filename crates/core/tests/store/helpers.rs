//! Shared fixtures: stores on real encrypted SQLite files in temp dirs, invented people.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use wangge_core::clock::FixedClock;
use wangge_core::model::fields::FieldValue;
use wangge_core::*;

pub struct TestStore {
    pub store: Store,
    pub clock: Arc<FixedClock>,
    pub dir: tempfile::TempDir,
    pub key: DbKey,
}

impl TestStore {
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("wangge.db")
    }

    /// Closes and reopens the store from disk.
    pub fn reopen(self) -> TestStore {
        let TestStore {
            store,
            clock,
            dir,
            key,
        } = self;
        let cfg = store.config().clone();
        drop(store);
        let store = Store::open(&dir.path().join("wangge.db"), &key, cfg).unwrap();
        TestStore {
            store,
            clock,
            dir,
            key,
        }
    }
}

pub fn t0() -> DateTime<Utc> {
    // 09:00 in Shanghai on 2026-11-24.
    DateTime::parse_from_rfc3339("2026-11-24T01:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

pub fn store_as(member: &str) -> TestStore {
    store_acting(member, ActingParty::default())
}

/// A store whose user acts as `party` in events' chain of command.
pub fn store_acting(member: &str, party: ActingParty) -> TestStore {
    let dir = tempfile::tempdir().unwrap();
    let key = DbKey::generate();
    let clock = Arc::new(FixedClock::new(t0()));
    let cfg = StoreConfig {
        member: member.into(),
        clock: clock.clone(),
        synchronous: Synchronous::Normal,
        party,
        ..Default::default()
    };
    let store = Store::open(&dir.path().join("wangge.db"), &key, cfg).unwrap();
    TestStore {
        store,
        clock,
        dir,
        key,
    }
}

/// An enrolled user's device: a store acting as `party` with `role` in `grids`, and the
/// user's id.
pub struct Person {
    pub t: TestStore,
    pub id: uuid::Uuid,
}

pub fn enrolled(
    role: Role,
    party: wangge_core::wangge_events::Party,
    unit: &str,
    grids: &[GridCode],
) -> Person {
    let id = uuid::Uuid::new_v4();
    let t = store_acting(
        &id.to_string(),
        ActingParty {
            role: party,
            unit: unit.into(),
        },
    );
    let mut cfg = t.store.config().clone();
    cfg.role = Some(role);
    cfg.grids = grids.to_vec();
    let TestStore {
        store,
        clock,
        dir,
        key,
    } = t;
    drop(store);
    let store = Store::open(&dir.path().join("wangge.db"), &key, cfg).unwrap();
    Person {
        t: TestStore {
            store,
            clock,
            dir,
            key,
        },
        id,
    }
}

/// SQL dropping the tables and columns schema versions after `version` (6 or later) added,
/// to take a store file back to what an older build left.
pub fn drop_tables_after(version: i64) -> String {
    const ADDED: &[(i64, &[&str])] = &[
        (7, &["event_state"]),
        (8, &["directory"]),
        (
            9,
            &[
                "directory_people",
                "notices",
                "notice_receipts",
                "notice_clues",
                "notice_alerts",
                "campaigns",
                "campaign_ticks",
            ],
        ),
    ];
    assert!(version >= 6, "only later versions are listed here");
    let mut sql: Vec<String> = ADDED
        .iter()
        .filter(|(v, _)| *v > version)
        .flat_map(|(_, tables)| tables.iter())
        .map(|t| format!("DROP TABLE {t};"))
        .collect();
    // Columns later versions added to tables that were there.
    if version < 9 {
        sql.push("ALTER TABLE residents DROP COLUMN status;".into());
    }
    sql.join(" ")
}

pub fn grid_a() -> GridCode {
    GridCode::parse("110105001001001").unwrap()
}
pub fn grid_b() -> GridCode {
    GridCode::parse("110105001001002").unwrap()
}
pub fn grid_c() -> GridCode {
    GridCode::parse("110105001002001").unwrap()
}

pub fn flat(building: &str, unit: &str, room: &str) -> HouseholdInput {
    HouseholdInput {
        address: Address::Flat {
            estate: "幸福小区".into(),
            building: building.into(),
            unit: unit.into(),
            room: room.into(),
        },
        tags: vec![],
        needs_home_visit: false,
        notes: String::new(),
    }
}

/// A valid ID number for an invented person: 17 digits plus the computed check character.
pub fn id_number(birth: &str, seq: u32) -> String {
    let first17 = format!("110105{birth}{seq:03}");
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17
        .bytes()
        .zip(W)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let c = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{first17}{c}")
}

pub fn person(name: &str, relation: Relation) -> ResidentInput {
    ResidentInput {
        name: name.into(),
        id_number: String::new(),
        phone: String::new(),
        relation: Some(relation),
        status: Some(ResidenceStatus::Registered),
        tags: vec![],
        notes: String::new(),
    }
}

/// `(field, code)` of every problem of an invalid-input error.
pub fn problems(e: &CoreError) -> Vec<(&'static str, ErrorCode)> {
    assert_eq!(e.code(), ErrorCode::Invalid, "{e}");
    e.problems().iter().map(|p| (p.field, p.code)).collect()
}

pub fn str_value(v: &str) -> FieldValue {
    FieldValue::Str(v.into())
}

/// Sends every change of every document in `from` to `to`.
pub fn sync_into(from: &mut Store, to: &mut Store) {
    for (id, _, _) in from.doc_ids().unwrap() {
        let changes = from.doc_changes(&id).unwrap();
        to.apply_changes(&id, &changes).unwrap();
    }
}

/// A household in grid A with 陈一 (head) and 陈二 (spouse).
pub fn chen_household(store: &mut Store) -> (HouseholdId, ResidentId, ResidentId) {
    let h = store
        .create_household(&grid_a(), &flat("1", "1", "101"))
        .unwrap();
    let a = store
        .add_resident(h, &person("陈一", Relation::Head))
        .unwrap();
    let b = store
        .add_resident(h, &person("陈二", Relation::Spouse))
        .unwrap();
    (h, a, b)
}

/// The store's one checks document.
pub fn checks_doc(store: &Store) -> DocumentId {
    store
        .doc_ids()
        .unwrap()
        .into_iter()
        .find(|(_, k, _)| *k == Some(DocKind::Checks))
        .unwrap()
        .0
}
