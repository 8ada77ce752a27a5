//! A TCP proxy on loopback that cuts connections at random byte offsets (seeded), then,
//! after a bounded number of cuts, passes traffic through untouched.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

pub struct FaultProxy {
    pub addr: SocketAddr,
    pub cuts: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// Proxies to `upstream`, cutting the first `max_cuts` connections after a random
    /// number of bytes (both directions together) in `1..max_bytes`.
    pub async fn start(upstream: SocketAddr, seed: u64, max_cuts: usize, max_bytes: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let rng = Arc::new(Mutex::new(StdRng::seed_from_u64(seed)));
        let cuts = Arc::new(AtomicUsize::new(0));
        let counted = cuts.clone();
        let task = tokio::spawn(async move {
            let mut conns = 0usize;
            while let Ok((down, _)) = listener.accept().await {
                conns += 1;
                let budget = if conns <= max_cuts {
                    Some(rng.lock().await.random_range(1..max_bytes))
                } else {
                    None
                };
                let counted = counted.clone();
                tokio::spawn(async move {
                    let Ok(up) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    if pipe(down, up, budget).await {
                        counted.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
        });
        Self { addr, cuts, task }
    }
}

/// Copies both ways; with a budget, drops both sockets once that many bytes passed.
/// Returns whether it cut.
async fn pipe(down: TcpStream, up: TcpStream, budget: Option<usize>) -> bool {
    let (mut dr, mut dw) = down.into_split();
    let (mut ur, mut uw) = up.into_split();
    let left = Arc::new(AtomicUsize::new(budget.unwrap_or(usize::MAX)));
    let l1 = left.clone();
    let a = async move {
        let mut buf = vec![0u8; 4096];
        loop {
            let n = match dr.read(&mut buf).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => n,
            };
            let have = l1.load(Ordering::SeqCst);
            let pass = n.min(have);
            if uw.write_all(&buf[..pass]).await.is_err() {
                return false;
            }
            l1.fetch_sub(pass, Ordering::SeqCst);
            if pass < n {
                return true;
            }
        }
    };
    let b = async move {
        let mut buf = vec![0u8; 4096];
        loop {
            let n = match ur.read(&mut buf).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => n,
            };
            let have = left.load(Ordering::SeqCst);
            let pass = n.min(have);
            if dw.write_all(&buf[..pass]).await.is_err() {
                return false;
            }
            left.fetch_sub(pass, Ordering::SeqCst);
            if pass < n {
                return true;
            }
        }
    };
    // Whichever direction ends first ends the connection (both halves drop).
    tokio::select! {
        cut = a => cut,
        cut = b => cut,
    }
}
