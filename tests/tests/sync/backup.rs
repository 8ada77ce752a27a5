//! `admin backup` while a member's phone keeps writing, and `admin restore` into a fresh
//! relay: everything acknowledged before the backup began is in it, photos included, and
//! the phone, reconnecting to the restored relay, sends what came after, so nothing is
//! lost. A tampered or damaged backup restores nothing.

use std::time::Duration;

use tokio::time::sleep;
use wangge_core::demo::seed_grid;
use wangge_relay::config::PhotosConfig;
use wangge_relay::store::migrate::backup::{BackupError, backup, manifest_path, restore};

use crate::helpers::*;
use crate::photos::{camera_jpeg, file_report_with};

const WITHIN: Duration = Duration::from_secs(30);

fn free_addr() -> std::net::SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_a_phone_writes_restores_everything_acknowledged_and_the_phone_resends_the_rest()
 {
    let relay = spawn_relay().await;
    let mut a = TestDevice::new(&relay, GRID_A).await;
    a.with(|s| seed_grid(s, &grid_a(), 8, 3)).unwrap();
    let (_, photos) = file_report_with(
        &a,
        &[camera_jpeg(1000, 750, 31, false)],
        &wangge_core::photos::Settings::default(),
    );
    a.start(&relay.url(), fast());
    a.wait_synced(WITHIN).await;
    eventually(WITHIN, "the photo reaches the relay", || {
        relay.store().blob_count().unwrap() == 1
    })
    .await;
    let acknowledged = a.with(view);

    // The phone goes on writing while the backup runs (bounded: 20 households).
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("relay-backup.db");
    let (database, to) = (relay.database.clone(), file.clone());
    let backing_up = std::thread::spawn(move || backup(&database, &to));
    for i in 0..20 {
        a.with(|s| s.create_household(&grid_a(), &flat(&format!("9{i:02}"))))
            .unwrap();
        sleep(Duration::from_millis(15)).await;
    }
    let report = backing_up.join().unwrap().expect("backup");
    assert!(manifest_path(&file).is_file());
    assert_eq!(report.manifest.photos_checked, 1);
    assert!(report.rows("docs").unwrap() > 0);
    a.wait_synced(WITHIN).await;
    let written = a.with(view);
    a.engine = None;
    relay.stop().await;

    // Restored into a fresh file; a relay on it at another address.
    let restored = dir.path().join("restored.db");
    let target = format!("sqlite:{}", restored.display());
    assert!(matches!(
        restore(&file, &format!("sqlite:{}", file.display())),
        Err(BackupError::Exists(_))
    ));
    let back = restore(&file, &target).expect("restore");
    assert_eq!(back.manifest, report.manifest);
    let new = start_relay(&target, PhotosConfig::default(), free_addr()).await;

    // A new phone gets everything acknowledged before the backup, photo included.
    let mut b = TestDevice::new(&new, GRID_A).await;
    b.start(&new.url(), fast());
    eventually(WITHIN, "the new phone has what was acknowledged", || {
        b.with(|s| {
            let have = view(s);
            acknowledged.iter().all(|h| have.contains(h)) && s.has_blob(&photos[0].hash).unwrap()
        })
    })
    .await;
    // The first phone (its token restored too) sends what the backup missed.
    a.restart().await;
    a.start(&new.url(), fast());
    a.wait_synced(WITHIN).await;
    eventually(WITHIN, "the new phone has every household", || {
        b.with(view) == written
    })
    .await;
    new.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_or_damaged_backup_restores_nothing() {
    let relay = spawn_relay().await;
    let mut a = TestDevice::new(&relay, GRID_A).await;
    a.with(|s| seed_grid(s, &grid_a(), 3, 1)).unwrap();
    a.start(&relay.url(), fast());
    a.wait_synced(WITHIN).await;
    a.engine = None;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("b.db");
    backup(&relay.database, &file).expect("backup");
    relay.stop().await;
    let target = dir.path().join("restored.db");
    let url = format!("sqlite:{}", target.display());
    let nothing_left = || {
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .all(|e| !e.file_name().to_string_lossy().starts_with("restored"))
    };

    // A manifest that names other rows.
    let manifest = manifest_path(&file);
    let good = std::fs::read_to_string(&manifest).unwrap();
    let mut m: serde_json::Value = serde_json::from_str(&good).unwrap();
    m["tables"][0]["rows"] = serde_json::json!(999_999);
    std::fs::write(&manifest, m.to_string()).unwrap();
    let e = restore(&file, &url).expect_err("refused");
    assert!(matches!(e, BackupError::Mismatch { .. }), "{e}");
    assert!(nothing_left());

    // No manifest, or one that is not JSON.
    std::fs::write(&manifest, "not json").unwrap();
    let e = restore(&file, &url).expect_err("refused");
    assert!(matches!(e, BackupError::Manifest { .. }), "{e}");
    std::fs::write(&manifest, &good).unwrap();

    // The file cut short.
    let bytes = std::fs::read(&file).unwrap();
    let cut = dir.path().join("cut.db");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    std::fs::copy(&manifest, manifest_path(&cut)).unwrap();
    let e = restore(&cut, &url).expect_err("refused");
    assert!(
        matches!(e, BackupError::Integrity(_) | BackupError::Sqlite(_)),
        "{e}"
    );
    assert!(nothing_left());

    // The intact backup still restores.
    restore(&file, &url).expect("restore");
    assert!(target.is_file());
}
