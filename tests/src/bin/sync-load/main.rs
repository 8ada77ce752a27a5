//! Load for the sync benchmarks (`cargo bench -p wangge-tests --bench sync`): many lean
//! automerge-repo clients in one process, against a relay on loopback.
//!
//! Configured by environment (the bench sets it):
//! - `WANGGE_LOAD_URL`: `ws://127.0.0.1:PORT/v1/sync` (loopback only);
//! - `WANGGE_LOAD_TOKENS`: a file of `token<TAB>peer id` lines, used round-robin; a line
//!   may go on with `<TAB>user id<TAB>scope` (the device's user and its grid), which the
//!   notice mode needs;
//! - `WANGGE_LOAD_CONNS`: how many connections;
//! - `WANGGE_LOAD_MODE`: `idle` (connect, join, hold), `active` (each connection
//!   creates one document in `WANGGE_LOAD_GRID`, then sends a small change
//!   `WANGGE_LOAD_RATE` times a second for `WANGGE_LOAD_SECONDS`) or `notice` (a notice
//!   fanned out to every connection, each a member device answering with its receipt:
//!   see the `notice` module for its settings and its `result` line);
//! - `WANGGE_LOAD_HOLD_SECONDS`: in idle mode, the longest time to hold (default 120).
//!
//! Prints `ready <ok> <failed>` once connected (and, in active mode, once every document
//! is registered), then in active mode `result sent=… received=… acked=… p50_ms=…
//! p99_ms=… max_ms=…`. Idle mode holds until stdin closes or the hold time ends. Every
//! loop is bounded in count and time.

mod notice;

use std::io::BufRead;
use std::sync::Arc;
use std::time::Duration;

