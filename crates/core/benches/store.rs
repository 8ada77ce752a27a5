//! Store figures on a realistic grid, printed as medians and percentiles.
//!
//! `cargo bench -p wangge-core --bench store` builds (on encrypted stores, in a temp dir):
//! a grid of 500 households (~1,500 residents) with 90 days of twice-daily checks saved a
//! household at a time, a visit per household per month, 365 journal entries and 600
//! reports; and a division of ~100k residents for search. Then it measures recording one
//! check, opening the store to the first household list, each kind of search, bytes on
//! disk per 10k checks, and load time and memory of the largest document.
//!
//! Smaller runs: `WANGGE_BENCH_DAYS=10 WANGGE_BENCH_DIVISION=10000 cargo bench …`.
#![allow(unsafe_code, clippy::unwrap_used, missing_docs)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use chrono::{DateTime, Utc};
use wangge_core::clock::FixedClock;
use wangge_core::model::*;
use wangge_core::{DbKey, DocKind, DocumentId, Store, StoreConfig, Synchronous};

struct Counting;
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        CURRENT.fetch_sub(l.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

mod common;
use common::{env, pct};

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-08-01T00:30:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn open(
    dir: &std::path::Path,
    name: &str,
    key: &DbKey,
    clock: Arc<FixedClock>,
    sync: Synchronous,
    member: &str,
) -> Store {
    let cfg = StoreConfig {
        member: member.into(),
        clock,
        synchronous: sync,
        ..Default::default()
    };
    Store::open(&dir.join(name), key, cfg).unwrap()
}

fn file_bytes(dir: &std::path::Path, name: &str) -> u64 {
    ["", "-wal"]
        .iter()
        .map(|s| {
            std::fs::metadata(dir.join(format!("{name}{s}")))
                .map(|m| m.len())
                .unwrap_or(0)
        })
        .sum()
}

fn main() {
    let days = env("WANGGE_BENCH_DAYS", 90);
    let households = env("WANGGE_BENCH_HOUSEHOLDS", 500);
    let division = env("WANGGE_BENCH_DIVISION", 100_000);
    let dir = tempfile::tempdir().unwrap();
    let key = DbKey::generate();
    let clock = Arc::new(FixedClock::new(start()));
    let grid = GridCode::parse("110105001001001").unwrap();

    // ---- the grid ----
    let t = Instant::now();
    let mut store = open(
        dir.path(),
        "grid.db",
        &key,
        clock.clone(),
        Synchronous::Normal,
        "m1",
    );
    let seeded = wangge_core::demo::seed_grid(&mut store, &grid, households, 1).unwrap();
    let mut by_household: std::collections::BTreeMap<HouseholdId, Vec<ResidentId>> =
        Default::default();
    for (r, h) in &seeded.residents {
        by_household.entry(*h).or_default().push(*r);
    }
    store.compact_all().unwrap();
    let size_before_checks = file_bytes(dir.path(), "grid.db");
    let mut checks = 0usize;
    let mut reports = 0usize;
    // Checks first, alone, so their bytes on disk can be measured; a household's batch per save.
    for day in 0..days {
        clock.set(start() + chrono::Duration::days(day as i64));
        for slot in [Slot::Morning, Slot::Afternoon] {
            for (i, rs) in by_household.values().enumerate() {
                let batch: Vec<CheckInput> = rs
                    .iter()
                    .enumerate()
                    .map(|(k, r)| CheckInput {
                        resident: *r,
                        temperature: format!("36.{}", (i + k + day) % 10),
                        method: Method::InPerson,
                    })
                    .collect();
                store.record_checks(slot, &batch).unwrap();
                checks += batch.len();
            }
        }
    }
    store.compact_all().unwrap();
    let size_after_checks = file_bytes(dir.path(), "grid.db");
    // Then the rest of the period's work: a visit per household per month, 600 reports.
    let purposes = VisitPurpose::ALL;
    for day in 0..days {
        clock.set(start() + chrono::Duration::days(day as i64));
        for (i, h) in seeded.households.iter().enumerate() {
            if i % 30 == day % 30 {
                store
                    .record_visit(&VisitInput {
                        household: *h,
                        purpose: purposes[i % purposes.len()],
                        notes: "入户了解情况".into(),
                        needs: vec![],
                    })
                    .unwrap();
            }
        }
        let per_day = 600usize.div_ceil(days.max(1));
        for k in 0..per_day {
            if reports < 600 {
                store
                    .file_report(
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
                reports += 1;
            }
        }
    }
    for d in 0..365 {
        let day = (start() - chrono::Duration::days(d)).date_naive();
        store
            .save_journal(&grid, day, &["入户走访5户".into(), "测温30人次".into()], "")
            .unwrap();
    }
    store.compact_all().unwrap();
    let size_all = file_bytes(dir.path(), "grid.db");
    let check_docs: Vec<DocumentId> = store
        .doc_ids()
        .unwrap()
        .into_iter()
        .filter(|(_, k, _)| *k == Some(DocKind::Checks))
        .map(|(id, _, _)| id)
        .collect();
    let mut crdt_bytes = 0usize;
    for id in &check_docs {
        crdt_bytes += store.doc_bytes(id).unwrap().len();
    }
    println!(
        "grid: {} households, {} residents, {checks} checks over {days} days, {reports} reports, 365 journal entries; built in {:.0} s",
        seeded.households.len(),
        seeded.residents.len(),
        t.elapsed().as_secs_f64()
    );
    println!("whole grid store on disk: {:.1} MB", size_all as f64 / 1e6);
    println!(
        "bytes on disk per 10k checks: {:.0} KB whole file (with index rows), {:.0} KB automerge docs alone",
        (size_after_checks - size_before_checks) as f64 / checks as f64 * 10_000.0 / 1024.0,
        crdt_bytes as f64 / checks as f64 * 10_000.0 / 1024.0
    );

    // ---- largest document: load time and memory ----
    let mut largest = (0usize, None);
    for (id, _, _) in store.doc_ids().unwrap() {
        let n = store.doc_bytes(&id).unwrap().len();
        if n > largest.0 {
            largest = (n, Some(id));
        }
    }
    let bytes = store.doc_bytes(&largest.1.unwrap()).unwrap();
    let mut loads = vec![];
    let mut mem = 0;
    for _ in 0..10 {
        let base = CURRENT.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let t = Instant::now();
        let doc = automerge::Automerge::load(&bytes).unwrap();
        loads.push(t.elapsed());
        mem = PEAK.load(Ordering::Relaxed) - base;
        let held = CURRENT.load(Ordering::Relaxed) - base;
        drop(doc);
        if loads.len() == 1 {
            println!(
                "largest doc: {} KB saved; loaded it holds {:.1} MiB",
                bytes.len() / 1024,
                held as f64 / 1048576.0
            );
        }
    }
    println!(
        "largest doc load: median {:.1} ms, peak {:.1} MiB during load",
        pct(&mut loads, 0.5),
        mem as f64 / 1048576.0
    );
    drop(store);

    // ---- record one check, synchronous=FULL as shipped ----
    clock.set(start() + chrono::Duration::days(days as i64));
    let mut store = open(
        dir.path(),
        "grid.db",
        &key,
        clock.clone(),
        Synchronous::Full,
        "m1",
    );
    let mut rec = vec![];
    let hh: Vec<_> = by_household.values().collect();
    for (i, rs) in hh.iter().cycle().take(1000).enumerate() {
        let slot = if i < hh.len() {
            Slot::Morning
        } else {
            Slot::Afternoon
        };
        let t = Instant::now();
        store
            .record_checks(
                slot,
                &[CheckInput {
                    resident: rs[0],
                    temperature: "36.5".into(),
                    method: Method::InPerson,
                }],
            )
            .unwrap();
        rec.push(t.elapsed());
    }
    println!(
        "record one check (FULL): p50 {:.2} ms, p99 {:.2} ms over {} saves (goal p99 <= 10 ms)",
        pct(&mut rec, 0.5),
        pct(&mut rec, 0.99),
        rec.len()
    );
    drop(store);

    // ---- open to first household list ----
    let mut first = vec![];
    for _ in 0..15 {
        let t = Instant::now();
        let s = open(
            dir.path(),
            "grid.db",
            &key,
            clock.clone(),
            Synchronous::Full,
            "m1",
        );
        let list = s.households_of_grid(&grid).unwrap();
        first.push(t.elapsed());
        assert_eq!(list.len(), households);
    }
    println!(
        "open store to first household list ({households} households): median {:.1} ms, max {:.1} ms (goal <= 300 ms)",
        pct(&mut first, 0.5),
        pct(&mut first, 1.0)
    );

    // ---- a division of ~100k residents, for search ----
    if division == 0 {
        return;
    }
    let t = Instant::now();
    let mut div = open(
        dir.path(),
        "division.db",
        &key,
        clock.clone(),
        Synchronous::Normal,
        "centre",
    );
    let mut residents = 0;
    let mut g = 0;
    let mut all: Vec<(ResidentId, HouseholdId)> = vec![];
    while residents < division {
        g += 1;
        let code =
            GridCode::parse(&format!("110105001{:03}{:03}", g / 50 + 1, g % 50 + 1)).unwrap();
        let s = wangge_core::demo::seed_grid(
            &mut div,
            &code,
            333.min((division - residents) / 3 + 1),
            g as u64,
        )
        .unwrap();
        residents += s.residents.len();
        all.extend(s.residents);
    }
    div.compact_all().unwrap();
    println!(
        "division: {residents} residents in {g} grids, built in {:.0} s",
        t.elapsed().as_secs_f64()
    );
    let mut samples: Vec<(String, String)> = vec![];
    for (i, (r, h)) in all.iter().enumerate().step_by(all.len() / 100) {
        let house = div.household(*h).unwrap();
        let res = house.residents.iter().find(|x| x.id == *r).unwrap().clone();
        let name: Vec<char> = res.name.chars().collect();
        samples.push(("name, 1 character".into(), name[0].to_string()));
        samples.push(("name, 2 characters".into(), name[..2].iter().collect()));
        samples.push(("pinyin initials".into(), pinyin_initials(&res.name)));
        if let Some(p) = &res.phone {
            samples.push(("phone tail (4)".into(), p.as_str()[7..].to_owned()));
        }
        if let Some(id) = &res.id_number {
            samples.push(("ID tail (6)".into(), id.as_str()[12..].to_owned()));
        }
        let addr = house.address.display();
        let a: Vec<char> = addr.chars().collect();
        samples.push((
            "address substring".into(),
            a[a.len().saturating_sub(7)..].iter().collect(),
        ));
        let _ = i;
    }
    let kinds = [
        "name, 1 character",
        "name, 2 characters",
        "pinyin initials",
        "phone tail (4)",
        "ID tail (6)",
        "address substring",
    ];
    for kind in kinds {
        let mut times = vec![];
        let mut found = 0;
        for (k, q) in samples.iter().filter(|(k, _)| k == kind) {
            let _ = k;
            let t = Instant::now();
            let hits = div.search_residents(q, &[], 50).unwrap();
            times.push(t.elapsed());
            found += usize::from(!hits.is_empty());
        }
        println!(
            "search {kind:<20}: p50 {:.2} ms, p95 {:.2} ms over {} queries ({} found) (goal p95 <= 20 ms)",
            pct(&mut times, 0.5),
            pct(&mut times, 0.95),
            times.len(),
            found
        );
    }
}

fn pinyin_initials(name: &str) -> String {
    wangge_text::pinyin_keys(name).0
}
