//! Two relay instances on one PostgreSQL database:
//!
//! 1. how long a change saved through instance 1 takes to reach a device connected to
//!    instance 2 (the change feed, `LISTEN`/`NOTIFY`), next to the same round between two
//!    devices on one instance. Each round: device A sends one small change; the clock
//!    runs from the send until device B holds the change (`WANGGE_BENCH_ROUNDS`, 200);
//! 2. memory with `WANGGE_BENCH_IDLE_CONNS` (20,000) idle authenticated, joined
//!    connections in total, half on each instance, held by two `sync-load` processes:
//!    each instance's RSS before and after, per connection.
//!
//!   cargo bench -p wangge-tests --bench instances
//!   WANGGE_BENCH_ONLY=2 WANGGE_BENCH_IDLE_CONNS=4000 cargo bench -p wangge-tests --bench instances
//!
//! Starts a PostgreSQL server of its own (Debian's `postgresql` package, as the relay's
//! tests do) and the relays as child processes, on loopback. Every wait is bounded; the
//! run stops by itself.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "common/load.rs"]
mod load;
#[path = "common/relay_proc.rs"]
mod relay_proc;

use std::collections::HashMap;

use load::{GRID, devices, env_num, grid_store, load, rss_kib, wait_line};
use relay_proc::{RelayProc, start_relay, start_relay_with};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use automerge::sync::{self, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{Automerge, ROOT, ReadDoc};
use futures_util::{SinkExt, StreamExt};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use wangge_core::sync::{Enrollment, enroll};
use wangge_proto::{DocumentId, Message, PeerId};
use wangge_relay::admin;
use wangge_relay::store::testing::TestDatabase;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A lean device: one socket, its documents and sync states.
struct Device {
    ws: Ws,
    me: PeerId,
    relay: PeerId,
    docs: HashMap<DocumentId, Automerge>,
    states: HashMap<DocumentId, sync::State>,
}

impl Device {
    async fn connect(addr: SocketAddr, e: &Enrollment) -> Device {
        let mut req = format!("ws://{addr}/v1/sync")
            .into_client_request()
            .unwrap();
        req.headers_mut().insert(
            "Authorization",
            format!("Bearer {}", e.token).parse().unwrap(),
        );
        let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
        let _ = ws.get_ref();
        let me = PeerId::new(e.peer_id.clone());
        let join = Message::Join {
            sender_id: me.clone(),
            supported_protocol_versions: vec!["1".into()],
            peer_metadata: None,
        };
        ws.send(WsMessage::Binary(join.encode().into()))
            .await
            .unwrap();
        let mut d = Device {
            ws,
            me,
            relay: PeerId::new(e.relay_peer_id.clone()),
            docs: HashMap::new(),
            states: HashMap::new(),
        };
        match d.recv(Duration::from_secs(10)).await {
            Some(Message::Peer { .. }) => d,
            other => panic!("expected peer, got {other:?}"),
        }
    }

    async fn recv(&mut self, wait: Duration) -> Option<Message> {
        loop {
            match timeout(wait, self.ws.next()).await.ok()?? {
                Ok(WsMessage::Binary(b)) => return Message::decode(&b).ok(),
                Ok(WsMessage::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    async fn send_next(&mut self, id: DocumentId, request: bool) {
        let doc = self.docs.entry(id).or_default();
        let state = self.states.entry(id).or_default();
        let Some(m) = doc.generate_sync_message(state) else {
            return;
        };
        let (sender_id, target_id, data) = (self.me.clone(), self.relay.clone(), m.encode());
        let msg = if request {
            Message::Request {
                sender_id,
                target_id,
                document_id: id,
                data,
            }
        } else {
            Message::Sync {
                sender_id,
                target_id,
                document_id: id,
                data,
            }
        };
        self.ws
            .send(WsMessage::Binary(msg.encode().into()))
            .await
            .unwrap();
    }

    /// Takes one message, answers it; `false` if none came within `wait`.
    async fn step(&mut self, wait: Duration) -> bool {
        match self.recv(wait).await {
            Some(Message::Sync {
                document_id, data, ..
            }) => {
                let m = sync::Message::decode(&data).unwrap();
                let doc = self.docs.entry(document_id).or_default();
                let state = self.states.entry(document_id).or_default();
                doc.receive_sync_message(state, m).unwrap();
                self.send_next(document_id, false).await;
                true
            }
            Some(Message::Error { message, .. }) => panic!("relay error: {message}"),
            Some(_) => true,
            None => false,
        }
    }

    /// Answers until quiet for `quiet` (bounded by 30 s).
    async fn settle(&mut self, quiet: Duration) {
        let end = Instant::now() + Duration::from_secs(30);
        while Instant::now() < end && self.step(quiet).await {}
    }

    fn value(&self, id: DocumentId) -> Option<i64> {
        let (v, _) = self.docs.get(&id)?.get(ROOT, "n").ok().flatten()?;
        v.as_i64()
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// `rounds` changes from `a`, each timed until `b` holds it.
async fn rounds(a: &mut Device, b: &mut Device, id: DocumentId, rounds: usize) -> Vec<f64> {
    let mut ms = Vec::with_capacity(rounds);
    for i in 0..rounds {
        let n = i64::try_from(i).unwrap_or(i64::MAX);
        {
            let doc = a.docs.get_mut(&id).unwrap();
            let mut tx = doc.transaction();
            tx.put(ROOT, "n", n).unwrap();
            tx.commit();
        }
        let sent = Instant::now();
        a.send_next(id, false).await;
        let deadline = sent + Duration::from_secs(10);
        while b.value(id) != Some(n) {
            assert!(
                Instant::now() < deadline,
                "round {i}: B never got the change"
            );
            b.step(Duration::from_millis(100)).await;
        }
        ms.push(sent.elapsed().as_secs_f64() * 1000.0);
        a.settle(Duration::from_millis(20)).await;
        b.settle(Duration::from_millis(5)).await;
    }
    ms.sort_by(f64::total_cmp);
    ms
}

// ---------------------------------------------------------------- 1. latency

fn latency() {
    let n = env_num("WANGGE_BENCH_ROUNDS", 200);
    let db = TestDatabase::new();
    let url = db.url().to_owned();
    let mut codes = Vec::new();
    {
        let mut s = grid_store(&url);
        for _ in 0..3 {
            let user =
                admin::add_user(s.as_mut(), "测试用户", "member", &[GRID.to_owned()]).unwrap();
            codes.push(
                admin::enroll_code(s.as_mut(), user, 1)
                    .unwrap()
                    .expose()
                    .to_owned(),
            );
        }
    }
    let one = start_relay(&url);
    let two = start_relay(&url);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let base = |r: &RelayProc| format!("http://{}", r.addr);
        let ea = enroll(&base(&one), &codes[0]).await.unwrap();
        let eb = enroll(&base(&two), &codes[1]).await.unwrap();
        let ec = enroll(&base(&one), &codes[2]).await.unwrap();
        let mut a = Device::connect(one.addr, &ea).await;
        let id = DocumentId::random();
        {
            let mut doc = Automerge::new();
            let mut tx = doc.transaction();
            tx.put(ROOT, "kind", "household").unwrap();
            tx.put(ROOT, "scope", GRID).unwrap();
            tx.put(ROOT, "n", -1).unwrap();
            tx.commit();
            a.docs.insert(id, doc);
        }
        a.send_next(id, false).await;
        a.settle(Duration::from_millis(300)).await;
        let mut b = Device::connect(two.addr, &eb).await;
        b.send_next(id, true).await;
        b.settle(Duration::from_millis(300)).await;
        assert_eq!(b.value(id), Some(-1), "B on instance 2 has the document");
        let mut c = Device::connect(one.addr, &ec).await;
        c.send_next(id, true).await;
        c.settle(Duration::from_millis(300)).await;

        // Warm both paths, then measure them interleaved in blocks.
        rounds(&mut a, &mut b, id, 10).await;
        rounds(&mut a, &mut c, id, 10).await;
        let (mut cross, mut same) = (Vec::new(), Vec::new());
        let block = 20.min(n.max(1));
        while cross.len() < n {
            cross.extend(rounds(&mut a, &mut b, id, block).await);
            // Keep C in step with what A sent meanwhile.
            c.settle(Duration::from_millis(50)).await;
            same.extend(rounds(&mut a, &mut c, id, block).await);
            b.settle(Duration::from_millis(50)).await;
        }
        cross.sort_by(f64::total_cmp);
        same.sort_by(f64::total_cmp);
        println!("\n1. A change from a device on instance 1 until another device holds it ({n} rounds each, interleaved)");
        println!(
            "{:<40} {:>8} {:>8} {:>8} {:>8}",
            "", "p50 ms", "p99 ms", "min ms", "max ms"
        );
        for (label, v) in [
            ("other device on instance 2 (feed)", &cross),
            ("other device on instance 1 (same)", &same),
        ] {
            println!(
                "{:<40} {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
                label,
                percentile(v, 0.5),
                percentile(v, 0.99),
                v.first().copied().unwrap_or(f64::NAN),
                v.last().copied().unwrap_or(f64::NAN)
            );
        }
        println!("(goal: p99 ≤ 200 ms on loopback for the cross-instance path)");
    });
    drop(one);
    drop(two);
}

// ---------------------------------------------------------------- 2. idle connections

fn idle() {
    let total = env_num("WANGGE_BENCH_IDLE_CONNS", 20_000);
    let per = total / 2;
    let db = TestDatabase::new();
    let dir = tempfile::tempdir().unwrap();
    let tokens_file = dir.path().join("tokens");
    {
        let mut s = grid_store(db.url());
        std::fs::write(&tokens_file, devices(s.as_mut(), GRID, per.clamp(1, 500))).unwrap();
    }
    let relays = [
        start_relay_with(db.url(), &[]),
        start_relay_with(db.url(), &[]),
    ];
    let hold = |relay: &RelayProc, conns: usize, seconds: u64| {
        load(&[
            ("WANGGE_LOAD_URL", format!("ws://{}/v1/sync", relay.addr)),
            ("WANGGE_LOAD_TOKENS", tokens_file.display().to_string()),
            ("WANGGE_LOAD_CONNS", conns.to_string()),
            ("WANGGE_LOAD_MODE", "idle".into()),
            ("WANGGE_LOAD_HOLD_SECONDS", seconds.to_string()),
        ])
    };
    // Warm up: a few connections in and out of each, so the runtimes' threads and the
    // database pools exist.
    for relay in &relays {
        let (mut warm, rx) = hold(relay, 8, 1);
        wait_line(&rx, "ready", Duration::from_secs(60));
        let _ = warm.wait();
    }
    std::thread::sleep(Duration::from_millis(1500));
    let before: Vec<u64> = relays.iter().map(|r| rss_kib(r.pid())).collect();
    let t0 = Instant::now();
    let loads: Vec<_> = relays.iter().map(|r| hold(r, per, 600)).collect();
    let ready: Vec<usize> = loads
        .iter()
        .map(|(_, rx)| {
            wait_line(rx, "ready", Duration::from_secs(300))
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        })
        .collect();
    let connect_secs = t0.elapsed().as_secs_f64();
    // Past the blocking pool's keep-alive (10 s), so what is left is what the
    // connections hold.
    std::thread::sleep(Duration::from_secs(
        env_num("WANGGE_BENCH_SETTLE_SECONDS", 12) as u64,
    ));
    let after: Vec<u64> = relays.iter().map(|r| rss_kib(r.pid())).collect();
    for (mut child, _) in loads {
        // Closing its stdin ends the hold.
        drop(child.stdin.take());
        let _ = child.wait();
    }
    println!(
        "\n2. Idle authenticated, joined connections over two instances ({total} asked, all connected within {connect_secs:.1} s)"
    );
    println!(
        "{:<20} {:>7} {:>11} {:>11} {:>10}",
        "", "conns", "RSS before", "RSS after", "KiB/conn"
    );
    for (i, ((b, a), ok)) in before.iter().zip(&after).zip(&ready).enumerate() {
        println!(
            "{:<20} {:>7} {:>8} KiB {:>8} KiB {:>10.2}",
            format!("instance {}", i + 1),
            ok,
            b,
            a,
            a.saturating_sub(*b) as f64 / (*ok).max(1) as f64
        );
    }
    println!(
        "{:<20} {:>7} {:>11} {:>11} {:>10}",
        "goal (one relay)", "10000", "", "", "<=4"
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("instances: bench");
        return;
    }
    let wanted = |part: &str| {
        std::env::var("WANGGE_BENCH_ONLY")
            .map(|v| v.split(',').any(|p| p.trim() == part))
            .unwrap_or(true)
    };
    if wanted("1") {
        latency();
    }
    if wanted("2") {
        idle();
    }
}
