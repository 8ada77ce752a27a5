//! Sync figures against the real relay (`relay-under-test`, a child process) on loopback,
//! printed as tables with the goal and the JS automerge-repo reference side by side.
//!
//! `cargo bench -p wangge-tests --bench sync` runs:
//! 1. reconnect with nothing new, ~300 docs: the standard protocol vs the heads-summary
//!    extension, medians over `WANGGE_BENCH_RECONNECTS` (10) reconnects of a real
//!    `SyncEngine` + encrypted `Store`, bytes and messages counted per WebSocket frame by
//!    a proxy; round trips from the same reconnect through the proxy delaying each
//!    direction by 25 ms (time until quiet / 50 ms, the upgrade's round trip taken off);
//!    1b. the same reconnect plain and over TLS (the relay's own listener, a CA made by
//!    the bench), with the session resumed and with a full handshake: every byte each way;
//! 2. a day's records up (1 journal, 20 visits, 600 checks, 5 reports made through the
//!    store's actions while offline), both protocols;
//! 3. relay memory with `WANGGE_BENCH_CONNS` (1000; try 10000) idle authenticated
//!    connections held by the `sync-load` process: RSS before and after, per connection,
//!    with tungstenite's default buffers and with the relay's defaults
//!    (`WANGGE_BENCH_IDLE_BASELINE=0` skips the former);
//! 4. `WANGGE_BENCH_ACTIVE` (1000) active devices (`sync-load`), each changing its own
//!    document `WANGGE_BENCH_RATE` (5) times a second for `WANGGE_BENCH_SECONDS` (10):
//!    messages per second, relay CPU, p99 from change to the relay's acknowledgement;
//!    the same load against the embedded SQLite store and then against a PostgreSQL
//!    server the bench starts (its server processes' CPU counted with the relay's;
//!    `WANGGE_BENCH_PG=0` leaves it out);
//! 5. a notice fanned out to `WANGGE_BENCH_NOTICE_DEVICES` (1000) connected member
//!    devices spread over the grids of a street, a run for each count in
//!    `WANGGE_BENCH_NOTICE_GRIDS` (`10,100`), held by `sync-load` in its notice mode: time
//!    until 99 % have written 已送达 and the relay holds it, bytes per device, the receipts
//!    read back from the relay's store; SQLite and PostgreSQL as in 4
//!    (`parts/notice_fanout.rs`).
//!
//! `WANGGE_BENCH_ONLY=1,3` runs a subset; `WANGGE_BENCH_RELAY_BIN=path` runs another relay
//! build (for before/after figures). Every loop is bounded in count and time.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "common/device.rs"]
mod device;
#[path = "common/load.rs"]
mod load;
#[path = "parts/notice_fanout.rs"]
mod notice_fanout;
#[path = "common/proxy.rs"]
mod proxy;
#[path = "common/relay_proc.rs"]
mod relay_proc;

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use device::{Device, device, device_at};
use load::{
    GRID, comm_cpu_secs, cpu_secs, devices, env_num, grid_store, load, median, rss_kib, runtime,
    wait_line, wanted,
};
use proxy::{Shape, Snap, proxy};
use relay_proc::{RelayProc, start_relay_with};
use wangge_core::model::*;
use wangge_core::sync::{SyncConfig, SyncEngine, Transport};
use wangge_relay::store::{RelayStore, testing::TestDatabase};

/// A fresh SQLite relay database in `dir` holding grid `GRID`: its URL and store.
fn relay_db(dir: &Path) -> (String, Box<dyn RelayStore>) {
    let url = format!("sqlite:{}", dir.join("relay.db").display());
    let s = grid_store(&url);
    (url, s)
}

fn cfg(summary: bool) -> SyncConfig {
    SyncConfig {
        heads_summary: summary,
        poll_interval: Duration::from_secs(600),
        ..SyncConfig::default()
    }
}

struct Run {
    snap: Snap,
    quiet: Duration,
    synced: Duration,
}

