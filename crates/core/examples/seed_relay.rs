//! Seeds a relay with a demo grid of invented residents: enrolls a seeding device with a
//! one-time code, seeds its encrypted store with `wangge_core::demo::seed_grid`, syncs it
//! up through the sync engine until the relay has acknowledged every document, and exits.
//!
//! Usage: `cargo run -p wangge-core --example seed_relay -- <relay-url> <code> <dir>
//! [households]` (the grid is the enrolled member's first grid; default 40 households).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wangge_core::sync::{SyncEngine, enroll};
use wangge_core::{DbKey, Store, StoreConfig};

const SYNC_TIMEOUT: Duration = Duration::from_secs(120);

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: seed_relay <relay-url> <enrollment-code> <dir> [households]";
    let relay = args.next().ok_or(usage)?;
    let code = args.next().ok_or(usage)?;
    let dir = PathBuf::from(args.next().ok_or(usage)?);
    let households: usize = match args.next() {
        Some(n) => n.parse().map_err(|_| usage)?,
        None => 40,
    };
    std::fs::create_dir_all(&dir)?;
    let enrolled = enroll(&relay, &code).await?;
    let grid = enrolled
        .scopes
        .first()
        .and_then(|s| s.grid())
        .ok_or("the member has no grid")?;
    let key = DbKey::load_or_create_file(&dir.join("seed.key"))?;
    let cfg = StoreConfig {
        member: enrolled.user_id.to_string(),
        ..Default::default()
    };
    let mut store = Store::open(&dir.join("seed.db"), &key, cfg)?;
    let seeded = wangge_core::demo::seed_grid(&mut store, &grid, households, 7)?;
    println!(
        "seeded grid {grid}: {} households, {} residents",
        seeded.households.len(),
        seeded.residents.len()
    );
    let store = Arc::new(Mutex::new(store));
    let engine = SyncEngine::spawn(store, &relay, &enrolled.token, &enrolled.peer_id);
    engine.nudge();
    let mut status = engine.status();
    let wait = async {
        loop {
            {
                let s = status.borrow_and_update();
                if s.synced && s.docs_pending == 0 {
                    return;
                }
            }
            if status.changed().await.is_err() {
                return;
            }
        }
    };
    if tokio::time::timeout(SYNC_TIMEOUT, wait).await.is_err() {
        let s = status.borrow().clone();
        engine.stop();
        return Err(format!(
            "not synced within {}s: {} documents pending, last error {:?}",
            SYNC_TIMEOUT.as_secs(),
            s.docs_pending,
            s.last_error
        )
        .into());
    }
    println!("synced with {relay}");
    engine.stop();
    Ok(())
}
