//! A TCP proxy on loopback between a device and the relay, for the benchmarks: counts the
//! bytes and WebSocket messages each way, and shapes the link like a phone's (no kernel
//! traffic control here): a one-way delay, a rate per direction, and a seeded schedule of
//! stalls and cuts standing in for loss.
//!
//! The schedule is over the bytes through the link, both ways: after about every
//! `stall_every` bytes the link stops for `stall` (both directions), after about every
//! `cut_every` bytes every connection through it is closed (what was in flight is lost).
//! "About": each gap is drawn uniformly from half to one and a half times the figure, from
//! the seed, so a run is repeatable and several seeds give a spread.

// Each bench includes this module and uses part of it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{mpsc, watch};

/// How the link behaves.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Added to every byte, each way (half the round trip).
    pub delay: Duration,
    /// Bytes per second from the device to the relay (`None`: as fast as loopback).
    pub up_rate: Option<u64>,
    /// Bytes per second from the relay to the device.
    pub down_rate: Option<u64>,
    /// A stall of `.1` after about every `.0` bytes.
    pub stall: Option<(u64, Duration)>,
    /// Every connection cut after about every so many bytes.
    pub cut_every: Option<u64>,
    /// Seeds the schedule.
    pub seed: u64,
}

impl Shape {
    /// Only a delay each way.
    pub fn delay(delay: Duration) -> Self {
        Self {
            delay,
            up_rate: None,
            down_rate: None,
            stall: None,
            cut_every: None,
            seed: 0,
        }
    }

    /// One bar of signal: 150 ms round trip, 750 kbit/s up, 1.5 Mbit/s down, a 2-second
    /// stall every ~50 KB and a cut every ~200 KB.
    pub fn weak(seed: u64) -> Self {
        Self {
            delay: Duration::from_millis(75),
            up_rate: Some(750_000 / 8),
            down_rate: Some(1_500_000 / 8),
            stall: Some((50_000, Duration::from_secs(2))),
            cut_every: Some(200_000),
            seed,
        }
    }

    /// The same link without its cuts (stalls kept).
    pub fn without_cuts(self) -> Self {
        Self {
            cut_every: None,
            ..self
        }
    }

    fn shaped(&self) -> bool {
        self.up_rate.is_some() || self.down_rate.is_some()
    }
}

/// Bytes and messages one way.
#[derive(Default)]
pub struct Dir {
    /// WebSocket bytes (frame headers and payloads, after the HTTP upgrade).
    pub wire: AtomicU64,
    /// Payload bytes of data messages (the protocol's CBOR).
    pub payload: AtomicU64,
    /// Complete data messages.
    pub msgs: AtomicU64,
    /// Every byte delivered, WebSocket and plain HTTP (photo transfers), upgrades included.
    pub raw: AtomicU64,
    /// Bytes the sender handed to the link on plain HTTP connections (the photo
    /// transfers), delivered or lost in a cut.
    pub http_sent: AtomicU64,
}

pub struct Stats {
    pub up: Dir,
    pub down: Dir,
    base: Instant,
    /// Nanoseconds after `base` of the last byte delivered either way.
    last: AtomicU64,
    /// Stalls and cuts so far, and the cuts that closed a plain HTTP connection.
    pub stalls: AtomicU64,
    pub cuts: AtomicU64,
    pub http_cuts: AtomicU64,
    /// Plain HTTP connections open now.
    http_open: AtomicU64,
    /// Connections accepted.
    pub connections: AtomicU64,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Snap {
    pub up_wire: u64,
    pub up_payload: u64,
    pub up_msgs: u64,
    pub down_wire: u64,
    pub down_payload: u64,
    pub down_msgs: u64,
    pub up_raw: u64,
    pub down_raw: u64,
    pub http_sent: u64,
    pub stalls: u64,
    pub cuts: u64,
    pub http_cuts: u64,
    pub connections: u64,
}

impl Stats {
    pub fn snap(&self) -> Snap {
        let l = |a: &AtomicU64| a.load(Ordering::SeqCst);
        Snap {
            up_wire: l(&self.up.wire),
            up_payload: l(&self.up.payload),
            up_msgs: l(&self.up.msgs),
            down_wire: l(&self.down.wire),
            down_payload: l(&self.down.payload),
            down_msgs: l(&self.down.msgs),
            up_raw: l(&self.up.raw),
            down_raw: l(&self.down.raw),
            http_sent: l(&self.up.http_sent),
            stalls: l(&self.stalls),
            cuts: l(&self.cuts),
            http_cuts: l(&self.http_cuts),
            connections: l(&self.connections),
        }
    }

