//! Seeded fault scenarios against one real relay on 127.0.0.1:0.
//!
//! A scenario is a seed: a community of its own with two grids, three members of the first
//! grid (and in some scenarios a leader of both), each making random offline edits through
//! the store's actions (households, residents, checks, visits, reports, report status),
//! then syncing through a proxy of its own that cuts connections at random byte offsets in
//! either direction and delays and splits traffic, with more edits while connected. It
//! passes when every device and the relay hold the same heads for every document, and
//! every device shows every record written in its grids.
//!
//! The same scenarios run again over two relay instances on PostgreSQL behind nginx, one
//! of them SIGKILLed and restarted during the run.
//!
//! `WANGGE_FAULT_SCENARIOS=<n>` sets the number of scenarios (default 200),
//! `WANGGE_CLUSTER_SCENARIOS=<n>` those of the two-instance run (default 40);
//! `WANGGE_FAULT_SEED=<n>` replays one scenario. A failure prints its seed.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use automerge::{Automerge, ChangeHash};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep};
use wangge_core::store::{CheckRow, HouseholdSummary, ReportRow};
use wangge_core::*;
use wangge_relay::{ScopeCode, admin};

use crate::helpers::*;
use crate::proxy::{FaultProxy, Faults};

const DEFAULT_SCENARIOS: usize = 200;
/// Scenarios running at once.
const CONCURRENT: usize = 8;
/// Convergence deadline per scenario, from its last edit.
const CONVERGE_WITHIN: Duration = Duration::from_secs(45);

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|s| s.trim().parse().ok())
}

/// What one scenario did.
#[derive(Debug, Default)]
struct Outcome {
    devices: usize,
    edits: usize,
    docs: usize,
    cuts: usize,
    connections: usize,
    took: Duration,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_fault_scenarios_converge() {
    let _alone = HEAVY.lock().await;
    let relay = Arc::new(spawn_relay().await);
    run_scenarios(
        relay.clone(),
        seeds("WANGGE_FAULT_SCENARIOS", DEFAULT_SCENARIOS),
    )
    .await;
    if let Ok(relay) = Arc::try_unwrap(relay) {
        relay.stop().await;
    }
}

/// The same scenarios with their devices spread by nginx over two relay instances on one
/// PostgreSQL database, while instance 1 is SIGKILLed and restarted at seeded moments:
/// every scenario converges on every device and in the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_fault_scenarios_converge_over_two_instances_while_one_is_killed() {
    let _alone = HEAVY.lock().await;
    let relay = Arc::new(spawn_cluster().await);
    let seeds = seeds("WANGGE_CLUSTER_SCENARIOS", DEFAULT_CLUSTER_SCENARIOS);
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let chaos = tokio::spawn({
        let (relay, done, seed) = (relay.clone(), done.clone(), seeds[0]);
        async move {
            let mut rng = StdRng::seed_from_u64(seed);
            let mut kills = 0usize;
            let max_kills = env_number("WANGGE_CLUSTER_KILLS")
                .map_or(MAX_KILLS, |n| usize::try_from(n).unwrap());
            // The first kill comes early, while the scenarios are surely running.
            let mut wait = Duration::from_millis(rng.random_range(300..1200));
            while kills < max_kills {
                sleep(wait).await;
                if done.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                let cluster = relay.cluster.as_ref().expect("a cluster");
                let mut relays = cluster.relays.lock().await;
                relays[0].kill();
                kills += 1;
                sleep(Duration::from_millis(rng.random_range(200..1500))).await;
                relays[0].start().await;
                drop(relays);
                wait = Duration::from_millis(rng.random_range(1000..4000));
            }
            kills
        }
    });
    run_scenarios(relay.clone(), seeds).await;
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let kills = chaos.await.unwrap();
    eprintln!("two instances: instance 1 SIGKILLed and restarted {kills} time(s)");
    assert!(
        kills >= 1 || env_number("WANGGE_CLUSTER_KILLS") == Some(0),
        "the run never killed an instance: it tested nothing"
    );
}

/// Instance kills in one cluster run, at most (`WANGGE_CLUSTER_KILLS`; 0 for none).
const MAX_KILLS: usize = 4;
/// Scenarios of the two-instance run by default (`WANGGE_CLUSTER_SCENARIOS`).
const DEFAULT_CLUSTER_SCENARIOS: usize = 40;

