//! Photo uploads over tus 1.0 (core, `creation`, `checksum` with sha256) and downloads.
//!
//! - `OPTIONS /v1/files`: what the relay supports.
//! - `POST /v1/files`: creates an upload; `Upload-Length` and `Upload-Metadata` with
//!   `sha256` (hex of the whole file) and `scope` (the grid or division code).
//! - `HEAD /v1/files/{id}`: `Upload-Offset` and `Upload-Length`, to resume.
//! - `PATCH /v1/files/{id}`: appends a chunk (`application/offset+octet-stream`).
//! - `GET /v1/blobs/{sha256}`: the photo, if it is linked to a scope the device reads, or
//!   to exactly the unit of a notice it reads downward (a notice's photos reach the grids
//!   it is sent to; nothing else above a device's scopes does).
//!
//! An upload whose last bytes arrived but whose finish failed (the photo store was
//! unreachable: `503` with `Retry-After`) keeps its bytes; the next `HEAD` or `PATCH`
//! finishes it, so the device resumes as after any failure and sends nothing twice.
//!
//! Every route needs the device token (`Authorization: Bearer`), which [`AuthDevice`]
//! checks before the handler runs. Blobs are stored once by
//! hash and linked to each scope they were uploaded to. An answer never tells a device
//! that a photo exists outside its scopes: creation reports an upload complete only when
//! the photo is already linked to the named scope, and downloads of photos outside the
//! device's scopes are `404` like unknown ones.

// Helpers return `Err(Response)`: the answer to send as is.
#![allow(clippy::result_large_err)]

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tracing::{info, instrument, warn};
use uuid::Uuid;

use super::auth_device::AuthDevice;
use super::http::{error, storage_error};
use super::state::AppState;
use super::tus::{
    UPLOAD_CHECKSUM, UPLOAD_LENGTH, UPLOAD_METADATA, UPLOAD_OFFSET, bad_request, check_tus_version,
    checksum_mismatch_status, header_str, not_found, offset_headers, parse_u64, tus_error,
    with_headers, with_objects, with_store,
};
use crate::store::objects::staged_bytes_match;
use crate::store::{
    ChunkOutcome, DeviceAuth, FinishOutcome, NewUpload, RelayStore, StagedUpload, StoreError,
    StoredBlob, UploadState, database_bytes,
};
use wangge_schema::tus::{
    OFFSET_OCTET_STREAM, TUS_CHECKSUM_ALGORITHMS, TUS_EXTENSIONS, TUS_VERSION, UploadMetadata,
    normalize_sha256, parse_checksum,
};
use wangge_schema::{Principal, ScopeCode};

/// Bytes of a chunk without `Upload-Checksum` are persisted in pieces of this size.
const PERSIST_EVERY: usize = 64 * 1024;

/// Persists one piece of a chunk.
async fn append(
    app: &AppState,
    id: Uuid,
    offset: u64,
    piece: Vec<u8>,
) -> Result<ChunkOutcome, Response> {
    with_store(app, move |s| s.append_upload_chunk(id, offset, &piece)).await
}

/// `OPTIONS /v1/files`: the tus capabilities.
#[instrument(skip_all)]
pub(crate) async fn options(State(app): State<AppState>, _device: AuthDevice) -> Response {
    with_headers(
        StatusCode::NO_CONTENT.into_response(),
        &[
            (HeaderName::from_static("tus-version"), TUS_VERSION.into()),
            (
                HeaderName::from_static("tus-extension"),
                TUS_EXTENSIONS.into(),
            ),
            (
                HeaderName::from_static("tus-checksum-algorithm"),
                TUS_CHECKSUM_ALGORITHMS.into(),
            ),
            (
                HeaderName::from_static("tus-max-size"),
                app.config.limits.max_upload_bytes.to_string(),
            ),
        ],
    )
}