    pub fn last(&self) -> Instant {
        self.base + Duration::from_nanos(self.last.load(Ordering::SeqCst))
    }
}

/// Counts WebSocket frames in one direction of a byte stream (after the HTTP upgrade).
#[derive(Default)]
struct FrameCounter {
    upgraded: bool,
    http: Vec<u8>,
    head: Vec<u8>,
    left: u64,
    data: bool,
    end_msg: bool,
}

impl FrameCounter {
    fn feed(&mut self, mut bytes: &[u8], d: &Dir) {
        if !self.upgraded {
            self.http.extend_from_slice(bytes);
            let Some(at) = self.http.windows(4).position(|w| w == b"\r\n\r\n") else {
                return;
            };
            self.upgraded = true;
            let rest = self.http.split_off(at + 4);
            self.http = Vec::new();
            return self.feed(&rest, d);
        }
        d.wire.fetch_add(bytes.len() as u64, Ordering::SeqCst);
        while !bytes.is_empty() {
            if self.left > 0 {
                let take = self.left.min(bytes.len() as u64);
                self.left -= take;
                bytes = &bytes[take as usize..];
                if self.left == 0 {
                    self.frame_done(d);
                }
                continue;
            }
            self.head.push(bytes[0]);
            bytes = &bytes[1..];
            if self.head.len() < 2 {
                continue;
            }
            let len7 = self.head[1] & 0x7f;
            let ext = match len7 {
                126 => 2,
                127 => 8,
                _ => 0,
            };
            let mask = if self.head[1] & 0x80 != 0 { 4 } else { 0 };
            if self.head.len() < 2 + ext + mask {
                continue;
            }
            let len = match ext {
                0 => u64::from(len7),
                _ => self.head[2..2 + ext]
                    .iter()
                    .fold(0u64, |a, b| (a << 8) | u64::from(*b)),
            };
            let opcode = self.head[0] & 0x0f;
            self.data = opcode <= 2;
            self.end_msg = self.data && self.head[0] & 0x80 != 0;
            if self.data {
                d.payload.fetch_add(len, Ordering::SeqCst);
            }
            self.head.clear();
            self.left = len;
            if len == 0 {
                self.frame_done(d);
            }
        }
    }

    fn frame_done(&mut self, d: &Dir) {
        if self.end_msg {
            d.msgs.fetch_add(1, Ordering::SeqCst);
        }
        self.end_msg = false;
    }
}

/// The link's schedule: when each direction is free, the stalls and the cuts.
struct Link {
    shape: Shape,
    /// One generator for the stalls and one for the cuts, so a run without cuts stalls
    /// where the run with them did.
    stall_rng: StdRng,
    cut_rng: StdRng,
    through: u64,
    next_stall: u64,
    next_cut: u64,
    stalled_until: Instant,
    free_up: Instant,
    free_down: Instant,
}

fn gap(rng: &mut StdRng, every: u64) -> u64 {
    rng.random_range(every / 2..=every + every / 2).max(1)
}

impl Link {
    fn new(shape: Shape) -> Self {
        let mut stall_rng = StdRng::seed_from_u64(shape.seed);
        let mut cut_rng = StdRng::seed_from_u64(shape.seed ^ 0x5eed_c075);
        let next_stall = shape
            .stall
            .map_or(u64::MAX, |(e, _)| gap(&mut stall_rng, e));
        let next_cut = shape.cut_every.map_or(u64::MAX, |e| gap(&mut cut_rng, e));
        let now = Instant::now();
        Self {
            shape,
            stall_rng,
            cut_rng,
            through: 0,
            next_stall,
            next_cut,
            stalled_until: now,
            free_up: now,
            free_down: now,
        }
    }