/// The seeds to run: `WANGGE_FAULT_SEED` alone, or `count_var` (default `default`) from a
/// random base.
fn seeds(count_var: &str, default: usize) -> Vec<u64> {
    match env_number("WANGGE_FAULT_SEED") {
        Some(seed) => vec![seed],
        None => {
            let n = env_number(count_var).map_or(default, |n| usize::try_from(n).unwrap());
            assert!(n <= 900, "at most 900 scenarios (one community each)");
            let base: u64 = rand::random::<u64>() >> 12;
            eprintln!("fault scenarios: {n}, seeds {base}..{}", base + n as u64);
            (0..n as u64).map(|i| base + i).collect()
        }
    }
}

/// Runs the scenarios, `CONCURRENT` at a time, against `relay`; fails with every failed
/// seed.
async fn run_scenarios(relay: Arc<TestRelay>, seeds: Vec<u64>) {
    let began = Instant::now();
    let mut running = JoinSet::new();
    let mut failures: Vec<(u64, String)> = vec![];
    let mut outcomes: Vec<Outcome> = vec![];
    let mut next = 0usize;
    while next < seeds.len() || !running.is_empty() {
        while next < seeds.len() && running.len() < CONCURRENT {
            let (index, seed) = (next, seeds[next]);
            next += 1;
            let relay = relay.clone();
            running.spawn(async move {
                // A panic inside the scenario comes back as an error carrying its seed.
                let result = tokio::spawn(scenario(relay, index, seed)).await;
                (seed, result)
            });
        }
        let Some(done) = running.join_next().await else {
            break;
        };
        let (seed, result) = done.unwrap();
        match result {
            Ok(Ok(outcome)) => outcomes.push(outcome),
            Ok(Err(why)) => {
                eprintln!("FAILED: replay with WANGGE_FAULT_SEED={seed}: {why}");
                failures.push((seed, why));
            }
            Err(panic) => {
                let why = panic_text(panic);
                eprintln!("FAILED: replay with WANGGE_FAULT_SEED={seed}: panicked: {why}");
                failures.push((seed, why));
            }
        }
    }
    let total = began.elapsed();
    let mut took: Vec<Duration> = outcomes.iter().map(|o| o.took).collect();
    took.sort();
    let median = took.get(took.len() / 2).copied().unwrap_or_default();
    let slowest = took.last().copied().unwrap_or_default();
    let sum = |f: fn(&Outcome) -> usize| outcomes.iter().map(f).sum::<usize>();
    eprintln!(
        "fault scenarios: {} converged, {} failed in {:.1}s ({CONCURRENT} at a time); \
         per scenario median {:.2}s, slowest {:.2}s; {} devices, {} edits, {} docs, \
         {} connections, {} cut",
        outcomes.len(),
        failures.len(),
        total.as_secs_f64(),
        median.as_secs_f64(),
        slowest.as_secs_f64(),
        sum(|o| o.devices),
        sum(|o| o.edits),
        sum(|o| o.docs),
        sum(|o| o.connections),
        sum(|o| o.cuts),
    );
    assert!(
        failures.is_empty(),
        "{} of {} scenarios failed; replay each with WANGGE_FAULT_SEED=<seed>: {:?}",
        failures.len(),
        seeds.len(),
        failures
    );
    // A replayed seed may draw no cut; a run of many must have cut.
    assert!(
        seeds.len() < 10 || sum(|o| o.cuts) > 0,
        "the proxies never cut a connection: the run tested nothing"
    );
}

fn panic_text(e: tokio::task::JoinError) -> String {
    match e.try_into_panic() {
        Ok(p) => p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "panic".into()),
        Err(e) => e.to_string(),
    }
}

/// Everything written in a scenario, by grid: what every device of the grid must show.
#[derive(Debug, Default)]
struct Written {
    households: BTreeMap<String, BTreeSet<HouseholdId>>,
    residents: BTreeMap<HouseholdId, BTreeSet<ResidentId>>,
    checks: BTreeMap<String, BTreeSet<(ResidentId, Slot)>>,
    reports: BTreeMap<String, BTreeSet<ReportId>>,
    /// Status steps per report.
    events: BTreeMap<ReportId, usize>,
    /// Households visited.
    visited: BTreeSet<HouseholdId>,
}

/// A device in a scenario: its grids, its proxy, its engine.
struct Member {
    device: TestDevice,
    grids: Vec<GridCode>,
    proxy: Option<FaultProxy>,
}