/// One connection of the device through a fresh proxy: until synced and quiet for
/// 300 ms (bounded), then stop.
async fn one_sync(relay: &RelayProc, d: &Device, summary: bool, delay: Duration) -> Run {
    one_sync_with(relay, d, delay, "http://127.0.0.1", cfg(summary)).await
}

/// [`one_sync`] to `base` (scheme and host; the proxy's port is added) with `config`.
async fn one_sync_with(
    relay: &RelayProc,
    d: &Device,
    delay: Duration,
    base: &str,
    config: SyncConfig,
) -> Run {
    let p = proxy(relay.addr, Shape::delay(delay)).await;
    let t0 = Instant::now();
    let engine = SyncEngine::spawn_with(
        d.store.clone(),
        &format!("{base}:{}", p.addr.port()),
        &d.token,
        &d.peer,
        config,
    );
    let mut rx = engine.status();
    let deadline = t0 + Duration::from_secs(120);
    while !rx.borrow_and_update().synced {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "not synced in time: {:?}", *rx.borrow());
        let _ = tokio::time::timeout(left, rx.changed()).await;
    }
    let synced = t0.elapsed();
    let quiet_for = Duration::from_millis(300) + delay * 2;
    while p.stats.last().elapsed() < quiet_for && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let run = Run {
        snap: p.stats.snap(),
        quiet: p.stats.last().saturating_duration_since(t0),
        synced,
    };
    engine.stop();
    // Let the relay save this connection's states before the next one.
    tokio::time::sleep(Duration::from_millis(300)).await;
    run
}

const DELAY: Duration = Duration::from_millis(25);

/// Round trips after the upgrade, from a run through the delaying proxy.
fn round_trips(run: &Run) -> f64 {
    (run.quiet.as_secs_f64() / (DELAY.as_secs_f64() * 2.0)).round() - 1.0
}

// ---------------------------------------------------------------- 1. reconnect

async fn reconnect() {
    let dir = tempfile::tempdir().unwrap();
    let (db, mut s) = relay_db(dir.path());
    let relay = start_relay_with(&db, &[]);
    let d = device(&relay, s.as_mut()).await;
    let grid = GridCode::parse(GRID).unwrap();
    let docs = {
        let mut st = d.store.lock().unwrap();
        wangge_core::demo::seed_grid(&mut st, &grid, 299, 1).unwrap();
        st.doc_ids().unwrap().len()
    };
    one_sync(&relay, &d, true, Duration::ZERO).await;
    let n = env_num("WANGGE_BENCH_RECONNECTS", 10);
    println!("\n1. Reconnect with nothing new: {docs} docs, medians of {n} reconnects on loopback");
    println!(
        "{:<26} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8} {:>6} {:>9} {:>9}",
        "",
        "B/doc up",
        "B/doc dn",
        "wire up",
        "wire dn",
        "msgs up",
        "msgs dn",
        "RTs",
        "ms quiet",
        "ms synced"
    );
    for summary in [false, true] {
        let mut cols: [Vec<f64>; 8] = Default::default();
        for _ in 0..n {
            let r = one_sync(&relay, &d, summary, Duration::ZERO).await;
            let per = |b: u64| b as f64 / docs as f64;
            cols[0].push(per(r.snap.up_payload));
            cols[1].push(per(r.snap.down_payload));
            cols[2].push(per(r.snap.up_wire));
            cols[3].push(per(r.snap.down_wire));
            cols[4].push(r.snap.up_msgs as f64);
            cols[5].push(r.snap.down_msgs as f64);
            cols[6].push(r.quiet.as_secs_f64() * 1000.0);
            cols[7].push(r.synced.as_secs_f64() * 1000.0);
        }
        let mut rts = vec![];
        for _ in 0..3 {
            rts.push(round_trips(&one_sync(&relay, &d, summary, DELAY).await));
        }
        let m: Vec<f64> = cols.iter().map(|c| median(c)).collect();
        println!(
            "{:<26} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>8.0} {:>8.0} {:>6.0} {:>9.1} {:>9.1}",
            if summary {
                "Wangge heads-summary"
            } else {
                "standard protocol"
            },
            m[0],
            m[1],
            m[2],
            m[3],
            m[4],
            m[5],
            median(&rts),
            m[6],
            m[7]
        );
    }
    println!(
        "{:<26} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8} {:>6} {:>9}",
        "reference (JS repo)", "160", "186", "", "", "1/doc", "1/doc", "", "773"
    );
    println!(
        "{:<26} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8} {:>6} {:>9}",
        "goal", "<=80", "<=93", "", "", "", "", "<=2", "<=100"
    );
    println!(
        "(B/doc: protocol CBOR payload; wire: WebSocket frames incl. headers; messages include the\n join/peer handshake and the engine's barrier request; RTs after the HTTP upgrade, from a\n reconnect through a proxy delaying each way by {} ms; quiet: last frame either way;\n synced: the engine reports every doc acknowledged)",
        DELAY.as_millis()
    );
}

