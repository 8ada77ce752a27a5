//! Imports into core's encrypted SQLite store on a temp file: idempotent re-imports,
//! updates by ID number, one household per action, cancellation keeping what was done.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use wangge_core::import::{GridAssignment, ImportPlan, ImportSummary, run_import};
use wangge_core::{DbKey, GridCode, Store, StoreConfig};
use wangge_ledger::dry_run_bytes;

use crate::corpus::*;

pub fn grid() -> GridCode {
    GridCode::parse("110105001001001").unwrap()
}

pub fn open_store(dir: &Path) -> (Mutex<Store>, DbKey) {
    let key = DbKey::generate();
    let store = Store::open(&dir.join("store.db"), &key, StoreConfig::default()).unwrap();
    (Mutex::new(store), key)
}

pub fn import(store: &Mutex<Store>, plan: &ImportPlan) -> ImportSummary {
    let cancel = AtomicBool::new(false);
    run_import(
        store,
        plan,
        &GridAssignment::all_to(&grid()),
        &mut |_| {},
        &cancel,
    )
    .unwrap()
}

pub fn count_residents(store: &Mutex<Store>) -> usize {
    let mut s = store.lock().unwrap();
    let list = s.households_of_grid(&grid()).unwrap();
    list.iter()
        .map(|h| s.household(h.id).unwrap().residents.len())
        .sum()
}

fn households(store: &Mutex<Store>) -> usize {
    store
        .lock()
        .unwrap()
        .households_of_grid(&grid())
        .unwrap()
        .len()
}

fn main_plan(p: &[Person]) -> ImportPlan {
    let bytes = ledger_xlsx(&main_lines(p));
    dry_run_bytes(&bytes, None, Some(&grid()), today())
        .unwrap()
        .plan
}

#[test]
fn importing_the_same_file_twice_creates_nothing_the_second_time() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_store(dir.path());
    let p = people(13, 1);
    let plan = main_plan(&p);
    let first = import(&store, &plan);
    assert_eq!(
        (first.households_created, first.residents_added, first.done),
        (3, 6, 3)
    );
    assert_eq!((households(&store), count_residents(&store)), (3, 6));
    let second = import(&store, &plan);
    assert_eq!(
        (
            second.households_created,
            second.households_updated,
            second.households_unchanged,
            second.residents_added,
            second.residents_updated
        ),
        (0, 0, 3, 0, 0)
    );
    assert_eq!((households(&store), count_residents(&store)), (3, 6));
}

#[test]
fn an_updated_file_changes_what_changed_matching_residents_by_id_number() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_store(dir.path());
    let p = people(14, 1);
    import(&store, &main_plan(&p));
    // The office's next version: row 5's phone changed, a newborn added to household A.
    let mut lines = main_lines(&p);
    if let Some(Some(l)) = lines.get_mut(1) {
        l.phone = "13700001111".into();
    }
    lines.push(Some(Line::of(&p[13], "孙女", A)));
    let bytes = ledger_xlsx(&lines);
    let plan = dry_run_bytes(&bytes, None, Some(&grid()), today())
        .unwrap()
        .plan;
    let sum = import(&store, &plan);
    assert_eq!(
        (
            sum.households_created,
            sum.households_updated,
            sum.households_unchanged,
            sum.residents_added,
            sum.residents_updated,
            sum.residents_unchanged
        ),
        (0, 1, 2, 1, 1, 5)
    );
    assert_eq!((households(&store), count_residents(&store)), (3, 7));
    let mut s = store.lock().unwrap();
    let mut phones = vec![];
    for h in s.households_of_grid(&grid()).unwrap() {
        for r in s.household(h.id).unwrap().residents {
            if r.id_number.as_ref().map(|i| i.as_str()) == Some(p[1].id.as_str()) {
                phones.push(r.phone.map(|x| x.as_str().to_owned()));
            }
        }
    }
    assert_eq!(
        phones,
        [Some("13700001111".to_owned())],
        "one resident, new phone"
    );
}

#[test]
fn a_cancelled_import_keeps_the_households_done_and_a_rerun_finishes_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_store(dir.path());
    let p = people(13, 1);
    let plan = main_plan(&p);
    let cancel = AtomicBool::new(false);
    let mut seen = vec![];
    let sum = run_import(
        &store,
        &plan,
        &GridAssignment::all_to(&grid()),
        &mut |s| {
            seen.push(s.done);
            cancel.store(true, Ordering::Relaxed);
        },
        &cancel,
    )
    .unwrap();
    assert!(sum.cancelled);
    assert_eq!((sum.done, sum.total, seen), (1, 3, vec![1]));
    assert_eq!((households(&store), count_residents(&store)), (1, 3));
    let rest = import(&store, &plan);
    assert_eq!((rest.households_created, rest.households_unchanged), (2, 1));
    assert_eq!((households(&store), count_residents(&store)), (3, 6));
}

#[test]
fn each_household_is_one_action_published_before_the_next_begins() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open_store(dir.path());
    let p = people(13, 1);
    let plan = main_plan(&p);
    let feed = store
        .lock()
        .unwrap()
        .subscribe(wangge_core::store::Interest::Everything);
    let mut steps = vec![];
    let cancel = AtomicBool::new(false);
    run_import(
        &store,
        &plan,
        &GridAssignment::all_to(&grid()),
        &mut |s| steps.push((s.done, s.total, feed.take().docs.len())),
        &cancel,
    )
    .unwrap();
    // After each household: its own document and the grid's index, already committed.
    assert_eq!(steps, [(1, 3, 2), (2, 3, 2), (3, 3, 2)]);
}