async fn scenario(relay: Arc<TestRelay>, index: usize, seed: u64) -> Result<Outcome, String> {
    let began = Instant::now();
    let mut rng = StdRng::seed_from_u64(seed);
    // A community of this scenario's own under the street, with grids 001 and 002.
    let community = format!("{STREET}{:03}", index + 2);
    let (g1, g2) = (format!("{community}001"), format!("{community}002"));
    relay.with_store(|s| {
        admin::add_division(s, &community, "社区").unwrap();
        admin::add_grid(s, &g1, "一网格").unwrap();
        admin::add_grid(s, &g2, "二网格").unwrap();
    });
    let (grid1, grid2) = (GridCode::parse(&g1).unwrap(), GridCode::parse(&g2).unwrap());
    let mut members = vec![];
    for _ in 0..3 {
        members.push(Member {
            device: TestDevice::from_enrollment(relay.enroll_member(&g1).await),
            grids: vec![grid1.clone()],
            proxy: None,
        });
    }
    if rng.random_bool(0.3) {
        members.push(Member {
            device: TestDevice::from_enrollment(relay.enroll_user("leader", &[&g1, &g2]).await),
            grids: vec![grid1.clone(), grid2.clone()],
            proxy: None,
        });
    }
    let mut written = Written::default();
    let mut edits = 0usize;
    // Offline edits.
    for m in &members {
        for _ in 0..rng.random_range(1..=3) {
            edit(m, &mut rng, &mut written, &mut edits);
        }
    }
    // Each device syncs through its own faulty link.
    for m in &mut members {
        let faults = Faults {
            cuts: rng.random_range(0..=4),
            max_bytes: 4000,
            max_delay: Duration::from_millis(rng.random_range(0..=15)),
            max_pieces: rng.random_range(1..=3),
        };
        let proxy = FaultProxy::start_with(relay.addr, rng.random(), faults).await;
        m.device.start(&format!("http://{}", proxy.addr), fast());
        m.proxy = Some(proxy);
    }
    // Edits while connected, at random moments.
    for _ in 0..rng.random_range(1..=4) {
        sleep(Duration::from_millis(rng.random_range(0..250))).await;
        let m = &members[rng.random_range(0..members.len())];
        edit(m, &mut rng, &mut written, &mut edits);
        m.device.engine.as_ref().unwrap().nudge();
    }
    let docs = converge(&relay, &members, &community, seed).await?;
    for m in &members {
        check_contents(m, &written).map_err(|e| format!("seed {seed}: {e}"))?;
    }
    // Every device of a grid shows the same lists.
    for grid in [&grid1, &grid2] {
        let mut first: Option<(usize, Lists)> = None;
        for (i, m) in members.iter().enumerate() {
            if !m.grids.contains(grid) {
                continue;
            }
            let lists = m.device.with(|s| lists(s, grid));
            match &first {
                None => first = Some((i, lists)),
                Some((j, other)) if *other != lists => {
                    return Err(format!(
                        "seed {seed}: devices {j} and {i} show grid {grid} differently"
                    ));
                }
                Some(_) => {}
            }
        }
    }
    let outcome = Outcome {
        devices: members.len(),
        edits,
        docs,
        cuts: members
            .iter()
            .filter_map(|m| m.proxy.as_ref())
            .map(FaultProxy::cut_count)
            .sum(),
        connections: members
            .iter()
            .filter_map(|m| m.proxy.as_ref())
            .map(FaultProxy::connection_count)
            .sum(),
        took: began.elapsed(),
    };
    for m in &mut members {
        m.device.engine = None;
        m.proxy = None;
    }
    Ok(outcome)
}

