//! Save → first byte on the wire: how long after a user action returns its change reaches
//! the relay, with many documents on the device.
//!
//! `cargo bench -p wangge-tests --bench save_latency` fills an encrypted device store with
//! `WANGGE_BENCH_DOCS` (5000) documents through the demo seeding (households, each its own
//! document, plus the grid's index), syncs it with the real relay (`relay-under-test`, a
//! child process) through a loopback WebSocket proxy that timestamps every frame the device
//! sends, waits until the engine is idle, then records `WANGGE_BENCH_SAVES` (30) saves
//! (`record_checks` for one household, as the app's check screen does). Each sample is the
//! time from the save returning to the proxy receiving the first `sync` frame that carries
//! a change; the next save waits until the engine is synced and the link quiet again.
//! After each save the bench calls `SyncEngine::nudge`, as the app's commands did;
//! `WANGGE_BENCH_NUDGE=0` leaves it to the engine to notice. Prints median and p90.
//! Every wait is bounded in time.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "common/relay_proc.rs"]
mod relay_proc;

use relay_proc::start_relay;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use wangge_core::model::*;
use wangge_core::sync::{SyncConfig, SyncEngine, SyncStatus, enroll};
use wangge_core::{DbKey, Store, StoreConfig, Synchronous};
use wangge_relay::admin;
use wangge_relay::store::{self, RelayStore};

const STREET: &str = "110105001";
const COMMUNITY: &str = "110105001001";
const GRID: &str = "110105001001001";

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

// ---------------------------------------------------------------- the timestamping proxy

/// A `sync` frame the device sent, as the proxy received it.
struct Frame {
    at: Instant,
    /// Changes the automerge sync message carries.
    changes: usize,
}

/// A WebSocket server on loopback that forwards every message to the relay and back,
/// reporting the device's `sync` frames with the instant each arrived. Up frames are
/// timestamped before they are forwarded.
async fn ws_proxy(relay: SocketAddr) -> (SocketAddr, mpsc::UnboundedReceiver<Frame>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let _ = tcp.set_nodelay(true);
            tokio::spawn(forward(tcp, relay, tx.clone()));
        }
    });
    (addr, rx)
}

// The handshake callback's error type is tungstenite's (a whole HTTP response).
#[allow(clippy::result_large_err)]
async fn forward(tcp: tokio::net::TcpStream, relay: SocketAddr, tx: mpsc::UnboundedSender<Frame>) {
    let mut auth: Option<HeaderValue> = None;
    let Ok(device) = tokio_tungstenite::accept_hdr_async(tcp, |req: &Request, resp: Response| {
        auth = req.headers().get("authorization").cloned();
        Ok(resp)
    })
    .await
    else {
        return;
    };
    let mut req = format!("ws://{relay}/v1/sync")
        .into_client_request()
        .unwrap();
    if let Some(auth) = auth {
        req.headers_mut().insert("authorization", auth);
    }
    let Ok((upstream, _)) = tokio_tungstenite::connect_async(req).await else {
        return;
    };
    let (mut dev_tx, mut dev_rx) = device.split();
    let (mut up_tx, mut up_rx) = upstream.split();
    let up = async move {
        while let Some(Ok(msg)) = dev_rx.next().await {
            if let tokio_tungstenite::tungstenite::Message::Binary(b) = &msg {
                let at = Instant::now();
                if let Ok(wangge_proto::Message::Sync { data, .. }) =
                    wangge_proto::Message::decode(b)
                {
                    let changes = automerge::sync::Message::decode(&data)
                        .map(|m| m.changes.len())
                        .unwrap_or(0);
                    let _ = tx.send(Frame { at, changes });
                }
            }
            if up_tx.send(msg).await.is_err() {
                return;
            }
        }
    };
    let down = async move {
        while let Some(Ok(msg)) = up_rx.next().await {
            if dev_tx.send(msg).await.is_err() {
                return;
            }
        }
    };
    tokio::select! {
        () = up => {}
        () = down => {}
    }
}

// ---------------------------------------------------------------- the measurement

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let at = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[at]
}

/// Waits (bounded) until the engine reports synced and no frame came up for `quiet`.
async fn settle(
    rx: &mut tokio::sync::watch::Receiver<SyncStatus>,
    frames: &mut mpsc::UnboundedReceiver<Frame>,
    quiet: Duration,
    within: Duration,
) {
    let deadline = Instant::now() + within;
    while !rx.borrow_and_update().synced {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "not synced in time: {:?}", *rx.borrow());
        let _ = tokio::time::timeout(left, rx.changed()).await;
    }
    loop {
        match tokio::time::timeout(quiet, frames.recv()).await {
            Err(_) => return,
            Ok(None) => panic!("the proxy stopped"),
            Ok(Some(_)) => {}
        }
        assert!(Instant::now() < deadline, "the link did not go quiet");
    }
}

