//! Event figures at a district's scale, printed as medians and percentiles.
//!
//! `cargo bench -p wangge-core --bench events` builds, on encrypted stores in a temp dir,
//! 50,000 photo-evidenced events over 50 grids (one stored photo shared by all): filed and
//! left waiting (40 %), accepted and being handled (40 %), or accepted, finished and
//! verified (20 %). They are written on a grid leader's device (acting for every grid) and
//! then applied, document by document, to a fresh command centre (指挥中心) device: its first
//! sync's local cost. Then, on both devices: the to-do list (待办), a month's statistics
//! (统计), and taking one step (受理 on the leader's, 督办 on the centre's).
//!
//! Goals: to-do ≤ 300 ms, statistics ≤ 500 ms, one step p99 ≤ 10 ms.
//! A smaller run: `WANGGE_BENCH_EVENTS=5000 cargo bench -p wangge-core --bench events`.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use wangge_core::clock::FixedClock;
use wangge_core::model::*;
use wangge_core::wangge_events::{Action, Limit, Party, Supervision};
use wangge_core::{DbKey, Store, StoreConfig, Synchronous};

mod common;
use common::{env, timed};

/// 09:00 in Shanghai on Tuesday 2026-11-03.
fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-03T01:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn open(dir: &std::path::Path, name: &str, clock: Arc<FixedClock>, party: ActingParty) -> Store {
    let cfg = StoreConfig {
        member: name.into(),
        clock,
        synchronous: Synchronous::Normal,
        party,
        ..Default::default()
    };
    Store::open(&dir.join(format!("{name}.db")), &DbKey::generate(), cfg).unwrap()
}

fn main() {
    let events = env("WANGGE_BENCH_EVENTS", 50_000);
    let grids = env("WANGGE_BENCH_GRIDS", 50);
    let runs = env("WANGGE_BENCH_RUNS", 15);
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(start()));
    let grid_codes: Vec<GridCode> = (0..grids)
        .map(|g| GridCode::parse(&format!("110105001{:03}{:03}", 1 + g / 10, 1 + g % 10)).unwrap())
        .collect();
    // A leader acting for the grid of each event (no unit of its own).
    let leader_party = ActingParty {
        role: Party::Leader,
        unit: String::new(),
    };
    let mut leader = open(dir.path(), "leader", clock.clone(), leader_party);
    let photo = leader.put_blob(b"evidence", None).unwrap().hash;

    let t = Instant::now();
    let mut waiting = Vec::new();
    let mut open_events = Vec::new();
    for i in 0..events {
        clock.set(start() + chrono::Duration::seconds((i as i64 * 37) % (20 * 86_400)));
        let grid = &grid_codes[i % grids];
        let input = ReportInput {
            category: Category::UrbanProperty,
            severity: Severity::Minor,
            place: format!("{}栋", 1 + i % 30),
            gps: None,
            description: format!("事件 {i}"),
            photos: vec![photo.clone()],
        };
        let r = leader.file_report(grid, &input).unwrap();
        match i % 5 {
            0 | 1 => waiting.push(r),
            2 | 3 => {
                leader.accept_report(r, Limit::WorkingDays(5)).unwrap();
                open_events.push(r);
            }
            _ => {
                leader.accept_report(r, Limit::WorkingDays(5)).unwrap();
                leader
                    .finish_report(r, "已处置", vec![photo.clone()])
                    .unwrap();
                leader.verify_report(r, "已核实").unwrap();
            }
        }
    }
    let built = t.elapsed();
    println!(
        "built {events} events over {grids} grids on the leader's device in {:.1} s ({:.2} ms per event)",
        built.as_secs_f64(),
        built.as_secs_f64() * 1000.0 / events as f64
    );

    clock.set(start() + chrono::Duration::days(21));
    let mut centre = open(
        dir.path(),
        "centre",
        clock.clone(),
        ActingParty {
            role: Party::Centre,
            unit: "110105".into(),
        },
    );
    let t = Instant::now();
    let ids = leader.doc_ids().unwrap();
    let docs = ids.len();
    for (id, _, _) in ids {
        let changes = leader.doc_changes(&id).unwrap();
        centre.apply_changes(&id, &changes).unwrap();
    }
    let first_sync = t.elapsed();
    println!(
        "centre's first sync, applied locally: {docs} documents in {:.1} s",
        first_sync.as_secs_f64()
    );

    let november = Store::stats_period(
        NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
    )
    .unwrap();
    let mut tasks = 0;
    let todo = timed("leader: to-do list", runs, |_| {
        tasks = leader.my_tasks().unwrap().len();
    });
    println!("  ({tasks} tasks)");
    let mut centre_tasks = 0;
    let centre_todo = timed("centre: to-do list", runs, |_| {
        centre_tasks = centre.my_tasks().unwrap().len();
    });
    println!("  ({centre_tasks} tasks)");
    let mut reports = 0;
    let stats = timed("centre: November statistics", runs, |_| {
        reports = centre.event_stats(november).unwrap().total.reports;
    });
    println!("  ({reports} reports counted)");
    let steps = runs.max(200).min(waiting.len()).min(open_events.len());
    let accept = timed("leader: take a step (受理)", steps, |i| {
        leader
            .accept_report(waiting[i], Limit::WorkingDays(3))
            .unwrap();
    });
    let supervise = timed("centre: take a step (督办)", steps, |i| {
        centre
            .take_step(
                open_events[i],
                Action::Supervise {
                    level: Supervision::Yellow,
                    note: String::new(),
                },
            )
            .unwrap();
    });
    println!(
        "goals: to-do {:.0} / 300 ms, statistics {stats:.0} / 500 ms, step medians {accept:.2} and {supervise:.2} ms (p99 above) / 10 ms",
        todo.max(centre_todo)
    );
}
