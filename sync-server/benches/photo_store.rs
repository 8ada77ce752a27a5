//! Photo upload throughput: bytes in the database next to bytes in S3 (SeaweedFS on
//! loopback), in the same run.
//!
//! `cargo bench -p wangge-relay --bench photo_store` stores `WANGGE_BENCH_PHOTOS` (20)
//! photos of `WANGGE_BENCH_PHOTO_BYTES` (2 MB) through the relay's store, as the tus
//! handlers drive it: create the upload, append it in 256 KiB chunks (each its own
//! transaction, as each PATCH is), finish it (verify, and for S3 PUT the object, then
//! record the row). Both stores are a SQLite file with `synchronous = FULL`; the S3 one
//! keeps the bytes in a SeaweedFS server the bench starts (`weed` on PATH, as the tests
//! find it). `WANGGE_BENCH_ROUNDS` (5) rounds alternate the two stores, each round with
//! fresh photos (so nothing is deduplicated); the bench prints each store's median
//! upload MB/s and ms per photo, and the median time to read the round's photos back.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use uuid::Uuid;
use wangge_relay::ScopeCode;
use wangge_relay::store::objects::ObjectBacked;
use wangge_relay::store::sqlite::SqliteStore;
use wangge_relay::store::testing::TestBucket;
use wangge_relay::store::{FinishOutcome, NewUpload, RelayStore};

const GRID: &str = "110105001001001";
const CHUNK: usize = 256 * 1024;

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `n` bytes that differ per `(round, i)` and do not compress to nothing.
fn photo(round: usize, i: usize, n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n + 32);
    let mut block = Sha256::digest(format!("{round}/{i}").as_bytes()).to_vec();
    while out.len() < n {
        block = Sha256::digest(&block).to_vec();
        out.extend_from_slice(&block);
    }
    out.truncate(n);
    out
}

/// Uploads `photos` as the tus handlers do; returns the time taken.
fn upload_all(store: &mut dyn RelayStore, photos: &[Vec<u8>]) -> Duration {
    let scope = ScopeCode::parse(GRID).unwrap();
    let device = Uuid::new_v4();
    let started = Instant::now();
    for bytes in photos {
        let up = NewUpload {
            id: Uuid::new_v4(),
            device_id: device,
            sha256: hex::encode(Sha256::digest(bytes)),
            scope: scope.clone(),
            length: bytes.len() as u64,
            complete: false,
        };
        store.create_upload(&up, 8).unwrap();
        let mut at = 0;
        for chunk in bytes.chunks(CHUNK) {
            store.append_upload_chunk(up.id, at, chunk).unwrap();
            at += chunk.len() as u64;
        }
        assert_eq!(store.finish_upload(up.id).unwrap(), FinishOutcome::Stored);
    }
    started.elapsed()
}

/// Reads `photos` back as `GET /v1/blobs/{sha256}` does; returns the time taken.
fn read_all(store: &dyn RelayStore, photos: &[Vec<u8>]) -> Duration {
    let scopes = [ScopeCode::parse(GRID).unwrap()];
    let started = Instant::now();
    for bytes in photos {
        let sha = hex::encode(Sha256::digest(bytes));
        let got = store.blob_for_scope(&sha, &scopes).unwrap().unwrap();
        assert_eq!(got.len(), bytes.len());
    }
    started.elapsed()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let n = env_num("WANGGE_BENCH_PHOTOS", 20);
    let size = env_num("WANGGE_BENCH_PHOTO_BYTES", 2 * 1024 * 1024);
    let rounds = env_num("WANGGE_BENCH_ROUNDS", 5).max(1);
    let dir = tempfile::tempdir().unwrap();
    let bucket = TestBucket::new();
    let mut database: Box<dyn RelayStore> =
        Box::new(SqliteStore::open(&dir.path().join("database.db")).unwrap());
    let mut s3: Box<dyn RelayStore> = Box::new(ObjectBacked::new(
        Box::new(SqliteStore::open(&dir.path().join("s3.db")).unwrap()),
        bucket.objects(),
    ));
    println!(
        "photo_store: {n} photos of {size} bytes per round, {rounds} rounds, {} KiB chunks",
        CHUNK / 1024
    );
    let (mut db_up, mut db_read, mut s3_up, mut s3_read) = (vec![], vec![], vec![], vec![]);
    for round in 0..rounds {
        let photos: Vec<Vec<u8>> = (0..n).map(|i| photo(round, i, size)).collect();
        // Alternate which goes first, so neither always runs on a warmer machine.
        let order: [bool; 2] = if round % 2 == 0 {
            [false, true]
        } else {
            [true, false]
        };
        for in_s3 in order {
            let store = if in_s3 { &mut s3 } else { &mut database };
            let up = upload_all(store.as_mut(), &photos);
            let read = read_all(store.as_ref(), &photos);
            if in_s3 {
                s3_up.push(up);
                s3_read.push(read);
            } else {
                db_up.push(up);
                db_read.push(read);
            }
        }
    }
    let mb = (n * size) as f64 / 1e6;
    for (name, up, read) in [
        ("database (SQLite)", db_up, db_read),
        ("S3 (SeaweedFS) + SQLite", s3_up, s3_read),
    ] {
        let (up, read) = (median(up), median(read));
        println!(
            "{name:<24} upload {:>7.1} MB/s ({:>6.1} ms/photo)   read back {:>7.1} MB/s ({:>6.1} ms/photo)",
            mb / up.as_secs_f64(),
            up.as_secs_f64() * 1e3 / n as f64,
            mb / read.as_secs_f64(),
            read.as_secs_f64() * 1e3 / n as f64,
        );
    }
}
