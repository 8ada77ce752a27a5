//! The real relay as a child process (`relay-under-test`), SIGKILLed at seeded random
//! moments while a device writes and syncs, and restarted on the same SQLite file and
//! port. Whatever the engine reported acknowledged before a kill must be on the relay's
//! disk after it (checked in the relay's database while the relay is dead), and must reach
//! a fresh device that only ever talks to the restarted relay. `WANGGE_CRASH_SEED` replays
//! a seed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use automerge::{Automerge, ChangeHash, ReadDoc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::time::{Instant, sleep, timeout};
use wangge_core::sync::{Enrollment, enroll};
use wangge_core::*;
use wangge_relay::{admin, store};

use crate::cluster::ChildRelay;
use crate::helpers::*;

/// Kill/restart rounds.
const ROUNDS: usize = 5;
/// The rounds stop early past this (the whole test stays well under a minute and a half).
const ROUNDS_BUDGET: Duration = Duration::from_secs(45);
const WITHIN: Duration = Duration::from_secs(20);
/// Households written during the rounds, at most (each is its own document).
const MAX_HOUSEHOLDS: usize = 40;

/// Grid A, two members and an enrollment code for each, written straight into the
/// relay's database before it first starts.
fn seed_accounts(database: &Path) -> [String; 2] {
    let mut s = store::open(&format!("sqlite:{}", database.display())).unwrap();
    admin::add_division(s.as_mut(), STREET, "street").unwrap();
    admin::add_division(s.as_mut(), COMMUNITY, "community").unwrap();
    admin::add_grid(s.as_mut(), GRID_A, "grid").unwrap();
    [0, 1].map(|i| {
        let user =
            admin::add_user(s.as_mut(), &format!("用户{i}"), "member", &[GRID_A.into()]).unwrap();
        admin::enroll_code(s.as_mut(), user, 1)
            .unwrap()
            .expose()
            .to_owned()
    })
}

/// A household in grid A, as the Store API shows it.
type Record = (String, Option<String>, Vec<String>);

/// What the device had acknowledged at one moment: every doc's heads, and every household.
struct Acked {
    heads: BTreeMap<DocumentId, Vec<ChangeHash>>,
    records: Vec<Record>,
}

/// If every local doc's heads are acknowledged by the relay (the engine's own test, read
/// under the store lock so no write slips in between), what the store holds.
fn acked_now(device: &TestDevice) -> Option<Acked> {
    let relay = device.enrolled.relay_peer_id.clone();
    device.with(|s| {
        let mut heads = BTreeMap::new();
        for (id, _, _) in s.doc_ids().unwrap() {
            if !s.sync_acknowledged(&id, &relay).unwrap() {
                return None;
            }
            let doc = Automerge::load(&s.doc_bytes(&id).unwrap()).unwrap();
            heads.insert(id, doc.get_heads());
        }
        Some(Acked {
            heads,
            records: view(s),
        })
    })
}

/// Waits (bounded) for the engine to report `synced`, then confirms it under the lock.
async fn wait_acked(device: &TestDevice, within: Duration) -> Option<Acked> {
    let mut rx = device.engine.as_ref().unwrap().status();
    let deadline = Instant::now() + within;
    loop {
        if rx.borrow_and_update().synced
            && let Some(acked) = acked_now(device)
        {
            return Some(acked);
        }
        let left = deadline.checked_duration_since(Instant::now())?;
        // The status can say `synced` from before the latest write; re-check now and then.
        let _ = timeout(left.min(Duration::from_millis(100)), rx.changed()).await;
    }
}

/// With the relay dead: every acknowledged head is in its database, and SQLite is sound.
fn check_relay_disk(database: &Path, acked: &BTreeMap<DocumentId, Vec<ChangeHash>>) {
    let conn = rusqlite::Connection::open(database).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok", "relay database integrity_check");
    drop(conn);
    let s = store::open(&format!("sqlite:{}", database.display())).unwrap();
    for (id, heads) in acked {
        let mut doc = Automerge::new();
        for chunk in s.doc_chunks(id).unwrap() {
            doc.load_incremental(&chunk).unwrap();
        }
        let missing = heads
            .iter()
            .filter(|h| doc.get_change_by_hash(h).is_none())
            .count();
        assert_eq!(
            missing, 0,
            "doc {id}: {missing} acknowledged head(s) not on the relay's disk after SIGKILL"
        );
    }
}