/// `POST /v1/files`: creates an upload resource.
#[instrument(skip_all)]
pub(crate) async fn create(
    State(app): State<AppState>,
    AuthDevice(auth): AuthDevice,
    headers: HeaderMap,
) -> Response {
    if let Err(resp) = check_tus_version(&headers) {
        return resp;
    }
    let Some(length) = parse_u64(&headers, &UPLOAD_LENGTH) else {
        return bad_request("Upload-Length (a byte count) is required");
    };
    if length == 0 {
        return bad_request("an empty upload is not a photo");
    }
    let max = app.config.limits.max_upload_bytes;
    if length > max {
        return tus_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "upload_too_large",
            &format!("Upload-Length is over the relay's limit of {max} bytes"),
        );
    }
    let UploadMetadata { sha256, scope } =
        match UploadMetadata::parse(header_str(&headers, &UPLOAD_METADATA).unwrap_or("")) {
            Ok(m) => m,
            Err(e) => return bad_request(&e.to_string()),
        };
    // Refused before looking at the hash: the answer says nothing about the photo.
    let scopes = match photo_scopes(&app, &auth).await {
        Ok(scopes) => scopes,
        Err(resp) => return resp,
    };
    if !covered(&scopes, &scope) {
        info!(device = %auth.device_id, "upload refused: scope");
        return tus_error(
            StatusCode::FORBIDDEN,
            "scope_forbidden",
            "this device may not upload photos to that scope",
        );
    }
    let id = Uuid::new_v4();
    let pending = app.config.limits.max_pending_uploads_per_device;
    let device_id = auth.device_id;
    let result = with_store(&app, move |s| {
        // Complete at once only if this very scope already has the photo.
        let complete = s.blob_linked(&sha256, &scope)? == Some(length);
        s.create_upload(
            &NewUpload {
                id,
                device_id,
                sha256,
                scope,
                length,
                complete,
            },
            pending,
        )?;
        Ok(complete)
    })
    .await;
    let complete = match result {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    info!(device = %device_id, upload = %id, length, complete, "upload created");
    app.metrics.uploads_started.inc();
    with_headers(
        StatusCode::CREATED.into_response(),
        &[
            (header::LOCATION, format!("/v1/files/{id}")),
            (UPLOAD_OFFSET, if complete { length } else { 0 }.to_string()),
        ],
    )
}

/// The scopes whose photos `auth`'s device may upload and download: those it reads, or for
/// a department (which reads what it is given), the scopes of the events given to it.
async fn photo_scopes(app: &AppState, auth: &DeviceAuth) -> Result<Vec<ScopeCode>, Response> {
    let principal = auth.user.principal.clone();
    if !principal.reads_grants() {
        return Ok(principal.scopes);
    }
    let max = app.config.limits.max_docs_per_connection;
    with_store(app, move |s| {
        let mut scopes: Vec<ScopeCode> = s
            .docs_granted(&principal.scopes, max)?
            .into_iter()
            .map(|d| d.scope)
            .collect();
        scopes.sort();
        scopes.dedup();
        Ok(scopes)
    })
    .await
}

fn covered(scopes: &[ScopeCode], scope: &ScopeCode) -> bool {
    scopes.iter().any(|s| s.covers(scope))
}

/// The units whose photos `principal` reads only through documents read downward: the
/// scopes of the notices sent above its scopes ([`Principal::can_read_kind`]). A photo
/// linked to exactly one of them is downloadable (a notice's photo is uploaded in the
/// notice's scope, by its sender); photos linked under them are not, since no other kind
/// is read downward. A department reads no notices.
fn downward_units(
    store: &dyn RelayStore,
    principal: &Principal,
    max: usize,
) -> Result<Vec<ScopeCode>, StoreError> {
    let mut units: Vec<ScopeCode> = store
        .docs_read_downward(&principal.scopes, max)?
        .into_iter()
        .filter(|d| {
            d.kind.read_downward()
                && principal.can_read_kind(&d.scope, d.kind)
                && !principal.can_read(&d.scope)
        })
        .map(|d| d.scope)
        .collect();
    units.sort();
    units.dedup();
    Ok(units)
}