/// A CA and a certificate for `localhost` in `dir`: the certificate and key files and the
/// CA's DER.
fn localhost_cert(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, Vec<u8>) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let (cert_file, key_file) = (dir.join("relay.crt"), dir.join("relay.key"));
    std::fs::write(&cert_file, format!("{}{}", cert.pem(), ca.pem())).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    (cert_file, key_file, ca.der().to_vec())
}

/// 1b. The same reconnect over TLS (the relay's own listener), with the session resumed
/// (the engine's configuration kept, as an app does between reconnects) and with a full
/// handshake each time (a fresh configuration), beside plain WebSocket: every byte on the
/// wire each way, the TLS and HTTP handshakes included.
async fn reconnect_tls() {
    let n = env_num("WANGGE_BENCH_RECONNECTS", 10);
    let grid = GridCode::parse(GRID).unwrap();
    let plain_dir = tempfile::tempdir().unwrap();
    let (plain_db, mut plain_s) = relay_db(plain_dir.path());
    let plain = start_relay_with(&plain_db, &[]);
    let tls_dir = tempfile::tempdir().unwrap();
    let (cert, key, ca) = localhost_cert(tls_dir.path());
    let (tls_db, mut tls_s) = relay_db(tls_dir.path());
    let tls = start_relay_with(
        &tls_db,
        &[
            ("WANGGE_TLS_CERT_FILE", cert.display().to_string()),
            ("WANGGE_TLS_KEY_FILE", key.display().to_string()),
        ],
    );
    let trust = wangge_schema::enroll_link::TrustAnchor::Ca(ca);
    let kept = Transport::new(&trust, false);
    let tls_url = format!("https://localhost:{}", tls.addr.port());
    println!("\n1b. The same reconnect, plain and over TLS: medians of {n} reconnects");
    println!(
        "{:<26} {:>10} {:>10} {:>6} {:>9}",
        "", "B up", "B down", "RTs", "ms synced"
    );
    let plain_dev = device(&plain, plain_s.as_mut()).await;
    let tls_dev = device_at(&tls_url, &kept, tls_s.as_mut()).await;
    for (d, base, transport) in [
        (&plain_dev, "http://127.0.0.1", Transport::default()),
        (&tls_dev, "https://localhost", kept.clone()),
    ] {
        wangge_core::demo::seed_grid(&mut d.store.lock().unwrap(), &grid, 299, 1).unwrap();
        let relay = if base.starts_with("https") {
            &tls
        } else {
            &plain
        };
        let config = SyncConfig {
            transport,
            ..cfg(true)
        };
        one_sync_with(relay, d, Duration::ZERO, base, config).await;
    }
    for (label, relay, d, base, fresh) in [
        ("plain ws://", &plain, &plain_dev, "http://127.0.0.1", false),
        (
            "TLS, session resumed",
            &tls,
            &tls_dev,
            "https://localhost",
            false,
        ),
        (
            "TLS, full handshake",
            &tls,
            &tls_dev,
            "https://localhost",
            true,
        ),
    ] {
        let config = || SyncConfig {
            transport: if fresh {
                Transport::new(&trust, false)
            } else if base.starts_with("https") {
                kept.clone()
            } else {
                Transport::default()
            },
            ..cfg(true)
        };
        let (mut up, mut down, mut ms) = (vec![], vec![], vec![]);
        for _ in 0..n {
            let r = one_sync_with(relay, d, Duration::ZERO, base, config()).await;
            up.push(r.snap.up_raw as f64);
            down.push(r.snap.down_raw as f64);
            ms.push(r.synced.as_secs_f64() * 1000.0);
        }
        let mut rts = vec![];
        for _ in 0..3 {
            let r = one_sync_with(relay, d, DELAY, base, config()).await;
            rts.push((r.quiet.as_secs_f64() / (DELAY.as_secs_f64() * 2.0)).round());
        }
        println!(
            "{:<26} {:>10.0} {:>10.0} {:>6.0} {:>9.1}",
            label,
            median(&up),
            median(&down),
            median(&rts),
            median(&ms)
        );
    }
    println!(
        "(bytes: everything through the proxy each way, TCP payload: TLS records, the HTTP upgrade\n \
         and the WebSocket frames; RTs: the whole exchange from the first byte, the TLS and HTTP\n \
         handshakes included, through a proxy delaying each way by {} ms)",
        DELAY.as_millis()
    );
}

