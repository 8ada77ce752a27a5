//! What every tus answer shares: the header names, `Tus-Resumable` on each response, the
//! JSON error bodies, and store calls off the async threads.

// Helpers return `Err(Response)`: the answer to send as is.
#![allow(clippy::result_large_err)]

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use wangge_schema::tus::TUS_VERSION;

use super::http::{error, storage_error};
use super::state::AppState;
use std::sync::Arc;

use crate::store::objects::ObjectBlobs;
use crate::store::{RelayStore, StoreError};

pub(crate) const TUS_RESUMABLE: HeaderName = HeaderName::from_static("tus-resumable");
pub(crate) const UPLOAD_OFFSET: HeaderName = HeaderName::from_static("upload-offset");
pub(crate) const UPLOAD_LENGTH: HeaderName = HeaderName::from_static("upload-length");
pub(crate) const UPLOAD_METADATA: HeaderName = HeaderName::from_static("upload-metadata");
pub(crate) const UPLOAD_CHECKSUM: HeaderName = HeaderName::from_static("upload-checksum");

/// tus "checksum mismatch".
pub(crate) fn checksum_mismatch_status() -> StatusCode {
    StatusCode::from_u16(460).unwrap_or(StatusCode::BAD_REQUEST)
}

/// A header's value as trimmed text, if it is text.
pub(crate) fn header_str<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// Adds `Tus-Resumable` and any `extra` headers to a response.
pub(crate) fn with_headers(mut resp: Response, extra: &[(HeaderName, String)]) -> Response {
    let h = resp.headers_mut();
    h.insert(TUS_RESUMABLE, HeaderValue::from_static(TUS_VERSION));
    for (name, value) in extra {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name.clone(), v);
        }
    }
    resp
}

/// A JSON error answer with `Tus-Resumable`.
pub(crate) fn tus_error(status: StatusCode, code: &'static str, message: &str) -> Response {
    with_headers(error(status, code, message), &[])
}

/// The `404` for an unknown upload or a photo the device may not read (the same answer).
pub(crate) fn not_found() -> Response {
    tus_error(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such upload or photo",
    )
}

/// Runs a store operation off the async threads; a failure is the answer to send:
/// `NotFound` is `404`, any other store error `503`.
pub(crate) async fn with_store<T: Send + 'static>(
    app: &AppState,
    f: impl FnOnce(&mut dyn RelayStore) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, Response> {
    let store = app.store.clone();
    let result = tokio::task::spawn_blocking(move || {
        let mut s = store
            .lock()
            .map_err(|_| StoreError::database("store lock poisoned"))?;
        f(s.as_mut())
    })
    .await;
    answer(result)
}

/// Runs an object store request off the async threads, without holding the store; a
/// failure is the answer to send (`503`, retryable).
pub(crate) async fn with_objects<T: Send + 'static>(
    objects: &Arc<ObjectBlobs>,
    f: impl FnOnce(&ObjectBlobs) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, Response> {
    let objects = objects.clone();
    answer(tokio::task::spawn_blocking(move || f(&objects)).await)
}

/// A blocking store call's result, or the answer to send for its failure.
fn answer<T>(result: Result<Result<T, StoreError>, tokio::task::JoinError>) -> Result<T, Response> {
    match result {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(StoreError::NotFound(_))) => Err(not_found()),
        Ok(Err(e)) => Err(with_headers(storage_error(&e), &[])),
        Err(_) => Err(tus_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "upload failed",
        )),
    }
}

/// `412` unless the request speaks tus 1.0.0.
pub(crate) fn check_tus_version(headers: &HeaderMap) -> Result<(), Response> {
    if header_str(headers, &TUS_RESUMABLE) == Some(TUS_VERSION) {
        return Ok(());
    }
    Err(with_headers(
        error(
            StatusCode::PRECONDITION_FAILED,
            "tus_version",
            "send Tus-Resumable: 1.0.0",
        ),
        &[(HeaderName::from_static("tus-version"), TUS_VERSION.into())],
    ))
}

/// A `400` naming what was wrong.
pub(crate) fn bad_request(message: &str) -> Response {
    tus_error(StatusCode::BAD_REQUEST, "bad_request", message)
}

/// A header holding a plain decimal byte count.
pub(crate) fn parse_u64(headers: &HeaderMap, name: &HeaderName) -> Option<u64> {
    header_str(headers, name).and_then(|v| {
        v.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| v.parse().ok())
            .flatten()
    })
}

/// `Upload-Offset`, `Upload-Length` and `Cache-Control: no-store`, as `HEAD` answers them.
pub(crate) fn offset_headers(offset: u64, length: u64) -> Vec<(HeaderName, String)> {
    vec![
        (UPLOAD_OFFSET, offset.to_string()),
        (UPLOAD_LENGTH, length.to_string()),
        (header::CACHE_CONTROL, "no-store".into()),
    ]
}
