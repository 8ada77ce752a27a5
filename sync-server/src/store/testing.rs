//! The shared test suite every [`RelayStore`] backend must pass.
//!
//! A backend's tests call [`run_suite`] with a function that makes a fresh, empty store.

use uuid::Uuid;
use wangge_proto::DocumentId;

use sha2::{Digest, Sha256};

use super::{ChunkOutcome, DocRecord, FinishOutcome, NewDevice, NewUpload, RelayStore, StoreError};
use wangge_schema::{DocKind, Role, ScopeCode};

fn code(s: &str) -> ScopeCode {
    ScopeCode::parse(s).expect("valid test code")
}

const COMMUNITY: &str = "110105001001";
const GRID_A: &str = "110105001001001";
const GRID_B: &str = "110105001001002";

fn seed(store: &mut dyn RelayStore) -> Uuid {
    store
        .add_division(&code(COMMUNITY), "community")
        .expect("add division");
    store.add_grid(&code(GRID_A), "grid a").expect("add grid a");
    store.add_grid(&code(GRID_B), "grid b").expect("add grid b");
    store
        .add_user("member", Role::Member, &[code(GRID_A)])
        .expect("add user")
}

fn device(token_hash: &str) -> NewDevice {
    NewDevice {
        device_id: Uuid::new_v4(),
        token_hash: token_hash.to_owned(),
        label: "test".to_owned(),
    }
}

/// Runs every case, each on a fresh store from `make`.
pub fn run_suite(mut make: impl FnMut() -> Box<dyn RelayStore>) {
    accounts_and_grids(make().as_mut());
    enrollment_codes_are_single_use_and_expire(make().as_mut());
    revoked_devices_do_not_authenticate(make().as_mut());
    admin_changes_name_their_documents(make().as_mut());
    documents_register_append_and_compact(make().as_mut());
    docs_under_follows_the_code_prefix(make().as_mut());
    sync_states_round_trip(make().as_mut());
    uploads_resume_verify_and_dedupe(make().as_mut());
    bad_uploads_store_nothing(make().as_mut());
    blobs_are_served_only_within_scope(make().as_mut());
    pending_uploads_are_bounded(make().as_mut());
}

fn accounts_and_grids(store: &mut dyn RelayStore) {
    let user = seed(store);
    assert!(store.division_exists(&code(COMMUNITY)).expect("query"));
    assert!(store.grid_exists(&code(GRID_A)).expect("query"));
    assert!(matches!(
        store.add_grid(&code(GRID_A), "again"),
        Err(StoreError::AlreadyExists(_))
    ));
    assert!(matches!(
        store.add_grid(&code("110105001002001"), "no community"),
        Err(StoreError::NotFound(_))
    ));
    let u = store.user(user).expect("query").expect("user exists");
    assert_eq!(u.principal.role, Role::Member);
    assert_eq!(u.principal.scopes, vec![code(GRID_A)]);
    assert!(store.user(Uuid::new_v4()).expect("query").is_none());
}

fn enrollment_codes_are_single_use_and_expire(store: &mut dyn RelayStore) {
    let user = seed(store);
    store
        .add_enrollment_code(user, "h1", 1000)
        .expect("add code");
    store
        .add_enrollment_code(user, "h2", 1000)
        .expect("add code");
    let d1 = device("tok1");
    let got = store
        .redeem_enrollment_code("h1", 999, &d1)
        .expect("redeem");
    assert_eq!(got.map(|u| u.id), Some(user));
    assert!(
        store
            .redeem_enrollment_code("h1", 999, &device("tok1b"))
            .expect("redeem")
            .is_none(),
        "a code is single use"
    );
    assert!(
        store
            .redeem_enrollment_code("h2", 1000, &device("tok2"))
            .expect("redeem")
            .is_none(),
        "an expired code is refused"
    );
    assert!(
        store
            .redeem_enrollment_code("nope", 0, &device("tok3"))
            .expect("redeem")
            .is_none()
    );
    let auth = store.authenticate("tok1").expect("auth").expect("device");
    assert_eq!(auth.device_id, d1.device_id);
    assert_eq!(auth.user.id, user);
    assert!(store.authenticate("tok2").expect("auth").is_none());
    assert!(matches!(
        store.add_enrollment_code(Uuid::new_v4(), "h3", 1000),
        Err(StoreError::NotFound(_))
    ));
}

fn revoked_devices_do_not_authenticate(store: &mut dyn RelayStore) {
    let user = seed(store);
    store
        .add_enrollment_code(user, "h", i64::MAX)
        .expect("code");
    let d = device("tok");
    store
        .redeem_enrollment_code("h", 0, &d)
        .expect("redeem")
        .expect("redeemed");
    let g0 = store.admin_generation().expect("generation");
    assert!(store.device(d.device_id).expect("query").is_some());
    assert!(store.revoke_device(d.device_id).expect("revoke"));
    assert!(store.admin_generation().expect("generation") > g0);
    assert!(store.authenticate("tok").expect("auth").is_none());
    assert!(store.device(d.device_id).expect("query").is_none());
    assert!(!store.revoke_device(Uuid::new_v4()).expect("revoke"));
}