// ---------------------------------------------------------------- 2. a day's records

async fn days_records() {
    println!("\n2. A day's records up (1 journal, 20 visits, 600 checks, 5 reports), made offline");
    println!(
        "{:<26} {:>10} {:>10} {:>8} {:>8} {:>6} {:>10} {:>12}",
        "", "bytes up", "bytes dn", "msgs up", "msgs dn", "RTs", "docs", "change bytes"
    );
    for summary in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let (db, mut s) = relay_db(dir.path());
        let relay = start_relay_with(&db, &[]);
        let d = device(&relay, s.as_mut()).await;
        let grid = GridCode::parse(GRID).unwrap();
        let seeded = {
            let mut st = d.store.lock().unwrap();
            wangge_core::demo::seed_grid(&mut st, &grid, 120, 1).unwrap()
        };
        one_sync(&relay, &d, summary, Duration::ZERO).await;
        let device::Day {
            checks,
            docs,
            change_bytes: raw,
        } = device::day(&mut d.store.lock().unwrap(), &seeded);
        assert_eq!(checks, 600, "600 checks");
        let r = one_sync(&relay, &d, summary, DELAY).await;
        println!(
            "{:<26} {:>10} {:>10} {:>8} {:>8} {:>6.0} {:>10} {:>12}",
            if summary {
                "Wangge heads-summary"
            } else {
                "standard protocol"
            },
            r.snap.up_payload,
            r.snap.down_payload,
            r.snap.up_msgs,
            r.snap.down_msgs,
            round_trips(&r),
            docs,
            raw
        );
    }
    println!("{:<26} {:>10}", "goal", "<=30720");
    println!(
        "(change bytes: the changes the day's actions made, as `Store::doc_changes` returns them)"
    );
}

// ---------------------------------------------------------------- 3. idle connections

