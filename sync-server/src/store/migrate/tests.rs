//! The migration from a relay's SQLite file into a real PostgreSQL server (and photos into
//! a real S3-compatible one, SeaweedFS): everything a running relay reads afterwards is
//! what it read before; a target that is not empty, a damaged photo or an unknown table
//! stop it with the target left empty.

use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use uuid::Uuid;
use wangge_proto::DocumentId;
use wangge_schema::{DocKind, Role, ScopeCode};

use super::{MigrateError, MigrateReport, migrate};
use crate::store::objects::ObjectBlobs;
use crate::store::sqlite::SqliteStore;
use crate::store::testing::{TestBucket, TestDatabase};
use crate::store::{
    ChunkOutcome, DocRecord, FinishOutcome, NewDevice, NewUpload, RelayStore, StoredBlob,
    open_with_photos,
};

const GRID: &str = "110105001001001";

fn code(s: &str) -> ScopeCode {
    ScopeCode::parse(s).expect("code")
}

fn photo(seed: u8, n: usize) -> Vec<u8> {
    (0..n).map(|i| ((i * 7) % 251) as u8 ^ seed).collect()
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What the source holds, to compare the target with.
struct Seeded {
    member: Uuid,
    token_hash: String,
    revoked: Uuid,
    docs: Vec<DocumentId>,
    device: Uuid,
    photos: Vec<Vec<u8>>,
    /// An upload with its first half received.
    partial: (Uuid, Vec<u8>),
}

/// A relay database as a town's relay leaves it: accounts, devices (one revoked), an
/// unused code, documents with several chunks (one compacted), sync states, an admin
/// change, two finished photos (one linked to a second scope) and an upload under way.
fn seed(store: &mut dyn RelayStore) -> Seeded {
    for (c, n) in [
        ("110105", "朝阳区"),
        ("110105001", "建外街道"),
        ("110105001001", "幸福社区"),
    ] {
        store.add_division(&code(c), n).expect("division");
    }
    store.add_grid(&code(GRID), "第一网格").expect("grid");
    let member = store
        .add_user("测试网格员", Role::Member, &[code(GRID)])
        .expect("user");
    let centre = store
        .add_user("测试中心", Role::Centre, &[code("110105")])
        .expect("user");
    store
        .add_enrollment_code(member, "code-used", i64::MAX)
        .expect("code");
    store
        .add_enrollment_code(centre, "code-unused", 4_000_000_000)
        .expect("code");
    let device = NewDevice {
        device_id: Uuid::new_v4(),
        token_hash: "token-hash-member".into(),
        label: "测试手机".into(),
    };
    store
        .redeem_enrollment_code("code-used", 10, &device)
        .expect("redeem")
        .expect("redeemable");
    store
        .add_enrollment_code(member, "code-second", i64::MAX)
        .expect("code");
    let revoked = NewDevice {
        device_id: Uuid::new_v4(),
        token_hash: "token-hash-old-phone".into(),
        label: "旧手机".into(),
    };
    store
        .redeem_enrollment_code("code-second", 10, &revoked)
        .expect("redeem")
        .expect("redeemable");
    assert!(store.revoke_device(revoked.device_id).expect("revoke"));

    let mut docs = vec![];
    for (i, kind) in [DocKind::Household, DocKind::GridIndex, DocKind::Checks]
        .into_iter()
        .enumerate()
    {
        let rec = DocRecord {
            id: DocumentId::random(),
            scope: code(GRID),
            kind,
        };
        store.create_doc(&rec, &[i as u8; 40]).expect("create");
        for n in 0..3u8 {
            store.append_changes(&rec, &[n; 100]).expect("append");
        }
        docs.push(rec.id);
    }
    store
        .compact_doc(&docs[0], b"snapshot", 2)
        .expect("compact");
    store
        .put_sync_states(
            device.device_id,
            &docs
                .iter()
                .map(|d| (*d, b"sync-state".to_vec()))
                .collect::<Vec<_>>(),
        )
        .expect("sync states");
    store.record_admin_change(&docs[..1]).expect("admin change");

    let photos = vec![photo(1, 70_000), photo(2, 130_000)];
    for p in &photos {
        let up = NewUpload {
            id: Uuid::new_v4(),
            device_id: device.device_id,
            sha256: sha(p),
            scope: code(GRID),
            length: p.len() as u64,
            complete: false,
        };
        store.create_upload(&up, 8).expect("upload");
        for (i, part) in p.chunks(64 * 1024).enumerate() {
            let at = (i * 64 * 1024) as u64;
            assert!(matches!(
                store.append_upload_chunk(up.id, at, part).expect("chunk"),
                ChunkOutcome::Appended(_)
            ));
        }
        assert_eq!(
            store.finish_upload(up.id).expect("finish"),
            FinishOutcome::Stored
        );
    }
    assert!(
        store
            .link_blob_scope(&sha(&photos[0]), &code("110105001001"))
            .expect("link")
    );
    let rest = photo(3, 100_000);
    let partial = NewUpload {
        id: Uuid::new_v4(),
        device_id: device.device_id,
        sha256: sha(&rest),
        scope: code(GRID),
        length: rest.len() as u64,
        complete: false,
    };
    store.create_upload(&partial, 8).expect("upload");
    store
        .append_upload_chunk(partial.id, 0, &rest[..50_000])
        .expect("chunk");
    Seeded {
        member,
        token_hash: device.token_hash,
        revoked: revoked.device_id,
        docs,
        device: device.device_id,
        photos,
        partial: (partial.id, rest),
    }
}

fn seeded_file(dir: &Path) -> (String, Seeded) {
    let path = dir.join("relay.db");
    let mut store = SqliteStore::open(&path).expect("open");
    let seeded = seed(&mut store);
    (format!("sqlite:{}", path.display()), seeded)
}

/// Everything the relay reads from a store, as one comparable value.
fn reads(store: &dyn RelayStore, s: &Seeded) -> String {
    let mut out = String::new();
    let auth = store.authenticate(&s.token_hash).expect("auth");
    out += &format!("auth {:?}\n", auth.map(|a| (a.device_id, a.user)));
    out += &format!("revoked {:?}\n", store.device(s.revoked).expect("device"));
    out += &format!("user {:?}\n", store.user(s.member).expect("user"));
    out += &format!(
        "grid {} division {}\n",
        store.grid_exists(&code(GRID)).expect("grid"),
        store.division_exists(&code("110105001")).expect("division")
    );
    out += &format!(
        "generation {} changes {:?}\n",
        store.admin_generation().expect("generation"),
        store.admin_changes_since(0).expect("changes")
    );
    out += &format!(
        "under {:?}\n",
        store.docs_under(&[code(GRID)], 100).expect("under")
    );
    for d in &s.docs {
        out += &format!(
            "doc {d} {:?} state {:?}\n",
            store.doc_chunks_after(d, -1).expect("chunks"),
            store.sync_state(s.device, d).expect("state")
        );
    }
    out += &format!("blobs {}\n", store.blob_count().expect("count"));
    for p in &s.photos {
        let h = sha(p);
        out += &format!(
            "photo {h} {:?} {:?} {}\n",
            store.blob_linked(&h, &code(GRID)).expect("linked"),
            store
                .blob_linked(&h, &code("110105001001"))
                .expect("linked"),
            store
                .blob_for_scope(&h, &[code(GRID)])
                .expect("bytes")
                .as_deref()
                == Some(&p[..])
        );
    }
    out += &format!(
        "partial {:?}\n",
        store.upload_state(s.partial.0).expect("state")
    );
    out
}

fn counts(report: &MigrateReport) -> Vec<(&str, u64)> {
    report.tables.iter().map(|t| (t.name, t.rows)).collect()
}

#[test]
fn every_row_moves_to_postgres_and_s3_and_the_relay_reads_the_same_afterwards() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (from, s) = seeded_file(dir.path());
    let before = {
        let store = crate::store::open(&from).expect("open");
        reads(store.as_ref(), &s)
    };
    let db = TestDatabase::new();
    let bucket = TestBucket::new();
    let objects = bucket.objects();
    let mut heard = vec![];
    let report = migrate(&from, db.url(), Some(&objects), |t, n| {
        heard.push((t.to_owned(), n))
    })
    .expect("migrate");
    assert_eq!(
        heard,
        counts(&report)
            .into_iter()
            .map(|(t, n)| (t.to_owned(), n))
            .collect::<Vec<_>>()
    );
    assert_eq!(report.rows("users"), Some(2));
    assert_eq!(report.rows("devices"), Some(2));
    assert_eq!(report.rows("enrollment_codes"), Some(3));
    assert_eq!(report.rows("docs"), Some(3));
    // 4 chunks each, the first document's first three compacted into one.
    assert_eq!(report.rows("doc_chunks"), Some(2 + 4 + 4));
    assert_eq!(report.rows("sync_states"), Some(3));
    assert_eq!(report.rows("blobs"), Some(2));
    assert_eq!(report.rows("blob_scopes"), Some(3));
    assert_eq!(report.rows("uploads"), Some(3));
    assert_eq!(report.rows("upload_chunks"), Some(1));
    assert_eq!(report.admin_generation, 2);
    assert_eq!(report.photos_to_objects, 2);
    assert_eq!(report.photo_bytes, 200_000);

    // The new service (PostgreSQL + the bucket) reads exactly what the old one did.
    let mut target = open_with_photos(db.url(), Some(&objects)).expect("open target");
    assert_eq!(reads(target.as_ref(), &s), before);
    // The photos' bytes are in the bucket, not in the database.
    for p in &s.photos {
        assert_eq!(objects.get(&sha(p)).expect("get").as_deref(), Some(&p[..]));
        assert_eq!(
            crate::store::open(db.url())
                .expect("open")
                .blob_in_scope(&sha(p), &[code(GRID)])
                .expect("blob"),
            Some(StoredBlob::InObjectStore)
        );
    }
    // The upload under way resumes against the new service and ends in the bucket.
    let (id, rest) = &s.partial;
    assert_eq!(
        target
            .append_upload_chunk(*id, 50_000, &rest[50_000..])
            .expect("chunk"),
        ChunkOutcome::Appended(rest.len() as u64)
    );
    assert_eq!(
        target.finish_upload(*id).expect("finish"),
        FinishOutcome::Stored
    );
    assert_eq!(
        objects.get(&sha(rest)).expect("get").as_deref(),
        Some(&rest[..])
    );
    // Devices keep working: the next chunk of a document numbers on.
    let rec = target.doc(&s.docs[1]).expect("doc").expect("exists");
    assert_eq!(target.append_changes(&rec, b"after").expect("append"), 4);
}