fn documents_register_append_and_compact(store: &mut dyn RelayStore) {
    seed(store);
    let id = DocumentId::random();
    let rec = DocRecord {
        id,
        scope: code(GRID_A),
        kind: DocKind::Household,
    };
    assert!(store.doc(&id).expect("query").is_none());
    store.create_doc(&rec, b"first").expect("create");
    assert!(matches!(
        store.create_doc(&rec, b"again"),
        Err(StoreError::AlreadyExists(_))
    ));
    let moved = DocRecord {
        scope: code(GRID_B),
        ..rec.clone()
    };
    store.append_changes(&moved, b"second").expect("append");
    assert_eq!(store.doc(&id).expect("query"), Some(moved));
    assert_eq!(
        store.doc_chunks(&id).expect("chunks"),
        vec![b"first".to_vec(), b"second".to_vec()]
    );
    store.compact_doc(&id, b"both").expect("compact");
    store.append_changes(&rec, b"third").expect("append");
    assert_eq!(
        store.doc_chunks(&id).expect("chunks"),
        vec![b"both".to_vec(), b"third".to_vec()]
    );
    let unknown = DocRecord {
        id: DocumentId::random(),
        ..rec
    };
    assert!(matches!(
        store.append_changes(&unknown, b"x"),
        Err(StoreError::NotFound(_))
    ));
}

fn docs_under_follows_the_code_prefix(store: &mut dyn RelayStore) {
    seed(store);
    let mut ids = Vec::new();
    for scope in [GRID_A, GRID_A, GRID_B, "110105002001001"] {
        let rec = DocRecord {
            id: DocumentId::random(),
            scope: code(scope),
            kind: DocKind::Checks,
        };
        store.create_doc(&rec, b"x").expect("create");
        ids.push(rec.id);
    }
    let a = store.docs_under(&[code(GRID_A)], 100).expect("query");
    assert_eq!(a.len(), 2);
    let street = store.docs_under(&[code("110105001")], 100).expect("query");
    assert_eq!(street.len(), 3);
    let both = store
        .docs_under(&[code(GRID_A), code(COMMUNITY)], 100)
        .expect("query");
    assert_eq!(both.len(), 3, "overlapping scopes are deduplicated");
    assert_eq!(store.docs_under(&[code("11")], 2).expect("query").len(), 2);
}

