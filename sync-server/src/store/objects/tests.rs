//! Photos in object storage against a real S3-compatible server (SeaweedFS): the shared
//! blob suite over both database backends, and what only object storage shows: the
//! object exists before the row, an unreachable store records nothing and loses no
//! byte, and blobs from before the switch still read.

use std::sync::Arc;

use sha2::{Digest, Sha256};
use uuid::Uuid;
use wangge_schema::ScopeCode;

use super::{ObjectBacked, ObjectBlobs};
use crate::store::sqlite::SqliteStore;
use crate::store::testing::{S3Server, TestBucket, TestDatabase, run_blobs_suite, run_relay_suite};
use crate::store::{
    BlobStore, ChunkOutcome, FinishOutcome, NewUpload, RelayStore, StoreError, StoredBlob,
};

const GRID: &str = "110105001001001";

fn grid() -> ScopeCode {
    ScopeCode::parse(GRID).expect("grid code")
}

fn photo(seed: u8, n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8 ^ seed).collect()
}

fn new_upload(bytes: &[u8]) -> NewUpload {
    NewUpload {
        id: Uuid::new_v4(),
        device_id: Uuid::new_v4(),
        sha256: hex::encode(Sha256::digest(bytes)),
        scope: grid(),
        length: bytes.len() as u64,
        complete: false,
    }
}

fn backed(db: impl RelayStore + 'static, objects: &Arc<ObjectBlobs>) -> ObjectBacked {
    ObjectBacked::new(Box::new(db), objects.clone())
}

#[test]
fn photos_in_s3_over_sqlite_pass_the_blobs_and_relay_suites() {
    let bucket = TestBucket::new();
    let objects = bucket.objects();
    let open = || backed(SqliteStore::open_in_memory().expect("open"), &objects);
    run_blobs_suite(|| Box::new(open()));
    run_relay_suite(|| Box::new(open()));
}

#[test]
fn photos_in_s3_over_postgres_pass_the_blobs_suite() {
    let bucket = TestBucket::new();
    let objects = bucket.objects();
    let mut dbs = Vec::new();
    run_blobs_suite(|| {
        let db = TestDatabase::new();
        let store = crate::store::open(db.url()).expect("open");
        dbs.push(db);
        Box::new(ObjectBacked::new(store, objects.clone()))
    });
}