#[test]
fn without_object_storage_the_photos_stay_in_the_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (from, s) = seeded_file(dir.path());
    let before = reads(crate::store::open(&from).expect("open").as_ref(), &s);
    let db = TestDatabase::new();
    let report = migrate(&from, db.url(), None, |_, _| {}).expect("migrate");
    assert_eq!(report.photos_to_objects, 0);
    let target = crate::store::open(db.url()).expect("open");
    assert_eq!(reads(target.as_ref(), &s), before);
    assert!(matches!(
        target
            .blob_in_scope(&sha(&s.photos[0]), &[code(GRID)])
            .expect("blob"),
        Some(StoredBlob::Bytes(_))
    ));
}

fn target_rows(db: &TestDatabase) -> i64 {
    let mut c = db.client();
    super::TABLES
        .iter()
        .map(|t| {
            c.query_one(&format!("SELECT count(*) FROM {}", t.name), &[])
                .expect("count")
                .get::<_, i64>(0)
        })
        .sum()
}

#[test]
fn a_target_that_holds_data_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (from, _) = seeded_file(dir.path());
    let db = TestDatabase::new();
    {
        let mut other = crate::store::open(db.url()).expect("open");
        other
            .add_division(&code("110105"), "朝阳区")
            .expect("division");
    }
    let err = migrate(&from, db.url(), None, |_, _| {}).expect_err("refused");
    assert!(matches!(err, MigrateError::TargetNotEmpty(_)), "{err}");
    assert!(err.to_string().contains("divisions: 1 rows"), "{err}");
    assert_eq!(target_rows(&db), 1);
    // A second run into a migrated database is refused the same way.
    let fresh = TestDatabase::new();
    migrate(&from, fresh.url(), None, |_, _| {}).expect("migrate");
    let again = migrate(&from, fresh.url(), None, |_, _| {}).expect_err("refused");
    assert!(matches!(again, MigrateError::TargetNotEmpty(_)), "{again}");
}

