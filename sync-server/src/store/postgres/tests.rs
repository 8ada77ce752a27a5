//! The PostgreSQL backend against the shared suites, on a real server the tests start
//! (a fresh database per case), and what only PostgreSQL shows: migrations under
//! concurrent starts, a group whose transaction broke, a dropped connection, and errors
//! that name no values.

use std::error::Error as _;

use wangge_proto::DocumentId;
use wangge_schema::{DocKind, Role, ScopeCode};

use super::migrations::MIGRATIONS;
use super::{PgError, PgStore};
use crate::store::testing::{
    TestDatabase, run_accounts_suite, run_blobs_suite, run_docs_suite, run_relay_suite,
};
use crate::store::{AccountStore, DocRecord, DocStore, StoreError};

const GRID: &str = "110105001001001";

/// A store on a fresh database; the database lives as long as the returned guard.
fn fresh() -> (PgStore, TestDatabase) {
    let db = TestDatabase::new();
    (PgStore::open(db.url()).expect("open"), db)
}

/// Opens stores on fresh databases, keeping every database until the suite ends.
struct Fresh(Vec<TestDatabase>);

impl Fresh {
    fn store(&mut self) -> PgStore {
        let (store, db) = fresh();
        self.0.push(db);
        store
    }
}

#[test]
fn the_postgres_backend_passes_the_accounts_suite() {
    let mut f = Fresh(Vec::new());
    run_accounts_suite(|| Box::new(f.store()));
}

#[test]
fn the_postgres_backend_passes_the_docs_suite() {
    let mut f = Fresh(Vec::new());
    run_docs_suite(|| Box::new(f.store()));
}

#[test]
fn the_postgres_backend_passes_the_blobs_suite() {
    let mut f = Fresh(Vec::new());
    run_blobs_suite(|| Box::new(f.store()));
}

#[test]
fn the_postgres_backend_passes_the_relay_suite() {
    let mut f = Fresh(Vec::new());
    run_relay_suite(|| Box::new(f.store()));
}

#[test]
fn store_open_picks_postgres_for_both_url_schemes() {
    let db = TestDatabase::new();
    let url = db.url().to_owned();
    let other = url.replacen("postgres://", "postgresql://", 1);
    for (u, district) in [(&url, "110105"), (&other, "110106")] {
        let mut store = crate::store::open(u).expect("open");
        store
            .add_division(&ScopeCode::parse(district).expect("code"), "district")
            .expect("write");
    }
    let store = crate::store::open(&url).expect("open");
    for district in ["110105", "110106"] {
        assert!(
            store
                .division_exists(&ScopeCode::parse(district).expect("code"))
                .expect("query"),
            "both URLs name the same database"
        );
    }
}

#[test]
fn a_bad_postgres_url_is_refused_without_echoing_it() {
    let Err(err) = PgStore::open("postgres://user:s3cret@127.0.0.1:notaport/db") else {
        panic!("a URL with a bad port opens");
    };
    assert!(matches!(err, StoreError::BadUrl(_)), "{err}");
    assert!(!err.to_string().contains("s3cret"), "{err}");
}

#[test]
fn what_is_stored_survives_reopening_and_migrations_run_once() {
    let db = TestDatabase::new();
    let street = ScopeCode::parse("110105001").expect("code");
    let doc = DocRecord {
        id: DocumentId::random(),
        scope: street.clone(),
        kind: DocKind::GridIndex,
    };
    {
        let mut store = PgStore::open(db.url()).expect("open");
        store.add_division(&street, "street").expect("add");
        store.begin_batch().expect("begin");
        store.create_doc(&doc, b"bytes").expect("create");
        store.commit_batch().expect("commit");
    }
    let store = PgStore::open(db.url()).expect("reopen");
    assert!(store.division_exists(&street).expect("query"));
    assert_eq!(store.doc(&doc.id).expect("query"), Some(doc.clone()));
    assert_eq!(
        store.doc_chunks(&doc.id).expect("chunks"),
        vec![b"bytes".to_vec()]
    );
    let mut c = db.client();
    let versions: Vec<i32> = c
        .query(
            "SELECT version FROM wangge_schema_migrations ORDER BY version",
            &[],
        )
        .expect("versions")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let expected: Vec<i32> = (1..=i32::try_from(MIGRATIONS.len()).expect("few")).collect();
    assert_eq!(versions, expected, "each migration recorded once");
}

