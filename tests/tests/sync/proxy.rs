//! A TCP proxy on loopback that cuts connections at random byte offsets and delays
//! traffic (seeded), then, after a bounded number of cuts, passes traffic through.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;
use tokio::time::sleep;

/// What the proxy does to the traffic.
#[derive(Debug, Clone, Copy)]
pub struct Faults {
    /// The first this many connections are cut.
    pub cuts: usize,
    /// A cut happens after a random number of bytes in `1..max_bytes`, counted in one
    /// direction (device → relay or relay → device) or in both together: often in the
    /// middle of a WebSocket frame or of the HTTP upgrade.
    pub max_bytes: usize,
    /// Each chunk forwarded waits up to this long (zero: no delay).
    pub max_delay: Duration,
    /// Chunks forwarded are split into up to this many separate writes (1: whole).
    pub max_pieces: usize,
}

impl Faults {
    /// Cuts only, counted over both directions, no delay (the original proxy).
    pub fn cuts_only(cuts: usize, max_bytes: usize) -> Self {
        Self {
            cuts,
            max_bytes,
            max_delay: Duration::ZERO,
            max_pieces: 1,
        }
    }
}

pub struct FaultProxy {
    pub addr: SocketAddr,
    /// Connections the proxy cut.
    pub cuts: Arc<AtomicUsize>,
    /// Connections the proxy accepted.
    pub connections: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Where a connection's byte budget is counted.
#[derive(Debug, Clone, Copy)]
enum Budget {
    /// Device → relay bytes.
    Up(usize),
    /// Relay → device bytes.
    Down(usize),
    /// Both directions together.
    Total(usize),
    /// No cut.
    None,
}

impl FaultProxy {
    /// Proxies to `upstream`, cutting the first `max_cuts` connections after a random
    /// number of bytes (both directions together) in `1..max_bytes`.
    pub async fn start(upstream: SocketAddr, seed: u64, max_cuts: usize, max_bytes: usize) -> Self {
        Self::start_with(upstream, seed, Faults::cuts_only(max_cuts, max_bytes)).await
    }