/// The blob if `principal` may download it: linked to a scope under `scopes` (those its
/// photos come from, [`photo_scopes`]), or to exactly the unit of a notice it reads
/// downward ([`downward_units`]).
fn readable_blob(
    store: &dyn RelayStore,
    principal: &Principal,
    sha256: &str,
    scopes: &[ScopeCode],
    max: usize,
) -> Result<Option<StoredBlob>, StoreError> {
    if let Some(blob) = store.blob_in_scope(sha256, scopes)? {
        return Ok(Some(blob));
    }
    for unit in downward_units(store, principal, max)? {
        if store.blob_linked(sha256, &unit)?.is_some() {
            return store.blob_in_scope(sha256, std::slice::from_ref(&unit));
        }
    }
    Ok(None)
}

/// The upload if it exists, belongs to the device and is still in its scopes.
async fn own_upload(app: &AppState, auth: &DeviceAuth, id: &str) -> Result<UploadState, Response> {
    let Ok(id) = Uuid::parse_str(id) else {
        return Err(not_found());
    };
    let state = with_store(app, move |s| s.upload_state(id)).await?;
    let scopes = photo_scopes(app, auth).await?;
    match state {
        Some(st) if st.upload.device_id == auth.device_id && covered(&scopes, &st.upload.scope) => {
            Ok(st)
        }
        _ => Err(not_found()),
    }
}

/// What finishing an upload found (see [`finish_received`]).
enum Finished {
    /// The upload as it stands now.
    Upload(UploadState),
    /// Its bytes did not hash to its name; it was discarded.
    HashMismatch,
}

/// An upload whose bytes are all received but that is not complete (its finish failed:
/// the object store or the database was down) is finished now, so a device that asks
/// again, with a `HEAD` or by sending the last chunk again, completes it without sending
/// any byte twice. Any other upload is returned as is.
async fn finish_received(app: &AppState, st: UploadState) -> Result<Finished, Response> {
    if st.upload.complete || st.offset != st.upload.length {
        return Ok(Finished::Upload(st));
    }
    let id = st.upload.id;
    let finished = complete(app, id).await?;
    if let Finished::Upload(st) = &finished {
        info!(device = %st.upload.device_id, upload = %id, "received upload finished on retry");
    }
    Ok(finished)
}

/// Finishes a fully received upload and reads it back; if it was finished (or discarded)
/// meanwhile, by another request or relay instance, just reads it.
async fn complete(app: &AppState, id: Uuid) -> Result<Finished, Response> {
    match finish(app, id).await {
        Ok(FinishOutcome::HashMismatch) => return Ok(Finished::HashMismatch),
        Ok(FinishOutcome::Stored) => {
            app.metrics.uploads_finished.inc();
        }
        Err(resp) if resp.status() == StatusCode::NOT_FOUND => {}
        Err(resp) => return Err(resp),
    }
    match with_store(app, move |s| s.upload_state(id)).await? {
        Some(st) => Ok(Finished::Upload(st)),
        None => Err(not_found()),
    }
}

/// Verifies a fully received upload and stores its photo. In the database, one store
/// call; in object storage, three steps that hold the store only for the database parts:
/// read the staged bytes, PUT the object (unless the blob is recorded already), record
/// the blob. A failed PUT records nothing and keeps the bytes (`503`, retryable).
async fn finish(app: &AppState, id: Uuid) -> Result<FinishOutcome, Response> {
    let Some(objects) = app.photos.clone() else {
        return with_store(app, move |s| s.finish_upload(id)).await;
    };
    let staged = with_store(app, move |s| s.staged_upload(id)).await?;
    if !staged_bytes_match(&staged) {
        with_store(app, move |s| s.discard_upload(id)).await?;
        return Ok(FinishOutcome::HashMismatch);
    }
    if !staged.blob_recorded {
        let StagedUpload { sha256, bytes, .. } = staged;
        with_objects(&objects, move |o| o.put(&sha256, bytes)).await?;
    }
    with_store(app, move |s| s.record_object_blob(id)).await?;
    Ok(FinishOutcome::Stored)
}