#[test]
fn a_finished_photo_is_an_object_at_its_content_address_and_its_row_holds_no_bytes() {
    let bucket = TestBucket::new();
    let objects = bucket.objects();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("relay.db");
    let mut store = backed(SqliteStore::open(&path).expect("open"), &objects);
    let bytes = photo(7, 300_000);
    let up = new_upload(&bytes);
    store.create_upload(&up, 8).expect("create");
    store.append_upload_chunk(up.id, 0, &bytes).expect("append");
    assert_eq!(
        store.finish_upload(up.id).expect("finish"),
        FinishOutcome::Stored
    );

    assert_eq!(
        objects.key(&up.sha256).expect("key").as_ref(),
        format!(
            "{}photos/{}/{}",
            bucket.config().prefix,
            &up.sha256[..2],
            up.sha256
        )
    );
    assert_eq!(objects.get(&up.sha256).expect("get"), Some(bytes.clone()));
    assert_eq!(
        store.blob_in_scope(&up.sha256, &[grid()]).expect("query"),
        Some(StoredBlob::InObjectStore)
    );
    let conn = rusqlite::Connection::open(&path).expect("open file");
    let (location, stored, chunks): (String, i64, i64) = conn
        .query_row(
            "SELECT location, length(bytes),
                    (SELECT COUNT(*) FROM upload_chunks WHERE upload_id = ?2)
             FROM blobs WHERE sha256 = ?1",
            [up.sha256.as_str(), &up.id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("blob row");
    assert_eq!((location.as_str(), stored, chunks), ("object", 0, 0));
    assert_eq!(
        store.blob_for_scope(&up.sha256, &[grid()]).expect("serve"),
        Some(bytes)
    );
}

#[test]
fn bytes_that_do_not_match_their_hash_never_reach_the_bucket() {
    let bucket = TestBucket::new();
    let objects = bucket.objects();
    let mut store = backed(SqliteStore::open_in_memory().expect("open"), &objects);
    let mut up = new_upload(b"the bytes sent");
    up.sha256 = hex::encode(Sha256::digest(b"the bytes named"));
    store.create_upload(&up, 8).expect("create");
    store
        .append_upload_chunk(up.id, 0, b"the bytes sent")
        .expect("append");
    assert_eq!(
        store.finish_upload(up.id).expect("finish"),
        FinishOutcome::HashMismatch
    );
    assert!(!objects.exists(&up.sha256).expect("head"));
    assert!(
        !objects
            .exists(&hex::encode(Sha256::digest(b"the bytes sent")))
            .expect("head")
    );
}

#[test]
fn an_unreachable_object_store_records_nothing_keeps_the_bytes_and_a_retry_finishes() {
    let server = S3Server::start();
    let objects = Arc::new(ObjectBlobs::connect(&server.config("")).expect("client"));
    let mut store = backed(SqliteStore::open_in_memory().expect("open"), &objects);
    let bytes = photo(9, 200_000);
    let up = new_upload(&bytes);
    store.create_upload(&up, 8).expect("create");
    assert_eq!(
        store.append_upload_chunk(up.id, 0, &bytes).expect("append"),
        ChunkOutcome::Appended(up.length)
    );

    server.kill();
    let started = std::time::Instant::now();
    let err = store.finish_upload(up.id).expect_err("no object store");
    assert!(matches!(err, StoreError::ObjectStore(_)), "{err}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "failed in bounded time, not {:?}",
        started.elapsed()
    );
    assert_eq!(
        store.blob_count().expect("count"),
        0,
        "no row without its object"
    );
    assert_eq!(
        store.blob_for_scope(&up.sha256, &[grid()]).expect("query"),
        None
    );
    let st = store.upload_state(up.id).expect("query").expect("kept");
    assert_eq!(
        (st.offset, st.upload.complete),
        (up.length, false),
        "bytes kept"
    );

    server.restart();
    assert_eq!(
        store.finish_upload(up.id).expect("retry"),
        FinishOutcome::Stored
    );
    assert_eq!(objects.get(&up.sha256).expect("get"), Some(bytes.clone()));
    assert_eq!(
        store.blob_for_scope(&up.sha256, &[grid()]).expect("serve"),
        Some(bytes)
    );

    server.kill();
    assert!(
        matches!(
            store.blob_for_scope(&up.sha256, &[grid()]),
            Err(StoreError::ObjectStore(_))
        ),
        "serving with the store down is a failure, not \"no such photo\""
    );
}

#[test]
fn a_blob_stored_in_the_database_still_serves_after_switching_to_s3() {
    let bucket = TestBucket::new();
    let objects = bucket.objects();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("relay.db");
    let old = photo(3, 50_000);
    let up = new_upload(&old);
    {
        let mut db = SqliteStore::open(&path).expect("open");
        db.create_upload(&up, 8).expect("create");
        db.append_upload_chunk(up.id, 0, &old).expect("append");
        assert_eq!(
            db.finish_upload(up.id).expect("finish"),
            FinishOutcome::Stored
        );
    }
    let mut store = backed(SqliteStore::open(&path).expect("reopen"), &objects);
    assert_eq!(
        store.blob_for_scope(&up.sha256, &[grid()]).expect("serve"),
        Some(old.clone())
    );
    // The same photo again (another device): linked, not stored a second time.
    let again = NewUpload {
        id: Uuid::new_v4(),
        scope: ScopeCode::parse("110105001001002").expect("grid"),
        ..up.clone()
    };
    store.create_upload(&again, 8).expect("create");
    store
        .append_upload_chunk(again.id, 0, &old)
        .expect("append");
    assert_eq!(
        store.finish_upload(again.id).expect("finish"),
        FinishOutcome::Stored
    );
    assert!(
        !objects.exists(&up.sha256).expect("head"),
        "its bytes stay in the database"
    );
    assert_eq!(store.blob_count().expect("count"), 1);
    // A new photo goes to the bucket; both read.
    let new = photo(4, 50_000);
    let up2 = new_upload(&new);
    store.create_upload(&up2, 8).expect("create");
    store.append_upload_chunk(up2.id, 0, &new).expect("append");
    assert_eq!(
        store.finish_upload(up2.id).expect("finish"),
        FinishOutcome::Stored
    );
    assert!(objects.exists(&up2.sha256).expect("head"));
    assert_eq!(
        store.blob_for_scope(&up2.sha256, &[grid()]).expect("serve"),
        Some(new)
    );
    // Switching back to the database cannot serve the bucket's photo: an error, not 404.
    drop(store);
    let db = SqliteStore::open(&path).expect("reopen");
    assert!(matches!(
        db.blob_for_scope(&up2.sha256, &[grid()]),
        Err(StoreError::ObjectStore(_))
    ));
    assert_eq!(
        db.blob_for_scope(&up.sha256, &[grid()]).expect("serve"),
        Some(old)
    );
}
