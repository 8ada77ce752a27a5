//! Part 5 of the sync bench: a notice fanned out to `WANGGE_BENCH_NOTICE_DEVICES` (1000)
//! connected member devices, one user each, spread over the grids of one street (a run
//! for each count in `WANGGE_BENCH_NOTICE_GRIDS`, `10,100`), held by the `sync-load`
//! process in its notice mode; a centre user of the street sends it. Each device writes
//! 已送达 into its grid's receipts document once the notice reaches it.
//!
//! Figures: the time from the send until 99 % of the devices have their receipt
//! acknowledged by the relay (which acknowledges only what it stored), the median and the
//! last; bytes per device on the wire; relay CPU. Then the relay is killed and its store
//! read back: every receipts document with `read_receipts`, counting the members'
//! delivered receipts. Against the embedded SQLite store and a PostgreSQL server of the
//! bench's own (`WANGGE_BENCH_PG=0` leaves it out).

use std::path::Path;
use std::time::Duration;

use wangge_relay::store::{self, testing::TestDatabase};
use wangge_schema::GridCode;
use wangge_schema::guard::load_chunks;
use wangge_schema::notice::{read_receipts, receipts_doc_id};

use crate::load::{Street, comm_cpu_secs, cpu_secs, env_num, load, street, wait_line};
use crate::relay_proc::start_relay_with;

/// The goal: 99 % of the devices acknowledged within this many ms.
const GOAL_MS: f64 = 5000.0;

/// One run against a relay on one store.
struct Run {
    ready: String,
    result: String,
    relay_cpu: f64,
    load_cpu: f64,
    /// Members' receipts with 已送达 in the relay's store, read back after the run.
    stored: usize,
    /// Receipts documents found in the store.
    docs: usize,
}

impl Run {
    fn field(&self, k: &str) -> f64 {
        self.result
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    }
}

/// The receipts the store at `url` holds for `notice`: members' receipts with 已送达, each
/// in its own grid's document, and how many receipts documents there are.
fn stored_receipts(url: &str, notice: uuid::Uuid, st: &Street) -> (usize, usize) {
    let s = store::open(url).unwrap();
    let (mut count, mut docs) = (0, 0);
    for grid in &st.grids {
        let code = GridCode::parse(grid).unwrap();
        let chunks = s.doc_chunks(&receipts_doc_id(notice, &code)).unwrap();
        if chunks.is_empty() {
            continue;
        }
        docs += 1;
        let read = read_receipts(&load_chunks(&chunks).expect("a readable receipts document"));
        assert_eq!(read.notice, Some(notice), "the receipts name their notice");
        count += st
            .users
            .iter()
            .filter(|(u, g)| {
                g == grid
                    && read
                        .receipts
                        .get(u)
                        .is_some_and(|r| r.delivered_ms.is_some())
            })
            .count();
    }
    (count, docs)
}

fn run(url: &str, dir: &Path, devices: usize, grids: usize, pg: bool) -> Run {
    let st = street(url, grids, devices);
    let (tokens, sender) = (dir.join("members"), dir.join("sender"));
    std::fs::write(&tokens, &st.members).unwrap();
    std::fs::write(&sender, &st.sender).unwrap();
    let notice = uuid::Uuid::new_v4();
    let wait = env_num("WANGGE_BENCH_NOTICE_WAIT_SECONDS", 120);
    let relay = start_relay_with(url, &[]);
    let (mut child, rx) = load(&[
        ("WANGGE_LOAD_URL", format!("ws://{}/v1/sync", relay.addr)),
        ("WANGGE_LOAD_TOKENS", tokens.display().to_string()),
        ("WANGGE_LOAD_SENDER", sender.display().to_string()),
        ("WANGGE_LOAD_CONNS", devices.to_string()),
        ("WANGGE_LOAD_MODE", "notice".into()),
        ("WANGGE_LOAD_NOTICE_ID", notice.to_string()),
        ("WANGGE_LOAD_WAIT_SECONDS", wait.to_string()),
    ]);
    let ready = wait_line(&rx, "ready", Duration::from_secs(300));
    let (cpu0, load0) = (cpu_secs(relay.pid()), cpu_secs(child.id()));
    let pg0 = if pg { comm_cpu_secs("postgres") } else { 0.0 };
    let result = wait_line(&rx, "result", Duration::from_secs(wait as u64 + 120));
    let mut relay_cpu = cpu_secs(relay.pid()) - cpu0;
    if pg {
        relay_cpu += comm_cpu_secs("postgres") - pg0;
    }
    let load_cpu = cpu_secs(child.id()) - load0;
    let _ = child.wait();
    // Killed: what it acknowledged was stored before the acknowledgement.
    drop(relay);
    let (stored, docs) = stored_receipts(url, notice, &st);
    Run {
        ready,
        result,
        relay_cpu,
        load_cpu,
        stored,
        docs,
    }
}