fn sync_states_round_trip(store: &mut dyn RelayStore) {
    let dev = Uuid::new_v4();
    let doc = DocumentId::random();
    assert!(store.sync_state(dev, &doc).expect("query").is_none());
    store
        .put_sync_states(dev, &[(doc, vec![1, 2])])
        .expect("put");
    store.put_sync_states(dev, &[(doc, vec![3])]).expect("put");
    assert_eq!(store.sync_state(dev, &doc).expect("query"), Some(vec![3]));
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn upload(device: Uuid, bytes: &[u8], scope: &str) -> NewUpload {
    NewUpload {
        id: Uuid::new_v4(),
        device_id: device,
        sha256: sha(bytes),
        scope: code(scope),
        length: u64::try_from(bytes.len()).expect("small"),
        complete: false,
    }
}

fn upload_all(store: &mut dyn RelayStore, up: &NewUpload, bytes: &[u8]) -> FinishOutcome {
    store.create_upload(up, 8).expect("create upload");
    assert_eq!(
        store.append_upload_chunk(up.id, 0, bytes).expect("append"),
        ChunkOutcome::Appended(up.length)
    );
    store.finish_upload(up.id).expect("finish")
}

fn uploads_resume_verify_and_dedupe(store: &mut dyn RelayStore) {
    let dev = Uuid::new_v4();
    let photo = b"a photo of a broken street lamp".as_slice();
    let up = upload(dev, photo, GRID_A);
    store.create_upload(&up, 8).expect("create");
    assert!(matches!(
        store.create_upload(&up, 8),
        Err(StoreError::AlreadyExists(_))
    ));
    let st = store.upload_state(up.id).expect("query").expect("exists");
    assert_eq!((st.offset, &st.upload), (0, &up));
    assert_eq!(
        store
            .append_upload_chunk(up.id, 0, &photo[..10])
            .expect("append"),
        ChunkOutcome::Appended(10)
    );
    assert_eq!(
        store
            .append_upload_chunk(up.id, 0, &photo[..10])
            .expect("append"),
        ChunkOutcome::OffsetMismatch(10)
    );
    assert_eq!(
        store.append_upload_chunk(up.id, 10, photo).expect("append"),
        ChunkOutcome::TooLong
    );
    assert_eq!(
        store.upload_state(up.id).expect("query").map(|s| s.offset),
        Some(10)
    );
    assert!(matches!(
        store.finish_upload(up.id),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        store
            .append_upload_chunk(up.id, 10, &photo[10..])
            .expect("append"),
        ChunkOutcome::Appended(up.length)
    );
    assert_eq!(
        store.finish_upload(up.id).expect("finish"),
        FinishOutcome::Stored
    );
    let st = store.upload_state(up.id).expect("query").expect("kept");
    assert!(st.upload.complete && st.offset == up.length);
    assert!(matches!(
        store.append_upload_chunk(up.id, up.length, b""),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        store.blob_linked(&up.sha256, &code(GRID_A)).expect("q"),
        Some(up.length)
    );
    assert_eq!(
        store.blob_linked(&up.sha256, &code(GRID_B)).expect("q"),
        None
    );
    // The same bytes again, to another scope: stored once, linked twice.
    let again = upload(dev, photo, GRID_B);
    assert_eq!(upload_all(store, &again, photo), FinishOutcome::Stored);
    assert_eq!(store.blob_count().expect("count"), 1);
    assert!(
        store
            .blob_linked(&up.sha256, &code(GRID_B))
            .expect("q")
            .is_some()
    );
    assert!(
        store
            .link_blob_scope(&up.sha256, &code("110105001001003"))
            .expect("link")
    );
    assert!(
        !store
            .link_blob_scope(&sha(b"none"), &code(GRID_A))
            .expect("link")
    );
}

fn bad_uploads_store_nothing(store: &mut dyn RelayStore) {
    let dev = Uuid::new_v4();
    let mut up = upload(dev, b"expected bytes", GRID_A);
    up.sha256 = sha(b"other bytes!!!");
    assert_eq!(
        upload_all(store, &up, b"expected bytes"),
        FinishOutcome::HashMismatch
    );
    assert!(
        store.upload_state(up.id).expect("query").is_none(),
        "discarded"
    );
    assert_eq!(store.blob_count().expect("count"), 0);
    let up = upload(dev, b"abandoned", GRID_A);
    store.create_upload(&up, 8).expect("create");
    store
        .append_upload_chunk(up.id, 0, b"aban")
        .expect("append");
    assert!(store.discard_upload(up.id).expect("discard"));
    assert!(!store.discard_upload(up.id).expect("discard"));
    assert!(matches!(
        store.append_upload_chunk(up.id, 4, b"doned"),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.blob_count().expect("count"), 0);
}

fn blobs_are_served_only_within_scope(store: &mut dyn RelayStore) {
    let photo = b"grid a only".as_slice();
    let up = upload(Uuid::new_v4(), photo, GRID_A);
    assert_eq!(upload_all(store, &up, photo), FinishOutcome::Stored);
    let get = |scopes: &[&str]| {
        let scopes: Vec<ScopeCode> = scopes.iter().map(|s| code(s)).collect();
        store.blob_for_scope(&up.sha256, &scopes).expect("query")
    };
    assert_eq!(get(&[GRID_A]).as_deref(), Some(photo));
    assert_eq!(get(&[GRID_B, GRID_A]).as_deref(), Some(photo));
    assert_eq!(
        get(&[COMMUNITY]).as_deref(),
        Some(photo),
        "a division covers its grids"
    );
    assert_eq!(get(&[GRID_B]), None);
    assert_eq!(get(&["110105002"]), None);
    assert_eq!(
        store
            .blob_for_scope(&sha(b"unknown"), &[code(GRID_A)])
            .expect("q"),
        None
    );
}

fn pending_uploads_are_bounded(store: &mut dyn RelayStore) {
    let dev = Uuid::new_v4();
    let ups: Vec<NewUpload> = (0..4u8).map(|i| upload(dev, &[i; 8], GRID_A)).collect();
    for up in &ups {
        store.create_upload(up, 3).expect("create");
        store
            .append_upload_chunk(up.id, 0, &[0; 4])
            .expect("append");
    }
    assert!(
        store.upload_state(ups[0].id).expect("q").is_none(),
        "oldest dropped"
    );
    for up in &ups[1..] {
        assert!(store.upload_state(up.id).expect("q").is_some());
    }
    // Another device's uploads do not count.
    let other = upload(Uuid::new_v4(), b"x", GRID_A);
    store.create_upload(&other, 1).expect("create");
    assert!(store.upload_state(ups[3].id).expect("q").is_some());
}

fn admin_changes_name_their_documents(store: &mut dyn RelayStore) {
    let g0 = store.admin_generation().expect("generation");
    let (a, b) = (DocumentId::random(), DocumentId::random());
    store.record_admin_change(&[a, b]).expect("record");
    let g1 = store.admin_generation().expect("generation");
    assert!(g1 > g0);
    store.record_admin_change(&[b]).expect("record");
    let mut both = vec![a, b];
    both.sort();
    assert_eq!(store.admin_changes_since(g0).expect("since"), both);
    assert_eq!(store.admin_changes_since(g1).expect("since"), vec![b]);
    let g2 = store.admin_generation().expect("generation");
    assert!(store.admin_changes_since(g2).expect("since").is_empty());
}
