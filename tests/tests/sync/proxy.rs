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
