//! The first stores a process opens, opened by several threads at once (the app's
//! commands and its sync task at start-up): every one opens.
//!
//! SQLite counts itself initialised before SQLCipher's own initialisation (its
//! `SQLITE_EXTRA_INIT`) has finished, so a thread opening its first connection meanwhile
//! used to get a codec that refused `PRAGMA key`. It takes a fresh process to see, so the
//! test runs this binary again as a child, many times.

use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};

use wangge_core::*;

const CHILD_ENV: &str = "WANGGE_FIRST_OPEN_CHILD";
const THREADS: usize = 8;
const PROCESSES: usize = 12;

/// The child. Runs only when the parent test starts this binary with `CHILD_ENV` set:
/// `THREADS` threads open a fresh store each, released at once; one line per thread.
#[test]
fn first_open_child() {
    if std::env::var(CHILD_ENV).is_err() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let start = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|i| {
            let path = dir.path().join(format!("s{i}.db"));
            let start = start.clone();
            std::thread::spawn(move || {
                let key = DbKey::generate();
                start.wait();
                // Staggered by tens of microseconds, so some threads arrive while the
                // first is still initialising.
                std::thread::sleep(std::time::Duration::from_micros(40 * i as u64));
                match Store::open(&path, &key, StoreConfig::default()) {
                    Ok(_) => "open".to_owned(),
                    Err(e) => format!("failed: {e}"),
                }
            })
        })
        .collect();
    for t in threads {
        println!("STORE {}", t.join().unwrap());
    }
}

#[test]
fn stores_opened_at_once_by_a_fresh_process_all_open() {
    let exe = std::env::current_exe().unwrap();
    let mut failures = Vec::new();
    let mut opened = 0;
    for _ in 0..PROCESSES {
        let out = Command::new(&exe)
            .args([
                "first_open::first_open_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, "1")
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        // The first line shares libtest's "test … " line.
        for line in stdout
            .lines()
            .filter_map(|l| l.split_once("STORE ").map(|(_, r)| r))
        {
            if line == "open" {
                opened += 1;
            } else {
                failures.push(line.to_owned());
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} first opens failed: {:?}",
        failures.len(),
        THREADS * PROCESSES,
        &failures[..failures.len().min(3)]
    );
    assert_eq!(opened, THREADS * PROCESSES, "every child thread reported");
}