fn idle(conns: usize, buffers: Option<(usize, usize)>) -> (u64, u64, usize) {
    let dir = tempfile::tempdir().unwrap();
    let (db, mut s) = relay_db(dir.path());
    let tokens = devices(s.as_mut(), GRID, conns.min(500));
    drop(s);
    let tokens_file = dir.path().join("tokens");
    std::fs::write(&tokens_file, tokens).unwrap();
    let mut extra = vec![];
    if let Some((r, w)) = buffers {
        extra.push(("WANGGE_WS_READ_BUFFER_BYTES", r.to_string()));
        extra.push(("WANGGE_WS_WRITE_BUFFER_BYTES", w.to_string()));
    }
    let relay = start_relay_with(&db, &extra);
    // Warm up: one connection in and out, so the runtime's threads exist.
    let (mut warm, rx) = load(&[
        ("WANGGE_LOAD_URL", format!("ws://{}/v1/sync", relay.addr)),
        ("WANGGE_LOAD_TOKENS", tokens_file.display().to_string()),
        ("WANGGE_LOAD_CONNS", "8".into()),
        ("WANGGE_LOAD_HOLD_SECONDS", "1".into()),
    ]);
    wait_line(&rx, "ready", Duration::from_secs(60));
    let _ = warm.wait();
    std::thread::sleep(Duration::from_millis(1500));
    let before = rss_kib(relay.pid());
    let (mut child, rx) = load(&[
        ("WANGGE_LOAD_URL", format!("ws://{}/v1/sync", relay.addr)),
        ("WANGGE_LOAD_TOKENS", tokens_file.display().to_string()),
        ("WANGGE_LOAD_CONNS", conns.to_string()),
        ("WANGGE_LOAD_MODE", "idle".into()),
        ("WANGGE_LOAD_HOLD_SECONDS", "300".into()),
    ]);
    let ready = wait_line(&rx, "ready", Duration::from_secs(300));
    let ok: usize = ready
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    // Past the blocking pool's keep-alive (10 s), so threads that ran the token checks
    // are gone and what is left is what the connections hold.
    std::thread::sleep(Duration::from_secs(
        env_num("WANGGE_BENCH_SETTLE_SECONDS", 12) as u64,
    ));
    let after = rss_kib(relay.pid());
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.flush();
    }
    let _ = child.wait();
    (before, after, ok)
}

fn idle_memory() {
    let conns = env_num("WANGGE_BENCH_CONNS", 1000);
    println!(
        "\n3. Relay memory with idle authenticated, joined connections (separate load process)"
    );
    println!(
        "{:<44} {:>7} {:>11} {:>11} {:>10}",
        "", "conns", "RSS before", "RSS after", "KiB/conn"
    );
    for (label, buffers) in [
        (
            "tungstenite default buffers (128K/16K)",
            Some((128 * 1024, 16 * 1024)),
        ),
        ("relay defaults (512 B read, 0 write)", None),
    ] {
        if buffers.is_some() && env_num("WANGGE_BENCH_IDLE_BASELINE", 1) == 0 {
            continue;
        }
        let (before, after, ok) = idle(conns, buffers);
        println!(
            "{:<44} {:>7} {:>8} KiB {:>8} KiB {:>10.2}",
            label,
            ok,
            before,
            after,
            (after.saturating_sub(before)) as f64 / ok.max(1) as f64
        );
    }
    println!(
        "{:<44} {:>7} {:>11} {:>11} {:>10}",
        "reference (JS repo)", "10000", "", "", "8.9"
    );
    println!(
        "{:<44} {:>7} {:>11} {:>11} {:>10}",
        "goal", "10000", "", "", "<=4"
    );
}

// ---------------------------------------------------------------- 4. active devices

/// One active-load run against a relay on `url`: its line of the table.
struct Active {
    ready: String,
    result: String,
    relay_cpu: f64,
    load_cpu: f64,
    wall: f64,
}

impl Active {
    fn field(&self, k: &str) -> f64 {
        self.result
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    }
}

