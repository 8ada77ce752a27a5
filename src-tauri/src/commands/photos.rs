//! Photos: camera bytes in (raw IPC body) → evidence JPEG + thumbnail in the store, with
//! progress events; stored bytes out (raw IPC response) for Blob URLs.

use tauri::ipc::{InvokeBody, Request, Response};
use tauri::{AppHandle, Emitter, Runtime, State};
use wangge_core::ErrorCode;
use wangge_core::photos::{PhotoRef, Settings};
use wangge_core::views::PhotoProgress;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Name of the event carrying [`PhotoProgress`].
pub const PHOTO_PROGRESS_EVENT: &str = "photo://progress";

/// Adds a photo: the body is the image file's bytes (`invoke('add_photo', uint8array)`).
/// Emits `photo://progress` while it works; the pipeline runs on a blocking thread and
/// locks the store only for the final write.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn add_photo<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    request: Request<'_>,
) -> AppResult<PhotoRef> {
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(AppError::new(
            ErrorCode::InvalidBody,
            "add_photo takes the image bytes as the raw request body",
        ));
    };
    let (bytes, store) = (bytes.clone(), state.store_handle());
    let progress = move |p| {
        if let Err(e) = app.emit(PHOTO_PROGRESS_EVENT, PhotoProgress::from(p)) {
            tracing::warn!(cause = %e, "progress event not sent");
        }
    };
    let added = tauri::async_runtime::spawn_blocking(move || {
        wangge_core::photos::add_photo(&store, &bytes, &Settings::default(), &progress)
    })
    .await
    .map_err(|e| AppError::new(ErrorCode::Internal, format!("photo worker failed: {e}")))??;
    Ok(added)
}

/// A stored photo's bytes, raw: its thumbnail, or the evidence JPEG.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn photo(state: State<'_, AppState>, hash: String, thumb: bool) -> AppResult<Response> {
    state
        .with_store(|s| s.photo_bytes(&hash, thumb))
        .map(Response::new)
}
