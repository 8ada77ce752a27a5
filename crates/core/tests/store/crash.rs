//! Crash safety: a child process writes records in a loop, printing each after its commit,
//! and is killed with SIGKILL at random moments. Every printed record must survive.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use wangge_core::*;

use crate::helpers::*;

const CHILD_ENV: &str = "WANGGE_CRASH_CHILD";

/// The writer. Runs only when the parent test starts this binary with `CHILD_ENV` set.
#[test]
fn crash_child_writer() {
    let Ok(arg) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (path, key) = arg.split_once('|').unwrap();
    let cfg = StoreConfig {
        member: "crash".into(),
        ..Default::default()
    }; // synchronous = FULL
    let mut store = Store::open(
        std::path::Path::new(path),
        &DbKey::from_hex(key).unwrap(),
        cfg,
    )
    .unwrap();
    let grid = grid_a();
    let mut household = None;
    for i in 0u32.. {
        if i % 8 == 0 {
            household = Some(
                store
                    .create_household(&grid, &flat(&format!("{}", i / 8 + 1), "1", "101"))
                    .unwrap(),
            );
            println!("H {}", household.unwrap());
        }
        let h = household.unwrap();
        let r = store
            .add_resident(h, &person(&format!("测试{i}"), Relation::Other))
            .unwrap();
        println!("R {r}");
        let slot = if i % 2 == 0 {
            Slot::Morning
        } else {
            Slot::Afternoon
        };
        store
            .record_checks(
                slot,
                &[CheckInput {
                    resident: r,
                    temperature: "36.5".into(),
                    method: Method::InPerson,
                }],
            )
            .unwrap();
        println!("C {r}");
    }
}

#[test]
fn every_record_printed_as_committed_survives_sigkill() {
    let seed: u64 = std::env::var("WANGGE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("crash test seed {seed} (replay with WANGGE_CRASH_SEED={seed})");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    let key = DbKey::generate();
    let exe = std::env::current_exe().unwrap();
    let mut committed: Vec<(char, String)> = vec![];
    let deadline = Instant::now() + Duration::from_secs(90);
    let rounds = 12;
    let mut kills_mid_write = 0;
    for round in 0..rounds {
        if Instant::now() > deadline {
            panic!("crash test ran out of time after {round} rounds (seed {seed})");
        }
        let mut child = Command::new(&exe)
            .args([
                "crash::crash_child_writer",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, format!("{}|{}", path.display(), hex_key(&key)))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Wait for the child to be writing, then kill it at a random moment.
        let first = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("child never committed");
        let mut lines = vec![first];
        std::thread::sleep(Duration::from_millis(rng.random_range(5..250)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        lines.extend(rx.try_iter());
        kills_mid_write += 1;
        for l in lines {
            if let Some((k, id)) = l.split_once(' ')
                && let Some(k) = k.chars().next().filter(|c| "HRC".contains(*c))
            {
                committed.push((k, id.to_owned()));
            }
        }

        let mut store = Store::open(
            &path,
            &key,
            StoreConfig {
                member: "crash".into(),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            store.integrity_check().unwrap(),
            "ok",
            "round {round}, seed {seed}"
        );
        let households = store.households_of_grid(&grid_a()).unwrap();
        for (kind, id) in &committed {
            match kind {
                'H' => assert!(
                    households.iter().any(|h| h.id.to_string() == *id),
                    "household lost (seed {seed})"
                ),
                'R' => {
                    let hid = store
                        .household_of(id.parse().unwrap())
                        .unwrap_or_else(|_| panic!("resident lost (seed {seed})"));
                    assert!(
                        store
                            .household(hid)
                            .unwrap()
                            .residents
                            .iter()
                            .any(|r| r.id.to_string() == *id)
                    );
                }
                _ => {
                    let rid: ResidentId = id.parse().unwrap();
                    // The child runs on the system clock: look at today and yesterday.
                    let today = store.today();
                    let found = [today, today.pred_opt().unwrap()].iter().any(|d| {
                        store
                            .checks_of_day(&grid_a(), *d)
                            .unwrap()
                            .iter()
                            .any(|c| c.resident == rid)
                    });
                    assert!(found, "check lost (seed {seed})");
                }
            }
        }
    }
    assert_eq!(kills_mid_write, rounds);
    assert!(
        committed.len() > rounds,
        "children committed too little to test anything"
    );
    eprintln!(
        "{} committed records survived {rounds} SIGKILLs",
        committed.len()
    );
}

fn hex_key(k: &DbKey) -> String {
    k.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
}