/// The grid counts to run (`WANGGE_BENCH_NOTICE_GRIDS=10,100`), each 1 to 999.
fn grid_counts() -> Vec<usize> {
    let v = std::env::var("WANGGE_BENCH_NOTICE_GRIDS").unwrap_or_else(|_| "10,100".into());
    let counts: Vec<usize> = v
        .split(',')
        .filter_map(|g| g.trim().parse().ok())
        .map(|g: usize| g.clamp(1, 999))
        .collect();
    if counts.is_empty() { vec![10] } else { counts }
}

pub fn notice_fanout() {
    let devices = env_num("WANGGE_BENCH_NOTICE_DEVICES", 1000);
    let mut runs = Vec::new();
    for grids in grid_counts() {
        let per = devices.div_ceil(grids);
        let dir = tempfile::tempdir().unwrap();
        let sqlite = format!("sqlite:{}", dir.path().join("relay.db").display());
        runs.push((
            format!("SQLite, {grids} grids of {per}"),
            run(&sqlite, dir.path(), devices, grids, false),
        ));
        if env_num("WANGGE_BENCH_PG", 1) != 0 {
            let pg = TestDatabase::new();
            runs.push((
                format!("PostgreSQL, {grids} grids of {per}"),
                run(pg.url(), dir.path(), devices, grids, true),
            ));
        }
    }
    println!(
        "\n5. A notice fanned out to {devices} connected member devices of one street (one user \
         each), each writing 已送达 on arrival"
    );
    println!(
        "{:<30} {:>6} {:>6} {:>7} {:>8} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "",
        "acked",
        "stored",
        "p50 ms",
        "p99 ms",
        "max ms",
        "dlv p99",
        "B in/dev",
        "B out/dev",
        "to ack in",
        "to ack out",
        "relay CPU"
    );
    for (label, r) in &runs {
        println!(
            "{:<30} {:>6.0} {:>6} {:>7.0} {:>8.0} {:>8.0} {:>8.0} {:>9.0} {:>9.0} {:>9.0} {:>9.0} {:>8.2}s",
            label,
            r.field("acked"),
            r.stored,
            r.field("p50_ms"),
            r.field("p99_ms"),
            r.field("max_ms"),
            r.field("delivered_p99_ms"),
            r.field("bytes_in_per_device"),
            r.field("bytes_out_per_device"),
            r.field("bytes_in_to_ack"),
            r.field("bytes_out_to_ack"),
            r.relay_cpu
        );
    }
    println!(
        "{:<30} {:>6} {:>6} {:>7} {:>8}",
        "goal",
        devices,
        devices,
        "",
        format!("<={GOAL_MS:.0}")
    );
    for (label, r) in &runs {
        let p99 = r.field("p99_ms");
        let met = p99 <= GOAL_MS && r.stored * 100 >= devices * 99;
        println!(
            "({label}: 99 % acknowledged in {} ms: goal <= {GOAL_MS:.0} ms {}; {} of {devices} \
             receipts in the store, in {} receipts documents)",
            if p99.is_finite() {
                format!("{p99:.0}")
            } else {
                "(never)".into()
            },
            if met { "met" } else { "NOT met" },
            r.stored,
            r.docs
        );
    }
    let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "(times from the sender's first message of the notice; acked: the relay's heads hold the \
         device's receipt;\n dlv: the notice's record reached the device; bytes: WebSocket frames \
         on the wire from the send to the end,\n the grid's other receipts pushed to the device \
         included, averaged over the acknowledged devices; to ack: up to\n the device's own \
         acknowledgement; relay CPU from ready to the result line, PostgreSQL's processes \
         included;\n machine loadavg {})",
        loadavg
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    for (label, r) in &runs {
        println!(
            "({label}: {}; load process CPU {:.2} s; {})",
            r.ready, r.load_cpu, r.result
        );
    }
}
