//! Photos in S3-compatible object storage (`[photos] store = "s3"`), through the real
//! relay's tus endpoints, against a real SeaweedFS server the tests start.

use std::sync::Arc;

use wangge_relay::ScopeCode;
use wangge_relay::store::StoredBlob;
use wangge_relay::store::objects::ObjectBlobs;
use wangge_relay::store::testing::{S3Server, TestBucket, TestDatabase};

use crate::helpers::*;
use crate::uploads::{Tus, len, photo, sha_hex};

fn grid_a() -> ScopeCode {
    ScopeCode::parse(GRID_A).unwrap()
}

/// Runs a blocking call (the object store client, the test server) off the runtime.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_uploaded_through_the_relay_is_an_object_in_s3_and_served_back_identical() {
    let bucket = blocking(TestBucket::new).await;
    let relay = spawn_relay_with_s3(bucket.config()).await;
    let dev = relay.device("member", &[GRID_A]).await;
    let tus = Tus::new(&relay, &dev);
    let bytes = photo(11, 1_000_000);
    let sha = sha_hex(&bytes);
    let created = tus.create(len(&bytes), &sha, GRID_A).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let loc = created.header("location").unwrap().to_owned();
    for (from, to) in [(0, 400_000), (400_000, 800_000), (800_000, 1_000_000)] {
        let r = tus.patch(&loc, len(&bytes[..from]), &bytes[from..to]).await;
        assert_eq!(
            (r.status, r.offset()),
            (204, Some(to as u64)),
            "{}",
            r.text()
        );
    }

    // Straight from SeaweedFS, not through the relay.
    let objects = bucket.objects();
    let key = objects.key(&sha).unwrap();
    assert_eq!(
        key.as_ref(),
        format!("{}photos/{}/{sha}", bucket.config().prefix, &sha[..2])
    );
    let direct = blocking({
        let (objects, sha) = (objects.clone(), sha.clone());
        move || objects.get(&sha).unwrap()
    })
    .await;
    assert!(
        direct.as_deref() == Some(bytes.as_slice()),
        "the object holds the photo"
    );
    // The database has the row, not the bytes.
    let row = relay.with_store(|s| s.blob_in_scope(&sha, &[grid_a()]).unwrap());
    assert_eq!(row, Some(StoredBlob::InObjectStore));

    let got = tus.get(&sha).await;
    assert_eq!(got.status, 200);
    assert!(got.body == bytes, "served back byte for byte");
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finish_while_s3_is_down_is_retryable_and_completes_later_without_resending() {
    let server = Arc::new(blocking(S3Server::start).await);
    let relay = spawn_relay_with_s3(&server.config("")).await;
    let dev = relay.device("member", &[GRID_A]).await;
    let tus = Tus::new(&relay, &dev);
    // Two photos, each sent up to its last chunk while the object store is up.
    let mut uploads = Vec::new();
    for seed in [21, 22] {
        let bytes = photo(seed, 600_000);
        let sha = sha_hex(&bytes);
        let created = tus.create(len(&bytes), &sha, GRID_A).await;
        assert_eq!(created.status, 201, "{}", created.text());
        let loc = created.header("location").unwrap().to_owned();
        let r = tus.patch(&loc, 0, &bytes[..400_000]).await;
        assert_eq!((r.status, r.offset()), (204, Some(400_000)));
        uploads.push((bytes, sha, loc));
    }

    blocking({
        let server = server.clone();
        move || server.kill()
    })
    .await;
    for (bytes, sha, loc) in &uploads {
        let r = tus.patch(loc, 400_000, &bytes[400_000..]).await;
        assert_eq!(r.status, 503, "retryable: {}", r.text());
        assert!(r.header("retry-after").is_some(), "says when to retry");
        assert!(r.text().contains("storage_unavailable"), "{}", r.text());
        // Nothing is served, and nothing is recorded, while the object is missing.
        assert_eq!(tus.get(sha).await.status, 404);
        assert!(relay.with_store(|s| s.blob_linked(sha, &grid_a()).unwrap().is_none()));
        // The bytes stay: the upload is fully received, not finished.
        let st = relay.with_store(|s| s.upload_state(uuid_of(loc)).unwrap().unwrap());
        assert_eq!((st.offset, st.upload.complete), (600_000, false));
        let h = tus.head(loc).await;
        assert_eq!(h.status, 503, "HEAD tries to finish it, and says try again");
    }
    assert_eq!(relay.with_store(|s| s.blob_count().unwrap()), 0);

    blocking({
        let server = server.clone();
        move || server.restart()
    })
    .await;
    // The first resumes as the device does, with a HEAD: it finishes, no byte re-sent.
    let (bytes, sha, loc) = &uploads[0];
    let h = tus.head(loc).await;
    assert_eq!((h.status, h.offset()), (200, Some(600_000)), "{}", h.text());
    let got = tus.get(sha).await;
    assert_eq!(got.status, 200);
    assert!(got.body == *bytes);
    // The second sends its last chunk again: finished, and told the relay has it all.
    let (bytes, sha, loc) = &uploads[1];
    let r = tus.patch(loc, 400_000, &bytes[400_000..]).await;
    assert_eq!((r.status, r.offset()), (409, Some(600_000)), "{}", r.text());
    let r = tus.patch(loc, 600_000, b"").await;
    assert_eq!((r.status, r.offset()), (204, Some(600_000)), "{}", r.text());
    let got = tus.get(sha).await;
    assert_eq!(got.status, 200);
    assert!(got.body == *bytes);
    assert_eq!(relay.with_store(|s| s.blob_count().unwrap()), 2);

    // The object store down when serving: 503, not "no such photo".
    blocking({
        let server = server.clone();
        move || server.kill()
    })
    .await;
    assert_eq!(tus.get(sha).await.status, 503);
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_stored_in_the_database_still_serves_after_the_relay_switches_to_s3() {
    let bucket = blocking(TestBucket::new).await;
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("relay.db").display());
    let relay = start_relay(&database).await;
    relay.seed();
    let dev = relay.device("member", &[GRID_A]).await;
    let old = photo(31, 200_000);
    let r = Tus::new(&relay, &dev).upload(&old, GRID_A).await;
    assert_eq!(r.status, 204, "{}", r.text());
    relay.stop().await;

    let relay = start_relay_with_photos(&database, photos_in(bucket.config())).await;
    let tus = Tus::new(&relay, &dev);
    let got = tus.get(&sha_hex(&old)).await;
    assert_eq!(got.status, 200);
    assert!(
        got.body == old,
        "the database's bytes, served by the S3 relay"
    );
    let new = photo(32, 200_000);
    let r = tus.upload(&new, GRID_A).await;
    assert_eq!(r.status, 204, "{}", r.text());
    let got = tus.get(&sha_hex(&new)).await;
    assert!(got.status == 200 && got.body == new);
    let objects: Arc<ObjectBlobs> = bucket.objects();
    let (old_sha, new_sha) = (sha_hex(&old), sha_hex(&new));
    let (old_there, new_there) = blocking(move || {
        (
            objects.exists(&old_sha).unwrap(),
            objects.exists(&new_sha).unwrap(),
        )
    })
    .await;
    assert!(!old_there, "the old photo is not copied");
    assert!(new_there, "the new photo is in the bucket");
    relay.stop().await;
}