/// One random user action on a device, in one store lock (as the app does it).
fn edit(m: &Member, rng: &mut StdRng, w: &mut Written, edits: &mut usize) {
    let grid = m.grids[rng.random_range(0..m.grids.len())].clone();
    *edits += 1;
    let n = *edits;
    m.device.with(|s| {
        let households = s.households_of_grid(&grid).unwrap();
        let reports = s.reports(std::slice::from_ref(&grid), None).unwrap();
        let pick = rng.random_range(0..6);
        if households.is_empty() || pick == 0 {
            let h = s
                .create_household(&grid, &flat(&format!("{}", 100 + n)))
                .unwrap();
            let r = s
                .add_resident(h, &person(&format!("户主{n}"), Relation::Head))
                .unwrap();
            w.households.entry(grid.to_string()).or_default().insert(h);
            w.residents.entry(h).or_default().insert(r);
            return;
        }
        let h = households[rng.random_range(0..households.len())].id;
        match pick {
            1 => {
                let r = s
                    .add_resident(h, &person(&format!("家属{n}"), Relation::Child))
                    .unwrap();
                w.residents.entry(h).or_default().insert(r);
            }
            2 => {
                let residents = s.household(h).unwrap().residents;
                if residents.is_empty() {
                    return;
                }
                let slot = if rng.random_bool(0.5) {
                    Slot::Morning
                } else {
                    Slot::Afternoon
                };
                let chosen: Vec<&Resident> =
                    residents.iter().filter(|_| rng.random_bool(0.7)).collect();
                let chosen = if chosen.is_empty() {
                    vec![&residents[0]]
                } else {
                    chosen
                };
                let checks: Vec<CheckInput> = chosen
                    .iter()
                    .map(|r| CheckInput {
                        resident: r.id,
                        temperature: format!("36.{}", rng.random_range(0..10)),
                        method: Method::InPerson,
                    })
                    .collect();
                s.record_checks(slot, &checks).unwrap();
                let set = w.checks.entry(grid.to_string()).or_default();
                for r in chosen {
                    set.insert((r.id, slot));
                }
            }
            3 => {
                s.record_visit(&VisitInput {
                    household: h,
                    purpose: VisitPurpose::ALL[rng.random_range(0..VisitPurpose::ALL.len())],
                    notes: format!("走访记录{n}"),
                    needs: if rng.random_bool(0.5) {
                        vec![format!("需求{n}")]
                    } else {
                        vec![]
                    },
                })
                .unwrap();
                w.visited.insert(h);
            }
            4 => {
                let id = s
                    .file_report(
                        &grid,
                        &ReportInput {
                            category: Category::SafetyHazard,
                            severity: Severity::Minor,
                            place: format!("{n}号楼"),
                            gps: None,
                            description: format!("楼道堆放杂物{n}"),
                            photos: vec![],
                        },
                    )
                    .unwrap();
                w.reports.entry(grid.to_string()).or_default().insert(id);
            }
            _ => {
                let Some(report) = reports.first() else {
                    return;
                };
                let status = [
                    ReportStatus::Dispatched,
                    ReportStatus::Handling,
                    ReportStatus::Closed,
                ][rng.random_range(0..3)];
                s.add_report_status(report.id, status, &format!("处理{n}"), None, None)
                    .unwrap();
                *w.events.entry(report.id).or_default() += 1;
            }
        }
    });
}

type Heads = BTreeMap<DocumentId, Vec<ChangeHash>>;

fn device_heads(d: &TestDevice) -> Heads {
    d.with(|s| {
        let mut out = BTreeMap::new();
        for (id, _, _) in s.doc_ids().unwrap() {
            let doc = Automerge::load(&s.doc_bytes(&id).unwrap()).unwrap();
            let mut heads = doc.get_heads();
            heads.sort();
            out.insert(id, heads);
        }
        out
    })
}

/// The relay's documents under the community with their scope and heads, from its store.
fn relay_heads(
    relay: &TestRelay,
    community: &str,
) -> BTreeMap<DocumentId, (String, Vec<ChangeHash>)> {
    let scope = ScopeCode::parse(community).unwrap();
    relay.with_store(|s| {
        let mut out = BTreeMap::new();
        for rec in s.docs_under(&[scope], 10_000).unwrap() {
            let mut doc = Automerge::new();
            for chunk in s.doc_chunks(&rec.id).unwrap() {
                doc.load_incremental(&chunk).unwrap();
            }
            let mut heads = doc.get_heads();
            heads.sort();
            out.insert(rec.id, (rec.scope.as_str().to_owned(), heads));
        }
        out
    })
}

/// Waits (bounded) until every device holds exactly the relay's documents of its grids,
/// with the same heads. Returns the number of documents.
async fn converge(
    relay: &TestRelay,
    members: &[Member],
    community: &str,
    seed: u64,
) -> Result<usize, String> {
    let deadline = Instant::now() + CONVERGE_WITHIN;
    loop {
        // Cheap first: wait for every engine to report itself in sync.
        let all_synced = members
            .iter()
            .all(|m| m.device.engine.as_ref().unwrap().status().borrow().synced);
        let diff = if all_synced {
            let at_relay = relay_heads(relay, community);
            let mut diff = None;
            for (i, m) in members.iter().enumerate() {
                let want: Heads = at_relay
                    .iter()
                    .filter(|(_, (scope, _))| m.grids.iter().any(|g| g.as_str() == scope))
                    .map(|(id, (_, heads))| (*id, heads.clone()))
                    .collect();
                let have = device_heads(&m.device);
                if have != want {
                    diff = Some(describe(i, &have, &want));
                    break;
                }
            }
            match diff {
                None => return Ok(at_relay.len()),
                Some(d) => d,
            }
        } else {
            "not every engine reports synced".to_owned()
        };
        if Instant::now() >= deadline {
            let status: Vec<String> = members
                .iter()
                .map(|m| {
                    let st = m.device.engine.as_ref().unwrap().status().borrow().clone();
                    let p = m.proxy.as_ref().unwrap();
                    format!(
                        "[device {} synced {} online {} pending {} unavailable {} error {:?} conns {} cuts {}]",
                        m.device.enrolled.device_id,
                        st.synced,
                        st.online,
                        st.docs_pending,
                        st.unavailable,
                        st.last_error,
                        p.connection_count(),
                        p.cut_count()
                    )
                })
                .collect();
            return Err(format!(
                "seed {seed}: no convergence within {CONVERGE_WITHIN:?}: {diff}; devices {}",
                status.join(" ")
            ));
        }
        sleep(Duration::from_millis(100)).await;
    }
}