async fn run() {
    let docs_wanted = env_num("WANGGE_BENCH_DOCS", 5000);
    let saves = env_num("WANGGE_BENCH_SAVES", 30);
    let nudge = env_num("WANGGE_BENCH_NUDGE", 1) != 0;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("relay.db");
    let mut s: Box<dyn RelayStore> = store::open(&format!("sqlite:{}", db.display())).unwrap();
    admin::add_division(s.as_mut(), STREET, "street").unwrap();
    admin::add_division(s.as_mut(), COMMUNITY, "community").unwrap();
    admin::add_grid(s.as_mut(), GRID, "grid").unwrap();
    let relay = start_relay(&format!("sqlite:{}", db.display()));
    let user = admin::add_user(s.as_mut(), "测试用户", "member", &[GRID.to_owned()]).unwrap();
    let code = admin::enroll_code(s.as_mut(), user, 1).unwrap();
    let e = enroll(&format!("http://{}", relay.addr), code.expose())
        .await
        .unwrap();

    // Seed with relaxed durability, then reopen as the app runs: every commit fsynced.
    let key = DbKey::generate();
    let path = dir.path().join("wangge.db");
    let grid = GridCode::parse(GRID).unwrap();
    let t = Instant::now();
    let seeded = {
        let cfg = StoreConfig {
            member: e.user_id.to_string(),
            synchronous: Synchronous::Normal,
            ..Default::default()
        };
        let mut st = Store::open(&path, &key, cfg).unwrap();
        // One document per household plus the grid's index.
        let seeded =
            wangge_core::demo::seed_grid(&mut st, &grid, docs_wanted.saturating_sub(1), 1).unwrap();
        st.compact_all().unwrap();
        seeded
    };
    let seed_secs = t.elapsed().as_secs_f64();
    let cfg = StoreConfig {
        member: e.user_id.to_string(),
        ..Default::default()
    };
    let store = Store::open(&path, &key, cfg).unwrap();
    let docs = store.doc_ids().unwrap().len();
    let store = Arc::new(Mutex::new(store));

    let (proxy, mut frames) = ws_proxy(relay.addr).await;
    let engine = SyncEngine::spawn_with(
        store.clone(),
        &format!("http://{proxy}"),
        &e.token,
        &e.peer_id,
        SyncConfig {
            // No periodic round during the samples.
            poll_interval: Duration::from_secs(3600),
            ..SyncConfig::default()
        },
    );
    let mut rx = engine.status();
    let t = Instant::now();
    settle(
        &mut rx,
        &mut frames,
        Duration::from_secs(1),
        Duration::from_secs(600),
    )
    .await;
    let first_sync = t.elapsed().as_secs_f64();

    // One household's residents per save, as the check screen saves them.
    let mut by_household: std::collections::BTreeMap<HouseholdId, Vec<ResidentId>> =
        Default::default();
    for (r, h) in &seeded.residents {
        by_household.entry(*h).or_default().push(*r);
    }
    let households: Vec<&Vec<ResidentId>> = by_household.values().collect();
    let mut samples = Vec::with_capacity(saves);
    let mut from_start = Vec::with_capacity(saves);
    let mut save_ms = Vec::with_capacity(saves);
    for i in 0..saves {
        let rs = households[i % households.len()];
        let batch: Vec<CheckInput> = rs
            .iter()
            .map(|r| CheckInput {
                resident: *r,
                temperature: format!("36.{}", i % 10),
                method: Method::InPerson,
            })
            .collect();
        let slot = if i % 2 == 0 {
            Slot::Morning
        } else {
            Slot::Afternoon
        };
        // A frame may beat the clock read after the save returns (the engine runs on
        // another thread): frames count from the save's start, latency from its return.
        let started = Instant::now();
        store.lock().unwrap().record_checks(slot, &batch).unwrap();
        let saved = Instant::now();
        if nudge {
            engine.nudge();
        }
        let deadline = saved + Duration::from_secs(120);
        let arrived = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, frames.recv()).await {
                Ok(Some(f)) if f.changes > 0 && f.at >= started => break f.at,
                Ok(Some(_)) => {}
                Ok(None) => panic!("the proxy stopped"),
                Err(_) => panic!(
                    "save {i}: no frame with the change in 120 s: {:?}",
                    *rx.borrow()
                ),
            }
        };
        samples.push(arrived.saturating_duration_since(saved).as_secs_f64() * 1000.0);
        from_start.push(arrived.duration_since(started).as_secs_f64() * 1000.0);
        save_ms.push(saved.duration_since(started).as_secs_f64() * 1000.0);
        settle(
            &mut rx,
            &mut frames,
            Duration::from_millis(300),
            Duration::from_secs(120),
        )
        .await;
    }
    let end = rx.borrow().clone();
    engine.stop();
    for v in [&mut samples, &mut from_start, &mut save_ms] {
        v.sort_by(f64::total_cmp);
    }
    println!(
        "\nSave → first sync frame with the change at the relay's side, {docs} docs on the device"
    );
    println!(
        "(seeded in {seed_secs:.1} s, first sync {first_sync:.1} s; {} saves of one household's \
         checks; nudge after each save: {nudge})",
        samples.len()
    );
    println!(
        "{:<34} {:>10} {:>10} {:>10} {:>10}",
        "", "median ms", "p90 ms", "min ms", "max ms"
    );
    for (label, v) in [
        ("save returned → first frame", &samples),
        ("save started → first frame", &from_start),
        ("the save itself (fsynced commit)", &save_ms),
    ] {
        println!(
            "{:<34} {:>10.2} {:>10.2} {:>10.2} {:>10.2}",
            label,
            percentile(v, 0.5),
            percentile(v, 0.9),
            v.first().copied().unwrap_or(f64::NAN),
            v.last().copied().unwrap_or(f64::NAN)
        );
    }
    println!(
        "(connections {}, last error {:?}; a frame sent while the saving thread is still being scheduled back counts as 0 ms \
         after the return)",
        end.connections, end.last_error
    );
    drop(relay);
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if let Ok(filter) = std::env::var("WANGGE_BENCH_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}