/// A new household with a head and sometimes a second resident, in one store lock (so the
/// engine never sees half of it). Synthetic names only.
fn write_household(device: &TestDevice, n: usize, rng: &mut StdRng) {
    let second = rng.random_bool(0.5);
    device.with(|s| {
        let h = s
            .create_household(&grid_a(), &flat(&format!("{}", 1000 + n)))
            .unwrap();
        s.add_resident(h, &person(&format!("户主{n}"), Relation::Head))
            .unwrap();
        if second {
            s.add_resident(h, &person(&format!("家属{n}"), Relation::Child))
                .unwrap();
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_sigkilled_and_restarted_mid_sync_loses_no_acknowledged_change() {
    let _alone = HEAVY.lock().await;
    init_tracing();
    let seed: u64 = std::env::var("WANGGE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("relay crash seed: {seed} (replay with WANGGE_CRASH_SEED={seed})");
    let mut rng = StdRng::seed_from_u64(seed);

    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("relay.db");
    let [code_a, code_b] = seed_accounts(&database);
    let mut relay = ChildRelay::new(format!("sqlite:{}", database.display()), dir.path());
    relay.start().await;

    let enrolled: Enrollment = enroll(&relay.url(), &code_a).await.unwrap();
    let mut a = TestDevice::from_enrollment(enrolled);
    a.start(&relay.url(), fast());

    let began = Instant::now();
    let mut written = 0usize;
    // The latest acknowledged heads of every doc, and every household ever acknowledged.
    let mut acked_heads: BTreeMap<DocumentId, Vec<ChangeHash>> = BTreeMap::new();
    let mut acked_records: BTreeSet<Record> = BTreeSet::new();
    let mut acks = 0usize;
    let mut rounds = 0usize;
    let note = |heads: &mut BTreeMap<_, _>, records: &mut BTreeSet<_>, acked: Acked| {
        heads.extend(acked.heads);
        records.extend(acked.records);
    };

    while rounds < ROUNDS && began.elapsed() < ROUNDS_BUDGET {
        rounds += 1;
        // Writes and nudges, sometimes waiting for the acknowledgement, then a kill at a
        // random moment: often while the last batches are still in flight.
        for _ in 0..rng.random_range(1..=6) {
            for _ in 0..rng.random_range(1..=3) {
                if written >= MAX_HOUSEHOLDS {
                    break;
                }
                written += 1;
                write_household(&a, written, &mut rng);
            }
            a.engine.as_ref().unwrap().nudge();
            if began.elapsed() > ROUNDS_BUDGET {
                break;
            }
            if rng.random_bool(0.5) {
                match wait_acked(&a, WITHIN).await {
                    Some(acked) => {
                        acks += 1;
                        note(&mut acked_heads, &mut acked_records, acked);
                    }
                    None => {
                        let status = a.engine.as_ref().unwrap().status().borrow().clone();
                        eprintln!("round {rounds}: not acknowledged within {WITHIN:?}: {status:?}");
                    }
                }
            } else {
                sleep(Duration::from_millis(rng.random_range(0..60))).await;
            }
        }
        sleep(Duration::from_millis(rng.random_range(0..40))).await;
        // Whatever is acknowledged at the moment of the kill counts too.
        if let Some(acked) = acked_now(&a) {
            note(&mut acked_heads, &mut acked_records, acked);
        }
        relay.kill();
        check_relay_disk(&database, &acked_heads);
        // Sometimes an offline write while the relay is down.
        if rng.random_bool(0.5) {
            written += 1;
            write_household(&a, written, &mut rng);
        }
        relay.start().await;
    }

    let acked_in_rounds = acked_records.len();
    // Catch up, then kill straight after the acknowledgement, with the device stopped so
    // the fresh device only sees what the relay kept.
    a.engine.as_ref().unwrap().nudge();
    let last = wait_acked(&a, WITHIN)
        .await
        .expect("device acknowledged after the last restart");
    let everything = last.records.clone();
    note(&mut acked_heads, &mut acked_records, last);
    a.engine = None;
    relay.kill();
    check_relay_disk(&database, &acked_heads);
    relay.start().await;
    assert_eq!(everything.len(), written, "the device holds what it wrote");

    let enrolled: Enrollment = enroll(&relay.url(), &code_b).await.unwrap();
    let mut b = TestDevice::from_enrollment(enrolled);
    b.start(&relay.url(), fast());
    // `synced` on a fresh device means the relay's documents have arrived: no waiting
    // beyond it.
    b.wait_synced(WITHIN).await;
    let have: BTreeSet<Record> = b.with(view).into_iter().collect();
    let lost = acked_records.difference(&have).count();
    assert_eq!(
        lost, 0,
        "acknowledged households missing on the fresh device"
    );
    assert_eq!(b.with(view), everything);
    eprintln!(
        "relay crash: {rounds} kill/restart rounds + 1 final, {written} households written, \
         {acked_in_rounds} acknowledged before a mid-run kill ({acks} waits for synced), \
         {} docs, {:.1}s",
        acked_heads.len(),
        began.elapsed().as_secs_f64()
    );
    drop(b);
    relay.kill();
    check_relay_disk(&database, &acked_heads);
}