    /// Proxies to `upstream` with the given faults; `seed` decides every cut and delay.
    pub async fn start_with(upstream: SocketAddr, seed: u64, faults: Faults) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let rng = Arc::new(Mutex::new(StdRng::seed_from_u64(seed)));
        let cuts = Arc::new(AtomicUsize::new(0));
        let connections = Arc::new(AtomicUsize::new(0));
        let (counted, accepted) = (cuts.clone(), connections.clone());
        let task = tokio::spawn(async move {
            while let Ok((down, _)) = listener.accept().await {
                let conns = accepted.fetch_add(1, Ordering::SeqCst) + 1;
                let (budget, up_seed, down_seed) = {
                    let mut rng = rng.lock().await;
                    let budget = if conns <= faults.cuts {
                        let n = rng.random_range(1..faults.max_bytes.max(2));
                        match rng.random_range(0..3) {
                            0 => Budget::Up(n),
                            1 => Budget::Down(n),
                            _ => Budget::Total(n),
                        }
                    } else {
                        Budget::None
                    };
                    (budget, rng.random::<u64>(), rng.random::<u64>())
                };
                let counted = counted.clone();
                tokio::spawn(async move {
                    let Ok(up) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    if pipe(down, up, budget, faults, [up_seed, down_seed]).await {
                        counted.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
        });
        Self {
            addr,
            cuts,
            connections,
            task,
        }
    }

    pub fn cut_count(&self) -> usize {
        self.cuts.load(Ordering::SeqCst)
    }

    pub fn connection_count(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// One direction's byte allowance: its own, or a share of a total.
struct Allowance {
    own: Option<Arc<AtomicUsize>>,
}

impl Allowance {
    fn left(&self) -> usize {
        self.own
            .as_ref()
            .map_or(usize::MAX, |a| a.load(Ordering::SeqCst))
    }

    fn spend(&self, n: usize) {
        if let Some(a) = &self.own {
            // Shared by both directions: never below zero.
            let _ = a.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| {
                Some(v.saturating_sub(n))
            });
        }
    }
}

/// Copies bytes one way, delayed and split; returns `true` when the allowance ran out
/// (the cut), `false` when either side closed.
async fn copy(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    allowance: Allowance,
    faults: Faults,
    seed: u64,
) -> bool {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut buf = vec![0u8; 4096];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => n,
        };
        let pass = n.min(allowance.left());
        let mut sent = 0;
        let pieces = rng.random_range(1..=faults.max_pieces.max(1));
        for i in 0..pieces {
            let end = if i + 1 == pieces {
                pass
            } else {
                rng.random_range(sent..=pass)
            };
            if !faults.max_delay.is_zero() && rng.random_bool(0.5) {
                sleep(faults.max_delay.mul_f64(rng.random_range(0.0..1.0))).await;
            }
            if end > sent {
                if to.write_all(&buf[sent..end]).await.is_err() {
                    return false;
                }
                sent = end;
            }
        }
        allowance.spend(pass);
        if pass < n {
            return true;
        }
    }
}

/// Copies both ways; with a budget, drops both sockets once it is spent (possibly in the
/// middle of a chunk). Returns whether it cut.
async fn pipe(
    down: TcpStream,
    up: TcpStream,
    budget: Budget,
    faults: Faults,
    seeds: [u64; 2],
) -> bool {
    let (dr, dw) = down.into_split();
    let (ur, uw) = up.into_split();
    let counter = |n: usize| Some(Arc::new(AtomicUsize::new(n)));
    let (to_relay, to_device) = match budget {
        Budget::Up(n) => (counter(n), None),
        Budget::Down(n) => (None, counter(n)),
        Budget::Total(n) => {
            let shared = counter(n);
            (shared.clone(), shared)
        }
        Budget::None => (None, None),
    };
    let a = copy(dr, uw, Allowance { own: to_relay }, faults, seeds[0]);
    let b = copy(ur, dw, Allowance { own: to_device }, faults, seeds[1]);
    // Whichever direction ends first ends the connection (both halves drop).
    tokio::select! {
        cut = a => cut,
        cut = b => cut,
    }
}

/// What one connection through a [`ShapingProxy`] carried.
#[derive(Debug, Clone, Default)]
pub struct ConnLog {
    /// The first request line (`PATCH /v1/files/… HTTP/1.1`).
    pub first_line: String,
    /// Bytes from the device to the relay.
    pub up_bytes: usize,
    /// Bytes from the relay to the device.
    pub down_bytes: usize,
    /// HTTP/1.1 requests seen from the device.
    pub requests: usize,
    /// Whether the proxy cut it.
    pub cut: bool,
}

/// How a [`ShapingProxy`] treats connections.
#[derive(Debug, Clone, Default)]
pub struct Shaping {
    /// Cut the first `count` connections whose first request line contains `marker`
    /// once `after` bytes went up: `(marker, count, after)`.
    pub cut: Option<(&'static str, usize, usize)>,
    /// Sleep this long after each read of at most 4 KiB from the device (a slow uplink).
    pub up_delay: Option<std::time::Duration>,
    /// Flip the byte at upstream offset `at` of the first connection whose first request
    /// line contains `marker`: `(marker, at)`.
    pub corrupt: Option<(&'static str, usize)>,
}

/// A proxy on loopback that logs each connection's upstream traffic and cuts or slows
/// chosen connections, by what their first request asks for.
pub struct ShapingProxy {
    pub addr: SocketAddr,
    log: Arc<std::sync::Mutex<Vec<ConnLog>>>,
    task: JoinHandle<()>,
}

impl Drop for ShapingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Counts `" HTTP/1.1\r\n"` (request lines) across reads.
struct RequestCounter {
    tail: Vec<u8>,
}

impl RequestCounter {
    const NEEDLE: &'static [u8] = b" HTTP/1.1\r\n";

    fn feed(&mut self, bytes: &[u8]) -> usize {
        let mut joined = std::mem::take(&mut self.tail);
        joined.extend_from_slice(bytes);
        let n = joined
            .windows(Self::NEEDLE.len())
            .filter(|w| *w == Self::NEEDLE)
            .count();
        let keep = joined.len().min(Self::NEEDLE.len() - 1);
        self.tail = joined[joined.len() - keep..].to_vec();
        n
    }
}

impl ShapingProxy {
    pub async fn start(upstream: SocketAddr, shaping: Shaping) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let log: Arc<std::sync::Mutex<Vec<ConnLog>>> = Arc::default();
        let conns = log.clone();
        let task = tokio::spawn(async move {
            // Shared by the connections: the first to reach the point takes the fault.
            let cuts_left = Arc::new(AtomicUsize::new(shaping.cut.map_or(0, |(_, n, _)| n)));
            let corrupt_left = Arc::new(std::sync::atomic::AtomicBool::new(
                shaping.corrupt.is_some(),
            ));
            while let Ok((mut down, _)) = listener.accept().await {
                // The first request line says what the connection is for.
                let mut first = vec![];
                let mut buf = [0u8; 4096];
                while !first.windows(2).any(|w| w == b"\r\n") && first.len() < 8192 {
                    match down.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => first.extend_from_slice(&buf[..n]),
                    }
                }
                let line_end = first
                    .windows(2)
                    .position(|w| w == b"\r\n")
                    .unwrap_or(first.len());
                let first_line = String::from_utf8_lossy(&first[..line_end]).into_owned();
                let cut_after = match shaping.cut {
                    Some((marker, _, after)) if first_line.contains(marker) => {
                        Some((after, cuts_left.clone()))
                    }
                    _ => None,
                };
                let corrupt = match shaping.corrupt {
                    Some((marker, at)) if first_line.contains(marker) => {
                        Some((at, corrupt_left.clone()))
                    }
                    _ => None,
                };
                let index = {
                    let mut log = conns.lock().unwrap();
                    log.push(ConnLog {
                        first_line,
                        ..ConnLog::default()
                    });
                    log.len() - 1
                };
                let conns = conns.clone();
                let up_delay = shaping.up_delay;
                tokio::spawn(async move {
                    let Ok(up) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let faults = ConnFaults {
                        cut_after,
                        up_delay,
                        corrupt,
                    };
                    shape(down, up, first, faults, &conns, index).await;
                });
            }
        });
        Self { addr, log, task }
    }

    /// Every connection so far, in the order they were accepted.
    pub fn connections(&self) -> Vec<ConnLog> {
        self.log.lock().unwrap().clone()
    }
}

/// What may happen to one connection's upstream bytes: a cut once `after` bytes went up
/// and a flipped byte at offset `at`, each only while its shared count lasts.
struct ConnFaults {
    cut_after: Option<(usize, Arc<AtomicUsize>)>,
    up_delay: Option<std::time::Duration>,
    corrupt: Option<(usize, Arc<std::sync::atomic::AtomicBool>)>,
}

async fn shape(
    down: TcpStream,
    up: TcpStream,
    first: Vec<u8>,
    faults: ConnFaults,
    log: &std::sync::Mutex<Vec<ConnLog>>,
    index: usize,
) {
    let ConnFaults {
        cut_after,
        up_delay,
        corrupt,
    } = faults;
    let (mut dr, mut dw) = down.into_split();
    let (mut ur, mut uw) = up.into_split();
    let upward = async {
        // Bytes that may pass before the cut point.
        let mut left = cut_after.as_ref().map_or(usize::MAX, |(after, _)| *after);
        let mut counter = RequestCounter { tail: vec![] };
        let mut pending = first;
        let mut pos = 0usize;
        let mut buf = vec![0u8; 4096];
        loop {
            if pending.is_empty() {
                if let Some(d) = up_delay {
                    tokio::time::sleep(d).await;
                }
                match dr.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => pending.extend_from_slice(&buf[..n]),
                }
            }
            let pass = pending.len().min(left);
            if let Some((at, flag)) = &corrupt
                && (pos..pos + pass).contains(at)
                && flag.swap(false, Ordering::SeqCst)
            {
                pending[at - pos] ^= 0xff;
            }
            if uw.write_all(&pending[..pass]).await.is_err() {
                return;
            }
            left -= pass;
            pos += pass;
            let mut log = log.lock().unwrap();
            let entry = &mut log[index];
            entry.up_bytes += pass;
            entry.requests += counter.feed(&pending[..pass]);
            if left == 0 {
                if let Some((_, cuts)) = &cut_after
                    && cuts
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok()
                {
                    entry.cut = true;
                    return;
                }
                // Another connection took the cut: pass the rest untouched.
                left = usize::MAX;
            }
            drop(log);
            pending.drain(..pass);
        }
    };
    let downward = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match ur.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if dw.write_all(&buf[..n]).await.is_err() {
                return;
            }
            log.lock().unwrap()[index].down_bytes += n;
        }
    };
    // Whichever direction ends first ends the connection (both halves drop).
    tokio::select! {
        () = upward => {}
        () = downward => {}
    }
}
