use std::io::Write;
use std::sync::{Arc, Mutex};

use wangge_core::*;

use crate::helpers::*;

#[derive(Clone, Default)]
struct LogBuf(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn planted_id_number_and_phone_never_appear_in_clear_on_disk_or_in_logs() {
    let id = id_number("19670704", 35);
    let phone = "13712398765";
    let photo_marker = "PLANTED-PHOTO-MARKER-0451";
    let logs = LogBuf::default();
    // Everything at TRACE except what the app must cap (see LOG_FILTER_PERSONAL_DATA_SAFE).
    // Installed globally: a thread-scoped subscriber misses events under parallel tests.
    let filter = tracing_subscriber::EnvFilter::new(format!(
        "trace,{}",
        wangge_core::LOG_FILTER_PERSONAL_DATA_SAFE
    ));
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer({
            let logs = logs.clone();
            move || logs.clone()
        })
        .with_ansi(false)
        // No timestamps: digits in them could match a short planted number by chance.
        .without_time()
        .finish();
    tracing::subscriber::set_global_default(subscriber)
        .expect("only this test installs a subscriber");

    let t = {
        let mut t = store_as("m1");
        let h = t
            .store
            .create_household(&grid_a(), &flat("9", "1", "903"))
            .unwrap();
        let mut p = person("郑秘密", Relation::Head);
        p.id_number = id.clone();
        p.phone = phone.into();
        let r = t.store.add_resident(h, &p).unwrap();
        t.store
            .record_checks(
                Slot::Morning,
                &[CheckInput {
                    resident: r,
                    temperature: "36.9".into(),
                    method: Method::InPerson,
                }],
            )
            .unwrap();
        t.store
            .put_blob(
                format!("jpeg {photo_marker} bytes").as_bytes(),
                Some(photo_marker.as_bytes()),
            )
            .unwrap();
        let hits = t.store.search_residents(&phone[6..], &[], 5).unwrap();
        assert_eq!(hits.len(), 1);
        let hits = t.store.search_residents("郑秘", &[], 5).unwrap();
        assert_eq!(hits.len(), 1);
        // With the change log and the WAL full of fresh writes:
        let reversed_id: String = id.chars().rev().collect();
        let reversed_phone: String = phone.chars().rev().collect();
        assert_nothing_planted_on_disk(
            &t.path(),
            &[
                id.as_str(),
                phone,
                &reversed_id,
                &reversed_phone,
                "郑秘密",
                photo_marker,
            ],
            true,
        );
        // Compact and reopen, so documents load from snapshots: automerge's load path is
        // where its TRACE events print operation values.
        t.store.compact_all().unwrap();
        let mut t = t.reopen();
        let hh = t.store.households_of_grid(&grid_a()).unwrap();
        assert_eq!(
            t.store.household(hh[0].id).unwrap().residents[0].name,
            "郑秘密"
        );
        t
    };

    let reversed_id: String = id.chars().rev().collect();
    assert_nothing_planted_on_disk(
        &t.path(),
        &[
            id.as_str(),
            phone,
            &reversed_id,
            &phone.chars().rev().collect::<String>(),
            "郑秘密",
            photo_marker,
        ],
        false,
    );
    let logs = logs.0.lock().unwrap().clone();
    assert!(!logs.is_empty(), "the store should have logged something");
    // The queries typed into search (a 5-digit phone tail, part of a name) are not logged either.
    for secret in [
        id.as_str(),
        phone,
        &reversed_id,
        "郑秘密",
        "郑秘",
        &phone[6..],
    ] {
        if let Some(pos) = logs
            .windows(secret.len())
            .position(|w| w == secret.as_bytes())
        {
            let from = pos.saturating_sub(120);
            let line =
                String::from_utf8_lossy(&logs[from..(pos + 40).min(logs.len())]).into_owned();
            panic!(
                "a planted value is in the logs near: {}",
                line.replace(secret, "<PLANTED>")
            );
        }
    }
}

#[test]
fn a_wrong_key_is_refused_clearly_and_the_file_is_untouched() {
    let mut t = store_as("m1");
    let h = t
        .store
        .create_household(&grid_a(), &flat("1", "1", "101"))
        .unwrap();
    t.store
        .add_resident(h, &person("冯一", Relation::Head))
        .unwrap();
    let path = t.path();
    let TestStore {
        store, dir, key, ..
    } = t;
    drop(store);
    let before = std::fs::read(&path).unwrap();

    let err = Store::open(&path, &DbKey::generate(), StoreConfig::default())
        .err()
        .unwrap();
    assert_eq!(err.code(), "wrong_key");
    assert_eq!(std::fs::read(&path).unwrap(), before);

    let mut store = Store::open(&path, &key, StoreConfig::default()).unwrap();
    assert_eq!(store.household(h).unwrap().residents.len(), 1);
    drop(dir);
}

/// No planted value, and no plaintext SQLite header, in the database, its WAL or its SHM.
fn assert_nothing_planted_on_disk(
    db: &std::path::Path,
    secrets: &[&str],
    expect_wal_content: bool,
) {
    let mut files = vec![db.to_path_buf()];
    for suffix in ["-wal", "-shm"] {
        let p = db.with_file_name(format!("wangge.db{suffix}"));
        if p.exists() {
            files.push(p);
        }
    }
    let wal = std::fs::read(db.with_file_name("wangge.db-wal")).unwrap_or_default();
    assert!(
        !expect_wal_content || !wal.is_empty(),
        "expected a WAL with content beside the database"
    );
    assert!(!std::fs::read(db).unwrap().is_empty());
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        for secret in secrets.iter().chain(&["SQLite format 3"]) {
            assert!(
                !contains(&bytes, secret),
                "a planted value is in clear in {}",
                f.display()
            );
        }
    }
}