/// Relay instances starting together on a new database: one migrates, the others wait
/// on the advisory lock and then find the schema in place.
#[test]
fn instances_starting_at_once_migrate_the_database_once() {
    let db = TestDatabase::new();
    let url = db.url().to_owned();
    let barrier = std::sync::Barrier::new(6);
    std::thread::scope(|s| {
        let opens: Vec<_> = (0..6)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    PgStore::open(&url).map(|_| ())
                })
            })
            .collect();
        for o in opens {
            o.join().expect("thread").expect("every instance opens");
        }
    });
    let mut c = db.client();
    let n: i64 = c
        .query_one("SELECT COUNT(*) FROM wangge_schema_migrations", &[])
        .expect("count")
        .get(0);
    assert_eq!(n, i64::try_from(MIGRATIONS.len()).expect("few"));
}

#[test]
fn a_database_from_a_newer_relay_is_refused_and_left_alone() {
    let db = TestDatabase::new();
    drop(PgStore::open(db.url()).expect("open"));
    let newer = i32::try_from(MIGRATIONS.len() + 1).expect("few");
    let mut c = db.client();
    c.execute(
        "INSERT INTO wangge_schema_migrations (version, applied_at) VALUES ($1, 0)",
        &[&newer],
    )
    .expect("pretend a newer relay ran");
    assert!(matches!(
        PgStore::open(db.url()),
        Err(StoreError::Corrupt(_))
    ));
    let max: i32 = c
        .query_one("SELECT MAX(version) FROM wangge_schema_migrations", &[])
        .expect("max")
        .get(0);
    assert_eq!(max, newer);
}

/// A statement that fails outside the backend's savepoints aborts the transaction, and
/// PostgreSQL then answers COMMIT with a silent ROLLBACK: the group must report failure,
/// never acknowledge writes that were dropped.
#[test]
fn a_group_whose_transaction_broke_is_not_acknowledged() {
    let (mut store, _db) = fresh();
    let rec = DocRecord {
        id: DocumentId::random(),
        scope: ScopeCode::parse(GRID).expect("code"),
        kind: DocKind::Household,
    };
    store.begin_batch().expect("begin");
    store.create_doc(&rec, b"first").expect("create");
    assert!(store.execute_for_tests("SELECT 1 / 0").is_err());
    assert!(store.commit_batch().is_err(), "the group was not stored");
    assert!(store.doc(&rec.id).expect("query").is_none());
    store
        .create_doc(&rec, b"again")
        .expect("the store works on");
    assert_eq!(
        store.doc_chunks(&rec.id).expect("chunks"),
        vec![b"again".to_vec()]
    );
}

#[test]
fn a_lost_connection_is_replaced_outside_a_group_and_fails_a_group() {
    let db = TestDatabase::new();
    let mut store = PgStore::open(db.url()).expect("open");
    let street = ScopeCode::parse("110105001").expect("code");
    let kill = |db: &TestDatabase| {
        db.client()
            .execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
                &[],
            )
            .expect("terminate")
    };
    assert_eq!(kill(&db), 1, "the store's one connection");
    // The first call after the loss may fail (the client learns of it then); the next
    // one runs on a new connection.
    let _ = store.division_exists(&street);
    store.add_division(&street, "street").expect("reconnected");
    assert!(store.division_exists(&street).expect("query"));

    store.begin_batch().expect("begin");
    let rec = DocRecord {
        id: DocumentId::random(),
        scope: street.clone(),
        kind: DocKind::GridIndex,
    };
    store.create_doc(&rec, b"x").expect("create");
    kill(&db);
    let _ = store.append_changes(&rec, b"y");
    assert!(
        store.commit_batch().is_err(),
        "a group on a lost connection fails"
    );
    let _ = store.division_exists(&street);
    assert!(store.doc(&rec.id).expect("reconnected").is_none());
}

#[test]
fn a_database_error_keeps_its_code_and_names_no_values() {
    let (mut store, _db) = fresh();
    store
        .add_division(
            &ScopeCode::parse("110105001001").expect("code"),
            "community",
        )
        .expect("add");
    let user = store
        .add_user(
            "居民 甲",
            Role::Member,
            &[ScopeCode::parse(GRID).expect("code")],
        )
        .expect("user");
    store
        .add_enrollment_code(user, "secret-code-hash", i64::MAX)
        .expect("code");
    let err = store
        .add_enrollment_code(user, "secret-code-hash", i64::MAX)
        .expect_err("a code hash is stored once");
    let StoreError::Database(source) = &err else {
        panic!("not a database error: {err}");
    };
    let pg = source.downcast_ref::<PgError>().expect("a PgError");
    assert_eq!(pg.sqlstate(), Some("23505"));
    let mut text = format!("{err} {err:?}");
    let mut cause = err.source();
    while let Some(c) = cause {
        text.push_str(&format!(" {c} {c:?}"));
        cause = c.source();
    }
    assert!(text.contains("enrollment_codes_pkey"), "{text}");
    assert!(!text.contains("secret-code-hash"), "{text}");
    assert!(
        store.user(user).expect("the store works on").is_some(),
        "the failed write left the connection usable"
    );
}