fn describe(device: usize, have: &Heads, want: &Heads) -> String {
    let missing = want.keys().filter(|k| !have.contains_key(*k)).count();
    let extra = have.keys().filter(|k| !want.contains_key(*k)).count();
    let differ = want
        .iter()
        .filter(|(k, h)| have.get(*k).is_some_and(|x| x != *h))
        .count();
    let first: Vec<String> = want
        .keys()
        .filter(|k| !have.contains_key(*k))
        .take(3)
        .map(|k| k.to_string())
        .collect();
    format!(
        "device {device} vs relay: {missing} docs missing (first {first:?}), {extra} docs the \
         relay lacks, {differ} with other heads"
    )
}

/// What a device shows of a grid, through the Store API.
#[derive(Debug, PartialEq)]
struct Lists {
    households: Vec<HouseholdSummary>,
    residents: Vec<(HouseholdId, Vec<ResidentId>)>,
    checks: Vec<CheckRow>,
    reports: Vec<(ReportRow, usize)>,
}

fn lists(s: &mut Store, grid: &GridCode) -> Lists {
    let households = s.households_of_grid(grid).unwrap();
    let residents = households
        .iter()
        .map(|h| {
            let mut ids: Vec<ResidentId> = s
                .household(h.id)
                .unwrap()
                .residents
                .iter()
                .map(|r| r.id)
                .collect();
            ids.sort();
            (h.id, ids)
        })
        .collect();
    let checks = s.checks_of_day(grid, s.today()).unwrap();
    let rows = s.reports(std::slice::from_ref(grid), None).unwrap();
    let reports = rows
        .into_iter()
        .map(|r| {
            let events = s.report(r.id).unwrap().1.len();
            (r, events)
        })
        .collect();
    Lists {
        households,
        residents,
        checks,
        reports,
    }
}

/// Every record written in the device's grids is there, and nothing else.
fn check_contents(m: &Member, w: &Written) -> Result<(), String> {
    for grid in &m.grids {
        let key = grid.to_string();
        let l = m.device.with(|s| lists(s, grid));
        let households: BTreeSet<HouseholdId> = l.households.iter().map(|h| h.id).collect();
        let want = w.households.get(&key).cloned().unwrap_or_default();
        if households != want {
            return Err(format!(
                "grid {key}: {} households shown, {} written",
                households.len(),
                want.len()
            ));
        }
        for (h, ids) in &l.residents {
            let want = w.residents.get(h).cloned().unwrap_or_default();
            if ids.iter().copied().collect::<BTreeSet<_>>() != want {
                return Err(format!(
                    "grid {key}: a household shows {} residents, {} written",
                    ids.len(),
                    want.len()
                ));
            }
        }
        for s in &l.households {
            if w.visited.contains(&s.id) != s.last_visit_at.is_some() {
                return Err(format!("grid {key}: a household's last visit is wrong"));
            }
        }
        let checks: BTreeSet<(ResidentId, Slot)> =
            l.checks.iter().map(|c| (c.resident, c.slot)).collect();
        let want = w.checks.get(&key).cloned().unwrap_or_default();
        if checks != want || l.checks.len() != want.len() {
            return Err(format!(
                "grid {key}: {} checks shown, {} written",
                l.checks.len(),
                want.len()
            ));
        }
        let reports: BTreeSet<ReportId> = l.reports.iter().map(|(r, _)| r.id).collect();
        let want = w.reports.get(&key).cloned().unwrap_or_default();
        if reports != want {
            return Err(format!(
                "grid {key}: {} reports shown, {} written",
                reports.len(),
                want.len()
            ));
        }
        for (r, events) in &l.reports {
            let want = w.events.get(&r.id).copied().unwrap_or(0);
            if *events != want {
                return Err(format!(
                    "grid {key}: a report shows {events} status steps, {want} written"
                ));
            }
        }
    }
    Ok(())
}
