//! Photos: camera bytes in (raw IPC body) → evidence JPEG + thumbnail in the store, with
//! progress events; stored bytes out (raw IPC response) for Blob URLs.

use std::sync::Mutex;

use tauri::ipc::{InvokeBody, Request, Response};
use tauri::{AppHandle, Emitter, Runtime, State};
use wangge_core::Store;
use wangge_core::photos::{Progress, Settings, Stage};

use crate::dto::{PhotoProgress, PhotoRef};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Name of the event carrying [`PhotoProgress`].
pub const PHOTO_PROGRESS_EVENT: &str = "photo://progress";

fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::Inspecting => "inspecting",
        Stage::Decoding => "decoding",
        Stage::Resizing => "resizing",
        Stage::Thumbnail => "thumbnail",
        Stage::Captioning => "captioning",
        Stage::Encoding => "encoding",
        Stage::Done => "done",
    }
}

fn progress_of(p: Progress) -> PhotoProgress {
    PhotoProgress {
        stage: stage_name(p.stage).to_owned(),
        done: (p.fraction.clamp(0.0, 1.0) * 100.0).round() as u32,
        total: 100,
    }
}

/// Runs the evidence pipeline on `bytes` and stores the result (CPU-bound: call it off the
/// async threads). The store is locked only for the final write.
pub fn process_photo(
    store: &Mutex<Store>,
    bytes: &[u8],
    progress: &dyn Fn(PhotoProgress),
) -> AppResult<PhotoRef> {
    let p = wangge_core::photos::add_photo(store, bytes, &Settings::default(), &|p| {
        progress(progress_of(p))
    })?;
    Ok(PhotoRef {
        hash: p.hash,
        bytes: p.size,
        width: p.width,
        height: p.height,
    })
}

impl AppState {
    /// Processes and stores a photo on the calling thread.
    pub fn add_photo(&self, bytes: &[u8], progress: &dyn Fn(PhotoProgress)) -> AppResult<PhotoRef> {
        let r = process_photo(&self.store_handle(), bytes, progress)?;
        self.nudge();
        Ok(r)
    }

    /// A stored photo's bytes: its thumbnail, or the evidence JPEG (also when a photo
    /// downloaded from the relay has no thumbnail here).
    pub fn photo(&self, hash: &str, thumb: bool) -> AppResult<Vec<u8>> {
        self.with_store(|s| {
            if thumb {
                match s.thumbnail(hash) {
                    Err(wangge_core::CoreError::NotFound { .. }) => {}
                    other => return Ok(other?),
                }
            }
            Ok(s.blob(hash)?)
        })
    }
}

/// Adds a photo: the body is the image file's bytes (`invoke('add_photo', uint8array)`).
/// Emits `photo://progress` while it works.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn add_photo<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    request: Request<'_>,
) -> AppResult<PhotoRef> {
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(AppError::new(
            "invalid_body",
            "add_photo takes the image bytes as the raw request body",
        ));
    };
    let bytes = bytes.clone();
    let store = state.store_handle();
    let r = tauri::async_runtime::spawn_blocking(move || {
        process_photo(&store, &bytes, &|p| {
            if let Err(e) = app.emit(PHOTO_PROGRESS_EVENT, &p) {
                tracing::warn!(cause = %e, "progress event not sent");
            }
        })
    })
    .await
    .map_err(|e| AppError::new("internal", format!("photo worker failed: {e}")))??;
    state.nudge();
    Ok(r)
}

/// A stored photo's bytes, raw.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn photo(state: State<'_, AppState>, hash: String, thumb: bool) -> AppResult<Response> {
    state.photo(&hash, thumb).map(Response::new)
}
