//! Report photos between devices: tus uploads from the author's engine (resumed after a
//! cut link and after an app restart), verified downloads on the grid's other devices,
//! and nothing for a device outside the grid.

use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::time::{Instant, sleep, timeout};
use wangge_core::photos::{PhotoRef, Settings, add_photo};
use wangge_core::sync::SyncStatus;
use wangge_core::*;
use wangge_relay::admin;

use crate::helpers::*;
use crate::proxy::{ConnLog, Shaping, ShapingProxy};
pub(crate) use wangge_tests::camera_jpeg;

const WITHIN: Duration = Duration::from_secs(20);

/// Default upload chunk of the engine.
const CHUNK: usize = 64 * 1024;

/// Evidence kept large (no size cap, high quality): about 650 KB, ten chunks, from a
/// noisy photo.
fn large_evidence() -> Settings {
    Settings {
        max_output_bytes: None,
        quality: 92,
        max_long_side: 1000,
        ..Settings::default()
    }
}

/// Adds the photos through the photo pipeline and files a report with them.
pub(crate) fn file_report_with(
    device: &TestDevice,
    photos: &[Vec<u8>],
    settings: &Settings,
) -> (ReportId, Vec<PhotoRef>) {
    let refs: Vec<PhotoRef> = photos
        .iter()
        .map(|p| add_photo(&device.store, p, settings, &|_| {}).unwrap())
        .collect();
    let input = ReportInput {
        category: Category::SafetyHazard,
        severity: Severity::Minor,
        place: "3栋2单元楼道".into(),
        gps: None,
        description: "楼道堆放杂物,堵塞消防通道".into(),
        photos: refs.iter().map(|r| r.hash.clone()).collect(),
    };
    let id = device.with(|s| s.file_report(&grid_a(), &input)).unwrap();
    (id, refs)
}

fn status(device: &TestDevice) -> SyncStatus {
    device.engine.as_ref().unwrap().status().borrow().clone()
}

/// Waits until the device's status satisfies `cond`.
async fn wait_status(device: &TestDevice, what: &str, cond: impl Fn(&SyncStatus) -> bool) {
    let mut rx = device.engine.as_ref().unwrap().status();
    let deadline = Instant::now() + WITHIN;
    loop {
        if cond(&rx.borrow_and_update()) {
            return;
        }
        let left = deadline
            .checked_duration_since(Instant::now())
            .unwrap_or_else(|| panic!("timed out waiting for {what}: {:?}", *rx.borrow()));
        let _ = timeout(left, rx.changed()).await;
    }
}

/// A new member device of grid A fetches the photos: byte-identical to the author's,
/// matching their hashes, each with a thumbnail.
async fn another_member_gets(
    relay: &TestRelay,
    author: &TestDevice,
    photos: &[PhotoRef],
) -> TestDevice {
    let mut b = TestDevice::new(relay, GRID_A).await;
    b.start(&relay.url(), fast());
    eventually(WITHIN, "the other member has every photo", || {
        b.with(|s| photos.iter().all(|p| s.has_blob(&p.hash).unwrap()))
    })
    .await;
    for p in photos {
        let got = b.with(|s| s.blob(&p.hash)).unwrap();
        assert_eq!(got, author.with(|s| s.blob(&p.hash)).unwrap());
        assert_eq!(hex::encode(Sha256::digest(&got)), p.hash);
        let thumb = b.with(|s| s.thumbnail(&p.hash)).unwrap();
        let mut dec = jpeg_decoder::Decoder::new(&thumb[..]);
        dec.read_info().unwrap();
        let info = dec.info().unwrap();
        assert_eq!(info.width.max(info.height), 320);
    }
    wait_status(&b, "nothing left to fetch", |s| s.photos_to_fetch == 0).await;
    b
}