#[test]
fn a_damaged_photo_stops_the_migration_with_nothing_committed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (from, s) = seeded_file(dir.path());
    let conn = rusqlite::Connection::open(dir.path().join("relay.db")).expect("open");
    conn.execute(
        "UPDATE blobs SET bytes = zeroblob(size) WHERE sha256 = ?1",
        [sha(&s.photos[1])],
    )
    .expect("damage");
    drop(conn);
    let db = TestDatabase::new();
    let bucket = TestBucket::new();
    let objects: Arc<ObjectBlobs> = bucket.objects();
    let err = migrate(&from, db.url(), Some(&objects), |_, _| {}).expect_err("refused");
    match &err {
        MigrateError::DamagedPhoto { sha256 } => assert_eq!(sha256, &sha(&s.photos[1])),
        other => panic!("{other}"),
    }
    assert_eq!(target_rows(&db), 0);
    // The source is unchanged: the relay still serves the good photo from it.
    let source = crate::store::open(&from).expect("open");
    assert_eq!(
        source
            .blob_for_scope(&sha(&s.photos[0]), &[code(GRID)])
            .expect("bytes")
            .as_deref(),
        Some(&s.photos[0][..])
    );
}

#[test]
fn a_table_this_version_does_not_know_stops_it_before_anything_is_copied() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (from, _) = seeded_file(dir.path());
    let conn = rusqlite::Connection::open(dir.path().join("relay.db")).expect("open");
    conn.execute_batch("CREATE TABLE notices (id TEXT PRIMARY KEY)")
        .expect("table");
    drop(conn);
    let db = TestDatabase::new();
    let err = migrate(&from, db.url(), None, |_, _| {}).expect_err("refused");
    assert!(
        matches!(&err, MigrateError::UnknownTable { side: "source", table } if table == "notices"),
        "{err}"
    );
    assert_eq!(target_rows(&db), 0);
}

#[test]
fn every_table_of_both_schemas_is_migrated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("relay.db");
    drop(SqliteStore::open(&path).expect("open"));
    let conn = rusqlite::Connection::open(&path).expect("open");
    super::check_source_tables(&conn).expect("every SQLite table known");
    let db = TestDatabase::new();
    drop(crate::store::open(db.url()).expect("open"));
    super::check_target_tables(&mut db.client()).expect("every PostgreSQL table known");
}

#[test]
fn wrong_urls_are_explained() {
    let db = TestDatabase::new();
    for (from, to, want) in [
        ("postgres://x/y", db.url(), "--from must be a sqlite:PATH"),
        ("sqlite::memory:", db.url(), "--from must be a sqlite:PATH"),
        ("sqlite:/nonexistent/relay.db", db.url(), "no database file"),
    ] {
        let err = migrate(from, to, None, |_, _| {}).expect_err("refused");
        assert!(err.to_string().contains(want), "{err}");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (from, _) = seeded_file(dir.path());
    let err = migrate(&from, "sqlite:/tmp/other.db", None, |_, _| {}).expect_err("refused");
    assert!(
        err.to_string().contains("--to must be a postgres://"),
        "{err}"
    );
}