/// The `460` for an upload whose bytes do not hash to its name.
fn sha256_mismatch() -> Response {
    tus_error(
        checksum_mismatch_status(),
        "sha256_mismatch",
        "the uploaded bytes do not hash to the sha256 named at creation; the upload was discarded, create a new one",
    )
}

/// `HEAD /v1/files/{id}`: how much the relay has.
#[instrument(skip_all)]
pub(crate) async fn head(
    State(app): State<AppState>,
    Path(id): Path<String>,
    AuthDevice(auth): AuthDevice,
    headers: HeaderMap,
) -> Response {
    if let Err(resp) = check_tus_version(&headers) {
        return resp;
    }
    let st = match own_upload(&app, &auth, &id).await {
        Ok(st) => st,
        Err(resp) => return resp,
    };
    match finish_received(&app, st).await {
        Ok(Finished::Upload(st)) => with_headers(
            StatusCode::OK.into_response(),
            &offset_headers(st.offset, st.upload.length),
        ),
        // Discarded: the device creates a new upload.
        Ok(Finished::HashMismatch) => not_found(),
        Err(resp) => resp,
    }
}

/// `PATCH /v1/files/{id}`: appends a chunk; the last one stores the photo.
#[instrument(skip_all)]
pub(crate) async fn patch(
    State(app): State<AppState>,
    Path(id): Path<String>,
    AuthDevice(auth): AuthDevice,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Err(resp) = check_tus_version(&headers) {
        return resp;
    }
    if header_str(&headers, &header::CONTENT_TYPE) != Some(OFFSET_OCTET_STREAM) {
        return tus_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "bad_content_type",
            "PATCH bodies must be application/offset+octet-stream",
        );
    }
    let Some(offset) = parse_u64(&headers, &UPLOAD_OFFSET) else {
        return bad_request("Upload-Offset (a byte count) is required");
    };
    let checksum = match header_str(&headers, &UPLOAD_CHECKSUM).map(parse_checksum) {
        None => None,
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => return bad_request(&e.to_string()),
    };
    let st = match own_upload(&app, &auth, &id).await {
        Ok(st) => st,
        Err(resp) => return resp,
    };
    let st = match finish_received(&app, st).await {
        Ok(Finished::Upload(st)) => st,
        Ok(Finished::HashMismatch) => return sha256_mismatch(),
        Err(resp) => return resp,
    };
    let length = st.upload.length;
    let conflict = |at: u64| {
        with_headers(
            error(
                StatusCode::CONFLICT,
                "offset_mismatch",
                "Upload-Offset does not match the relay's offset; HEAD and resume",
            ),
            &offset_headers(at, length),
        )
    };
    if st.upload.complete {
        let empty = parse_u64(&headers, &header::CONTENT_LENGTH).is_none_or(|n| n == 0);
        return if offset == length && empty {
            with_headers(
                StatusCode::NO_CONTENT.into_response(),
                &offset_headers(length, length),
            )
        } else {
            conflict(length)
        };
    }
    if offset != st.offset {
        return conflict(st.offset);
    }
    let too_long = || {
        tus_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "upload_too_large",
            "the chunk goes past Upload-Length",
        )
    };
    let room = length.saturating_sub(offset);
    if parse_u64(&headers, &header::CONTENT_LENGTH).is_some_and(|n| n > room) {
        return too_long();
    }
    // Without a chunk checksum, bytes are persisted as they arrive, so a cut connection
    // resumes from what arrived; with one, the chunk is verified whole first.
    let upload_id = st.upload.id;
    let persist_every = if checksum.is_some() {
        usize::MAX
    } else {
        PERSIST_EVERY
    };
    let mut stream = body.into_data_stream();
    let mut buf: Vec<u8> = Vec::new();
    let mut at = offset;
    let mut cut = false;
    loop {
        match stream.next().await {
            Some(Ok(bytes)) => {
                let total =
                    u64::try_from(buf.len().saturating_add(bytes.len())).unwrap_or(u64::MAX);
                if total > length.saturating_sub(at) {
                    return too_long();
                }
                buf.extend_from_slice(&bytes);
                if buf.len() >= persist_every {
                    let piece = std::mem::take(&mut buf);
                    match append(&app, upload_id, at, piece).await {
                        Ok(ChunkOutcome::Appended(end)) => at = end,
                        Ok(ChunkOutcome::OffsetMismatch(now)) => return conflict(now),
                        Ok(ChunkOutcome::TooLong) => return too_long(),
                        Err(resp) => return resp,
                    }
                }
            }
            Some(Err(_)) => {
                cut = true;
                break;
            }
            None => break,
        }
    }
    if cut {
        if checksum.is_none() && !buf.is_empty() {
            let _ = append(&app, upload_id, at, buf).await;
        }
        info!(device = %auth.device_id, upload = %upload_id, "upload connection cut");
        return bad_request("the chunk was cut off; HEAD and resume");
    }
    if let Some(expected) = checksum
        && Sha256::digest(&buf).as_slice() != expected.as_slice()
    {
        info!(device = %auth.device_id, upload = %upload_id, "chunk checksum mismatch");
        return tus_error(
            checksum_mismatch_status(),
            "checksum_mismatch",
            "the chunk does not match Upload-Checksum; it was discarded, send it again",
        );
    }
    let result = with_store(&app, move |s| {
        if buf.is_empty() {
            Ok(ChunkOutcome::Appended(at))
        } else {
            s.append_upload_chunk(upload_id, at, &buf)
        }
    })
    .await;
    match result {
        Err(resp) => resp,
        Ok(ChunkOutcome::OffsetMismatch(at)) => conflict(at),
        Ok(ChunkOutcome::TooLong) => too_long(),
        Ok(ChunkOutcome::Appended(end)) if end < length => with_headers(
            StatusCode::NO_CONTENT.into_response(),
            &offset_headers(end, length),
        ),
        // The last byte: store the photo (the bytes stay staged if that fails).
        Ok(ChunkOutcome::Appended(_)) => match complete(&app, upload_id).await {
            Ok(Finished::Upload(st)) => {
                info!(device = %auth.device_id, upload = %upload_id, length, "photo stored");
                with_headers(
                    StatusCode::NO_CONTENT.into_response(),
                    &offset_headers(st.offset, length),
                )
            }
            Ok(Finished::HashMismatch) => {
                warn!(device = %auth.device_id, upload = %upload_id, "upload does not match its sha256");
                sha256_mismatch()
            }
            Err(resp) => resp,
        },
    }
}