use automerge::sync::{self, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{Automerge, ROOT};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{Barrier, Semaphore};
use tokio::time::{Instant, sleep, timeout};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use wangge_proto::{DocumentId, Message, PeerId, PeerMetadata};

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn env_num(name: &str, default: u64) -> u64 {
    env(name).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// One line of the tokens file: a device's token and peer id, and (for the notice mode)
/// its user and scope.
#[derive(Clone)]
struct Token {
    token: String,
    peer: PeerId,
    user: Option<String>,
    scope: Option<String>,
}

/// Reads `token<TAB>peer id[<TAB>user id<TAB>scope]` lines; other lines are skipped.
fn parse_tokens(text: &str) -> Vec<Token> {
    text.lines()
        .filter_map(|l| {
            let mut cols = l.split('\t');
            let token = cols.next()?.trim();
            let peer = cols.next()?.trim();
            if token.is_empty() || peer.is_empty() {
                return None;
            }
            let mut opt = || cols.next().map(str::trim).filter(|c| !c.is_empty());
            let (user, scope) = (opt().map(str::to_owned), opt().map(str::to_owned));
            Some(Token {
                token: token.to_owned(),
                peer: PeerId::new(peer),
                user,
                scope,
            })
        })
        .collect()
}

/// Connects with the token and joins with `meta` (`None`: as a plain automerge-repo
/// peer); returns the socket and the relay's peer id.
async fn connect(
    url: &str,
    token: &str,
    peer: &PeerId,
    meta: Option<PeerMetadata>,
) -> Option<(Ws, PeerId)> {
    let mut req = url.into_client_request().ok()?;
    req.headers_mut()
        .insert("Authorization", format!("Bearer {token}").parse().ok()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.ok()?;
    let join = Message::Join {
        sender_id: peer.clone(),
        supported_protocol_versions: vec!["1".into()],
        peer_metadata: meta,
    };
    ws.send(WsMessage::Binary(join.encode().into()))
        .await
        .ok()?;
    for _ in 0..8 {
        match ws.next().await? {
            Ok(WsMessage::Binary(b)) => match Message::decode(&b).ok()? {
                Message::Peer { sender_id, .. } => return Some((ws, sender_id)),
                _ => return None,
            },
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    None
}

fn sync_msg(peer: &PeerId, relay: &PeerId, id: DocumentId, m: sync::Message) -> WsMessage {
    WsMessage::Binary(
        Message::Sync {
            sender_id: peer.clone(),
            target_id: relay.clone(),
            document_id: id,
            data: m.encode(),
        }
        .encode()
        .into(),
    )
}

/// Applies one frame from the relay; `Some(heads)` of the relay after it, if it was a sync.
fn apply(doc: &mut Automerge, state: &mut sync::State, frame: &[u8]) -> Option<bool> {
    match Message::decode(frame).ok()? {
        Message::Sync { data, .. } => {
            let m = sync::Message::decode(&data).ok()?;
            doc.receive_sync_message(state, m).ok()?;
            Some(state.their_heads.as_ref() == Some(&doc.get_heads()))
        }
        _ => Some(false),
    }
}

#[derive(Default)]
struct Outcome {
    sent: u64,
    received: u64,
    latencies: Vec<Duration>,
}

/// One active device: registers its document, waits for everyone, then changes it at
/// `rate` per second for `run`, timing each change until the relay's sync names it.
async fn active(
    mut ws: Ws,
    peer: PeerId,
    relay: PeerId,
    grid: String,
    rate: u64,
    run: Duration,
    ready: Arc<Barrier>,
) -> Option<Outcome> {
    let id = DocumentId::random();
    let mut doc = Automerge::new();
    {
        let mut tx = doc.transaction();
        tx.put(ROOT, "kind", "household").ok()?;
        tx.put(ROOT, "scope", grid.as_str()).ok()?;
        tx.commit();
    }
    let mut state = sync::State::new();
    // Register: sync until the relay names our heads (bounded).
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut registered = false;
    for _ in 0..50 {
        if let Some(m) = doc.generate_sync_message(&mut state) {
            ws.send(sync_msg(&peer, &relay, id, m)).await.ok()?;
        }
        let left = deadline.checked_duration_since(Instant::now())?;
        match timeout(left, ws.next()).await.ok()?? {
            Ok(WsMessage::Binary(b)) => {
                if apply(&mut doc, &mut state, &b)? {
                    registered = true;
                    break;
                }
            }
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    ready.wait().await;
    if !registered {
        return None;
    }
    let mut out = Outcome::default();
    let every = Duration::from_micros(1_000_000 / rate.max(1));
    // Spread the devices over the interval.
    let phase = Duration::from_micros(rand_below(every.as_micros() as u64));
    let start = Instant::now();
    let end = start + run;
    let mut tick = tokio::time::interval_at(start + phase, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Changes not yet acknowledged, oldest first (one writer: a chain).
    let mut waiting: std::collections::VecDeque<(automerge::ChangeHash, Instant)> =
        Default::default();
    let mut n = 0u64;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if Instant::now() >= end {
                    break;
                }
                n += 1;
                let mut tx = doc.transaction();
                tx.put(ROOT, "visits", n as i64).ok()?;
                tx.commit();
                if let Some(h) = doc.get_heads().first() {
                    waiting.push_back((*h, Instant::now()));
                }
                if let Some(m) = doc.generate_sync_message(&mut state) {
                    ws.send(sync_msg(&peer, &relay, id, m)).await.ok()?;
                    out.sent += 1;
                }
            }
            frame = ws.next() => {
                let Some(Ok(frame)) = frame else { return Some(out) };
                let WsMessage::Binary(b) = frame else { continue };
                out.received += 1;
                apply(&mut doc, &mut state, &b)?;
                // The relay's heads name a change of the chain: it and all before it are
                // acknowledged.
                if let Some([h]) = state.their_heads.as_deref()
                    && let Some(at) = waiting.iter().position(|(w, _)| w == h)
                {
                    let now = Instant::now();
                    for (_, t0) in waiting.drain(..=at) {
                        out.latencies.push(now - t0);
                    }
                }
                // Anything the relay still needs (a change that crossed its message).
                if let Some(m) = doc.generate_sync_message(&mut state) {
                    ws.send(sync_msg(&peer, &relay, id, m)).await.ok()?;
                    out.sent += 1;
                }
            }
            () = sleep(end.saturating_duration_since(Instant::now()) + Duration::from_secs(2)) => break,
        }
    }
    let _ = ws.close(None).await;
    Some(out)
}

/// Connects and joins every one of `tokens` with bounded concurrency (each within 30 s),
/// in order: the socket, the device's peer id and the relay's, or `None` for a failure.
async fn connect_all(
    url: &str,
    tokens: &[Token],
    meta: Option<PeerMetadata>,
) -> Vec<Option<(Ws, PeerId, PeerId)>> {
    let gate = Arc::new(Semaphore::new(128));
    let mut tasks = Vec::with_capacity(tokens.len());
    for t in tokens {
        let (token, peer) = (t.token.clone(), t.peer.clone());
        let (url, gate, meta) = (url.to_owned(), gate.clone(), meta.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.ok()?;
            timeout(Duration::from_secs(30), connect(&url, &token, &peer, meta))
                .await
                .ok()
                .flatten()
                .map(|(ws, relay)| (ws, peer, relay))
        }));
    }
    let mut open = Vec::with_capacity(tasks.len());
    for t in tasks {
        open.push(t.await.ok().flatten());
    }
    open
}

fn rand_below(n: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(n);
    h.finish() % n.max(1)
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let url = env("WANGGE_LOAD_URL").unwrap_or_default();
    assert!(
        url.starts_with("ws://127.")
            || url.starts_with("ws://[::1]")
            || url.starts_with("ws://localhost"),
        "WANGGE_LOAD_URL must be a loopback ws:// URL"
    );
    let Some(text) = env("WANGGE_LOAD_TOKENS").and_then(|p| std::fs::read_to_string(p).ok()) else {
        eprintln!("sync-load: WANGGE_LOAD_TOKENS must name a readable tokens file");
        std::process::exit(2);
    };
    let tokens = parse_tokens(&text);
    assert!(!tokens.is_empty(), "no tokens");
    let conns = env_num("WANGGE_LOAD_CONNS", 1000) as usize;
    let mode = env("WANGGE_LOAD_MODE").unwrap_or_else(|| "idle".into());
    if mode == "notice" {
        notice::run(&url, &tokens, conns).await;
        return;
    }
    let rate = env_num("WANGGE_LOAD_RATE", 5);
    let seconds = env_num("WANGGE_LOAD_SECONDS", 10).min(300);
    let hold = env_num("WANGGE_LOAD_HOLD_SECONDS", 120).min(600);
    let grid = env("WANGGE_LOAD_GRID").unwrap_or_default();

    let picked: Vec<Token> = (0..conns)
        .map(|i| tokens[i % tokens.len()].clone())
        .collect();
    let open: Vec<(Ws, PeerId, PeerId)> = connect_all(&url, &picked, None)
        .await
        .into_iter()
        .flatten()
        .collect();
    let failed = conns - open.len();

    if mode == "active" {
        let ready = Arc::new(Barrier::new(open.len() + 1));
        let mut tasks = Vec::with_capacity(open.len());
        for (ws, peer, relay) in open {
            tasks.push(tokio::spawn(active(
                ws,
                peer,
                relay,
                grid.clone(),
                rate,
                Duration::from_secs(seconds),
                ready.clone(),
            )));
        }
        ready.wait().await;
        println!("ready {} {failed}", tasks.len());
        let mut all = Outcome::default();
        let mut lost = 0;
        for t in tasks {
            match t.await {
                Ok(Some(o)) => {
                    all.sent += o.sent;
                    all.received += o.received;
                    all.latencies.extend(o.latencies);
                }
                _ => lost += 1,
            }
        }
        all.latencies.sort();
        println!(
            "result sent={} received={} acked={} lost={lost} p50_ms={:.2} p99_ms={:.2} max_ms={:.2}",
            all.sent,
            all.received,
            all.latencies.len(),
            pct(&all.latencies, 0.5),
            pct(&all.latencies, 0.99),
            pct(&all.latencies, 1.0),
        );
        return;
    }

    println!("ready {} {failed}", open.len());
    // Hold until stdin closes or the hold time ends.
    let stdin_closed = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        let mut lock = std::io::stdin().lock();
        while lock.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
            line.clear();
        }
    });
    let _ = timeout(Duration::from_secs(hold), stdin_closed).await;
    drop(open);
}