fn active_run(url: &str, dir: &Path, conns: usize, rate: usize, seconds: usize) -> Active {
    let mut s = grid_store(url);
    let tokens = devices(s.as_mut(), GRID, conns);
    drop(s);
    let tokens_file = dir.join("tokens");
    std::fs::write(&tokens_file, tokens).unwrap();
    let relay = start_relay_with(url, &[]);
    let (mut child, rx) = load(&[
        ("WANGGE_LOAD_URL", format!("ws://{}/v1/sync", relay.addr)),
        ("WANGGE_LOAD_TOKENS", tokens_file.display().to_string()),
        ("WANGGE_LOAD_CONNS", conns.to_string()),
        ("WANGGE_LOAD_MODE", "active".into()),
        ("WANGGE_LOAD_GRID", GRID.into()),
        ("WANGGE_LOAD_RATE", rate.to_string()),
        ("WANGGE_LOAD_SECONDS", seconds.to_string()),
    ]);
    let ready = wait_line(&rx, "ready", Duration::from_secs(300));
    let cpu0 = cpu_secs(relay.pid());
    let load0 = cpu_secs(child.id());
    let t0 = Instant::now();
    let result = wait_line(&rx, "result", Duration::from_secs(seconds as u64 + 120));
    let relay_cpu = cpu_secs(relay.pid()) - cpu0;
    let load_cpu = cpu_secs(child.id()) - load0;
    let wall = t0.elapsed().as_secs_f64().min(seconds as f64 + 2.0);
    let _ = child.wait();
    Active {
        ready,
        result,
        relay_cpu,
        load_cpu,
        wall,
    }
}

/// The same active load against the embedded SQLite store and a PostgreSQL server of
/// the bench's own (`WANGGE_BENCH_PG=0` leaves it out), one after the other.
fn active() {
    let conns = env_num("WANGGE_BENCH_ACTIVE", 1000);
    let rate = env_num("WANGGE_BENCH_RATE", 5);
    let seconds = env_num("WANGGE_BENCH_SECONDS", 10);
    let mut runs = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite:{}", dir.path().join("relay.db").display());
    runs.push((
        "Wangge relay, SQLite",
        active_run(&sqlite, dir.path(), conns, rate, seconds),
    ));
    if env_num("WANGGE_BENCH_PG", 1) != 0 {
        // PostgreSQL's own processes do part of the work: their CPU is counted too.
        let pg = TestDatabase::new();
        let pg_cpu0 = comm_cpu_secs("postgres");
        let mut run = active_run(pg.url(), dir.path(), conns, rate, seconds);
        run.relay_cpu += comm_cpu_secs("postgres") - pg_cpu0;
        runs.push(("Wangge relay, PostgreSQL", run));
    }
    println!(
        "\n4. Active devices: {conns} connected, each changing its doc {rate}/s for {seconds} s"
    );
    println!(
        "{:<26} {:>10} {:>10} {:>10} {:>10} {:>12} {:>8} {:>8}",
        "", "sent", "received", "msgs/s", "relay CPU", "msgs/s/core", "p50 ms", "p99 ms"
    );
    for (label, run) in &runs {
        let msgs = run.field("sent") + run.field("received");
        println!(
            "{:<26} {:>10.0} {:>10.0} {:>10.0} {:>9.2}s {:>12.0} {:>8.2} {:>8.2}",
            label,
            run.field("sent"),
            run.field("received"),
            msgs / seconds as f64,
            run.relay_cpu,
            msgs / run.relay_cpu.max(0.01),
            run.field("p50_ms"),
            run.field("p99_ms")
        );
    }
    println!(
        "{:<26} {:>10} {:>10} {:>10} {:>10} {:>12} {:>8} {:>8}",
        "goal", "", "", "", "", ">=5000", "", "<=50"
    );
    let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "(msgs counts both ways; relay CPU includes PostgreSQL's server processes; machine loadavg {})",
        loadavg
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    for (label, run) in &runs {
        println!(
            "({label}: {}; wall {:.1} s; load process CPU {:.2} s; {})",
            run.ready, run.wall, run.load_cpu, run.result
        );
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rt = runtime();
    if wanted(1) {
        rt.block_on(reconnect());
        rt.block_on(reconnect_tls());
    }
    if wanted(2) {
        rt.block_on(days_records());
    }
    if wanted(3) {
        idle_memory();
    }
    if wanted(4) {
        active();
    }
    if wanted(5) {
        notice_fanout::notice_fanout();
    }
}