    /// When `len` bytes that reached the link at `at` arrive at the other end, or `None`
    /// when a cut takes them. Also says whether the link stalls after them.
    fn schedule(&mut self, up: bool, at: Instant, len: usize) -> (Option<Instant>, bool) {
        let rate = if up {
            self.shape.up_rate
        } else {
            self.shape.down_rate
        };
        let free = if up { self.free_up } else { self.free_down };
        let start = at.max(free).max(self.stalled_until);
        let end = start
            + rate.map_or(Duration::ZERO, |r| {
                Duration::from_secs_f64(len as f64 / r.max(1) as f64)
            });
        if up {
            self.free_up = end;
        } else {
            self.free_down = end;
        }
        self.through += len as u64;
        let mut stalled = false;
        if let Some((every, stall)) = self.shape.stall
            && self.through >= self.next_stall
        {
            self.stalled_until = end + stall;
            self.next_stall = self.through + gap(&mut self.stall_rng, every);
            stalled = true;
        }
        if let Some(every) = self.shape.cut_every
            && self.through >= self.next_cut
        {
            self.next_cut = self.through + gap(&mut self.cut_rng, every);
            return (None, stalled);
        }
        (Some(end + self.shape.delay), stalled)
    }
}

struct Shared {
    stats: Arc<Stats>,
    link: Mutex<Link>,
    /// Bumped by a cut: every connection open then closes.
    cut: watch::Sender<u64>,
    piece: usize,
    queue: usize,
}

pub struct Proxy {
    pub addr: SocketAddr,
    pub stats: Arc<Stats>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A proxy on a free loopback port to `target`, shaped by `shape`.
pub async fn proxy(target: SocketAddr, shape: Shape) -> Proxy {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stats = Arc::new(Stats {
        up: Dir::default(),
        down: Dir::default(),
        base: Instant::now(),
        last: AtomicU64::new(0),
        stalls: AtomicU64::new(0),
        cuts: AtomicU64::new(0),
        http_cuts: AtomicU64::new(0),
        http_open: AtomicU64::new(0),
        connections: AtomicU64::new(0),
    });
    // A shaped link holds little in flight (a phone's radio buffer, ~64 KB), so a sender
    // feels the rate; a plain one passes large pieces through at once.
    let (piece, queue) = if shape.shaped() {
        (4096, 16)
    } else {
        (64 * 1024, 1024)
    };
    let shared = Arc::new(Shared {
        stats: stats.clone(),
        link: Mutex::new(Link::new(shape)),
        cut: watch::channel(0).0,
        piece,
        queue,
    });
    let task = tokio::spawn(async move {
        let mut conns = tokio::task::JoinSet::new();
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = tokio::net::TcpStream::connect(target).await else {
                continue;
            };
            shared.stats.connections.fetch_add(1, Ordering::SeqCst);
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            let shared = shared.clone();
            let mut cut = shared.cut.subscribe();
            conns.spawn(async move {
                let http = AtomicU64::new(0);
                let both = async {
                    tokio::join!(
                        pump(cr, sw, &shared, true, &http),
                        pump(sr, cw, &shared, false, &http)
                    )
                };
                tokio::select! {
                    _ = both => {}
                    _ = cut.changed() => {
                        if http.load(Ordering::SeqCst) == 1 {
                            shared.stats.http_cuts.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                }
                if http.load(Ordering::SeqCst) == 1 {
                    shared.stats.http_open.fetch_sub(1, Ordering::SeqCst);
                }
                // Dropping the halves here closes both sides.
            });
            while conns.try_join_next().is_some() {}
        }
    });
    Proxy { addr, stats, task }
}

/// One direction of a connection. `http` is set by the first bytes from the device:
/// 1 for a plain HTTP request, 2 for a WebSocket upgrade.
async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    shared: &Shared,
    up: bool,
    http: &AtomicU64,
) {
    let (tx, mut rx) = mpsc::channel::<(Instant, Vec<u8>)>(shared.queue);
    let stats = &shared.stats;
    let read = async move {
        let mut buf = vec![0u8; shared.piece];
        loop {
            match from.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if up && http.load(Ordering::SeqCst) == 0 {
                        let ws = buf[..n].starts_with(b"GET /v1/sync");
                        http.store(if ws { 2 } else { 1 }, Ordering::SeqCst);
                        if !ws {
                            stats.http_open.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    if up && http.load(Ordering::SeqCst) == 1 {
                        stats.up.http_sent.fetch_add(n as u64, Ordering::SeqCst);
                    }
                    if tx.send((Instant::now(), buf[..n].to_vec())).await.is_err() {
                        break;
                    }
                }
            }
        }
    };
    let write = async {
        let mut counter = FrameCounter::default();
        while let Some((at, chunk)) = rx.recv().await {
            let (when, stalled) = shared.link.lock().unwrap().schedule(up, at, chunk.len());
            if stalled {
                stats.stalls.fetch_add(1, Ordering::SeqCst);
            }
            let Some(when) = when else {
                stats.cuts.fetch_add(1, Ordering::SeqCst);
                shared.cut.send_modify(|g| *g += 1);
                return;
            };
            tokio::time::sleep_until(when.into()).await;
            if to.write_all(&chunk).await.is_err() {
                return;
            }
            let dir = if up { &stats.up } else { &stats.down };
            dir.raw.fetch_add(chunk.len() as u64, Ordering::SeqCst);
            if http.load(Ordering::SeqCst) != 1 {
                counter.feed(&chunk, dir);
            }
            let ns = stats.base.elapsed().as_nanos() as u64;
            stats.last.fetch_max(ns, Ordering::SeqCst);
        }
        let _ = to.shutdown().await;
    };
    tokio::join!(read, write);
}