fn upload_conns(conns: &[ConnLog]) -> Vec<ConnLog> {
    conns
        .iter()
        .filter(|c| c.first_line.contains(" /v1/files"))
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reports_photos_reach_another_member_of_the_grid_byte_identical() {
    let relay = spawn_relay().await;
    let mut a = TestDevice::new(&relay, GRID_A).await;
    let (report, photos) = file_report_with(
        &a,
        &[
            camera_jpeg(1200, 900, 1, false),
            camera_jpeg(900, 1200, 2, false),
        ],
        &Settings::default(),
    );
    let queued = a.with(|s| s.upload_backlog()).unwrap();
    assert_eq!(queued.photos, 2);
    assert_eq!(
        queued.bytes,
        photos.iter().map(|p| p.size as u64).sum::<u64>()
    );

    a.start(&relay.url(), fast());
    a.wait_synced(WITHIN).await;
    let st = status(&a);
    assert_eq!((st.photos_pending, st.photo_bytes_pending), (0, 0));
    assert_eq!(st.photo_progress, None);
    assert_eq!(relay.store().blob_count().unwrap(), 2);

    let b = another_member_gets(&relay, &a, &photos).await;
    // The report as the other member reads it names the same photos.
    let (r, _) = b.with(|s| s.report(report)).unwrap();
    let mut want: Vec<String> = photos.iter().map(|p| p.hash.clone()).collect();
    want.sort();
    assert_eq!(r.photos.into_iter().collect::<Vec<_>>(), want);
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_cut_in_the_middle_resumes_from_the_relays_offset() {
    let relay = spawn_relay().await;
    let mut a = TestDevice::new(&relay, GRID_A).await;
    let (_, photos) = file_report_with(&a, &[camera_jpeg(1000, 750, 3, true)], &large_evidence());
    let size = photos[0].size;
    assert!(
        size > 8 * CHUNK,
        "the photo spans many chunks ({size} bytes)"
    );
    let after = size * 6 / 10;
    let proxy = ShapingProxy::start(
        relay.addr,
        Shaping {
            cut: Some(("/v1/files", 1, after)),
            ..Shaping::default()
        },
    )
    .await;
    a.start(&format!("http://{}", proxy.addr), fast());
    a.wait_synced(WITHIN).await;

    let files = upload_conns(&proxy.connections());
    let cut = files
        .iter()
        .position(|c| c.cut)
        .expect("an upload connection was cut");
    assert_eq!(files[cut].up_bytes, after);
    let resumed = &files[cut + 1..];
    assert!(
        resumed[0].first_line.starts_with("HEAD /v1/files/"),
        "a resume asks the relay first: {}",
        resumed[0].first_line
    );
    let bytes: usize = resumed.iter().map(|c| c.up_bytes).sum();
    let requests: usize = resumed.iter().map(|c| c.requests).sum();
    eprintln!(
        "photo of {size} bytes cut after {after} bytes up; the resume sent {bytes} bytes in \
         {requests} requests over {} connection(s)",
        resumed.len()
    );
    // The relay lacked at least what never got through, and at most that plus the chunk
    // cut in the middle; request heads are small. One more chunk is allowed for a
    // transient relay refusal on the way (the relay's SQLite can answer "database is
    // locked" under concurrent writes; the engine then resumes again).
    assert!(bytes >= size - after, "{bytes} < {}", size - after);
    assert!(
        bytes <= size - after + 2 * CHUNK + 8 * 1024,
        "the resume sent {bytes} of {size} bytes: it started over"
    );
    assert_eq!(relay.store().blob_count().unwrap(), 1);
    another_member_gets(&relay, &a, &photos).await;
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunk_damaged_on_the_way_is_refused_and_sent_again_alone() {
    let relay = spawn_relay().await;
    let mut a = TestDevice::new(&relay, GRID_A).await;
    let (_, photos) = file_report_with(&a, &[camera_jpeg(1000, 750, 7, true)], &large_evidence());
    let size = photos[0].size;
    // Inside the second chunk's body (after the creation request and the first chunk).
    let proxy = ShapingProxy::start(
        relay.addr,
        Shaping {
            corrupt: Some(("/v1/files", CHUNK + CHUNK / 2)),
            ..Shaping::default()
        },
    )
    .await;
    a.start(&format!("http://{}", proxy.addr), fast());
    a.wait_synced(WITHIN).await;
    let files = upload_conns(&proxy.connections());
    let chunks = size.div_ceil(CHUNK);
    let requests: usize = files.iter().map(|c| c.requests).sum();
    let bytes: usize = files.iter().map(|c| c.up_bytes).sum();
    eprintln!("damaged chunk: {requests} requests, {bytes} bytes for {chunks} chunks");
    // The creation, every chunk, and the damaged one once more (plus, rarely, a request
    // repeated after a transient relay refusal: then a resume adds a HEAD too).
    assert!(
        (chunks + 2..=chunks + 4).contains(&requests),
        "{requests} requests for {chunks} chunks: {files:?}"
    );
    assert!(bytes >= size + CHUNK, "the damaged chunk went again");
    assert!(
        bytes < size + 2 * CHUNK + 8 * 1024,
        "{bytes} bytes for {size}"
    );
    another_member_gets(&relay, &a, &photos).await;
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_interrupted_by_an_app_restart_continues_where_the_relay_stands() {
    let relay = spawn_relay().await;
    let mut a = TestDevice::new(&relay, GRID_A).await;
    let (_, photos) = file_report_with(&a, &[camera_jpeg(1000, 750, 4, true)], &large_evidence());
    let (hash, size) = (photos[0].hash.clone(), photos[0].size as u64);
    // A slow uplink (at most 4 KiB per 3 ms), so the upload is caught in the middle.
    let proxy = ShapingProxy::start(
        relay.addr,
        Shaping {
            up_delay: Some(Duration::from_millis(3)),
            ..Shaping::default()
        },
    )
    .await;
    let url = format!("http://{}", proxy.addr);
    a.start(&url, fast());
    wait_status(&a, "the upload is under way", |s| {
        s.photo_progress
            .is_some_and(|(sent, total)| sent >= total * 4 / 10)
    })
    .await;
    a.restart().await;

    let (saved, state) = a.with(|s| s.upload_job(&hash, GRID_A)).unwrap().unwrap();
    assert_eq!(state, "queued");
    assert!(saved.url.is_some(), "the upload URL survived the restart");
    assert!(saved.sent >= size * 4 / 10, "saved offset {}", saved.sent);
    let seen = proxy.connections().len();

    a.start(&url, fast());
    a.wait_synced(WITHIN).await;
    let files = upload_conns(&proxy.connections()[seen..]);
    assert!(files[0].first_line.starts_with("HEAD /v1/files/"));
    let bytes: u64 = files.iter().map(|c| c.up_bytes as u64).sum();
    eprintln!(
        "photo of {size} bytes, {} saved before the restart; after it {bytes} bytes in {} \
         requests",
        saved.sent,
        files.iter().map(|c| c.requests).sum::<usize>()
    );
    // The device's saved offset never runs ahead of the relay's (one more chunk is
    // allowed for a transient relay refusal on the way).
    assert!(
        bytes <= size - saved.sent + CHUNK as u64 + 8 * 1024,
        "after the restart {bytes} of {size} bytes went up: it started over"
    );
    let (done, state) = a.with(|s| s.upload_job(&hash, GRID_A)).unwrap().unwrap();
    assert_eq!(state, "done");
    assert_eq!(done.url, saved.url, "the same upload was completed");
    another_member_gets(&relay, &a, &photos).await;
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_of_another_grid_never_gets_the_photos_and_retries_sparingly() {
    let relay = spawn_relay().await;
    admin::add_grid(relay.store().as_mut(), GRID_B, "grid").unwrap();
    let mut a = TestDevice::new(&relay, GRID_A).await;
    let (report, photos) = file_report_with(
        &a,
        &[
            camera_jpeg(800, 600, 5, false),
            camera_jpeg(600, 800, 6, false),
        ],
        &Settings::default(),
    );
    a.start(&relay.url(), fast());
    a.wait_synced(WITHIN).await;

    // A device of grid B holds grid A's report (as a leaked or forged document would):
    // it references photos the relay has, in a scope the device cannot read.
    let mut c = TestDevice::new(&relay, GRID_B).await;
    let id = DocumentId::from_uuid(report.0);
    let changes = a.with(|s| s.doc_changes(&id)).unwrap();
    c.with(|s| s.apply_changes(&id, &changes)).unwrap();
    assert_eq!(c.with(|s| s.photos_to_fetch()).unwrap().len(), 2);

    let proxy = ShapingProxy::start(relay.addr, Shaping::default()).await;
    c.start(&format!("http://{}", proxy.addr), fast());
    c.wait_synced(WITHIN).await;
    wait_status(&c, "both photos reported unavailable", |s| {
        s.photos_unavailable == 2
    })
    .await;
    let watched = Duration::from_secs(3);
    sleep(watched).await;

    let st = status(&c);
    assert_eq!((st.photos_to_fetch, st.photos_unavailable), (2, 2));
    assert!(
        st.synced,
        "photos it cannot fetch do not hold sync back: {st:?}"
    );
    assert_eq!(st.last_error, None, "a 404 is not an error: {st:?}");
    for p in &photos {
        assert!(!c.with(|s| s.has_blob(&p.hash)).unwrap());
    }
    let gets: usize = proxy
        .connections()
        .iter()
        .filter(|c| c.first_line.starts_with("GET /v1/blobs/"))
        .map(|c| c.requests)
        .sum();
    eprintln!("out-of-scope photos: {gets} requests in about {watched:?} and the run-up");
    // With backoff 20 ms doubling to 500 ms (half to full, jittered), two photos cost at
    // most about 2 × (7 + 4 s / 250 ms) requests.
    assert!((2..=50).contains(&gets), "{gets} requests for two photos");
    relay.stop().await;
}
