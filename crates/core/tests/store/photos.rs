use std::sync::Mutex;

use sha2::{Digest, Sha256};
use wangge_core::photos::{Settings, add_photo};
use wangge_core::*;

use crate::helpers::*;

/// A real camera-like JPEG: a gradient with detail, made in the test.
fn camera_jpeg(w: u32, h: u32) -> Vec<u8> {
    let mut rgb = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            rgb.extend([
                (x * 255 / w) as u8,
                (y * 255 / h) as u8,
                ((x ^ y) & 0xff) as u8,
            ]);
        }
    }
    let mut out = vec![];
    jpeg_encoder::Encoder::new(&mut out, 90)
        .encode(&rgb, w as u16, h as u16, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

fn blob_count(t: &Mutex<Store>) -> i64 {
    let s = t.lock().unwrap();
    s.blob_count().unwrap()
}

#[test]
fn a_camera_photo_becomes_stored_evidence_with_a_thumbnail_once() {
    let t = store_as("m1");
    let store = Mutex::new(t.store);
    let jpeg = camera_jpeg(2400, 1800);
    let seen = Mutex::new(vec![]);
    let p = add_photo(&store, &jpeg, &Settings::default(), &|pr| {
        seen.lock().unwrap().push(pr.stage)
    })
    .unwrap();
    assert!(p.new);
    assert_eq!((p.width, p.height), (1600, 1200));
    assert!(!seen.lock().unwrap().is_empty(), "progress was reported");
    let s = store.lock().unwrap();
    let evidence = s.blob(&p.hash).unwrap();
    assert_eq!(hex::encode(Sha256::digest(&evidence)), p.hash);
    assert_eq!(&evidence[..2], b"\xff\xd8");
    let thumb = s.thumbnail(&p.hash).unwrap();
    let mut dec = jpeg_decoder::Decoder::new(&thumb[..]);
    dec.read_info().unwrap();
    let info = dec.info().unwrap();
    assert_eq!(info.width.max(info.height), 320);
    drop(s);
    let again = add_photo(&store, &jpeg, &Settings::default(), &|_| {}).unwrap();
    assert_eq!(again.hash, p.hash);
    assert!(!again.new);
    assert_eq!(blob_count(&store), 1);
}

#[test]
fn a_refused_photo_changes_nothing_in_the_store() {
    let t = store_as("m1");
    let store = Mutex::new(t.store);
    add_photo(
        &store,
        &camera_jpeg(640, 480),
        &Settings::default(),
        &|_| {},
    )
    .unwrap();
    let jpeg = camera_jpeg(800, 600);
    for (bytes, code) in [
        (vec![], "empty_file"),
        (jpeg[..jpeg.len() / 3].to_vec(), "truncated_image"),
        (b"%PDF-1.7 not a photo".to_vec(), "not_an_image"),
    ] {
        let e = add_photo(&store, &bytes, &Settings::default(), &|_| {}).unwrap_err();
        assert_eq!(e.code(), code);
    }
    assert_eq!(blob_count(&store), 1);
}

fn report_with(photos: Vec<String>) -> ReportInput {
    ReportInput {
        category: Category::SafetyHazard,
        severity: Severity::Minor,
        place: "2栋楼道".into(),
        gps: None,
        description: "楼道堆放杂物".into(),
        photos,
    }
}

#[test]
fn filing_a_report_queues_its_photos_and_other_devices_list_them_to_fetch() {
    let a = store_as("m1");
    let a_store = Mutex::new(a.store);
    let p1 = add_photo(
        &a_store,
        &camera_jpeg(800, 600),
        &Settings::default(),
        &|_| {},
    )
    .unwrap();
    let p2 = add_photo(
        &a_store,
        &camera_jpeg(640, 480),
        &Settings::default(),
        &|_| {},
    )
    .unwrap();
    let mut a_store = a_store.into_inner().unwrap();
    // A photo alone is not queued: only a filed report sends it.
    assert!(a_store.uploads_pending().unwrap().is_empty());
    a_store
        .file_report(
            &grid_a(),
            &report_with(vec![p1.hash.clone(), p2.hash.clone()]),
        )
        .unwrap();
    let jobs = a_store.uploads_pending().unwrap();
    assert_eq!(jobs.len(), 2);
    assert!(
        jobs.iter()
            .all(|j| j.scope == grid_a().as_str() && j.url.is_none() && j.sent == 0)
    );
    let backlog = a_store.upload_backlog().unwrap();
    assert_eq!(backlog.photos, 2);
    assert_eq!(backlog.bytes, (p1.size + p2.size) as u64);
    // A second report with the same photo queues nothing more.
    a_store
        .file_report(&grid_a(), &report_with(vec![p1.hash.clone()]))
        .unwrap();
    assert_eq!(a_store.uploads_pending().unwrap().len(), 2);

    // Progress survives a restart; done leaves the queue.
    a_store
        .set_upload_progress(&p1.hash, grid_a().as_str(), Some("/v1/files/x"), 1000)
        .unwrap();
    let a = TestStore {
        store: a_store,
        ..a
    }
    .reopen();
    let mut a_store = a.store;
    let (job, state) = a_store
        .upload_job(&p1.hash, grid_a().as_str())
        .unwrap()
        .unwrap();
    assert_eq!(
        (job.url.as_deref(), job.sent, state.as_str()),
        (Some("/v1/files/x"), 1000, "queued")
    );
    assert_eq!(
        a_store.upload_backlog().unwrap().bytes,
        (p1.size + p2.size) as u64 - 1000
    );
    a_store.finish_upload(&p1.hash, grid_a().as_str()).unwrap();
    a_store
        .refuse_upload(&p2.hash, grid_a().as_str(), "scope_forbidden")
        .unwrap();
    assert!(a_store.uploads_pending().unwrap().is_empty());
    assert_eq!(a_store.upload_backlog().unwrap().photos, 0);
    assert!(
        a_store.photos_to_fetch().unwrap().is_empty(),
        "the author holds its photos"
    );

    // Another device gets the reports (not the photos): both are on its download list,
    // nothing on its upload queue; a verified download takes one off.
    let mut b = store_as("m2");
    sync_into(&mut a_store, &mut b.store);
    let mut want = vec![p1.hash.clone(), p2.hash.clone()];
    want.sort();
    assert_eq!(b.store.photos_to_fetch().unwrap(), want);
    assert!(b.store.uploads_pending().unwrap().is_empty());
    let bytes = a_store.blob(&p1.hash).unwrap();
    assert!(b.store.put_blob_verified(&p2.hash, &bytes, None).is_err());
    b.store
        .put_blob_verified(&p1.hash, &bytes, Some(b"thumb"))
        .unwrap();
    assert_eq!(b.store.photos_to_fetch().unwrap(), vec![p2.hash.clone()]);
    assert_eq!(b.store.thumbnail(&p1.hash).unwrap(), b"thumb");
}

#[test]
fn a_store_from_before_photo_transfers_queues_the_photos_of_its_reports_on_open() {
    let t = store_as("m1");
    let store = Mutex::new(t.store);
    let p = add_photo(
        &store,
        &camera_jpeg(640, 480),
        &Settings::default(),
        &|_| {},
    )
    .unwrap();
    let mut s = store.into_inner().unwrap();
    s.file_report(&grid_a(), &report_with(vec![p.hash.clone()]))
        .unwrap();
    let path = s.path().to_owned();
    let cfg = s.config().clone();
    drop(s);
    // Take the file back to schema 3, as an older build left it.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(&format!(
            "PRAGMA key = \"x'{}'\"; {}
             DROP TABLE report_photos; DROP TABLE photo_uploads;
             ALTER TABLE checks ADD COLUMN household_id BLOB;
             ALTER TABLE docs DROP COLUMN retired;
             PRAGMA user_version = 3;",
            hex::encode(t.key.as_bytes()),
            drop_tables_after(6)
        ))
        .unwrap();
    }
    let s = Store::open(&path, &t.key, cfg).unwrap();
    let jobs = s.uploads_pending().unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(
        (jobs[0].hash.as_str(), jobs[0].scope.as_str(), jobs[0].size),
        (p.hash.as_str(), grid_a().as_str(), p.size as u64)
    );
    assert!(s.photos_to_fetch().unwrap().is_empty());
}