/// `GET /v1/blobs/{sha256}`: a photo linked to a scope the device reads (or to the unit of
/// a notice it reads), else `404`.
#[instrument(skip_all)]
pub(crate) async fn download(
    State(app): State<AppState>,
    Path(sha256): Path<String>,
    AuthDevice(auth): AuthDevice,
) -> Response {
    let Some(sha256) = normalize_sha256(&sha256) else {
        return not_found();
    };
    let scopes = match photo_scopes(&app, &auth).await {
        Ok(scopes) => scopes,
        Err(resp) => return resp,
    };
    let etag = format!("\"{sha256}\"");
    let found = {
        let sha256 = sha256.clone();
        let principal = auth.user.principal.clone();
        let max = app.config.limits.max_docs_per_connection;
        with_store(&app, move |s| {
            readable_blob(s, &principal, &sha256, &scopes, max)
        })
        .await
    };
    let bytes = match (found, &app.photos) {
        (Ok(Some(StoredBlob::InObjectStore)), Some(objects)) => {
            // The object request runs without holding the store.
            with_objects(objects, move |o| o.get_recorded(&sha256).map(Some)).await
        }
        (Ok(blob), _) => database_bytes(blob).map_err(|e| with_headers(storage_error(&e), &[])),
        (Err(resp), _) => Err(resp),
    };
    match bytes {
        Ok(Some(bytes)) => {
            let mut resp = Body::from(bytes).into_response();
            let h = resp.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=31536000, immutable"),
            );
            if let Ok(v) = HeaderValue::from_str(&etag) {
                h.insert(header::ETAG, v);
            }
            resp
        }
        Ok(None) => not_found(),
        Err(resp) => resp,
    }
}
