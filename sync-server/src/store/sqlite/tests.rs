//! The SQLite backend against the shared suites, in memory and on files, and what only a
//! file shows: reopening, and two connections writing at once.

use uuid::Uuid;
use wangge_proto::DocumentId;
use wangge_schema::{DocKind, ScopeCode};

use super::SqliteStore;
use crate::store::testing::{run_accounts_suite, run_blobs_suite, run_docs_suite, run_relay_suite};
use crate::store::{AccountStore, BlobStore, DocRecord, DocStore, NewUpload};

#[test]
fn the_sqlite_backend_passes_every_suite_in_memory() {
    let open = || SqliteStore::open_in_memory().unwrap();
    run_accounts_suite(|| Box::new(open()));
    run_docs_suite(|| Box::new(open()));
    run_blobs_suite(|| Box::new(open()));
    run_relay_suite(|| Box::new(open()));
}

#[test]
fn the_sqlite_backend_passes_every_suite_on_files_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    let mut open = || {
        n += 1;
        SqliteStore::open(&dir.path().join(format!("relay-{n}.db"))).unwrap()
    };
    run_accounts_suite(|| Box::new(open()));
    run_docs_suite(|| Box::new(open()));
    run_blobs_suite(|| Box::new(open()));
    run_relay_suite(|| Box::new(open()));
    assert!(n > 4, "every case had its own file");
    // Migrations are idempotent on reopen.
    let store = SqliteStore::open(&dir.path().join("relay-1.db")).unwrap();
    assert!(store.admin_generation().is_ok());
}

#[test]
fn what_is_stored_in_a_file_survives_reopening_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.db");
    let street = ScopeCode::parse("110105001").unwrap();
    let mut store = SqliteStore::open(&path).unwrap();
    store.add_division(&street, "street").unwrap();
    store.begin_batch().unwrap();
    let doc = DocRecord {
        id: DocumentId::random(),
        scope: street.clone(),
        kind: DocKind::GridIndex,
    };
    store.create_doc(&doc, b"bytes").unwrap();
    store.commit_batch().unwrap();
    drop(store);
    let store = SqliteStore::open(&path).unwrap();
    assert!(store.division_exists(&street).unwrap());
    assert_eq!(store.doc(&doc.id).unwrap(), Some(doc.clone()));
    assert_eq!(store.doc_chunks(&doc.id).unwrap(), vec![b"bytes".to_vec()]);
}

/// Two connections on one file (the hub's and the HTTP side's) writing at once: every
/// read-then-write transaction waits for the other instead of failing with
/// `database is locked`.
#[test]
fn two_connections_writing_at_once_both_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.db");
    drop(SqliteStore::open(&path).unwrap());
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut store = SqliteStore::open(&path).unwrap();
                let device = Uuid::new_v4();
                for _ in 0..150 {
                    let upload = NewUpload {
                        id: Uuid::new_v4(),
                        device_id: device,
                        sha256: "0".repeat(64),
                        scope: ScopeCode::parse("110105001001001").unwrap(),
                        length: 4,
                        complete: false,
                    };
                    store.create_upload(&upload, 8).unwrap();
                    store.append_upload_chunk(upload.id, 0, b"ab").unwrap();
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
}