fn uuid_of(location: &str) -> uuid::Uuid {
    uuid::Uuid::parse_str(location.rsplit('/').next().unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_begun_on_one_instance_finishes_on_another_after_the_first_is_gone() {
    let bucket = blocking(TestBucket::new).await;
    let db = blocking(TestDatabase::new).await;
    let first = start_relay_with_photos(db.url(), photos_in(bucket.config())).await;
    first.seed();
    let dev = first.device("member", &[GRID_A]).await;
    let bytes = photo(41, 500_000);
    let sha = sha_hex(&bytes);
    let tus = Tus::new(&first, &dev);
    let created = tus.create(len(&bytes), &sha, GRID_A).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let loc = created.header("location").unwrap().to_owned();
    let r = tus.patch(&loc, 0, &bytes[..300_000]).await;
    assert_eq!((r.status, r.offset()), (204, Some(300_000)));
    first.stop().await;

    // Another instance on the same PostgreSQL database and bucket takes over.
    let second = start_relay_with_photos(db.url(), photos_in(bucket.config())).await;
    let tus = Tus::new(&second, &dev);
    let h = tus.head(&loc).await;
    assert_eq!(
        (h.status, h.offset()),
        (200, Some(300_000)),
        "the staged part is shared"
    );
    let r = tus.patch(&loc, 300_000, &bytes[300_000..]).await;
    assert_eq!((r.status, r.offset()), (204, Some(500_000)), "{}", r.text());
    let got = tus.get(&sha).await;
    assert_eq!(got.status, 200);
    assert!(got.body == bytes);
    let objects = bucket.objects();
    let there = blocking(move || objects.exists(&sha).unwrap()).await;
    assert!(there, "the photo is an object in the bucket");
    second.stop().await;
}
