//! The [`BlobStore`] suite: tus uploads (create, resume, verify, discard, bound) and the
//! blobs they end in (stored once, linked per scope, served within scope).

use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{COMMUNITY, GRID_A, GRID_B, GRID_C, OTHER_STREET, STREET, code};
use crate::store::{BlobStore, ChunkOutcome, FinishOutcome, NewUpload, StoreError};

/// Runs every [`BlobStore`] case, each on a fresh store from `make`.
pub fn run_blobs_suite(mut make: impl FnMut() -> Box<dyn BlobStore>) {
    run_cases!(
        "blobs",
        make,
        [
            an_upload_is_created_once,
            an_unknown_upload_is_not_found,
            chunks_append_only_at_the_stored_offset,
            a_chunk_past_the_length_appends_nothing,
            an_upload_finishes_only_when_fully_received,
            a_finished_upload_stores_its_chunks_in_order,
            a_finished_upload_is_kept_complete_and_closed,
            an_upload_created_complete_takes_no_bytes,
            the_same_bytes_are_stored_once,
            bytes_that_do_not_match_their_hash_store_nothing,
            wrong_bytes_under_a_known_hash_link_nothing,
            a_discarded_upload_is_gone,
            linking_needs_a_stored_blob,
            blobs_are_served_only_within_scope,
            pending_uploads_are_bounded_per_device_oldest_first,
            completed_uploads_do_not_count_as_pending,
            a_refused_creation_discards_nothing,
        ]
    );
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

/// Creates, sends in one chunk and finishes an upload of `bytes`.
fn upload_all(store: &mut dyn BlobStore, up: &NewUpload, bytes: &[u8]) -> FinishOutcome {
    store.create_upload(up, 8).expect("create upload");
    assert_eq!(
        store.append_upload_chunk(up.id, 0, bytes).expect("append"),
        ChunkOutcome::Appended(up.length)
    );
    store.finish_upload(up.id).expect("finish")
}

fn offset(store: &dyn BlobStore, id: Uuid) -> Option<u64> {
    store.upload_state(id).expect("query").map(|s| s.offset)
}

fn an_upload_is_created_once(store: &mut dyn BlobStore) {
    let up = upload(Uuid::new_v4(), b"a photo of a broken street lamp", GRID_A);
    store.create_upload(&up, 8).expect("create");
    let st = store.upload_state(up.id).expect("query").expect("exists");
    assert_eq!((st.offset, &st.upload), (0, &up));
    store
        .append_upload_chunk(up.id, 0, b"a photo")
        .expect("append");
    let again = NewUpload {
        length: 3,
        scope: code(GRID_B),
        ..up.clone()
    };
    assert!(matches!(
        store.create_upload(&again, 8),
        Err(StoreError::AlreadyExists(_))
    ));
    let st = store.upload_state(up.id).expect("query").expect("exists");
    assert_eq!(
        (st.offset, &st.upload),
        (7, &up),
        "the upload and its bytes are untouched"
    );
}

fn an_unknown_upload_is_not_found(store: &mut dyn BlobStore) {
    let id = Uuid::new_v4();
    assert!(store.upload_state(id).expect("query").is_none());
    assert!(matches!(
        store.append_upload_chunk(id, 0, b"x"),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.finish_upload(id),
        Err(StoreError::NotFound(_))
    ));
    assert!(!store.discard_upload(id).expect("discard"));
    assert!(store.upload_state(id).expect("query").is_none());
}

fn chunks_append_only_at_the_stored_offset(store: &mut dyn BlobStore) {
    let photo = b"a photo of a broken street lamp".as_slice();
    let up = upload(Uuid::new_v4(), photo, GRID_A);
    store.create_upload(&up, 8).expect("create");
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
        ChunkOutcome::OffsetMismatch(10),
        "a chunk sent again"
    );
    assert_eq!(
        store
            .append_upload_chunk(up.id, 12, &photo[12..])
            .expect("append"),
        ChunkOutcome::OffsetMismatch(10),
        "a chunk from ahead"
    );
    assert_eq!(offset(store, up.id), Some(10));
    assert_eq!(
        store.append_upload_chunk(up.id, 10, b"").expect("append"),
        ChunkOutcome::Appended(10),
        "an empty chunk at the offset changes nothing"
    );
    assert_eq!(
        store
            .append_upload_chunk(up.id, 10, &photo[10..20])
            .expect("append"),
        ChunkOutcome::Appended(20)
    );
    assert_eq!(offset(store, up.id), Some(20));
}

