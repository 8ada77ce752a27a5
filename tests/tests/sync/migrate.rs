//! A town's relay moved to a city's service: the demo grid with a photo-evidenced report
//! on a SQLite relay, `admin migrate` into PostgreSQL with the photos into an
//! S3-compatible bucket (real servers the tests start), then the same devices keep syncing
//! against the new service with nothing resent beyond what a reconnect needs, and a new
//! device gets everything, photos from the bucket.

use std::time::Duration;

use tokio::time::sleep;
use wangge_core::demo::seed_grid;
use wangge_relay::config::PhotosConfig;
use wangge_relay::store::migrate::migrate;
use wangge_relay::store::testing::{TestBucket, TestDatabase};

use crate::helpers::*;
use crate::photos::{camera_jpeg, file_report_with};
use crate::proxy::{ConnLog, Shaping, ShapingProxy};

const WITHIN: Duration = Duration::from_secs(30);

/// Bytes both ways over the connections from `from` on, and whether any was a photo
/// upload.
fn traffic(conns: &[ConnLog], from: usize) -> (usize, usize, usize) {
    let later = &conns[from.min(conns.len())..];
    (
        later.iter().map(|c| c.up_bytes).sum(),
        later.iter().map(|c| c.down_bytes).sum(),
        later
            .iter()
            .filter(|c| c.first_line.contains("/v1/files"))
            .count(),
    )
}

/// Restarts the device's app and lets it sync through `url` until acknowledged and quiet;
/// returns what it exchanged.
async fn reconnect(
    device: &mut TestDevice,
    url: &str,
    proxy: &ShapingProxy,
) -> (usize, usize, usize) {
    device.restart().await;
    let from = proxy.connections().len();
    device.start(url, fast());
    device.wait_synced(WITHIN).await;
    // Whatever the relay still pushes arrives within this.
    sleep(Duration::from_millis(700)).await;
    traffic(&proxy.connections(), from)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_relay_migrated_to_postgres_and_s3_keeps_its_devices_syncing_without_resending() {
    let old = spawn_relay().await;
    let proxy = ShapingProxy::start(old.addr, Shaping::default()).await;
    let url = format!("http://{}", proxy.addr);

    // The demo grid and a report with two photos, from member A's phone.
    let mut a = TestDevice::new(&old, GRID_A).await;
    a.with(|s| seed_grid(s, &grid_a(), 24, 7)).unwrap();
    let (_, photos) = file_report_with(
        &a,
        &[
            camera_jpeg(1200, 900, 11, false),
            camera_jpeg(900, 1200, 12, false),
        ],
        &wangge_core::photos::Settings::default(),
    );
    a.start(&url, fast());
    a.wait_synced(WITHIN).await;
    eventually(WITHIN, "both photos reach the old relay", || {
        old.store().blob_count().unwrap() == 2
    })
    .await;
    let mut b = TestDevice::new(&old, GRID_A).await;
    b.start(&url, fast());
    let want = a.with(view);
    eventually(WITHIN, "member B has the grid and its photos", || {
        b.with(|s| view(s) == want && photos.iter().all(|p| s.has_blob(&p.hash).unwrap()))
    })
    .await;
    b.wait_synced(WITHIN).await;

    // What a reconnect costs against the old relay: the baseline.
    let before = reconnect(&mut b, &url, &proxy).await;
    a.engine = None;
    b.engine = None;
    let addr = old.addr;
    let from = old.database.clone();
    // Holds the old database file until the end.
    let _files = old.stop_keeping_files().await;
    // A restarted relay holds no document in memory: what a reconnect costs then is what
    // the migration must match.
    let again = start_relay(&from, PhotosConfig::default(), addr).await;
    let restarted = reconnect(&mut b, &url, &proxy).await;
    b.engine = None;
    drop(again.stop_keeping_files().await);

    // The move: PostgreSQL for everything, the photos into the bucket.
    let db = TestDatabase::new();
    let bucket = TestBucket::new();
    let objects = bucket.objects();
    let to = db.url().to_owned();
    let report = std::thread::spawn(move || migrate(&from, &to, Some(&objects), |_, _| {}))
        .join()
        .unwrap()
        .expect("migrate");
    assert_eq!(report.photos_to_objects, 2);
    assert_eq!(report.rows("devices"), Some(2));
    assert!(report.rows("sync_states").unwrap() > 0);

    // The new service answers at the same address (as a DNS name would move).
    let new = start_relay(db.url(), PhotosConfig::in_bucket(bucket.config()), addr).await;
    let after = reconnect(&mut b, &url, &proxy).await;
    eprintln!(
        "member B's reconnect (bytes up/down): {}/{} to the running SQLite relay, {}/{} to it \
         restarted, {}/{} to PostgreSQL + S3 after the migration",
        before.0, before.1, restarted.0, restarted.1, after.0, after.1
    );
    assert_eq!(after.2, 0, "no photo moves on a reconnect");
    // The relay kept its sync state with the device: the same exchange as with the
    // restarted relay, not the grid again (which is tens of kilobytes).
    let slack = |n: usize| n + n / 4 + 2048;
    assert!(after.0 <= slack(restarted.0), "{after:?} vs {restarted:?}");
    assert!(after.1 <= slack(restarted.1), "{after:?} vs {restarted:?}");

    // A's phone: nothing to send again either, photos included.
    let a_after = reconnect(&mut a, &url, &proxy).await;
    assert_eq!(a_after.2, 0, "A uploads no photo again: {a_after:?}");
    assert!(
        a_after.0 <= slack(restarted.0),
        "{a_after:?} vs {restarted:?}"
    );

    // Work goes on: A's new household reaches B through the new service.
    a.with(|s| s.create_household(&grid_a(), &flat("2601")))
        .unwrap();
    let want = a.with(view);
    eventually(
        WITHIN,
        "B gets A's new household via the new service",
        || b.with(view) == want,
    )
    .await;

    // A new phone enrolled with the new service gets the grid and the photos, which now
    // come from the bucket, byte-identical.
    let mut c = TestDevice::new(&new, GRID_A).await;
    c.start(&url, fast());
    eventually(WITHIN, "a new phone has the grid and both photos", || {
        c.with(|s| view(s) == want && photos.iter().all(|p| s.has_blob(&p.hash).unwrap()))
    })
    .await;
    for p in &photos {
        assert_eq!(
            c.with(|s| s.blob(&p.hash)).unwrap(),
            a.with(|s| s.blob(&p.hash)).unwrap()
        );
    }
    new.stop().await;
}
