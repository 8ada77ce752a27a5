//! A roster campaign (专项任务) at a street's scale, printed as medians and percentiles.
//!
//! `cargo bench -p wangge-core --bench campaigns` builds, on encrypted stores in a temp
//! dir, a ledger of 10,000 residents in 30 grids (3 to a household) on a leader's device
//! acting for all 30 grids, starts a 全员核酸 campaign over them on a command centre's
//! device, ticks 70 % of the residents off on the leader's (5 % as 外出 with a reason), and
//! applies everything to the centre. Then: the completion roll-up on the centre (by grid,
//! community and in all), the centre's campaign list, one grid's roster on the leader's,
//! and one tick (one action).
//!
//! Goal: the roll-up on the centre ≤ 200 ms.
//! A smaller run: `WANGGE_BENCH_RESIDENTS=1500 cargo bench -p wangge-core --bench campaigns`.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use wangge_core::clock::FixedClock;
use wangge_core::model::*;
use wangge_core::wangge_events::Party;
use wangge_core::{DbKey, Role, Store, StoreConfig, Synchronous};

mod common;
use common::{env, timed};

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-03T01:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn open(
    dir: &std::path::Path,
    name: &str,
    clock: Arc<FixedClock>,
    party: ActingParty,
    role: Role,
    grids: Vec<GridCode>,
) -> Store {
    let cfg = StoreConfig {
        member: uuid::Uuid::new_v4().to_string(),
        clock,
        synchronous: Synchronous::Normal,
        party,
        role: Some(role),
        grids,
        ..Default::default()
    };
    Store::open(&dir.join(format!("{name}.db")), &DbKey::generate(), cfg).unwrap()
}

fn main() {
    let residents = env("WANGGE_BENCH_RESIDENTS", 10_000);
    let grids = env("WANGGE_BENCH_GRIDS", 30);
    let runs = env("WANGGE_BENCH_RUNS", 15);
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(start()));
    let codes: Vec<GridCode> = (0..grids)
        .map(|g| GridCode::parse(&format!("110105001{:03}{:03}", 1 + g / 10, 1 + g % 10)).unwrap())
        .collect();
    let leader_party = ActingParty {
        role: Party::Leader,
        unit: String::new(),
    };
    let mut leader = open(
        dir.path(),
        "leader",
        clock.clone(),
        leader_party,
        Role::Leader,
        codes.clone(),
    );
    let centre_party = ActingParty {
        role: Party::Centre,
        unit: "110105001".into(),
    };
    let mut centre = open(
        dir.path(),
        "centre",
        clock.clone(),
        centre_party,
        Role::Centre,
        vec![],
    );

    let t = Instant::now();
    let households = residents.div_ceil(3);
    for h in 0..households {
        let grid = &codes[h % grids];
        let input = HouseholdInput {
            address: Address::Flat {
                estate: "幸福小区".into(),
                building: format!("{}", 1 + h / 200),
                unit: format!("{}", 1 + (h / 20) % 10),
                room: format!("{}", 101 + h % 20),
            },
            tags: vec![],
            needs_home_visit: false,
            notes: String::new(),
        };
        let id = leader.create_household(grid, &input).unwrap();
        for (i, rel) in [Relation::Head, Relation::Spouse, Relation::Child]
            .into_iter()
            .enumerate()
        {
            if h * 3 + i >= residents {
                break;
            }
            let p = ResidentInput {
                name: format!("居民{h}-{i}"),
                id_number: String::new(),
                phone: String::new(),
                relation: Some(rel),
                status: Some(ResidenceStatus::Registered),
                tags: vec![],
                notes: String::new(),
            };
            leader.add_resident(id, &p).unwrap();
        }
    }
    println!(
        "ledger: {residents} residents in {households} households, {grids} grids, built in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let copy = |from: &mut Store, to: &mut Store| {
        for (id, _, _) in from.doc_ids().unwrap() {
            let changes = from.doc_changes(&id).unwrap();
            to.apply_changes(&id, &changes).unwrap();
        }
    };
    let t = Instant::now();
    copy(&mut leader, &mut centre);
    println!(
        "centre: ledger applied in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let campaign = centre
        .start_campaign(&CampaignDraft {
            title: "全员核酸".into(),
            text: String::new(),
            subject: Subject::Residents,
            grids: vec![],
            due_hours: 9,
        })
        .unwrap();
    copy(&mut centre, &mut leader);

    // 70 % ticked, 1 in 14 of those as away with a reason.
    let t = Instant::now();
    let mut ticked = 0;
    for grid in &codes {
        let roster = leader
            .campaign_roster(campaign, Some(grid.as_str()))
            .unwrap();
        for (i, item) in roster.iter().enumerate() {
            if i % 10 >= 7 {
                continue;
            }
            let s: uuid::Uuid = item.subject.parse().unwrap();
            let (answer, note) = if i % 14 == 0 {
                ("away", "外出务工")
            } else {
                ("done", "")
            };
            leader
                .tick_campaign(campaign, s, answer, note, vec![])
                .unwrap();
            ticked += 1;
        }
    }
    println!(
        "leader: {ticked} ticks in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    copy(&mut leader, &mut centre);
    println!(
        "centre: ticks applied in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let mut total = Completion::default();
    let rollup = timed(
        "centre: completion roll-up (by grid, community, all)",
        runs,
        |_| {
            total = centre.campaign_view(campaign).unwrap().total;
        },
    );
    assert_eq!(total.total, residents);
    assert_eq!(total.done + total.open, residents);
    println!(
        "centre: {} of {} done, {} exceptions",
        total.done, total.total, total.exceptions
    );
    timed("centre: campaign list", runs, |_| {
        let _ = centre.campaigns().unwrap();
    });
    timed("leader: one grid's roster", runs, |_| {
        let _ = leader
            .campaign_roster(campaign, Some(codes[0].as_str()))
            .unwrap();
    });
    let open: Vec<uuid::Uuid> = leader
        .campaign_roster(campaign, Some(codes[1].as_str()))
        .unwrap()
        .into_iter()
        .filter(|r| r.tick.is_none())
        .map(|r| r.subject.parse().unwrap())
        .collect();
    let n = open.len().min(runs * 4);
    timed("leader: one tick (one action)", n, |i| {
        leader
            .tick_campaign(campaign, open[i], "done", "", vec![])
            .unwrap();
    });
    println!(
        "goal: roll-up ≤ 200 ms: {} (median {rollup:.1} ms)",
        if rollup <= 200.0 { "met" } else { "missed" }
    );
}