fn a_chunk_past_the_length_appends_nothing(store: &mut dyn BlobStore) {
    let photo = b"a photo of a broken street lamp".as_slice();
    let up = upload(Uuid::new_v4(), photo, GRID_A);
    store.create_upload(&up, 8).expect("create");
    store
        .append_upload_chunk(up.id, 0, &photo[..10])
        .expect("append");
    assert_eq!(
        store.append_upload_chunk(up.id, 10, photo).expect("append"),
        ChunkOutcome::TooLong
    );
    assert_eq!(offset(store, up.id), Some(10));
    let mut one_more = photo[10..].to_vec();
    one_more.push(b'!');
    assert_eq!(
        store
            .append_upload_chunk(up.id, 10, &one_more)
            .expect("append"),
        ChunkOutcome::TooLong,
        "one byte too many"
    );
    assert_eq!(offset(store, up.id), Some(10));
    assert_eq!(
        store
            .append_upload_chunk(up.id, 10, &photo[10..])
            .expect("append"),
        ChunkOutcome::Appended(up.length),
        "exactly to the end"
    );
    assert_eq!(
        store.finish_upload(up.id).expect("finish"),
        FinishOutcome::Stored
    );
    assert_eq!(
        store
            .blob_for_scope(&up.sha256, &[code(GRID_A)])
            .expect("query")
            .as_deref(),
        Some(photo),
        "the refused chunks left no trace"
    );
}

fn an_upload_finishes_only_when_fully_received(store: &mut dyn BlobStore) {
    let photo = b"a photo of a broken street lamp".as_slice();
    let up = upload(Uuid::new_v4(), photo, GRID_A);
    store.create_upload(&up, 8).expect("create");
    assert!(
        matches!(store.finish_upload(up.id), Err(StoreError::NotFound(_))),
        "nothing received"
    );
    store
        .append_upload_chunk(up.id, 0, &photo[..10])
        .expect("append");
    assert!(
        matches!(store.finish_upload(up.id), Err(StoreError::NotFound(_))),
        "partly received"
    );
    assert_eq!(offset(store, up.id), Some(10), "the upload goes on");
    assert_eq!(store.blob_count().expect("count"), 0);
    store
        .append_upload_chunk(up.id, 10, &photo[10..])
        .expect("append");
    assert_eq!(
        store.finish_upload(up.id).expect("finish"),
        FinishOutcome::Stored
    );
}

fn a_finished_upload_stores_its_chunks_in_order(store: &mut dyn BlobStore) {
    let photo: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let up = upload(Uuid::new_v4(), &photo, GRID_A);
    store.create_upload(&up, 8).expect("create");
    let mut at = 0;
    for size in [1, 999, 1, 2048, 1000, 951] {
        let end = at + size;
        assert_eq!(
            store
                .append_upload_chunk(up.id, at as u64, &photo[at..end])
                .expect("append"),
            ChunkOutcome::Appended(end as u64)
        );
        at = end;
    }
    assert_eq!(at, photo.len());
    assert_eq!(
        store.finish_upload(up.id).expect("finish"),
        FinishOutcome::Stored
    );
    assert_eq!(
        store
            .blob_for_scope(&up.sha256, &[code(GRID_A)])
            .expect("query"),
        Some(photo.clone())
    );
    assert_eq!(
        store.blob_linked(&up.sha256, &code(GRID_A)).expect("query"),
        Some(5000)
    );
}

fn a_finished_upload_is_kept_complete_and_closed(store: &mut dyn BlobStore) {
    let photo = b"a photo of a broken street lamp".as_slice();
    let up = upload(Uuid::new_v4(), photo, GRID_A);
    assert_eq!(upload_all(store, &up, photo), FinishOutcome::Stored);
    let st = store.upload_state(up.id).expect("query").expect("kept");
    assert!(st.upload.complete, "kept, so HEAD still answers");
    assert_eq!(st.offset, up.length);
    assert_eq!(st.upload.sha256, up.sha256);
    assert!(matches!(
        store.append_upload_chunk(up.id, up.length, b""),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.finish_upload(up.id),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.blob_count().expect("count"), 1);
}

fn an_upload_created_complete_takes_no_bytes(store: &mut dyn BlobStore) {
    let photo = b"already here".as_slice();
    let first = upload(Uuid::new_v4(), photo, GRID_A);
    assert_eq!(upload_all(store, &first, photo), FinishOutcome::Stored);
    let done = NewUpload {
        complete: true,
        ..upload(first.device_id, photo, GRID_A)
    };
    store.create_upload(&done, 8).expect("create");
    let st = store.upload_state(done.id).expect("query").expect("exists");
    assert_eq!((st.offset, &st.upload), (done.length, &done));
    assert!(matches!(
        store.append_upload_chunk(done.id, 0, photo),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.finish_upload(done.id),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.blob_count().expect("count"), 1);
}

fn the_same_bytes_are_stored_once(store: &mut dyn BlobStore) {
    let dev = Uuid::new_v4();
    let photo = b"a photo of a broken street lamp".as_slice();
    let up = upload(dev, photo, GRID_A);
    assert_eq!(upload_all(store, &up, photo), FinishOutcome::Stored);
    assert_eq!(
        store.blob_linked(&up.sha256, &code(GRID_A)).expect("query"),
        Some(up.length)
    );
    assert_eq!(
        store.blob_linked(&up.sha256, &code(GRID_B)).expect("query"),
        None
    );
    let again = upload(dev, photo, GRID_B);
    assert_eq!(upload_all(store, &again, photo), FinishOutcome::Stored);
    let once_more = upload(Uuid::new_v4(), photo, GRID_A);
    assert_eq!(upload_all(store, &once_more, photo), FinishOutcome::Stored);
    assert_eq!(store.blob_count().expect("count"), 1, "stored once by hash");
    assert_eq!(
        store.blob_linked(&up.sha256, &code(GRID_B)).expect("query"),
        Some(up.length),
        "linked to each scope"
    );
    let other = b"another photo".as_slice();
    let up2 = upload(dev, other, GRID_A);
    assert_eq!(upload_all(store, &up2, other), FinishOutcome::Stored);
    assert_eq!(store.blob_count().expect("count"), 2);
}

fn bytes_that_do_not_match_their_hash_store_nothing(store: &mut dyn BlobStore) {
    let mut up = upload(Uuid::new_v4(), b"expected bytes", GRID_A);
    up.sha256 = sha(b"other bytes!!!");
    assert_eq!(
        upload_all(store, &up, b"expected bytes"),
        FinishOutcome::HashMismatch
    );
    assert!(
        store.upload_state(up.id).expect("query").is_none(),
        "the upload is discarded"
    );
    assert_eq!(store.blob_count().expect("count"), 0);
    assert_eq!(
        store.blob_linked(&up.sha256, &code(GRID_A)).expect("query"),
        None
    );
    assert_eq!(
        store
            .blob_linked(&sha(b"expected bytes"), &code(GRID_A))
            .expect("query"),
        None
    );
}

fn wrong_bytes_under_a_known_hash_link_nothing(store: &mut dyn BlobStore) {
    let photo = b"grid a's photo".as_slice();
    let up = upload(Uuid::new_v4(), photo, GRID_A);
    assert_eq!(upload_all(store, &up, photo), FinishOutcome::Stored);
    let forged = NewUpload {
        id: Uuid::new_v4(),
        scope: code(GRID_B),
        ..up.clone()
    };
    let wrong = b"grid b's guess".as_slice();
    assert_eq!(wrong.len(), photo.len());
    assert_eq!(
        upload_all(store, &forged, wrong),
        FinishOutcome::HashMismatch
    );
    assert_eq!(
        store.blob_linked(&up.sha256, &code(GRID_B)).expect("query"),
        None
    );
    assert_eq!(
        store
            .blob_for_scope(&up.sha256, &[code(GRID_B)])
            .expect("query"),
        None
    );
    assert_eq!(
        store
            .blob_for_scope(&up.sha256, &[code(GRID_A)])
            .expect("query")
            .as_deref(),
        Some(photo),
        "the stored blob is untouched"
    );
}

fn a_discarded_upload_is_gone(store: &mut dyn BlobStore) {
    let up = upload(Uuid::new_v4(), b"abandoned", GRID_A);
    let kept = upload(up.device_id, b"kept", GRID_A);
    store.create_upload(&up, 8).expect("create");
    store.create_upload(&kept, 8).expect("create");
    store
        .append_upload_chunk(up.id, 0, b"aban")
        .expect("append");
    store
        .append_upload_chunk(kept.id, 0, b"ke")
        .expect("append");
    assert!(store.discard_upload(up.id).expect("discard"));
    assert!(!store.discard_upload(up.id).expect("discard again"));
    assert!(store.upload_state(up.id).expect("query").is_none());
    assert!(matches!(
        store.append_upload_chunk(up.id, 4, b"doned"),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.finish_upload(up.id),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.blob_count().expect("count"), 0);
    assert_eq!(offset(store, kept.id), Some(2), "other uploads stay");
    store
        .append_upload_chunk(kept.id, 2, b"pt")
        .expect("append");
    assert_eq!(
        store.finish_upload(kept.id).expect("finish"),
        FinishOutcome::Stored
    );
}

fn linking_needs_a_stored_blob(store: &mut dyn BlobStore) {
    let unknown = sha(b"never uploaded");
    assert!(
        !store
            .link_blob_scope(&unknown, &code(GRID_A))
            .expect("link")
    );
    assert_eq!(
        store.blob_linked(&unknown, &code(GRID_A)).expect("query"),
        None
    );
    assert_eq!(store.blob_count().expect("count"), 0);
    let photo = b"a photo".as_slice();
    let up = upload(Uuid::new_v4(), photo, GRID_A);
    assert_eq!(upload_all(store, &up, photo), FinishOutcome::Stored);
    assert!(
        store
            .link_blob_scope(&up.sha256, &code(GRID_C))
            .expect("link")
    );
    assert!(
        store
            .link_blob_scope(&up.sha256, &code(GRID_C))
            .expect("link again"),
        "linking again is harmless"
    );
    assert!(
        store
            .link_blob_scope(&up.sha256, &code(GRID_A))
            .expect("link"),
        "to a scope it has"
    );
    assert_eq!(
        store.blob_linked(&up.sha256, &code(GRID_C)).expect("query"),
        Some(up.length)
    );
    assert_eq!(
        store.blob_linked(&up.sha256, &code(GRID_B)).expect("query"),
        None
    );
    assert_eq!(
        store
            .blob_linked(&up.sha256, &code(COMMUNITY))
            .expect("query"),
        None,
        "linked to exactly the scope, not to the divisions above it"
    );
    assert_eq!(store.blob_count().expect("count"), 1);
}

fn blobs_are_served_only_within_scope(store: &mut dyn BlobStore) {
    let photo = b"grid a only".as_slice();
    let up = upload(Uuid::new_v4(), photo, GRID_A);
    assert_eq!(upload_all(store, &up, photo), FinishOutcome::Stored);
    let get = |store: &dyn BlobStore, scopes: &[&str]| {
        let scopes: Vec<_> = scopes.iter().map(|s| code(s)).collect();
        store.blob_for_scope(&up.sha256, &scopes).expect("query")
    };
    assert_eq!(get(store, &[GRID_A]).as_deref(), Some(photo));
    assert_eq!(get(store, &[GRID_B, GRID_A]).as_deref(), Some(photo));
    assert_eq!(
        get(store, &[COMMUNITY]).as_deref(),
        Some(photo),
        "a division covers its grids"
    );
    assert_eq!(get(store, &[STREET]).as_deref(), Some(photo));
    assert_eq!(get(store, &[GRID_B]), None);
    assert_eq!(get(store, &[OTHER_STREET]), None);
    assert_eq!(get(store, &[]), None);
    assert_eq!(
        store
            .blob_for_scope(&sha(b"unknown"), &[code(GRID_A)])
            .expect("query"),
        None
    );
    store
        .link_blob_scope(&up.sha256, &code(GRID_B))
        .expect("link");
    assert_eq!(get(store, &[GRID_B]).as_deref(), Some(photo));
}

fn pending_uploads_are_bounded_per_device_oldest_first(store: &mut dyn BlobStore) {
    let dev = Uuid::new_v4();
    let ups: Vec<NewUpload> = (0..5u8).map(|i| upload(dev, &[i; 8], GRID_A)).collect();
    for up in &ups[..4] {
        store.create_upload(up, 3).expect("create");
        store
            .append_upload_chunk(up.id, 0, &[0; 4])
            .expect("append");
    }
    assert!(offset(store, ups[0].id).is_none(), "the oldest is dropped");
    for up in &ups[1..4] {
        assert_eq!(offset(store, up.id), Some(4));
    }
    store.create_upload(&ups[4], 2).expect("create");
    assert!(offset(store, ups[1].id).is_none());
    assert!(offset(store, ups[2].id).is_none());
    assert_eq!(offset(store, ups[3].id), Some(4));
    assert_eq!(offset(store, ups[4].id), Some(0));
    // Another device's uploads neither count nor go.
    let other = upload(Uuid::new_v4(), b"x", GRID_A);
    store.create_upload(&other, 1).expect("create");
    assert_eq!(offset(store, ups[3].id), Some(4));
    assert_eq!(offset(store, ups[4].id), Some(0));
    assert_eq!(offset(store, other.id), Some(0));
}

fn completed_uploads_do_not_count_as_pending(store: &mut dyn BlobStore) {
    let dev = Uuid::new_v4();
    let done = upload(dev, b"done", GRID_A);
    assert_eq!(upload_all(store, &done, b"done"), FinishOutcome::Stored);
    let pending = upload(dev, b"pending", GRID_A);
    store.create_upload(&pending, 1).expect("create");
    let next = upload(dev, b"next", GRID_A);
    store.create_upload(&next, 1).expect("create");
    assert!(
        offset(store, pending.id).is_none(),
        "the pending one made room"
    );
    assert_eq!(
        offset(store, done.id),
        Some(done.length),
        "the complete one stays"
    );
}

fn a_refused_creation_discards_nothing(store: &mut dyn BlobStore) {
    let dev = Uuid::new_v4();
    let older = upload(dev, b"older photo", GRID_A);
    let newer = upload(dev, b"newer photo", GRID_A);
    for up in [&older, &newer] {
        store.create_upload(up, 2).expect("create");
        store
            .append_upload_chunk(up.id, 0, b"photo")
            .expect("append");
    }
    assert!(matches!(
        store.create_upload(&newer, 2),
        Err(StoreError::AlreadyExists(_))
    ));
    assert_eq!(
        offset(store, older.id),
        Some(5),
        "the refused creation made no room"
    );
    assert_eq!(offset(store, newer.id), Some(5));
}
